"""The performer's eyes: blinks, and long closures on sustained loud or high notes.

Blinks start every U(1.2, 2.0) s and last U(0.10, 0.45) s (the paper's
sampling ranges; the engine's ESGN samples sparser blinks, see
core/model/esgn.py); a long closure covers most of a held note (> 0.5 s) that is
high or loud, with a chance set by the singer's style. No blink happens during
or right around a long closure. A drawn duration is the time the lid is more
than half closed; the lid takes another ~30 ms to start and finish moving.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from training.synth.melody import Note
from training.synth.styles import SingerStyle

_RAMP = 0.05  # lid travel time, seconds (half of it on each side of the 0.5 crossing)
LONG_CLOSURE = 0.5


@dataclass
class Eyes:
    eye: np.ndarray  # (T,) composite lid closure 0..1
    eye_long: np.ndarray  # (T,) the long closures alone
    blinks: list[tuple[float, float]]
    closures: list[tuple[float, float]]


def _lid(times: np.ndarray, start: float, end: float) -> np.ndarray:
    """1 inside [start, end], raised-cosine ramps centred on both edges."""
    rise = np.clip((times - start) / _RAMP + 0.5, 0.0, 1.0)
    fall = np.clip((end - times) / _RAMP + 0.5, 0.0, 1.0)
    return 0.5 - 0.5 * np.cos(np.pi * np.minimum(rise, fall))


def long_closures(
    rng: np.random.Generator,
    notes: list[Note],
    style: SingerStyle,
    voice_range: tuple[float, float],
) -> list[tuple[float, float]]:
    low, high = voice_range
    out = []
    for n in notes:
        length = n.end - n.start
        height = (n.midi - low) / max(high - low, 1.0)
        if length < 0.75 or not (height > 0.6 or n.loudness > 0.8):
            continue
        if rng.random() >= style.closure_chance:
            continue
        start = n.start + rng.uniform(0.05, 0.2)
        end = n.end - rng.uniform(0.0, 0.1)
        if end - start > LONG_CLOSURE + 0.05:
            out.append((start, end))
    return out


def eyes(
    rng: np.random.Generator,
    times: np.ndarray,
    notes: list[Note],
    style: SingerStyle,
    voice_range: tuple[float, float],
) -> Eyes:
    closures = long_closures(rng, notes, style, voice_range)
    eye_long = np.zeros(len(times))
    for s, e in closures:
        eye_long = np.maximum(eye_long, _lid(times, s, e))
    blinks = []
    seconds = float(times[-1]) if len(times) else 0.0
    t = rng.uniform(0.2, 2.0)
    while t < seconds:
        length = rng.uniform(0.10, 0.45)
        clear = all(t + length < s - 0.3 or t > e + 0.3 for s, e in closures)
        if clear and t + length < seconds:
            blinks.append((t, t + length))
        t += rng.uniform(1.2, 2.0)
    eye = eye_long.copy()
    for s, e in blinks:
        eye = np.maximum(eye, _lid(times, s, e))
    return Eyes(eye.astype(np.float32), eye_long.astype(np.float32), blinks, closures)
