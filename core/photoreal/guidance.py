"""What the renderer sees of the head, per pixel: the guidance images.

For each frame (expression, pose) the head is posed (head.py), projected through the
camera and rasterised (rasterize.py); interpolated over the winning triangles:

    uv (2)            where in the neural texture to sample (grid_sample coordinates)
    normal (3)        camera-space unit normal (x right, y up, z toward the camera)
    depth (1)         metres from the frame's median face depth, × 10
    coverage (1)      1 on the head
    parts (4)         left eyeball, right eyeball, mouth interior (cavity, tongue), eye sockets
    regions (3)       the mouth region (lips, chin, cheeks: what jawOpen moves) and each
                      eye's region (lids, brow): where that part's expression may act
    attention (2)     FACIAL's eye attention: each eye's region × its eyeBlink
    gaze (2)          eyeLook* as (out - in, up - down), inside each eye's region

Regions are fixed sets of triangles chosen on the neutral head, so they follow the
mesh as it deforms; they also weight the loss and score the mouth and eyes apart.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from core.face.arkit import ARKIT_NAMES
from core.face.model import FaceModel
from core.face.regions import PART_NAMES
from core.photoreal.camera import Camera
from core.photoreal.head import TorchHead
from core.photoreal.rasterize import Fragments, rasterize

REGIONS = ("mouth", "eye_left", "eye_right")
CHANNELS = 18
# A skin triangle belongs to an eye's region within this distance of the eyeball's
# centre, and to the mouth's within MOUTH_RADIUS of the lips or where jawOpen moves it.
EYE_RADIUS = 0.028
MOUTH_RADIUS = 0.03
JAW_MOVES = 0.002


def _index(name: str) -> int:
    return ARKIT_NAMES.index(name)


def region_flags(face: FaceModel) -> np.ndarray:
    """(F, 3) bool: does triangle f belong to the mouth, left-eye, right-eye region."""
    centres = face.neutral[face.triangles].mean(axis=1)
    parts = face.face_parts
    mouth_inside = np.isin(parts, [PART_NAMES.index("mouth_cavity"), PART_NAMES.index("tongue")])
    lips = face.neutral[face.regions["lips"]]
    near_lips = (
        np.linalg.norm(centres[:, None] - lips[None, ::4], axis=-1).min(axis=1) < MOUTH_RADIUS
    )
    jaw = np.linalg.norm(face.delta("jawOpen")[face.triangles], axis=-1).max(axis=1) > JAW_MOVES
    flags = np.zeros((len(centres), 3), dtype=bool)
    flags[:, 0] = mouth_inside | near_lips | jaw
    for column, side in ((1, "left"), (2, "right")):
        centre = getattr(face, f"eye_center_{side}")
        eye_parts = [PART_NAMES.index(f"eye_{side}"), PART_NAMES.index(f"eye_socket_{side}")]
        near = np.linalg.norm(centres - centre, axis=-1) < EYE_RADIUS
        flags[:, column] = near | np.isin(parts, eye_parts)
    return flags


@dataclass
class FrameGeometry:
    """One frame rasterised: its fragments and posed vertices (what guidance needs)."""

    fragments: Fragments
    vertices: torch.Tensor  # (V, 3) world


class GuidanceMaker(torch.nn.Module):
    """The head and the camera; `geometry()` rasterises, `images()` builds guidance."""

    face_flags: torch.Tensor

    def __init__(
        self,
        face: FaceModel,
        camera: Camera,
        size: int,
        scale: tuple[float, float, float] = (1.0, 1.0, 1.0),
    ) -> None:
        super().__init__()
        self.head = TorchHead(face, scale)
        self.camera = camera
        self.size = int(size)
        parts = torch.from_numpy(face.face_parts.astype(np.int64))
        part_codes = [
            [PART_NAMES.index("eye_left")],
            [PART_NAMES.index("eye_right")],
            [PART_NAMES.index("mouth_cavity"), PART_NAMES.index("tongue")],
            [PART_NAMES.index("eye_socket_left"), PART_NAMES.index("eye_socket_right")],
        ]
        masks = torch.stack([torch.isin(parts, torch.tensor(c)) for c in part_codes], dim=-1)
        flags = torch.cat((masks, torch.from_numpy(region_flags(face))), dim=-1).float()
        self.register_buffer("face_flags", flags)  # (F, 7)

    def geometry(self, expression: torch.Tensor, pose: torch.Tensor) -> list[FrameGeometry]:
        vertices = self.head(expression, pose)
        out = []
        for frame in vertices:
            screen = self.camera.project(frame, self.size)
            out.append(FrameGeometry(rasterize(screen, self.head.triangles, self.size), frame))
        return out

    def images(self, geometry: list[FrameGeometry], expression: torch.Tensor) -> torch.Tensor:
        """(B, CHANNELS, size, size) guidance for rasterised frames and their expression."""
        return torch.stack([self._one(g, e) for g, e in zip(geometry, expression, strict=True)])

    def _one(self, geometry: FrameGeometry, expression: torch.Tensor) -> torch.Tensor:
        fragments = geometry.fragments
        covered = fragments.covered.to(expression.dtype)
        # One gather for everything interpolated: UV (2), normal (3), depth (1).
        triangles = self.head.triangles
        normals = self.head.normals(geometry.vertices[None])[0][triangles]
        depth_v = (geometry.vertices[:, 1] - self.camera.position[1])[triangles][..., None]
        values = fragments.interpolate(torch.cat((self.head.corner_uvs, normals, depth_v), -1))
        uv, n, depth = values[..., :2], values[..., 2:5], values[..., 5]
        grid = torch.stack((uv[..., 0] * 2 - 1, 1 - uv[..., 1] * 2), dim=-1)
        normal_cam = (
            torch.nn.functional.normalize(
                torch.stack((n[..., 0], n[..., 2], -n[..., 1]), dim=-1), dim=-1, eps=1e-8
            )
            * covered[..., None]
        )
        if bool(fragments.covered.any()):
            depth = (depth - depth[fragments.covered].median()) * 10.0 * covered
        face = fragments.face.clamp_min(0)
        flags = self.face_flags[face] * covered[..., None]  # (H, W, 7)
        parts, regions = flags[..., :4], flags[..., 4:]
        e = expression
        blink = torch.stack((e[_index("eyeBlinkLeft")], e[_index("eyeBlinkRight")]))
        attention = regions[..., 1:] * blink
        gaze_left = torch.stack(
            (
                e[_index("eyeLookOutLeft")] - e[_index("eyeLookInLeft")],
                e[_index("eyeLookUpLeft")] - e[_index("eyeLookDownLeft")],
            )
        )
        gaze_right = torch.stack(
            (
                e[_index("eyeLookOutRight")] - e[_index("eyeLookInRight")],
                e[_index("eyeLookUpRight")] - e[_index("eyeLookDownRight")],
            )
        )
        gaze = regions[..., 1:2] * gaze_left + regions[..., 2:3] * gaze_right
        channels = torch.cat(
            (
                grid,
                normal_cam,
                depth[..., None],
                covered[..., None],
                parts,
                regions,
                attention,
                gaze,
            ),
            dim=-1,
        )
        return channels.permute(2, 0, 1)


def region_masks(guidance: torch.Tensor) -> dict[str, torch.Tensor]:
    """The mouth and eye region masks (B, 1, H, W) out of guidance images."""
    start = 11  # uv 2, normal 3, depth 1, coverage 1, parts 4
    return {name: guidance[:, start + i : start + i + 1] for i, name in enumerate(REGIONS)}


def uv_grid(guidance: torch.Tensor) -> torch.Tensor:
    """The (B, H, W, 2) grid_sample coordinates out of guidance images."""
    return guidance[:, :2].permute(0, 2, 3, 1)


def coverage(guidance: torch.Tensor) -> torch.Tensor:
    return guidance[:, 6:7]
