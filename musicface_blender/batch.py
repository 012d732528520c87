"""Headless MusicFace: animate a head in a .blend from a song or a face on video, save it.

    blender -b scene.blend -P musicface_blender/batch.py -- --song a.mp3 \\
        [--target Head] [--out out.blend] [--render out.mp4] [--photoreal out.mp4]
    blender -b scene.blend -P musicface_blender/batch.py -- --video face.mp4 \\
        [--calibration template|raw|FILE.json] [--no-smoothing] [--neutral own|none]
        [--max-side 512] …

The same script runs in a plain Python with the `bpy` module (there is no Blender
binary on build machines): `python musicface_blender/batch.py -- --blend scene.blend
--song a.mp3 …`. Exit codes are the engine's: 0 ok, 2 bad input, 3 missing model
or engine (or head template), 1 anything else; every error is one line on stderr
(a traceback only with --debug).
"""

from __future__ import annotations

import argparse
import atexit
import importlib
import shutil
import sys
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

import bpy


def _addon() -> str:
    """The add-on's package name, importing it when this file runs as a script."""
    if __package__:
        return __package__
    here = Path(__file__).resolve().parent
    if str(here.parent) not in sys.path:
        sys.path.insert(0, str(here.parent))
    return here.name


def _module(name: str) -> ModuleType:
    return importlib.import_module(f"{_addon()}.{name}")


def build_parser() -> argparse.ArgumentParser:
    link = _module("core_link")
    parser = argparse.ArgumentParser(prog="batch.py", description=__doc__.splitlines()[0])
    parser.add_argument("--song", type=Path, help="the song (its audio goes into the scene too)")
    parser.add_argument(
        "--video",
        type=Path,
        help="capture the take from a face on this video instead (its sound is the strip)",
    )
    parser.add_argument(
        "--calibration", help="for --video: template (default), raw, or a calibration .json"
    )
    parser.add_argument(
        "--no-smoothing", action="store_true", help="for --video: keep the tracker's jitter"
    )
    parser.add_argument(
        "--neutral",
        choices=("own", "none"),
        help="for --video: own (the performer's face at rest is the head's rest) or none",
    )
    parser.add_argument(
        "--max-side", type=int, help="for --video: track at most this many px on the long side"
    )
    parser.add_argument("--blend", type=Path, help="open this .blend first (bpy module only)")
    parser.add_argument(
        "--target",
        help="head mesh name, or 'template' to add the MusicFace head "
        "(default: the active mesh, else MusicFace_Head)",
    )
    parser.add_argument("--out", type=Path, help="where to save the .blend (default: beside it)")
    parser.add_argument("--render", type=Path, help="also render a preview video (.mp4)")
    parser.add_argument(
        "--render-engine", choices=sorted(_module("render").ENGINES), default="cycles"
    )
    parser.add_argument("--render-size", type=int, default=256)
    parser.add_argument("--render-samples", type=int, default=8)
    parser.add_argument(
        "--photoreal",
        type=Path,
        help="also render the take (sampled back from the saved scene) with the engine's "
        "neural renderer into this .mp4, with the song",
    )
    parser.add_argument(
        "--renderer", type=Path, help="renderer for --photoreal (default: the bundled one)"
    )
    parser.add_argument(
        "--photoreal-size",
        type=int,
        choices=_module("engine").RENDER_SIZES,
        default=_module("engine").RENDER_SIZES[0],
    )
    parser.add_argument("--performance", type=Path, help="use this Performance file (no engine)")
    parser.add_argument("--vocals", type=Path)
    parser.add_argument("--accompaniment", type=Path)
    parser.add_argument("--separator", choices=link.SEPARATORS)
    parser.add_argument("--checkpoint", type=Path)
    parser.add_argument("--subject", type=int)
    parser.add_argument("--seed", type=int)
    parser.add_argument(
        "--no-mouth-gate",
        action="store_true",
        default=None,  # None when not given, as the other song-only options
        help="for --song: the model's mouth also where the separated vocals are quiet",
    )
    parser.add_argument(
        "--lyrics",
        type=Path,
        help="for --song: the lyrics (.txt or .lrc): mouth shapes, word markers",
    )
    parser.add_argument("--lyrics-strength", type=float, help="0..1 (default 0.5)")
    parser.add_argument("--language", help="language of the lyrics (default auto)")
    parser.add_argument("--fps", type=float, help="set the scene's frame rate first")
    parser.add_argument("--simplify", type=float, help="keep keys within this max error")
    parser.add_argument("--pose", help="head pose target: OBJECT, ARMATURE:BONE or 'none'")
    parser.add_argument("--engine-python", help="the engine's Python (default: found)")
    parser.add_argument("--debug", action="store_true", help="show tracebacks")
    return parser


def check_arguments(args: argparse.Namespace) -> None:
    """Refuse what Blender would silently clamp or fail on later, before anything runs."""
    bad_input = _module("core_link").BadInput
    check_source(args)
    if args.fps is not None and not args.fps > 0:
        raise bad_input(f"--fps must be positive, got {args.fps}")
    if args.simplify is not None and not 0 <= args.simplify < 1:
        raise bad_input(f"--simplify must be in [0, 1), got {args.simplify}")
    for name in ("seed", "subject"):
        if (getattr(args, name) or 0) < 0:
            raise bad_input(f"--{name} must be 0 or more, got {getattr(args, name)}")
    if args.render_size < 1 or args.render_samples < 1:
        raise bad_input("--render-size and --render-samples must be 1 or more")
    if args.photoreal is not None:
        if args.photoreal.suffix.lower() != ".mp4":
            raise bad_input(f"--photoreal must be an .mp4 file, got {args.photoreal}")
        if not args.photoreal.resolve().parent.is_dir():
            raise bad_input(f"--photoreal: no folder {args.photoreal.resolve().parent}")
    if args.renderer is not None and not args.renderer.is_file():
        raise bad_input(f"--renderer not found: {args.renderer}")
    if args.lyrics is not None and not args.lyrics.is_file():
        raise bad_input(f"--lyrics not found: {args.lyrics}")
    if args.lyrics_strength is not None and not 0 <= args.lyrics_strength <= 1:
        raise bad_input(f"--lyrics-strength must be between 0 and 1, got {args.lyrics_strength}")


# What only a song's take reads; with --video it would be silently ignored.
_SONG_ONLY = (
    "vocals", "accompaniment", "separator", "checkpoint", "subject", "seed", "no_mouth_gate",
    "lyrics", "lyrics_strength", "language",
)  # fmt: skip


def check_source(args: argparse.Namespace) -> None:
    """One source of the take: a song (or its Performance), or a video with its options."""
    bad_input = _module("core_link").BadInput
    if args.video is None:
        options = (args.calibration, args.neutral, args.max_side)
        if args.no_smoothing or any(option is not None for option in options):
            raise bad_input(
                "--calibration, --no-smoothing, --neutral and --max-side go with --video"
            )
        if args.song is None and args.performance is None:
            raise bad_input("give --song (or --performance), or --video")
        return
    if args.song is not None or args.performance is not None:
        raise bad_input("--video captures the take: give it without --song or --performance")
    song_only = [
        "--" + name.replace("_", "-") for name in _SONG_ONLY if getattr(args, name) is not None
    ]
    if song_only:
        raise bad_input(f"{', '.join(song_only)}: for a take from --song, not --video")
    low, high = _module("engine").CAPTURE_MAX_SIDE_RANGE
    if args.max_side is not None and not low <= args.max_side <= high:
        raise bad_input(f"--max-side must be {low}–{high}, got {args.max_side}")


def output_path(out: Path | None) -> Path:
    bad_input = _module("core_link").BadInput
    if out is None:
        if not bpy.data.filepath:
            raise bad_input("give --out: the scene has no file to save beside")
        opened = Path(bpy.data.filepath)
        out = opened.with_name(opened.stem + "_musicface.blend")
    if out.suffix != ".blend" or not out.resolve().parent.is_dir():
        raise bad_input(f"--out must be a .blend in an existing folder, got {out}")
    return out


def find_head(target: str | None) -> bpy.types.Object:
    """The mesh to animate, following --target."""
    bad_input = _module("core_link").BadInput
    if target == "template":
        return _module("template").append_template(bpy.context)
    if target:
        obj = bpy.data.objects.get(target)
        if obj is None or obj.type != "MESH":
            raise bad_input(f"no mesh named {target!r} in the scene")
        return obj
    active = bpy.context.view_layer.objects.active
    if active is not None and active.type == "MESH" and active.data.shape_keys is not None:
        return active
    found = bpy.data.objects.get(_module("core_link").HEAD_OBJECT)
    if found is None:
        raise bad_input("no head to animate: pass --target NAME or --target template")
    return found


def configure(args: argparse.Namespace, head: bpy.types.Object) -> None:
    """Carry the command-line options into the scene settings the operator reads."""
    scene = bpy.context.scene
    settings = scene.musicface
    settings.target = head
    if args.fps is not None:
        _module("scene_setup").set_scene_fps(scene, args.fps)
    for name in ("separator", "subject", "seed"):
        if getattr(args, name) is not None:
            setattr(settings, name, getattr(args, name))
    for name in ("song", "vocals", "accompaniment", "checkpoint", "video", "lyrics"):
        if getattr(args, name) is not None:
            setattr(settings, name, str(Path(getattr(args, name)).resolve()))
    if args.no_mouth_gate:
        settings.mouth_gate = False
    if args.lyrics_strength is not None:
        settings.lyrics_strength = args.lyrics_strength
    if args.language is not None:
        settings.lyrics_language = args.language
    configure_capture(args, settings)
    if args.simplify:
        settings.keyframes, settings.max_error = "SIMPLIFIED", args.simplify
    if args.renderer is not None:
        settings.photoreal_renderer = str(args.renderer.resolve())
    settings.photoreal_size = str(args.photoreal_size)
    if args.pose:
        if args.pose == "none":
            settings.pose_mode = "NONE"
        else:
            name, _, bone = args.pose.partition(":")
            settings.pose_object = bpy.data.objects.get(name)
            if settings.pose_object is None:
                raise _module("core_link").BadInput(f"--pose: no object named {name!r}")
            settings.pose_mode, settings.pose_bone = ("BONE", bone) if bone else ("OBJECT", "")


def configure_capture(args: argparse.Namespace, settings) -> None:
    """--calibration, --no-smoothing and --max-side as the panel's capture settings (which
    `gather_capture` checks, a calibration file included, as for a click). What is not
    given stays as the .blend has it, as for the other options."""
    if args.calibration in _module("engine").CAPTURE_CALIBRATIONS:
        settings.capture_calibration = args.calibration
    elif args.calibration is not None:
        settings.capture_calibration = "file"
        settings.capture_calibration_file = str(Path(args.calibration).resolve())
    if args.no_smoothing:
        settings.capture_smoothing = False
    if args.max_side is not None:
        settings.capture_max_side = args.max_side
    if args.neutral is not None:
        settings.capture_own_neutral = args.neutral == "own"


def ensure_registered() -> None:
    """Register the add-on's classes unless Blender already enabled it."""
    if hasattr(bpy.types.Scene, "musicface"):
        return
    addon = importlib.import_module(_addon())
    addon.register()
    # With the bpy module (4.5), a process that exits with Python classes still
    # registered hangs in Blender's shutdown: unregister on the way out.
    atexit.register(addon.unregister)


def write_take(args: argparse.Namespace):
    """The take from --performance, from the engine run on the song, or captured from --video
    (each landed by the function its operator lands it with)."""
    take_inputs = _module("take_inputs")
    context = bpy.context
    if args.video is not None:
        capture = _module("ops_capture")
        return run_engine(args, take_inputs.gather_capture(context), capture.finish_capture)
    generate = _module("ops_generate")
    inputs = take_inputs.gather(context, str(args.performance or ""))
    if args.performance is not None:
        return generate.finish_take(context, inputs, args.performance.resolve())
    return run_engine(args, inputs, generate.finish_take)


def run_engine(args: argparse.Namespace, inputs, finish: Callable):
    """The engine run `inputs` asks for, blocking with its progress on stderr; then
    `finish(context, inputs, performance_file)` lands what it wrote."""
    context = bpy.context
    job = _module("ops_engine").start_engine(context, inputs, args.engine_python or "")
    try:
        job.wait(_print_progress)
        if not job.succeeded:
            raise _module("take_inputs").UserError(f"engine: {job.error}", job.kind)
        return finish(context, inputs, job.output)
    finally:
        job.cleanup()


def render_photoreal(args: argparse.Namespace) -> Path:
    """The take as the saved scene plays it → the engine's `render` → args.photoreal."""
    context = bpy.context
    request = _module("ops_photoreal").photoreal_request(context)
    job = _module("ops_engine").start_request(context, request, args.engine_python or "")
    try:
        job.wait(_print_progress)
        if not job.succeeded:
            raise _module("take_inputs").UserError(f"engine: {job.error}", job.kind)
        out = args.photoreal.resolve()
        shutil.move(str(job.output), out)  # the file the user named, replaced if there
        return out
    finally:
        job.cleanup()


def save(out: Path) -> None:
    try:
        bpy.ops.wm.save_as_mainfile(filepath=str(out.resolve()))
    except RuntimeError as err:
        message = _module("headless").blender_error(err)
        raise _module("core_link").BadInput(f"cannot save {out}: {message}") from err


def run(args: argparse.Namespace) -> int:
    """The job. Anything the user can fix raises the engine's errors (one line, exit code)."""
    check_arguments(args)
    if args.blend is not None:
        _module("headless").open_blend(args.blend)
    ensure_registered()
    out = output_path(args.out)
    head = find_head(args.target)
    configure(args, head)
    result = write_take(args)
    for line in _module("ops_engine").summary(result)[1:]:
        print(line, file=sys.stderr)
    save(out)
    print(f"saved {out}", file=sys.stderr)
    if args.render is not None:
        video = _module("render").render_video(
            bpy.context.scene,
            head,
            args.render,
            args.render_engine,
            args.render_size,
            args.render_samples,
        )
        print(f"rendered {video}", file=sys.stderr)
    if args.photoreal is not None:
        print(f"rendered {render_photoreal(args)}", file=sys.stderr)
    return 0


def _print_progress(stage: str, fraction: float) -> None:
    print(f"musicface: {stage} {100 * fraction:.0f}%", file=sys.stderr, flush=True)


def main(argv: list[str]) -> int:
    args = build_parser().parse_args(argv[argv.index("--") + 1 :] if "--" in argv else [])
    return _module("headless").run_job(lambda: run(args), args.debug)


if __name__ == "__main__":
    _module("headless").exit_now(main(sys.argv))
