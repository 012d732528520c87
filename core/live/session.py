"""The live loop: blocks in → streams → face frames → datagrams out (and the take).

`run_session` is what `musicface live` and benchmarks/live.py run. Each frame's
latency is measured from when the sound of its own instant arrived (the block that
holds sample e / fps) to when its datagram left: the lookahead, the wait for the
block, and the time the frame took to make, all together.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import numpy as np
import torch

from core.audio import FEATURE_SR
from core.live import datagram
from core.live.face import FaceFrame, LiveFace
from core.live.record import TakeRecorder
from core.live.sender import UdpSender
from core.live.separation import DryVocal, GivenStems
from core.live.sources import AudioBlock


@dataclass
class SessionStats:
    frames: int = 0
    seconds: float = 0.0  # of sound
    wall: float = 0.0
    cpu: float = 0.0  # this process's CPU seconds
    busy: float = 0.0  # wall seconds spent making frames (separation to sending)
    latency: list[float] = field(default_factory=list)  # seconds per frame

    def summary(self) -> dict[str, float]:
        lat = np.asarray(self.latency) * 1000.0 if self.latency else np.zeros(1)
        return {
            "frames": self.frames,
            "seconds": self.seconds,
            "latency_median_ms": float(np.median(lat)),
            "latency_p99_ms": float(np.percentile(lat, 99)),
            "latency_max_ms": float(lat.max()),
            "real_time_factor": self.busy / max(self.seconds, 1e-9),
            "cpu_share": self.cpu / max(self.wall, 1e-9),
        }


def run_session(
    source: Iterable[AudioBlock],
    splitter: DryVocal | GivenStems,
    face: LiveFace,
    sender: UdpSender | None = None,
    recorder: TakeRecorder | None = None,
    on_frame: Callable[[FaceFrame], None] | None = None,
) -> SessionStats:
    stats = SessionStats()
    arrivals: list[tuple[int, float]] = []  # (samples so far, arrival time) per block
    received = 0
    wall0, cpu0 = time.time(), time.process_time()
    # Trained weights reach float32's subnormal range, where x86 is many times slower
    # (core/model/inference.py flushes them the same way while the network runs).
    torch.set_flush_denormal(True)
    # One thread: a frame is a few small tensors; more threads only wait on each other
    # (and, on busy cores, on other programs).
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    # numpy's BLAS too: its idle threads spin, and took as much CPU again as the work.
    from threadpoolctl import threadpool_limits

    blas = threadpool_limits(1)

    def out(frames: list[FaceFrame], last: bool) -> None:
        for n, frame in enumerate(frames):
            instant = int(np.ceil(frame.index / face.fps * FEATURE_SR))
            audio_time = _arrival_of(arrivals, instant)
            flags = datagram.FLAG_GATED if frame.gated else 0
            if last and n == len(frames) - 1:
                flags |= datagram.FLAG_LAST
            now = time.time()
            packet = datagram.LiveFrame(
                frame.index,
                face.fps,
                audio_time,
                now,
                frame.expression,
                frame.pose,
                frame.eye_long,
                frame.eye_blink,
                flags,
            )
            if sender is not None:
                sender.send(datagram.pack(packet))
            if recorder is not None:
                recorder.add(frame)
            if on_frame is not None:
                on_frame(frame)
            stats.latency.append(now - audio_time)
            stats.frames += 1

    try:
        try:
            for block in source:
                began = time.time()
                received += len(block.samples)
                arrivals.append((received, block.arrival))
                streams = splitter.split(np.asarray(block.samples, np.float32))
                frames = face.push(streams.vocals, streams.accompaniment, streams.mixture)
                out(frames, last=False)
                stats.busy += time.time() - began
        except KeyboardInterrupt:
            # Ctrl-C is how a show at a microphone ends: the frames heard so far still
            # go out, the last one flagged, and the take is still written.
            if not arrivals:
                raise
        began = time.time()
        out(face.finish(), last=True)
        stats.busy += time.time() - began
    finally:
        torch.set_flush_denormal(False)
        torch.set_num_threads(threads)
        blas.restore_original_limits()
    stats.seconds = received / FEATURE_SR
    stats.wall, stats.cpu = time.time() - wall0, time.process_time() - cpu0
    return stats


def _arrival_of(arrivals: list[tuple[int, float]], sample: int) -> float:
    """Arrival time of the first block that holds `sample` (the last block, past the end)."""
    # Blocks come in order: search from the end, where the frames being sent are.
    for i in range(len(arrivals) - 1, -1, -1):
        if arrivals[i][0] <= sample:
            return arrivals[min(i + 1, len(arrivals) - 1)][1]
    return arrivals[0][1]
