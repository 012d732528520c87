"""The renderer: a neural texture sampled through the head's UVs, then a U-Net.

    features = NeuralTexture(uv)                      (Thies et al. 2019, multi-resolution)
    condition = sum over regions of mask_r * MLP_r(that region's ARKit weights, and
                their change since the previous frame)   (wrinkles, teeth, lids the
                                                          blend shapes do not model)
    rgb, alpha = UNet(features, guidance, condition)
    frame = alpha * rgb + (1 - alpha) * background plate

The expression reaches the image only through its region's mask, so a jawOpen change
stays around the mouth and a blink around its eye (the locality the tests check).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import torch
from torch import nn
from torch.nn import functional as F

from core.face.arkit import ARKIT_NAMES
from core.photoreal.guidance import CHANNELS, REGIONS, region_masks, uv_grid


def _region_names(region: str) -> list[str]:
    if region == "mouth":
        prefixes = ("jaw", "mouth", "cheek", "tongue", "noseSneer")
        return [n for n in ARKIT_NAMES if n.startswith(prefixes)]
    side = "Left" if region == "eye_left" else "Right"
    names = [n for n in ARKIT_NAMES if n.startswith(("eye", "brow")) and n.endswith(side)]
    return names + ["browInnerUp"]


REGION_ARKIT = {region: _region_names(region) for region in REGIONS}


@dataclass(frozen=True)
class RendererConfig:
    size: int = 256
    texture_size: int = 256
    texture_levels: int = 4
    texture_channels: int = 8
    condition_channels: int = 4
    base: int = 16
    depth: int = 4

    def to_dict(self) -> dict[str, int]:
        return asdict(self)


class NeuralTexture(nn.Module):
    """A Laplacian-pyramid-like stack of learnable textures, summed after sampling: the
    coarse levels fill what few frames see, the fine ones hold the detail."""

    def __init__(self, size: int, levels: int, channels: int) -> None:
        super().__init__()
        self.levels = nn.ParameterList(
            nn.Parameter(torch.zeros(1, channels, max(size >> level, 4), max(size >> level, 4)))
            for level in range(levels)
        )

    def forward(self, grid: torch.Tensor) -> torch.Tensor:
        batch = grid.shape[0]
        out = torch.zeros((), device=grid.device)
        for texture in self.levels:
            out = out + F.grid_sample(
                texture.expand(batch, -1, -1, -1), grid, mode="bilinear", align_corners=False
            )
        return out


class RegionCondition(nn.Module):
    """Per region, an MLP of its ARKit weights and their velocity -> channels under its mask."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.index = {r: [ARKIT_NAMES.index(n) for n in names] for r, names in REGION_ARKIT.items()}
        self.mlps = nn.ModuleDict(
            {
                r: nn.Sequential(
                    nn.Linear(2 * len(i), 32), nn.LeakyReLU(0.2), nn.Linear(32, channels)
                )
                for r, i in self.index.items()
            }
        )

    def forward(
        self, expression: torch.Tensor, previous: torch.Tensor, guidance: torch.Tensor
    ) -> torch.Tensor:
        masks = region_masks(guidance)
        maps = []
        for region, mlp in self.mlps.items():
            idx = self.index[region]
            code = mlp(
                torch.cat((expression[:, idx], expression[:, idx] - previous[:, idx]), dim=1)
            )
            maps.append(masks[region] * code[:, :, None, None])
        return torch.cat(maps, dim=1)


def _block(cin: int, cout: int) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(cin, cout, 3, padding=1),
        nn.LeakyReLU(0.2),
        nn.Conv2d(cout, cout, 3, padding=1),
        nn.LeakyReLU(0.2),
    )


class UNet(nn.Module):
    def __init__(self, cin: int, cout: int, base: int, depth: int) -> None:
        super().__init__()
        widths = [min(base * 2**i, base * 8) for i in range(depth + 1)]
        self.inc = _block(cin, widths[0])
        self.down = nn.ModuleList(_block(widths[i], widths[i + 1]) for i in range(depth))
        self.up = nn.ModuleList(
            _block(widths[i + 1] + widths[i], widths[i]) for i in reversed(range(depth))
        )
        self.out = nn.Conv2d(widths[0], cout, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        skips = [self.inc(x)]
        for block in self.down:
            skips.append(block(F.avg_pool2d(skips[-1], 2)))
        y = skips.pop()
        for block in self.up:
            skip = skips.pop()
            y = block(
                torch.cat(
                    (
                        F.interpolate(
                            y, size=skip.shape[-2:], mode="bilinear", align_corners=False
                        ),
                        skip,
                    ),
                    1,
                )
            )
        return self.out(y)


class PhotorealRenderer(nn.Module):
    """Guidance (B, CHANNELS, S, S) + expression (B, 52) (+ the previous frame's) ->
    frames (B, 3, S, S) in [0, 1] over the background plate, and alpha (B, 1, S, S)."""

    plate: torch.Tensor

    def __init__(self, config: RendererConfig) -> None:
        super().__init__()
        self.config = config
        self.texture = NeuralTexture(
            config.texture_size, config.texture_levels, config.texture_channels
        )
        self.condition = RegionCondition(config.condition_channels)
        cin = config.texture_channels + CHANNELS + config.condition_channels * len(REGIONS)
        self.unet = UNet(cin, 4, config.base, config.depth)
        self.register_buffer("plate", torch.zeros(3, config.size, config.size))

    def forward(
        self,
        guidance: torch.Tensor,
        expression: torch.Tensor,
        previous: torch.Tensor | None = None,
        plate: torch.Tensor | None = None,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """`plate` (B, 3, h, w): the background under a crop (training); default: the
        whole plate, scaled to the frame."""
        previous = expression if previous is None else previous
        features = self.texture(uv_grid(guidance)) * guidance[:, 6:7]
        condition = self.condition(expression, previous, guidance)
        out = self.unet(torch.cat((features, guidance, condition), dim=1))
        # The head is always the renderer's to paint (alpha 1 where it is rasterised), so
        # it cannot fall back on a plate that already shows the person (footage's median
        # frame does), which had left the colour without gradient; around the head alpha
        # is learned (hair, ears, the soft edge) and starts near 0.
        rgb = torch.sigmoid(out[:, :3])
        head = guidance[:, 6:7]
        alpha = head + (1 - head) * torch.sigmoid(out[:, 3:4] - 4.0)
        if plate is None:
            plate = self.plate[None]
        if plate.shape[-1] != rgb.shape[-1]:
            plate = F.interpolate(plate, size=rgb.shape[-2:], mode="bilinear", align_corners=False)
        return alpha * rgb + (1 - alpha) * plate, alpha
