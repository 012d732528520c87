"""Head pose from the Performance's world axes into an object's or a bone's own channels.

The Performance gives rotation (Euler XYZ, radians) and translation (metres)
in Blender's world axes, relative to the rest pose, about the neck pivot. An
object's `rotation_euler`/`location` live in its parent's space and a pose
bone's in its rest frame, so the rotation is conjugated into that frame and
composed after the rest rotation. numpy only (Blender's XYZ convention:
R = Rz · Ry · Rx), so it is testable without Blender.
"""

from __future__ import annotations

import numpy as np


def euler_xyz_to_matrix(euler: np.ndarray) -> np.ndarray:
    """(..., 3) Euler XYZ → (..., 3, 3) rotation matrices, as Blender builds them."""
    euler = np.asarray(euler, dtype=np.float64)
    cx, cy, cz = np.cos(euler[..., 0]), np.cos(euler[..., 1]), np.cos(euler[..., 2])
    sx, sy, sz = np.sin(euler[..., 0]), np.sin(euler[..., 1]), np.sin(euler[..., 2])
    m = np.empty(euler.shape[:-1] + (3, 3))
    m[..., 0, 0] = cy * cz
    m[..., 0, 1] = sx * sy * cz - cx * sz
    m[..., 0, 2] = cx * sy * cz + sx * sz
    m[..., 1, 0] = cy * sz
    m[..., 1, 1] = sx * sy * sz + cx * cz
    m[..., 1, 2] = cx * sy * sz - sx * cz
    m[..., 2, 0] = -sy
    m[..., 2, 1] = sx * cy
    m[..., 2, 2] = cx * cy
    return m


def matrix_to_euler_xyz(m: np.ndarray) -> np.ndarray:
    """(..., 3, 3) rotation matrices → (..., 3) Euler XYZ (pitch within ±90°)."""
    m = np.asarray(m, dtype=np.float64)
    x = np.arctan2(m[..., 2, 1], m[..., 2, 2])
    y = np.arctan2(-m[..., 2, 0], np.hypot(m[..., 2, 1], m[..., 2, 2]))
    z = np.arctan2(m[..., 1, 0], m[..., 0, 0])
    return np.stack([x, y, z], axis=-1)


def pose_channels(
    pose: np.ndarray,
    frame: np.ndarray | None = None,
    rest_euler: np.ndarray | None = None,
    rest_location: np.ndarray | None = None,
    scale: float = 1.0,
) -> np.ndarray:
    """(T, 6) world-axis pose → (T, 6) channel values: rotation_euler XYZ then location XYZ.

    `frame`: 3×3 rotation whose columns are the channel space's axes in world
    coordinates (the parent's world rotation for an object, the armature's
    world rotation times the bone's rest matrix for a pose bone).
    `scale`: world metres per channel unit (the parent's or armature's scale).
    """
    pose = np.asarray(pose, dtype=np.float64)
    frame = np.eye(3) if frame is None else np.asarray(frame, dtype=np.float64)
    rest_euler = np.zeros(3) if rest_euler is None else np.asarray(rest_euler, np.float64)
    rest_location = np.zeros(3) if rest_location is None else np.asarray(rest_location, np.float64)
    identity_frame = np.allclose(frame, np.eye(3), atol=1e-9)
    out = np.empty_like(pose)
    if identity_frame and not rest_euler.any():
        # The common case (template pivot at rest): the channels are the pose itself.
        out[:, :3] = pose[:, :3]
    else:
        world = euler_xyz_to_matrix(pose[:, :3])
        local = frame.T @ world @ frame @ euler_xyz_to_matrix(rest_euler)
        out[:, :3] = matrix_to_euler_xyz(local)
    translation = pose[:, 3:] if identity_frame else pose[:, 3:] @ frame
    out[:, 3:] = rest_location + translation / scale
    return out.astype(np.float32)


def pose_from_channels(
    channels: np.ndarray,
    frame: np.ndarray | None = None,
    rest_euler: np.ndarray | None = None,
    rest_location: np.ndarray | None = None,
    scale: float = 1.0,
    rotation: np.ndarray | None = None,
) -> np.ndarray:
    """The inverse of `pose_channels`: (T, 6) channel values → (T, 6) world-axis pose.

    `rotation`: (T, 3, 3) channel-space rotation matrices to use instead of the
    channels' Euler XYZ (a target in quaternion or another Euler order).
    """
    channels = np.asarray(channels, dtype=np.float64)
    frame = np.eye(3) if frame is None else np.asarray(frame, dtype=np.float64)
    rest_euler = np.zeros(3) if rest_euler is None else np.asarray(rest_euler, np.float64)
    rest_location = np.zeros(3) if rest_location is None else np.asarray(rest_location, np.float64)
    identity_frame = np.allclose(frame, np.eye(3), atol=1e-9)
    out = np.empty_like(channels)
    if identity_frame and not rest_euler.any() and rotation is None:
        out[:, :3] = channels[:, :3]
    else:
        local = euler_xyz_to_matrix(channels[:, :3]) if rotation is None else rotation
        world = frame @ local @ euler_xyz_to_matrix(rest_euler).T @ frame.T
        out[:, :3] = matrix_to_euler_xyz(world)
    translation = (channels[:, 3:] - rest_location) * scale
    out[:, 3:] = translation if identity_frame else translation @ frame.T
    return out.astype(np.float32)
