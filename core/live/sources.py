"""Where live sound comes from: a file played at real-time pace, or a sound device.

Both give blocks of 16 kHz float32 (n, C) audio stamped with the Unix time at which
their last sample arrived (for a file: when a player would have played it), which is
what the latency of every frame is measured from.
"""

from __future__ import annotations

import queue
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from core.audio import FEATURE_SR, load_audio
from core.errors import BadInput, MissingModel

BLOCK = 256  # samples: 16 ms at 16 kHz


@dataclass
class AudioBlock:
    samples: np.ndarray  # (n, C) float32 at FEATURE_SR
    arrival: float  # Unix time the block's last sample arrived


class FileSource:
    """A decoded file in blocks; `pace` 1 is real time, 2 twice as fast, 0 as fast as
    the consumer takes them (arrival is then when the block is taken)."""

    def __init__(self, path: Path, pace: float = 1.0, block: int = BLOCK) -> None:
        if pace < 0 or not np.isfinite(pace):
            raise BadInput(f"--pace must be 0 or more, got {pace}")
        self.audio = load_audio(path, FEATURE_SR, mono=False)  # BadInput for non-audio
        self.name = Path(path).name
        self.pace, self.block = pace, block

    @property
    def seconds(self) -> float:
        return len(self.audio) / FEATURE_SR

    def __iter__(self) -> Iterator[AudioBlock]:
        start = time.time()
        for lo in range(0, len(self.audio), self.block):
            hi = min(lo + self.block, len(self.audio))
            if self.pace > 0:
                due = start + hi / FEATURE_SR / self.pace
                wait = due - time.time()
                if wait > 0:
                    time.sleep(wait)
                yield AudioBlock(self.audio[lo:hi], due)
            else:
                yield AudioBlock(self.audio[lo:hi], time.time())


def _sounddevice():  # noqa: ANN202 - the module, imported when a device is asked for
    try:
        import sounddevice
    except OSError as err:  # the package is there but PortAudio is not
        raise MissingModel(f"PortAudio is missing (Debian: libportaudio2): {err}") from err
    except ImportError as err:
        raise MissingModel("sounddevice is not installed; run `make setup`") from err
    return sounddevice


class DeviceSource:
    """A sound input device (a name or an index as sounddevice lists them; None: the
    default), opened at 16 kHz (PortAudio resamples), mono or stereo, until `seconds`."""

    def __init__(self, device: str | None, seconds: float | None = None, block: int = BLOCK):
        sd = _sounddevice()
        self.name = device or "default input"
        chosen: int | str | None = int(device) if device and device.isdigit() else device
        try:
            info = sd.query_devices(chosen, kind="input")
        except (ValueError, sd.PortAudioError) as err:
            raise BadInput(f"no sound input device {self.name!r}: {err}") from err
        self.device = chosen
        self.channels = max(1, min(2, int(info["max_input_channels"])))
        self.seconds, self.block, self._sd = seconds, block, sd

    def __iter__(self) -> Iterator[AudioBlock]:
        blocks: queue.Queue[AudioBlock] = queue.Queue()

        def arrived(indata: np.ndarray, frames: int, when: object, status: object) -> None:
            blocks.put(AudioBlock(indata.copy(), time.time()))

        try:
            stream = self._sd.InputStream(
                samplerate=FEATURE_SR,
                blocksize=self.block,
                device=self.device,
                channels=self.channels,
                dtype="float32",
                callback=arrived,
            )
        except self._sd.PortAudioError as err:
            raise BadInput(f"cannot open the sound input {self.name!r}: {err}") from err
        taken = 0
        with stream:
            while self.seconds is None or taken < self.seconds * FEATURE_SR:
                block = blocks.get()
                taken += len(block.samples)
                yield block
