"""Brows and lash lines painted into a UV texture, so the bald template reads as a face.

Anny's head has no hair cards. A person (and MediaPipe, which finds a brow by its
dark arch) needs brows: without them the template's browInnerUp moves skin nobody can
see. The marks are drawn where a brow and a lash line sit on a face, measured from
each eyeball (its centre and radius, fitted to its vertices) and the upper eyelid
rim, then rasterised into UV space so that they move with the shape keys. Numpy only.
"""

from __future__ import annotations

import numpy as np

from core.face.model import FaceModel
from core.face.regions import PART_NAMES

BROW_COLOUR = (0.045, 0.028, 0.018)
# Brow centreline above the eyeball's centre and its thickness, metres, from its inner
# end (u = -13 mm, towards the nose) to its outer end (u = +28 mm).
_BROW_INNER, _BROW_OUTER = -0.013, 0.028
_LASH_WIDTH = 0.0011


def sphere_centre(points: np.ndarray) -> np.ndarray:
    system = np.c_[2 * points, np.ones(len(points))]
    return np.linalg.lstsq(system, (points**2).sum(1), rcond=None)[0][:3]


def _smoothstep(edge0: float | np.ndarray, edge1: float | np.ndarray, x: np.ndarray) -> np.ndarray:
    t = np.clip((x - edge0) / (np.asarray(edge1) - edge0), 0.0, 1.0)
    return t * t * (3.0 - 2.0 * t)


def brow_mask(points: np.ndarray, eye_centre: np.ndarray) -> np.ndarray:
    """(N,) in [0, 1]: how much brow covers each rest-pose point, for one eye."""
    outward = np.sign(eye_centre[0])
    u = outward * (points[:, 0] - eye_centre[0])
    w = (u - _BROW_INNER) / (_BROW_OUTER - _BROW_INNER)
    height = 0.0185 + 0.0045 * np.sin(np.pi * np.clip(w, 0, 1) ** 0.8) - 0.002 * w
    half = 0.5 * (0.0078 - 0.0044 * np.clip(w, 0, 1))
    across = np.abs(points[:, 2] - eye_centre[2] - height)
    mask = 1.0 - _smoothstep(half * 0.7, half * 1.15, across)
    mask *= _smoothstep(-0.02, 0.06, w) * (1.0 - _smoothstep(0.9, 1.0, w))
    mask *= points[:, 1] < eye_centre[1] + 0.004  # the front of the face only
    return mask


def lash_mask(points: np.ndarray, rim: np.ndarray) -> np.ndarray:
    """(N,) in [0, 1]: a dark line along the upper eyelid rim (rim vertices, rest pose)."""
    rim = rim[np.argsort(rim[:, 0])]
    start, end = rim[:-1], rim[1:]
    segment = end - start
    t = np.clip(
        ((points[:, None, :] - start[None]) * segment[None]).sum(-1)
        / np.maximum((segment**2).sum(-1), 1e-12)[None],
        0.0,
        1.0,
    )
    nearest = start[None] + t[..., None] * segment[None]
    distance = np.linalg.norm(points[:, None, :] - nearest, axis=-1).min(axis=1)
    return 1.0 - _smoothstep(_LASH_WIDTH * 0.5, _LASH_WIDTH, distance)


def detail_texture(face: FaceModel, size: int = 512) -> tuple[np.ndarray, np.ndarray, float]:
    """The marks as a (size, size, 4) float32 RGBA image (brow colour, alpha = mask,
    row 0 = the lowest v) covering only the UV square around the eyes, with that
    square's lower corner and side: uv_in_image = (uv - corner) / side. The eyes take a
    small corner of Anny's UV layout; a texture of the whole layout would blur them."""
    image = np.zeros((size, size, 4), dtype=np.float32)
    image[..., :3] = BROW_COLOUR
    skin = np.flatnonzero(face.face_parts == PART_NAMES.index("skin"))
    eyes = [sphere_centre(face.neutral[face.regions[f"eye_{s}"]].astype(np.float64))
            for s in ("left", "right")]  # fmt: skip
    rims = [face.neutral[face.regions[f"eyelid_{s}_upper"]].astype(np.float64)
            for s in ("left", "right")]  # fmt: skip
    corners = face.neutral[face.triangles[skin]].astype(np.float64)  # (F, 3, 3)
    centroids = corners.mean(axis=1)
    near = np.zeros(len(skin), bool)
    for centre in eyes:  # only triangles around the eyes can hold a brow or a lash
        offset = centroids - centre
        near |= (
            (np.abs(offset[:, 0]) < 0.045)
            & (offset[:, 2] > -0.006)
            & (offset[:, 2] < 0.032)
            & (offset[:, 1] < 0.008)  # the front: not the temples' far side
        )
    near_uv = face.corner_uvs[skin][near].reshape(-1, 2).astype(np.float64)
    side = float((near_uv.max(axis=0) - near_uv.min(axis=0)).max()) * 1.02
    corner = near_uv.min(axis=0) - 0.01 * side
    uvs = (face.corner_uvs[skin].astype(np.float64) - corner) / side * (size - 1)
    alpha = image[..., 3]
    for index in np.flatnonzero(near):
        uv, xyz = uvs[index], corners[index]
        low = np.floor(uv.min(axis=0)).astype(int)
        high = np.ceil(uv.max(axis=0)).astype(int) + 1
        gx, gy = np.meshgrid(np.arange(low[0], high[0]), np.arange(low[1], high[1]))
        pixels = np.stack([gx.ravel(), gy.ravel()], axis=1).astype(np.float64)
        matrix = np.array([uv[1] - uv[0], uv[2] - uv[0]]).T
        if abs(np.linalg.det(matrix)) < 1e-9:
            continue
        b12 = np.linalg.solve(matrix, (pixels - uv[0]).T).T
        weights = np.c_[1.0 - b12.sum(axis=1), b12]
        inside = (weights >= -0.02).all(axis=1)
        if not inside.any():
            continue
        points = weights[inside] @ xyz
        mask = np.zeros(len(points))
        for centre, rim in zip(eyes, rims, strict=True):
            mask = np.maximum(mask, brow_mask(points, centre))
            mask = np.maximum(mask, lash_mask(points, rim))
        px = pixels[inside].astype(int)
        ok = (px[:, 0] >= 0) & (px[:, 0] < size) & (px[:, 1] >= 0) & (px[:, 1] < size)
        rows, cols = px[ok, 1], px[ok, 0]
        alpha[rows, cols] = np.maximum(alpha[rows, cols], 0.92 * mask[ok])
    return image, corner, side
