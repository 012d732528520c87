"""`musicface-train voice-detector --data DIR --out FILE`: fit the mouth gate's voice detector."""

from __future__ import annotations

import argparse
from pathlib import Path

from core.errors import BadInput
from core.progress import ProgressFn

NAME = "voice-detector"
HELP = (
    "fit the voice detector of the mouth gate (core/voice_detector.py) on a corpus's "
    "training clips: does the lead sing, or is it the band, a backing voice, a choir?"
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.epilog = (
        "The corpus's clips must say when the voice sings (voice_activity, as musicface-train "
        "synth writes). The engine reads core/assets/voice_detector.npz; pass --out there to "
        "replace the shipped one (with --force)."
    )
    parser.add_argument("--data", type=Path, required=True, help="corpus folder (manifest.json)")
    parser.add_argument("--out", type=Path, required=True, help="detector file to write (.npz)")
    parser.add_argument("--split", default="train", help="the clips to fit on (default: train)")
    parser.add_argument("--force", action="store_true", help="replace an existing --out")


def run(args: argparse.Namespace, progress: ProgressFn) -> int:
    from training.voice_detector import fit_voice_detector

    if args.out.suffix != ".npz":
        raise BadInput(f"--out must be a .npz file, got {args.out.name}")
    if args.out.exists() and not args.force:
        raise BadInput(f"{args.out} exists: choose another --out, or pass --force to replace it")
    detector = fit_voice_detector(args.data, args.split, progress=progress)
    detector.save(args.out)
    meta = detector.meta
    print(
        f"wrote {args.out} ({detector.inputs}): {meta['clips']} clips, {meta['sung_frames']} "
        f"frames where the lead sings and {meta['lead_away_frames']} where it is away, AUC on "
        f"them {meta['train_auc']:.3f}"
    )
    args.done_path = args.out
    return 0
