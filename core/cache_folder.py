"""Where MusicFace keeps what it can recompute (face arrays, separated stems, models)."""

from __future__ import annotations

import os
from pathlib import Path

CACHE_ENV = "MUSICFACE_CACHE"


def musicface_cache_root() -> Path:
    """$MUSICFACE_CACHE, else $XDG_CACHE_HOME/musicface, else ~/.cache/musicface."""
    if os.environ.get(CACHE_ENV):
        return Path(os.environ[CACHE_ENV]).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "musicface"
