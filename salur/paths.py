"""Where the bundled default model and training config live."""

from __future__ import annotations

import os
from importlib import resources
from pathlib import Path

from salur.model.artifact import served_model_dir


def default_model_dir() -> Path:
    """``SALUR_MODEL_DIR`` if set, else the promoted version, else ``models/default``."""
    configured = os.environ.get("SALUR_MODEL_DIR")
    return Path(configured) if configured else served_model_dir()


def default_config_path() -> Path:
    return Path(str(resources.files("salur.training") / "configs" / "default.yaml"))
