"""The evaluation metrics, checked by hand on tiny inputs."""

from __future__ import annotations

import math
from types import SimpleNamespace

import numpy as np
import pytest

from core.face.arkit import ARKIT_INDEX
from training import metrics as M


def test_cca_of_one_dimension_is_the_absolute_correlation() -> None:
    x = np.array([1.0, 2.0, 3.0, 4.0, 6.0])
    y = np.array([2.0, 1.0, 4.0, 3.0, 5.0])
    # Hand computation: deviations (-2.2,-1.2,-0.2,0.8,2.8) and (-1,-2,1,0,2):
    # sum xy = 2.2+2.4-0.2+0+5.6 = 10; sum x² = 14.8; sum y² = 10.
    assert M.cca(x, y) == pytest.approx(10 / math.sqrt(14.8 * 10), abs=1e-4)
    assert M.cca(x, -3 * x + 1) == pytest.approx(1.0, abs=1e-6)
    assert M.cca(x, np.ones(5)) == 0.0


def test_cca_finds_a_linear_map_between_multichannel_signals() -> None:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(500, 6))
    mixed = x @ rng.normal(size=(6, 6))
    assert M.cca(x, mixed) == pytest.approx(1.0, abs=1e-4)
    assert M.cca(x, rng.normal(size=(500, 6))) < 0.3
    # Rank-deficient blocks (translation = a multiple of rotation) stay well posed.
    pose = np.concatenate([x[:, :3], 0.04 * x[:, :3]], axis=1)
    assert M.cca(pose, pose) == pytest.approx(1.0, abs=1e-4)


def test_head_speed_and_roughness() -> None:
    t = np.arange(30)
    pose = np.zeros((30, 6))
    pose[:, 0] = 0.01 * t  # 0.01 rad per frame about X
    pose[:, 3] = 5.0 * t  # translations do not count
    np.testing.assert_allclose(M.head_speed(pose, 30.0), 0.3)
    assert M.roughness(pose) == pytest.approx(0.0)
    pose[:, 1] = 0.5 * 0.002 * t**2  # constant second difference 0.002 about Y
    assert M.roughness(pose) == pytest.approx(0.002**2)


def test_eye_events_count_blinks_and_long_closures() -> None:
    eye = np.zeros(120)
    eye[10:14] = 1.0  # 4 frames fully closed: a blink of 4 / 30 s
    eye[39:44] = [0.2, 0.6, 0.7, 0.6, 0.2]  # moving for 5 frames, closed for 3: 5 / 30 s
    eye[60:63] = 0.4  # never half closed: nothing
    eye[80:100] = 0.9  # closed for 20 frames = 0.667 s: a long closure
    eye[79] = eye[100] = 0.3
    blinks, closures = M.eye_events(eye, 30.0)
    assert blinks == pytest.approx([4 / 30, 5 / 30])
    assert closures == pytest.approx([20 / 30])
    blinks, closures = M.eye_events(np.ones(10), 30.0)  # a run touching both ends
    assert blinks == pytest.approx([10 / 30]) and closures == []


def test_beat_alignment_by_hand() -> None:
    fps = 30.0
    beats = np.array([1.0, 2.0, 3.0])  # frames 30, 60, 90
    assert M.beat_alignment(beats, np.array([30, 60, 90]), fps) == pytest.approx(1.0)
    # Each beat 3 frames from its motion beat: exp(-9 / 18).
    assert M.beat_alignment(beats, np.array([33, 57, 93]), fps) == pytest.approx(math.exp(-0.5))
    # d = 0, 6, 30 frames: (1 + e^-2 + e^-50) / 3.
    expected = (1 + math.exp(-36 / 18) + math.exp(-900 / 18)) / 3
    assert M.beat_alignment(beats, np.array([30, 54]), fps) == pytest.approx(expected)
    assert M.beat_alignment(beats, np.array([], dtype=int), fps) == 0.0
    assert math.isnan(M.beat_alignment(np.array([]), np.array([30]), fps))


def _pose_from_speed(speed: np.ndarray, fps: float) -> np.ndarray:
    pose = np.zeros((len(speed), 6))
    pose[:, 0] = np.cumsum(speed) / fps  # moving along X at the given speed
    return pose


def test_kinematic_beat_alignment_rewards_pauses_on_beats_and_its_chance_is_shifted() -> None:
    """The paper's BA from the head's side: pauses on the beats score ~1, pauses half a beat
    off score ~0, below the same pauses shifted at random (chance), which is in between."""
    fps, period = 30.0, 15  # 120 BPM
    frames = 600
    music = np.arange(0, frames, period) / fps
    on = np.arange(0, frames, period)
    off = on + period // 2
    rng = np.random.default_rng(0)
    assert M.kinematic_beat_alignment(on, music, fps) == pytest.approx(1.0)
    assert M.kinematic_beat_alignment(off, music, fps) < 0.1
    chance = M.shifted_beat_alignment(on, music, fps, frames, rng, draws=200)
    assert 0.3 < chance < 0.7  # σ = 3 frames against 15-frame beats
    assert M.shifted_beat_alignment(off, music, fps, frames, rng, draws=200) == pytest.approx(
        chance, abs=0.08
    )  # the same pauses, blind to the beat: the same chance
    # Sparse pauses that all fall on beats still score 1 (it asks where the pauses are).
    assert M.kinematic_beat_alignment(on[::4], music, fps) == pytest.approx(1.0)
    assert math.isnan(M.kinematic_beat_alignment(np.zeros(0), music, fps))


def test_motion_beats_are_the_dips_of_head_speed() -> None:
    fps = 30.0
    t = np.arange(300) / fps
    speed = 0.05 + np.sin(np.pi * t / 0.5) ** 2  # dips every 0.5 s: frames 0, 15, 30, …
    minima = M.motion_beats(_pose_from_speed(speed, fps), fps)
    inner = minima[(minima > 5) & (minima < 295)]
    np.testing.assert_array_equal(inner, np.arange(15, 295, 15))
    beats = np.arange(15, 295, 15) / fps
    assert M.beat_alignment(beats, minima, fps) == pytest.approx(1.0)
    # Tiny wiggles are not beats (prominence), a still head has none.
    wiggle = 1.0 + 1e-4 * np.sin(np.arange(300))
    assert len(M.motion_beats(_pose_from_speed(wiggle, fps), fps)) == 0
    assert len(M.motion_beats(np.zeros((50, 6)), fps)) == 0


def test_random_direction_baseline_keeps_the_amount_of_motion() -> None:
    rng = np.random.default_rng(0)
    pose = np.cumsum(rng.normal(0, 0.01, size=(400, 6)), axis=0)
    a = M.random_direction_pose(pose, np.random.default_rng(1))
    b = M.random_direction_pose(pose, np.random.default_rng(1))
    np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(a[0], pose[0])
    step = np.abs(np.diff(pose, axis=0)).mean(axis=0)
    # |uniform(-1, 1)| has mean 1/2.
    np.testing.assert_allclose(np.abs(np.diff(a, axis=0)).mean(axis=0), step / 2, rtol=0.15)


def test_silent_frames_keep_a_margin_around_sound() -> None:
    voice = np.zeros(60, bool)
    voice[20:30] = True
    breath = np.zeros(60, bool)
    breath[50] = True
    silent = M.silent_frames(voice, breath, 30.0)  # margin 0.2 s = 6 frames
    expected = np.ones(60, bool)
    expected[14:36] = False
    expected[44:57] = False
    np.testing.assert_array_equal(silent, expected)


def _toy_face() -> SimpleNamespace:
    """Four lip vertices: jawOpen drops the lower two by 10 mm; mouthClose lifts them back."""
    neutral = np.array([[0.0, 0, 0.002], [0.01, 0, 0.002], [0.0, 0, 0.0], [0.01, 0, 0.0]])
    deltas = np.zeros((52, 4, 3))
    deltas[ARKIT_INDEX["jawOpen"], 2:, 2] = -0.010
    deltas[ARKIT_INDEX["mouthClose"], 2:, 2] = 0.010
    deltas[ARKIT_INDEX["mouthFunnel"], 0, 1] = -0.004  # one vertex forward 4 mm
    regions = {
        "lips": np.arange(4),
        "lip_line_upper": np.array([0, 1]),
        "lip_line_lower": np.array([2, 3]),
    }
    return SimpleNamespace(neutral=neutral, deltas=deltas, regions=regions)


def test_lip_distances_and_mouth_gap_by_hand() -> None:
    lips = M.LipGeometry(_toy_face())
    gt = np.zeros((2, 52))
    pred = np.zeros((2, 52))
    pred[0, ARKIT_INDEX["jawOpen"]] = 0.5  # lower lip 5 mm down: 2 of 4 vertices off by 5
    pred[1, ARKIT_INDEX["mouthFunnel"]] = 1.0  # 1 of 4 vertices off by 4
    a, b = lips.lip_vertices_mm(gt), lips.lip_vertices_mm(pred)
    assert M.lmd(a, b) == pytest.approx(((10 / 4) + (4 / 4)) / 2)
    assert M.lve(a, b) == pytest.approx((5 + 4) / 2)
    gap = lips.mouth_gap_mm(
        np.array(
            [
                [0.0] * 52,
                pred[0],
                np.where(np.arange(52) == ARKIT_INDEX["mouthClose"], 0.5, pred[0]),
            ]
        )
    )
    np.testing.assert_allclose(gap, [0.0, 5.0, 0.0], atol=1e-9)
    np.testing.assert_array_equal(M.mouth_closed(gap), [True, False, True])


def test_mouth_gap_matches_the_face_model() -> None:
    from core.face.model import FaceModel

    face = FaceModel.load()
    lips = M.LipGeometry(face)
    e = np.zeros((3, 52), np.float32)
    e[1, ARKIT_INDEX["jawOpen"]] = 0.4
    e[2, ARKIT_INDEX["jawOpen"]] = 0.4
    e[2, ARKIT_INDEX["mouthClose"]] = 0.4
    vertices = face.vertices(e)
    opening = face.mouth_opening(vertices) * 1000
    np.testing.assert_allclose(lips.mouth_gap_mm(e), opening - opening[0], atol=1e-3)
    np.testing.assert_allclose(lips.lip_vertices_mm(e), vertices[:, lips.lips] * 1000, atol=1e-3)
    gap = lips.mouth_gap_mm(e)
    assert gap[1] > 8 and gap[2] < M.CLOSED_GAP_MM
