"""`musicface-train synth --out DIR --songs N --seed S`: write a synthetic singing corpus."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from core.errors import BadInput, MissingModel
from core.progress import ProgressFn

NAME = "synth"
# training.synth.separator.SEPARATORS; spelled out so --help does not import the synthesiser.
SEPARATORS = ("spleeter", "dsp", "none", "clean")
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
        "--separator",
        choices=("auto", *SEPARATORS),
        default="auto",
        help="where the vocal/accompaniment features come from: a separator run on the "
        "mixture, as at inference (auto: spleeter when its model is installed, else dsp), "
        "or the true stems (clean)",
    )
    parser.add_argument(
        "--stems",
        choices=("dsp", "clean"),
        default=None,
        help="older spelling of --separator dsp / --separator clean",
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
    from training.synth.separator import default_separator

    if args.songs < 1:
        raise BadInput("--songs must be at least 1")
    if args.seed < 0:
        raise BadInput("--seed must be 0 or more")
    if not 0.0 <= args.test_fraction < 1.0:
        raise BadInput("--test-fraction must be in [0, 1)")
    low, high = args.seconds
    if not 4.0 <= low <= high <= 600.0:
        raise BadInput("--seconds needs 4 <= MIN <= MAX <= 600")
    separator = args.separator
    if args.stems is not None:
        if separator not in ("auto", args.stems):
            raise BadInput(f"--stems {args.stems} and --separator {separator} disagree; drop one")
        separator = args.stems
    if separator == "auto":
        separator, why = default_separator()
        print(f"separator: {separator} (auto: {why})", file=sys.stderr)
    else:
        print(f"separator: {separator}", file=sys.stderr)
    if separator == "spleeter":
        from core.separation import spleeter_backend

        usable, why = spleeter_backend.availability()
        if not usable:
            raise MissingModel(f"--separator spleeter: {why}")
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
            stems=separator,
            progress=progress,
        )
    except PermissionError as err:
        raise BadInput(f"cannot write to {out}: {err.strerror}") from err
    print(f"wrote {args.songs} clips to {out}")
    args.done_path = manifest
    return 0
