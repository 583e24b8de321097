from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
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

    return fit_pipeline(small_frame, small_params, trainable_heads(small_frame, small_params))


@pytest.fixture(scope="session")
def save_small_model(fitted_small, tmp_path_factory):
    """Save the small fitted pipeline as a model folder named ``version``, with ``meta``."""

    from salur.model.artifact import save_model

    def save(version, **meta):
        folder = tmp_path_factory.mktemp("small-models") / version
        base = {
            "version": version,
            "thresholds": {"agency": 0.5, "category": 0.5, "urgency": 0.5, "report_type": 0.5},
            "metrics": {},
        }
        return save_model(fitted_small, {**base, **meta}, "# test model", folder)

    return save


@pytest.fixture(autouse=True)
def isolated_database(tmp_path, monkeypatch):
    """No test writes to the repository's var/ database."""
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path}/default.db")
    monkeypatch.delenv("SALUR_DATABASE_URL", raising=False)
    # ... nor creates a session key file in the working tree.
    monkeypatch.setenv("SALUR_SESSION_SECRET", "test-session-secret-not-for-production")


def _postgres_admin_url() -> str:
    import os

    return os.environ.get(
        "SALUR_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
    )


@contextmanager
def _new_postgres_database() -> Iterator[str]:
    """A new, empty PostgreSQL database, dropped afterwards (skips without a server)."""
    import os
    import uuid

    from sqlalchemy import create_engine, text
    from sqlalchemy.exc import OperationalError

    admin_url = _postgres_admin_url()
    try:
        admin = create_engine(
            admin_url, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 3}
        )
        with admin.connect() as connection:
            connection.execute(text("SELECT 1"))
    except OperationalError:
        if os.environ.get("CI") and os.environ.get("SALUR_REQUIRE_POSTGRES"):
            pytest.fail(f"PostgreSQL required but not reachable at {admin_url}")
        pytest.skip(f"PostgreSQL not reachable at {admin_url}; storage tests ran on SQLite only")
    name = f"salur_test_{uuid.uuid4().hex[:10]}"
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield admin_url.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session")
def postgres_url():
    """A fresh PostgreSQL database for this test session, dropped afterwards."""
    with _new_postgres_database() as url:
        yield url


@pytest.fixture
def fresh_postgres_url():
    """A PostgreSQL database of this test alone, not yet migrated."""
    with _new_postgres_database() as url:
        yield url
