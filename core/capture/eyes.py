"""The eye state of a captured face: blinks and long closures apart, as the generator's.

The composite closure is the mean of the two calibrated eyeBlink curves. A run above
half closed that lasts longer than LONG_CLOSURE seconds is a long closure (`eye_long`,
the learned part of ESGN); shorter runs are blinks (`eye_blink`, the sampled part).
Each closure owns its ramps down to OPEN, so a long closure's onset is not a blink.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

CLOSED = 0.5
OPEN = 0.15
LONG_CLOSURE = 0.5  # seconds (the paper's line between a blink and a long closure)


@dataclass(frozen=True)
class EyeState:
    eye_long: np.ndarray  # (T,)
    eye_blink: np.ndarray  # (T,)
    blinks: list[tuple[float, float]]  # (start, end) seconds of each short closure
    long_closures: list[tuple[float, float]]


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """[start, end) index pairs of the True runs."""
    padded = np.concatenate([[False], mask, [False]]).astype(np.int8)
    edges = np.flatnonzero(np.diff(padded))
    return list(zip(edges[0::2].tolist(), edges[1::2].tolist(), strict=True))


def split_eye_state(closure: np.ndarray, fps: float) -> EyeState:
    """Split a (T,) composite closure in [0, 1] into long closures and blinks."""
    closure = np.clip(np.asarray(closure, dtype=np.float32), 0.0, 1.0)
    eye_long = np.zeros_like(closure)
    eye_blink = closure.copy()
    blinks, long_closures = [], []
    ajar = _runs(closure > OPEN)
    for start, end in _runs(closure > CLOSED):
        # The ramps belong to the closure: widen to the enclosing run above OPEN.
        outer = next((run for run in ajar if run[0] <= start and end <= run[1]), (start, end))
        seconds = (end - start) / fps
        span = (outer[0] / fps, outer[1] / fps)
        if seconds > LONG_CLOSURE:
            eye_long[outer[0] : outer[1]] = closure[outer[0] : outer[1]]
            eye_blink[outer[0] : outer[1]] = 0.0
            long_closures.append(span)
        else:
            blinks.append(span)
    return EyeState(eye_long, eye_blink, blinks, long_closures)
