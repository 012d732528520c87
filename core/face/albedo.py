"""The template's colours, and the same look painted into one image for Workbench.

Cycles draws the template with nodes (a skin/lip ramp on the lip mask, the brow and
lash texture of details.py, an iris ramp on the distance to each eye's front pole).
Workbench shows none of that: it shows flat material colours, or, in its TEXTURE
colour mode, the image of each material's active image node, read through the mesh's
active UV map. So the same palette is painted here, numpy only, into one albedo image
over an atlas UV map: the head's own UVs for everything but the eyes, whose islands
are tiny there (an iris would be a few pixels), and a large square per eye in the
layout's empty corner, mapped from each eyeball's front like the Cycles iris.
"""

from __future__ import annotations

import numpy as np

from core.face.details import sphere_centre
from core.face.model import FaceModel
from core.face.regions import PART_NAMES

# Linear RGB, shared with the Cycles materials (core/blend_template.py).
SKIN = (0.50, 0.29, 0.20)
LIPS = (0.42, 0.15, 0.13)
MOUTH = (0.22, 0.05, 0.05)
TONGUE = (0.55, 0.20, 0.20)
EYE_SOCKET = (0.35, 0.12, 0.10)
# Eye drawing, in metres on the plane tangent to the front of the eyeball.
PUPIL_RADIUS = 0.0021
IRIS_RADIUS = 0.0058
_PUPIL = PUPIL_RADIUS / IRIS_RADIUS
# The eye's colour ramp over (distance from the front pole) / IRIS_RADIUS: pupil, iris,
# limbal ring, sclera.
EYE_RAMP = (
    (0.0, (0.005, 0.005, 0.005)),
    (_PUPIL, (0.01, 0.008, 0.006)),
    (_PUPIL + 0.04, (0.16, 0.09, 0.045)),
    (0.85, (0.30, 0.19, 0.09)),
    (0.97, (0.06, 0.04, 0.03)),
    (1.08, (0.80, 0.76, 0.72)),
)

ALBEDO_SIZE = 2048
# Workbench has no subsurface scattering and no area lights: under its studio light the
# same albedo looks about half as bright as in Cycles (measured on the forehead of the
# preview renders), and a little more saturated. The painted image carries that gain, so
# a Workbench frame shows the skin tone a Cycles one does. Not inside the mouth, where
# Cycles' lights hardly reach and Workbench casts no shadow.
WORKBENCH_GAIN = (1.9, 2.05, 2.2)
UNLIT_PARTS = ("mouth_cavity", "tongue")
# Each eye's square in the atlas: centre and half side, in UV (the head's layout leaves
# u < 0.3, v < 0.53 empty).
EYE_SQUARES = {"left": ((0.14, 0.14), 0.12), "right": ((0.14, 0.40), 0.12)}
PLAIN_PARTS = {
    "mouth_cavity": MOUTH,
    "tongue": TONGUE,
    "eye_socket_left": EYE_SOCKET,
    "eye_socket_right": EYE_SOCKET,
}


def eye_sphere(face: FaceModel, side: str) -> tuple[np.ndarray, float]:
    """Centre and radius of an eyeball, fitted to its vertices (rest pose)."""
    points = face.neutral[face.regions[f"eye_{side}"]].astype(np.float64)
    centre = sphere_centre(points)
    return centre, float(np.linalg.norm(points - centre, axis=1).mean())


def atlas_uvs(face: FaceModel) -> np.ndarray:
    """(F, 3, 2) corner UVs of the atlas: the head's UVs, the eyes moved into their squares.

    An eye corner lands at its offset from the eyeball's centre across the line of sight
    (x, z), so the front pole is the square's centre and the iris a disc of
    IRIS_RADIUS around it; corners on the back half go to the rim (sclera).
    """
    uvs = face.corner_uvs.astype(np.float64).copy()
    for side, (centre_uv, half) in EYE_SQUARES.items():
        centre, radius = eye_sphere(face, side)
        faces = face.face_parts == PART_NAMES.index(f"eye_{side}")
        offsets = face.neutral[face.triangles[faces]].astype(np.float64) - centre  # (F, 3, 3)
        across = offsets[..., [0, 2]]
        back = offsets[..., 1] > 0  # the face looks along -Y
        length = np.maximum(np.linalg.norm(across, axis=-1, keepdims=True), 1e-12)
        across = np.where(back[..., None], across / length * radius, across)
        uvs[faces] = np.asarray(centre_uv) + across * (half / (1.05 * radius))
    return uvs.astype(np.float32)


def srgb_encode(linear: np.ndarray) -> np.ndarray:
    linear = np.clip(linear, 0.0, 1.0)
    return np.where(linear <= 0.0031308, 12.92 * linear, 1.055 * np.power(linear, 1 / 2.4) - 0.055)


def srgb_decode(encoded: np.ndarray) -> np.ndarray:
    encoded = np.asarray(encoded, dtype=np.float64)
    return np.where(encoded <= 0.04045, encoded / 12.92, ((encoded + 0.055) / 1.055) ** 2.4)


def eye_colour(distance: np.ndarray) -> np.ndarray:
    """(N,) distance from the front pole, in iris radii → (N, 3) linear RGB: EYE_RAMP
    as Blender's linear colour ramp reads it (stop positions clamped to [0, 1])."""
    positions = np.clip([position for position, _ in EYE_RAMP], 0.0, 1.0)
    colours = np.array([colour for _, colour in EYE_RAMP])
    return np.stack([np.interp(distance, positions, colours[:, c]) for c in range(3)], axis=-1)


def paint_albedo(
    face: FaceModel,
    detail: tuple[np.ndarray, np.ndarray, float],
    size: int = ALBEDO_SIZE,
) -> np.ndarray:
    """(size, size, 4) float32 RGBA, sRGB-encoded (row 0 = the lowest v), over atlas_uvs,
    with WORKBENCH_GAIN applied.

    `detail`: details.detail_texture's (pixels, corner, side), as the .blend stores it
    (a byte image, so its colour is read as sRGB, as Cycles reads it).
    """
    linear = np.empty((size, size, 3), dtype=np.float64)
    linear[:] = SKIN  # the skin everywhere: island borders bleed into skin, not black
    atlas = atlas_uvs(face).astype(np.float64) * size - 0.5  # pixel-centre coordinates
    _paint_lips(linear, face, atlas)
    _paint_details(linear, detail, size)
    for part, colour in PLAIN_PARTS.items():
        faces = np.flatnonzero(face.face_parts == PART_NAMES.index(part))
        mask = np.zeros((size, size), dtype=bool)
        for index in faces:
            rows, cols, _ = _triangle_pixels(atlas[index], size)
            mask[rows, cols] = True
        gain = 1.0 / np.asarray(WORKBENCH_GAIN) if part in UNLIT_PARTS else 1.0
        linear[_grow(mask, 2)] = np.asarray(colour) * gain
    for side, (centre_uv, half) in EYE_SQUARES.items():
        _, radius = eye_sphere(face, side)
        low = int(np.floor((centre_uv[0] - half) * size))
        high = int(np.ceil((centre_uv[0] + half) * size))
        bottom = int(np.floor((centre_uv[1] - half) * size))
        top = int(np.ceil((centre_uv[1] + half) * size))
        cols, rows = np.meshgrid(np.arange(low, high), np.arange(bottom, top))
        u = (cols + 0.5) / size - centre_uv[0]
        v = (rows + 0.5) / size - centre_uv[1]
        metres = np.hypot(u, v) * (1.05 * radius / half)
        linear[rows, cols] = eye_colour(metres.ravel() / IRIS_RADIUS).reshape(rows.shape + (3,))
    image = np.ones((size, size, 4), dtype=np.float32)
    image[..., :3] = srgb_encode(linear * np.asarray(WORKBENCH_GAIN))
    return image


def _paint_lips(linear: np.ndarray, face: FaceModel, atlas: np.ndarray) -> None:
    """The skin/lip mix of the Cycles ramp: the lip mask, interpolated across each face."""
    lip_mask = np.zeros(face.n_vertices)
    lip_mask[face.regions["lips"]] = 1.0
    skin = face.face_parts == PART_NAMES.index("skin")
    corner_mask = lip_mask[face.triangles]  # (F, 3)
    size = linear.shape[0]
    skin_colour, lip_colour = np.array(SKIN), np.array(LIPS)
    for index in np.flatnonzero(skin & (corner_mask.max(axis=1) > 0)):
        rows, cols, weights = _triangle_pixels(atlas[index], size)
        fac = np.clip(weights @ corner_mask[index], 0.0, 1.0)[:, None]
        linear[rows, cols] = skin_colour + fac * (lip_colour - skin_colour)


def _paint_details(linear: np.ndarray, detail, size: int) -> None:
    """Brows and lashes over the skin, sampled from the detail texture like Cycles does
    (its UV square, bilinear, nothing outside it)."""
    pixels, corner, side = detail
    detail_size = pixels.shape[0]
    low = np.floor(np.asarray(corner) * size).astype(int)
    high = np.minimum(np.ceil((np.asarray(corner) + side) * size).astype(int), size)
    cols, rows = np.meshgrid(np.arange(low[0], high[0]), np.arange(low[1], high[1]))
    x = ((cols + 0.5) / size - corner[0]) / side * detail_size - 0.5
    y = ((rows + 0.5) / size - corner[1]) / side * detail_size - 0.5
    alpha = _bilinear(pixels[..., 3], x, y)[..., None]
    colour = srgb_decode(pixels[0, 0, :3])
    linear[rows, cols] = linear[rows, cols] * (1.0 - alpha) + colour * alpha


def _bilinear(image: np.ndarray, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    height, width = image.shape
    x0 = np.clip(np.floor(x).astype(int), 0, width - 2)
    y0 = np.clip(np.floor(y).astype(int), 0, height - 2)
    fx = np.clip(x - x0, 0.0, 1.0)
    fy = np.clip(y - y0, 0.0, 1.0)
    top = image[y0, x0] * (1 - fx) + image[y0, x0 + 1] * fx
    bottom = image[y0 + 1, x0] * (1 - fx) + image[y0 + 1, x0 + 1] * fx
    inside = (x >= -0.5) & (x <= width - 0.5) & (y >= -0.5) & (y <= height - 0.5)
    return np.where(inside, top * (1 - fy) + bottom * fy, 0.0)


def _triangle_pixels(corners: np.ndarray, size: int):
    """Pixels whose centre lies in a triangle (corners in pixel-centre coordinates, with a
    small margin so neighbouring triangles leave no gap): rows, cols, barycentric weights."""
    low = np.maximum(np.floor(corners.min(axis=0)).astype(int), 0)
    high = np.minimum(np.ceil(corners.max(axis=0)).astype(int) + 1, size)
    if (high <= low).any():
        return np.empty(0, int), np.empty(0, int), np.empty((0, 3))
    cols, rows = np.meshgrid(np.arange(low[0], high[0]), np.arange(low[1], high[1]))
    points = np.stack([cols.ravel(), rows.ravel()], axis=1).astype(np.float64)
    matrix = np.array([corners[1] - corners[0], corners[2] - corners[0]]).T
    if abs(np.linalg.det(matrix)) < 1e-12:
        return np.empty(0, int), np.empty(0, int), np.empty((0, 3))
    b12 = np.linalg.solve(matrix, (points - corners[0]).T).T
    weights = np.c_[1.0 - b12.sum(axis=1), b12]
    inside = (weights >= -0.02).all(axis=1)
    return rows.ravel()[inside], cols.ravel()[inside], np.clip(weights[inside], 0.0, 1.0)


def _grow(mask: np.ndarray, steps: int) -> np.ndarray:
    """`mask` dilated by `steps` pixels (4-neighbour), so a part's colour covers its seams."""
    grown = mask.copy()
    for _ in range(steps):
        step = grown.copy()
        step[1:] |= grown[:-1]
        step[:-1] |= grown[1:]
        step[:, 1:] |= grown[:, :-1]
        step[:, :-1] |= grown[:, 1:]
        grown = step
    return grown
