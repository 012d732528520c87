"""FaceModel: Anny's head, its 52 linear ARKit deltas, vertex sets and the neck pivot."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from core.errors import BadInput
from core.face.arkit import ARKIT_NAMES
from core.face.cache import read_arrays, write_arrays
from core.face.model import FaceModel
from core.face.pose import euler_xyz_matrices
from core.face.regions import PART_NAMES, REGION_NAMES


@pytest.fixture(scope="module")
def face() -> FaceModel:
    # The user cache, built from the installed anny package on first use (no network).
    return FaceModel.load()


def one_hot(*names: str, frames: int = 1) -> np.ndarray:
    expression = np.zeros((frames, 52), dtype=np.float32)
    for name in names:
        expression[:, ARKIT_NAMES.index(name)] = 1.0
    return expression


def test_shapes_units_and_axes(face: FaceModel) -> None:
    n = face.n_vertices
    assert face.neutral.shape == (n, 3) and face.deltas.shape == (52, n, 3)
    assert face.triangles.shape[1] == 3 and face.triangles.max() < n
    assert face.corner_uvs.shape == (len(face.triangles), 3, 2)
    assert face.face_parts.shape == (len(face.triangles),)
    assert set(np.unique(face.face_parts)) == set(range(len(PART_NAMES)))
    skin = face.neutral[face.regions["skin"]]
    height = skin[:, 2].max() - skin[:, 2].min()
    assert 0.2 < height < 0.35, "metres: a head with its neck is 20-35 cm tall"
    # Blender axes: Z up, the face looks along -Y, the character's left at +X.
    nose_tip = skin[np.argmin(skin[:, 1])]
    assert abs(nose_tip[0]) < 0.005 and nose_tip[1] < face.neck_pivot[1] - 0.1
    assert face.eye_center_left[0] > 0.02 and face.eye_center_right[0] < -0.02
    assert face.eye_center_left[2] > face.neck_pivot[2] + 0.1
    # The pivot sits at the base of the neck, below everything but the neck's cut.
    assert np.allclose(face.neck_pivot, 0.0)
    assert np.quantile(skin[:, 2], 0.02) >= face.neck_pivot[2] - 0.005


def test_regions_are_where_they_belong(face: FaceModel) -> None:
    assert set(face.regions) == set(REGION_NAMES)
    v = face.neutral
    assert all(len(face.regions[name]) > 0 for name in REGION_NAMES)
    assert v[face.regions["lips_upper"], 2].mean() > v[face.regions["lips_lower"], 2].mean()
    assert not np.intersect1d(face.regions["lips_upper"], face.regions["lips_lower"]).size
    for side, sign in (("left", 1), ("right", -1)):
        upper = face.regions[f"eyelid_{side}_upper"]
        lower = face.regions[f"eyelid_{side}_lower"]
        assert np.all(sign * v[upper, 0] > 0) and np.all(sign * v[lower, 0] > 0)
        assert v[upper, 2].mean() > v[lower, 2].mean()
        assert np.all(sign * v[face.regions[f"eye_{side}"], 0] > 0)
    lips = v[face.regions["lips"]]
    assert lips[:, 2].max() < face.eye_center_left[2] - 0.04
    assert abs(lips[:, 0].mean()) < 0.002


def test_jaw_open_drops_lower_lip_and_keeps_forehead(face: FaceModel) -> None:
    neutral, opened = face.vertices(np.concatenate([one_hot(), one_hot("jawOpen")]))
    lower_line = face.regions["lip_line_lower"]
    drop = neutral[lower_line, 2] - opened[lower_line, 2]
    assert drop.max() >= 0.01, f"lower lip moved only {drop.max() * 1000:.1f} mm"
    assert (face.mouth_opening(opened) - face.mouth_opening(neutral))[0] >= 0.01
    skin = face.regions["skin"]
    forehead = skin[
        (face.neutral[skin, 2] > face.eye_center_left[2] + 0.03)
        & (face.neutral[skin, 1] < face.eye_center_left[1] + 0.01)
    ]
    assert len(forehead) > 50
    assert np.abs(opened[forehead] - neutral[forehead]).max() < 1e-4


def test_eye_blink_left_closes_only_the_left_eye(face: FaceModel) -> None:
    neutral, blink = face.vertices(np.concatenate([one_hot(), one_hot("eyeBlinkLeft")]))
    open_left = face.eyelid_gap(neutral[None], "left")[0]
    open_right = face.eyelid_gap(neutral[None], "right")[0]
    assert open_left > 0.006 and open_right > 0.006, "eyes are open at rest"
    assert abs(face.eyelid_gap(blink[None], "left")[0]) < 0.0015
    assert face.eyelid_gap(blink[None], "right")[0] == pytest.approx(open_right, abs=1e-6)
    assert (
        np.abs(blink[face.regions["eye_right"]] - neutral[face.regions["eye_right"]]).max() < 1e-6
    )


def test_vertices_are_neutral_plus_sum_of_deltas(face: FaceModel) -> None:
    expression = np.random.default_rng(0).random((5, 52)).astype(np.float32)
    got = face.vertices(expression)
    expected = face.neutral[None] + np.einsum("tk,kvc->tvc", expression, face.deltas)
    assert got.shape == (5, face.n_vertices, 3) and got.dtype == np.float32
    assert np.abs(got - expected).max() < 1e-6


def test_pose_turns_the_head_about_the_neck_pivot(face: FaceModel) -> None:
    expression = one_hot(frames=2)
    pose = np.array([[0.3, 0.0, 0.0, 0, 0, 0], [0.0, 0.0, 0.5, 0, 0, 0]], dtype=np.float32)
    rest = face.neutral.astype(np.float64) - face.neck_pivot
    posed = face.vertices(expression, pose).astype(np.float64) - face.neck_pivot
    # Distances to the pivot are kept: a rotation about it, not a shift.
    assert np.allclose(np.linalg.norm(posed, axis=-1), np.linalg.norm(rest, axis=-1), atol=1e-6)
    for frame in range(2):
        matrix = euler_xyz_matrices(pose[frame : frame + 1, :3])[0]
        assert np.abs(rest @ matrix.T - posed[frame]).max() < 1e-6
    # A positive X rotation tips the face (looking along -Y) downwards: the nose drops.
    nose = face.regions["skin"][np.argmin(face.neutral[face.regions["skin"], 1])]
    assert posed[0, nose, 2] < rest[nose, 2] - 0.02
    # A positive Z rotation turns the face towards the character's left (+X).
    assert posed[1, nose, 0] > 0.05


def test_translation_comes_after_rotation(face: FaceModel) -> None:
    expression = one_hot("jawOpen", frames=1)
    turned = face.vertices(expression, np.array([[0.2, -0.1, 0.3, 0, 0, 0]]))
    moved = face.vertices(expression, np.array([[0.2, -0.1, 0.3, 0.01, -0.02, 0.03]]))
    assert np.allclose(moved - turned, [0.01, -0.02, 0.03], atol=1e-6)


def test_euler_xyz_matches_x_then_y_then_z() -> None:
    def axis_rotation(axis: int, angle: float) -> np.ndarray:
        angles = np.zeros((1, 3))
        angles[0, axis] = angle
        return euler_xyz_matrices(angles)[0]

    rx, ry, rz = 0.3, -0.2, 0.7
    combined = euler_xyz_matrices(np.array([[rx, ry, rz]]))[0]
    expected = axis_rotation(2, rz) @ axis_rotation(1, ry) @ axis_rotation(0, rx)
    assert np.allclose(combined, expected)
    assert np.allclose(axis_rotation(2, np.pi / 2) @ [1, 0, 0], [0, 1, 0])


def test_bad_shapes_are_rejected(face: FaceModel) -> None:
    with pytest.raises(BadInput):
        face.vertices(np.zeros((3, 51)))
    with pytest.raises(BadInput):
        face.vertices(np.zeros((3, 52)), np.zeros((2, 6)))


def test_cache_round_trip_and_corrupt_file(face: FaceModel, tmp_path: Path) -> None:
    path = tmp_path / "face.npz"
    write_arrays(path, face.to_arrays())
    again = FaceModel.from_arrays(read_arrays(path))
    assert np.array_equal(again.deltas, face.deltas)
    assert all(np.array_equal(again.regions[k], face.regions[k]) for k in REGION_NAMES)
    path.write_bytes(b"not a zip")
    assert read_arrays(path) is None
    assert read_arrays(tmp_path / "absent.npz") is None


def test_cache_matches_a_fresh_anny_build_and_anny_is_linear(face: FaceModel) -> None:
    from core.face.anny_head import build_anny_head, extract_head_arrays, linearity_error

    model = build_anny_head()
    fresh = extract_head_arrays(model)
    cached = face.to_arrays()
    assert set(fresh) == set(cached)
    for key, value in fresh.items():
        assert value.shape == cached[key].shape, key
        assert np.allclose(value, cached[key], atol=1e-7), key
    # Anny's facial actions are plain linear blendshapes: its own forward pass equals
    # neutral + the sum of the deltas to float64 round-off.
    assert linearity_error(model, n=8) < 1e-9
