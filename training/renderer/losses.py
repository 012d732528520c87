"""Renderer losses that need no pretrained network (none can be downloaded here):
L1 and MS-SSIM with extra weight on the mouth and eyes, and a patch GAN."""

from __future__ import annotations

import torch
from pytorch_msssim import ms_ssim, ssim
from torch import nn
from torch.nn import functional as F

from core.photoreal.guidance import region_masks

FEATURE_WEIGHT = 3.0  # extra L1 weight inside the mouth and eye regions


def detail_weight(guidance: torch.Tensor) -> torch.Tensor:
    """(B, 1, H, W): 1 everywhere, 1 + FEATURE_WEIGHT on the mouth and eyes."""
    masks = region_masks(guidance)
    parts = guidance[:, 7:11].amax(dim=1, keepdim=True)  # eyeballs, mouth interior, sockets
    focus = torch.maximum(torch.maximum(masks["eye_left"], masks["eye_right"]), parts)
    return 1.0 + FEATURE_WEIGHT * torch.maximum(focus, 0.5 * masks["mouth"])


def structural(prediction: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """1 - MS-SSIM; pytorch-msssim's five scales need a side over 16 × (window - 1), so
    crops of 97-160 px use a 7-px window and smaller images plain SSIM."""
    size = min(prediction.shape[-2:])
    if size > 160:
        return 1 - ms_ssim(prediction, target, data_range=1.0, size_average=True)
    if size > 96:
        return 1 - ms_ssim(prediction, target, data_range=1.0, size_average=True, win_size=7)
    return 1 - ssim(prediction, target, data_range=1.0, size_average=True)


def reconstruction(
    prediction: torch.Tensor, target: torch.Tensor, guidance: torch.Tensor
) -> torch.Tensor:
    weight = detail_weight(guidance)
    l1 = (weight * (prediction - target).abs()).mean() / weight.mean()
    return l1 + 0.2 * structural(prediction, target)


class PatchDiscriminator(nn.Module):
    """pix2pix's 70×70-style PatchGAN, small: real/fake per patch of (image, coverage)."""

    def __init__(self, base: int = 32) -> None:
        super().__init__()
        layers: list[nn.Module] = [nn.Conv2d(4, base, 4, 2, 1), nn.LeakyReLU(0.2)]
        width = base
        for _ in range(2):
            layers += [
                nn.Conv2d(width, width * 2, 4, 2, 1),
                nn.GroupNorm(8, width * 2),
                nn.LeakyReLU(0.2),
            ]
            width *= 2
        layers += [nn.Conv2d(width, 1, 4, 1, 1)]
        self.net = nn.Sequential(*layers)

    def forward(self, image: torch.Tensor, coverage: torch.Tensor) -> torch.Tensor:
        return self.net(torch.cat((image * 2 - 1, coverage), dim=1))


def discriminator_loss(real: torch.Tensor, fake: torch.Tensor) -> torch.Tensor:
    return F.softplus(-real).mean() + F.softplus(fake).mean()


def generator_gan_loss(fake: torch.Tensor) -> torch.Tensor:
    return F.softplus(-fake).mean()


def psnr(prediction: torch.Tensor, target: torch.Tensor, mask: torch.Tensor | None = None) -> float:
    """PSNR in dB over all pixels, or over those where `mask` (B, 1, H, W) is set."""
    error = (prediction - target) ** 2
    if mask is not None:
        mask = mask.expand_as(error)
        mse = float((error * mask).sum() / mask.sum().clamp_min(1.0))
    else:
        mse = float(error.mean())
    return float(10 * torch.log10(torch.tensor(1.0 / max(mse, 1e-12))))
