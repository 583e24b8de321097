"""The labelled training frame and its deterministic splits."""

from __future__ import annotations

import difflib
import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from salur.model.pipeline import CORRECTION_COLUMNS, HEADS
from salur.model.text import compose_document
from salur.training.labels import apply_mappings, attach_urgency_gold
from salur.training.sources import dedup_key, load_all


@dataclass(frozen=True)
class DataPaths:
    root: Path

    @property
    def raw(self) -> Path:
        return self.root / "raw"

    @property
    def mappings(self) -> Path:
        return self.root / "mappings"

    @property
    def urgency_gold(self) -> Path:
        return self.root / "annotations" / "urgency_gold.csv"

    @property
    def corrections(self) -> Path:
        return self.root / "corrections"


class DataError(ValueError):
    """The training data cannot be read as given; the message says which folder or file."""


def load_labelled(data_dir: Path, sources: list[str] | None = None) -> pd.DataFrame:
    """All deduplicated rows with one taxonomy-code column per head."""
    paths = DataPaths(data_dir)
    missing = [p for p in (paths.raw, paths.mappings) if not p.is_dir()]
    if missing:
        raise DataError(
            f"data folder {data_dir} has no {' or '.join(p.name + '/' for p in missing)}: "
            "data_dir must be the project's datasets/ folder or one laid out like it"
        )
    frame = load_all(paths.raw, sources)
    frame = apply_mappings(frame, paths.mappings)
    frame = attach_urgency_gold(frame, paths.urgency_gold)
    frame["document"] = [
        compose_document(title, text)
        for title, text in zip(frame["title"], frame["text"], strict=True)
    ]
    return frame


def with_suggestions(unknown: list[str], known: Iterable[str]) -> str:
    """Each unknown name quoted, with the closest known one: "'agensy' (did you mean 'agency'?)"."""
    named = []
    for name in unknown:
        close = difflib.get_close_matches(name, list(known), n=1)
        named.append(f"{name!r}" + (f" (did you mean {close[0]!r}?)" if close else ""))
    return ", ".join(named)


class CorrectionsError(DataError):
    """The corrections cannot be trained on as given; the message says which file and why."""


def load_corrections(directory: Path) -> pd.DataFrame:
    """Admin-reviewed rows exported by ``salur export-corrections`` (same shape).

    Asked for and not there is an error, not a quiet training without them;
    every label must be a taxonomy code (a typo would become a class the
    service answers with).
    """
    files = sorted(directory.glob("*.csv")) if directory.is_dir() else []
    if not files:
        raise CorrectionsError(
            f"no corrections in {directory}: put the file written by "
            "`salur export-corrections` there, or train without --with-corrections"
        )
    frames = []
    for path in files:
        try:
            frame = pd.read_csv(path, dtype=str, keep_default_na=False)
        except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as error:
            raise CorrectionsError(f"{path}: not a readable CSV ({error})") from error
        missing = [column for column in ("text", "region") if column not in frame]
        if missing:
            raise CorrectionsError(
                f"{path}: no column(s) {', '.join(missing)} "
                f"(read {len(frame.columns)} column(s) separated by commas, as "
                "`salur export-corrections` writes them)"
            )
        unknown = [column for column in frame.columns if column not in CORRECTION_COLUMNS]
        if unknown:
            # A renamed label column would quietly teach nothing.
            raise CorrectionsError(
                f"{path}: unknown column(s) {with_suggestions(unknown, CORRECTION_COLUMNS)}"
            )
        if frame.empty:
            raise CorrectionsError(f"{path}: no reviewed rows")
        for column in ("title", *HEADS):
            if column not in frame:
                frame[column] = ""
        _check_codes(frame, path)
        frames.append(frame)
    return _with_documents(pd.concat(frames, ignore_index=True))


def _check_codes(frame: pd.DataFrame, path: Path) -> None:
    from salur.model.taxonomy import load_taxonomy

    known = load_taxonomy().codes_by_head()
    for head, codes in known.items():
        values = frame[head]
        wrong = values[(values != "") & ~values.isin(codes)]
        if not wrong.empty:
            # Row numbers as a spreadsheet shows them (header is row 1).
            row = int(wrong.index[0]) + 2
            raise CorrectionsError(
                f"{path}: {len(wrong)} {head} label(s) are not taxonomy codes, "
                f"e.g. {wrong.iloc[0]!r} in row {row}"
            )


def load_corrections_file(path: Path) -> pd.DataFrame:
    """One labelled file in the training shape; missing head columns count as unlabelled."""
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    except FileNotFoundError as error:
        raise DataError(f"held-out file {path} not found") from error
    except (OSError, pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as error:
        raise DataError(f"{path}: not a readable UTF-8 CSV ({error})") from error
    if "text" not in frame:
        raise DataError(
            f"{path}: no text column (the training shape: title, text, {', '.join(HEADS)})"
        )
    for column in ("title", *HEADS):
        if column not in frame:
            frame[column] = ""
    if not (frame[list(HEADS)] != "").to_numpy().any():
        raise DataError(f"{path}: no labelled rows (no {', '.join(HEADS)} column with a value)")
    _check_codes(frame, path)
    return _with_documents(frame)


def _with_documents(frame: pd.DataFrame) -> pd.DataFrame:
    frame["document"] = [
        compose_document(title, text)
        for title, text in zip(frame["title"], frame["text"], strict=True)
    ]
    return frame


def row_digests(frame: pd.DataFrame) -> pd.Series:
    """A short digest of each row's folded title+text: how a model records rows it trained on.

    Exports are cumulative, so a newer export offered as held-out data holds
    the rows an earlier one taught; the digests let evaluation leave those out.
    """
    keys = dedup_key(frame["title"], frame["text"])
    return keys.map(lambda key: hashlib.sha256(key.encode("utf-8")).hexdigest()[:16])


def stable_fraction(keys: pd.Series) -> np.ndarray:
    """A number in [0, 1) per row that depends only on the row's text.

    Splits made from it are the same on every machine and for every version of
    the data: adding rows never moves an old row from train to test.
    """
    return np.array(
        [int(hashlib.sha256(key.encode("utf-8")).hexdigest()[:8], 16) / 16**8 for key in keys]
    )


def random_split(frame: pd.DataFrame, test_share: float) -> pd.Series:
    """'train' / 'test' per row, from the text hash."""
    fraction = stable_fraction(dedup_key(frame["title"], frame["text"]))
    return pd.Series(np.where(fraction < test_share, "test", "train"), index=frame.index)


def label_matrix(frame: pd.DataFrame, heads: tuple[str, ...] = HEADS) -> np.ndarray:
    return frame[list(heads)].fillna("").to_numpy(dtype=object)


def data_hash(frame: pd.DataFrame) -> str:
    """SHA-256 over documents and labels, in a stable order."""
    digest = hashlib.sha256()
    columns = ["uid", "document", *HEADS]
    for row in frame[columns].sort_values("uid").itertuples(index=False):
        digest.update("\x1f".join(map(str, row)).encode("utf-8"))
        digest.update(b"\x1e")
    return digest.hexdigest()
