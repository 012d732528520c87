"""The corpus performer's head moves like a real singer's (MediaPipe on video clips).

Real singers: per-axis rotation std 1.2–5.3° (yaw), 2.1–3.9° (pitch), 1.4–5.6°
(roll), mean angular speed 11–40°/s. The performer is run directly on a beat
grid (no audio), for every style at a slow, a middle and a fast tempo.
"""

from __future__ import annotations

import numpy as np
import pytest

from training import metrics as M
from training.synth import head
from training.synth.styles import STYLES

FPS = 30.0
SECONDS = 16.0
TEMPI = (80.0, 120.0, 150.0)
DEG = 180.0 / np.pi
# Euler X, Y, Z = nod (pitch), roll, turn (yaw) (training/synth/styles.py).
REAL_STD = {"pitch": (2.1, 3.9), "roll": (1.4, 5.6), "yaw": (1.2, 5.3)}
REAL_SPEED = (11.0, 40.0)


def _performances() -> list[tuple[float, np.ndarray, np.ndarray]]:
    times = np.arange(int(SECONDS * FPS)) / FPS
    energy = np.full(len(times), 0.85)  # singing a verse (energy_curve: 0.55 + 0.6 · loudness)
    runs = []
    for bpm in TEMPI:
        beats = np.arange(0.3, SECONDS, 60.0 / bpm)
        for index, style in enumerate(STYLES):
            rng = np.random.default_rng([int(bpm), index])
            runs.append((bpm, beats, head.pose(rng, times, beats, beats[::4], energy, style)))
    return runs


@pytest.fixture(scope="module")
def runs() -> list[tuple[float, np.ndarray, np.ndarray]]:
    return _performances()


def test_every_style_moves_at_a_singers_speed(runs: list) -> None:
    for bpm, _, pose in runs:
        mean_speed = float(M.head_speed(pose, FPS).mean()) * DEG
        assert REAL_SPEED[0] <= mean_speed <= REAL_SPEED[1], (bpm, mean_speed)


def test_rotation_spread_per_axis_is_a_singers(runs: list) -> None:
    std = np.mean([pose[:, :3].std(axis=0) for _, _, pose in runs], axis=0) * DEG
    for axis, value in zip(("pitch", "roll", "yaw"), std, strict=True):
        low, high = REAL_STD[axis]
        assert low <= value <= high, (axis, value)
    for bpm, _, pose in runs:  # no single performance is frozen or wild on any axis
        per_axis = pose[:, :3].std(axis=0) * DEG
        assert (per_axis > 1.0).all() and (per_axis < 8.0).all(), (bpm, per_axis)


def test_the_head_moves_with_the_beat_without_tremor(runs: list) -> None:
    scores = []
    for bpm, beats, pose in runs:
        scores.append(M.beat_alignment(beats, M.motion_beats(pose, FPS), FPS))
        # A tremor puts the velocity's power at high frequencies; the moves here last
        # at least a quarter of a second, so little of it lies above 5 Hz.
        velocity = np.diff(pose[:, :3], axis=0)
        power = (np.abs(np.fft.rfft(velocity, axis=0)) ** 2).sum(axis=1)
        freqs = np.fft.rfftfreq(len(velocity), 1.0 / FPS)
        assert power[freqs > 5.0].sum() / power.sum() < 0.1, bpm
    assert min(scores) > 0.85
