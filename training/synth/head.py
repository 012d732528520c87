"""The performer's head: speed from the beat and the phrase energy, direction from a walk.

Like the paper's PGN, motion is speed times direction. Speed swells between beats
and dips to (almost) nothing on each beat — the head "lands" on the beat — and
is larger for the move that starts on a downbeat and when the singing is loud.
The direction is a smooth random walk over the six pose channels, pulled back
toward rest so the head never wanders off; the nod may reverse on a beat (the
speed is ~0 there, so the turn is smooth), which is what bobbing looks like.
"""

from __future__ import annotations

import numpy as np
from scipy.ndimage import gaussian_filter1d

from training.synth.styles import SingerStyle

_TRANSLATION_PER_RADIAN = 0.04  # metres of neck-pivot shift per radian of turn
_RANGE = 0.3  # radians; beyond this the pull back to rest dominates


def speed(
    times: np.ndarray,
    beats: np.ndarray,
    downbeats: np.ndarray,
    energy: np.ndarray,
    style: SingerStyle,
    rng: np.random.Generator,
) -> np.ndarray:
    """Angular speed (rad/s) per frame."""
    period = float(np.median(np.diff(beats))) if len(beats) > 1 else 0.5
    # Extend the grid so frames before the first and after the last beat still pulse.
    grid = np.concatenate(
        [beats[0] - period * np.arange(8, 0, -1), beats, beats[-1] + period * np.arange(1, 9)]
    )
    k = np.clip(np.searchsorted(grid, times, side="right") - 1, 0, len(grid) - 2)
    phase = (times - grid[k]) / (grid[k + 1] - grid[k])
    is_down = np.isin(np.round(grid, 6), np.round(downbeats, 6))
    move = np.where(is_down, style.downbeat_boost, 1.0) * rng.uniform(0.75, 1.25, len(grid))
    pulse = np.sin(np.pi * phase) ** 2 * move[k]
    shaped = style.beat_coupling * pulse + (1.0 - style.beat_coupling) * 0.5
    return style.head_speed * energy * shaped + 0.01


def energy_curve(
    times: np.ndarray, vocal_loudness: np.ndarray, section_level: np.ndarray
) -> np.ndarray:
    """How much the performer moves: more while singing loudly, less in intros and outros."""
    fps = 1.0 / max(float(times[1] - times[0]), 1e-6) if len(times) > 1 else 30.0
    singing = gaussian_filter1d(vocal_loudness, sigma=0.4 * fps, mode="nearest")
    return section_level * (0.55 + 0.6 * singing)


def pose(
    rng: np.random.Generator,
    times: np.ndarray,
    beats: np.ndarray,
    downbeats: np.ndarray,
    energy: np.ndarray,
    style: SingerStyle,
) -> np.ndarray:
    """(T, 6): Euler XYZ radians, then translation in metres."""
    fps = 1.0 / float(times[1] - times[0])
    s = speed(times, beats, downbeats, energy, style, rng) / fps  # radians per frame
    walk = gaussian_filter1d(
        rng.normal(0, 1, (len(times), 3)), sigma=0.6 * fps, axis=0, mode="nearest"
    )
    walk /= np.maximum(walk.std(axis=0, keepdims=True), 1e-6)
    weights = np.array(style.axis_weights)
    beat_frames = set(np.rint(beats * fps).astype(int).tolist())
    nod_sign = 1.0
    rot = np.zeros((len(times), 3))
    for t in range(1, len(times)):
        if t in beat_frames and rng.random() < style.nod_flip:
            nod_sign = -nod_sign
        desired = walk[t] * weights * np.array([nod_sign, 1.0, 1.0])
        desired -= 2.5 * rot[t - 1] / _RANGE  # pull back toward rest
        # A unit direction, except near the balance of walk and pull, where a unit
        # vector would flip from frame to frame (a tremor): there the head eases in.
        direction = desired / max(float(np.linalg.norm(desired)), 1.0)
        rot[t] = rot[t - 1] + s[t] * direction
    # The neck pivot shifts a little with the turn (leaning into a nod, swaying with a roll).
    loc = (
        np.stack([rot[:, 1] * -0.5, rot[:, 0] * 0.6, rot[:, 0] * -0.3], axis=1)
        * _TRANSLATION_PER_RADIAN
    )
    return np.concatenate([rot, loc], axis=1).astype(np.float32)
