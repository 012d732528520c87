"""Fewer keyframes, same motion: drop keys a straight line can stand in for.

Ramer–Douglas–Peucker on one curve, measuring the error vertically (in the
channel's own units, at every frame), so the simplified curve with LINEAR
interpolation stays within `max_error` of the original at every frame.
numpy only: it runs and is tested without Blender.
"""

from __future__ import annotations

import numpy as np


def simplify_curve(values: np.ndarray, max_error: float) -> np.ndarray:
    """Indices of the keys to keep (sorted, first and last included).

    Between two kept keys, linear interpolation differs from `values` by at most
    `max_error` at every sample.
    """
    values = np.asarray(values, dtype=np.float64).reshape(-1)
    n = values.shape[0]
    if n <= 2 or max_error < 0:
        return np.arange(n)
    keep = np.zeros(n, dtype=bool)
    keep[[0, n - 1]] = True
    stack = [(0, n - 1)]
    while stack:
        first, last = stack.pop()
        if last - first < 2:
            continue
        inner = np.arange(first + 1, last)
        slope = (values[last] - values[first]) / (last - first)
        line = values[first] + slope * (inner - first)
        error = np.abs(values[first + 1 : last] - line)
        worst = int(np.argmax(error))
        if error[worst] > max_error:
            split = first + 1 + worst
            keep[split] = True
            stack.append((first, split))
            stack.append((split, last))
    return np.flatnonzero(keep)


def simplify_curves(curves: np.ndarray, max_error: float) -> list[np.ndarray]:
    """`simplify_curve` on each column of a (T, C) array."""
    curves = np.asarray(curves)
    return [simplify_curve(curves[:, c], max_error) for c in range(curves.shape[1])]


def max_linear_error(values: np.ndarray, keep: np.ndarray) -> float:
    """The largest difference at any sample between `values` and the kept keys, joined linearly."""
    values = np.asarray(values, dtype=np.float64).reshape(-1)
    rebuilt = np.interp(np.arange(values.shape[0]), keep, values[keep])
    return float(np.max(np.abs(rebuilt - values))) if values.size else 0.0
