"""Read the head, its 52 ARKit facial actions and its neck pivot out of Anny.

This is the only module that builds `anny.Anny` (about 2 s warm, far longer the very
first time Anny fills its own cache). `core.face.model` calls it once and keeps what it
returns in a small cache file.

Frame: metres, Blender axes (Z up, the face looks along -Y, the character's left at
+X). Anny already works in that frame; its posed output puts the root bone (a copy of
`neck01`, the base of the neck) at the origin, and that point is our neck pivot.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from core.errors import MissingModel
from core.face.arkit import ARKIT_NAMES
from core.face.regions import face_part_codes, face_regions

ANNY_SPEC: dict[str, str] = {
    "rig": "makehuman-head",
    "topology": "head",
    "facial_actions": "all",
    # Plain LBS: the default (NVIDIA Warp) prints its banner on stdout, which would
    # corrupt `--progress json`, and we only need the rest pose anyway.
    "skinning_method": "lbs",
}
# Parts of Anny's body-part segmentation that make up the head topology.
PART_LABELS = (
    "head",
    "mouth_cavity",
    "tongue",
    "eye_cavity.L",
    "eye_cavity.R",
    "eye_front.L",
    "eye_back.L",
    "eye_front.R",
    "eye_back.R",
)
# MPFB2 skin mask (UV space) that outlines the lips.
MASK_FILES = {"lips": "mpfb_lips.jpg"}


def anny_version() -> str:
    """The installed anny's version, read from its metadata (importing anny pulls in
    torch: seconds we do not want to spend just to find the cache file)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("anny")
    except PackageNotFoundError as exc:
        raise MissingModel("the face model needs the `anny` package: pip install anny") from exc


def build_anny_head() -> Any:
    """The Anny head model with all 52 facial actions, in float64 on the CPU."""
    anny_version()
    import anny

    return anny.Anny(**ANNY_SPEC)


def _mask_image(name: str) -> np.ndarray:
    from anny.paths import get_anny_root_dir
    from PIL import Image

    path = get_anny_root_dir() / "data/mpfb2/textures" / name
    with Image.open(path) as image:
        return np.asarray(image.convert("L"), dtype=np.float32) / 255.0


def _part_face_masks(model: Any) -> dict[str, np.ndarray]:
    from anny.face_segmentation import get_face_segmentation_mask

    return {
        label: get_face_segmentation_mask(model, [label]).cpu().numpy() for label in PART_LABELS
    }


def anny_expression_deltas(model: Any) -> tuple[Any, Any, Any]:
    """Neutral vertices (V, 3), the 52 deltas (52, V, 3) in ARKit order and the rest
    bone heads (J, 3), as float64 tensors from Anny's own forward pass (so any rig
    effect of a facial action would show up in its delta)."""
    import torch

    labels = list(model.facial_action_labels)
    missing = [name for name in ARKIT_NAMES if name not in labels]
    if missing:
        raise MissingModel(f"anny lacks the ARKit facial actions {missing}")
    one_hot = torch.zeros(len(ARKIT_NAMES), len(labels), dtype=model.dtype)
    one_hot[torch.arange(len(ARKIT_NAMES)), [labels.index(n) for n in ARKIT_NAMES]] = 1.0
    with torch.no_grad():
        rest = model()
        neutral = rest["vertices"][0]
        deltas = model(facial_actions=one_hot)["vertices"] - neutral[None]
    return neutral, deltas, rest["bone_poses"][0, :, :3, 3]


def extract_head_arrays(model: Any | None = None) -> dict[str, np.ndarray]:
    """Everything `FaceModel` needs, as plain arrays (see `core.face.model`)."""
    model = build_anny_head() if model is None else model
    neutral, deltas, bone_heads = (t.cpu().numpy() for t in anny_expression_deltas(model))
    faces = model.faces.cpu().numpy().astype(np.int32)
    uv_index = model.face_texture_coordinate_indices.cpu().numpy()
    corner_uvs = model.texture_coordinates.cpu().numpy()[uv_index]

    def bone(name: str) -> np.ndarray:
        return bone_heads[model.bone_labels.index(name)].astype(np.float32)

    part_face_masks = _part_face_masks(model)
    regions = face_regions(
        neutral=neutral,
        faces=faces,
        corner_uvs=corner_uvs,
        part_face_masks=part_face_masks,
        masks={key: _mask_image(name) for key, name in MASK_FILES.items()},
        jaw_open_delta=deltas[ARKIT_NAMES.index("jawOpen")],
    )
    arrays: dict[str, np.ndarray] = {
        "neutral": neutral.astype(np.float32),
        "deltas": deltas.astype(np.float32),
        "triangles": faces,
        "corner_uvs": corner_uvs.astype(np.float32),
        "face_parts": face_part_codes(part_face_masks),
        # The root bone is Anny's copy of neck01: the base of the neck.
        "neck_pivot": bone("root"),
        "head_joint": bone("head"),
        "jaw_joint": bone("jaw"),
        "eye_center_left": bone("eye.L"),
        "eye_center_right": bone("eye.R"),
    }
    arrays.update({f"region_{name}": index for name, index in regions.items()})
    return arrays


def linearity_error(model: Any, n: int = 16, seed: int = 0) -> float:
    """Largest distance (metres) between Anny's forward pass and neutral + the sum of
    the deltas, over `n` random expressions with every coefficient in [0, 1]."""
    import torch

    neutral, deltas, _ = anny_expression_deltas(model)
    labels = list(model.facial_action_labels)
    expression = torch.as_tensor(np.random.default_rng(seed).random((n, len(ARKIT_NAMES))))
    coefficients = torch.zeros(n, len(labels), dtype=model.dtype)
    coefficients[:, [labels.index(name) for name in ARKIT_NAMES]] = expression
    with torch.no_grad():
        anny_vertices = model(facial_actions=coefficients)["vertices"]
    summed = neutral[None] + torch.einsum("tk,kvc->tvc", expression, deltas)
    return float((anny_vertices - summed).norm(dim=-1).max())
