"""Video -> Performance: a performer's real expression, head pose and eyes as a take.

decode (streamed) -> FaceLandmarker per frame -> the performer's face -> fill short
dropouts -> One Euro filter (forwards and backwards, so nothing lags) -> the
performer's own neutral -> calibration to the template's scale (scores and landmark
offsets) -> head pose about the neck pivot relative to the rest pose -> 30 fps ->
blinks and long closures apart.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from core.audio import file_sha256
from core.capture.calibration import Calibration, rest_scores
from core.capture.eyes import split_eye_state
from core.capture.face_shape import shape_features
from core.capture.head_pose import blender_head_frames, relative_pose
from core.capture.landmarker import FaceTracker, PerformerChoice
from core.capture.smoothing import one_euro_both_ways
from core.capture.video import DEFAULT_MAX_SIDE, VideoInfo, open_video
from core.errors import BadInput
from core.face.arkit import ARKIT_NAMES
from core.performance import Performance
from core.progress import ProgressFn, no_progress

CAPTURE_FPS = 30.0
MAX_FILLED_GAP = 0.3  # seconds: longer dropouts are still bridged, and reported
MIN_TRACKED = 0.5  # share of frames that must show a face
ENGINE_VERSION = "capture-1"
_BLINKS = [ARKIT_NAMES.index("eyeBlinkLeft"), ARKIT_NAMES.index("eyeBlinkRight")]


@dataclass(frozen=True)
class SmoothingSettings:
    """One Euro settings per kind of curve (Hz; beta in Hz per unit per second)."""

    pose_min_cutoff: float = 1.5
    pose_beta: float = 2.0  # radians/s: a 10°/s turn lifts the cutoff by ~0.35 Hz
    expression_min_cutoff: float = 2.5
    expression_beta: float = 1.0
    # Blinks close in ~3 frames: a high floor keeps their depth.
    blink_min_cutoff: float = 8.0
    blink_beta: float = 5.0


@dataclass
class CaptureResult:
    performance: Performance
    video: VideoInfo
    tracked: float  # share of the video's frames with a face
    gaps: list[tuple[float, float]] = field(default_factory=list)  # > MAX_FILLED_GAP, seconds
    most_faces: int = 1
    frames_with_several: int = 0
    blinks: int = 0
    long_closures: int = 0

    def summary(self) -> str:
        """What a user should know about the take, in one or two lines."""
        p = self.performance
        rotation = np.degrees(p.pose[:, :3].std(axis=0))
        parts = [
            f"face tracked in {100 * self.tracked:.0f} % of {self.video.expected_frames} frames",
            f"head spread pitch/roll/yaw {rotation[0]:.1f}/{rotation[1]:.1f}/{rotation[2]:.1f}°",
            f"{self.blinks} blinks, {self.long_closures} long closures",
        ]
        if self.gaps:
            spans = ", ".join(f"{a:.1f}–{b:.1f} s" for a, b in self.gaps[:4])
            parts.append(f"no face at {spans}{' …' if len(self.gaps) > 4 else ''} (bridged)")
        if self.most_faces > 1:
            parts.append(
                f"{self.most_faces} faces seen in {self.frames_with_several} frames: "
                "kept the one that was largest at first and followed it"
            )
        return "; ".join(parts)


@dataclass
class RawTrack:
    """What the landmarker saw, at the video's own frame rate (NaN where no face)."""

    fps: float
    scores: np.ndarray  # (N, 52)
    matrices: np.ndarray  # (N, 4, 4)
    valid: np.ndarray  # (N,) bool
    most_faces: int
    frames_with_several: int
    landmarks: np.ndarray | None = None  # (N, 478, 2) normalised image x, y; NaN: no face
    aspect: float = 1.0  # frame width / height: landmarks are normalised per axis


def track_video(info: VideoInfo, frames: Any, progress: ProgressFn = no_progress) -> RawTrack:
    """Run the landmarker over a frame stream, keeping one performer."""
    scores, matrices, valid, landmarks = [], [], [], []
    chooser = PerformerChoice()
    expected = info.expected_frames
    with FaceTracker() as tracker:
        for index, frame in enumerate(frames):
            face = chooser.choose(tracker.detect(frame, round(index * 1000.0 / info.track_fps)))
            valid.append(face is not None)
            scores.append(face.blendshapes if face else np.full(len(ARKIT_NAMES), np.nan))
            matrices.append(face.matrix if face else np.full((4, 4), np.nan))
            points = None if face is None else face.landmarks
            landmarks.append(points if points is not None else np.full((478, 2), np.nan))
            if index % 10 == 0:
                progress("capture", min(index / expected, 0.99))
    if not valid:
        raise BadInput(f"{info.path.name} has no video frames")
    return RawTrack(
        fps=info.track_fps,
        scores=np.asarray(scores, np.float64),
        matrices=np.asarray(matrices, np.float64),
        valid=np.asarray(valid, bool),
        most_faces=chooser.most_faces,
        frames_with_several=chooser.frames_with_several,
        landmarks=np.asarray(landmarks, np.float32),
        aspect=info.size[0] / max(info.size[1], 1),
    )


def _bridge(values: np.ndarray, valid: np.ndarray) -> np.ndarray:
    """Linear interpolation over missing frames (held flat before the first face and
    after the last)."""
    index = np.arange(len(valid))
    flat = values.reshape(len(valid), -1).copy()
    for column in range(flat.shape[1]):
        flat[~valid, column] = np.interp(index[~valid], index[valid], flat[valid, column])
    return flat.reshape(values.shape)


def _long_gaps(valid: np.ndarray, fps: float) -> list[tuple[float, float]]:
    padded = np.concatenate([[True], valid, [True]]).astype(np.int8)
    edges = np.flatnonzero(np.diff(padded))
    starts, ends = edges[0::2], edges[1::2]
    return [
        (s / fps, e / fps)
        for s, e in zip(starts, ends, strict=True)
        if (e - s) / fps > MAX_FILLED_GAP
    ]


def _resample(values: np.ndarray, from_fps: float, to_fps: float, frames: int) -> np.ndarray:
    source = np.arange(values.shape[0]) / from_fps
    target = np.minimum(np.arange(frames) / to_fps, source[-1])
    flat = values.reshape(values.shape[0], -1)
    out = np.stack([np.interp(target, source, flat[:, c]) for c in range(flat.shape[1])], 1)
    return out.reshape((frames,) + values.shape[1:]).astype(np.float32)


@dataclass
class CalibrationInputs:
    """What the calibration reads, at the track's frame rate: bridged and smoothed."""

    scores: np.ndarray  # (N, 52) MediaPipe's blendshape scores
    shape: np.ndarray | None  # (N, face_shape.FEATURES) landmark offsets; None: no landmarks
    pose: np.ndarray  # (N, 6) before the calibration's gains
    rest: np.ndarray  # (52,) the performer's scores at rest


def calibration_inputs(
    track: RawTrack,
    pivot_offset: tuple[float, float, float],
    smoothing: SmoothingSettings | None = SmoothingSettings(),
) -> CalibrationInputs:
    valid = track.valid
    scores = _bridge(track.scores, valid)
    rotations, origins = blender_head_frames(_bridge(track.matrices, valid))
    pose = relative_pose(rotations, origins, valid, pivot_offset)
    shape = None
    if track.landmarks is not None:
        shape = _bridge(shape_features(track.landmarks, valid, track.aspect), valid)
    if smoothing is not None:
        s = smoothing
        cutoff = np.full(len(ARKIT_NAMES), s.expression_min_cutoff)
        beta = np.full(len(ARKIT_NAMES), s.expression_beta)
        cutoff[_BLINKS], beta[_BLINKS] = s.blink_min_cutoff, s.blink_beta
        scores = one_euro_both_ways(scores, track.fps, cutoff, beta)
        pose = one_euro_both_ways(pose, track.fps, s.pose_min_cutoff, s.pose_beta)
        if shape is not None:
            shape = one_euro_both_ways(shape, track.fps, s.expression_min_cutoff, 0.0)
    return CalibrationInputs(scores, shape, pose, rest_scores(scores[valid]))


def curves_from_track(
    track: RawTrack,
    calibration: Calibration,
    smoothing: SmoothingSettings | None = SmoothingSettings(),
    fps: float = CAPTURE_FPS,
    own_neutral: bool = True,
) -> tuple[np.ndarray, np.ndarray, list[tuple[float, float]]]:
    """(expression (T, 52), pose (T, 6)) at `fps`, and the long gaps. `own_neutral`:
    the performer's face at rest drives the template at rest (see calibration.py)."""
    inputs = calibration_inputs(track, calibration.pivot_offset, smoothing)
    rest = inputs.rest if own_neutral else None
    expression = calibration.expression(inputs.scores, inputs.shape, inputs.pose, rest)
    pose = calibration.pose(inputs.pose)
    valid = track.valid
    frames = max(1, int(math.ceil(round(len(valid) / track.fps * fps, 6))))
    return (
        _resample(expression, track.fps, fps, frames),
        _resample(pose, track.fps, fps, frames),
        _long_gaps(valid, track.fps),
    )


def capture_video(
    path: str | Path,
    *,
    calibration: Calibration | None = None,
    smoothing: SmoothingSettings | None = SmoothingSettings(),
    max_side: int = DEFAULT_MAX_SIDE,
    own_neutral: bool = True,
    progress: ProgressFn = no_progress,
) -> CaptureResult:
    """Capture the performer in `path` as a Performance at 30 fps.

    BadInput (one line) for a file that is not a video, no face anywhere, or a face in
    under half of the frames.
    """
    path = Path(path)
    calibration = calibration if calibration is not None else Calibration.load()
    info, frames = open_video(path, max_side)
    progress("capture", 0.0)
    track = track_video(info, frames, progress)
    tracked = float(track.valid.mean())
    if not track.valid.any():
        raise BadInput(f"no face found in {path.name}")
    if tracked < MIN_TRACKED:
        raise BadInput(
            f"a face is visible in only {100 * tracked:.0f} % of {path.name}'s frames "
            f"(at least {100 * MIN_TRACKED:.0f} % needed)"
        )
    expression, pose, gaps = curves_from_track(
        track, calibration, smoothing, own_neutral=own_neutral
    )
    closure = expression[:, _BLINKS].mean(axis=1)
    eyes = split_eye_state(closure, CAPTURE_FPS)
    seconds = len(track.valid) / track.fps
    meta: dict[str, Any] = {
        "engine": ENGINE_VERSION,
        "source": "capture",
        "video": path.name,
        "video_sha256": file_sha256(path),
        "song": path.name if info.has_audio else None,
        "song_path": str(path.resolve()) if info.has_audio else None,
        "song_sha256": None,
        "seconds": seconds,
        "capture": {
            "video_fps": info.fps,
            "tracked_fps": info.track_fps,
            "video_size": list(info.source_size),
            "tracked_size": list(info.size),
            "tracked": round(tracked, 4),
            "gaps": [[round(a, 3), round(b, 3)] for a, b in gaps],
            "calibration": calibration.name,
            "own_neutral": own_neutral,
            "smoothing": None if smoothing is None else smoothing.__dict__,
            "landmarker": "mediapipe-0.10.21 face_landmarker.task",
            "faces_seen": track.most_faces,
        },
    }
    if info.has_audio:
        meta["song_sha256"] = meta["video_sha256"]
    performance = Performance(
        fps=CAPTURE_FPS,
        expression=expression,
        pose=pose,
        eye_long=eyes.eye_long,
        eye_blink=eyes.eye_blink,
        meta=meta,
    )
    progress("capture", 1.0)
    return CaptureResult(
        performance=performance,
        video=info,
        tracked=tracked,
        gaps=gaps,
        most_faces=track.most_faces,
        frames_with_several=track.frames_with_several,
        blinks=len(eyes.blinks),
        long_closures=len(eyes.long_closures),
    )
