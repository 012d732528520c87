"""Decode a video's frames as a stream, with the ffmpeg binary that imageio-ffmpeg ships.

Frames come one at a time as (H, W, 3) uint8 RGB, scaled by ffmpeg so that the long
side is at most `max_side` (the landmarker needs no more, and a 4K 60 fps clip then
costs no more memory than a 512² one). Any container and codec ffmpeg reads works;
the frame rate is the source's own, and the caller resamples curves afterwards.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from core.audio import ffmpeg_exe
from core.errors import BadInput

DEFAULT_MAX_SIDE = 512
# Frames are tracked at most this often: a 60 fps clip costs no more than a 30 fps one,
# and the take is 30 fps anyway.
MAX_TRACK_FPS = 30.0


@dataclass(frozen=True)
class VideoInfo:
    path: Path
    fps: float
    source_size: tuple[int, int]  # (width, height) as stored
    size: tuple[int, int]  # (width, height) of the frames handed out
    seconds: float
    has_audio: bool

    @property
    def track_fps(self) -> float:
        """The rate frames are handed out at: the source's, at most MAX_TRACK_FPS."""
        return min(self.fps, MAX_TRACK_FPS)

    @property
    def expected_frames(self) -> int:
        return max(1, int(round(self.seconds * self.track_fps)))


def _check_file(path: Path) -> None:
    if not path.exists():
        raise BadInput(f"video not found: {path}")
    if path.is_dir():
        raise BadInput(f"video is a folder, not a file: {path}")
    if path.stat().st_size == 0:
        raise BadInput(f"video file is empty: {path}")


def _scaled_size(width: int, height: int, max_side: int) -> tuple[int, int]:
    scale = min(1.0, max_side / max(width, height))
    # Even sizes: some pixel formats need them, and ffmpeg's scale=-2 does the same.
    return max(2, int(width * scale) // 2 * 2), max(2, int(height * scale) // 2 * 2)


def open_video(path: str | Path, max_side: int = DEFAULT_MAX_SIDE) -> tuple[VideoInfo, Iterator]:
    """The video's facts and an iterator over its frames (RGB uint8, streamed)."""
    import imageio_ffmpeg

    path = Path(path)
    _check_file(path)
    ffmpeg_exe()  # a clear MissingModel before imageio's own lookup fails
    probe = imageio_ffmpeg.read_frames(str(path))
    try:
        meta = next(probe)
    except (OSError, RuntimeError, StopIteration) as err:
        if "Stream #" in str(err) and "Video:" not in str(err):
            raise BadInput(f"{path.name} has no video stream (is it an audio file?)") from err
        raise BadInput(f"cannot read {path.name} as a video: {_reason(err)}") from err
    finally:
        probe.close()
    width, height = (int(v) for v in meta.get("source_size") or meta.get("size") or (0, 0))
    fps = float(meta.get("fps") or 0.0)
    if width <= 0 or height <= 0 or not fps > 0:
        raise BadInput(f"{path.name} has no video stream")
    size = _scaled_size(width, height, max_side)
    info = VideoInfo(
        path=path,
        fps=fps,
        source_size=(width, height),
        size=size,
        seconds=float(meta.get("duration") or 0.0),
        has_audio=bool(meta.get("audio_codec")),
    )
    return info, _frames(info)


def _frames(info: VideoInfo) -> Iterator[np.ndarray]:
    import imageio_ffmpeg

    width, height = info.size
    # A constant rate at the stream's average fps (or MAX_TRACK_FPS): a variable-rate
    # phone clip would otherwise come out at its nominal rate with duplicated frames,
    # and its times would drift.
    params = ["-vf", f"fps={info.track_fps!r},scale={width}:{height}:flags=area"]
    reader = imageio_ffmpeg.read_frames(
        str(info.path), pix_fmt="rgb24", output_params=params, bits_per_pixel=24
    )
    # imageio-ffmpeg logs "the frame size differs from the source": we asked for that.
    logging.getLogger("imageio_ffmpeg").setLevel(logging.ERROR)
    try:
        next(reader)  # the metadata again
        for buffer in reader:
            frame = np.frombuffer(buffer, dtype=np.uint8)
            if frame.size != width * height * 3:
                break  # a truncated last frame
            yield frame.reshape(height, width, 3)
    except (OSError, RuntimeError) as err:
        raise BadInput(f"cannot decode {info.path.name}: {_reason(err)}") from err
    finally:
        reader.close()


def _reason(err: BaseException) -> str:
    """The telling line of imageio-ffmpeg's (multi-line) complaint."""
    # ffmpeg prefixes its lines with "[in#0 @ 0x…]"; the user needs only the words.
    text = re.sub(r"\[[^\]]*@ 0x[0-9a-f]+\]\s*", "", str(err))
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    for key in ("Invalid data", "moov atom", "could not find codec", "no video", "Error"):
        for line in lines:
            if key.lower() in line.lower():
                return line[:200]
    return (lines[-1] if lines else type(err).__name__)[:200]
