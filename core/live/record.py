"""What was sent, as a Performance take (`musicface live --record take.npz`)."""

from __future__ import annotations

from typing import Any

import numpy as np

from core.live.face import FaceFrame
from core.performance import Performance


class TakeRecorder:
    def __init__(self) -> None:
        self.frames: list[FaceFrame] = []

    def add(self, frame: FaceFrame) -> None:
        self.frames.append(frame)

    def performance(self, fps: float, beats: list[float], meta: dict[str, Any]) -> Performance:
        frames = self.frames
        return Performance(
            fps=fps,
            expression=np.stack([f.expression for f in frames]) if frames else np.zeros((0, 52)),
            pose=np.stack([f.pose for f in frames]) if frames else np.zeros((0, 6)),
            eye_long=np.array([f.eye_long for f in frames], np.float32),
            eye_blink=np.array([f.eye_blink for f in frames], np.float32),
            beats=np.asarray(beats, np.float64),
            meta={**meta, "source": "live"},
        )
