"""The shipped generator a frame at a time, with no future beyond the lookahead.

The generator was trained on windows centred on each frame (±195 ms of MFCC) and
ATM U-Nets that look about ±0.6 s along time (core/model/). Live, frame `e` is made
when the sound up to `e / fps + lookahead` has arrived: the encoders and ATMs run on
the frames from `CONTEXT` before `e` up to the newest frame the lookahead holds, and
whatever a window or the U-Net would read beyond the sound heard so far is the last
row repeated, as at the end of a song offline. No retraining: the causal cost is
measured against the offline path (benchmarks/live.py). The heads then decode frame
`e` alone: EGN and ESGN per frame, the PGN one step of its recurrence
(core.model.pgn.PGN.step) with its state carried from frame to frame, reading the
online beat phase (core/live/beat_phase.py).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from core.checkpoints import LoadedGenerator
from core.features import WINDOW, window_centres
from core.live.beat_phase import OnlineBeats
from core.live.mfcc_stream import MfccStream
from core.model.generator import MOUTH
from core.model.pgn import PGN, PGNState

_ALIGN = 4  # the ATM U-Net pools twice: chunks start on multiples of 4, as offline
# Frames before the one made that the ATMs run over: past the U-Net's reach (±23 frames:
# two pooling levels of 3-tap convolutions), so the frame gets what offline gives it.
CONTEXT = 32


@dataclass
class GeneratedFrame:
    expression: np.ndarray  # (52,) before the mouth gate and the eyes
    pose: np.ndarray  # (6,) radians / metres
    e_long: np.ndarray  # (1 + lookahead frames,): frame e and those after it heard so far


class LiveGenerator:
    def __init__(self, loaded: LoadedGenerator, subject: int, lookahead_frames: int) -> None:
        self.model = loaded.model.eval()
        self.normalization = loaded.normalization
        self.config = self.model.config
        self.lookahead_frames = lookahead_frames
        self.context = CONTEXT
        self.device = next(self.model.parameters()).device
        self._code = self.model.one_hot(torch.tensor([subject], device=self.device))
        self._features: dict[int, torch.Tensor] = {}  # frame → its settled encoder features
        self._pose_state: PGNState | None = None
        self._pose_scale = torch.from_numpy(self.normalization.pose_scale).to(self.device)

    @torch.inference_mode()
    def step(self, frame: int, mfccs: dict[str, MfccStream], beats: OnlineBeats) -> GeneratedFrame:
        """Frame `frame` from each stream's MFCC so far (config.streams)."""
        config = self.config
        first = max(0, frame - self.context) // _ALIGN * _ALIGN
        last = frame + self.lookahead_frames
        centres = window_centres(last + 1, config.fps)[first:]
        rows = centres[:, None] + np.arange(-(WINDOW // 2), WINDOW // 2 + 1)[None, :]
        settled = min(mfccs[name].settled for name in config.streams)
        # A frame's encoder features read its own windows only: once they hold settled
        # rows alone, they are kept; the newest few frames are encoded again each time.
        fresh = [i for i in range(len(rows)) if first + i not in self._features]
        final = rows[:, -1] < settled
        windows = []
        for name in config.streams:
            stream = mfccs[name]
            wanted = rows[fresh]
            lo = max(0, int(wanted.min()))
            held = stream.window(lo, int(wanted.max()) + 1)
            # Rows beyond the newest repeat it, before the song's first repeat the first.
            index = np.clip(wanted - lo, 0, len(held) - 1)
            normalised = self.normalization.mfcc(name, held)
            windows.append(torch.from_numpy(normalised[index]).to(self.device)[None])
        encoded = self.model.encode(windows, self._code)[0]
        for i, values in zip(fresh, encoded, strict=True):
            self._features[first + i] = values
        features = torch.stack([self._features[first + i] for i in range(len(rows))])[None]
        for i in fresh:
            if not final[i]:
                del self._features[first + i]
        for old in [f for f in self._features if f < first]:
            del self._features[old]
        chunk = self.model.modulate(features, self._code)
        at = frame - first
        inputs = {name: values[:, at : at + 1] for name, values in chunk.inputs.items()}
        expression = self.model.egn(inputs["expression"], inputs.get(MOUTH))
        e_long = self.model.esgn(chunk.inputs["eye"][:, at:])
        pose = self._pose(inputs["pose"][:, 0], beats.phase(frame))
        return GeneratedFrame(
            expression=expression[0, 0].cpu().numpy(),
            pose=(pose[0] * self._pose_scale).cpu().numpy(),
            e_long=e_long[0].cpu().numpy(),
        )

    def _pose(self, features: torch.Tensor, phase: np.ndarray) -> torch.Tensor:
        """One frame of the pose head (normalised units), as MusicFaceGenerator.decode
        builds its input: the task features ⊕ the beat phase."""
        x = features
        if self.config.rhythm_dim:
            rhythm = torch.from_numpy(phase).to(x)[None]
            x = torch.cat([x, rhythm], dim=-1)
        head = self.model.pose_head
        if not isinstance(head, PGN):
            return head(x[:, None])[:, 0]
        if self._pose_state is None:  # the rest pose, at rest, as offline
            self._pose_state = head.initial_state(x.new_zeros(1, 2, self.config.pose_dim))
        gates = torch.nn.functional.linear(x, head.weight_audio, head.bias)
        self._pose_state = head.step(head.speed(x), gates, self._pose_state)
        return self._pose_state[1]
