"""`musicface-train renderer VIDEO --out me.pt`: a photoreal renderer of the person on video."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from core.device import DEVICE_HELP
from core.errors import BadInput
from core.photoreal import CONSENT
from core.progress import ProgressFn

NAME = "renderer"
HELP = (
    "train a photoreal renderer on a person's own video (a few minutes, face to camera): "
    "capture, fit the head, train, report held-out PSNR/SSIM"
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.epilog = CONSENT
    parser.add_argument("video", type=Path, help="the person's video (face to camera)")
    parser.add_argument("--out", type=Path, required=True, help="the renderer file (.pt)")
    parser.add_argument("--size", type=int, choices=(128, 256, 512), default=256)
    parser.add_argument("--device", default="auto", help=DEVICE_HELP)
    parser.add_argument(
        "--minutes",
        type=float,
        default=20.0,
        help="training time budget of the whole run, resumed or not (default 20)",
    )
    parser.add_argument("--steps", type=int, default=30000, help="at most this many steps")
    parser.add_argument(
        "--held-out",
        type=float,
        default=0.1,
        help="share of the video at its end kept out of training and scored (default 0.1)",
    )
    parser.add_argument(
        "--resume", action="store_true", help="continue from OUT.resume.pt (same video)"
    )
    parser.add_argument("--seed", type=int, default=0)


def _echo(line: str) -> None:
    from tqdm import tqdm

    tqdm.write(line, file=sys.stderr)


def run(args: argparse.Namespace, progress: ProgressFn) -> int:
    import os

    from core.capture.model_file import face_landmarker_path
    from core.device import resolve_device
    from training.renderer.footage import footage_targets
    from training.renderer.train import TrainSettings, train_renderer

    out: Path = args.out
    if out.suffix != ".pt":
        raise BadInput(f"the renderer must be a .pt file, got {out.name}")
    if not out.parent.is_dir() or not os.access(out.parent, os.W_OK):
        raise BadInput(f"cannot write to {out.parent}")
    if out.exists() and not args.resume:
        raise BadInput(f"{out} exists: choose another --out, or --resume its training")
    if not 0.0 < args.held_out < 0.5:
        raise BadInput("--held-out must be between 0 and 0.5")
    if not args.minutes > 0:
        raise BadInput("--minutes must be positive")
    if not args.video.is_file():
        raise BadInput(f"video not found: {args.video}")
    device = resolve_device(args.device)
    face_landmarker_path()
    _echo(CONSENT)
    targets, report = footage_targets(args.video, args.size, progress=progress)
    _echo(f"footage: {json.dumps(report)}")
    settings = TrainSettings(
        steps=args.steps,
        minutes=args.minutes,
        device=str(device),
        held_out=args.held_out,
        seed=args.seed,
    )
    result = train_renderer(
        targets,
        settings,
        out,
        resume=args.resume,
        meta={"footage": report},
        progress=progress,
        log=_echo,
    )
    _echo(f"held-out, the last {100 * args.held_out:.0f} % of the video: {result.held_out.line()}")
    _echo(f"wrote {out} after {result.steps} steps in {result.seconds / 60:.1f} min")
    sheet = out.with_name(out.stem + ".held_out.png")
    _echo(f"held-out frames over what it renders of them: {sheet}")
    args.done_path = out
    return 0
