"""`musicface build-template [--out FILE.blend] [--preview out.png]`: the Blender head."""

from __future__ import annotations

import argparse
from pathlib import Path

from core.errors import BadInput, MissingModel
from core.face.template import TEMPLATE_PATH
from core.progress import ProgressFn, scaled

NAME = "build-template"
HELP = "build the Blender head template (.blend with the 52 ARKit shape keys) from Anny"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--out",
        "-o",
        type=Path,
        default=TEMPLATE_PATH,
        help=f"output .blend (default: {TEMPLATE_PATH.relative_to(TEMPLATE_PATH.parents[1])})",
    )
    parser.add_argument(
        "--preview",
        type=Path,
        help="also render neutral, jawOpen, mouthSmile, eyeBlink and a turned head to this PNG",
    )
    parser.add_argument(
        "--preview-size", type=int, default=256, help="pixels per preview tile (default 256)"
    )
    parser.add_argument(
        "--rebuild-face",
        action="store_true",
        help="rebuild the cached face arrays from Anny instead of reading the cache",
    )


def run(args: argparse.Namespace, progress: ProgressFn) -> int:
    out: Path = args.out
    if out.suffix != ".blend":
        raise BadInput(f"--out must end in .blend: {out}")
    if args.preview is not None and args.preview.suffix.lower() != ".png":
        raise BadInput(f"--preview must end in .png: {args.preview}")
    if args.preview_size < 16:
        raise BadInput("--preview-size must be at least 16 pixels")
    try:
        from core import blend_template
    except ImportError as exc:
        raise MissingModel(f"building the template needs the bpy module ({exc})") from exc
    from core.face.model import FaceModel

    progress("face", 0.0)
    face = FaceModel.load(rebuild=args.rebuild_face)
    end = 0.5 if args.preview is not None else 1.0
    blend_template.build_template(face, out, progress=scaled(progress, 0.05, end))
    if args.preview is not None:
        blend_template.render_preview(
            out, args.preview, size=args.preview_size, progress=scaled(progress, 0.5, 1.0)
        )
    args.done_path = out
    return 0
