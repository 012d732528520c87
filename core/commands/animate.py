"""`musicface animate SONG -o scene.blend`: a singing head in a .blend, headless."""

from __future__ import annotations

import argparse
from pathlib import Path

from core.commands.song_arguments import add_model_arguments, add_song_arguments
from core.errors import BadInput
from core.progress import ProgressFn

NAME = "animate"
HELP = "animate a head in a .blend from a song (keyframes, sound, optional preview video)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_song_arguments(parser, "output .blend")
    add_model_arguments(parser)
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
