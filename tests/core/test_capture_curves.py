"""The numpy side of capture: pose conversion, the One Euro filter, eye states and the
calibration map (no video, no MediaPipe)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from core.capture.calibration import Calibration, fit_calibration
from core.capture.eyes import split_eye_state
from core.capture.head_pose import (
    TO_BLENDER,
    blender_head_frames,
    euler_xyz_from_matrices,
    relative_pose,
)
from core.capture.known_take import known_take
from core.capture.smoothing import one_euro
from core.errors import BadInput
from core.face.arkit import ARKIT_NAMES
from core.face.pose import euler_xyz_matrices


def test_euler_angles_are_read_back_from_their_matrices() -> None:
    rng = np.random.default_rng(0)
    angles = rng.uniform(-0.6, 0.6, size=(50, 3))
    back = euler_xyz_from_matrices(euler_xyz_matrices(angles))
    np.testing.assert_allclose(back, angles, atol=1e-9)


def _mediapipe_matrices(angles: np.ndarray, pivot: np.ndarray, offset: np.ndarray) -> np.ndarray:
    """What MediaPipe would report for a head turning by `angles` about `pivot`
    (Blender axes, metres), its face origin `offset` from the pivot at rest."""
    rotations = euler_xyz_matrices(angles)
    origins = pivot + rotations @ offset
    matrices = np.zeros((len(angles), 4, 4))
    matrices[:, :3, :3] = TO_BLENDER.T @ rotations @ TO_BLENDER
    matrices[:, :3, 3] = 100.0 * origins @ TO_BLENDER  # back to MediaPipe's cm
    matrices[:, 3, 3] = 1.0
    return matrices


def test_head_turns_about_the_neck_come_back_as_pure_rotations() -> None:
    rng = np.random.default_rng(1)
    angles = rng.uniform(-0.3, 0.3, size=(40, 3))
    angles[0] = 0.0
    offset = np.array([0.0, -0.03, 0.11])  # the face origin seen from the neck pivot
    matrices = _mediapipe_matrices(angles, np.array([0.02, 0.6, -0.05]), offset)
    rotations, origins = blender_head_frames(matrices)
    valid = np.ones(len(angles), bool)
    # The median rest is not frame 0; measure against it as capture does.
    pose = relative_pose(rotations, origins, valid, pivot_offset=-offset)
    rest = euler_xyz_matrices(np.median(euler_xyz_from_matrices(rotations), axis=0)[None])[0]
    expected = euler_xyz_from_matrices(euler_xyz_matrices(angles) @ rest.T)
    np.testing.assert_allclose(pose[:, :3], expected, atol=1e-9)
    # No sway was rendered: the neck pivot explains every move of the face origin.
    np.testing.assert_allclose(pose[:, 3:], 0.0, atol=1e-9)


def test_the_one_euro_filter_removes_jitter_and_keeps_a_blink() -> None:
    rng = np.random.default_rng(2)
    fps = 30.0
    still = 0.1 + 0.02 * rng.standard_normal(300)
    smoothed = one_euro(still, fps, min_cutoff=2.5, beta=1.0)
    assert np.diff(smoothed[30:]).std() < 0.3 * np.diff(still[30:]).std()
    blink = np.full(90, 0.1)
    blink[40:46] = [0.5, 0.9, 1.0, 1.0, 0.8, 0.4]
    kept = one_euro(blink, fps, min_cutoff=8.0, beta=5.0)
    assert kept.max() > 0.85
    # Over-smoothing (a plain 1 Hz low-pass) would eat it: the test can fail.
    assert one_euro(blink, fps, min_cutoff=1.0, beta=0.0).max() < 0.6


def test_eye_state_tells_blinks_from_long_closures() -> None:
    fps = 30.0
    closure = np.zeros(300)
    closure[30:36] = [0.3, 0.8, 1.0, 1.0, 0.7, 0.2]  # a 0.2 s blink
    closure[100:130] = 1.0  # a 1 s closure
    closure[98:100] = closure[130:132] = 0.3
    state = split_eye_state(closure, fps)
    assert len(state.blinks) == 1 and len(state.long_closures) == 1
    assert state.eye_long[100:130].min() == 1.0 and state.eye_long[:90].max() == 0.0
    assert state.eye_blink[31] > 0.7 and state.eye_blink[110] == 0.0
    composite = np.where(state.eye_long > 0, state.eye_long, state.eye_blink)
    np.testing.assert_allclose(composite, np.clip(closure, 0, 1), atol=1e-6)


def test_a_calibration_fitted_on_scaled_scores_restores_the_scale(tmp_path) -> None:
    take = known_take(20.0, seed=3)
    truth = take.expression
    jaw, smile = ARKIT_NAMES.index("jawOpen"), ARKIT_NAMES.index("mouthSmileLeft")
    right = ARKIT_NAMES.index("mouthSmileRight")
    scores = 0.6 * truth  # a tracker that never reaches full scale…
    scores[:, [smile, right]] = 0.5 * truth[:, [right, smile]]  # …and mirrors left/right
    captured_pose = take.pose.copy()
    captured_pose[:, 2] *= 0.5
    calibration = fit_calibration(scores, truth, captured_pose, take.pose)
    mapped = calibration.expression(scores)
    assert np.corrcoef(mapped[:, jaw], truth[:, jaw])[0, 1] > 0.99
    assert abs(mapped[:, jaw].max() - truth[:, jaw].max()) < 0.1
    assert calibration.sources["mouthSmileLeft"] == "mouthSmileRight"
    assert np.corrcoef(mapped[:, smile], truth[:, smile])[0, 1] > 0.99
    assert calibration.rotation_gain[2] == pytest.approx(2.0, rel=0.01)
    path = calibration.save(tmp_path / "calibration.json")
    again = Calibration.load(path)
    np.testing.assert_allclose(again.expression(scores), mapped)


def test_a_broken_calibration_file_is_one_clear_error(tmp_path) -> None:
    bad = tmp_path / "calibration.json"
    bad.write_text(json.dumps({"version": 1, "knots": {"notAShape": [[0, 1], [0, 1]]}}))
    with pytest.raises(BadInput, match="not a capture calibration"):
        Calibration.load(bad)
    with pytest.raises(BadInput, match="not found"):
        Calibration.load(tmp_path / "absent.json")


def test_dropouts_are_bridged_and_the_long_ones_reported() -> None:
    from core.capture.capture import RawTrack, curves_from_track

    fps, frames = 30.0, 150
    angles = np.zeros((frames, 3))
    angles[:, 2] = np.linspace(0.0, 0.3, frames)  # a steady turn
    matrices = _mediapipe_matrices(angles, np.zeros(3), np.array([0.0, -0.03, 0.11]))
    scores = np.zeros((frames, 52))
    scores[:, ARKIT_NAMES.index("jawOpen")] = np.linspace(0.0, 0.5, frames)
    valid = np.ones(frames, bool)
    valid[30:36] = False  # 0.2 s: bridged silently
    valid[80:110] = False  # 1 s: bridged and reported
    matrices[~valid] = np.nan
    scores[~valid] = np.nan
    track = RawTrack(fps, scores, matrices, valid, most_faces=1, frames_with_several=0)
    expression, pose, gaps = curves_from_track(track, Calibration(), smoothing=None)
    assert np.isfinite(expression).all() and np.isfinite(pose).all()
    assert gaps == [(80 / fps, 110 / fps)]
    jaw = expression[:, ARKIT_NAMES.index("jawOpen")]
    np.testing.assert_allclose(jaw, np.linspace(0.0, 0.5, frames), atol=1e-6)
    turn = np.diff(pose[:, 2])
    np.testing.assert_allclose(turn, turn.mean(), atol=1e-5)  # straight through both gaps


def test_both_ways_smoothing_keeps_a_smile_in_time_where_one_pass_lags() -> None:
    from core.capture.smoothing import one_euro_both_ways

    rng = np.random.default_rng(4)
    bump = np.zeros(120)
    bump[40:60] = 0.5 * (1.0 - np.cos(np.linspace(0.0, 2.0 * np.pi, 20)))
    noisy = bump + 0.02 * rng.standard_normal(120)
    # At the filter's floor (a face moving slowly: most of a smile's rise).
    both = one_euro_both_ways(noisy, 30.0, 2.5, 0.0)
    once = one_euro(noisy, 30.0, 2.5, 0.0)
    lag = np.argmax(once) - np.argmax(bump)
    assert lag >= 1  # what capture used to do: the curve late
    assert abs(int(np.argmax(both)) - int(np.argmax(bump))) <= 1
    assert np.abs(both - bump).mean() < 0.7 * np.abs(once - bump).mean()
    assert np.diff(both[:35]).std() < 0.5 * np.diff(noisy[:35]).std()  # still smoothed


def _face(rng: np.random.Generator) -> np.ndarray:
    return rng.uniform(0.3, 0.7, size=(478, 2))


def test_shape_features_ignore_where_the_face_is_and_see_the_brows_rise() -> None:
    from core.capture.face_shape import BROWS, FEATURES, shape_features

    rng = np.random.default_rng(5)
    face = _face(rng)
    frames = np.repeat(face[None], 40, axis=0)
    for t in range(40):  # the head moves in the image: shift, turn, scale
        angle, scale = 0.2 * np.sin(t / 5.0), 1.0 + 0.3 * np.sin(t / 7.0)
        turn = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
        frames[t] = (face - 0.5) @ turn.T * scale + 0.5 + 0.05 * np.sin(t / 3.0)
    valid = np.ones(40, bool)
    still = shape_features(frames, valid)
    assert still.shape == (40, FEATURES)
    np.testing.assert_allclose(still, 0.0, atol=1e-6)
    raised = frames.copy()
    raised[30:, list(BROWS), 1] -= 0.02  # brows up (image y grows downwards)
    valid[5] = False
    features = shape_features(raised, valid)
    brows = features[:, : len(BROWS)]
    assert (brows[30:] > 0.01).all() and np.abs(brows[:30]).max() < 0.01
    assert (features[5] == 0.0).all()  # no face, no offsets


def test_the_performers_own_neutral_moves_their_rest_to_the_templates() -> None:
    from core.capture.calibration import rest_scores

    take = known_take(20.0, seed=6)
    truth = take.expression
    brow = ARKIT_NAMES.index("browInnerUp")
    scores = 0.5 * truth + 0.05
    calibration = fit_calibration(scores, truth, take.pose, take.pose)
    performer = scores.copy()
    performer[:, brow] += 0.2  # a face whose brows sit high at rest
    rest = rest_scores(performer)
    as_is = calibration.expression(performer)[:, brow]
    own = calibration.expression(performer, performer_rest=rest)[:, brow]
    still = truth[:, brow] < 0.01
    assert as_is[still].mean() > 0.3  # read as raised all the time
    assert own[still].mean() < 0.05
    assert np.corrcoef(own, truth[:, brow])[0, 1] > 0.99
    # A channel the calibration leaves on MediaPipe's scale reads from the performer's
    # rest up, not from what MediaPipe scores the template at rest (eyeSquint ~0.25).
    unmapped = Calibration(rest=tuple(np.full(len(ARKIT_NAMES), 0.25)))
    squinting = np.full((10, len(ARKIT_NAMES)), 0.4)
    squinting[5:, 0] = 0.7
    read = unmapped.expression(squinting, performer_rest=rest_scores(squinting))
    np.testing.assert_allclose(read[:5], 0.0, atol=1e-6)
    np.testing.assert_allclose(read[5:, 0], 0.3, atol=1e-6)


def test_brows_and_smiles_are_regressed_on_landmark_offsets(tmp_path) -> None:
    """A tracker whose brow score is noise but whose landmarks move: the regression
    finds the brows in the offsets, the knots cannot, and the map survives its file."""
    from core.capture.calibration import LINEAR_CHANNELS
    from core.capture.face_shape import FEATURES

    rng = np.random.default_rng(7)
    take = known_take(30.0, seed=8)
    truth = take.expression
    brow = ARKIT_NAMES.index("browInnerUp")
    scores = truth.copy()
    scores[:, brow] = rng.uniform(0.4, 0.6, len(truth))
    shape = 0.01 * rng.standard_normal((len(truth), FEATURES))
    shape[:, :4] += 0.1 * truth[:, [brow]]  # the inner brow landmarks rise with it
    calibration = fit_calibration(scores, truth, take.pose, take.pose, shape=shape)
    assert set(calibration.linear) <= set(LINEAR_CHANNELS) and "browInnerUp" in calibration.linear
    knots_only = calibration.expression(scores)[:, brow]
    with_shape = calibration.expression(scores, shape, take.pose)[:, brow]
    assert np.corrcoef(with_shape, truth[:, brow])[0, 1] > 0.9
    assert not np.corrcoef(knots_only, truth[:, brow])[0, 1] > 0.5
    again = Calibration.load(calibration.save(tmp_path / "calibration.json"))
    np.testing.assert_allclose(
        again.expression(scores, shape, take.pose), calibration.expression(scores, shape, take.pose)
    )
