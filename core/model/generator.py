"""The MusicFace generator: TSAE → ATM (per task) → EGN / PGN / ESGN (DESIGN.md, "The method").

The variant flag of the config selects the paper's ablations:

- `single-stream`: one encoder on the mixture, MLP pose, no attention.
- `two-stream`: TSAE on vocals and accompaniment, no ATM, MLP pose.
- `with-atm`: + one ATM per task, MLP pose.
- `full`: + PGN (speed and direction apart, autoregressive).

Inputs are normalised MFCC windows (B, T, 39, 26) per stream; poses are in
normalised units (see normalization.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import torch
from torch import nn
from torch.nn import functional as F

from core.face.arkit import LOWER_FACE
from core.model.atm import ATM
from core.model.config import GeneratorConfig
from core.model.egn import EGN
from core.model.esgn import LongClosureMLP
from core.model.pgn import PGN, PoseMLP
from core.model.tsae import TSAE, AudioEncoder, encode_frames, with_subject
from core.tasks import TASKS

# The key of the lips' own input in TaskFeatures.inputs (GeneratorConfig.lips_hear).
MOUTH = "mouth"


@dataclass
class TaskFeatures:
    """What each task head reads, (B, T, task_dim) (and, for lips apart, the lips'
    (B, T, mouth_dim) under MOUTH), and the ATM attention (B, T, 2D)."""

    inputs: dict[str, torch.Tensor]
    attention: dict[str, torch.Tensor] | None


@dataclass
class GeneratorOutput:
    expression: torch.Tensor  # (B, T, 52) in [0, 1]
    pose: torch.Tensor  # (B, T, 6), normalised units
    e_long: torch.Tensor  # (B, T) in [0, 1]
    attention: dict[str, torch.Tensor] | None  # task → (B, T, 2D) in [0, 1]


class MusicFaceGenerator(nn.Module):
    # Each task's own path (its ATM, where there is one, and its head), as prefixes of
    # the parameter names below: what `musicface-train train --only TASK` retrains.
    TASK_PATHS: dict[str, tuple[str, ...]] = {
        "expression": ("atm.expression.", "atm.mouth.", "egn."),
        "pose": ("atm.pose.", "pose_head."),
        "eye": ("atm.eye.", "esgn."),
    }

    def __init__(self, config: GeneratorConfig) -> None:
        super().__init__()
        self.config = config
        if config.separated:
            self.tsae = TSAE(config)
        else:
            self.encoder = AudioEncoder(config)
        if config.uses_atm:
            channels = 2 * config.feature_dim
            modulators = {t: ATM(channels, config.unet_channels) for t in TASKS}
            if config.mouth_apart:  # the lips' own attention, over the vocal features only
                modulators[MOUTH] = ATM(config.feature_dim, config.unet_channels)
            self.atm = nn.ModuleDict(modulators)
        dim, hidden = config.task_dim, config.mlp_hidden
        lips = LOWER_FACE if config.mouth_apart else ()
        self.egn = EGN(dim, hidden, config.n_expression, lips, config.mouth_dim)
        pose_in = config.pose_in_dim
        self.pose_head: PGN | PoseMLP = (
            PGN(pose_in, hidden, config.lstm_hidden, config.pose_dim)
            if config.uses_pgn
            else PoseMLP(pose_in, hidden, config.pose_dim)
        )
        self.esgn = LongClosureMLP(dim, hidden)

    @property
    def n_streams(self) -> int:
        return 2 if self.config.separated else 1

    def one_hot(self, subject: torch.Tensor) -> torch.Tensor:
        """(B,) subject indices → (B, S) float one-hot."""
        if int(subject.min()) < 0 or int(subject.max()) >= self.config.n_subjects:
            raise ValueError(f"subject must be in 0..{self.config.n_subjects - 1}")
        return F.one_hot(subject.long(), self.config.n_subjects).float()

    def task_features(self, streams: Sequence[torch.Tensor], subject: torch.Tensor) -> TaskFeatures:
        """Encoders (+ ATMs): windows per stream → the three tasks' inputs."""
        code = self.one_hot(subject)
        return self.modulate(self.encode(streams, code), code)

    def encode(self, streams: Sequence[torch.Tensor], code: torch.Tensor) -> torch.Tensor:
        """TSAE (or the single encoder): windows per stream → (B, T, streams · D) per frame.
        Each frame's features read its own windows only (the live engine keeps them)."""
        if len(streams) != self.n_streams:
            raise ValueError(f"{self.config.variant} expects {self.n_streams} stream(s)")
        if self.config.separated:
            f_v, f_b = self.tsae(streams[0], streams[1], code)
            return torch.cat([f_v, f_b], dim=-1)
        return encode_frames(self.encoder, with_subject(streams[0], code))

    def modulate(self, features: torch.Tensor, code: torch.Tensor) -> TaskFeatures:
        """The ATMs over time (where the variant has them) → the task heads' inputs."""
        b, t = features.shape[:2]
        code_t = code[:, None, :].expand(b, t, code.shape[-1])
        inputs: dict[str, torch.Tensor] = {}
        if self.config.mouth_apart:
            f_v = features[..., : self.config.feature_dim]
            if self.config.uses_atm:
                f_v = self.atm[MOUTH](f_v)[0]
            inputs[MOUTH] = torch.cat([f_v, code_t], dim=-1)
        if not self.config.uses_atm:
            shared = torch.cat([features, code_t], dim=-1)
            return TaskFeatures({**inputs, **{task: shared for task in TASKS}}, None)
        attention = {}
        for task in TASKS:
            lm, att = self.atm[task](features)
            inputs[task] = torch.cat([lm, code_t], dim=-1)
            attention[task] = att
        return TaskFeatures(inputs, attention)

    def decode(
        self,
        tasks: TaskFeatures,
        initial_pose: torch.Tensor | None = None,
        rhythm: torch.Tensor | None = None,
        pose_audio_from: torch.Tensor | None = None,
    ) -> GeneratorOutput:
        """EGN, PGN (or MLP pose) and the long-closure MLP of ESGN.

        rhythm (B, T, rhythm_dim): the beat phase of core/rhythm.py; None reads as
        no tempo (zeros), as for a song without beats. pose_audio_from (B,): for each
        batch item, the item whose audio features its pose head reads (its subject code
        and beat phase stay its own); training's augmentation, None at inference.
        """
        pose_in = tasks.inputs["pose"]
        if pose_audio_from is not None:
            audio = pose_in.shape[-1] - self.config.n_subjects
            pose_in = torch.cat([pose_in[pose_audio_from, :, :audio], pose_in[..., audio:]], -1)
        if self.config.rhythm_dim:
            if rhythm is None:
                rhythm = pose_in.new_zeros(*pose_in.shape[:2], self.config.rhythm_dim)
            pose_in = torch.cat([pose_in, rhythm.to(pose_in.dtype)], dim=-1)
        return GeneratorOutput(
            expression=self.egn(tasks.inputs["expression"], tasks.inputs.get(MOUTH)),
            pose=self.pose_head(pose_in, initial_pose),
            e_long=self.esgn(tasks.inputs["eye"]),
            attention=tasks.attention,
        )

    def forward(
        self,
        streams: Sequence[torch.Tensor],
        subject: torch.Tensor,
        initial_pose: torch.Tensor | None = None,
        rhythm: torch.Tensor | None = None,
        pose_audio_from: torch.Tensor | None = None,
    ) -> GeneratorOutput:
        """streams: 1 or 2 tensors (B, T, 39, 26); subject (B,); initial_pose (B, 2, 6) or
        None; rhythm (B, T, rhythm_dim) or None; pose_audio_from: see `decode`."""
        tasks = self.task_features(streams, subject)
        return self.decode(tasks, initial_pose, rhythm, pose_audio_from)


def attention_curves(attention: dict[str, torch.Tensor], feature_dim: int) -> torch.Tensor:
    """(3, T, 2): each task's mean attention on the vocal and on the accompaniment features.

    Channel 0 = vocals (l), channel 1 = accompaniment (m); one batch item.
    """
    curves = []
    for task in TASKS:
        att = attention[task][0]
        curves.append(
            torch.stack([att[:, :feature_dim].mean(-1), att[:, feature_dim:].mean(-1)], dim=-1)
        )
    return torch.stack(curves)
