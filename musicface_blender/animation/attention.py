"""Attention curves as animated custom properties: which stream drove each task, over time.

The ATM's attention (3 tasks, T, C) covers the concatenated features f_v ⊕ f_b,
so the first half of C belongs to the vocal stream and the second half to the
accompaniment (the engine's task and stream names, through core_link). Two
per-frame means per task are enough to read in the Graph Editor; the full maps stay
in the Performance file.
"""

from __future__ import annotations

import bpy
import numpy as np

from ..core_link import SEPARATED_STREAMS, TASKS
from .fcurves import Take

GROUP = "MusicFace attention"
PREFIX = "musicface_attention_"


def attention_summary(attention: np.ndarray) -> dict[str, np.ndarray]:
    """(3, T, C) → {"expression_vocals": (T,), "expression_accompaniment": (T,), …}."""
    curves: dict[str, np.ndarray] = {}
    channels = attention.shape[2]
    half = channels // 2
    first, second = SEPARATED_STREAMS  # f_v ⊕ f_b: the vocal half, then the accompaniment's
    for task, maps in zip(TASKS, attention, strict=False):
        if half == 0:
            curves[f"{task}_all"] = maps.mean(axis=1)
            continue
        curves[f"{task}_{first}"] = maps[:, :half].mean(axis=1)
        curves[f"{task}_{second}"] = maps[:, half:].mean(axis=1)
    return curves


def write_attention_properties(
    take: Take, obj: bpy.types.Object, frames: np.ndarray, attention: np.ndarray
) -> list[str]:
    """One animated custom property per curve on `obj`; returns the property names."""
    names = []
    for name, values in attention_summary(attention).items():
        prop = PREFIX + name
        obj[prop] = float(values[0])
        take.write(obj, f'["{prop}"]', frames, values, group=GROUP)
        names.append(prop)
    return names
