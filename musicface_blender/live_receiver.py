"""Live frames from `musicface live`: a UDP socket on localhost, read without blocking.

No bpy here (the operator in ops_live.py drives it from a timer) and no torch: the
datagram format is the engine's own (core/live/datagram.py, through core_link).
A datagram that is not a frame is dropped and counted as malformed; a frame older
than the newest one applied arrived late and is dropped and counted too.
"""

from __future__ import annotations

import errno
import socket
import time
from dataclasses import dataclass, field

from .core_link import BadInput, datagram

DEFAULT_PORT = 9870
_MAX_READ = 4096  # more than a frame: an oversized datagram is read whole, then refused


@dataclass
class ReceiverStats:
    received: int = 0
    applied: int = 0
    malformed: int = 0
    late: int = 0
    latency: float | None = None  # seconds, sound in → frame read, of the newest frame
    last_error: str = ""


@dataclass
class LiveReceiver:
    port: int = DEFAULT_PORT
    host: str = "127.0.0.1"
    stats: ReceiverStats = field(default_factory=ReceiverStats)
    newest: int = -1  # index of the newest frame taken
    ended: bool = False  # the engine sent its last frame

    def __post_init__(self) -> None:
        self.socket = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            self.socket.bind((self.host, self.port))
        except OSError as err:
            self.socket.close()
            if err.errno == errno.EADDRINUSE:
                raise BadInput(f"port {self.port} is in use: pick another Live port") from err
            raise BadInput(f"cannot listen on {self.host}:{self.port}: {err.strerror}") from err
        self.socket.setblocking(False)
        self.port = self.socket.getsockname()[1]

    def poll(self) -> list:
        """The frames that came since the last call, in order, late and malformed ones
        left out (datagram.LiveFrame objects)."""
        frames = []
        while True:
            try:
                data = self.socket.recv(_MAX_READ)
            except (BlockingIOError, InterruptedError):
                break
            except OSError as err:  # e.g. a refused earlier send; the socket stays usable
                self.stats.last_error = err.strerror or str(err)
                break
            self.stats.received += 1
            try:
                frame = datagram.unpack(data)
            except datagram.MalformedDatagram as err:
                self.stats.malformed += 1
                self.stats.last_error = str(err)
                continue
            if frame.index <= self.newest:
                self.stats.late += 1
                continue
            self.newest = frame.index
            self.stats.latency = time.time() - frame.audio_time
            self.ended = self.ended or frame.last
            frames.append(frame)
        return frames

    def close(self) -> None:
        self.socket.close()
