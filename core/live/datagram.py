"""One live frame as one UDP datagram: a fixed 272-byte little-endian record.

`musicface live` sends one datagram per video frame (30 fps) and the Blender add-on
reads them (the add-on's live_receiver.py); this module is the format's one
definition, stdlib + numpy only so that the add-on vendors it (scripts/build_extension.py).
The layout (docs/live.md has the same table):

| offset | type        | field                                                     |
|-------:|-------------|-----------------------------------------------------------|
|      0 | 4 bytes     | magic `MFLV`                                              |
|      4 | uint16      | format version (1)                                        |
|      6 | uint16      | flags: bit 0 the mouth gate was on, bit 1 the last frame  |
|      8 | uint32      | frame index (0 at the first frame of the stream)          |
|     12 | float32     | frames per second (30)                                    |
|     16 | float64     | audio time: when the frame's own sound reached the engine |
|     24 | float64     | send time                                                 |
|     32 | 52 float32  | ARKit weights in Apple order (core/face/arkit.py), [0, 1] |
|    240 | 6 float32   | head pose: rotation X, Y, Z (rad), translation X, Y, Z (m)|
|    264 | 2 float32   | eye_long, eye_blink (the Performance's two eye layers)    |

Times are seconds of the Unix clock (`time.time()`), so a receiver on the same
machine reads its latency (sound in → frame shown) as `time.time() - audio_time`.
"""

from __future__ import annotations

import math
import struct
from dataclasses import dataclass

import numpy as np

MAGIC = b"MFLV"
VERSION = 1
N_EXPRESSION = 52
POSE_DIM = 6
FLAG_GATED = 1
FLAG_LAST = 2
_LAYOUT = struct.Struct(f"<4sHHIfdd{N_EXPRESSION}f{POSE_DIM}f2f")
SIZE = _LAYOUT.size  # 272


class MalformedDatagram(ValueError):
    """Bytes that are not one frame of this format (wrong size, magic, version, values)."""


@dataclass(frozen=True)
class LiveFrame:
    index: int
    fps: float
    audio_time: float
    send_time: float
    expression: np.ndarray  # (52,) float32
    pose: np.ndarray  # (6,) float32
    eye_long: float
    eye_blink: float
    flags: int = 0

    @property
    def last(self) -> bool:
        return bool(self.flags & FLAG_LAST)


def pack(frame: LiveFrame) -> bytes:
    expression = np.asarray(frame.expression, np.float32).reshape(-1)
    pose = np.asarray(frame.pose, np.float32).reshape(-1)
    if expression.shape != (N_EXPRESSION,) or pose.shape != (POSE_DIM,):
        raise ValueError(f"a live frame holds {N_EXPRESSION} weights and {POSE_DIM} pose values")
    return _LAYOUT.pack(
        MAGIC,
        VERSION,
        frame.flags,
        frame.index,
        frame.fps,
        frame.audio_time,
        frame.send_time,
        *expression.tolist(),
        *pose.tolist(),
        frame.eye_long,
        frame.eye_blink,
    )


def unpack(data: bytes) -> LiveFrame:
    """The frame in `data`; MalformedDatagram for anything else (never a partial frame)."""
    if len(data) != SIZE:
        raise MalformedDatagram(f"a live frame is {SIZE} bytes, got {len(data)}")
    values = _LAYOUT.unpack(data)
    magic, version, flags, index, fps, audio_time, send_time = values[:7]
    if magic != MAGIC:
        raise MalformedDatagram(f"not a MusicFace live frame (magic {magic!r})")
    if version != VERSION:
        raise MalformedDatagram(f"live frame format {version}, this side reads {VERSION}")
    floats = values[7:]
    if not all(math.isfinite(v) for v in (fps, audio_time, send_time, *floats)) or fps <= 0:
        raise MalformedDatagram("a live frame with non-finite values or no frame rate")
    expression = np.asarray(floats[:N_EXPRESSION], np.float32)
    pose = np.asarray(floats[N_EXPRESSION : N_EXPRESSION + POSE_DIM], np.float32)
    eye_long, eye_blink = floats[N_EXPRESSION + POSE_DIM :]
    return LiveFrame(
        index, fps, audio_time, send_time, expression, pose, eye_long, eye_blink, flags
    )
