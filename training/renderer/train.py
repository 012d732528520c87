"""Train a renderer on one identity's targets: the last 10 % of frames held out.

    result = train_renderer(targets, TrainSettings(minutes=10), out=Path("me.pt"))

The loop samples random training frames, renders them from cached guidance, and
minimises reconstruction() (+ a patch GAN after the warm-up). Every
`checkpoint_seconds` it writes OUT.resume.pt (model, optimisers, step), so `resume`
continues a run that was stopped; the finished renderer is OUT itself.
"""

from __future__ import annotations

import math
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import torch
from pytorch_msssim import ssim

from core.checkpoints import atomic_torch_save
from core.errors import BadInput
from core.face.model import FaceModel
from core.photoreal.guidance import GuidanceMaker, region_masks
from core.photoreal.network import PhotorealRenderer, RendererConfig
from core.photoreal.renderer_file import save_renderer
from core.progress import ProgressFn, no_progress
from training.renderer.losses import (
    PatchDiscriminator,
    discriminator_loss,
    generator_gan_loss,
    psnr,
    reconstruction,
)
from training.renderer.targets import RendererTargets


@dataclass
class TrainSettings:
    steps: int = 20000
    minutes: float | None = None  # stop after this long (whichever comes first)
    batch: int = 4
    lr: float = 1e-3
    texture_lr: float = 5e-3
    gan_weight: float = 0.01
    gan_after: float = 0.6  # share of the run before the patch GAN joins
    base: int = 16
    seed: int = 0
    checkpoint_seconds: float = 120.0
    eval_every: int = 250
    device: str = "cpu"
    held_out: float = 0.1  # the last share of the frames, never trained on
    # Train on crops of this size around the head (the network is convolutional and the
    # texture is sampled per pixel, so crops teach the same thing at a quarter of the
    # cost); None: whole frames. Evaluation always sees whole frames.
    crop: int | None = 128


@dataclass
class Scores:
    psnr: float
    ssim: float
    psnr_mouth: float
    psnr_eyes: float

    def line(self) -> str:
        return (
            f"PSNR {self.psnr:.2f} dB, SSIM {self.ssim:.4f}, mouth {self.psnr_mouth:.2f} dB, "
            f"eyes {self.psnr_eyes:.2f} dB"
        )


@dataclass
class TrainResult:
    path: Path
    steps: int
    seconds: float
    held_out: Scores
    history: list[dict[str, float]] = field(default_factory=list)


def split(count: int, share: float = 0.1) -> tuple[range, range]:
    held = max(1, int(round(count * share)))
    return range(0, count - held), range(count - held, count)


class GuidanceCache:
    """Guidance images of every target frame, made once (float16)."""

    def __init__(
        self, maker: GuidanceMaker, targets: RendererTargets, progress: ProgressFn
    ) -> None:
        images = []
        chunk = 16
        with torch.no_grad():
            for start in range(0, len(targets), chunk):
                e = targets.expression[start : start + chunk]
                geometry = maker.geometry(e, targets.pose[start : start + chunk])
                images.append(maker.images(geometry, e).half())
                progress("guidance", min(1.0, (start + chunk) / len(targets)))
        self.images = torch.cat(images)

    def __getitem__(self, index: torch.Tensor) -> torch.Tensor:
        return self.images[index].float()


def _crops(
    guidance: torch.Tensor,
    truth: torch.Tensor,
    plate: torch.Tensor,
    crop: int | None,
    generator: torch.Generator,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """The same random crop of guidance, truth and plate per sample, centred on a pixel
    of the head (or anywhere when the head is not in view)."""
    size = guidance.shape[-1]
    if crop is None or crop >= size:
        return guidance, truth, plate[None].expand(len(truth), -1, -1, -1)
    g_out, t_out, p_out = [], [], []
    for g, t in zip(guidance, truth, strict=True):
        ys, xs = torch.nonzero(g[6] > 0.5, as_tuple=True)
        if len(ys):
            pick = int(torch.randint(len(ys), (1,), generator=generator))
            cy, cx = int(ys[pick]), int(xs[pick])
        else:
            cy, cx = (int(v) for v in torch.randint(size, (2,), generator=generator))
        y = min(max(cy - crop // 2, 0), size - crop)
        x = min(max(cx - crop // 2, 0), size - crop)
        g_out.append(g[:, y : y + crop, x : x + crop])
        t_out.append(t[:, y : y + crop, x : x + crop])
        p_out.append(plate[:, y : y + crop, x : x + crop])
    return torch.stack(g_out), torch.stack(t_out), torch.stack(p_out)


def _previous(targets: RendererTargets, index: torch.Tensor) -> torch.Tensor:
    return targets.expression[(index - 1).clamp_min(0)]


def evaluate(
    model: PhotorealRenderer,
    cache: GuidanceCache,
    targets: RendererTargets,
    frames: range,
    device: torch.device,
) -> Scores:
    model.eval()
    predictions, truths, masks = [], [], []
    with torch.no_grad():
        for start in range(frames.start, frames.stop, 8):
            index = torch.arange(start, min(start + 8, frames.stop))
            guidance = cache[index].to(device)
            image, _ = model(
                guidance, targets.expression[index].to(device), _previous(targets, index).to(device)
            )
            predictions.append(image.cpu())
            truths.append(targets.frames[index].float() / 255)
            regions = region_masks(guidance.cpu())
            eyes = torch.maximum(regions["eye_left"], regions["eye_right"])
            masks.append(torch.cat((regions["mouth"], eyes), 1))
    model.train()
    p, t, m = torch.cat(predictions), torch.cat(truths), torch.cat(masks)
    return Scores(
        psnr=psnr(p, t),
        ssim=float(ssim(p, t, data_range=1.0, size_average=True))
        if p.shape[-1] >= 11
        else float("nan"),
        psnr_mouth=psnr(p, t, m[:, :1]),
        psnr_eyes=psnr(p, t, m[:, 1:]),
    )


def held_out_sheet(
    model: PhotorealRenderer,
    cache: GuidanceCache,
    targets: RendererTargets,
    frames: range,
    path: Path,
    device: torch.device,
    columns: int = 4,
) -> Path:
    """A PNG to look at: held-out frames (top) over what the renderer made of them."""
    from PIL import Image

    index = torch.linspace(frames.start, frames.stop - 1, columns).round().long()
    model.eval()
    with torch.no_grad():
        image, _ = model(
            cache[index].to(device),
            targets.expression[index].to(device),
            _previous(targets, index).to(device),
        )
    model.train()
    made = (image.clamp(0, 1) * 255).round().byte().cpu()
    rows = [torch.cat(list(targets.frames[index]), dim=2), torch.cat(list(made), dim=2)]
    sheet = torch.cat(rows, dim=1).permute(1, 2, 0).numpy()
    Image.fromarray(sheet).save(path)
    return path


def _resume_path(out: Path) -> Path:
    return out.with_name(out.name + ".resume.pt")


def train_renderer(
    targets: RendererTargets,
    settings: TrainSettings,
    out: Path,
    *,
    resume: bool = False,
    meta: dict[str, Any] | None = None,
    progress: ProgressFn = no_progress,
    log=None,  # noqa: ANN001  (a print-like callable for evaluation lines)
) -> TrainResult:
    torch.manual_seed(settings.seed)
    device = torch.device(settings.device)
    face = FaceModel.load()
    size = targets.size
    maker = GuidanceMaker(face, targets.camera, size, targets.scale)
    train_frames, held_frames = split(len(targets), settings.held_out)
    cache = GuidanceCache(maker, targets, progress)
    model = PhotorealRenderer(RendererConfig(size=size, texture_size=size, base=settings.base)).to(
        device
    )
    with torch.no_grad():
        model.plate.copy_(targets.frames[list(train_frames)].float().median(dim=0).values / 255)
    texture = list(model.texture.parameters())
    rest = [p for n, p in model.named_parameters() if not n.startswith("texture.")]
    optimiser = torch.optim.Adam(
        [{"params": texture, "lr": settings.texture_lr}, {"params": rest, "lr": settings.lr}]
    )
    critic = PatchDiscriminator().to(device)
    critic_optimiser = torch.optim.Adam(critic.parameters(), lr=2e-4, betas=(0.5, 0.999))
    step, spent = 0, 0.0
    resume_file = _resume_path(out)
    if resume:
        if not resume_file.exists():
            raise BadInput(f"nothing to resume: {resume_file.name} not found beside {out.name}")
        state = torch.load(resume_file, map_location=device, weights_only=True)
        model.load_state_dict(state["model"])
        optimiser.load_state_dict(state["optimiser"])
        critic.load_state_dict(state["critic"])
        critic_optimiser.load_state_dict(state["critic_optimiser"])
        step, spent = int(state["step"]), float(state["seconds"])
    base_lrs = [g["lr"] for g in optimiser.param_groups]
    generator = torch.Generator().manual_seed(settings.seed + step)
    train_index = torch.tensor(list(train_frames))
    started = time.monotonic() - spent
    last_checkpoint = time.monotonic()
    history: list[dict[str, float]] = []
    budget = math.inf if settings.minutes is None else settings.minutes * 60.0
    gan_from = int(settings.gan_after * settings.steps)

    def elapsed() -> float:
        return time.monotonic() - started

    def save_resume() -> None:
        atomic_torch_save(
            {
                "model": model.state_dict(),
                "optimiser": optimiser.state_dict(),
                "critic": critic.state_dict(),
                "critic_optimiser": critic_optimiser.state_dict(),
                "step": step,
                "seconds": elapsed(),
            },
            resume_file,
        )

    model.train()
    while step < settings.steps and elapsed() < budget:
        share = max(step / settings.steps, elapsed() / budget)
        for group, lr in zip(optimiser.param_groups, base_lrs, strict=True):
            group["lr"] = lr * 0.5 * (1 + math.cos(math.pi * min(share, 1.0)))
        index = train_index[torch.randint(len(train_index), (settings.batch,), generator=generator)]
        guidance, truth, plate = _crops(
            cache[index],
            targets.frames[index].float() / 255,
            model.plate.cpu(),
            settings.crop,
            generator,
        )
        guidance, truth, plate = guidance.to(device), truth.to(device), plate.to(device)
        e, previous = targets.expression[index].to(device), _previous(targets, index).to(device)
        image, _ = model(guidance, e, previous, plate)
        loss = reconstruction(image, truth, guidance)
        use_gan = settings.gan_weight > 0 and step >= gan_from
        if use_gan:
            loss = loss + settings.gan_weight * generator_gan_loss(critic(image, guidance[:, 6:7]))
        optimiser.zero_grad(set_to_none=True)
        loss.backward()
        optimiser.step()
        if use_gan:
            critic_loss = discriminator_loss(
                critic(truth, guidance[:, 6:7]), critic(image.detach(), guidance[:, 6:7])
            )
            critic_optimiser.zero_grad(set_to_none=True)
            critic_loss.backward()
            critic_optimiser.step()
        step += 1
        progress("train", min(1.0, max(step / settings.steps, elapsed() / budget)))
        if step % settings.eval_every == 0:
            scores = evaluate(model, cache, targets, held_frames, device)
            history.append({"step": step, "seconds": round(elapsed(), 1), **asdict(scores)})
            if log is not None:
                log(f"step {step} ({elapsed():.0f} s): held-out {scores.line()}")
        if time.monotonic() - last_checkpoint > settings.checkpoint_seconds:
            save_resume()
            last_checkpoint = time.monotonic()
    held = evaluate(model, cache, targets, held_frames, device)
    info = {
        **(meta or {}),
        **targets.meta,
        "synthetic_output": True,
        "frames": len(targets),
        "held_out_frames": len(held_frames),
        "steps": step,
        "seconds": round(elapsed(), 1),
        "held_out": asdict(held),
        "settings": asdict(settings),
    }
    save_renderer(out, model, targets.camera, targets.scale, info, targets.rest_pose)
    held_out_sheet(
        model, cache, targets, held_frames, out.with_name(out.stem + ".held_out.png"), device
    )
    save_resume()
    return TrainResult(path=out, steps=step, seconds=elapsed(), held_out=held, history=history)
