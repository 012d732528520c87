"""`separate(song)`: the one dispatcher for every backend, the user's stems and the cache.

Backends (DESIGN.md, step 1 of the method; names in names.py):
- `spleeter`: Spleeter 2-stems (spleeter_backend.py);
- `dsp`: REPET-SIM + HPSS soft masks, offline, no weights (dsp.py);
- `stems`: the user's own vocal and accompaniment files (user_stems.py);
- `none`: the mixture feeds both streams (the single-stream ablation);
- `auto`: spleeter when a model is on disk, else dsp.

Whatever ran, the streams come back at the rate the caller asked for, and a
computed separation comes back exactly as a later cache hit will return it (the
cache's 16-bit encoding), so the same song gives the same take on every run.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from core.audio import SEPARATION_SR, file_sha256, load_audio, resample
from core.errors import BadInput
from core.progress import ProgressFn, no_progress, scaled
from core.separation import dsp, spleeter_backend
from core.separation.cache import (
    cache_key,
    decode_stems,
    default_cache_dir,
    encode_stems,
    load_cached,
    store_cached,
)
from core.separation.names import BACKENDS, SEPARATORS, STEMS
from core.separation.result import Stems
from core.separation.user_stems import load_user_stems

CACHED_BACKENDS = ("spleeter", "dsp")  # the others cost no more than a cache read


def choose_backend(
    backend: str, vocals: Path | None, accompaniment: Path | None
) -> tuple[str, str]:
    """(backend to run, message for the user)."""
    if backend not in BACKENDS:
        raise BadInput(f"unknown separator {backend!r}; choose one of {', '.join(SEPARATORS)}")
    if (vocals is None) != (accompaniment is None):
        raise BadInput("give both --vocals and --accompaniment, or neither")
    if vocals is not None:
        if backend not in ("auto", STEMS):
            raise BadInput(f"--vocals/--accompaniment replace --separator {backend}; drop one")
        return STEMS, "using your vocal and accompaniment stems"
    if backend == STEMS:
        raise BadInput("separator 'stems' needs --vocals and --accompaniment")
    if backend != "auto":
        return backend, f"separator: {backend}"
    usable, why = spleeter_backend.availability()
    if usable:
        return "spleeter", f"auto picked spleeter: {why}"
    return "dsp", f"auto picked the offline dsp separator: {why}"


def backend_version(backend: str) -> str:
    """What, besides the song, decides a backend's output: part of the cache key."""
    if backend == "dsp":
        return f"dsp{dsp.VERSION}"
    return spleeter_backend.backend_version()


def run_backend(
    mix: np.ndarray, backend: str, progress: ProgressFn = no_progress
) -> tuple[np.ndarray, np.ndarray]:
    """(vocals, accompaniment) float32 (N, 2) of a float32 (N, 2) 44.1 kHz mixture
    held in memory (the synthetic corpus separates its songs this way)."""
    if backend == "none":
        return mix, mix.copy()
    if backend == "dsp":
        return dsp.separate_dsp(mix, SEPARATION_SR, progress)
    if backend == "spleeter":
        return spleeter_backend.separate_spleeter(mix, progress)
    raise BadInput(f"cannot run separator {backend!r} on audio; choose one of spleeter, dsp, none")


def _shape(audio: np.ndarray, from_sr: int, sr: int, mono: bool) -> np.ndarray:
    """Downmix (when asked) before resampling: half the work, and what features read."""
    if mono:
        audio = audio.mean(axis=1, keepdims=True)
    return resample(audio, from_sr, sr)


def separate(
    song: str | Path,
    backend: str = "auto",
    *,
    vocals: str | Path | None = None,
    accompaniment: str | Path | None = None,
    sr: int = SEPARATION_SR,
    mono: bool = False,
    cache_dir: str | Path | None = None,
    progress: ProgressFn = no_progress,
) -> Stems:
    """Split `song` into vocal and accompaniment streams, float32 (N, C) at `sr`
    (C = 1 when `mono`, else the stereo the separators work in).

    Raises BadInput for unusable files or arguments, MissingModel when `spleeter`
    was asked for and no model is available.
    """
    song = Path(song)
    user_vocals = Path(vocals) if vocals is not None else None
    user_accompaniment = Path(accompaniment) if accompaniment is not None else None
    chosen, message = choose_backend(backend, user_vocals, user_accompaniment)
    progress("separate", 0.0)

    if chosen in ("none", STEMS):
        # Decoded straight at the asked rate: nothing to cache, no 44.1 kHz round trip.
        mix = load_audio(song, sr, mono=mono)
        if mix.ndim == 1:
            mix = mix[:, None]
        if chosen == "none":
            out_vocals, out_accompaniment = mix, mix.copy()
        else:
            assert user_vocals is not None and user_accompaniment is not None
            out_vocals, out_accompaniment = load_user_stems(
                user_vocals, user_accompaniment, len(mix), sr=sr
            )
            if mono:
                out_vocals = out_vocals.mean(axis=1, keepdims=True)
                out_accompaniment = out_accompaniment.mean(axis=1, keepdims=True)
        progress("separate", 1.0)
        return Stems(out_vocals, out_accompaniment, chosen, message, sr=sr)

    if not song.is_file():
        load_audio(song, SEPARATION_SR, mono=False)  # raises the one-line BadInput
    cache = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    song_hash = file_sha256(song)
    model_ready = chosen == "dsp" or spleeter_backend.availability()[0]
    hit = (
        load_cached(cache, cache_key(song_hash, chosen, backend_version(chosen)))
        if model_ready
        else None
    )
    cached = hit is not None
    if hit is not None:
        separated = hit
    else:
        mix = load_audio(song, SEPARATION_SR, mono=False)
        progress("separate", 0.05)
        computed = run_backend(mix, chosen, scaled(progress, 0.05, 0.95))
        # Return what a later cache hit returns, bit for bit (the 16-bit encoding).
        encoded = encode_stems(*computed)
        separated = decode_stems(encoded)
        # Keyed after the run: a model Spleeter just downloaded has its own identity.
        key = cache_key(song_hash, chosen, backend_version(chosen))
        if not store_cached(cache, key, encoded):
            message += f" (cache {cache} not writable)"
    out_vocals, out_accompaniment = (_shape(s, SEPARATION_SR, sr, mono) for s in separated)
    progress("separate", 1.0)
    return Stems(out_vocals, out_accompaniment, chosen, message, cached=cached, sr=sr)
