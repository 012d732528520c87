"""The capture round trip: render a known take on the template head, capture the
video, and measure how far the captured curves are from what was rendered.

It is both how the shipped calibration is fitted (scripts/calibrate_capture.py) and
the accuracy test. The video is made the way a user would make one: the add-on's own
batch job writes the take on the template and renders it with Cycles.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from core.capture.eyes import split_eye_state
from core.face.arkit import ARKIT_NAMES
from core.face.template import TEMPLATE_PATH
from core.performance import Performance

CHECKED = ("jawOpen", "eyeBlinkLeft", "eyeBlinkRight", "mouthSmileLeft", "browInnerUp")


def render_take(
    take: Performance, folder: Path, size: int = 256, samples: int = 8, name: str = "known"
) -> Path:
    """Render `take` on the template head (its camera and lights) into folder/NAME.mp4."""
    from core.commands.animate import run_headless

    folder.mkdir(parents=True, exist_ok=True)
    take_path = take.save(folder / f"{name}.npz")
    video = folder / f"{name}.mp4"
    argv = ["--", "--blend", str(TEMPLATE_PATH), "--performance", str(take_path)]
    argv += ["--out", str(folder / f"{name}.blend"), "--render", str(video), "--fps", "30"]
    argv += ["--render-size", str(size), "--render-samples", str(samples)]
    run_headless("keyframes", argv, "rendering the known take failed")
    return video


@dataclass(frozen=True)
class RoundTripErrors:
    rotation_mae_degrees: tuple[float, float, float]  # X (pitch), Y (roll), Z (yaw)
    correlation: dict[str, float]  # ARKit name -> captured vs rendered
    blinks_rendered: int
    blinks_found: int
    blinks_invented: int

    @property
    def blink_recall(self) -> float:
        return self.blinks_found / max(self.blinks_rendered, 1)

    def lines(self) -> list[str]:
        mae = "/".join(f"{v:.2f}" for v in self.rotation_mae_degrees)
        corr = ", ".join(f"{k} {v:.3f}" for k, v in self.correlation.items())
        return [
            f"rotation mean absolute error pitch/roll/yaw: {mae}°",
            f"correlation: {corr}",
            f"blinks: {self.blinks_found} of {self.blinks_rendered} found, "
            f"{self.blinks_invented} invented",
        ]


def _closures(performance: Performance) -> list[tuple[float, float]]:
    blink = [ARKIT_NAMES.index("eyeBlinkLeft"), ARKIT_NAMES.index("eyeBlinkRight")]
    state = split_eye_state(performance.expression[:, blink].mean(axis=1), performance.fps)
    return state.blinks + state.long_closures


def compare(truth: Performance, captured: Performance, names=CHECKED) -> RoundTripErrors:
    """Errors of `captured` against the rendered `truth` (both at the same fps)."""
    frames = min(truth.frames, captured.frames)
    true_rotation = truth.pose[:frames, :3].astype(np.float64)
    true_rotation -= np.median(true_rotation, axis=0)  # capture measures from the median
    error = np.abs(captured.pose[:frames, :3] - true_rotation)
    correlation = {
        name: float(
            np.corrcoef(
                truth.expression[:frames, ARKIT_NAMES.index(name)],
                captured.expression[:frames, ARKIT_NAMES.index(name)],
            )[0, 1]
        )
        for name in names
    }
    rendered = _closures(truth)
    found = _closures(captured)

    def overlaps(a: tuple[float, float], spans: list[tuple[float, float]]) -> bool:
        return any(a[0] < b[1] and b[0] < a[1] for b in spans)

    return RoundTripErrors(
        rotation_mae_degrees=tuple(float(v) for v in np.degrees(error.mean(axis=0))),  # type: ignore[arg-type]
        correlation=correlation,
        blinks_rendered=len(rendered),
        blinks_found=sum(overlaps(span, found) for span in rendered),
        blinks_invented=sum(not overlaps(span, rendered) for span in found),
    )
