"""Writing a file so that a crash or an error never leaves half of it in place."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TextIO


@contextmanager
def replaced_on_success(path: Path) -> Iterator[TextIO]:
    """A text handle on a new file beside ``path`` that replaces it only if the block succeeds.

    The new file is on disk (fsync) before the rename, so a crash leaves the
    old file or the new one, never a torn one. It takes the mode of the file it
    replaces, or the mode any new file gets here: mkstemp's private 0600 would
    quietly lock others out of a shared output or gold set. Errors of the file
    system are raised as they come; the temporary file never outlives the call.
    """
    fd, draft = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".draft")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            os.chmod(draft, mode_for(path))
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
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask
