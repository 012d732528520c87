"""Sound in, one face frame out per video frame: the live driver of generate's stages.

The same stages as core/generate.py, in the same order, each fed only what has been
heard: the streams' MFCC (core/live/mfcc_stream.py), the generator with a lookahead
(core/live/generator_step.py), the online beat phase, ESGN's eye state composed over
the frames around the one sent (core/model/esgn.py's compose_eye_state on the frames
heard so far), the mouth gate over the recent vocal stream (core/live/gate.py), and
blinks drawn from the take seed (core/live/blinks.py).

Frame `e` (time e / fps) is made once the sound up to e / fps + lookahead is in;
the face is therefore `lookahead` behind the voice, plus the time it takes to make.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass

import numpy as np

from core.audio import FEATURE_SR
from core.checkpoints import LoadedGenerator
from core.face.arkit import ARKIT_INDEX
from core.features import MFCC_FPS, video_frame_count
from core.live.beat_phase import HISTORY_S as BEAT_HISTORY_S
from core.live.beat_phase import OnlineBeats
from core.live.blinks import BlinkStream
from core.live.gate import HISTORY_S as GATE_HISTORY_S
from core.live.gate import NOISE_FLOOR_DB, LiveGate
from core.live.generator_step import LiveGenerator
from core.live.mfcc_stream import MfccStream
from core.model.esgn import compose_eye_state
from core.streams import ACCOMPANIMENT, MIXTURE, VOCALS
from core.voice_detector import VoiceDetector
from core.voice_gate import gate_mouth

MAX_LOOKAHEAD_S = 0.150
EYE_PAST = 8  # frames of settled e_long the eye filter reads before the frame sent
EYE_COLUMNS = (ARKIT_INDEX["eyeBlinkLeft"], ARKIT_INDEX["eyeBlinkRight"])


@dataclass
class FaceFrame:
    index: int
    expression: np.ndarray  # (52,) the frame as a Performance row holds it
    pose: np.ndarray  # (6,)
    eye_long: float
    eye_blink: float
    gated: bool


class LiveFace:
    def __init__(
        self,
        loaded: LoadedGenerator,
        detector: VoiceDetector | None,
        subject: int = 0,
        seed: int = 0,
        lookahead_s: float = MAX_LOOKAHEAD_S,
        mouth_gate: bool = True,
        noise_floor_db: float | None = NOISE_FLOOR_DB,
    ) -> None:
        if not 0.0 <= lookahead_s <= MAX_LOOKAHEAD_S + 1e-9:
            raise ValueError(f"the lookahead must be 0–{MAX_LOOKAHEAD_S * 1000:.0f} ms")
        config = loaded.model.config
        self.config = config
        self.fps = config.fps
        self.lookahead_s = lookahead_s
        self.lookahead_frames = int(math.floor(lookahead_s * self.fps + 1e-9))
        self.generator = LiveGenerator(loaded, subject, self.lookahead_frames)
        keep = int((max(GATE_HISTORY_S, BEAT_HISTORY_S) + 4.0) * MFCC_FPS)
        names = {*config.streams, config.rhythm_source}
        if mouth_gate and config.separated:
            names.add(VOCALS)
        self.mfccs = {name: MfccStream(keep) for name in sorted(names)}
        self.beats = OnlineBeats(self.fps)
        self.gate = None
        if mouth_gate and config.separated:
            self.gate = LiveGate(
                self.fps, detector, noise_floor_db=noise_floor_db,
                lookahead_frames=self.lookahead_frames,
            )  # fmt: skip
        self.blinks = BlinkStream(self.fps, seed, config.blink_interval, config.blink_duration)
        self._e_long: deque[float] = deque(maxlen=EYE_PAST)
        self.samples = 0
        self.next_frame = 0

    def push(
        self, vocals: np.ndarray, accompaniment: np.ndarray, mixture: np.ndarray
    ) -> list[FaceFrame]:
        """A block of the three 16 kHz streams (vocals (n, C), the others (n,)) → the
        frames it completes. The block is taken in up to each frame's last sample and
        that frame made before the rest is heard, so a frame never reads past its
        lookahead and the frames do not depend on how the sound was cut into blocks."""
        frames = []
        at = 0
        while at < len(mixture):
            due = int(np.ceil((self.next_frame / self.fps + self.lookahead_s) * FEATURE_SR))
            take = max(1, min(len(mixture) - at, due - self.samples))
            self._hear(vocals[at : at + take], accompaniment[at : at + take],
                       mixture[at : at + take])  # fmt: skip
            at += take
            ready = all(stream.row_end > 0 for stream in self.mfccs.values())
            if ready and self.samples >= due:
                frames.append(self._frame(self.next_frame, self.next_frame + self.lookahead_frames))
        return frames

    def _hear(self, vocals: np.ndarray, accompaniment: np.ndarray, mixture: np.ndarray) -> None:
        streams = {VOCALS: vocals.mean(axis=1), ACCOMPANIMENT: accompaniment, MIXTURE: mixture}
        for name, stream in self.mfccs.items():
            stream.extend(streams[name])
        if self.gate is not None:
            self.gate.extend(vocals)
        self.samples += len(mixture)
        self.beats.update(self.mfccs[self.config.rhythm_source])

    def finish(self) -> list[FaceFrame]:
        """The frames left once the sound has ended (their lookahead runs past the end)."""
        total = video_frame_count(self.samples / FEATURE_SR, self.fps)
        return [self._frame(self.next_frame, total - 1) for _ in range(self.next_frame, total)]

    def _frame(self, index: int, newest: int) -> FaceFrame:
        made = self.generator.step(index, self.mfccs, self.beats)
        past = np.asarray(self._e_long, np.float32)
        e_long = np.concatenate([past, made.e_long[: newest - index + 1]])
        blink = self.blinks.frames(index - len(past), index - len(past) + len(e_long))
        config = self.config
        eye_long, eye_blink, eye = compose_eye_state(
            e_long,
            blink,
            config.long_closure_threshold,
            config.eye_sigma_frames,
            min_frames=max(1, round(config.blink_duration[0] * self.fps)),
        )
        self._e_long.append(float(made.e_long[0]))
        expression = made.expression[None]
        if self.gate is not None:
            value = self.gate.value(index, newest, self.mfccs[VOCALS])
            expression = gate_mouth(expression, np.array([value], np.float32))
        expression = expression[0].copy()
        at = len(past)
        for column in EYE_COLUMNS:
            expression[column] = eye[at]
        self.next_frame = index + 1
        return FaceFrame(
            index,
            expression,
            made.pose,
            float(eye_long[at]),
            float(eye_blink[at]),
            self.gate is not None,
        )
