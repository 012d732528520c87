"""A person's video -> renderer targets: capture, crop, landmark fit, frames.

1. Capture (core/capture) at the tracker's rate: calibrated ARKit curves, the head
   rotation and MediaPipe's landmarks, per frame.
2. One square crop for the whole video, placed so the face sits where the template
   camera puts the template's face (a fixed crop keeps the background plate still).
3. fit.py places the head in every frame (focal length, shape, pose).
4. The frames, decoded again at the resolution the crop needs, cropped and scaled.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from core.capture.calibration import Calibration
from core.capture.capture import MIN_TRACKED, SmoothingSettings, curves_from_track, track_video
from core.capture.video import open_video
from core.errors import BadInput
from core.face.model import FaceModel
from core.progress import ProgressFn, no_progress, scaled
from training.renderer.fit import Correspondence, fit_head
from training.renderer.targets import RendererTargets

MAX_FRAMES = 900  # longer videos are subsampled evenly (memory of the guidance cache)


@dataclass(frozen=True)
class Crop:
    x: float  # left, source pixels
    y: float  # top
    side: float  # source pixels

    def box(self) -> tuple[int, int, int, int]:
        return (round(self.x), round(self.y), round(self.x + self.side), round(self.y + self.side))


def face_crop(
    points: np.ndarray, valid: np.ndarray, width: int, height: int, c: Correspondence
) -> Crop:
    """The crop in which the median face lands where the template's face is."""
    pixels = points[valid][:, c.landmarks] * np.array([width, height])  # (M, K, 2)
    centre = np.median(pixels.mean(axis=1), axis=0)
    extent = np.median(pixels[..., 1].max(axis=1) - pixels[..., 1].min(axis=1))
    ref = c.template_points
    ref_extent = ref[:, 1].max() - ref[:, 1].min()
    side = extent / ref_extent
    origin = centre - ref.mean(axis=0) * side
    return Crop(float(origin[0]), float(origin[1]), float(side))


def _crop_frame(frame: np.ndarray, crop: Crop, size: int) -> np.ndarray:
    from PIL import Image

    image = Image.fromarray(frame)
    pad = int(np.ceil(crop.side))
    padded = Image.fromarray(np.pad(frame, ((pad, pad), (pad, pad), (0, 0)), mode="edge"))
    left, top, right, bottom = crop.box()
    del image
    region = padded.crop((left + pad, top + pad, right + pad, bottom + pad))
    return np.asarray(region.resize((size, size), Image.Resampling.LANCZOS))


def footage_targets(
    video: Path, size: int, max_frames: int = MAX_FRAMES, progress: ProgressFn = no_progress
) -> tuple[RendererTargets, dict]:
    """Targets from `video` and a report (tracked share, fit error, crop)."""
    info, frames = open_video(video, max_side=512)
    track = track_video(info, frames, scaled(progress, 0.0, 0.6))
    tracked = float(track.valid.mean())
    if not track.valid.any():
        raise BadInput(f"no face found in {video.name}")
    if tracked < MIN_TRACKED:
        raise BadInput(f"a face is visible in only {100 * tracked:.0f} % of {video.name}'s frames")
    expression, pose, _ = curves_from_track(
        track, Calibration.load(), SmoothingSettings(), fps=track.fps
    )
    count = min(len(track.valid), len(expression))
    keep = np.linspace(0, count - 1, min(count, max_frames)).round().astype(int)
    correspondence = Correspondence.load()
    assert track.landmarks is not None
    width, height = info.size
    crop_small = face_crop(track.landmarks, track.valid, width, height, correspondence)
    points = track.landmarks[keep] * np.array([width, height])
    points = (points - np.array([crop_small.x, crop_small.y])) / crop_small.side * size
    progress("fit", 0.0)
    face = FaceModel.load()
    fit = fit_head(
        face, correspondence, points, track.valid[keep], expression[keep], pose[keep, :3], size
    )
    progress("fit", 1.0)
    # Decode again, large enough that the crop has `size` pixels of its own.
    source_long = max(info.source_size)
    crop_share = crop_small.side / max(width, height)
    max_side = int(min(source_long, max(512, np.ceil(size / max(crop_share, 1e-3)))))
    info_big, frames = open_video(video, max_side=max_side)
    ratio = info_big.size[0] / width
    crop = Crop(crop_small.x * ratio, crop_small.y * ratio, crop_small.side * ratio)
    wanted = set(keep.tolist())
    images = []
    for index, frame in enumerate(frames):
        if index in wanted:
            images.append(torch.from_numpy(_crop_frame(frame, crop, size).copy()).permute(2, 0, 1))
        if index % 20 == 0:
            progress("frames", 0.6 + 0.4 * index / count)
        if len(images) == len(keep):
            break
    got = len(images)
    targets = RendererTargets(
        frames=torch.stack(images),
        expression=torch.from_numpy(expression[keep][:got].astype(np.float32)),
        pose=torch.from_numpy(fit.pose[:got].astype(np.float32)),
        camera=fit.camera,
        scale=fit.scale,
        meta={"source": "footage", "video": video.name, "identity": video.stem},
        rest_pose=tuple(float(v) for v in np.median(fit.pose[:got], axis=0)),
    )
    report = {
        "tracked": round(tracked, 4),
        "frames": got,
        "fit_rms_pixels": round(fit.rms_pixels, 2),
        "focal": round(fit.camera.focal, 3),
        "scale": [round(v, 3) for v in fit.scale],
        "crop": [round(crop.x), round(crop.y), round(crop.side)],
    }
    return targets, report
