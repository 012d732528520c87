"""`musicface-train prepare VIDEOS… --out DATASET`: singing videos → a training dataset."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from core.errors import BadInput, MissingModel
from core.progress import ProgressFn
from core.separation.names import SEPARATORS

NAME = "prepare"
HELP = (
    "turn singing videos (face on camera, the song as their sound) into a training dataset "
    "(DESIGN.md format): captured expression, head pose and eyes, separated-audio MFCCs"
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.epilog = (
        "Videos that cannot be used (no sound, too little face, not a video, too short) are "
        "skipped with their reason, which the manifest lists under 'skipped'. An existing "
        "non-empty --out is never touched, except a dataset prepare wrote when --force is given."
    )
    parser.add_argument(
        "videos", type=Path, nargs="+", metavar="VIDEO", help="video files, or folders of them"
    )
    parser.add_argument("--out", type=Path, required=True, help="dataset folder (created)")
    parser.add_argument(
        "--separator",
        choices=SEPARATORS,
        default="auto",
        help="where the vocal/accompaniment features come from, as at inference (auto: "
        "spleeter when its model is installed, else dsp; none: the mixture for both)",
    )
    subjects = parser.add_mutually_exclusive_group()
    subjects.add_argument(
        "--subject-per-folder",
        action="store_true",
        help="one subject per parent folder name (default: one subject for all videos)",
    )
    subjects.add_argument(
        "--subject", help="name of the one subject (default: the --out folder's name)"
    )
    parser.add_argument(
        "--test-share",
        type=float,
        default=0.1,
        help="share of clips held out for testing, drawn by --seed (default 0.1; at least "
        "one clip when there are two or more, unless 0)",
    )
    parser.add_argument("--seed", type=int, default=0, help="seed of the test draw (default 0)")
    parser.add_argument(
        "--clip-seconds",
        type=float,
        default=20.0,
        help="longer videos are cut into equal clips of at most this length (default 20)",
    )
    parser.add_argument(
        "--force", action="store_true", help="replace a dataset that prepare wrote in --out"
    )


def _echo(line: str) -> None:
    from tqdm import tqdm

    tqdm.write(line, file=sys.stderr)  # keeps an active progress bar intact


def _separator(choice: str) -> str:
    from training.synth.separator import default_separator

    if choice == "auto":
        separator, why = default_separator()
        _echo(f"separator: {separator} (auto: {why})")
        return separator
    if choice == "spleeter":
        from core.separation import spleeter_backend

        usable, why = spleeter_backend.availability()
        if not usable:
            raise MissingModel(f"--separator spleeter: {why}")
    _echo(f"separator: {choice}")
    return choice


def run(args: argparse.Namespace, progress: ProgressFn) -> int:
    from core.capture.model_file import face_landmarker_path
    from training.prepare import PrepareOptions, check_out, prepare

    if not 0.0 <= args.test_share < 1.0:
        raise BadInput("--test-share must be in [0, 1)")
    if args.seed < 0:
        raise BadInput("--seed must be 0 or more")
    if not args.clip_seconds >= 2.0:
        raise BadInput("--clip-seconds must be at least 2")
    if args.subject is not None and not args.subject.strip():
        raise BadInput("--subject must not be empty")
    check_out(args.out, args.force)  # before any work
    face_landmarker_path()  # MissingModel (exit 3) before any work, not a skip per video
    started = time.monotonic()
    try:
        result = prepare(
            PrepareOptions(
                videos=args.videos,
                out=args.out,
                separator=_separator(args.separator),
                subject=args.subject,
                subject_per_folder=args.subject_per_folder,
                test_share=args.test_share,
                seed=args.seed,
                clip_seconds=args.clip_seconds,
                force=args.force,
            ),
            progress=progress,
            echo=_echo,
        )
    except PermissionError as err:
        raise BadInput(f"cannot write to {args.out}: {err.strerror}") from err
    skipped = f", skipped {len(result.skipped)}" if result.skipped else ""
    _echo(
        f"wrote {result.clips} clips ({result.seconds:.1f} s) to {args.out}{skipped} "
        f"in {time.monotonic() - started:.0f} s"
    )
    args.done_path = result.manifest
    return 0
