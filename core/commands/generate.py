"""`musicface generate SONG -o perf.npz`: animate a song into a Performance file."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from core.errors import BadInput
from core.progress import ProgressFn

NAME = "generate"
HELP = "turn a song into a Performance (.npz): ARKit expression, head pose, eye state"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("song", type=Path, help="audio file (wav, flac, mp3, m4a, ogg, …)")
    parser.add_argument("-o", "--out", type=Path, required=True, help="output Performance .npz")
    parser.add_argument(
        "--separator",
        choices=("auto", "spleeter", "dsp", "none"),
        default="auto",
        help="how to split vocals from accompaniment (default: auto)",
    )
    parser.add_argument("--vocals", type=Path, help="your own vocal stem (skips separation)")
    parser.add_argument("--accompaniment", type=Path, help="your own accompaniment stem")
    parser.add_argument(
        "--checkpoint", type=Path, help="generator checkpoint (default: the shipped one)"
    )
    parser.add_argument("--subject", type=int, default=0, help="singer style index (default 0)")
    parser.add_argument("--seed", type=int, default=0, help="take seed: blinks vary with it")
    parser.add_argument(
        "--fps", type=float, help="resample the Performance to this frame rate (default 30)"
    )


def run(args: argparse.Namespace, progress: ProgressFn) -> int:
    from core.generate import generate

    out: Path = args.out
    if out.suffix != ".npz":
        raise BadInput(f"the output must be a .npz file, got {out.name}")
    if not out.parent.is_dir():
        raise BadInput(f"output folder does not exist: {out.parent}")
    if args.fps is not None and not args.fps > 0:
        raise BadInput(f"--fps must be positive, got {args.fps}")
    performance = generate(
        args.song,
        checkpoint=args.checkpoint,
        separator=args.separator,
        subject=args.subject,
        seed=args.seed,
        vocals=args.vocals,
        accompaniment=args.accompaniment,
        progress=progress,
    )
    if args.fps is not None:
        performance = performance.resample(args.fps)
    progress("write", 0.98)
    performance.save(out)  # atomic: temp file + rename
    progress("write", 1.0)
    # stderr: stdout carries only JSON lines under `--progress json`.
    print(f"wrote {out} ({performance.frames} frames at {performance.fps:g} fps)", file=sys.stderr)
    args.done_path = out
    return 0
