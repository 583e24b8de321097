"""A model version is a folder: pipeline, metadata.json, model card.

The pipeline is a joblib file, and joblib (pickle) executes code on load, so
the file's SHA-256 recorded in ``metadata.json`` is checked before loading.
``metadata.json`` also holds every routing decision (thresholds, confidence
maps, the emergency alert), so a deployment pins the SHA-256 of that file
(``expected_sha256``): it covers the thresholds directly and the pipeline
through the hash recorded in it.
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import tempfile
from pathlib import Path
from typing import Any

import joblib
from salur.model.files import replaced_on_success

log = logging.getLogger(__name__)

# Model versions live in the project checkout's models/ (``pip install -e .``):
# default/ is the bundled model; PROMOTED names the version `salur promote` chose.
MODELS_ROOT = Path(__file__).resolve().parent.parent / "models"
DEFAULT_MODEL_DIR = MODELS_ROOT / "default"
PROMOTED_NAME = "PROMOTED"


def served_model_dir(models_root: Path = MODELS_ROOT) -> Path:
    """The promoted version if one was promoted, else the bundled default."""
    pointer = models_root / PROMOTED_NAME
    if pointer.is_file():
        name = pointer.read_text(encoding="utf-8").strip()
        if name:
            return models_root / name
    return models_root / "default"


PIPELINE_FILE = "pipeline.joblib"
METADATA_FILE = "metadata.json"
CARD_FILE = "MODEL_CARD.md"


class ModelLoadError(RuntimeError):
    """The model folder is missing, incomplete, or does not match its hash."""


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _write_text(path: Path, text: str) -> None:
    # Readable by a service running as another user, whatever the umask.
    with replaced_on_success(path, mode=0o644) as handle:
        handle.write(text)


def save_model(
    pipeline: Any, metadata: dict[str, Any], card: str, directory: Path, overwrite: bool = False
) -> Path:
    """Write a version folder; an existing version is never overwritten."""
    if directory.exists() and any(directory.iterdir()) and not overwrite:
        raise FileExistsError(f"model version {directory} already exists")
    staging = Path(tempfile.mkdtemp(dir=directory.parent, prefix=f".{directory.name}."))
    staging.chmod(0o755)  # mkdtemp's 0700 would hide the model from a service user
    joblib.dump(pipeline, staging / PIPELINE_FILE, compress=("lzma", 3))
    full = {**metadata, "pipeline_sha256": sha256_file(staging / PIPELINE_FILE)}
    _write_text(staging / METADATA_FILE, json.dumps(full, indent=2, ensure_ascii=False))
    _write_text(staging / CARD_FILE, card)
    if directory.exists():
        for child in directory.iterdir():
            child.unlink()
        directory.rmdir()
    staging.rename(directory)
    return directory


def read_metadata(directory: Path) -> dict[str, Any]:
    return metadata_with_digest(directory)[0]


def model_digest(directory: Path) -> str:
    """The SHA-256 of a version's ``metadata.json``: the value to pin it by."""
    return metadata_with_digest(directory)[1]


def metadata_with_digest(directory: Path) -> tuple[dict[str, Any], str]:
    """The metadata and the SHA-256 of the very bytes it was parsed from."""
    path = directory / METADATA_FILE
    if not path.is_file():
        raise ModelLoadError(f"{directory}: no {METADATA_FILE} (not a model folder?)")
    raw = path.read_bytes()
    try:
        data: dict[str, Any] = json.loads(raw.decode("utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise ModelLoadError(f"{path}: unreadable metadata ({error})") from error
    if not isinstance(data, dict):
        raise ModelLoadError(f"{path}: metadata is not a JSON object")
    return data, hashlib.sha256(raw).hexdigest()


def verify_model(directory: Path, expected_sha256: str | None = None) -> dict[str, Any]:
    """Every check of :func:`load_model` short of unpickling; returns the metadata."""
    return _verified(directory, expected_sha256)[1]


def _verified(directory: Path, expected_sha256: str | None) -> tuple[bytes, dict[str, Any], str]:
    """The pipeline's bytes, the metadata and its SHA-256, once both hashes are checked.

    The pipeline is read once and loaded from those bytes, so the file cannot
    be swapped between the check and the load.
    """
    if directory.exists() and not directory.is_dir():
        raise ModelLoadError(f"model {directory} is a file; give its version folder")
    if not directory.is_dir():
        raise ModelLoadError(f"model folder {directory} does not exist")
    metadata, metadata_sha256 = metadata_with_digest(directory)
    pipeline_path = directory / PIPELINE_FILE
    if not pipeline_path.is_file():
        raise ModelLoadError(f"{directory}: no {PIPELINE_FILE}")
    pipeline_bytes = pipeline_path.read_bytes()
    recorded = metadata.get("pipeline_sha256")
    actual = hashlib.sha256(pipeline_bytes).hexdigest()
    if not recorded or actual != recorded:
        raise ModelLoadError(
            f"{pipeline_path}: SHA-256 {actual[:12]}… does not match metadata "
            f"({str(recorded)[:12]}…); refusing to load a tampered or corrupt model"
        )
    if expected_sha256:
        _check_pin(expected_sha256, directory, metadata_sha256, actual)
    return pipeline_bytes, metadata, metadata_sha256


def _check_pin(expected: str, directory: Path, metadata_sha256: str, pipeline_sha256: str) -> None:
    # Hash tools differ in case (PowerShell's Get-FileHash prints upper case).
    pin = expected.strip().lower()
    if pin == metadata_sha256:
        return
    if pin == pipeline_sha256:
        # Pins from before the metadata was covered keep working, but they
        # leave the thresholds open to a rewritten metadata.json.
        log.warning(
            "the pinned SHA-256 is the pipeline's only: a rewritten %s (thresholds, "
            "confidence maps) would go unnoticed; pin the SHA-256 of that file instead, "
            "computed where the version was trained (sha256sum models/%s/%s), not of the "
            "copy this pin could not check",
            METADATA_FILE,
            directory.name,
            METADATA_FILE,
        )
        return
    raise ModelLoadError(
        f"{directory / METADATA_FILE}: SHA-256 {metadata_sha256[:12]}… is not the pinned "
        f"{pin[:12]}…; refusing to load"
    )


def load_model(directory: Path, expected_sha256: str | None = None) -> tuple[Any, dict[str, Any]]:
    """Load a version folder after checking its hashes (see :func:`verify_model`)."""
    pipeline, metadata, _ = load_model_with_digest(directory, expected_sha256)
    return pipeline, metadata


def load_model_with_digest(
    directory: Path, expected_sha256: str | None = None
) -> tuple[Any, dict[str, Any], str]:
    """:func:`load_model`, plus the SHA-256 of the metadata bytes that were loaded."""
    pipeline_bytes, metadata, metadata_sha256 = _verified(directory, expected_sha256)
    pipeline_path = directory / PIPELINE_FILE
    try:
        pipeline = joblib.load(io.BytesIO(pipeline_bytes))
    except Exception as error:  # a corrupt file can raise almost anything
        raise ModelLoadError(f"{pipeline_path}: cannot be loaded ({error})") from error
    steps = getattr(pipeline, "named_steps", None)
    if steps is None or "classify" not in steps or "features" not in steps:
        raise ModelLoadError(
            f"{pipeline_path}: holds {type(pipeline).__name__}, not a salur pipeline"
        )
    return pipeline, metadata, metadata_sha256
