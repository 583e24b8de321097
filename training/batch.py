"""Batch classification of a CSV file (``salur classify``)."""

from __future__ import annotations

import codecs
import csv
import difflib
import io
import os
import re
import warnings
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TextIO

import pandas as pd
from salur.model.artifact import ModelLoadError
from salur.model.classifier import Classifier, Prediction
from salur.model.decision import Decision
from salur.model.files import replaced_on_success
from salur.model.pipeline import HEADS
from salur.model.regions import Region
from salur.model.routing import (
    GENERIC_REGION,
    route_prediction,
    strict_routing_note,
    thresholds_for_region,
    why_agency_routes_nothing,
)
from salur.model.taxonomy import load_taxonomy
from salur.model.text import compose_document, readable_word_count

OUTPUT_COLUMNS = [
    "agency",
    "agency_confidence",
    "category",
    "category_confidence",
    "urgency",
    "urgency_confidence",
    "report_type",
    "report_type_confidence",
    "needs_review",
    # Why a row waits for an admin, as the service's decision.reasons says it.
    "review_reasons",
    "possible_emergency",
]


WORDLESS_ROW: dict[str, object] = {
    "needs_review": True,
    "review_reasons": "no readable word in the title or text",
    "possible_emergency": False,
}


class InputError(ValueError):
    """The input cannot be classified as given; the message says why."""


DELIMITERS = (",", ";", "\t", "|")


# A header without any separator is a one-column file: its rows are read whole,
# since Excel does not quote the commas of a lone text column.
ONE_COLUMN = "\x1f"

# Any of the three line endings, counted for line numbers in messages.
_LINE_BREAK = re.compile(rb"\r\n|\r|\n")
_LINE_BREAK_TEXT = re.compile(r"\r\n|\r|\n")

SAVE_AS_CSV = "in Excel use Save As → CSV UTF-8 (Comma delimited)"
# What a wrong file most often is, by its first bytes, and what to do about it.
NOT_CSV = {
    b"PK\x03\x04": ("an Excel workbook (.xlsx) or a zip archive", SAVE_AS_CSV),
    b"\xd0\xcf\x11\xe0": ("an old Excel workbook (.xls)", SAVE_AS_CSV),
    b"\x1f\x8b": ("gzip-compressed", "decompress it first (gunzip)"),
}


def detect_delimiter(header: str) -> str:
    """The separator of the header row: Excel in an Indonesian locale saves ';'.

    Only the header is looked at, because complaint texts are full of commas;
    separators inside quoted column names do not count.
    """
    counts = dict.fromkeys(DELIMITERS, 0)
    quoted = False
    for character in header:
        if character == '"':
            quoted = not quoted
        elif not quoted and character in counts:
            counts[character] += 1
    best = max(counts, key=lambda delimiter: counts[delimiter])
    return best if counts[best] > 0 else ONE_COLUMN


def decode_input(path: Path) -> str:
    """The file's text: UTF-8 with or without BOM, or UTF-16 with a BOM (Excel "Unicode text")."""
    if path.is_dir():
        raise InputError(f"input {path} is a directory, not a CSV file")
    if not path.exists():
        raise InputError(f"input file {path} not found")
    try:
        # Not only regular files: a pipe (<(zcat export.csv.gz)) reads the same.
        data = path.read_bytes()
    except OSError as error:
        raise InputError(f"cannot read {path}: {error.strerror or error}") from error
    if not data:
        raise InputError(f"input file {path} is empty")
    for magic, (kind, advice) in NOT_CSV.items():
        if data.startswith(magic):
            raise InputError(f"{path} is {kind}, not a CSV file; {advice}")
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError as error:
            raise InputError(f"{path} starts as UTF-16 but is not valid UTF-16") from error
    bom = len(codecs.BOM_UTF8) if data.startswith(codecs.BOM_UTF8) else 0
    try:
        return data[bom:].decode("utf-8")
    except UnicodeDecodeError as error:
        offset = bom + error.start
        line = len(_LINE_BREAK.findall(data, 0, offset)) + 1
        raise InputError(
            f"{path} is not valid UTF-8 (line {line}, byte {offset}); re-save it as UTF-8 CSV"
        ) from error


def _records(text: str, separator: str) -> Any:
    # newline="" hands the csv module the line endings as written (\r\n, \n
    # or an old Mac's \r), which it needs to tell them from quoted ones.
    return csv.reader(io.StringIO(text, newline=""), delimiter=separator)


def _ragged_records(text: str, separator: str) -> tuple[list[int], list[int]]:
    """Line numbers of the records with more, and with fewer, fields than the header.

    A record the csv module cannot read ends the scan: the wide lines found
    before it still count, the short ones do not (the file is refused anyway).
    """
    reader = _records(text, separator)
    wide: list[int] = []
    short: list[int] = []
    try:
        width = len(next(reader, []))
        for record in reader:
            if len(record) > width:
                wide.append(reader.line_num)
            # A blank line is one empty field; it is not a broken record.
            elif 1 < len(record) < width or (len(record) == 1 and record[0] and width > 1):
                short.append(reader.line_num)
    except csv.Error:
        return wide, []
    return wide, short


def _line_naming(text: str, column: str, lines: int = 10) -> int:
    """The line (within the first few) whose fields include ``column``, or 0."""
    for number, line in enumerate(_LINE_BREAK_TEXT.split(text, maxsplit=lines)[:lines], 1):
        separator = detect_delimiter(line)
        if separator == ONE_COLUMN:
            continue
        fields = next(csv.reader([line], delimiter=separator), [])
        if column in (field.strip() for field in fields):
            return number
    return 0


def _shown(name: object, width: int = 40) -> str:
    """A column name for a message, cut short: a header that is really a data row
    would otherwise print a complaint (and its PII) into the terminal and logs."""
    text = str(name)
    return repr(text if len(text) <= width else text[:width] + "…")


def _looks_like_a_region(value: str, regions: Mapping[str, object]) -> bool:
    """Whether ``value`` is close to a known region code, and so may be shown as a likely slip.

    "Surabaya", "KAB-BANDUNG" or "kota-surabaya " are; a name or a NIK from the
    wrong column is not, and is never printed.
    """
    if value == GENERIC_REGION:
        return True
    folded = value.casefold().strip()
    if len(folded) < 4:
        return False
    return any(folded in code or code in folded for code in regions) or bool(
        difflib.get_close_matches(folded, list(regions), n=1, cutoff=0.8)
    )


# A real column name is short; a longer "name" is a complaint in a file without
# a header row.
MAX_HEADER_NAME = 100


def _header_names(text: str, separator: str) -> list[str] | None:
    """The header's names as written (quotes removed), or None if unreadable."""
    try:
        return next(_records(text, separator), None)
    except csv.Error:
        return None


def first_line(text: str) -> str:
    return _LINE_BREAK_TEXT.split(text, maxsplit=1)[0]


def read_input(
    path: Path,
    text_column: str,
    title_column: str | None,
    notify: Callable[[str], None] = lambda message: None,
    other_columns: Sequence[str] = (),
) -> pd.DataFrame:
    """The CSV as text cells, with its header names exactly as written.

    pandas renames repeated and empty header names (``text.1``, ``Unnamed: 2``);
    the names are put back so that the output has the input's header, and a
    repeated name cannot silently pick which column gets classified.
    """
    text = decode_input(path)
    header = first_line(text)
    if "\x00" in header:
        # ASCII saved as UTF-16 without a byte-order mark, or as UTF-32, is
        # valid UTF-8 full of NUL characters; no real header contains one.
        raise InputError(
            f"{path} has NUL characters in its header: it looks like UTF-16 or UTF-32 "
            "text; re-save it as UTF-8 CSV"
        )
    separator = detect_delimiter(header)
    try:
        with warnings.catch_warnings():
            # More fields in a row than in the header would otherwise shift
            # columns silently (pandas takes the first as an index).
            warnings.simplefilter("error", pd.errors.ParserWarning)
            frame = pd.read_csv(
                io.StringIO(text),
                dtype=str,
                keep_default_na=False,
                sep=separator,
                index_col=False,
                # In a one-column file an empty line is an empty cell, and
                # dropping it would misalign the output with the input's rows.
                skip_blank_lines=separator != ONE_COLUMN,
            )
    except (pd.errors.ParserWarning, pd.errors.ParserError, csv.Error) as error:
        wide, _ = _ragged_records(text, separator)
        line = wide[0] if wide else 0
        if line or isinstance(error, pd.errors.ParserWarning):
            where = f" (first at line {line})" if line else ""
            raise InputError(
                f"{path}: some rows have more fields than the header{where}; quote texts "
                f"that contain the separator {separator!r}"
            ) from error
        unclosed = _unclosed_quote_line(text, separator)
        if unclosed:
            raise InputError(
                f"{path}: a quote opened at line {unclosed} is never closed, so the rest of "
                "the file would be one cell; close it, or remove the stray quote"
            ) from error
        raise InputError(f"{path} is not a readable CSV: {str(error).strip()}") from error
    except pd.errors.EmptyDataError as error:
        raise InputError(f"input file {path} has no header row") from error
    names = _header_names(text, separator)
    if names is None or len(names) != len(frame.columns):
        # Never classify a column picked from a header read two different ways.
        raise InputError(f"{path}: the header row cannot be read unambiguously; check its quotes")
    frame.columns = pd.Index(names)
    longest = max((len(str(name)) for name in names), default=0)
    if longest > MAX_HEADER_NAME:
        raise InputError(
            f"the first line of {path} does not look like a header row (one of its fields "
            f"has {longest} characters); add a first line naming the columns, e.g. id,title,text"
        )
    for column in [text_column, title_column, *other_columns]:
        if not column:
            continue
        found = int((frame.columns == column).sum())
        if found == 0:
            header_line = _line_naming(text, column)
            if header_line > 1:
                raise InputError(
                    f"{path}: line {header_line} names the column {column!r}, so the "
                    f"{header_line - 1} line(s) above it are not the header; remove them"
                )
            listed = ", ".join(_shown(name) for name in frame.columns)
            hint = _likely_text_column(frame) if column == text_column else None
            raise InputError(
                f"column {column!r} not found in {path}; columns are: {listed}"
                + (
                    f"; the longest texts are in {_shown(hint)}: --text-column {hint!r}"
                    if hint
                    else ""
                )
            )
        if found > 1:
            raise InputError(f"{path} has {found} columns named {column!r}; rename all but one")
    swallowed = _rows_swallowed_by_a_quote(frame, separator)
    if swallowed:
        notify(
            f"{len(swallowed)} cell(s) hold whole lines that look like rows of their own (first "
            f"in row {swallowed[0]}): a text that opens with a quote it never closes takes in "
            "the lines up to the next quote. Check those rows; quote such texts or remove the "
            "stray quote"
        )
    _, short = _ragged_records(text, separator)
    if short:
        notify(
            f"{len(short)} row(s) have fewer fields than the header (first at line {short[0]}); "
            "their missing cells are empty. A line break inside an unquoted text splits a "
            "row in two: check those lines"
        )
    return frame


def _unclosed_quote_line(text: str, separator: str) -> int:
    """The line where a quoted field opens and the file ends inside it, or 0.

    As a CSV reader reads quotes: one opens a field only at the field's start,
    and inside a quoted field a doubled quote is a quote character.
    """
    quoted = False
    opened_at = 0
    at_field_start = True
    index = 0
    while index < len(text):
        character = text[index]
        if quoted:
            if character == '"':
                if text.startswith('"', index + 1):
                    index += 1
                else:
                    quoted = False
        elif character == '"' and at_field_start:
            quoted, opened_at = True, index
        at_field_start = not quoted and character in (separator, "\n", "\r")
        index += 1
    if not quoted:
        return 0
    return len(_LINE_BREAK_TEXT.findall(text, 0, opened_at)) + 1


def _rows_swallowed_by_a_quote(frame: pd.DataFrame, separator: str) -> list[int]:
    """Data rows (1-based) with a cell that holds lines read as text but shaped like rows.

    A quoted line break is normal in a complaint. A later line of a cell that
    carries a whole row's separators and starts with a value shaped like the
    first column's (an id such as "2" where the ids are numbers) is a row that
    an unclosed quote took in.
    """
    needed = len(frame.columns) - 1
    if needed < 1 or separator == ONE_COLUMN or frame.empty:
        return []
    first_shapes = {_shape(value) for value in frame.iloc[:, 0]}
    rows = []
    for position, values in enumerate(frame.itertuples(index=False, name=None), start=1):
        for value in values:
            for line in str(value).split("\n")[1:]:
                if line.count(separator) >= needed and (
                    _shape(line.split(separator, 1)[0]) in first_shapes
                ):
                    rows.append(position)
                    break
            else:
                continue
            break
    return rows


def _shape(value: object) -> str:
    """ "a" for letters, "9" for digits, the rest kept: "K-12" -> "a-99"."""
    return re.sub(r"\d", "9", re.sub(r"[^\W\d_]", "a", str(value).strip()))


def keep_input_columns(frame: pd.DataFrame, produced: list[str]) -> dict[str, str]:
    """Rename input columns that the output would overwrite; returns old → new names.

    Real exports often carry the publisher's own ``category`` or ``agency``
    (the very labels an evaluation compares against); they are kept, as
    ``category_input`` and so on, next to the predictions.
    """
    renamed: dict[str, str] = {}
    taken = set(frame.columns) | set(produced)
    for column in produced:
        if column not in set(frame.columns):
            continue
        new = f"{column}_input"
        while new in taken:
            new += "_"
        taken.add(new)
        renamed[column] = new
    frame.columns = pd.Index([renamed.get(name, name) for name in frame.columns])
    return renamed


def classify_csv(
    input_path: Path,
    output_path: Path,
    text_column: str,
    title_column: str | None,
    model_dir: Path,
    batch_size: int = 512,
    show_progress: bool = True,
    region: Region | None = None,
    notify: Callable[[str], None] = lambda message: None,
    threshold_overrides: Mapping[str, float] | None = None,
    expected_sha256: str | None = None,
    region_column: str | None = None,
    regions: Mapping[str, Region] | None = None,
) -> int:
    """Write ``output_path`` atomically: all input columns plus predictions.

    With a ``region`` every row is routed as the service routes it there: the
    region's category overrides decide the agency, its thresholds decide
    ``needs_review`` (with ``threshold_overrides``, the service's
    ``SALUR_THRESHOLDS``, applied the same way), and an ``opd_name`` column
    gives the region's own office. With a ``region_column`` instead, each row
    is routed so in the region its cell names, one of ``regions``; an empty
    cell is a complaint that names none, as the service routes it
    (``default``). A value that is no known region stops the run before any
    row is classified.
    ``notify`` hears about anything done to the input's columns.
    """
    if region is not None and region_column:
        raise ValueError("give a region or a region column, not both")
    if region_column and regions is None:
        raise ValueError("a region column needs the regions it may name")
    _refuse_overwriting_input(input_path, output_path)
    _refuse_unwritable_place(output_path)
    frame = read_input(
        input_path, text_column, title_column, notify, [region_column] if region_column else []
    )
    row_regions = (
        _named_regions(frame[region_column], regions or {}, region_column)
        if region_column
        else None
    )
    try:
        classifier = Classifier.load(model_dir, expected_sha256=expected_sha256)
    except ModelLoadError as error:
        raise InputError(str(error)) from error
    missing_heads = [h for h in HEADS if h not in classifier.heads]
    if missing_heads:
        raise InputError(f"model {classifier.version} has no head(s) {', '.join(missing_heads)}")
    unset = classifier.heads_without_threshold(threshold_overrides)
    if unset:
        notify(
            f"model {classifier.version} has no threshold for {', '.join(unset)}"
            + (": needs_review is True for every row" if "agency" in unset else "")
        )
    texts = frame[text_column].tolist()
    titles = frame[title_column].tolist() if title_column else [None] * len(frame)
    routes_in_regions = region is not None or row_regions is not None
    columns = [*OUTPUT_COLUMNS, "opd_name", "local_office"] if routes_in_regions else OUTPUT_COLUMNS
    renamed = keep_input_columns(frame, columns)
    if renamed:
        notify(
            "the input's own columns are kept as "
            + ", ".join(f"{new} (was {old})" for old, new in renamed.items())
        )
    # A row without a readable word in its title or text gets no labels (a
    # guess from nothing would read like an answer) and goes to review.
    readable = [
        readable_word_count(f"{title or ''} {text}") > 0
        for title, text in zip(titles, texts, strict=True)
    ]
    results: dict[str, list[object]] = {column: [] for column in columns}
    overrides = threshold_overrides or {}
    if row_regions is None:
        route = _router(classifier, region, overrides, notify)
        routes = [route] * len(frame)
    else:
        by_code = {
            code: _router(classifier, (regions or {})[code], overrides, notify)
            for code in sorted(set(row_regions))
        }
        routes = [by_code[code] for code in row_regions]
    # Confidence is calibrated for the region a row comes from (see Classifier).
    region_codes = row_regions or [region.code if region else GENERIC_REGION] * len(frame)

    from rich.progress import Progress

    with _atomic_output(output_path) as handle:
        with Progress(disable=not show_progress, transient=True) as progress:
            task = progress.add_task("classifying", total=len(frame))
            for start in range(0, len(frame), batch_size):
                chunk = slice(start, start + batch_size)
                documents = list(map(compose_document, titles[chunk], texts[chunk]))
                predictions = classifier.predict_composed(
                    documents, explain=False, regions=region_codes[chunk]
                )
                for prediction, has_words, document, route in zip(
                    predictions, readable[chunk], documents, routes[chunk], strict=True
                ):
                    row = route(prediction, document) if has_words else WORDLESS_ROW
                    for column in columns:
                        results[column].append(row.get(column))
                progress.advance(task, len(texts[chunk]))
        for column in columns:
            frame[column] = results[column]
        frame.to_csv(handle, index=False)
    unreadable = readable.count(False)
    if unreadable:
        where = f"{text_column!r}" + (f" and {title_column!r}" if title_column else "")
        notify(
            f"{unreadable} of {len(frame)} rows have no readable word in {where}: they got "
            "empty labels and needs_review=True"
            + (" (is that the complaint text column?)" if unreadable == len(frame) else "")
        )
    return len(frame)


def _named_regions(cells: pd.Series, regions: Mapping[str, Region], column: str) -> list[str]:
    """The region code each row names; an empty cell names none (the generic region).

    Every value must be a known region before anything is classified: a
    misspelt code would otherwise route its rows under another region's rules.
    """
    codes = [cell.strip() or GENERIC_REGION for cell in cells.astype(str)]
    unknown: dict[str, int] = {}
    for code in codes:
        if code not in regions:
            unknown[code] = unknown.get(code, 0) + 1
    if unknown:
        # Only values close to a known region code are printed: anything else (a
        # complaint, a name, a NIK from the wrong column) is counted, as it may be PII.
        short = {
            code: count for code, count in unknown.items() if _looks_like_a_region(code, regions)
        }
        hidden_cells = sum(unknown.values()) - sum(short.values())
        shown = [
            f"{'(empty: a complaint naming none)' if code == GENERIC_REGION else repr(code)} "
            f"in {count} row(s)"
            for code, count in sorted(short.items(), key=lambda item: -item[1])[:5]
        ]
        more = f" and {len(short) - 5} more" if len(short) > 5 else ""
        if hidden_cells:
            shown.append(
                f"{hidden_cells} row(s) of other values, not shown as they may be personal "
                f"data (is {_shown(column)} the column of region codes?)"
            )
        raise InputError(
            f"column {_shown(column)} names regions without a region file: "
            f"{', '.join(shown)}{more}; known regions: {', '.join(sorted(regions))}"
        )
    return codes


def _refuse_overwriting_input(input_path: Path, output_path: Path) -> None:
    try:
        same = output_path.exists() and os.path.samefile(input_path, output_path)
    except OSError:
        same = False
    if same:
        raise InputError(
            f"--output {output_path} is the input file; write the predictions to another file"
        )


def _refuse_unwritable_place(path: Path) -> None:
    """Stop before the model is loaded if ``path`` can never be a file."""
    try:
        if path.is_dir():
            raise InputError(f"output {path} is a directory; give a file name")
        for folder in path.parents:
            if folder.exists():
                if not folder.is_dir():
                    raise InputError(
                        f"cannot write {path}: {folder} is a file, not a folder; "
                        "nothing was written"
                    )
                return
    except OSError as error:  # a name too long, a folder it may not look into
        raise _cannot_write(path, error) from error


@contextmanager
def _atomic_output(path: Path) -> Iterator[TextIO]:
    """A handle on a temporary file next to ``path``, moved onto it only on success.

    The temporary file is made before classifying, so that an unwritable
    output fails at once instead of after every row has been classified. A
    symbolic link is followed (the link stays, its target gets the output);
    a device or pipe (/dev/stdout, a FIFO) is written to directly, since
    renaming a file onto it would replace it. A directory or a path under a
    file was refused before the model loaded (:func:`_refuse_unwritable_place`).
    """
    target = path.resolve() if path.is_symlink() else path
    if target.exists() and not target.is_file():
        try:
            with target.open("w", encoding="utf-8", newline="") as stream:
                yield stream
        except OSError as error:
            raise _cannot_write(path, error) from error
        return
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        with replaced_on_success(target) as handle:
            yield handle
    except OSError as error:
        raise _cannot_write(path, error) from error


def _likely_text_column(frame: pd.DataFrame) -> str | None:
    """The column whose values are longest on average: where an export keeps the complaint.

    SP4N-LAPOR! and regional exports name it differently (isi_laporan,
    isi_pengaduan, keluhan, ...); the longest values are the free text.
    """
    if frame.empty:
        return None
    lengths = {
        str(name): float(frame.iloc[:, index].astype(str).str.len().mean())
        for index, name in enumerate(frame.columns)
    }
    best = max(lengths, key=lambda name: lengths[name])
    return best if lengths[best] >= 20 else None


def _cannot_write(path: Path, error: OSError) -> InputError:
    return InputError(f"cannot write {path}: {error.strerror or error}; nothing was written")


def _model_row(prediction: Prediction) -> dict[str, object]:
    values: dict[str, object] = {}
    for head in HEADS:
        values[head] = prediction.label(head)
        values[f"{head}_confidence"] = round(prediction.confidence(head), 4)
    return values


def _decision_columns(decision: Decision) -> dict[str, object]:
    return {
        "needs_review": decision.needs_review,
        "review_reasons": "; ".join(decision.reasons) if decision.needs_review else "",
        "possible_emergency": decision.possible_emergency,
    }


def _router(
    classifier: Classifier,
    region: Region | None,
    overrides: Mapping[str, float],
    notify: Callable[[str], None],
) -> Callable[[Prediction, str], dict[str, object]]:
    """(prediction, title+text) → output row, as the model decides alone or as ``region`` routes."""
    if region is None:
        # With the generic region's thresholds, as the model measured them: rows
        # of unknown origin may come from a region the model has no history of.
        # No region file is read (--region default applies default.yaml too).
        generic = thresholds_for_region(
            GENERIC_REGION, classifier.thresholds, classifier.region_thresholds, overrides
        )
        reason = why_agency_routes_nothing(GENERIC_REGION, classifier.region_thresholds)
        if reason:
            routable = sorted(
                code
                for code, measured in (classifier.region_thresholds or {}).items()
                if measured.get("agency", 1.0) < 1.0
            )
            unseen = classifier.heads_calibrated_as_unseen(GENERIC_REGION)
            notify(
                f"without --region every row needs review, because {reason} (model "
                f"{classifier.version}); pass --region to route as the service does there"
                + (
                    f" (the model's agency routes automatically in {', '.join(routable)})"
                    if routable
                    else ""
                )
                + (
                    f"; {' and '.join(unseen)} confidences are calibrated as for a region "
                    "the model never saw"
                    if unseen
                    else ""
                )
            )

        def model_row(prediction: Prediction, document: str) -> dict[str, object]:
            decision = classifier.decide(prediction.heads, generic, prediction.emergency)
            return {**_model_row(prediction), **_decision_columns(decision)}

        return model_row
    taxonomy = load_taxonomy()
    thresholds = thresholds_for_region(
        region.code, classifier.thresholds, classifier.region_thresholds, overrides
    )
    note = strict_routing_note(region, thresholds, classifier.region_thresholds)
    if note:
        notify(f"{note} (model {classifier.version}); rows are marked as the service routes them")

    def routed_row(prediction: Prediction, document: str) -> dict[str, object]:
        routed = route_prediction(prediction, region, thresholds, taxonomy, document)
        return {
            **_model_row(prediction),
            "agency": routed.routing.agency,
            "agency_confidence": round(routed.agency_confidence, 4),
            **_decision_columns(routed.decision),
            "opd_name": routed.routing.opd_name or "",
            "local_office": routed.routing.local_office or "",
        }

    return routed_row
