"""The `musicface` command line as a user meets it: exit codes, one-line errors, JSON progress."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from tests.conftest import encode, run_cli


@pytest.fixture(scope="module")
def song(tmp_path_factory) -> Path:
    sr = 44100
    t = np.arange(3 * sr) / sr
    voice = 0.3 * np.sin(2 * np.pi * 220 * t) * (np.sin(2 * np.pi * 0.5 * t) > 0)
    return encode(tmp_path_factory.mktemp("songs") / "a song é.mp3", voice, sr)


def test_features_writes_all_three_streams_with_json_progress(song: Path, tmp_path: Path) -> None:
    out = tmp_path / "feats.npz"
    result = run_cli(
        "--progress", "json", "features", str(song), "-o", str(out), "--separator", "none"
    )
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert lines[-1] == {"done": str(out)}
    fractions = [line["progress"] for line in lines[:-1]]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0
    with np.load(out, allow_pickle=False) as feats:
        for key in ("vocals", "accompaniment", "mixture"):
            assert feats[key].shape == (90, 39, 26)
        # The `none` separator feeds the mixture to both streams.
        assert np.allclose(feats["vocals"], feats["accompaniment"])


@pytest.mark.parametrize(
    ("setup", "needle"),
    [
        (lambda d: d / "missing.mp3", "not found"),
        (lambda d: _write(d / "empty.mp3", b""), "empty"),
        (lambda d: _write(d / "text.mp3", b"just some words\n" * 50), "cannot decode"),
    ],
)
def test_bad_song_is_one_line_and_exit_2(tmp_path: Path, setup, needle: str) -> None:
    result = run_cli("features", str(setup(tmp_path)), "-o", str(tmp_path / "f.npz"))
    assert result.returncode == 2
    assert needle in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.stderr


def test_bad_input_in_json_mode_ends_with_error_object(tmp_path: Path) -> None:
    result = run_cli("--progress", "json", "features", str(tmp_path / "x.wav"), "-o", "f.npz")
    assert result.returncode == 2
    last = json.loads(result.stdout.splitlines()[-1])
    assert last["kind"] == "bad_input" and "not found" in last["error"]


def test_unwritable_output_folder_is_exit_2(song: Path, tmp_path: Path) -> None:
    blocker = _write(tmp_path / "a-file", b"x")
    result = run_cli("features", str(song), "-o", str(blocker / "feats.npz"))
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_usage_error_is_exit_2() -> None:
    assert run_cli("no-such-command").returncode == 2


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path
