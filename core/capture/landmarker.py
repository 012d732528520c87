"""MediaPipe's FaceLandmarker in VIDEO mode: per frame, every face's ARKit scores,
facial transformation matrix and where it sits in the image.

MediaPipe names 51 of the 52 ARKit blendshapes (plus `_neutral`; no `tongueOut`); they
are handed on in Apple's order (core/face/arkit.py) with `tongueOut` at 0.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from core.capture.model_file import face_landmarker_path
from core.errors import MissingModel
from core.face.arkit import ARKIT_NAMES


@dataclass(frozen=True)
class FaceObservation:
    blendshapes: np.ndarray  # (52,) ARKit scores in Apple order, tongueOut 0
    matrix: np.ndarray  # (4, 4) canonical face -> camera space (cm), MediaPipe's axes
    centre: np.ndarray  # (2,) landmark centre, normalised image coordinates
    area: float  # landmark bounding box area, as a share of the image
    landmarks: np.ndarray | None = None  # (478, 2) normalised image x, y (the renderer's fit)


@contextlib.contextmanager
def _quiet_stderr() -> Iterator[None]:
    """MediaPipe's C++ side writes set-up notes (EGL, XNNPACK, feedback tensors) to
    file descriptor 2, past Python; a user needs none of them. MUSICFACE_DEBUG keeps them."""
    if os.environ.get("MUSICFACE_DEBUG"):
        yield
        return
    sys.stderr.flush()
    saved = os.dup(2)
    try:
        with open(os.devnull, "wb") as null:
            os.dup2(null.fileno(), 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


class FaceTracker:
    """One FaceLandmarker for one video: timestamps must increase (VIDEO mode)."""

    def __init__(self, max_faces: int = 3) -> None:
        try:
            import mediapipe as mp
            from mediapipe.tasks.python import BaseOptions, vision
        except ImportError as err:
            raise MissingModel("mediapipe is not installed; run `make setup`") from err
        options = vision.FaceLandmarkerOptions(
            base_options=BaseOptions(model_asset_path=str(face_landmarker_path())),
            running_mode=vision.RunningMode.VIDEO,
            num_faces=max_faces,
            output_face_blendshapes=True,
            output_facial_transformation_matrixes=True,
        )
        self._mp = mp
        with _quiet_stderr():
            self._landmarker = vision.FaceLandmarker.create_from_options(options)
        self._warmed_up = False
        self._columns: dict[str, int] = {name: i for i, name in enumerate(ARKIT_NAMES)}

    def detect(self, frame: np.ndarray, timestamp_ms: int) -> list[FaceObservation]:
        image = self._mp.Image(
            image_format=self._mp.ImageFormat.SRGB, data=np.ascontiguousarray(frame)
        )
        if self._warmed_up:
            result = self._landmarker.detect_for_video(image, int(timestamp_ms))
        else:  # the first inference logs its own set-up notes
            with _quiet_stderr():
                result = self._landmarker.detect_for_video(image, int(timestamp_ms))
            self._warmed_up = True
        faces = []
        for index, landmarks in enumerate(result.face_landmarks):
            scores = np.zeros(len(ARKIT_NAMES), dtype=np.float32)
            for category in result.face_blendshapes[index]:
                column = self._columns.get(category.category_name)
                if column is not None:
                    scores[column] = category.score
            points = np.array([(p.x, p.y) for p in landmarks], dtype=np.float32)
            low, high = points.min(axis=0), points.max(axis=0)
            faces.append(
                FaceObservation(
                    blendshapes=scores,
                    matrix=np.asarray(result.facial_transformation_matrixes[index], np.float64),
                    centre=points.mean(axis=0),
                    area=float(np.prod(np.clip(high - low, 0.0, None))),
                    landmarks=points,
                )
            )
        return faces

    def close(self) -> None:
        self._landmarker.close()

    def __enter__(self) -> FaceTracker:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class PerformerChoice:
    """Which face is the performer when several are on screen: at first the largest,
    then the one nearest to where the performer was (so a passer-by who is briefly
    larger does not steal the take)."""

    def __init__(self) -> None:
        self._last: np.ndarray | None = None
        self.frames_with_several = 0
        self.most_faces = 0

    def choose(self, faces: list[FaceObservation]) -> FaceObservation | None:
        self.most_faces = max(self.most_faces, len(faces))
        if not faces:
            return None
        if len(faces) > 1:
            self.frames_with_several += 1
        if self._last is None:
            chosen = max(faces, key=lambda face: face.area)
        else:
            last = self._last
            chosen = min(faces, key=lambda face: float(np.linalg.norm(face.centre - last)))
        self._last = chosen.centre
        return chosen
