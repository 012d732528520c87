"""FaceModel in torch: posed vertices and vertex normals for a batch of frames.

The same equations as core.face.model (neutral + expression @ deltas, Euler XYZ about
the neck pivot, then a translation), written in torch so gradients reach the
expression, the pose and the camera when a renderer is fitted to footage.
"""

from __future__ import annotations

import numpy as np
import torch

from core.face.model import FaceModel


def euler_xyz(angles: torch.Tensor) -> torch.Tensor:
    """(B, 3) radians -> (B, 3, 3) Rz @ Ry @ Rx (Blender's 'XYZ' order, core.face.pose)."""
    cx, cy, cz = torch.cos(angles).unbind(-1)
    sx, sy, sz = torch.sin(angles).unbind(-1)
    rows = (
        (cy * cz, sx * sy * cz - cx * sz, cx * sy * cz + sx * sz),
        (cy * sz, sx * sy * sz + cx * cz, cx * sy * sz - sx * cz),
        (-sy, sx * cy, cx * cy),
    )
    return torch.stack([torch.stack(row, dim=-1) for row in rows], dim=-2)


class TorchHead(torch.nn.Module):
    """Buffers of one FaceModel; `forward(expression (B, 52), pose (B, 6))` -> (B, V, 3)."""

    scale: torch.Tensor
    neutral: torch.Tensor
    deltas: torch.Tensor
    pivot: torch.Tensor
    triangles: torch.Tensor
    corner_uvs: torch.Tensor
    face_parts: torch.Tensor

    def __init__(
        self, face: FaceModel, scale: tuple[float, float, float] = (1.0, 1.0, 1.0)
    ) -> None:
        super().__init__()
        # The identity's shape, as far as a renderer fits it: a size per axis about the
        # neck pivot (width, depth, height), 1 for the template.
        self.register_buffer("scale", torch.tensor(scale, dtype=torch.float32))
        self.register_buffer("neutral", torch.from_numpy(face.neutral - face.neck_pivot).float())
        self.register_buffer(
            "deltas", torch.from_numpy(face.deltas.reshape(len(face.names), -1)).float()
        )
        self.register_buffer("pivot", torch.from_numpy(np.asarray(face.neck_pivot)).float())
        self.register_buffer("triangles", torch.from_numpy(face.triangles.astype(np.int64)))
        self.register_buffer("corner_uvs", torch.from_numpy(face.corner_uvs).float())
        self.register_buffer("face_parts", torch.from_numpy(face.face_parts.astype(np.int64)))

    def forward(self, expression: torch.Tensor, pose: torch.Tensor) -> torch.Tensor:
        local = (
            self.neutral + (expression @ self.deltas).view(len(expression), -1, 3)
        ) * self.scale
        rotated = local @ euler_xyz(pose[:, :3]).transpose(1, 2)
        return rotated + (self.pivot + pose[:, 3:])[:, None, :]

    def normals(self, vertices: torch.Tensor) -> torch.Tensor:
        """Area-weighted unit vertex normals (B, V, 3)."""
        corners = vertices[:, self.triangles]  # (B, F, 3, 3)
        face_normals = torch.cross(
            corners[:, :, 1] - corners[:, :, 0], corners[:, :, 2] - corners[:, :, 0], dim=-1
        )
        summed = torch.zeros_like(vertices)
        for corner in range(3):
            summed.index_add_(1, self.triangles[:, corner], face_normals)
        return torch.nn.functional.normalize(summed, dim=-1, eps=1e-12)
