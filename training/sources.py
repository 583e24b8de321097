"""Load the raw complaint files into one frame with a common shape.

Every source keeps its publisher's raw labels (``raw_*`` columns); mapping them
onto taxonomy codes happens in :mod:`salur.training.labels` from the reviewed
tables in ``datasets/mappings``.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pandas as pd

COLUMNS = [
    "source",
    "source_id",
    "region",
    "title",
    "text",
    "submitted_at",
    "channel",
    "raw_agency",
    "raw_topic",
    "raw_category",
    "raw_report_type",
]

SOURCE_FILES = {
    "surabaya": "surabaya_mediacenter_2023.csv",
    "bandung": "kab_bandung_sp4n_2021_2023.csv",
    "jateng": "jateng_laporgub_2024_2025_tokens.csv",
    "purbalingga": "purbalingga_matur_bupati.csv",
}


def _blank(frame: pd.DataFrame) -> pd.DataFrame:
    for column in COLUMNS:
        if column not in frame:
            frame[column] = ""
    return frame[COLUMNS].fillna("").astype(str)


def load_surabaya(raw_dir: Path) -> pd.DataFrame:
    raw = pd.read_csv(raw_dir / SOURCE_FILES["surabaya"], dtype=str)
    frame = pd.DataFrame(
        {
            "source": "surabaya",
            "source_id": raw["id"],
            "region": "kota-surabaya",
            "text": raw["text"],
            "submitted_at": raw["submitted_at"],
            "channel": "app",
            "raw_agency": raw["agency"],
            "raw_topic": raw["topic"],
        }
    )
    return _blank(frame)


def load_bandung(raw_dir: Path) -> pd.DataFrame:
    raw = pd.read_csv(raw_dir / SOURCE_FILES["bandung"], dtype=str)
    frame = pd.DataFrame(
        {
            "source": "bandung",
            "source_id": raw["tracking_id"],
            "region": "kab-bandung",
            "title": raw["title"],
            "text": raw["text"],
            "submitted_at": raw["submitted_at"],
            "channel": raw["channel"],
            "raw_agency": raw["agency"],
            "raw_category": raw["category"],
            "raw_report_type": raw["report_type"],
        }
    )
    return _blank(frame)


def _tokens_to_text(tokens: str) -> str:
    # The Jawa Tengah publisher ships only stemmed token lists; joining them
    # gives the pipeline ordinary whitespace-separated text.
    try:
        parsed = ast.literal_eval(tokens)
    except (ValueError, SyntaxError):
        return ""
    return " ".join(str(token) for token in parsed)


def load_jateng(raw_dir: Path) -> pd.DataFrame:
    raw = pd.read_csv(raw_dir / SOURCE_FILES["jateng"], dtype=str)
    frame = pd.DataFrame(
        {
            "source": "jateng",
            "source_id": raw["id"].str.replace(r"\.0$", "", regex=True),
            "region": "prov-jawa-tengah",
            "text": raw["tokens"].map(_tokens_to_text),
            "channel": "web",
            "raw_category": raw["category"],
        }
    )
    return _blank(frame)


def load_purbalingga(raw_dir: Path) -> pd.DataFrame:
    raw = pd.read_csv(raw_dir / SOURCE_FILES["purbalingga"], dtype=str)
    frame = pd.DataFrame(
        {
            "source": "purbalingga",
            "source_id": raw["id"],
            "region": "kab-purbalingga",
            "text": raw["text"],
            "channel": "web",
            "raw_category": raw["category"],
        }
    )
    return _blank(frame)


LOADERS = {
    "surabaya": load_surabaya,
    "bandung": load_bandung,
    "jateng": load_jateng,
    "purbalingga": load_purbalingga,
}


# The source of rows imported from a region's own history ("history:kab-bandung"):
# salur import-history writes it, training tells those rows apart by it.
HISTORY_SOURCE_PREFIX = "history:"


def dedup_key(title: pd.Series, text: pd.Series) -> pd.Series:
    """Whitespace- and case-folded title+text, the identity used for dedup."""
    joined = title.str.cat(text, sep=" ")
    return joined.str.lower().str.replace(r"\s+", " ", regex=True).str.strip()


def load_all(raw_dir: Path, sources: list[str] | None = None) -> pd.DataFrame:
    """All sources, deduplicated on folded text within and across sources.

    Duplicates are dropped before any split, keeping the first occurrence, so
    that no text can land in both train and test.
    """
    names = sources or list(LOADERS)
    frame = pd.concat([LOADERS[name](raw_dir) for name in names], ignore_index=True)
    frame = frame[frame["text"].str.strip() != ""]
    key = dedup_key(frame["title"], frame["text"])
    frame = frame.loc[~key.duplicated(keep="first")].reset_index(drop=True)
    uid = frame["source"] + ":" + frame["source_id"]
    # A raw id can repeat for different complaints (Surabaya 169005): only the
    # first keeps the bare id, so a gold label written for it cannot attach to both.
    repeat = uid.groupby(uid).cumcount()
    frame["uid"] = uid.where(repeat == 0, uid + "#" + (repeat + 1).astype(str))
    return frame
