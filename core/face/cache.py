"""Where the face model's arrays are cached, and how they are read and written.

Building Anny takes seconds (minutes the first time on a machine); the arrays
FaceModel needs fit in a ~1 MB npz. The file name carries Anny's version and our
format version, so an upgrade of either rebuilds instead of reading stale data.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np

from core.atomic_write import atomic_write
from core.cache_folder import musicface_cache_root

# Bump when the set or meaning of the cached arrays changes.
FORMAT_VERSION = 2


def cache_dir() -> Path:
    return musicface_cache_root()


def cache_path(anny_version: str, directory: Path | None = None) -> Path:
    safe_version = "".join(c if c.isalnum() or c in ".-" else "_" for c in anny_version)
    return (directory or cache_dir()) / f"face_anny-{safe_version}_v{FORMAT_VERSION}.npz"


def read_arrays(path: Path) -> dict[str, np.ndarray] | None:
    """The cached arrays, or None when the file is missing or unreadable."""
    try:
        with np.load(path, allow_pickle=False) as data:
            return {key: data[key] for key in data.files}
    except (OSError, ValueError, EOFError, zipfile.BadZipFile):
        return None


def write_arrays(path: Path, arrays: dict[str, np.ndarray]) -> None:
    """Write atomically, so concurrent runs never read a half-written cache."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_write(path) as stream:
        np.savez_compressed(stream, **arrays)
