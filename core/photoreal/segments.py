"""The photoreal video's codec path: fixed segments, each its own H.264 stream, joined with
the song without being encoded again.

A long render split into frame ranges (`musicface batch`, one range per task, perhaps on
other machines) must give the same video as one render. An encoder carries state from
frame to frame (rate control, reference frames), so a range encoded on its own differs
from the same frames in the middle of one long encode. Here one render *is* a row of
segments: frames [0, K), [K, 2K), … are each encoded as a stream of their own, and the
join copies their packets (`-c copy`). Split or not, the same segments are made from the
same frames with the same options, so the joined file carries the same pictures.

The options are fixed, not left to ffmpeg's defaults, where the defaults would make the
bytes depend on where a segment was made: x264's output depends on its thread count
(which it would take from the machine's cores), and B-frames give an MP4 a start delay
that the concat demuxer turns into a timestamp gap at every join (measured: 52 frames
read back from 50, at 28.85 fps).
"""

from __future__ import annotations

import os
import subprocess
import uuid
from collections.abc import Iterable
from pathlib import Path

import numpy as np

from core.audio import ffmpeg_exe
from core.errors import BadInput, MusicFaceError

SEGMENT_FRAMES = 240  # 8 s at 30 fps: a seek point every 8 s, ~30 ffmpeg starts for 4 min
QUALITY = 8  # imageio-ffmpeg's scale: CRF 10 for libx264
ENCODER_OPTIONS = ("-bf", "0", "-threads", "2")


def check_size(size: int) -> None:
    """A frame size the encoder takes as it is (16-pixel macroblocks) and the renderer can make."""
    if size < 64 or size % 16:
        raise BadInput(f"--size must be a multiple of 16 and at least 64, got {size}")


def segment_ranges(frames: int, segment_frames: int = SEGMENT_FRAMES) -> list[tuple[int, int]]:
    """[start, stop) of each segment of a take of `frames` frames."""
    if segment_frames < 1:
        raise ValueError(f"segment_frames must be positive, got {segment_frames}")
    return [(a, min(a + segment_frames, frames)) for a in range(0, frames, segment_frames)]


def _partial(path: Path) -> Path:
    # Unique, hidden, and with the real suffix (ffmpeg picks the container by it): never
    # mistaken for a finished file, and two attempts at one file never share a name.
    return path.with_name(f".{path.stem}.{uuid.uuid4().hex[:8]}.partial{path.suffix}")


def encode_segment(frames: Iterable[np.ndarray], path: Path, size: int, fps: float) -> int:
    """Encode (size, size, 3) uint8 frames as one segment at `path` (an .mp4), written
    beside it and moved into place; the number of frames."""
    import imageio_ffmpeg

    os.environ.setdefault("IMAGEIO_FFMPEG_EXE", str(ffmpeg_exe()))
    partial = _partial(path)
    writer = imageio_ffmpeg.write_frames(
        str(partial),
        (size, size),
        fps=fps,
        codec="libx264",
        pix_fmt_out="yuv420p",
        quality=QUALITY,
        macro_block_size=16,
        output_params=list(ENCODER_OPTIONS),
        ffmpeg_log_level="error",
    )
    writer.send(None)
    count = 0
    try:
        for frame in frames:
            writer.send(np.ascontiguousarray(frame))
            count += 1
        writer.close()
        os.replace(partial, path)
    except BaseException:
        writer.close()
        partial.unlink(missing_ok=True)
        raise
    return count


def _concat_list(parts: list[Path], listing: Path) -> None:
    lines = []
    for part in parts:
        quoted = str(part.resolve()).replace("'", "'\\''")
        lines.append(f"file '{quoted}'\n")
    listing.write_text("".join(lines), encoding="utf-8")


def join_segments(
    parts: list[Path],
    out: Path,
    *,
    fps: float,
    frames: int,
    song: Path | None = None,
    song_offset: float = 0.0,
    tags: list[str] | None = None,
) -> None:
    """Concatenate the segments' packets into `out` (written beside it, then moved into
    place), with the song muxed in, shifted by `song_offset` seconds (a take sampled from
    Blender whose song strip starts later, > 0, or earlier, < 0), and cut at the last frame.
    """
    missing = [part for part in parts if not part.is_file()]
    if missing:
        raise MusicFaceError(f"cannot join the video: segment {missing[0].name} is missing")
    partial = _partial(out)
    listing = out.with_name(f".{out.stem}.{uuid.uuid4().hex[:8]}.partial.txt")
    _concat_list(parts, listing)
    argv = [ffmpeg_exe(), "-nostdin", "-loglevel", "error", "-y"]
    argv += ["-f", "concat", "-safe", "0", "-i", str(listing)]
    if song is not None:
        if song_offset < 0:
            argv += ["-ss", f"{-song_offset:.6f}"]
        argv += ["-i", str(song), "-map", "0:v:0", "-map", "1:a:0?"]
    else:
        argv += ["-map", "0:v:0"]
    argv += ["-c:v", "copy"]
    if song is not None:
        if song_offset > 0:  # silence in front (a timestamp offset alone is lost by many players)
            argv += ["-af", f"adelay={song_offset * 1000:.1f}:all=1"]
        argv += ["-c:a", "aac", "-b:a", "192k", "-t", f"{frames / fps:.6f}"]
    argv += [*(tags or []), str(partial)]
    try:
        done = subprocess.run(argv, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            reason = (done.stderr.strip().splitlines() or ["unknown error"])[-1]
            if song is not None and str(song) in done.stderr:
                raise BadInput(f"cannot add the sound of {song.name}: {reason}")
            raise MusicFaceError(f"cannot join the video's segments: {reason}")
        os.replace(partial, out)
    finally:
        partial.unlink(missing_ok=True)
        listing.unlink(missing_ok=True)
