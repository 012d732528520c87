"""A z-buffered triangle rasteriser in plain torch (CPU or GPU, no compiled extension).

Which triangle covers a pixel is decided without gradients: every triangle's
bounding-box pixels are enumerated at once, tested against its edges, and the nearest
wins through a scatter-min on depth. The winners' perspective-correct barycentrics are
then recomputed with autograd on, so gradients flow from anything interpolated with
them (UVs into a neural texture, vertex positions into the pose) — not across
silhouettes, which a renderer trained on a fixed mesh does not need.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch


@dataclass
class Fragments:
    """Per pixel of one (size × size) image: the covering triangle (-1: none) and its
    perspective-correct barycentrics (size, size, 3) (zeros where none)."""

    face: torch.Tensor
    barycentric: torch.Tensor

    @property
    def covered(self) -> torch.Tensor:
        return self.face >= 0

    def interpolate(self, corner_values: torch.Tensor) -> torch.Tensor:
        """(F, 3, C) values at triangle corners -> (size, size, C), zero where uncovered."""
        face = self.face.clamp_min(0)
        values = corner_values[face]  # (H, W, 3, C)
        out = (values * self.barycentric[..., None]).sum(dim=-2)
        return out * self.covered[..., None]


def _edge(ax, ay, bx, by, px, py):  # noqa: ANN001, ANN202  (tensors)
    return (bx - ax) * (py - ay) - (by - ay) * (px - ax)


def _barycentric(corners: torch.Tensor, px: torch.Tensor, py: torch.Tensor) -> torch.Tensor:
    """Screen-space barycentrics (N, 3) of points (N,) in triangles (N, 3, 3)."""
    x, y = corners[..., 0], corners[..., 1]
    area = _edge(x[:, 0], y[:, 0], x[:, 1], y[:, 1], x[:, 2], y[:, 2])
    area = torch.where(area.abs() < 1e-12, torch.full_like(area, 1e-12), area)
    w0 = _edge(x[:, 1], y[:, 1], x[:, 2], y[:, 2], px, py) / area
    w1 = _edge(x[:, 2], y[:, 2], x[:, 0], y[:, 0], px, py) / area
    return torch.stack((w0, w1, 1.0 - w0 - w1), dim=-1)


def _perspective(screen_bary: torch.Tensor, depth: torch.Tensor) -> torch.Tensor:
    weighted = screen_bary / depth
    return weighted / weighted.sum(dim=-1, keepdim=True)


def rasterize(screen: torch.Tensor, triangles: torch.Tensor, size: int) -> Fragments:
    """screen (V, 3): pixel x, pixel y (down), depth (>0); triangles (F, 3) long."""
    device = screen.device
    with torch.no_grad():
        corners = screen.detach()[triangles]  # (F, 3, 3)
        low = torch.floor(corners[..., :2].amin(dim=1) - 0.5).long() + 1
        high = torch.floor(corners[..., :2].amax(dim=1) - 0.5).long()
        low = low.clamp(0, size - 1)
        high = high.clamp(-1, size - 1)
        span = (high - low + 1).clamp_min(0)
        visible = (corners[..., 2] > 1e-3).all(dim=1)
        count = span[:, 0] * span[:, 1] * visible
        tri = torch.repeat_interleave(torch.arange(len(triangles), device=device), count)
        starts = torch.cumsum(count, 0) - count
        offset = torch.arange(len(tri), device=device) - starts[tri]
        width = span[tri, 0]
        px = low[tri, 0] + offset % width
        py = low[tri, 1] + offset // width
        bary = _barycentric(corners[tri], px + 0.5, py + 0.5)
        inside = (bary >= -1e-6).all(dim=-1)
        tri, px, py, bary = tri[inside], px[inside], py[inside], bary[inside]
        depth = (_perspective(bary, corners[tri, :, 2]) * corners[tri, :, 2]).sum(-1)
        pixel = py * size + px
        nearest = torch.full((size * size,), float("inf"), device=device, dtype=depth.dtype)
        nearest.scatter_reduce_(0, pixel, depth, reduce="amin")
        win = depth <= nearest[pixel]
        face = torch.full((size * size,), -1, dtype=torch.long, device=device)
        face[pixel[win]] = tri[win]
        face = face.view(size, size)
    # Barycentrics again, with autograd, for the winning triangle of each pixel.
    ys, xs = torch.meshgrid(
        torch.arange(size, device=device), torch.arange(size, device=device), indexing="ij"
    )
    covered = face >= 0
    winner = triangles[face[covered]]
    corners = screen[winner]
    bary = _barycentric(corners, xs[covered] + 0.5, ys[covered] + 0.5)
    bary = _perspective(bary, corners[..., 2])
    full = torch.zeros(size, size, 3, dtype=screen.dtype, device=device)
    full = full.masked_scatter(covered[..., None].expand(-1, -1, 3), bary)
    return Fragments(face=face, barycentric=full)
