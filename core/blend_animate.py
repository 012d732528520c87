"""`musicface animate`: song → a saved .blend with the head singing it, headless (bpy module).

The keyframes are written by the Blender add-on's own functions
(musicface_blender.apply), so the add-on, its batch script and this command share
one code path. The engine runs in-process here (this is the engine's interpreter).
"""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import bpy  # noqa: I001  (bpy before anything that may import mathutils)

from core.blend_template import blender_output_to_stderr
from core.errors import BadInput, MissingModel, MusicFaceError
from core.face.template import HEAD_OBJECT, TEMPLATE_PATH
from core.performance import Performance
from core.progress import ProgressFn, no_progress, scaled

REPOSITORY = Path(__file__).resolve().parents[1]
try:
    import musicface_blender  # noqa: F401
except ModuleNotFoundError:  # an install that packages only core/: use the checkout's add-on
    sys.path.append(str(REPOSITORY))

from musicface_blender.apply import TakeSettings, apply_performance, default_pose_object
from musicface_blender.layers import Strengths
from musicface_blender.scene_setup import scene_fps, set_scene_fps


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


def open_target(target: Target) -> bpy.types.Object:
    with blender_output_to_stderr():
        bpy.ops.wm.open_mainfile(filepath=str(target.blend.resolve()))
    head = bpy.data.objects.get(target.object_name)
    if head is None or head.type != "MESH" or head.data.shape_keys is None:
        raise BadInput(f"{target.blend.name} has no mesh {target.object_name!r} with shape keys")
    return head


def animate(
    song: Path,
    out: Path,
    performance: Performance,
    target: Target,
    fps: float | None = None,
    seed: int | None = None,
    max_error: float = 0.0,
    progress: ProgressFn = no_progress,
) -> Path:
    """Write `performance` onto the target head, with the song as sound; save to `out`."""
    head = open_target(target)
    scene = bpy.context.scene
    if fps is not None:
        set_scene_fps(scene, fps)
    settings = TakeSettings(
        song=song.resolve(),
        seed=seed,
        strengths=Strengths(),
        max_error=max_error,
        pose_object=default_pose_object(head),
    )
    progress("keyframes", 0.0)
    with blender_output_to_stderr():
        apply_performance(scene, performance.resample(scene_fps(scene)), head, settings)
        bpy.ops.wm.save_as_mainfile(filepath=str(out.resolve()))
    progress("keyframes", 1.0)
    return out


def render_preview(blend: Path, video: Path, engine: str = "cycles", size: int = 256) -> Path:
    """Render the saved take to `video` in a subprocess: Workbench/EEVEE may abort a process
    that has no OpenGL, and a render should never take the saved file down with it."""
    argv = [sys.executable, "-m", "musicface_blender.render", str(blend), str(video)]
    argv += ["--engine", engine, "--size", str(size)]
    done = subprocess.run(argv, cwd=REPOSITORY, capture_output=True, text=True, check=False)
    if done.returncode != 0 or not video.is_file():
        last = (done.stderr.strip().splitlines() or [f"exit code {done.returncode}"])[-1]
        raise MusicFaceError(f"preview render failed ({engine}): {last}")
    return video


def animate_song(
    song: Path,
    out: Path,
    target: str = "template",
    preview: Path | None = None,
    preview_engine: str = "cycles",
    fps: float | None = None,
    max_error: float = 0.0,
    generate_options: dict | None = None,
    progress: ProgressFn = no_progress,
) -> Path:
    """The whole command: generate, write keyframes, save, optionally render."""
    from core.generate import generate

    parsed = Target.parse(target)
    options = dict(generate_options or {})
    performance = generate(song, progress=scaled(progress, 0.0, 0.8), **options)
    animate(song, out, performance, parsed, fps, options.get("seed"), max_error,
            scaled(progress, 0.8, 0.9))  # fmt: skip
    if preview is not None:
        progress("preview", 0.9)
        render_preview(out, preview, preview_engine)
        progress("preview", 1.0)
    return out
