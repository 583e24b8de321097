"""A region's own complaint history, as training rows (``salur import-history``).

A desk that has forwarded complaints for years holds labels the project lacks:
where *this* region sends each subject. Its export names offices in its own
words ("DINAS PU BINA MARGA", "Dinas Pekerjaan Umum"), so, as for the bundled
data, every raw name goes through a reviewed mapping table
(``head,raw_name,code``) onto the taxonomy codes, never through guesswork at
training time. Names the table lacks stop the import with the table written
out again, the new names added with a suggested code beside an empty ``code``
for someone who knows the region's duties to fill in.
"""

from __future__ import annotations

import codecs
import csv
import difflib
import re
from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from salur.model.files import replaced_on_success
from salur.model.pipeline import CORRECTION_COLUMNS, HEADS
from salur.model.regions import Region
from salur.model.taxonomy import Taxonomy
from salur.model.text import compose_document
from salur.training.batch import (
    InputError,
    decode_input,
    detect_delimiter,
    first_line,
    read_input,
)
from salur.training.dataset import row_digests
from salur.training.sources import HISTORY_SOURCE_PREFIX, dedup_key

MAPPING_COLUMNS = ("head", "raw_name", "rows", "code", "suggested")
# The code of a name reviewed as saying nothing ("Tidak Diketahui"): its rows
# stay unlabelled. An empty code is a name nobody has reviewed yet.
NO_CODE = "-"
# Between the typical names of an agency in the taxonomy: "Dinas Lingkungan
# Hidup, DLH", "... Satu Pintu (DPMPTSP)", "PDAM / Perumdam".
_TYPICAL_NAME_SEPARATORS = re.compile(r"[,;()/]")
# A label column whose values are this long is complaint text, not office names.
LONGEST_TYPICAL_LABEL = 80


class UnmappedNames(InputError):
    """Raw label values the mapping lacks; the mapping was written out for review."""


@dataclass(frozen=True)
class ImportResult:
    rows: int
    labelled: dict[str, int]
    duplicates: int
    conflicting: int
    # Rows without a text, or whose names all map to "says nothing" or are empty.
    unlabelled: int = 0


def _codes(taxonomy: Taxonomy) -> dict[str, list[str]]:
    """The taxonomy codes of each head an export can carry: where a complaint went, and
    what it was about."""
    return {"agency": list(taxonomy.agencies), "category": list(taxonomy.categories)}


def _folded(value: str) -> str:
    return " ".join(str(value).casefold().split())


@dataclass(frozen=True)
class MappingRow:
    head: str
    raw_name: str
    code: str
    suggested: str = ""
    rows: int = 0


def read_mapping(path: Path, taxonomy: Taxonomy) -> list[MappingRow]:
    """The rows of a mapping table; every code must be a taxonomy code, ``-`` or empty."""
    # Read as every other input is: the table is edited in a spreadsheet, and
    # Excel in an Indonesian locale saves it with ';' (or as UTF-16 text).
    try:
        frame = read_input(path, "", None)
    except InputError as error:
        raise InputError(f"mapping: {error}") from error
    missing = [column for column in ("head", "raw_name", "code") if column not in frame]
    if missing:
        raise InputError(f"mapping {path}: no column(s) {', '.join(missing)}")
    known = {head: set(codes) for head, codes in _codes(taxonomy).items()}
    rows = []
    for line, row in enumerate(frame.to_dict("records"), start=2):
        head, code = str(row["head"]).strip(), str(row["code"]).strip()
        if head not in known:
            raise InputError(
                f"mapping {path}, line {line}: head {head!r} is not agency or category"
            )
        if code not in ("", NO_CODE) and code not in known[head]:
            raise InputError(
                f"mapping {path}, line {line}: {code!r} is not a taxonomy {head} code "
                f"(or {NO_CODE!r} for a name that says nothing)"
            )
        rows.append(MappingRow(head, str(row["raw_name"]), code, str(row.get("suggested", ""))))
    return rows


def seeded_mapping(region: Region, taxonomy: Taxonomy) -> dict[str, dict[str, str]]:
    """What needs no review: the region file's own OPD names, and values that are codes.

    A name the region file gives two codes (one office with two duties) is
    left for review rather than mapped to whichever came last.
    """
    codes_of: dict[str, set[str]] = defaultdict(set)
    for code, name in region.opds.items():
        codes_of[_folded(name)].add(code)
    agency = {name: next(iter(codes)) for name, codes in codes_of.items() if len(codes) == 1}
    codes = _codes(taxonomy)
    agency.update({code: code for code in codes["agency"]})
    return {"agency": agency, "category": {code: code for code in codes["category"]}}


def import_history(
    input_path: Path,
    output_path: Path,
    region: Region,
    taxonomy: Taxonomy,
    columns: Mapping[str, str],
    text_column: str = "text",
    title_column: str | None = None,
    mapping_path: Path | None = None,
    notify: Callable[[str], None] = lambda message: None,
) -> ImportResult:
    """Write ``input_path``'s complaints as labelled training rows of ``region``.

    ``columns`` names the input column of each imported head. Raises
    :class:`UnmappedNames` after writing the whole mapping, reviewed rows and
    new names, to ``mapping_path`` or ``<input>.mapping-draft.csv``, when a
    raw value has no reviewed code.
    """
    for head, column in columns.items():
        if column in (text_column, title_column):
            raise InputError(
                f"--{head}-column {column!r} is the text or title column; give the column "
                "that names the office (or category) of each complaint"
            )
    frame = read_input(
        input_path, text_column, title_column, notify, other_columns=list(columns.values())
    )
    for head, column in columns.items():
        lengths = frame[column].str.len()
        if len(frame) and lengths.median() > LONGEST_TYPICAL_LABEL:
            # Its values would become mapping rows: complaint texts, names and NIK
            # written to a table meant to be kept with the region's files.
            raise InputError(
                f"column {column!r} holds long texts (median {int(lengths.median())} "
                f"characters), not {head} names; nothing was written"
            )
    draft = input_path.with_name(f"{input_path.stem}.mapping-draft.csv")
    if mapping_path is None and draft.is_file():
        # A second run of the first command must not write an empty draft over
        # the codes someone has filled in since.
        notify(f"reading the codes reviewed so far from {draft} (the draft of the last run)")
        mapping_path = draft
    reviewed = read_mapping(mapping_path, taxonomy) if mapping_path is not None else []
    mapping = seeded_mapping(region, taxonomy)
    for row in reviewed:
        if row.code:
            mapping[row.head][_folded(row.raw_name)] = "" if row.code == NO_CODE else row.code
    unmapped: dict[tuple[str, str], tuple[str, int]] = {}
    counts: dict[tuple[str, str], int] = defaultdict(int)
    for head, column in columns.items():
        for raw, n in frame[column].map(str.strip).value_counts().items():
            key = (head, _folded(raw))
            counts[key] += int(n)
            if raw and key[1] not in mapping[head]:
                first, seen = unmapped.get(key, (raw, 0))
                unmapped[key] = (first, seen + int(n))
    if unmapped:
        table = mapping_path or draft
        _write_mapping(table, reviewed, unmapped, counts, region, taxonomy)
        rows = sum(n for _, n in unmapped.values())
        raise UnmappedNames(
            f"{len(unmapped)} raw value(s) in {rows} row(s) have no reviewed code: fill in "
            f"the empty 'code' cells of {table} (a taxonomy code, or {NO_CODE!r} for a name "
            "that says nothing; 'suggested' is only a guess), then run again with --mapping "
            f"{table}; nothing was written to {output_path}"
        )
    texts = frame[text_column].fillna("")
    titles = frame[title_column].fillna("") if title_column else pd.Series("", index=frame.index)
    out = pd.DataFrame(
        {
            "source": f"{HISTORY_SOURCE_PREFIX}{region.code}",
            "source_id": [str(n) for n in range(1, len(frame) + 1)],
            "region": region.code,
            "title": titles.to_numpy(),
            "text": texts.to_numpy(),
            "submitted_at": "",
            "channel": "",
        }
    )
    for head in HEADS:
        if head in columns:
            raw = frame[columns[head]].map(lambda value: _folded(value.strip()))
            out[head] = raw.map(lambda value, h=head: mapping[h].get(value, "")).to_numpy()
        else:
            out[head] = ""
    # Rows with no text, or no label any head could learn from, teach nothing.
    readable = [bool(compose_document(t, x).strip()) for t, x in zip(titles, texts, strict=True)]
    teaching = readable & (out[list(columns)] != "").any(axis=1).to_numpy()
    unlabelled = int((~teaching).sum())
    out = out[teaching]
    key = dedup_key(out["title"], out["text"])
    # The same complaint twice: kept once; where its copies disagree on a label,
    # not at all (which office is right is not for the import to guess).
    labels_per_key = out.groupby(key.to_numpy())[list(columns)].nunique()
    conflicting_keys = set(labels_per_key.index[(labels_per_key > 1).any(axis=1)])
    conflicting = key.isin(conflicting_keys)
    duplicates = int((key.duplicated() & ~conflicting).sum())
    out = out[~key.duplicated() & ~conflicting]
    # The short text digest a model records of the rows it trained on.
    out["uid"] = f"{HISTORY_SOURCE_PREFIX}{region.code}:" + row_digests(out)
    if out.empty:
        raise InputError(f"{input_path}: no row has a label after mapping; nothing was written")
    output_path.parent.mkdir(parents=True, exist_ok=True)
    # Unmasked complaint texts: private to the owner, like a corrections export.
    with replaced_on_success(output_path, mode=None if output_path.exists() else 0o600) as handle:
        out[list(CORRECTION_COLUMNS)].to_csv(handle, index=False)
    labelled = {head: int((out[head] != "").sum()) for head in columns}
    return ImportResult(len(out), labelled, duplicates, int(conflicting.sum()), unlabelled)


def _written_as(path: Path) -> tuple[str, str]:
    """The separator and encoding to write ``path`` back in, as its editor saved it.

    A table saved from Excel in an Indonesian locale (';', a byte-order mark or
    UTF-16) is written back with ';' and a UTF-8 byte-order mark, which Excel
    opens with the same columns and characters.
    """
    if not path.is_file():
        return ",", "utf-8"
    head = path.read_bytes()[:4]
    text = decode_input(path)
    separator = detect_delimiter(first_line(text))
    marked = head.startswith((codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE))
    return (separator if separator in (",", ";", "\t") else ","), (
        "utf-8-sig" if marked else "utf-8"
    )


def _write_mapping(
    path: Path,
    reviewed: list[MappingRow],
    unmapped: Mapping[tuple[str, str], tuple[str, int]],
    counts: Mapping[tuple[str, str], int],
    region: Region,
    taxonomy: Taxonomy,
) -> None:
    """The whole table: the rows already there, then each new name with a suggestion.

    ``rows`` is how many complaints of this input carry each name, for the
    reviewed names too (empty where this input has none).
    """
    codes = _codes(taxonomy)
    names = {
        # The taxonomy's typical names ("DLH", "Disdukcapil", "DPMPTSP"), then the
        # region's own OPD names, which win.
        "agency": {
            **{
                _folded(name): code
                for code, label in taxonomy.agencies.items()
                for name in _TYPICAL_NAME_SEPARATORS.split(label.description or "")
                # Not the "Perumdam Tirta ..." pattern, nor a remark about routing.
                if name.strip() and "..." not in name and len(name.split()) <= 8
            },
            **{_folded(name): code for code, name in region.opds.items()},
        },
        "category": {_folded(label.name): code for code, label in taxonomy.categories.items()},
    }
    listed = {(row.head, _folded(row.raw_name)) for row in reviewed}
    rows = [
        {
            "head": r.head,
            "raw_name": r.raw_name,
            "rows": counts.get((r.head, _folded(r.raw_name)), ""),
            "code": r.code,
            "suggested": r.suggested,
        }
        for r in reviewed
    ]
    for (head, folded), (raw, n) in sorted(unmapped.items(), key=lambda item: -item[1][1]):
        if (head, folded) in listed:
            continue  # already in the table, waiting for its code
        suggestion = _suggestion(raw, codes[head], names[head])
        rows.append({"head": head, "raw_name": raw, "rows": n, "code": "", "suggested": suggestion})
    try:
        separator, encoding = _written_as(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        with replaced_on_success(path, mode=None if path.exists() else 0o600) as handle:
            if encoding == "utf-8-sig":
                handle.write("\ufeff")
            writer = csv.DictWriter(handle, fieldnames=MAPPING_COLUMNS, delimiter=separator)
            writer.writeheader()
            writer.writerows(rows)
    except OSError as error:
        raise InputError(f"cannot write the mapping {path}: {error.strerror or error}") from error


def _suggestion(raw: str, codes: list[str], names: Mapping[str, str]) -> str:
    """A code to review for ``raw``: one it spells out ("Dispendukcapil" holds "dukcapil"),
    else the one whose name or code reads closest, else none."""
    folded = _folded(raw)
    squeezed = folded.replace(" ", "")
    inside = [code for code in codes if code.replace("_", "") in squeezed]
    if inside:
        return max(inside, key=len)
    readable = {**{code.replace("_", " "): code for code in codes}, **names}
    close = difflib.get_close_matches(folded, list(readable), n=1, cutoff=0.6)
    return readable[close[0]] if close else ""
