"""`musicface-train synth --out DIR --songs N --seed S`: write a synthetic singing corpus."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from core.errors import BadInput
from core.progress import ProgressFn

NAME = "synth"
HELP = "synthesise a singing corpus with exact ground truth (DESIGN.md dataset format)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", type=Path, required=True, help="corpus folder (created)")
    parser.add_argument("--songs", type=int, default=300, help="number of clips (default 300)")
    parser.add_argument("--seed", type=int, default=0, help="corpus seed (default 0)")
    parser.add_argument(
        "--workers",
        type=int,
        default=min(2, os.cpu_count() or 1),
        help="worker processes (default: up to 2; the result does not depend on it)",
    )
    parser.add_argument(
        "--test-fraction", type=float, default=0.1, help="share of clips held out for testing"
    )
    parser.add_argument(
        "--stems",
        choices=("dsp", "clean"),
        default="dsp",
        help="vocal/accompaniment features from the dsp separator (as at inference; "
        "default) or from the true stems",
    )
    parser.add_argument(
        "--seconds",
        type=float,
        nargs=2,
        default=(10.0, 20.0),
        metavar=("MIN", "MAX"),
        help="clip length range in seconds (default 10 20)",
    )


def run(args: argparse.Namespace, progress: ProgressFn) -> int:
    from training.synth.corpus import write_corpus

    if args.songs < 1:
        raise BadInput("--songs must be at least 1")
    if args.seed < 0:
        raise BadInput("--seed must be 0 or more")
    if not 0.0 <= args.test_fraction < 1.0:
        raise BadInput("--test-fraction must be in [0, 1)")
    low, high = args.seconds
    if not 4.0 <= low <= high <= 600.0:
        raise BadInput("--seconds needs 4 <= MIN <= MAX <= 600")
    out: Path = args.out
    if out.exists() and not out.is_dir():
        raise BadInput(f"--out is a file, not a folder: {out}")
    if (out / "manifest.json").exists():
        raise BadInput(f"{out} already holds a corpus (manifest.json); choose a new folder")
    try:
        manifest = write_corpus(
            out,
            songs=args.songs,
            seed=args.seed,
            workers=max(1, args.workers),
            test_fraction=args.test_fraction,
            seconds_range=(low, high),
            stems=args.stems,
            progress=progress,
        )
    except PermissionError as err:
        raise BadInput(f"cannot write to {out}: {err.strerror}") from err
    print(f"wrote {args.songs} clips to {out}")
    args.done_path = manifest
    return 0
