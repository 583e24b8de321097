from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DATASETS = PROJECT_ROOT / "datasets"


@pytest.fixture(scope="session")
def small_frame() -> pd.DataFrame:
    """~600 real labelled complaints: enough for every head to have classes."""
    from salur.training.dataset import load_labelled

    frame = load_labelled(DATASETS, ["surabaya", "bandung"])
    agency = frame[frame["agency"].isin(["pupr", "sosial", "lingkungan_hidup", "dukcapil"])]
    picked = agency.groupby("agency").head(100)
    bandung = frame[(frame["source"] == "bandung") & (frame["report_type"] != "")].head(150)
    gold = frame[frame["urgency"] != ""].head(200)
    return pd.concat([picked, bandung, gold]).drop_duplicates("uid").reset_index(drop=True)


@pytest.fixture(scope="session")
def small_params() -> dict:
    return {
        "word_max_features": 5000,
        "char_max_features": 5000,
        "min_class_count": 5,
        "calibration_folds": 2,
    }


@pytest.fixture(scope="session")
def fitted_small(small_frame, small_params):
    from salur.training.train import fit_pipeline, trainable_heads

    return fit_pipeline(small_frame, small_params, trainable_heads(small_frame))


@pytest.fixture(autouse=True)
def isolated_database(tmp_path, monkeypatch):
    """No test writes to the repository's var/ database."""
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path}/default.db")
    monkeypatch.delenv("SALUR_DATABASE_URL", raising=False)
