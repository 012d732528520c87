"""The song, separation and model arguments that `features`, `generate` and `animate`
share, and `--device` for the commands that run the generator."""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import TYPE_CHECKING

from core.device import DEVICE_HELP
from core.progress import ProgressFn
from core.separation.names import SEPARATORS

if TYPE_CHECKING:  # the engine's heavy imports wait until a command runs
    from core.performance import Performance


def add_song_arguments(parser: argparse.ArgumentParser, out_help: str) -> None:
    """SONG, -o/--out, --separator, --vocals, --accompaniment."""
    parser.add_argument("song", type=Path, help="audio file (wav, flac, mp3, m4a, ogg, …)")
    parser.add_argument("-o", "--out", type=Path, required=True, help=out_help)
    parser.add_argument(
        "--separator",
        choices=SEPARATORS,
        default="auto",
        help="auto: spleeter when its model is installed, else dsp (default: auto)",
    )
    parser.add_argument("--vocals", type=Path, help="your own vocal stem (skips separation)")
    parser.add_argument("--accompaniment", type=Path, help="your own accompaniment stem")


def add_model_arguments(parser: argparse.ArgumentParser) -> None:
    """--checkpoint, --subject, --seed."""
    parser.add_argument(
        "--checkpoint", type=Path, help="generator checkpoint (default: the shipped one)"
    )
    parser.add_argument("--subject", type=int, default=0, help="singer style index (default 0)")
    parser.add_argument("--seed", type=int, default=0, help="take seed: blinks vary with it")
    parser.add_argument(
        "--no-mouth-gate",
        action="store_true",
        help="let the model's mouth move where the separated vocals are quiet (by default "
        "it rests there: the model alone sings along to what the separator leaves behind)",
    )


def add_device_argument(parser: argparse.ArgumentParser) -> None:
    """--device: where the generator runs (resolved by core/device.py)."""
    parser.add_argument("--device", default="auto", help=DEVICE_HELP)


def check_performance_output(out: Path) -> None:
    """What `generate` and `capture` check of their -o before any work."""
    from core.errors import BadInput

    if out.suffix != ".npz":
        raise BadInput(f"the output must be a .npz file, got {out.name}")
    if not out.parent.is_dir():
        raise BadInput(f"output folder does not exist: {out.parent}")
    if not os.access(out.parent, os.W_OK):
        raise BadInput(f"cannot write to {out.parent}")


def generate_from_arguments(args: argparse.Namespace, progress: ProgressFn) -> Performance:
    """The take that `generate` and `animate` make from their shared arguments."""
    from core.generate import generate

    return generate(
        args.song,
        checkpoint=args.checkpoint,
        separator=args.separator,
        subject=args.subject,
        seed=args.seed,
        vocals=args.vocals,
        accompaniment=args.accompaniment,
        device=args.device,
        mouth_gate=not args.no_mouth_gate,
        progress=progress,
    )
