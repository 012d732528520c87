"""Which separator makes the corpus's vocal and accompaniment features, and its identity.

The model must train on the streams it will hear at inference. The engine's
default is Spleeter 2-stems with the released weights when they are installed,
else the offline `dsp` separator; the corpus follows the same choice unless told
otherwise, and the manifest records the separator and its version (for
Spleeter: the model's identity), so training and evaluation can tell what a
corpus was made with.

- `spleeter`, `dsp`, `none`: the engine's backends, run on the (possibly
  mp3-coded) mixture at 44.1 kHz;
- `clean`: the true stems (no separation; for ablations).

`dsp` and `none` run in the worker that made the clip (they are plain numpy);
`spleeter` runs in the parent process, one call per clip into the engine's
in-process (PyTorch) Spleeter, so its model loads once, not once per clip.
"""

from __future__ import annotations

import numpy as np

from core.audio import SEPARATION_SR
from core.progress import no_progress

SEPARATORS = ("spleeter", "dsp", "none", "clean")
IN_WORKER = ("dsp", "none", "clean")  # cheap to start: run where the clip is made


def default_separator() -> tuple[str, str]:
    """(separator, why): Spleeter when its real model is installed, else dsp."""
    from core.separation import spleeter_backend

    usable, why = spleeter_backend.availability()
    if usable:
        return "spleeter", why
    return "dsp", why


def identity(separator: str) -> str | None:
    """Version string of a separator, as the engine's cache keys it (None for `clean`)."""
    if separator == "clean":
        return None
    if separator == "none":
        return "none"
    from core.separation.pipeline import backend_version

    return backend_version(separator)


def separator_record(separator: str) -> dict[str, str | None]:
    """What a dataset's manifest says about the separator its features came from
    (`generator.separator`, `.separator_version`, `.dsp_version`): a model must be used
    with the separator it trained on (evaluate.py reads it back)."""
    from core.separation import dsp

    return {
        "separator": separator,
        "separator_version": identity(separator),
        "dsp_version": dsp.VERSION if separator == "dsp" else None,
    }


def to_separation_rate(mixture: np.ndarray, sr: int) -> np.ndarray:
    from scipy.signal import resample_poly

    song = resample_poly(mixture.astype(np.float64), SEPARATION_SR, sr, axis=0)
    return np.ascontiguousarray(song, dtype=np.float32)


def separate(mixture: np.ndarray, sr: int, separator: str) -> tuple[np.ndarray, np.ndarray]:
    """(vocals, accompaniment) float32 (N, 2) at 44.1 kHz of the (N, 2) `mixture` at `sr`."""
    if separator not in SEPARATORS or separator == "clean":
        raise ValueError(f"separator must be one of {SEPARATORS[:-1]}")
    song = to_separation_rate(mixture, sr)
    from core.separation.pipeline import run_backend

    return run_backend(song, separator, no_progress)
