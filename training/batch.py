"""Batch classification of a CSV file (``salur classify``)."""

from __future__ import annotations

import csv
import os
import tempfile
import warnings
from collections.abc import Callable
from pathlib import Path

import pandas as pd
from salur.model.artifact import ModelLoadError
from salur.model.classifier import Classifier, Prediction
from salur.model.pipeline import HEADS
from salur.model.regions import Region
from salur.model.routing import route_prediction
from salur.model.taxonomy import load_taxonomy
from salur.model.text import readable_word_count

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
]


class InputError(ValueError):
    """The input cannot be classified as given; the message says why."""


DELIMITERS = (",", ";", "\t", "|")


# A header without any separator is a one-column file: its rows are read whole,
# since Excel does not quote the commas of a lone text column.
ONE_COLUMN = "\x1f"


def detect_delimiter(path: Path) -> str:
    """The separator of the header row: Excel in an Indonesian locale saves ';'.

    Only the header is looked at, because complaint texts are full of commas.
    """
    with path.open("rb") as handle:
        header = handle.readline().decode("utf-8-sig", errors="replace")
    counts = {delimiter: header.count(delimiter) for delimiter in DELIMITERS}
    best = max(counts, key=lambda delimiter: counts[delimiter])
    return best if counts[best] > 0 else ONE_COLUMN


def read_input(path: Path, text_column: str, title_column: str | None) -> pd.DataFrame:
    if not path.is_file():
        raise InputError(f"input file {path} not found")
    if path.stat().st_size == 0:
        raise InputError(f"input file {path} is empty")
    separator = detect_delimiter(path)
    try:
        with warnings.catch_warnings():
            # More fields in a row than in the header would otherwise shift
            # columns silently (pandas takes the first as an index).
            warnings.simplefilter("error", pd.errors.ParserWarning)
            frame = pd.read_csv(
                path,
                dtype=str,
                keep_default_na=False,
                encoding="utf-8-sig",
                sep=separator,
                index_col=False,
            )
    except pd.errors.ParserWarning as error:
        raise InputError(
            f"{path}: some rows have more fields than the header; quote texts that contain "
            f"the separator {separator!r} ({error})"
        ) from error
    except UnicodeDecodeError as error:
        raise InputError(
            f"{path} is not valid UTF-8 (byte {error.start}); re-save it as UTF-8 CSV"
        ) from error
    except pd.errors.EmptyDataError as error:
        raise InputError(f"input file {path} has no header row") from error
    except (pd.errors.ParserError, csv.Error) as error:
        raise InputError(f"{path} is not a readable CSV: {error}") from error
    for column in [text_column, title_column]:
        if column and column not in frame.columns:
            raise InputError(
                f"column {column!r} not found in {path}; columns are: {', '.join(frame.columns)}"
            )
    clash = [c for c in OUTPUT_COLUMNS if c in frame.columns]
    if clash:
        raise InputError(f"{path} already has output columns {', '.join(clash)}; rename them")
    return frame


def classify_csv(
    input_path: Path,
    output_path: Path,
    text_column: str,
    title_column: str | None,
    model_dir: Path,
    batch_size: int = 512,
    show_progress: bool = True,
    region: Region | None = None,
) -> int:
    """Write ``output_path`` atomically: all input columns plus predictions.

    With a ``region`` every row is routed as the service routes it there: the
    region's category overrides decide the agency, its thresholds decide
    ``needs_review``, and an ``opd_name`` column gives the region's own office.
    """
    frame = read_input(input_path, text_column, title_column)
    if region is not None and "opd_name" in frame.columns:
        raise InputError(f"{input_path} already has an opd_name column; rename it")
    try:
        classifier = Classifier.load(model_dir)
    except ModelLoadError as error:
        raise InputError(str(error)) from error
    missing_heads = [h for h in HEADS if h not in classifier.heads]
    if missing_heads:
        raise InputError(f"model {classifier.version} has no head(s) {', '.join(missing_heads)}")
    texts = frame[text_column].tolist()
    titles = frame[title_column].tolist() if title_column else [None] * len(frame)
    # A row without a readable word in its title or text gets no labels (a
    # guess from nothing would read like an answer) and goes to review.
    readable = [
        readable_word_count(f"{title or ''} {text}") > 0
        for title, text in zip(titles, texts, strict=True)
    ]
    columns = [*OUTPUT_COLUMNS, "opd_name"] if region is not None else OUTPUT_COLUMNS
    results: dict[str, list[object]] = {column: [] for column in columns}
    route = _router(classifier, region)

    from rich.progress import Progress

    with Progress(disable=not show_progress, transient=True) as progress:
        task = progress.add_task("classifying", total=len(frame))
        for start in range(0, len(frame), batch_size):
            chunk = slice(start, start + batch_size)
            predictions = classifier.predict(texts[chunk], titles[chunk], explain=False)
            for prediction, has_words in zip(predictions, readable[chunk], strict=True):
                row = route(prediction) if has_words else {"needs_review": True}
                for column in columns:
                    results[column].append(row.get(column))
            progress.advance(task, len(texts[chunk]))
    for column in columns:
        frame[column] = results[column]
    output_path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=output_path.parent, prefix=f".{output_path.name}.")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            frame.to_csv(handle, index=False)
        os.replace(tmp, output_path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return len(frame)


def _model_row(prediction: Prediction) -> dict[str, object]:
    values: dict[str, object] = {}
    for head in HEADS:
        values[head] = prediction.label(head)
        values[f"{head}_confidence"] = round(prediction.confidence(head), 4)
    values["needs_review"] = prediction.decision.needs_review
    return values


def _router(
    classifier: Classifier, region: Region | None
) -> Callable[[Prediction], dict[str, object]]:
    """Prediction → output row, as the model decides alone or as ``region`` routes."""
    if region is None:
        return _model_row
    taxonomy = load_taxonomy()

    def routed_row(prediction: Prediction) -> dict[str, object]:
        routed = route_prediction(prediction, region, classifier.thresholds, taxonomy)
        return {
            **_model_row(prediction),
            "agency": routed.routing.agency,
            "agency_confidence": round(routed.agency_confidence, 4),
            "needs_review": routed.decision.needs_review,
            "opd_name": routed.routing.opd_name or "",
        }

    return routed_row
