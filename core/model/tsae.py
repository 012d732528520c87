"""TSAE: the two-stream audio encoder (DESIGN.md, "The method" 3 and 5).

Each stream has its own 1-D temporal CNN with residual blocks; both share the
structure. The CNN reads one 39-frame MFCC window (time is the conv axis, the
26 coefficients plus the subject one-hot are channels) and returns one feature
vector per video frame.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F

from core.model.config import GeneratorConfig


class ResidualBlock(nn.Module):
    """conv-ReLU-conv plus a (projected) skip; stride 2 halves the window."""

    def __init__(self, in_channels: int, out_channels: int, stride: int) -> None:
        super().__init__()
        self.conv1 = nn.Conv1d(in_channels, out_channels, 3, stride=stride, padding=1)
        self.conv2 = nn.Conv1d(out_channels, out_channels, 3, padding=1)
        self.skip: nn.Module = (
            nn.Conv1d(in_channels, out_channels, 1, stride=stride)
            if stride != 1 or in_channels != out_channels
            else nn.Identity()
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.relu(self.conv2(F.relu(self.conv1(x))) + self.skip(x))


class AudioEncoder(nn.Module):
    """AE: (N, window, n_mfcc + n_subjects) → (N, feature_dim)."""

    def __init__(self, config: GeneratorConfig) -> None:
        super().__init__()
        c = config.encoder_channels
        self.stem = nn.Conv1d(config.n_mfcc + config.n_subjects, c // 2, 3, padding=1)
        # 39 → 20 → 10 → 5 frames: three strided blocks keep the cost per frame low.
        self.blocks = nn.Sequential(
            ResidualBlock(c // 2, c, stride=2),
            ResidualBlock(c, c, stride=2),
            ResidualBlock(c, c, stride=2),
        )
        self.out = nn.Linear(c, config.feature_dim)
        # Unit-scale features from the first step: every task head (and ATM) gets a
        # usable signal at once instead of waiting for the encoder's scale to grow.
        self.norm = nn.LayerNorm(config.feature_dim)

    def forward(self, windows: torch.Tensor) -> torch.Tensor:
        x = F.relu(self.stem(windows.transpose(1, 2)))
        x = self.blocks(x).mean(dim=2)
        return self.norm(self.out(x))


def with_subject(windows: torch.Tensor, subject: torch.Tensor) -> torch.Tensor:
    """Concatenate the subject one-hot (B, S) to every row of (B, T, window, n_mfcc) windows."""
    b, t, w, _ = windows.shape
    code = subject[:, None, None, :].expand(b, t, w, subject.shape[-1])
    return torch.cat([windows, code], dim=-1)


def encode_frames(encoder: AudioEncoder, windows: torch.Tensor) -> torch.Tensor:
    """Run an encoder on (B, T, window, C) windows → (B, T, feature_dim)."""
    b, t = windows.shape[:2]
    return encoder(windows.reshape(b * t, *windows.shape[2:])).reshape(b, t, -1)


class TSAE(nn.Module):
    """AE_v and AE_b: same structure, separate weights → f_v, f_b per frame."""

    def __init__(self, config: GeneratorConfig) -> None:
        super().__init__()
        self.vocal = AudioEncoder(config)
        self.accompaniment = AudioEncoder(config)

    def forward(
        self, vocal_windows: torch.Tensor, accomp_windows: torch.Tensor, subject: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        f_v = encode_frames(self.vocal, with_subject(vocal_windows, subject))
        f_b = encode_frames(self.accompaniment, with_subject(accomp_windows, subject))
        return f_v, f_b
