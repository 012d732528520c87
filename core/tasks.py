"""The three tasks the generator solves, each with its own attention (ATM) and head."""

from __future__ import annotations

EXPRESSION = "expression"
POSE = "pose"
EYE = "eye"

TASKS: tuple[str, ...] = (EXPRESSION, POSE, EYE)
