"""Footage: place the head in each frame by landmark reprojection.

For every tracked frame, the head (with that frame's captured expression) is turned
and moved in front of the template camera until its landmark points
(core/assets/landmark_correspondence.npz) project onto what MediaPipe found. Shared by
all frames: the focal length and the identity's size per axis (width, depth, height)
— the "shape" this renderer fits; per frame: rotation and translation. Small priors
keep the focal length and the shape near the template's and the motion smooth.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from core.errors import MissingModel
from core.face.model import FaceModel
from core.photoreal.camera import Camera
from core.photoreal.head import euler_xyz

CORRESPONDENCE = (
    Path(__file__).resolve().parents[2] / "core" / "assets" / "landmark_correspondence.npz"
)
CORRESPONDENCE_SIZE = 512  # the template render the correspondence was read from


@dataclass(frozen=True)
class Correspondence:
    landmarks: np.ndarray  # (K,) MediaPipe landmark indices used
    triangle: np.ndarray  # (K,) head triangle under each
    barycentric: np.ndarray  # (K, 3)
    template_points: np.ndarray  # (K, 2) where they are in the template's image, 0..1

    @classmethod
    def load(cls, path: Path = CORRESPONDENCE) -> Correspondence:
        if not path.exists():
            raise MissingModel(f"{path.name} is missing: run scripts/landmark_correspondence.py")
        with np.load(path, allow_pickle=False) as data:
            use = data["use"]
            return cls(
                landmarks=np.flatnonzero(use),
                triangle=data["triangle"][use],
                barycentric=data["barycentric"][use],
                template_points=data["image_points"][use] / CORRESPONDENCE_SIZE,
            )


@dataclass
class FitResult:
    pose: np.ndarray  # (N, 6) absolute, in front of the template camera
    camera: Camera
    scale: tuple[float, float, float]
    rms_pixels: float  # reprojection error at the crop size, tracked frames


def fit_head(
    face: FaceModel,
    correspondence: Correspondence,
    points: np.ndarray,
    valid: np.ndarray,
    expression: np.ndarray,
    rotation: np.ndarray,
    size: int,
    iterations: int = 400,
    seed: int = 0,
) -> FitResult:
    """points (N, 478, 2) landmark pixels in the crop at `size`; expression (N, 52);
    rotation (N, 3) the captured rotation (the start). Untracked frames borrow the
    nearest tracked frame's points through the smoothness term only."""
    torch.manual_seed(seed)
    camera0 = Camera.template(face)
    tri = face.triangles[correspondence.triangle]  # (K, 3)
    used = np.unique(tri)
    remap = {v: i for i, v in enumerate(used)}
    corner = torch.tensor([[remap[v] for v in row] for row in tri])
    bary = torch.from_numpy(correspondence.barycentric).float()
    neutral = torch.from_numpy(face.neutral[used] - face.neck_pivot).float()
    deltas = torch.from_numpy(face.deltas[:, used]).float()  # (52, U, 3)
    pivot = torch.from_numpy(np.asarray(face.neck_pivot)).float()
    target = torch.from_numpy(points[:, correspondence.landmarks]).float()  # (N, K, 2)
    mask = torch.from_numpy(
        valid & np.isfinite(points[:, correspondence.landmarks]).all(axis=(1, 2))
    )
    target = torch.nan_to_num(target)
    e = torch.from_numpy(np.asarray(expression, np.float32))
    local_base = neutral + torch.einsum("nk,kuc->nuc", e, deltas)  # (N, U, 3)

    rot = torch.nn.Parameter(torch.from_numpy(np.asarray(rotation, np.float32)).clone())
    move = torch.nn.Parameter(torch.zeros(len(e), 3))
    log_focal = torch.nn.Parameter(torch.zeros(()))
    log_scale = torch.nn.Parameter(torch.zeros(3))
    optimiser = torch.optim.Adam([rot, move, log_focal, log_scale], lr=0.01)

    def project() -> torch.Tensor:
        local = local_base * torch.exp(log_scale)
        world = local @ euler_xyz(rot).transpose(1, 2) + pivot + move[:, None]
        landmark = (world[:, corner] * bary[None, :, :, None]).sum(2)  # (N, K, 3)
        rel = landmark - torch.tensor(camera0.position)
        f = camera0.focal * torch.exp(log_focal) * size
        depth = rel[..., 1].clamp_min(1e-3)
        return torch.stack(
            (0.5 * size + f * rel[..., 0] / depth, 0.5 * size - f * rel[..., 2] / depth), -1
        )

    for step in range(iterations):
        if step == iterations // 2:
            for group in optimiser.param_groups:
                group["lr"] = 0.003
        error = (project() - target).norm(dim=-1)  # (N, K) pixels
        data = torch.nn.functional.huber_loss(error[mask], torch.zeros_like(error[mask]), delta=2.0)
        smooth = ((rot[1:] - rot[:-1]) ** 2).sum() * 50 + ((move[1:] - move[:-1]) ** 2).sum() * 5000
        prior = 10 * (log_scale**2).sum() + 2 * log_focal**2
        loss = data + (smooth + prior) / max(int(mask.sum()), 1)
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
    with torch.no_grad():
        error = (project() - target).norm(dim=-1)[mask]
        rms = float(error.pow(2).mean().sqrt())
    pose = torch.cat((rot, move), dim=1).detach().numpy()
    camera = Camera(camera0.position, camera0.focal * float(torch.exp(log_focal.detach())))
    scale = tuple(float(v) for v in torch.exp(log_scale).detach())
    return FitResult(pose=pose, camera=camera, scale=scale, rms_pixels=rms)  # type: ignore[arg-type]
