"""What a renderer learns from: frames of one identity and the curves behind each.

Synthetic targets are the template head rendered with known curves (the curves are
the truth); footage targets come from capture and a landmark fit (fit.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

from core.errors import BadInput
from core.performance import Performance
from core.photoreal.camera import Camera


@dataclass
class RendererTargets:
    frames: torch.Tensor  # (N, 3, S, S) uint8
    expression: torch.Tensor  # (N, 52) float32
    pose: torch.Tensor  # (N, 6) float32
    camera: Camera
    scale: tuple[float, float, float] = (1.0, 1.0, 1.0)
    meta: dict[str, Any] = field(default_factory=dict)
    # The pose a take's (relative) pose is added to when rendering: zero for the
    # template, the median fitted pose for footage.
    rest_pose: tuple[float, ...] = (0.0,) * 6

    def __post_init__(self) -> None:
        if not (len(self.frames) == len(self.expression) == len(self.pose)):
            raise BadInput(
                f"{len(self.frames)} frames but {len(self.expression)} expression and "
                f"{len(self.pose)} pose rows"
            )
        if len(self.frames) < 10:
            raise BadInput(f"only {len(self.frames)} frames: a renderer needs at least 10")

    @property
    def size(self) -> int:
        return int(self.frames.shape[-1])

    def __len__(self) -> int:
        return len(self.frames)


def read_frames(video: Path, size: int, limit: int | None = None) -> torch.Tensor:
    """A square video's frames as (N, 3, size, size) uint8, scaled by ffmpeg."""
    from core.capture.video import open_video

    _, frames = open_video(video, max_side=size)
    out = []
    for frame in frames:
        if frame.shape[0] != size or frame.shape[1] != size:
            raise BadInput(
                f"{video.name} is not square at {size}² (got {frame.shape[1]}x{frame.shape[0]})"
            )
        out.append(torch.from_numpy(np.array(frame)).permute(2, 0, 1))
        if limit is not None and len(out) >= limit:
            break
    if not out:
        raise BadInput(f"{video.name} has no frames")
    return torch.stack(out)


def synthetic_targets(take: Performance, video: Path, camera: Camera, size: int) -> RendererTargets:
    """The template rendered with `take` (core.capture.round_trip.render_take) as targets."""
    frames = read_frames(video, size)
    count = min(len(frames), take.frames)
    return RendererTargets(
        frames=frames[:count],
        expression=torch.from_numpy(take.expression[:count].copy()),
        pose=torch.from_numpy(take.pose[:count].copy()),
        camera=camera,
        meta={"source": "synthetic", "identity": "MusicFace template (synthetic)", **take.meta},
    )


def procedural_targets(size: int, frames: int, seed: int = 0) -> RendererTargets:
    """A synthetic identity made without Blender: the template head with a seeded
    procedural albedo (bands and blobs in UV space, darker eyes and mouth inside),
    Lambert-lit from the camera's upper left, over a flat plate. Curves from the
    known take, so mouth, eyes and head all move. For tests and benchmarks."""
    from torch.nn import functional as F

    from core.capture.known_take import known_take
    from core.face.model import FaceModel
    from core.photoreal.guidance import GuidanceMaker

    face = FaceModel.load()
    camera = Camera.template(face)
    take = known_take(frames / 30.0, seed=seed, depths=(0.0,))
    generator = torch.Generator().manual_seed(seed)
    u = torch.linspace(0, 1, 128)
    grid_v, grid_u = torch.meshgrid(u, u, indexing="ij")
    albedo = torch.stack(
        (
            0.55 + 0.25 * torch.sin(12 * grid_u + 3 * torch.rand(1, generator=generator)),
            0.40 + 0.20 * torch.cos(9 * grid_v),
            0.35 + 0.2 * torch.sin(7 * (grid_u + grid_v)),
        )
    )[None]
    maker = GuidanceMaker(face, camera, size)
    e = torch.from_numpy(take.expression[:frames].copy())
    p = torch.from_numpy(take.pose[:frames].copy())
    with torch.no_grad():
        guidance = maker.images(maker.geometry(e, p), e)
        colour = F.grid_sample(
            albedo.expand(len(e), -1, -1, -1),
            guidance[:, :2].permute(0, 2, 3, 1),
            align_corners=False,
        )
        light = torch.tensor([-0.4, 0.5, 0.77])[None, :, None, None]
        shade = 0.35 + 0.65 * (guidance[:, 2:5] * light).sum(1, keepdim=True).clamp_min(0)
        inner = guidance[:, 7:11].amax(1, keepdim=True)
        colour = colour * shade * (1 - 0.7 * inner)
        cover = guidance[:, 6:7]
        image = cover * colour + (1 - cover) * torch.tensor([0.2, 0.22, 0.25])[None, :, None, None]
    return RendererTargets(
        frames=(image.clamp(0, 1) * 255).round().to(torch.uint8),
        expression=e,
        pose=p,
        camera=camera,
        meta={"source": "procedural", "seed": seed},
    )
