"""The mouth gate live: core/voice_gate.py over the last `HISTORY_S` of the vocal stream.

Offline, the gate's levels are relative to the vocal stream's own level over the whole
song, and the voice detector's windows are centred on each frame. Live, the same
functions (voice_gate, the detector, vocal_cues) run on the last `HISTORY_S` of sound
up to the newest (the frames after the one sent are the lookahead), so the levels are
relative to the last half minute, and the windows see no future beyond the lookahead.
The gate's release is causal as it is. They run once every `EVERY` frames for the
next `EVERY` frames (the later of them with less lookahead, never none): one pass over
the history costs a few milliseconds, more than a frame's share.

Relative levels need a loud stretch to be relative to: at the start of a stream,
before anything has been sung, the quiet itself reads as the stream's own level and
the gate would open on a microphone's hiss. So a noise gate, as every live vocal chain
has one, also closes the mouth where the vocal stream is below an absolute level:
shut at `NOISE_FLOOR_DB` dBFS (a quiet microphone's self-noise is about -60 dBFS; a
mastered song's lead sits 40 dB or more above it), fully open 10 dB above.
"""

from __future__ import annotations

import numpy as np

from core.audio import FEATURE_SR
from core.features import MFCC_FPS
from core.live.mfcc_stream import MfccStream
from core.vocal_cues import vocal_cues
from core.voice_detector import VoiceDetector
from core.voice_gate import frame_rms, voice_gate

HISTORY_S = 30.0
NOISE_FLOOR_DB = -60.0
NOISE_KNEE_DB = 10.0
EVERY = 5  # frames the gate is computed for at once (at most the lookahead's frames + 1)
GRID = 3  # the history starts on multiples of 3 frames: 1600 samples, 10 MFCC rows


class LiveGate:
    def __init__(
        self,
        fps: float,
        detector: VoiceDetector | None,
        history_s: float = HISTORY_S,
        noise_floor_db: float | None = NOISE_FLOOR_DB,
        lookahead_frames: int = EVERY - 1,
    ) -> None:
        if fps != 30.0:
            raise ValueError("the live gate's sample and row grids assume 30 fps")
        self.fps, self.detector, self.noise_floor_db = fps, detector, noise_floor_db
        self.history_frames = int(history_s * fps) // GRID * GRID
        self.every = max(1, min(EVERY, lookahead_frames + 1))
        # The vocal stream, (N, C): stereo where the detector reads how centred it is.
        self.stereo = detector is not None and detector.reads_cues
        self.audio = np.zeros((0, 1), np.float32)
        self.audio_start = 0
        self._pending: list[np.ndarray] = []  # blocks not yet joined onto `audio`
        self._values: dict[int, float] = {}

    def extend(self, vocals: np.ndarray) -> None:
        block = np.asarray(vocals, np.float32)
        block = block[:, None] if block.ndim == 1 else block
        self._pending.append(block if self.stereo else block.mean(axis=1, keepdims=True))

    def value(self, frame: int, newest: int, mfcc: MfccStream) -> float:
        """The gate of `frame`, the sound heard up to video frame `newest` (≥ frame)."""
        if frame not in self._values:
            self._compute(frame, newest, mfcc)
        return self._values.pop(frame)

    def _compute(self, frame: int, newest: int, mfcc: MfccStream) -> None:
        if self._pending:  # joined here, every few frames, not on every block
            if not len(self.audio):
                self.audio = np.zeros((0, self._pending[0].shape[1]), np.float32)
            self.audio = np.concatenate([self.audio, *self._pending])
            self._pending.clear()
        first = max(0, frame - self.history_frames) // GRID * GRID
        n_frames = newest - first + 1
        start = first * FEATURE_SR // 30  # exact: `first` is a multiple of 3
        lo = start - self.audio_start
        vocals = self.audio[lo:]
        lead = None
        if self.detector is not None:
            cues = None
            if self.detector.reads_cues:
                cues = vocal_cues(vocals, FEATURE_SR, n_frames, self.fps)
            row = first * MFCC_FPS // 30
            rows = mfcc.window(row, mfcc.row_end)
            lead = self.detector.probability(rows, n_frames, self.fps, cues)
        mono = vocals.mean(axis=1)
        gate = voice_gate(mono, FEATURE_SR, n_frames, self.fps, lead)
        noise = np.ones(n_frames)
        if self.noise_floor_db is not None:
            # Only around the frames handed out: from `near`, a multiple of 3 (exact
            # samples) one step before them, so their windows hold all their sound.
            near = max(first, frame // GRID * GRID - GRID)
            part = mono[(near - first) * FEATURE_SR // 30 :]
            rms = frame_rms(part, FEATURE_SR, newest - near + 1, self.fps)
            dbfs = 20.0 * np.log10(np.maximum(rms, 1e-10))
            x = np.clip((dbfs - self.noise_floor_db) / NOISE_KNEE_DB, 0.0, 1.0)
            noise[near - first :] = x * x * (3.0 - 2.0 * x)
        for f in range(frame, min(frame + self.every, newest + 1)):
            self._values[f] = float(gate[f - first] * noise[f - first])
        # Sound older than the next history's start is not read again.
        keep_from = max(0, frame + 1 - self.history_frames) // GRID * GRID
        cut = keep_from * FEATURE_SR // 30 - self.audio_start
        if cut > 0:
            self.audio = self.audio[cut:]
            self.audio_start += cut
