"""`musicface-train remouth --data CORPUS --out NEW`: a synthetic corpus with today's mouth."""

from __future__ import annotations

import argparse
from pathlib import Path

from core.progress import ProgressFn

NAME = "remouth"
HELP = (
    "make a synthetic corpus's mouth truth again from its stored phones with today's "
    "performer (training/synth/visemes.py); the audio is linked, nothing is sung again"
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data", type=Path, required=True, help="a corpus `synth` wrote")
    parser.add_argument("--out", type=Path, required=True, help="the new corpus (new or empty)")


def run(args: argparse.Namespace, progress: ProgressFn) -> int:
    from training.synth.remouth import remouth_corpus

    manifest = remouth_corpus(args.data, args.out, progress)
    print(f"wrote {manifest.parent}: {args.data.name}'s songs with today's mouth")
    args.done_path = manifest
    return 0
