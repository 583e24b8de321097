"""Writing a file so that a crash or an error never leaves half of it in place.

The one writer for every file salur replaces (model versions, PROMOTED,
exports, batch outputs, annotation tables); in model/ because the service and
training both write files and both may import from here.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TextIO


def _process_umask() -> int:
    # Reading the umask means setting it; done once, at import, before any
    # thread could create a file under the momentary 0.
    umask = os.umask(0)
    os.umask(umask)
    return umask


_UMASK = _process_umask()


@contextmanager
def replaced_on_success(path: Path, mode: int | None = None) -> Iterator[TextIO]:
    """A text handle on a new file beside ``path`` that replaces it only if the block succeeds.

    The new file is on disk (fsync) before the rename, so a crash leaves the
    old file or the new one, never a torn one. It takes the mode of the file it
    replaces, or the mode any new file gets here: mkstemp's private 0600 would
    quietly lock others out of a shared output or gold set. Errors of the file
    system are raised as they come; the temporary file never outlives the call.
    ``mode`` sets the permission bits outright (a model version a service user
    must read, whatever the umask).
    """
    fd, draft = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".draft")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            os.chmod(draft, mode_for(path) if mode is None else mode)
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(draft, path)
    finally:
        Path(draft).unlink(missing_ok=True)


def mode_for(path: Path) -> int:
    """The permission bits of ``path`` if it exists, else those a new file gets under the umask."""
    if path.exists():
        return path.stat().st_mode & 0o777
    return 0o666 & ~_UMASK
