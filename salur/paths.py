"""Where the bundled default model and training config live."""

from __future__ import annotations

import os
from importlib import resources
from pathlib import Path

from salur.model.artifact import DEFAULT_MODEL_DIR


def default_model_dir() -> Path:
    """``SALUR_MODEL_DIR`` if set, else the model shipped in ``models/default``."""
    configured = os.environ.get("SALUR_MODEL_DIR")
    return Path(configured) if configured else DEFAULT_MODEL_DIR


def default_config_path() -> Path:
    return Path(str(resources.files("salur.training") / "configs" / "default.yaml"))
