"""A pinhole camera looking along +Y (the face looks along -Y), Z up: the template's.

The template's camera (core/blend_template.py) is an 85 mm lens on a 36 mm sensor,
0.62 m in front of the face centre and aimed straight at it. Blender fits a square
render's sensor width to the image, so the focal length in pixels is lens / sensor ×
size. Footage gets the same camera with its own fitted focal length (the head is moved
in front of it by the per-frame pose), so one projection serves both.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

LENS_MM = 85.0
SENSOR_MM = 36.0
DISTANCE_M = 0.62


def face_centre(
    neutral: np.ndarray, skin: np.ndarray, lips: np.ndarray
) -> tuple[float, float, float]:
    """The point the template camera aims at: between the chin and the crown, in front
    of the pivot (vertex arrays are FaceModel's neutral rows)."""
    skin_vertices = neutral[skin]
    z = 0.5 * (float(neutral[lips, 2].min()) - 0.04 + float(skin_vertices[:, 2].max()))
    return (0.0, float(skin_vertices[:, 1].min()) * 0.5, z)


@dataclass(frozen=True)
class Camera:
    """Position (metres, world) and focal length as a fraction of the image width."""

    position: tuple[float, float, float]
    focal: float = LENS_MM / SENSOR_MM

    @classmethod
    def template(cls, face) -> Camera:  # noqa: ANN001  (FaceModel; no import cycle)
        centre = face_centre(face.neutral, face.regions["skin"], face.regions["lips"])
        return cls(position=(centre[0], centre[1] - DISTANCE_M, centre[2]))

    def to_dict(self) -> dict[str, float | list[float]]:
        return {"position": list(self.position), "focal": self.focal}

    @classmethod
    def from_dict(cls, data: dict) -> Camera:
        return cls(position=tuple(float(v) for v in data["position"]), focal=float(data["focal"]))  # type: ignore[arg-type]

    def project(self, vertices, size: int):  # noqa: ANN001, ANN201  (torch tensors)
        """(..., V, 3) world points -> (..., V, 3) pixel x, pixel y (down), depth (m)."""
        import torch

        position = torch.as_tensor(self.position, dtype=vertices.dtype, device=vertices.device)
        relative = vertices - position
        depth = relative[..., 1].clamp_min(1e-4)
        f = self.focal * size
        x = 0.5 * size + f * relative[..., 0] / depth
        y = 0.5 * size - f * relative[..., 2] / depth
        return torch.stack((x, y, depth), dim=-1)
