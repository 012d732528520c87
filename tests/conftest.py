"""Shared test fixtures: the repository root, the real test song, an ffmpeg encoder."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[1]

# A small generator keeps the tests quick; the variants and equations are the same.
SMALL_MODEL = {
    "encoder_channels": 16,
    "feature_dim": 16,
    "unet_channels": 16,
    "mlp_hidden": 32,
    "lstm_hidden": 32,
}
REAL_SONG = REPO.parent / "shared" / "testdata" / "real_song_10s.mp3"


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return REPO


@pytest.fixture(scope="session")
def real_song() -> Path:
    if not REAL_SONG.is_file():
        pytest.skip(f"real test song absent: {REAL_SONG}")
    return REAL_SONG


def encode(
    path: Path,
    signal: np.ndarray,
    sr: int,
    extra: list[str] | None = None,
) -> Path:
    """Encode (N,) or (N, C) float audio to `path` with the bundled ffmpeg (format by suffix)."""
    from core.audio import ffmpeg_exe

    data = np.asarray(signal, dtype=np.float32)
    channels = 1 if data.ndim == 1 else data.shape[1]
    argv = [
        ffmpeg_exe(),
        "-nostdin",
        "-loglevel",
        "error",
        "-y",
        "-f",
        "f32le",
        "-ar",
        str(sr),
        "-ac",
        str(channels),
        "-i",
        "-",
        *(extra or []),
        str(path),
    ]
    subprocess.run(argv, input=data.tobytes(), check=True)
    return path


def run_cli(*argv: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """Run `python -m core.cli ARGS` the way a user's shell would (own process, real exit code)."""
    return subprocess.run(
        [sys.executable, "-m", "core.cli", *argv],
        capture_output=True,
        text=True,
        cwd=cwd or REPO,
        check=False,
    )


def run_train_cli(*argv: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """Run `python -m training.cli ARGS` in its own process."""
    return subprocess.run(
        [sys.executable, "-m", "training.cli", *argv],
        capture_output=True,
        text=True,
        cwd=cwd or REPO,
        check=False,
    )
