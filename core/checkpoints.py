"""Generator checkpoints: save, refuse anything that is not one, load.

A checkpoint is `torch.save({"format", "config", "state_dict", "normalization",
"meta"})` holding only tensors and plain types, read back with
`torch.load(weights_only=True)`: a file from an untrusted source can never run
code. The checkpoint id is the SHA-256 of the file.
"""

from __future__ import annotations

import pickle
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from core.asset_files import DEFAULT_CHECKPOINT
from core.atomic_write import atomic_write
from core.audio import file_sha256
from core.device import resolve_device
from core.errors import BadInput, MissingModel
from core.model.config import GeneratorConfig
from core.model.generator import MusicFaceGenerator
from core.model.normalization import Normalization

FORMAT = "musicface-generator/1"


@dataclass
class LoadedGenerator:
    model: MusicFaceGenerator
    normalization: Normalization
    meta: dict[str, Any]  # training facts: subjects, epochs, steps, variant…
    checkpoint_id: str  # sha256 of the file
    path: Path


def checkpoint_dict(
    model: MusicFaceGenerator, normalization: Normalization, meta: dict[str, Any] | None = None
) -> dict[str, Any]:
    state = {k: v.detach().cpu().clone() for k, v in model.state_dict().items()}
    return {
        "format": FORMAT,
        "config": model.config.to_dict(),
        "state_dict": state,
        "normalization": normalization.to_dict(),
        "meta": dict(meta or {}),
    }


def atomic_torch_save(obj: Any, path: str | Path) -> Path:
    """torch.save to a temp file beside `path`, then rename: no half-written checkpoints."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_write(path) as handle:
        torch.save(obj, handle)
    return path


def save_checkpoint(
    path: str | Path,
    model: MusicFaceGenerator,
    normalization: Normalization,
    meta: dict[str, Any] | None = None,
) -> Path:
    return atomic_torch_save(checkpoint_dict(model, normalization, meta), path)


def read_checkpoint_file(path: str | Path) -> dict[str, Any]:
    """The raw dict of a checkpoint file, refusing anything that would need pickle's code."""
    path = Path(path)
    if not path.is_file():
        raise BadInput(f"checkpoint not found: {path}")
    try:
        data = torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as err:
        raise BadInput(
            f"{path.name} is not a MusicFace checkpoint: it holds Python objects that could "
            "run code, refusing to load it"
        ) from err
    except (RuntimeError, EOFError, OSError, ValueError, zipfile.BadZipFile) as err:
        reason = str(err).splitlines()[0] if str(err) else type(err).__name__
        raise BadInput(f"{path.name} is not a readable MusicFace checkpoint ({reason})") from err
    except Exception as err:
        # Arbitrary bytes read as a legacy pickle can fail in any way (a text file
        # gives a KeyError deep in the unpickler); none of them is the user's bug.
        raise BadInput(
            f"{path.name} is not a readable MusicFace checkpoint ({type(err).__name__})"
        ) from err
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise BadInput(f"{path.name} is not a MusicFace generator checkpoint")
    for key in ("config", "state_dict", "normalization"):
        if not isinstance(data.get(key), dict):
            raise BadInput(f"{path.name} is missing its {key}")
    return data


def load_checkpoint(
    path: str | Path | None = None, device: str | torch.device = "auto"
) -> LoadedGenerator:
    """Load a generator onto `device` (core/device.py; auto: the GPU when present, else
    the CPU); `None` means the default checkpoint shipped in core/assets."""
    target = resolve_device(device)  # an unusable --device fails before any file is read
    if path is None:
        if not DEFAULT_CHECKPOINT.is_file():
            raise MissingModel(
                "no default generator checkpoint is installed (core/assets/default.pt); "
                "pass --checkpoint CKPT (train one with `musicface-train train`)"
            )
        path = DEFAULT_CHECKPOINT
    path = Path(path)
    data = read_checkpoint_file(path)
    config = GeneratorConfig.from_dict(data["config"])
    model = MusicFaceGenerator(config)
    try:
        model.load_state_dict(data["state_dict"])
    except RuntimeError as err:
        first = str(err).splitlines()[0]
        raise BadInput(f"{path.name}: weights do not match its config ({first})") from err
    model.to(target).eval()
    return LoadedGenerator(
        model=model,
        normalization=Normalization.from_dict(data["normalization"]),
        meta=dict(data.get("meta") or {}),
        checkpoint_id=file_sha256(path),
        path=path,
    )
