"""Strength per layer: lips and expression, head motion, blinks, long closures.

The Performance's eyeBlink columns hold the composite eye state (long closure
where there is one, else the sampled blink). To weigh blinks and long
closures apart, each frame's eye value is scaled by the strength of the part
that produced it. At strength 1 everywhere the arrays come back unchanged, so
the keys equal the Performance exactly. numpy only.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

BLINK_NAMES = ("eyeBlinkLeft", "eyeBlinkRight")


@dataclass(frozen=True)
class Strengths:
    expression: float = 1.0
    head: float = 1.0
    blinks: float = 1.0
    long_closures: float = 1.0

    @property
    def neutral(self) -> bool:
        return (self.expression, self.head, self.blinks, self.long_closures) == (1, 1, 1, 1)


def eye_weights(eye_long: np.ndarray, strengths: Strengths) -> np.ndarray:
    """Per-frame factor for the blink columns: long-closure strength where one is on."""
    in_closure = np.asarray(eye_long, dtype=np.float32) > 1e-3
    weights = np.where(in_closure, strengths.long_closures, strengths.blinks).astype(np.float32)
    if len(weights) >= 3:
        # A 3-frame box keeps the switch between the two strengths from popping.
        padded = np.pad(weights, 1, mode="edge")
        weights = (padded[:-2] + padded[1:-1] + padded[2:]) / 3.0
    return weights


def weighted_expression(
    expression: np.ndarray,
    names: tuple[str, ...],
    eye_long: np.ndarray,
    strengths: Strengths,
) -> np.ndarray:
    """(T, 52) expression with the layer strengths applied, clipped to [0, 1]."""
    expression = np.asarray(expression, dtype=np.float32)
    if strengths.neutral:
        return expression
    out = expression * np.float32(strengths.expression)
    blink_columns = [names.index(n) for n in BLINK_NAMES if n in names]
    weights = eye_weights(eye_long, strengths)
    for column in blink_columns:
        out[:, column] = expression[:, column] * weights
    return np.clip(out, 0.0, 1.0)


def weighted_pose(pose: np.ndarray, strengths: Strengths) -> np.ndarray:
    """(T, 6) head pose scaled by the head-motion strength."""
    pose = np.asarray(pose, dtype=np.float32)
    return pose if strengths.head == 1 else pose * np.float32(strengths.head)
