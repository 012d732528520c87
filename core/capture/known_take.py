"""A take whose every curve is known: what the capture round trip renders and re-reads.

Smooth bumps on the ARKit channels (a few at a time, as a face moves), blinks of both
eyes and winks of one, long closures, and head turns about all three axes, with the
head also stepped back from the camera so that the same face is seen small and large.
Numpy only; `scripts/calibrate_capture.py` and the tests render it with the add-on's
own batch job.
"""

from __future__ import annotations

import numpy as np

from core.face.arkit import ARKIT_NAMES
from core.performance import Performance

FPS = 30.0
_BLINK = ("eyeBlinkLeft", "eyeBlinkRight")
# Seen small and large: the head steps back along +Y (away from the camera), metres.
DEPTHS = (0.0, 0.25, 0.55)


def _bump(length: int, start: int, duration: int, amplitude: float) -> np.ndarray:
    out = np.zeros(length, dtype=np.float64)
    end = min(length, start + duration)
    phase = np.linspace(0.0, 2.0 * np.pi, end - start, endpoint=False)
    out[start:end] = amplitude * 0.5 * (1.0 - np.cos(phase))
    return out


# Upper and lower face move at the same time, each one action at a time, as in a
# mocap range-of-motion take: a tracker's confusion of two mouth actions that were
# rendered together would be fitted as if it were one of them.
UPPER = tuple(
    n for n in ARKIT_NAMES
    if n.startswith(("brow", "eyeLook", "eyeSquint", "eyeWide", "cheekSquint", "noseSneer"))
)  # fmt: skip
LOWER = tuple(n for n in ARKIT_NAMES if n.startswith(("jaw", "mouth")) or n == "cheekPuff")


def _actions(
    rng: np.random.Generator, frames: int, names: tuple[str, ...], expression: np.ndarray
) -> None:
    """One action after another from `names` (shuffled, each before any repeats; jawOpen
    every fourth, as in singing), a mirror pair often together."""
    order: list[str] = []
    start, count = int(rng.integers(0, int(0.3 * FPS))), 0
    while start < frames:
        if not order:
            order = list(rng.permutation(names))
        name = "jawOpen" if "jawOpen" in names and count % 4 == 3 else order.pop()
        count += 1
        duration = int(rng.integers(int(0.35 * FPS), int(0.6 * FPS)))
        bump = _bump(frames, start, duration, float(rng.uniform(0.4, 1.0)))
        columns = [ARKIT_NAMES.index(name)]
        mirror = name.replace("Left", "Right") if name.endswith("Left") else None
        if mirror and rng.random() < 0.5:
            columns.append(ARKIT_NAMES.index(mirror))
        for column in columns:
            expression[:, column] = np.maximum(expression[:, column], bump)
        start += duration + int(rng.integers(int(0.03 * FPS), int(0.15 * FPS)))


def known_take(
    seconds: float,
    seed: int = 0,
    depths: tuple[float, ...] = DEPTHS,
    channels: tuple[str, ...] | None = None,
) -> Performance:
    """A seeded take of `seconds` with expression, pose and eye state all known;
    `channels` limits the actions to those ARKit names (blinks always happen)."""
    rng = np.random.default_rng(seed)
    frames = int(round(seconds * FPS))
    expression = np.zeros((frames, len(ARKIT_NAMES)))
    for region in (UPPER, LOWER):
        names = tuple(n for n in region if channels is None or n in channels)
        if names:
            _actions(rng, frames, names, expression)
    # Blinks every 1.2-2.4 s (0.15-0.3 s each), one in four a wink, one in eight long.
    left, right = (ARKIT_NAMES.index(n) for n in _BLINK)
    eye_long = np.zeros(frames)
    eye_blink = np.zeros(frames)
    start = int(rng.integers(int(0.5 * FPS), int(1.5 * FPS)))
    while start < frames - 1:
        kind = rng.random()
        if kind < 0.125:
            duration = int(rng.integers(int(0.8 * FPS), int(1.4 * FPS)))
            bump = np.minimum(2.0 * _bump(frames, start, duration, 1.0), 1.0)
            eye_long = np.maximum(eye_long, bump)
            columns = [left, right]
        else:
            duration = int(rng.integers(int(0.15 * FPS), int(0.3 * FPS)) + 1)
            bump = _bump(frames, start, duration, 1.0)
            columns = [left, right] if kind > 0.3 else [(left, right)[int(rng.integers(2))]]
            if len(columns) == 2:
                eye_blink = np.maximum(eye_blink, bump)
        for column in columns:
            expression[:, column] = np.maximum(expression[:, column], bump)
        start += duration + int(rng.integers(int(1.2 * FPS), int(2.4 * FPS)))
    # Head turns: smooth sums of sines, up to ~12° per axis, and the depth steps.
    time = np.arange(frames) / FPS
    pose = np.zeros((frames, 6))
    for axis, limit in enumerate(np.radians((9.0, 7.0, 12.0))):
        for _ in range(3):
            frequency = rng.uniform(0.08, 0.5)
            pose[:, axis] += limit / 3 * np.sin(2 * np.pi * frequency * time + rng.uniform(0, 6.3))
    segment = np.minimum((np.arange(frames) * len(depths)) // max(frames, 1), len(depths) - 1)
    pose[:, 4] = np.asarray(depths)[segment]
    return Performance(
        fps=FPS,
        expression=np.clip(expression, 0.0, 1.0),
        pose=pose,
        eye_long=eye_long,
        eye_blink=eye_blink,
        meta={"source": "known_take", "seed": seed, "seconds": frames / FPS},
    )
