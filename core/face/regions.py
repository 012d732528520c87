"""Vertex sets of the head: lips, eyelid rims, eyes, tongue, skin.

Derived once from Anny's own data, not hand-typed indices: the body-part segmentation
(which faces are skin, mouth cavity, eye socket, eyeball, tongue) and the MPFB2 skin
masks, which outline the lips in UV space. Rims are edges where the skin meets a
cavity: the inner lip line borders the mouth cavity, each eyelid rim borders its eye
socket. Pure numpy so it is testable without Anny.
"""

from __future__ import annotations

import numpy as np

REGION_NAMES = (
    "skin",
    "lips",
    "lips_upper",
    "lips_lower",
    "lip_line_upper",
    "lip_line_lower",
    "eyelid_left_upper",
    "eyelid_left_lower",
    "eyelid_right_upper",
    "eyelid_right_lower",
    "eye_left",
    "eye_right",
    "tongue",
    "mouth_cavity",
)


# Face-level parts, for materials: index = code stored in FaceModel.face_parts.
PART_NAMES = (
    "skin",
    "mouth_cavity",
    "tongue",
    "eye_socket_left",
    "eye_socket_right",
    "eye_left",
    "eye_right",
)
_PART_SOURCES = {
    "mouth_cavity": ("mouth_cavity",),
    "tongue": ("tongue",),
    "eye_socket_left": ("eye_cavity.L",),
    "eye_socket_right": ("eye_cavity.R",),
    "eye_left": ("eye_front.L", "eye_back.L"),
    "eye_right": ("eye_front.R", "eye_back.R"),
}


def face_part_codes(part_face_masks: dict[str, np.ndarray]) -> np.ndarray:
    """(F,) int8 index into PART_NAMES for every face; faces of no listed part are skin."""
    codes = np.zeros(len(part_face_masks["head"]), dtype=np.int8)
    for code, part in enumerate(PART_NAMES):
        for label in _PART_SOURCES.get(part, ()):
            codes[part_face_masks[label]] = code
    return codes


def _face_vertices(faces: np.ndarray, face_mask: np.ndarray) -> np.ndarray:
    return np.unique(faces[face_mask]).astype(np.int32)


def _edge_set(faces: np.ndarray) -> set[tuple[int, int]]:
    edges = np.concatenate([faces[:, [0, 1]], faces[:, [1, 2]], faces[:, [2, 0]]])
    edges = np.sort(edges, axis=1)
    return set(map(tuple, edges.tolist()))


def rim_edges(faces: np.ndarray, inside: np.ndarray, outside: np.ndarray) -> np.ndarray:
    """Edges (E, 2) shared by an `inside` face and an `outside` face: a rim."""
    shared = _edge_set(faces[inside]) & _edge_set(faces[outside])
    return np.asarray(sorted(shared), dtype=np.int64).reshape(-1, 2)


def rim_loop(edges: np.ndarray) -> np.ndarray:
    """The rim's vertices in walking order around its closed loop."""
    neighbours: dict[int, list[int]] = {}
    for a, b in edges.tolist():
        neighbours.setdefault(a, []).append(b)
        neighbours.setdefault(b, []).append(a)
    if not neighbours or any(len(n) != 2 for n in neighbours.values()):
        raise ValueError("the rim is not one simple closed loop")
    start = min(neighbours)
    loop, previous, current = [start], -1, start
    while True:
        a, b = neighbours[current]
        following = b if a == previous else a
        if following == start:
            break
        loop.append(following)
        previous, current = current, following
    if len(loop) != len(neighbours):
        raise ValueError("the rim is more than one loop")
    return np.asarray(loop, dtype=np.int32)


def split_loop_at_corners(neutral: np.ndarray, loop: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Cut a rim loop at its two corners (smallest and largest X) into two arcs; the
    corners go to the first arc."""
    x = neutral[loop, 0]
    a, b = sorted((int(np.argmin(x)), int(np.argmax(x))))
    first = loop[a : b + 1]
    second = np.concatenate([loop[b + 1 :], loop[:a]])
    return first, second


def central_pair(neutral: np.ndarray, arc: np.ndarray, x: float, count: int = 2) -> np.ndarray:
    """The `count` arc vertices nearest the vertical plane at `x` (a rim's middle)."""
    order = np.argsort(np.abs(neutral[arc, 0] - x))
    return np.sort(arc[order[:count]]).astype(np.int32)


def sample_mask(mask: np.ndarray, corner_uvs: np.ndarray, faces: np.ndarray, n: int) -> np.ndarray:
    """Per-vertex value of a UV-space mask (largest over the vertex's UV corners)."""
    height, width = mask.shape
    u = np.clip((corner_uvs[..., 0] * width).astype(int), 0, width - 1)
    v = np.clip(((1.0 - corner_uvs[..., 1]) * height).astype(int), 0, height - 1)
    values = np.zeros(n, dtype=np.float32)
    np.maximum.at(values, faces.reshape(-1), mask[v, u].reshape(-1))
    return values


def face_regions(
    neutral: np.ndarray,
    faces: np.ndarray,
    corner_uvs: np.ndarray,
    part_face_masks: dict[str, np.ndarray],
    masks: dict[str, np.ndarray],
    jaw_open_delta: np.ndarray,
) -> dict[str, np.ndarray]:
    """The named vertex sets of REGION_NAMES, each a sorted int32 index array."""
    n = len(neutral)
    skin_faces = part_face_masks["head"]
    regions: dict[str, np.ndarray] = {"skin": _face_vertices(faces, skin_faces)}
    regions["mouth_cavity"] = _face_vertices(faces, part_face_masks["mouth_cavity"])
    regions["tongue"] = _face_vertices(faces, part_face_masks["tongue"])
    for side, tag in (("left", "L"), ("right", "R")):
        eyeball = part_face_masks[f"eye_front.{tag}"] | part_face_masks[f"eye_back.{tag}"]
        regions[f"eye_{side}"] = _face_vertices(faces, eyeball)
        loop = rim_loop(rim_edges(faces, skin_faces, part_face_masks[f"eye_cavity.{tag}"]))
        first, second = split_loop_at_corners(neutral, loop)
        if neutral[first, 2].mean() < neutral[second, 2].mean():
            first, second = second, first
        regions[f"eyelid_{side}_upper"], regions[f"eyelid_{side}_lower"] = first, second

    # The inner lip line; of its two arcs, the lower lip is the one riding on the jaw.
    loop = rim_loop(rim_edges(faces, skin_faces, part_face_masks["mouth_cavity"]))
    first, second = split_loop_at_corners(neutral, loop)
    if jaw_open_delta[first, 2].mean() < jaw_open_delta[second, 2].mean():
        first, second = second, first
    regions["lip_line_upper"], regions["lip_line_lower"] = first, second
    lip_line = np.concatenate([first, second])
    lower_line = np.arange(len(lip_line)) >= len(first)

    in_mask = sample_mask(masks["lips"], corner_uvs, faces, n) > 0.5
    skin = np.zeros(n, dtype=bool)
    skin[regions["skin"]] = True
    lips = np.union1d(np.flatnonzero(in_mask & skin), lip_line).astype(np.int32)
    # Each lip vertex belongs to the lip whose inner line is nearest, measured with the
    # jaw open, where the two lips lie well apart.
    opened = neutral + jaw_open_delta
    distance = np.linalg.norm(opened[lips, None, :] - opened[None, lip_line, :], axis=-1)
    nearest_is_lower = lower_line[np.argmin(distance, axis=1)]
    regions["lips"] = lips
    regions["lips_upper"] = lips[~nearest_is_lower]
    regions["lips_lower"] = lips[nearest_is_lower]
    return {name: np.sort(regions[name]).astype(np.int32) for name in REGION_NAMES}
