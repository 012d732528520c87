"""`musicface animate SONG -o scene.blend`: a singing head in a .blend, headless."""

from __future__ import annotations

import argparse
from pathlib import Path

from core.errors import BadInput
from core.progress import ProgressFn

NAME = "animate"
HELP = "animate a head in a .blend from a song (keyframes, sound, optional preview video)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("song", type=Path, help="audio file (wav, flac, mp3, m4a, ogg, …)")
    parser.add_argument("-o", "--out", type=Path, required=True, help="output .blend")
    parser.add_argument(
        "--target",
        default="template",
        help="'template' (the MusicFace head) or FILE.blend:OBJECT (default: template)",
    )
    parser.add_argument("--preview", type=Path, help="also render a preview video (.mp4)")
    parser.add_argument(
        "--preview-engine",
        choices=("cycles", "workbench", "eevee"),
        default="cycles",
        help="renderer of the preview (cycles runs anywhere; the others need OpenGL)",
    )
    parser.add_argument("--fps", type=float, help="scene frame rate (default: the target's)")
    parser.add_argument(
        "--simplify", type=float, default=0.0, help="keep only keys within this max error"
    )
    parser.add_argument("--separator", choices=("auto", "spleeter", "dsp", "none"), default="auto")
    parser.add_argument("--vocals", type=Path, help="your own vocal stem (skips separation)")
    parser.add_argument("--accompaniment", type=Path, help="your own accompaniment stem")
    parser.add_argument("--checkpoint", type=Path, help="generator checkpoint (default: shipped)")
    parser.add_argument("--subject", type=int, default=0, help="singer style index")
    parser.add_argument("--seed", type=int, default=0, help="take seed")


def run(args: argparse.Namespace, progress: ProgressFn) -> int:
    out: Path = args.out
    if out.suffix != ".blend":
        raise BadInput(f"the output must be a .blend file, got {out.name}")
    if not out.resolve().parent.is_dir():
        raise BadInput(f"output folder does not exist: {out.parent}")
    if args.preview is not None and args.preview.suffix != ".mp4":
        raise BadInput(f"the preview must be an .mp4 file, got {args.preview.name}")
    if args.fps is not None and not args.fps > 0:
        raise BadInput(f"--fps must be positive, got {args.fps}")
    if not 0 <= args.simplify < 1:
        raise BadInput(f"--simplify must be in [0, 1), got {args.simplify}")
    from core.blend_animate import animate_song

    animate_song(
        args.song,
        out,
        target=args.target,
        preview=args.preview,
        preview_engine=args.preview_engine,
        fps=args.fps,
        max_error=args.simplify,
        generate_options={
            "checkpoint": args.checkpoint,
            "separator": args.separator,
            "subject": args.subject,
            "seed": args.seed,
            "vocals": args.vocals,
            "accompaniment": args.accompaniment,
        },
        progress=progress,
    )
    args.done_path = out
    return 0
