"""The performer's head: speed from the beat and the phrase energy, direction per move.

Like the paper's PGN, motion is speed times direction. Speed swells between beats
and dips to (almost) nothing on each beat — the head "lands" on the beat — and
is larger for the move that starts on a downbeat and when the singing is loud.
Each move (one per beat, two per beat in slow songs) heads for a random target
pose near rest, so the head swings back and forth around rest instead of
wandering off; the nod often bobs to the other side, and the direction turns
smoothly where the speed is lowest, at the start of a move.

Calibrated to real singers on video (MediaPipe): per-axis rotation std 1.2–5.3°
(yaw), 2.1–3.9° (pitch), 1.4–5.6° (roll), mean angular speed 11–40°/s. On a
beat grid at 80–150 BPM this performer has, per style and tempo, a mean speed of
20–33°/s and a per-axis std of 2.2–4.4° (3.5° on average), near the middle of
those ranges; in the corpus, with its quieter intros and breaks, 21°/s and ~3.2°.
The one before it (speed gain 0.9, spread 0.075: 3.0° and 18°/s in the corpus)
sat at their low end, and a model moves less on real songs than on the corpus.
"""

from __future__ import annotations

import numpy as np
from scipy.ndimage import gaussian_filter1d

from training.synth.styles import SingerStyle

_TRANSLATION_PER_RADIAN = 0.04  # metres of neck-pivot shift per radian of turn
# Peak speed = _SPEED_GAIN · (style.head_speed + _SPEED_FLOOR): the floor narrows
# the styles' 2× spread of head_speed so the calmest still moves like a singer
# (~12°/s on average) and the liveliest stays within real figures (~23°/s).
_SPEED_GAIN = 1.1
_SPEED_FLOOR = 0.4
# Targets are drawn with this std (radians) per axis, times the style's axis
# weights (square-rooted: the styles' 3× nod-to-roll preference kept the roll of
# a calm singer under a real singer's 1.4°) and a per-axis gain (nod, roll, turn).
_SPREAD = 0.09
_AXIS_POWER = 0.5
_AXIS_GAIN = (0.85, 1.2, 1.0)
# A move longer than this (a beat of a slow song) is split in two: one long move
# per beat at singer speed would swing the head far beyond a singer's range.
_LONGEST_MOVE = 0.45
# How fast the direction turns to a new target (s): quick enough to turn while the
# speed is low around the beat, slow enough to leave no kink (no tremor).
_TURN_SECONDS = 0.07
# Radians from rest where the soft wall stops a move outward; it starts slowing it
# at half that (see pose).
_REACH = 0.2


def move_starts(beats: np.ndarray, extend: int = 0) -> np.ndarray:
    """When moves start: every beat, and halfway between beats in slow songs;
    `extend` beats are added before the first and after the last one."""
    period = float(np.median(np.diff(beats))) if len(beats) > 1 else 0.5
    before = beats[0] - period * np.arange(extend, 0, -1)
    after = beats[-1] + period * np.arange(1, extend + 1)
    grid = np.concatenate([before, beats, after])
    if period > _LONGEST_MOVE:
        grid = np.sort(np.concatenate([grid, 0.5 * (grid[1:] + grid[:-1])]))
    return grid


def speed(
    times: np.ndarray,
    beats: np.ndarray,
    downbeats: np.ndarray,
    energy: np.ndarray,
    style: SingerStyle,
    rng: np.random.Generator,
) -> np.ndarray:
    """Angular speed (rad/s) per frame."""
    # Extend the grid so frames before the first and after the last beat still pulse.
    grid = move_starts(beats, extend=8)
    k = np.clip(np.searchsorted(grid, times, side="right") - 1, 0, len(grid) - 2)
    phase = (times - grid[k]) / (grid[k + 1] - grid[k])
    is_down = np.isin(np.round(grid, 6), np.round(downbeats, 6))
    move = np.where(is_down, style.downbeat_boost, 1.0) * rng.uniform(0.75, 1.25, len(grid))
    pulse = np.sin(np.pi * phase) ** 2 * move[k]
    shaped = style.beat_coupling * pulse + (1.0 - style.beat_coupling) * 0.5
    peak = _SPEED_GAIN * (style.head_speed + _SPEED_FLOOR)
    return peak * energy * shaped + 0.01


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
    spread = _SPREAD * np.array(style.axis_weights) ** _AXIS_POWER * np.array(_AXIS_GAIN)
    move_frames = set(np.rint(move_starts(beats) * fps).astype(int).tolist())
    ease = 1.0 - np.exp(-1.0 / (_TURN_SECONDS * fps))
    goal = np.zeros(3)
    direction = np.zeros(3)
    rot = np.zeros((len(times), 3))
    for t in range(1, len(times)):
        if t == 1 or t in move_frames:
            target = rng.normal(0.0, 1.0, 3) * spread
            if rng.random() < style.nod_flip:
                target[0] = -np.sign(rot[t - 1, 0]) * abs(target[0])  # bob to the other side
            toward = target - rot[t - 1]
            goal = toward / max(float(np.linalg.norm(toward)), 1e-6)
        direction += ease * (goal - direction)
        step = s[t] * direction
        reach = float(np.linalg.norm(rot[t - 1]))
        if reach > 0 and float(step @ rot[t - 1]) > 0:  # moving away from rest
            # A soft wall: a strong move that overshoots its target slows down
            # before the head turns further than a singer's (no 25° nods).
            step *= float(np.clip((_REACH - reach) / (0.5 * _REACH), 0.0, 1.0))
        rot[t] = rot[t - 1] + step
    # The neck pivot shifts a little with the turn (leaning into a nod, swaying with a roll).
    loc = (
        np.stack([rot[:, 1] * -0.5, rot[:, 0] * 0.6, rot[:, 0] * -0.3], axis=1)
        * _TRANSLATION_PER_RADIAN
    )
    return np.concatenate([rot, loc], axis=1).astype(np.float32)
