"""Head pose onto an object (the template's neck pivot, or any object) or a pose bone."""

from __future__ import annotations

import bpy
import numpy as np

from ..pose_axes import pose_channels
from ..simplify import simplify_curve
from .fcurves import Take

GROUP = "MusicFace head"
REST_PROPERTY = "musicface_rest_pose"  # [rot x, y, z, loc x, y, z], kept across takes
# Keys on rotation use radians; the simplifier's error is shared with [0, 1] shape
# keys, so rotations get a tighter bound (0.02 rad ≈ 1.1°, 0.002 m).
POSE_ERROR_SCALE = np.array([1.0, 1.0, 1.0, 0.1, 0.1, 0.1])


def _rotation_part(matrix) -> np.ndarray:
    m = np.array(matrix.to_3x3(), dtype=np.float64)
    return m / np.linalg.norm(m, axis=0, keepdims=True)


def write_object_pose(
    take: Take, obj: bpy.types.Object, frames: np.ndarray, pose: np.ndarray, max_error: float = 0.0
) -> None:
    """rotation_euler and location of `obj`, relative to its rest (stored at the first take)."""
    if REST_PROPERTY not in obj:
        obj[REST_PROPERTY] = [*obj.rotation_euler, *obj.location]
    rest = np.asarray(obj[REST_PROPERTY], dtype=np.float64)
    obj.rotation_mode = "XYZ"
    parent_frame, scale = object_channel_space(obj)
    channels = pose_channels(pose, parent_frame, rest[:3], rest[3:], scale)
    _write_six(take, obj, "", frames, channels, max_error)


def object_channel_space(obj: bpy.types.Object) -> tuple[np.ndarray, float]:
    """The world axes of an object's rotation/location channels (its parent's rotation)
    and world metres per channel unit (its parent's scale)."""
    if obj.parent is None:
        return np.eye(3), 1.0
    world = obj.parent.matrix_world
    return _rotation_part(world), float(world.to_scale()[0]) or 1.0


def bone_channel_space(armature: bpy.types.Object, bone_name: str) -> tuple[np.ndarray, float]:
    """The same for a pose bone: the armature's world rotation times the bone's rest."""
    bone = armature.pose.bones[bone_name]
    frame = _rotation_part(armature.matrix_world @ bone.bone.matrix_local)
    return frame, float(armature.matrix_world.to_scale()[0]) or 1.0


def write_bone_pose(
    take: Take,
    armature: bpy.types.Object,
    bone_name: str,
    frames: np.ndarray,
    pose: np.ndarray,
    max_error: float = 0.0,
) -> None:
    """rotation_euler and location of a pose bone (relative to its rest by definition)."""
    armature.pose.bones[bone_name].rotation_mode = "XYZ"
    frame, scale = bone_channel_space(armature, bone_name)
    channels = pose_channels(pose, frame, scale=scale)
    prefix = f'pose.bones["{bone_name}"].'
    _write_six(take, armature, prefix, frames, channels, max_error)


def _write_six(
    take: Take,
    id_block: bpy.types.ID,
    prefix: str,
    frames: np.ndarray,
    channels: np.ndarray,
    max_error: float,
) -> None:
    for column in range(6):
        values = channels[:, column]
        keep = slice(None)
        if max_error > 0:
            keep = simplify_curve(values, max_error * POSE_ERROR_SCALE[column])
        path = prefix + ("rotation_euler" if column < 3 else "location")
        take.write(id_block, path, frames[keep], values[keep], index=column % 3, group=GROUP)
