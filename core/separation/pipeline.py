"""`separate(song)`: one entry point for every backend, with the result cache.

Backends (DESIGN.md, step 1 of the method):
- `spleeter`: Spleeter 2-stems in its own environment (spleeter_backend.py);
- `dsp`: REPET-SIM + HPSS soft masks, offline, no weights (dsp.py);
- `stems`: the user's own vocal and accompaniment files (user_stems.py);
- `none`: the mixture feeds both streams (the single-stream ablation);
- `auto`: spleeter when its environment and a model are on disk, else dsp.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np

from core.audio import SEPARATION_SR, file_sha256, load_audio
from core.errors import BadInput
from core.progress import ProgressFn, no_progress, scaled
from core.separation import dsp, spleeter_backend
from core.separation.cache import cache_key, default_cache_dir, load_cached, store_cached
from core.separation.result import Stems
from core.separation.user_stems import load_user_stems

BACKENDS = ("auto", "spleeter", "dsp", "none", "stems")
CACHED_BACKENDS = ("spleeter", "dsp")  # the others cost no more than a cache read


def choose_backend(
    backend: str, vocals: Path | None, accompaniment: Path | None
) -> tuple[str, str]:
    """(backend to run, message for the user)."""
    if backend not in BACKENDS:
        raise BadInput(f"unknown separator {backend!r}; choose one of {', '.join(BACKENDS)}")
    if (vocals is None) != (accompaniment is None):
        raise BadInput("give both --vocals and --accompaniment, or neither")
    if vocals is not None:
        if backend not in ("auto", "stems"):
            raise BadInput(f"--vocals/--accompaniment replace --separator {backend}; drop one")
        return "stems", "using your vocal and accompaniment stems"
    if backend == "stems":
        raise BadInput("separator 'stems' needs --vocals and --accompaniment")
    if backend != "auto":
        return backend, f"separator: {backend}"
    # An empty model folder left by an offline Spleeter run is no model, and it
    # would stop Spleeter from ever downloading one: clear it on every look.
    spleeter_backend.remove_empty_model_dir(spleeter_backend.model_dir())
    usable, why = spleeter_backend.availability()
    if usable:
        return "spleeter", f"auto picked spleeter: {why}"
    return "dsp", f"auto picked the offline dsp separator: {why}"


def backend_version(backend: str) -> str:
    if backend == "dsp":
        return f"dsp{dsp.VERSION}"
    model = spleeter_backend.model_identity()
    return f"spleeter{spleeter_backend.VERSION}-{model}"


def separate(
    song: str | Path,
    backend: str = "auto",
    *,
    vocals: str | Path | None = None,
    accompaniment: str | Path | None = None,
    cache_dir: str | Path | None = None,
    progress: ProgressFn = no_progress,
) -> Stems:
    """Split `song` into vocal and accompaniment streams, float32 (N, 2) at 44.1 kHz.

    Raises BadInput for unusable files or arguments, MissingModel when `spleeter`
    was asked for and neither a model nor a download is available.
    """
    song = Path(song)
    user_vocals = Path(vocals) if vocals is not None else None
    user_accompaniment = Path(accompaniment) if accompaniment is not None else None
    chosen, message = choose_backend(backend, user_vocals, user_accompaniment)
    progress("separate", 0.0)
    cache = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    song_hash = None
    if chosen in CACHED_BACKENDS:
        if not song.is_file():
            load_audio(song, SEPARATION_SR, mono=False)  # raises the one-line BadInput
        song_hash = file_sha256(song)
        if chosen == "spleeter":
            spleeter_backend.remove_empty_model_dir(spleeter_backend.model_dir())
        if chosen == "dsp" or spleeter_backend.model_is_usable():
            key = cache_key(song_hash, chosen, backend_version(chosen))
            hit = load_cached(cache, key)
            if hit is not None:
                progress("separate", 1.0)
                return Stems(hit[0], hit[1], chosen, f"{message} (cached)", cached=True)
    mix = load_audio(song, SEPARATION_SR, mono=False)
    progress("separate", 0.05)
    work = scaled(progress, 0.05, 0.95)
    if chosen == "none":
        out_vocals, out_accompaniment = mix, mix.copy()
    elif chosen == "stems":
        assert user_vocals is not None and user_accompaniment is not None
        out_vocals, out_accompaniment = load_user_stems(user_vocals, user_accompaniment, len(mix))
    elif chosen == "dsp":
        out_vocals, out_accompaniment = dsp.separate_dsp(mix, SEPARATION_SR, work)
    else:
        with tempfile.TemporaryDirectory(prefix="musicface-mix-") as temp:
            mix_path = Path(temp) / "mix.npy"
            np.save(mix_path, np.ascontiguousarray(mix, dtype=np.float32))
            del mix  # the song stays on disk while TensorFlow needs the memory
            out_vocals, out_accompaniment = spleeter_backend.separate_spleeter(mix_path, work)
    if song_hash is not None:
        # After the run: a model Spleeter just downloaded has its own identity.
        key = cache_key(song_hash, chosen, backend_version(chosen))
        if not store_cached(cache, key, out_vocals, out_accompaniment):
            message += f" (cache {cache} not writable)"
    progress("separate", 1.0)
    return Stems(out_vocals, out_accompaniment, chosen, message)
