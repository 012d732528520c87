"""The 52 ARKit coefficients onto a mesh's shape keys (whatever the rig calls them)."""

from __future__ import annotations

from dataclasses import dataclass

import bpy
import numpy as np

from ..core_link import match_shape_keys
from ..simplify import simplify_curve
from .fcurves import Take

GROUP = "MusicFace expression"


@dataclass
class ShapeKeyResult:
    driven: dict[str, str]  # ARKit name → shape key name
    missing: list[str]  # ARKit names with no shape key on the mesh


def shape_key_names(obj: bpy.types.Object) -> list[str]:
    keys = getattr(obj.data, "shape_keys", None)
    return [block.name for block in keys.key_blocks[1:]] if keys is not None else []


def write_shape_key_curves(
    take: Take,
    obj: bpy.types.Object,
    frames: np.ndarray,
    expression: np.ndarray,
    names: tuple[str, ...],
    max_error: float = 0.0,
) -> ShapeKeyResult:
    """One F-curve per matched shape key on the mesh's Key datablock.

    `max_error` > 0 keeps only the keys needed to stay within it (LINEAR in between).
    """
    key = getattr(obj.data, "shape_keys", None)
    if key is None:
        return ShapeKeyResult({}, list(names))
    matches = match_shape_keys(names, shape_key_names(obj))
    missing = [name for name in names if name not in matches]
    for column, name in enumerate(names):
        if name not in matches:
            continue
        values = expression[:, column]
        keep = simplify_curve(values, max_error) if max_error > 0 else slice(None)
        data_path = f'key_blocks["{_escape(matches[name])}"].value'
        take.write(key, data_path, frames[keep], values[keep], group=GROUP)
    return ShapeKeyResult(matches, missing)


def _escape(name: str) -> str:
    return name.replace("\\", "\\\\").replace('"', '\\"')
