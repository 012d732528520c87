"""Separation cache: the second run on the same song is instant.

A result is keyed by the song's content hash, the backend and that backend's
version (for Spleeter: the model's identity too), so a new model or a changed
algorithm never serves stale stems. Stems are stored as 16-bit PCM with a scale
(what the wav files get anyway) in an uncompressed .npz, written to a temporary
file and renamed into place, so a crash or a parallel run never leaves half a file.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path

import numpy as np

CACHE_ENV = "MUSICFACE_CACHE"


def musicface_cache_root() -> Path:
    """$MUSICFACE_CACHE, else ~/.cache/musicface (XDG_CACHE_HOME respected)."""
    if os.environ.get(CACHE_ENV):
        return Path(os.environ[CACHE_ENV]).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "musicface"


def default_cache_dir() -> Path:
    return musicface_cache_root() / "separation"


def cache_key(song_sha256: str, backend: str, version: str) -> str:
    tag = hashlib.sha256(f"{backend}\0{version}".encode()).hexdigest()[:16]
    return f"{song_sha256}-{backend}-{tag}"


def _to_pcm(audio: np.ndarray) -> tuple[np.ndarray, np.float32]:
    # A separated stem may peak a little above 1; the scale keeps it unclipped.
    scale = np.float32(max(1.0, float(np.abs(audio).max(initial=0.0))))
    return np.round(audio / scale * 32767.0).astype(np.int16), scale


def load_cached(cache_dir: Path, key: str) -> tuple[np.ndarray, np.ndarray] | None:
    """(vocals, accompaniment) float32, or None when absent or unreadable."""
    path = cache_dir / f"{key}.npz"
    try:
        with np.load(path, allow_pickle=False) as data:
            streams = []
            for name in ("vocals", "accompaniment"):
                scale = np.float32(data[f"{name}_scale"]) / np.float32(32767.0)
                streams.append(data[name].astype(np.float32) * scale)
    except (OSError, KeyError, ValueError):
        return None  # absent, or damaged by something else: recompute
    vocals, accompaniment = streams
    if vocals.shape != accompaniment.shape or vocals.ndim != 2:
        return None
    return vocals, accompaniment


def store_cached(cache_dir: Path, key: str, vocals: np.ndarray, accompaniment: np.ndarray) -> bool:
    """Write atomically; False (and no exception) when the cache is not writable,
    because a cache failure must not fail the separation the user asked for."""
    arrays: dict[str, np.ndarray] = {}
    for name, audio in (("vocals", vocals), ("accompaniment", accompaniment)):
        arrays[name], arrays[f"{name}_scale"] = _to_pcm(audio)
    temp: str | None = None
    try:
        cache_dir.mkdir(parents=True, exist_ok=True)
        handle, temp = tempfile.mkstemp(dir=cache_dir, prefix=f".{key}.", suffix=".tmp")
        with os.fdopen(handle, "wb") as stream:
            np.savez(stream, **arrays)
        os.replace(temp, cache_dir / f"{key}.npz")
        return True
    except OSError:
        if temp is not None:
            Path(temp).unlink(missing_ok=True)
        return False
