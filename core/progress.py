"""Progress reporting shared by the engine's long jobs.

A job reports `progress(stage, fraction)`; the CLI turns that into a tqdm bar or
JSON lines for the Blender add-on. Keeping it a plain callable lets library users
pass their own (or nothing).
"""

from __future__ import annotations

from collections.abc import Callable

ProgressFn = Callable[[str, float], None]


def no_progress(stage: str, fraction: float) -> None:
    """Ignore progress."""


def scaled(progress: ProgressFn, start: float, end: float) -> ProgressFn:
    """Map a sub-task's 0..1 into [start, end] of the caller's progress."""

    def report(stage: str, fraction: float) -> None:
        fraction = min(max(fraction, 0.0), 1.0)
        progress(stage, start + (end - start) * fraction)

    return report
