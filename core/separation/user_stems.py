"""The `stems` backend: the user's own vocal and accompaniment files (from a DAW).

Both are decoded to 44.1 kHz stereo by ffmpeg, which reconciles any sample rate
and channel count. Lengths are reconciled to the song's: a few hundred ms of
difference (encoder padding, a DAW's tail) is padded or trimmed away; more than
MAX_MISMATCH_SECONDS means the files do not belong together, and the user hears so.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from core.audio import SEPARATION_SR, load_audio
from core.errors import BadInput

MAX_MISMATCH_SECONDS = 1.0


def fit_length(audio: np.ndarray, length: int) -> np.ndarray:
    """Trim, or pad with silence, to `length` rows."""
    if len(audio) >= length:
        return audio[:length]
    padding = np.zeros((length - len(audio), audio.shape[1]), dtype=audio.dtype)
    return np.concatenate([audio, padding])


def load_user_stems(
    vocals: Path, accompaniment: Path, length: int, sr: int = SEPARATION_SR
) -> tuple[np.ndarray, np.ndarray]:
    """Decode both stems and bring them to `length` samples at `sr` (the song's)."""
    streams = {}
    for name, path in (("vocals", vocals), ("accompaniment", accompaniment)):
        audio = load_audio(path, sr=sr, mono=False)
        gap = abs(len(audio) - length) / sr
        if gap > MAX_MISMATCH_SECONDS:
            raise BadInput(
                f"{name} stem {Path(path).name} lasts {len(audio) / sr:.1f} s but the song "
                f"{length / sr:.1f} s; export stems covering the whole song"
            )
        streams[name] = fit_length(audio, length)
    return streams["vocals"], streams["accompaniment"]
