"""A trained renderer on disk: one torch file, loaded with weights_only=True.

    {"format": "musicface-renderer", "version": 1, "config": {...}, "camera": {...},
     "scale": [sx, sy, sz], "state": {name: tensor}, "meta": {...}}

The weights are stored in float16 (half the size; the bundled default lives in the
repository) and come back as float32. `meta` says what it was trained on and that
what it makes is synthetic.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from core.asset_files import DEFAULT_RENDERER
from core.checkpoints import atomic_torch_save
from core.errors import BadInput, MissingModel
from core.face.model import FaceModel
from core.photoreal.camera import Camera
from core.photoreal.guidance import GuidanceMaker
from core.photoreal.network import PhotorealRenderer, RendererConfig

FORMAT = "musicface-renderer"
VERSION = 1


@dataclass
class LoadedRenderer:
    model: PhotorealRenderer
    camera: Camera
    scale: tuple[float, float, float]
    meta: dict[str, Any]
    rest_pose: tuple[float, ...] = (0.0,) * 6

    @property
    def size(self) -> int:
        return self.model.config.size

    def guidance_maker(self, face: FaceModel, size: int | None = None) -> GuidanceMaker:
        return GuidanceMaker(face, self.camera, size or self.size, self.scale)


def renderer_dict(
    model: PhotorealRenderer,
    camera: Camera,
    scale: tuple[float, float, float],
    meta: dict[str, Any],
    rest_pose: tuple[float, ...] = (0.0,) * 6,
) -> dict[str, Any]:
    state = {k: v.detach().to("cpu", torch.float16) for k, v in model.state_dict().items()}
    return {
        "format": FORMAT,
        "version": VERSION,
        "config": model.config.to_dict(),
        "camera": camera.to_dict(),
        "scale": [float(v) for v in scale],
        "rest_pose": [float(v) for v in rest_pose],
        "state": state,
        "meta": meta,
    }


def save_renderer(
    path: str | Path,
    model: PhotorealRenderer,
    camera: Camera,
    scale: tuple[float, float, float],
    meta: dict[str, Any],
    rest_pose: tuple[float, ...] = (0.0,) * 6,
) -> Path:
    return atomic_torch_save(renderer_dict(model, camera, scale, meta, rest_pose), Path(path))


def load_renderer(
    path: str | Path | None = None, device: torch.device | str = "cpu"
) -> LoadedRenderer:
    """The renderer at `path` (None: the bundled default), or one line saying why not."""
    path = DEFAULT_RENDERER if path is None else Path(path)
    if not path.exists():
        if path == DEFAULT_RENDERER:
            raise MissingModel(f"the bundled renderer {path.name} is missing (a partial checkout?)")
        raise BadInput(f"renderer not found: {path}")
    if path.is_dir():
        raise BadInput(f"renderer is a folder, not a file: {path}")
    try:
        data = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as err:  # noqa: BLE001  (torch raises many kinds for a bad file)
        raise BadInput(
            f"{path.name} is not a MusicFace renderer (cannot read it: {type(err).__name__})"
        ) from err
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise BadInput(
            f"{path.name} is not a MusicFace renderer (train one with `musicface-train renderer`)"
        )
    if data.get("version") != VERSION:
        raise BadInput(
            f"{path.name} is renderer format {data.get('version')}; this engine reads {VERSION}"
        )
    try:
        model = PhotorealRenderer(RendererConfig(**data["config"]))
        model.load_state_dict({k: v.float() for k, v in data["state"].items()})
        camera = Camera.from_dict(data["camera"])
        sx, sy, sz = (float(v) for v in data["scale"])
        scale = (sx, sy, sz)
        rest_pose = tuple(float(v) for v in data.get("rest_pose", [0.0] * 6))
    except (KeyError, TypeError, RuntimeError, ValueError) as err:
        raise BadInput(f"{path.name} is a damaged renderer file ({type(err).__name__})") from err
    model.eval().to(device)
    return LoadedRenderer(
        model=model,
        camera=camera,
        scale=scale,
        meta=dict(data.get("meta", {})),
        rest_pose=rest_pose,
    )
