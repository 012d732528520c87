"""Headless MusicFace: animate a head in a .blend from a song, save it, optionally render.

    blender -b scene.blend -P musicface_blender/batch.py -- --song a.mp3 \\
        [--target Head] [--out out.blend] [--render out.mp4]

The same script runs in a plain Python with the `bpy` module (there is no Blender
binary on build machines): `python musicface_blender/batch.py -- --blend scene.blend
--song a.mp3 …`. Exit codes are the engine's: 0 ok, 2 bad input, 3 missing model
or engine, 1 anything else; errors are one line on stderr.
"""

from __future__ import annotations

import argparse
import atexit
import importlib
import sys
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
    parser = argparse.ArgumentParser(prog="batch.py", description=__doc__.splitlines()[0])
    parser.add_argument("--song", type=Path, help="the song (its audio goes into the scene too)")
    parser.add_argument("--blend", type=Path, help="open this .blend first (bpy module only)")
    parser.add_argument(
        "--target",
        help="head mesh name, or 'template' to add the MusicFace head "
        "(default: the active mesh, else MusicFace_Head)",
    )
    parser.add_argument("--out", type=Path, help="where to save the .blend (default: beside it)")
    parser.add_argument("--render", type=Path, help="also render a preview video (.mp4)")
    parser.add_argument(
        "--render-engine", choices=("cycles", "workbench", "eevee"), default="cycles"
    )
    parser.add_argument("--render-size", type=int, default=256)
    parser.add_argument("--render-samples", type=int, default=8)
    parser.add_argument("--performance", type=Path, help="use this Performance file (no engine)")
    parser.add_argument("--vocals", type=Path)
    parser.add_argument("--accompaniment", type=Path)
    parser.add_argument("--separator", choices=("auto", "spleeter", "dsp", "none"))
    parser.add_argument("--checkpoint", type=Path)
    parser.add_argument("--subject", type=int)
    parser.add_argument("--seed", type=int)
    parser.add_argument("--fps", type=float, help="set the scene's frame rate first")
    parser.add_argument("--simplify", type=float, help="keep keys within this max error")
    parser.add_argument("--pose", help="head pose target: OBJECT, ARMATURE:BONE or 'none'")
    parser.add_argument("--engine-python", help="the engine's Python (default: found)")
    return parser


def _fail(message: str, kind: str = "bad_input") -> int:
    print(f"musicface: error: {message}", file=sys.stderr)
    return {"bad_input": 2, "missing_model": 3}.get(kind, 1)


def find_head(target: str | None) -> bpy.types.Object:
    """The mesh to animate, following --target."""
    take_inputs = _module("take_inputs")
    if target == "template":
        return _module("template").append_template(bpy.context)
    if target:
        obj = bpy.data.objects.get(target)
        if obj is None or obj.type != "MESH":
            raise take_inputs.UserError(f"no mesh named {target!r} in the scene")
        return obj
    active = bpy.context.view_layer.objects.active
    if active is not None and active.type == "MESH" and active.data.shape_keys is not None:
        return active
    head_name = _module("core_link").HEAD_OBJECT
    found = bpy.data.objects.get(head_name)
    if found is None:
        raise take_inputs.UserError("no head to animate: pass --target NAME or --target template")
    return found


def configure(args: argparse.Namespace, head: bpy.types.Object) -> None:
    """Carry the command-line options into the scene settings the operator reads."""
    scene = bpy.context.scene
    settings = scene.musicface
    settings.target = head
    if args.fps:
        _module("scene_setup").set_scene_fps(scene, args.fps)
    for name in ("separator", "subject", "seed"):
        if getattr(args, name) is not None:
            setattr(settings, name, getattr(args, name))
    for name in ("song", "vocals", "accompaniment", "checkpoint"):
        if getattr(args, name) is not None:
            setattr(settings, name, str(Path(getattr(args, name)).resolve()))
    if args.simplify:
        settings.keyframes, settings.max_error = "SIMPLIFIED", args.simplify
    if args.pose:
        if args.pose == "none":
            settings.pose_mode = "NONE"
        else:
            name, _, bone = args.pose.partition(":")
            settings.pose_object = bpy.data.objects.get(name)
            settings.pose_mode, settings.pose_bone = ("BONE", bone) if bone else ("OBJECT", "")


def ensure_registered() -> None:
    """Register the add-on's classes unless Blender already enabled it."""
    if hasattr(bpy.types.Scene, "musicface"):
        return
    addon = importlib.import_module(_addon())
    addon.register()
    # With the bpy module (4.5), a process that exits with Python classes still
    # registered hangs in Blender's shutdown: unregister on the way out.
    atexit.register(addon.unregister)


def run(args: argparse.Namespace) -> int:
    take_inputs = _module("take_inputs")
    generate = _module("ops_generate")
    if args.blend is not None:
        if not args.blend.is_file():
            return _fail(f"blend file not found: {args.blend}")
        bpy.ops.wm.open_mainfile(filepath=str(args.blend.resolve()))
    ensure_registered()
    if args.song is None and args.performance is None:
        return _fail("give --song (or --performance)")
    out = args.out
    if out is None:
        if not bpy.data.filepath:
            return _fail("give --out: the scene has no file to save beside")
        opened = Path(bpy.data.filepath)
        out = opened.with_name(opened.stem + "_musicface.blend")
    if out.suffix != ".blend" or not out.resolve().parent.is_dir():
        return _fail(f"--out must be a .blend in an existing folder, got {out}")
    try:
        head = find_head(args.target)
        configure(args, head)
        context = bpy.context
        inputs = take_inputs.gather(context, str(args.performance or ""))
        if args.performance is not None:
            performance = args.performance.resolve()
            result = generate.finish_take(context, inputs, performance)
        else:
            job = generate.start_engine(context, inputs, args.engine_python or "")
            try:
                job.wait(_print_progress)
                if not job.succeeded:
                    return _fail(f"engine: {job.error}", job.kind)
                result = generate.finish_take(context, inputs, job.output)
            finally:
                job.cleanup()
    except take_inputs.UserError as err:
        return _fail(str(err), err.kind)
    for line in generate.summary(result)[1:]:
        print(line, file=sys.stderr)
    bpy.ops.wm.save_as_mainfile(filepath=str(out.resolve()))
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
    return 0


def _print_progress(stage: str, fraction: float) -> None:
    print(f"musicface: {stage} {100 * fraction:.0f}%", file=sys.stderr, flush=True)


def main(argv: list[str]) -> int:
    args = build_parser().parse_args(argv[argv.index("--") + 1 :] if "--" in argv else [])
    return run(args)


if __name__ == "__main__":
    _module("headless").exit_now(main(sys.argv))
