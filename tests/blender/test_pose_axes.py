"""Head pose into object/bone channels (pure numpy), checked against Blender's mathutils."""

from __future__ import annotations

import bpy  # noqa: F401  (provides mathutils)
import mathutils
import numpy as np

from musicface_blender.pose_axes import (
    euler_xyz_to_matrix,
    matrix_to_euler_xyz,
    pose_channels,
    pose_from_channels,
)


def test_euler_matrices_match_blender():
    rng = np.random.default_rng(0)
    for euler in rng.uniform(-1.2, 1.2, (20, 3)):
        ours = euler_xyz_to_matrix(euler)
        blender = np.array(mathutils.Euler(euler, "XYZ").to_matrix())
        assert np.allclose(ours, blender, atol=1e-6)
        assert np.allclose(matrix_to_euler_xyz(ours), euler, atol=1e-9)


def test_identity_frame_passes_the_pose_through_exactly():
    pose = np.random.default_rng(1).normal(0, 0.1, (50, 6)).astype(np.float32)
    assert np.array_equal(pose_channels(pose), pose)
    shifted = pose_channels(pose, rest_location=np.array([0, 0, 1.5]))
    assert np.allclose(shifted[:, 5], pose[:, 5] + 1.5)


def test_a_rotated_frame_gives_the_same_world_rotation():
    pose = np.random.default_rng(2).normal(0, 0.2, (30, 6))
    frame = np.array(mathutils.Euler((-np.pi / 2, 0.3, 0.1), "XYZ").to_matrix())
    local = pose_channels(pose, frame, scale=2.0)
    world = frame @ euler_xyz_to_matrix(local[:, :3]) @ frame.T
    assert np.allclose(world, euler_xyz_to_matrix(pose[:, :3]), atol=1e-5)
    assert np.allclose(2.0 * local[:, 3:] @ frame.T, pose[:, 3:], atol=1e-5)


def test_channels_go_back_to_the_world_pose():
    """pose_from_channels undoes pose_channels: frame, rest and scale included."""
    rng = np.random.default_rng(3)
    pose = rng.normal(0, 0.2, (40, 6))
    assert np.array_equal(pose_from_channels(pose_channels(pose)), pose.astype(np.float32))
    frame = np.array(mathutils.Euler((0.4, -0.3, 1.2), "XYZ").to_matrix())
    rest_euler, rest_location = np.array([0.1, -0.2, 0.3]), np.array([0.0, 0.1, 1.5])
    channels = pose_channels(pose, frame, rest_euler, rest_location, scale=2.0)
    back = pose_from_channels(channels, frame, rest_euler, rest_location, scale=2.0)
    assert np.abs(back - pose).max() < 1e-5
    # A target in another rotation mode gives its matrices instead of Euler XYZ angles.
    matrices = euler_xyz_to_matrix(channels[:, :3])
    same = pose_from_channels(channels, frame, rest_euler, rest_location, 2.0, matrices)
    assert np.abs(same - pose).max() < 1e-5
    # Not the identity: a wrong frame would not come back.
    assert np.abs(pose_from_channels(channels, scale=2.0) - pose).max() > 0.05
