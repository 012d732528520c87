"""The One Euro filter (Casiez, Roussel, Vogel 2012): jitter out, fast motion kept.

A first-order low-pass whose cutoff rises with the signal's speed: a still face is
smoothed hard (tracker jitter is a fraction of a degree, frame to frame), while a
blink, which closes the lid in a few frames, raises the cutoff and passes almost as
it was. Vectorised over channels; one pass over time.
"""

from __future__ import annotations

import math

import numpy as np


def _alpha(cutoff: np.ndarray | float, dt: float) -> np.ndarray:
    tau = 1.0 / (2.0 * math.pi * np.asarray(cutoff, dtype=np.float64))
    return 1.0 / (1.0 + tau / dt)


def one_euro(
    values: np.ndarray,
    fps: float,
    min_cutoff: float | np.ndarray = 1.0,
    beta: float | np.ndarray = 0.0,
    derivative_cutoff: float = 1.0,
) -> np.ndarray:
    """Filter (T, C) (or (T,)) `values` sampled at `fps`; cutoffs in Hz, `beta` in
    Hz per unit of speed (units of the channel per second)."""
    array = np.asarray(values, dtype=np.float64)
    flat = array.reshape(array.shape[0], -1)
    if flat.shape[0] < 2:
        return array.astype(np.float32)
    dt = 1.0 / float(fps)
    min_cutoff = np.broadcast_to(np.asarray(min_cutoff, np.float64), flat.shape[1:])
    beta = np.broadcast_to(np.asarray(beta, np.float64), flat.shape[1:])
    alpha_d = _alpha(derivative_cutoff, dt)
    out = np.empty_like(flat)
    out[0] = smoothed = flat[0]
    speed = np.zeros(flat.shape[1])
    for t in range(1, flat.shape[0]):
        raw_speed = (flat[t] - smoothed) / dt
        speed = speed + alpha_d * (raw_speed - speed)
        alpha = _alpha(min_cutoff + beta * np.abs(speed), dt)
        smoothed = smoothed + alpha * (flat[t] - smoothed)
        out[t] = smoothed
    return out.reshape(array.shape).astype(np.float32)


def one_euro_both_ways(
    values: np.ndarray,
    fps: float,
    min_cutoff: float | np.ndarray = 1.0,
    beta: float | np.ndarray = 0.0,
) -> np.ndarray:
    """The mean of the filter run forwards and backwards over the whole clip.

    One pass lags: at 2.5 Hz a curve comes out ~2 frames late, so a captured smile or
    blink lands after the sound it went with. Capture has the whole clip, so the
    backward pass leads by as much as the forward one lags, and their mean is in time."""
    array = np.asarray(values, dtype=np.float64)
    forward = one_euro(array, fps, min_cutoff, beta)
    backward = one_euro(array[::-1], fps, min_cutoff, beta)[::-1]
    return (0.5 * (forward + backward)).astype(np.float32)
