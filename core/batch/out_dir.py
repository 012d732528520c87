"""OUT_DIR belongs to one batch at a time, and only to batches.

A batch replaces the files it made when their settings change, so it must never write
into a folder of someone else's: an existing OUT_DIR must be empty or carry the marker
a batch leaves. The marker is also the lock (flock) that keeps a second batch out while
one runs, since two would sweep each other's partial files.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path
from typing import IO

from core.errors import BadInput

MARKER = ".musicface-batch"


def claim(out: Path) -> IO[str]:
    """Create or reopen `out` for a batch; the open marker holds the lock until closed."""
    if out.exists() and not out.is_dir():
        raise BadInput(f"the output must be a folder: {out}")
    if not out.parent.resolve().is_dir():
        raise BadInput(f"output folder's parent does not exist: {out.parent}")
    marker = out / MARKER
    if out.is_dir() and not marker.is_file() and any(out.iterdir()):
        raise BadInput(f"{out} holds files that musicface batch did not make: choose a new folder")
    try:
        out.mkdir(exist_ok=True)
        handle = open(marker, "a", encoding="utf-8")  # noqa: SIM115 - held open as the lock
    except OSError as err:
        raise BadInput(f"cannot write to {out}: {err.strerror or err}") from err
    try:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError as err:
        handle.close()
        raise BadInput(f"another musicface batch is writing into {out}") from err
    handle.write(f"{os.getpid()}\n")
    handle.flush()
    return handle
