"""ATM: the attention-based modulator, one per task (DESIGN.md, "The method" 4).

att = sigmoid(TemporalUNet(f_v ⊕ f_b)); [l, m] = att ⊙ (f_v ⊕ f_b). The U-Net
runs over the time axis, so each frame's attention sees its neighbours
(about ±0.6 s at 30 fps), not just its own features.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F


def _conv_block(in_channels: int, out_channels: int) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv1d(in_channels, out_channels, 3, padding=1),
        nn.ReLU(),
        nn.Conv1d(out_channels, out_channels, 3, padding=1),
        nn.ReLU(),
    )


class TemporalUNet(nn.Module):
    """Two down/up levels over time; input and output (B, channels, T)."""

    DEPTH = 2  # T is padded to a multiple of 2**DEPTH inside forward

    def __init__(self, channels: int, hidden: int) -> None:
        super().__init__()
        self.enc0 = _conv_block(channels, hidden)
        self.enc1 = _conv_block(hidden, hidden)
        self.bottom = _conv_block(hidden, hidden)
        self.dec1 = _conv_block(2 * hidden, hidden)
        self.dec0 = _conv_block(2 * hidden, hidden)
        self.out = nn.Conv1d(hidden, channels, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        t = x.shape[-1]
        pad = (-t) % (2**self.DEPTH)
        if pad:
            x = F.pad(x, (0, pad), mode="replicate")
        e0 = self.enc0(x)
        e1 = self.enc1(F.max_pool1d(e0, 2))
        b = self.bottom(F.max_pool1d(e1, 2))
        d1 = self.dec1(torch.cat([F.interpolate(b, scale_factor=2.0), e1], dim=1))
        d0 = self.dec0(torch.cat([F.interpolate(d1, scale_factor=2.0), e0], dim=1))
        return self.out(d0)[..., :t]


class ATM(nn.Module):
    """(B, T, 2D) stream features → ([l, m] (B, T, 2D), att (B, T, 2D) in [0, 1])."""

    def __init__(self, feature_channels: int, hidden: int) -> None:
        super().__init__()
        self.unet = TemporalUNet(feature_channels, hidden)

    def forward(self, features: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        att = torch.sigmoid(self.unet(features.transpose(1, 2))).transpose(1, 2)
        return att * features, att
