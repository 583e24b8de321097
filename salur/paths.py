"""Where the bundled default model and training config live."""

from __future__ import annotations

import os
from importlib import resources
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def default_model_dir() -> Path:
    """``SALUR_MODEL_DIR`` if set, else the model shipped in ``models/default``."""
    configured = os.environ.get("SALUR_MODEL_DIR")
    return Path(configured) if configured else PROJECT_ROOT / "models" / "default"


def default_config_path() -> Path:
    return Path(str(resources.files("salur.training") / "configs" / "default.yaml"))
