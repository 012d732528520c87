"""The discriminator of the adversarial loss (DESIGN.md, "The method" 7).

It judges whether a pose and long-closure sequence fits the audio: its input
per frame is pose ⊕ e_long ⊕ audio, where audio is the centre MFCC frame of
each stream's window (raw inputs, so its gradients never reach the encoders).
A temporal CNN returns one logit per patch of frames.
"""

from __future__ import annotations

import torch
from torch import nn


class Discriminator(nn.Module):
    def __init__(self, pose_dim: int, audio_dim: int, hidden: int = 64) -> None:
        super().__init__()
        self.net = nn.Sequential(
            nn.Conv1d(pose_dim + 1 + audio_dim, hidden, 5, padding=2),
            nn.LeakyReLU(0.2),
            nn.Conv1d(hidden, hidden, 5, stride=2, padding=2),
            nn.LeakyReLU(0.2),
            nn.Conv1d(hidden, hidden, 5, stride=2, padding=2),
            nn.LeakyReLU(0.2),
            nn.Conv1d(hidden, 1, 3, padding=1),
        )

    def forward(
        self, pose: torch.Tensor, e_long: torch.Tensor, audio: torch.Tensor
    ) -> torch.Tensor:
        """pose (B, T, P), e_long (B, T), audio (B, T, A) → logits (B, T / 4)."""
        x = torch.cat([pose, e_long.unsqueeze(-1), audio], dim=-1).transpose(1, 2)
        return self.net(x).squeeze(1)


def centre_frames(*windows: torch.Tensor) -> torch.Tensor:
    """(B, T, window, C) windows → (B, T, ΣC): each window's middle row, streams side by side."""
    return torch.cat([w[:, :, w.shape[2] // 2] for w in windows], dim=-1)
