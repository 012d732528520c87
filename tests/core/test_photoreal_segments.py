"""The photoreal codec path: segments encoded apart and joined without a new encode."""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np
import pytest

from core.audio import ffmpeg_exe
from core.photoreal.segments import encode_segment, join_segments, segment_ranges

SIZE = 64


def _frames(n: int) -> list[np.ndarray]:
    rng = np.random.default_rng(0)
    base = rng.integers(0, 255, (SIZE, SIZE, 3)).astype(np.float32)
    return [
        (np.roll(base, i, axis=1) * (0.5 + 0.5 * np.sin(i / 5))).clip(0, 255).astype(np.uint8)
        for i in range(n)
    ]


def _decode(path: Path) -> np.ndarray:
    argv = [ffmpeg_exe(), "-loglevel", "error", "-i", str(path), "-f", "rawvideo"]
    argv += ["-pix_fmt", "rgb24", "-fps_mode", "passthrough", "-"]
    raw = subprocess.run(argv, capture_output=True, check=True).stdout
    return np.frombuffer(raw, np.uint8).reshape(-1, SIZE, SIZE, 3)


@pytest.mark.parametrize("fps", [30.0, 29.97, 24.0])
def test_joined_segments_play_every_frame_once_at_the_take_rate(tmp_path: Path, fps: float) -> None:
    import imageio_ffmpeg

    frames = _frames(50)
    parts = []
    for start, stop in segment_ranges(50, 16):
        part = tmp_path / f"{start:08d}.mp4"
        assert encode_segment(frames[start:stop], part, SIZE, fps) == stop - start
        parts.append(part)
    assert [p.name for p in parts] == [f"{i:08d}.mp4" for i in (0, 16, 32, 48)]
    out = tmp_path / "video.mp4"
    join_segments(parts, out, fps=fps, frames=50)
    # The join copies packets: its pictures are the segments' own, bit for bit.
    np.testing.assert_array_equal(_decode(out), np.concatenate([_decode(p) for p in parts]))
    # A player's constant-rate read sees each frame once (B-frames once made it 52).
    count, seconds = imageio_ffmpeg.count_frames_and_secs(str(out))
    assert count == 50 and seconds == pytest.approx(50 / fps, abs=0.05)
    reader = imageio_ffmpeg.read_frames(str(out))
    next(reader)
    assert sum(1 for _ in reader) == 50
    assert not list(tmp_path.glob(".*"))  # no partial file or list left behind


def test_the_same_frames_encode_to_the_same_bytes(tmp_path: Path) -> None:
    """Where a segment is made does not change it (fixed encoder threads and options)."""
    frames = _frames(16)
    encode_segment(frames, tmp_path / "a.mp4", SIZE, 30.0)
    encode_segment(frames, tmp_path / "b.mp4", SIZE, 30.0)
    assert (tmp_path / "a.mp4").read_bytes() == (tmp_path / "b.mp4").read_bytes()


def test_a_missing_segment_is_one_clear_error(tmp_path: Path) -> None:
    from core.errors import MusicFaceError

    with pytest.raises(MusicFaceError, match="segment 00000016.mp4 is missing"):
        join_segments([tmp_path / "00000016.mp4"], tmp_path / "v.mp4", fps=30.0, frames=16)
    assert not (tmp_path / "v.mp4").exists()
