"""`musicface animate SONG -o scene.blend`: a singing head in a .blend, headless.

Data flows one way, as in Blender: the engine turns the song into a Performance
here, then the Blender side writes it as keyframes in its own process (its
headless batch job, the code path of the add-on's operator) and, when asked,
renders a preview (also its own process: Workbench/EEVEE may abort a process that
has no OpenGL). The engine never imports the Blender side: that side declares its
headless programs as `musicface.headless` entry points (pyproject.toml), and they
run in this interpreter, which has the bpy module.
"""

from __future__ import annotations

import argparse
import importlib.util
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from importlib.metadata import entry_points
from pathlib import Path
from typing import TYPE_CHECKING

from core.commands.song_arguments import (
    add_device_argument,
    add_model_arguments,
    add_song_arguments,
    generate_from_arguments,
)
from core.errors import BadInput, MissingModel, MusicFaceError
from core.face.template import HEAD_OBJECT, TEMPLATE_PATH
from core.progress import ProgressFn, scaled

if TYPE_CHECKING:
    from core.performance import Performance

NAME = "animate"
HELP = "animate a head in a .blend from a song (keyframes, sound, optional preview video)"
HEADLESS = "musicface.headless"  # entry-point group: "keyframes" and "preview" programs
_ERRORS = {error.exit_code: error for error in (BadInput, MissingModel)}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_song_arguments(parser, "output .blend")
    add_model_arguments(parser)
    add_device_argument(parser)
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
    parser.add_argument(
        "--photoreal",
        type=Path,
        help="also render the photoreal pass of the take (.mp4, labelled AI-generated)",
    )
    parser.add_argument(
        "--renderer", type=Path, help="renderer for --photoreal (default: the bundled one)"
    )
    parser.add_argument("--fps", type=float, help="scene frame rate (default: the target's)")
    parser.add_argument(
        "--simplify", type=float, default=0.0, help="keep only keys within this max error"
    )


@dataclass(frozen=True)
class Target:
    blend: Path
    object_name: str

    @classmethod
    def parse(cls, text: str) -> Target:
        """'template' or 'FILE.blend:OBJECT'."""
        if text == "template":
            if not TEMPLATE_PATH.is_file():
                raise MissingModel(
                    f"head template missing ({TEMPLATE_PATH}); run `musicface build-template`"
                )
            return cls(TEMPLATE_PATH, HEAD_OBJECT)
        blend, sep, name = text.rpartition(":")
        if not sep or not blend.endswith(".blend") or not name:
            raise BadInput(f"--target must be 'template' or FILE.blend:OBJECT, got {text!r}")
        if not Path(blend).is_file():
            raise BadInput(f"blend file not found: {blend}")
        return cls(Path(blend), name)


def run(args: argparse.Namespace, progress: ProgressFn) -> int:
    out: Path = args.out
    if out.suffix != ".blend":
        raise BadInput(f"the output must be a .blend file, got {out.name}")
    if not out.resolve().parent.is_dir():
        raise BadInput(f"output folder does not exist: {out.parent}")
    if args.preview is not None and args.preview.suffix != ".mp4":
        raise BadInput(f"the preview must be an .mp4 file, got {args.preview.name}")
    if args.photoreal is not None:
        from core.photoreal.render_video import check_video_output

        check_video_output(args.photoreal)
    if args.fps is not None and not args.fps > 0:
        raise BadInput(f"--fps must be positive, got {args.fps}")
    if not 0 <= args.simplify < 1:
        raise BadInput(f"--simplify must be in [0, 1), got {args.simplify}")
    target = Target.parse(args.target)
    if importlib.util.find_spec("bpy") is None:
        raise MissingModel("musicface animate needs the bpy module in the engine's Python")
    performance = generate_from_arguments(args, scaled(progress, 0.0, 0.8))
    progress("keyframes", 0.8)
    with tempfile.TemporaryDirectory(prefix="musicface-animate-") as work:
        saved = performance.save(Path(work) / "performance.npz")
        keyframes = ["--", "--blend", str(target.blend.resolve()), "--target", target.object_name,
                     "--song", str(args.song.resolve()), "--seed", str(args.seed),
                     "--performance", str(saved), "--out", str(out.resolve())]  # fmt: skip
        if args.fps is not None:
            keyframes += ["--fps", repr(args.fps)]
        if args.simplify:
            keyframes += ["--simplify", repr(args.simplify)]
        summary = run_headless("keyframes", keyframes, "writing the keyframes failed", args.debug)
    for line in summary:
        print(line, file=sys.stderr)  # the take's summary and warnings (no sound strip…)
    progress("keyframes", 0.9)
    if args.preview is not None:
        preview = [str(out.resolve()), str(args.preview.resolve()), "--head", target.object_name,
                   "--engine", args.preview_engine]  # fmt: skip
        failure = f"preview render failed ({args.preview_engine})"
        run_headless("preview", preview, failure, args.debug)
        progress("preview", 1.0)
    if args.photoreal is not None:
        render_photoreal(performance, args, scaled(progress, 0.9, 1.0))
    args.done_path = out
    return 0


def render_photoreal(
    performance: Performance, args: argparse.Namespace, progress: ProgressFn
) -> None:
    """The take as photoreal video: the same curves the keyframes hold, at 30 fps."""
    from core.device import resolve_device
    from core.photoreal.render_video import render_video
    from core.photoreal.renderer_file import load_renderer

    device = resolve_device(args.device)
    summary = render_video(
        performance,
        load_renderer(args.renderer, device),
        args.photoreal,
        song=args.song,
        device=device,
        progress=progress,
    )
    print(
        f"wrote {summary.path} ({summary.frames} frames, photoreal, AI-generated)", file=sys.stderr
    )


def headless_module(name: str) -> str:
    """The Blender side's module for a headless program, from its entry point."""
    found = entry_points(group=HEADLESS, name=name)
    if not found:
        raise MissingModel(
            f"the Blender side is not installed beside the engine (no {HEADLESS} entry point "
            f"{name!r}); install the repository with `pip install -e .`"
        )
    return next(iter(found)).module


def run_headless(name: str, argv: list[str], failure: str, debug: bool = False) -> list[str]:
    """Run a headless program of the Blender side with this interpreter; its stderr lines.

    Its one-line error and exit code become the same error here (BadInput for 2, …);
    a crash (no error line: Blender aborted) is `failure` and its last words. With
    `debug`, the program shows its tracebacks and all it said is passed on."""
    command = [sys.executable, "-m", headless_module(name), *argv, *(["--debug"] if debug else [])]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    lines = done.stderr.strip().splitlines()
    if done.returncode == 0:
        return lines
    if debug:
        print(done.stderr, file=sys.stderr)
    prefix = "musicface: error: "
    errors = [line.removeprefix(prefix) for line in lines if line.startswith(prefix)]
    if errors:
        raise _ERRORS.get(done.returncode, MusicFaceError)(errors[-1])
    last = lines[-1] if lines else f"exit code {done.returncode}"
    raise MusicFaceError(f"{failure}: {last}")
