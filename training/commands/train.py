"""`musicface-train train --data DIR[:WEIGHT]… --out CKPT`: train a generator (one of the
four variants) on one dataset folder or several, each drawn by its weight.

Multi-GPU: `torchrun --nproc_per_node=N -m training.cli train --data DIR --out CKPT`
runs the same loop under DistributedDataParallel (rank 0 writes the files).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from core.device import DEVICE_HELP
from core.errors import BadInput
from core.model.config import VARIANTS
from core.progress import ProgressFn

NAME = "train"
HELP = "train a MusicFace generator on one or several dataset folders (manifest.json + clips/)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.epilog = (
        "Several GPUs: torchrun --nproc_per_node=N -m training.cli train --data DIR --out CKPT "
        "(DistributedDataParallel; rank 0 writes the files). Files beside CKPT: "
        "CKPT.state.pt (resume), CKPT.log.jsonl (losses per epoch), CKPT.loss.png."
    )
    parser.add_argument(
        "--data",
        action="append",
        required=True,
        metavar="DIR[:WEIGHT]",
        help="dataset folder; repeat to train on several (their subjects are concatenated, "
        "in this order), each with an optional sampling weight, e.g. --data corpus "
        "--data real_set:0.5 (a crop comes from a dataset with probability weight / sum of "
        "weights; default weight 1)",
    )
    parser.add_argument("--out", type=Path, required=True, help="checkpoint to write (.pt)")
    parser.add_argument(
        "--variant", choices=VARIANTS, default="full", help="ablation (default full)"
    )
    parser.add_argument("--epochs", type=int, default=50, help="epochs (default 50)")
    parser.add_argument("--batch-size", type=int, default=16, help="crops per step (default 16)")
    parser.add_argument(
        "--steps-per-epoch",
        type=int,
        help="steps per epoch (default: one pass over the training frames, at least 25)",
    )
    parser.add_argument("--window", type=int, default=128, help="frames per crop (default 128)")
    parser.add_argument("--lr", type=float, default=1e-4, help="Adam learning rate (default 1e-4)")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    parser.add_argument("--device", default="auto", help=DEVICE_HELP)
    parser.add_argument(
        "--resume", action="store_true", help="continue from <out>.state.pt if it exists"
    )
    parser.add_argument(
        "--no-adversarial", action="store_true", help="train on L_reg only (no discriminator)"
    )
    parser.add_argument(
        "--init",
        type=Path,
        metavar="CKPT",
        help="start from this checkpoint's weights and input normalisation (same variant "
        "and subjects)",
    )
    parser.add_argument(
        "--only",
        choices=("expression", "pose", "eye"),
        help="with --init: train this task's path (its ATM and head) afresh and keep every "
        "other weight as CKPT has it, e.g. a new pose head on a model's lips and eyes",
    )
    parser.add_argument(
        "--pose-audio-swap",
        type=_share,
        default=0.0,
        metavar="SHARE",
        help="the share of crops whose pose head hears another crop's audio while keeping "
        "its own beat phase (default 0): the head learns to keep the beat from the phase "
        "alone where a song sounds unlike the training data",
    )


def _share(text: str) -> float:
    value = float(text)
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError("must be between 0 and 1")
    return value


def _echo(line: str) -> None:
    from tqdm import tqdm

    tqdm.write(line, file=sys.stderr)  # keeps an active progress bar intact


def run(args: argparse.Namespace, progress: ProgressFn) -> int:
    from training.dataset import parse_source
    from training.train import TrainOptions, train

    if args.out.suffix != ".pt":
        raise BadInput(f"--out must be a .pt file, got {args.out.name}")
    if args.steps_per_epoch is not None and args.steps_per_epoch < 1:
        raise BadInput("--steps-per-epoch must be positive")
    if args.lr <= 0:
        raise BadInput("--lr must be positive")
    if args.only is not None and args.init is None:
        raise BadInput("--only needs --init CKPT: the checkpoint whose other weights it keeps")
    if args.init is not None and not args.init.is_file():
        raise BadInput(f"--init checkpoint not found: {args.init}")
    result = train(
        TrainOptions(
            data=[parse_source(text) for text in args.data],
            out=args.out,
            variant=args.variant,
            epochs=args.epochs,
            batch_size=args.batch_size,
            steps_per_epoch=args.steps_per_epoch,
            window=args.window,
            lr=args.lr,
            seed=args.seed,
            device=args.device,
            resume=args.resume,
            adversarial=not args.no_adversarial,
            init=args.init,
            only=args.only,
            pose_audio_swap=args.pose_audio_swap,
        ),
        progress=progress,
        echo=_echo,
    )
    if os.environ.get("RANK", "0") == "0":  # under torchrun, rank 0 wrote the files
        _echo(f"wrote {result.checkpoint} (log {result.log.name}, curves {result.plot})")
    args.done_path = result.checkpoint
    return 0
