"""Separation cache: the second run on the same song is instant.

A result is keyed by the song's content hash, the backend and that backend's
version (for Spleeter: the model's identity too), so a new model or a changed
algorithm never serves stale stems. Stems are stored as 16-bit PCM with a scale
(what the wav files get anyway) in an uncompressed .npz, written atomically, so a
crash or a parallel run never leaves half a file. A computed separation is handed
to the caller through the same encoding (pipeline.py), so a run that computed the
stems and a run that read them from here see the same numbers.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np

from core.atomic_write import atomic_write
from core.cache_folder import musicface_cache_root
from core.errors import BadInput

STREAMS = ("vocals", "accompaniment")


def default_cache_dir() -> Path:
    return musicface_cache_root() / "separation"


def cache_key(song_sha256: str, backend: str, version: str) -> str:
    tag = hashlib.sha256(f"{backend}\0{version}".encode()).hexdigest()[:16]
    return f"{song_sha256}-{backend}-{tag}"


def _to_pcm(audio: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    # A separated stem may peak a little above 1; the scale keeps it unclipped.
    scale = np.float32(max(1.0, float(np.abs(audio).max(initial=0.0))))
    return np.round(audio / scale * 32767.0).astype(np.int16), np.asarray(scale)


def encode_stems(vocals: np.ndarray, accompaniment: np.ndarray) -> dict[str, np.ndarray]:
    """The arrays a cache file holds: each stream as int16 plus its float32 scale."""
    arrays: dict[str, np.ndarray] = {}
    for name, audio in zip(STREAMS, (vocals, accompaniment), strict=True):
        arrays[name], arrays[f"{name}_scale"] = _to_pcm(audio)
    return arrays


def decode_stems(arrays: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """(vocals, accompaniment) float32 from `encode_stems`' arrays."""
    streams = []
    for name in STREAMS:
        scale = np.float32(arrays[f"{name}_scale"]) / np.float32(32767.0)
        streams.append(arrays[name].astype(np.float32) * scale)
    return streams[0], streams[1]


def load_cached(cache_dir: Path, key: str) -> tuple[np.ndarray, np.ndarray] | None:
    """(vocals, accompaniment) float32, or None when absent or unreadable."""
    try:
        with np.load(cache_dir / f"{key}.npz", allow_pickle=False) as data:
            vocals, accompaniment = decode_stems({name: data[name] for name in data.files})
    except (OSError, KeyError, ValueError):
        return None  # absent, or damaged by something else: recompute
    if vocals.shape != accompaniment.shape or vocals.ndim != 2:
        return None
    return vocals, accompaniment


def store_cached(cache_dir: Path, key: str, arrays: dict[str, np.ndarray]) -> bool:
    """Write `encode_stems`' arrays; False (and no exception) when the cache is not
    writable, because a cache failure must not fail the separation the user asked for."""
    try:
        cache_dir.mkdir(parents=True, exist_ok=True)
        with atomic_write(cache_dir / f"{key}.npz") as stream:
            np.savez(stream, **arrays)
        return True
    except (OSError, BadInput):
        return False
