"""MediaPipe's facial transformation matrices -> the Performance's head pose.

MediaPipe's camera space has x to the image's right, y up and z towards the viewer,
in centimetres. The template's camera looks along +Y at a face looking along -Y with
Z up, so the image's right is +X and the viewer is at -Y: x -> X, y -> Z, z -> -Y.
The pose is relative to the performer's rest (the median orientation over the clip)
and turns about the neck pivot, which sits `pivot_offset` below and behind the
canonical face's origin (in the head's own axes, metres).
"""

from __future__ import annotations

import numpy as np

from core.face.pose import euler_xyz_matrices

# MediaPipe camera axes -> Blender axes (a proper rotation, det +1).
TO_BLENDER = np.array([[1.0, 0.0, 0.0], [0.0, 0.0, -1.0], [0.0, 1.0, 0.0]])
# The neck pivot seen from MediaPipe's canonical face origin, head axes, metres: the
# template's (core/assets/capture_calibration.json may refine it).
DEFAULT_PIVOT_OFFSET = (0.0, 0.03, -0.11)


def euler_xyz_from_matrices(rotations: np.ndarray) -> np.ndarray:
    """(T, 3, 3) rotation matrices Rz @ Ry @ Rx -> (T, 3) Euler XYZ angles (radians)."""
    r = np.asarray(rotations, dtype=np.float64)
    rx = np.arctan2(r[:, 2, 1], r[:, 2, 2])
    ry = -np.arcsin(np.clip(r[:, 2, 0], -1.0, 1.0))
    rz = np.arctan2(r[:, 1, 0], r[:, 0, 0])
    return np.stack([rx, ry, rz], axis=1)


def _orthonormal(matrices: np.ndarray) -> np.ndarray:
    """The nearest rotation to each 3x3 (MediaPipe's fit may carry a scale)."""
    u, _, vt = np.linalg.svd(matrices)
    fixed = u @ vt
    flip = np.linalg.det(fixed) < 0
    u[flip, :, -1] *= -1
    return u @ vt


def blender_head_frames(matrices: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(T, 4, 4) MediaPipe matrices -> head rotations (T, 3, 3) and the face origin
    (T, 3, metres), both in Blender axes."""
    matrices = np.asarray(matrices, dtype=np.float64)
    rotations = TO_BLENDER @ _orthonormal(matrices[:, :3, :3]) @ TO_BLENDER.T
    origins = (matrices[:, :3, 3] / 100.0) @ TO_BLENDER.T
    return rotations, origins


def relative_pose(
    rotations: np.ndarray,
    origins: np.ndarray,
    valid: np.ndarray,
    pivot_offset: tuple[float, float, float] | np.ndarray = DEFAULT_PIVOT_OFFSET,
) -> np.ndarray:
    """(T, 6) pose about the neck pivot relative to the rest pose (the median over the
    valid frames): Euler XYZ radians, then translation metres (Performance convention).

    With R0 the rest rotation and d the pivot offset, the face origin is
    o(t) = pivot + R(t) R0 d' + T(t) where d' = -d points from the pivot to the face.
    """
    rest_angles = np.median(euler_xyz_from_matrices(rotations[valid]), axis=0)
    rest = euler_xyz_matrices(rest_angles[None])[0]
    relative = rotations @ rest.T
    angles = euler_xyz_from_matrices(relative)
    to_face = rest @ -np.asarray(pivot_offset, dtype=np.float64)
    # What turning about the neck does not explain is sway; its median is the rest.
    sway = origins - (relative - np.eye(3)) @ to_face
    translation = sway - np.median(sway[valid], axis=0)
    return np.concatenate([angles, translation], axis=1)
