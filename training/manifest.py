"""Reading and writing a dataset's `manifest.json` and clips (DESIGN.md's dataset format).

Training and evaluation both read it; a manifest written by hand, by the
synthetic corpus or by `prepare` gets the same defaults and the same errors.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from core.atomic_write import atomic_write
from core.errors import BadInput
from core.face.arkit import ARKIT_NAMES


@dataclass(frozen=True)
class Manifest:
    root: Path
    fps: float
    subjects: list[str]
    expression_names: list[str]
    clips: list[dict[str, Any]]
    fields: dict[str, Any]  # everything else the manifest says (generator, separator, …)

    def split(self, name: str) -> list[dict[str, Any]]:
        """The clips of one split (a clip without a split is a training clip)."""
        return [c for c in self.clips if c.get("split", "train") == name]

    def subject_index(self, entry: dict[str, Any]) -> int:
        """A clip's subject as an index into `subjects` (given by name or index)."""
        subject = entry.get("subject", 0)
        if isinstance(subject, str):
            if subject not in self.subjects:
                raise BadInput(f"clip {entry.get('id')}: unknown subject {subject!r}")
            subject = self.subjects.index(subject)
        if not isinstance(subject, int) or not 0 <= subject < len(self.subjects):
            raise BadInput(f"clip {entry.get('id')}: subject {subject} out of range")
        return subject


def read_manifest(root: str | Path) -> Manifest:
    """The manifest of the dataset folder `root`; BadInput when it is not one."""
    root = Path(root)
    path = root / "manifest.json"
    if not path.is_file():
        raise BadInput(f"not a MusicFace dataset (no manifest.json): {root}")
    try:
        raw = json.loads(path.read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        raise BadInput(f"cannot read {path}: {err}") from err
    if not isinstance(raw, dict) or not isinstance(raw.get("clips", []), list):
        raise BadInput(f"{path} does not follow the dataset format (no list of clips)")
    subjects = raw.get("subjects") or ["subject-0"]
    if isinstance(subjects, int):  # a count instead of names
        subjects = [f"subject-{i}" for i in range(subjects)]
    known = {"fps", "subjects", "expression_names", "clips"}
    return Manifest(
        root=root,
        fps=float(raw.get("fps", 30.0)),
        subjects=[str(s) for s in subjects],
        expression_names=[str(n) for n in raw.get("expression_names", ARKIT_NAMES)],
        clips=[c for c in raw.get("clips", []) if isinstance(c, dict)],
        fields={k: v for k, v in raw.items() if k not in known},
    )


# Writing: the synthetic corpus and `prepare` write their datasets through these.


def clip_path(root: str | Path, clip_id: str) -> Path:
    """Where clip `clip_id`'s arrays live in the dataset folder `root`."""
    return Path(root) / "clips" / f"{clip_id}.npz"


def write_clip_arrays(root: str | Path, clip_id: str, arrays: dict[str, Any]) -> Path:
    """`clips/<id>.npz` (compressed; plain arrays only, so it loads with allow_pickle=False)."""
    path = clip_path(root, clip_id)
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(path, **arrays)
    return path


def write_clip_audio(root: str | Path, relative: str, audio: np.ndarray, sr: int) -> str:
    """A clip's audio file (16-bit; what 16 bits cannot hold is clipped); returns `relative`."""
    import soundfile as sf

    sf.write(Path(root) / relative, np.clip(audio, -1, 1), sr, subtype="PCM_16")
    return relative


def write_manifest(root: str | Path, manifest: dict[str, Any]) -> Path:
    """`manifest.json`, written atomically (a cancelled run never leaves half of it)."""
    path = Path(root) / "manifest.json"
    with atomic_write(path) as handle:
        handle.write(json.dumps(manifest, indent=1).encode())
    return path
