"""The Performance file: what the engine produces and the Blender add-on reads.

One `.npz` (saved and loaded with allow_pickle=False) holding, at `fps`:
expression (T, 52) ARKit coefficients in [0, 1], pose (T, 6) (Euler XYZ radians
then translation metres, relative to rest, pivot at the neck), the two parts of
the eye state, optional attention curves and beat times, and a JSON `meta`.
This module is numpy + stdlib only so that any side can read the format.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from core.atomic_write import atomic_write
from core.errors import BadInput
from core.face.arkit import ARKIT_NAMES
from core.tasks import TASKS

POSE_CHANNELS = ("rot_x", "rot_y", "rot_z", "loc_x", "loc_y", "loc_z")
ATTENTION_TASKS = TASKS  # one attention curve set per task
_REQUIRED = ("fps", "names", "expression", "pose", "eye_long", "eye_blink", "meta")


@dataclass
class Performance:
    fps: float
    expression: np.ndarray
    pose: np.ndarray
    eye_long: np.ndarray
    eye_blink: np.ndarray
    names: tuple[str, ...] = ARKIT_NAMES
    attention: np.ndarray | None = None
    beats: np.ndarray | None = None
    meta: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.fps = float(self.fps)
        self.names = tuple(str(n) for n in self.names)
        self.expression = np.asarray(self.expression, dtype=np.float32)
        self.pose = np.asarray(self.pose, dtype=np.float32)
        self.eye_long = np.asarray(self.eye_long, dtype=np.float32).reshape(-1)
        self.eye_blink = np.asarray(self.eye_blink, dtype=np.float32).reshape(-1)
        if self.attention is not None:
            self.attention = np.asarray(self.attention, dtype=np.float32)
        if self.beats is not None:
            self.beats = np.asarray(self.beats, dtype=np.float64).reshape(-1)
        self.validate()

    @property
    def frames(self) -> int:
        return int(self.expression.shape[0])

    @property
    def seconds(self) -> float:
        """The song's length: `meta["seconds"]` when the engine recorded it, else T / fps."""
        recorded = self.meta.get("seconds")
        if isinstance(recorded, (int, float)) and 0 < recorded <= self.frames / self.fps + 1e-6:
            return float(recorded)
        return self.frames / self.fps

    def validate(self) -> None:
        """Raise BadInput unless every array has the contract's shape and sane values."""
        t = self.expression.shape[0] if self.expression.ndim == 2 else -1
        problems = []
        if not (math.isfinite(self.fps) and self.fps > 0):
            problems.append(f"fps must be positive, got {self.fps}")
        if len(self.names) != self.expression.shape[-1] or self.expression.ndim != 2:
            problems.append(f"expression must be (T, {len(self.names)})")
        if self.pose.shape != (t, 6):
            problems.append(f"pose must be (T, 6), got {self.pose.shape}")
        for key in ("eye_long", "eye_blink"):
            if getattr(self, key).shape != (t,):
                problems.append(f"{key} must be (T,)")
        if self.attention is not None and (
            self.attention.ndim != 3 or self.attention.shape[:2] != (3, t)
        ):
            problems.append(f"attention must be (3, T, C), got {self.attention.shape}")
        arrays = [self.expression, self.pose, self.eye_long, self.eye_blink]
        if not all(np.isfinite(a).all() for a in arrays):
            problems.append("arrays contain NaN or infinity")
        if t == 0:
            problems.append("no frames")
        if problems:
            raise BadInput("invalid Performance: " + "; ".join(problems))

    def save(self, path: str | Path) -> Path:
        """Write atomically (temp file + rename) so an interrupted run leaves no half file."""
        path = Path(path)
        arrays: dict[str, np.ndarray] = {
            "fps": np.asarray(self.fps, dtype=np.float64),
            "names": np.array(self.names, dtype="U32"),
            "expression": self.expression,
            "pose": self.pose,
            "eye_long": self.eye_long,
            "eye_blink": self.eye_blink,
            "meta": np.array(json.dumps(self.meta, sort_keys=True)),
        }
        if self.attention is not None:
            arrays["attention"] = self.attention
        if self.beats is not None:
            arrays["beats"] = self.beats
        with atomic_write(path) as handle:
            np.savez_compressed(handle, **arrays)
        return path

    @classmethod
    def load(cls, path: str | Path) -> Performance:
        path = Path(path)
        if not path.is_file():
            raise BadInput(f"performance file not found: {path}")
        try:
            with np.load(path, allow_pickle=False) as data:
                missing = [k for k in _REQUIRED if k not in data.files]
                if missing:
                    raise BadInput(f"{path.name} is not a Performance (missing {missing})")
                content = {k: data[k] for k in data.files}
        except BadInput:
            raise
        except (OSError, ValueError) as err:
            raise BadInput(f"{path.name} is not a readable Performance file: {err}") from err
        try:
            meta = json.loads(str(content["meta"]))
        except json.JSONDecodeError as err:
            raise BadInput(f"{path.name}: meta is not JSON") from err
        return cls(
            fps=float(content["fps"]),
            names=tuple(content["names"].tolist()),
            expression=content["expression"],
            pose=content["pose"],
            eye_long=content["eye_long"],
            eye_blink=content["eye_blink"],
            attention=content.get("attention"),
            beats=content.get("beats"),
            meta=meta,
        )

    def resample(self, fps: float) -> Performance:
        """The same performance at another frame rate (linear interpolation in time)."""
        fps = float(fps)
        if not (math.isfinite(fps) and fps > 0):
            raise BadInput(f"fps must be positive, got {fps}")
        if abs(fps - self.fps) < 1e-9:
            return self
        seconds = self.seconds
        n = max(1, int(math.ceil(round(seconds * fps, 6))))
        source = np.arange(self.frames) / self.fps
        target = np.minimum(np.arange(n) / fps, source[-1])

        def interp(values: np.ndarray) -> np.ndarray:
            flat = values.reshape(values.shape[0], -1)
            out = np.empty((n, flat.shape[1]), dtype=np.float32)
            for column in range(flat.shape[1]):
                out[:, column] = np.interp(target, source, flat[:, column])
            return out.reshape((n,) + values.shape[1:])

        attention = None
        if self.attention is not None:
            attention = np.stack([interp(task) for task in self.attention])
        return Performance(
            fps=fps,
            names=self.names,
            expression=interp(self.expression),
            pose=interp(self.pose),
            eye_long=interp(self.eye_long),
            eye_blink=interp(self.eye_blink),
            attention=attention,
            beats=self.beats,
            # Keep the true length so that resampling back gives the original frame count.
            meta={**self.meta, "seconds": seconds, "resampled_from_fps": self.fps},
        )
