"""`musicface generate SONG -o perf.npz`: animate a song into a Performance file."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from core.commands.song_arguments import (
    add_device_argument,
    add_lyrics_arguments,
    add_model_arguments,
    add_song_arguments,
    check_performance_output,
    generate_from_arguments,
)
from core.errors import BadInput
from core.progress import ProgressFn

NAME = "generate"
HELP = "turn a song into a Performance (.npz): ARKit expression, head pose, eye state"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_song_arguments(parser, "output Performance .npz")
    add_model_arguments(parser)
    add_device_argument(parser)
    add_lyrics_arguments(parser)
    parser.add_argument(
        "--fps", type=float, help="resample the Performance to this frame rate (default 30)"
    )


def run(args: argparse.Namespace, progress: ProgressFn) -> int:
    out: Path = args.out
    check_performance_output(out)
    if args.fps is not None and not args.fps > 0:
        raise BadInput(f"--fps must be positive, got {args.fps}")
    performance = generate_from_arguments(args, progress)
    if args.fps is not None:
        performance = performance.resample(args.fps)
    progress("write", 0.98)
    performance.save(out)  # atomic: temp file + rename
    progress("write", 1.0)
    # stderr: stdout carries only JSON lines under `--progress json`.
    print(performance.meta.get("separation", ""), file=sys.stderr)
    print(f"wrote {out} ({performance.frames} frames at {performance.fps:g} fps)", file=sys.stderr)
    args.done_path = out
    return 0
