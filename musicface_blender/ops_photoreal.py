""" "Render photoreal": the take as it plays (the artist's edits included) → the engine's
neural renderer → a video in the sequencer.

The take is sampled back from the scene (sample_back.py) into a Performance in the
job's temporary folder, the engine's `render` command turns it into an .mp4 there
(with the song muxed in), and only a finished video is moved to the output path, under
a name no file has yet: nothing the user made is overwritten, and a cancelled or
failed run leaves no file behind. The run itself (progress, Esc, the blocking `-b`
path) is ops_engine.py's.
"""

from __future__ import annotations

import os
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

import bpy

from .engine import EngineJob, RenderRequest, bpy_abspath
from .ops_engine import EngineOperator, start_request
from .sample_back import PoseTarget, check_take, sample_performance
from .scene_setup import scene_strips
from .take_inputs import UserError, resolve_head, resolve_pose

DEFAULT_FOLDER = "//photoreal/"
STRIP_TAG = "musicface_photoreal"  # custom property on the movie strips we add


@dataclass
class PhotorealInputs:
    request: RenderRequest
    destination: Path
    frame_start: int


def output_path(text: str, take_name: str) -> Path:
    """Where the video goes: `text` (a file, or a folder ending in /), by default
    //photoreal/<take>.mp4 beside the .blend; relative paths need a saved .blend."""
    text = text or DEFAULT_FOLDER
    if text.startswith("//") and not bpy.data.filepath:
        raise UserError(
            f"Save the .blend first: the output {text} is relative to it "
            "(or give an absolute output path)"
        )
    path = Path(bpy_abspath(text))
    if text.endswith(("/", "\\")) or path.is_dir():
        path = path / f"{file_name(take_name)}.mp4"
    if path.suffix.lower() != ".mp4":
        raise UserError(f"The photoreal output must be an .mp4 file, got {path.name}")
    return path.resolve()


def file_name(name: str) -> str:
    """A take's action name as a file name (no path separators or reserved characters)."""
    return re.sub(r'[\\/:*?"<>|\x00-\x1f]', "_", name).strip(" .") or "take"


def free_path(path: Path) -> Path:
    """`path`, or the first `<stem>_<n>.mp4` beside it that no file has."""
    candidate, number = path, 1
    while candidate.exists():
        candidate = path.with_name(f"{path.stem}_{number}{path.suffix}")
        number += 1
    return candidate


def _writable_folder(path: Path) -> None:
    existing = next(parent for parent in path.parents if parent.exists())
    if not existing.is_dir() or not os.access(existing, os.W_OK):
        raise UserError(f"Cannot write the photoreal video into {existing}")


def _renderer(text: str) -> Path | None:
    if not text:
        return None
    path = Path(bpy_abspath(text)).resolve()
    if not path.is_file():
        raise UserError(f"Renderer not found: {path}")
    return path


def photoreal_request(context: bpy.types.Context) -> RenderRequest:
    """The take sampled back as it plays, and the render the settings ask for."""
    scene = context.scene
    settings = scene.musicface
    head = resolve_head(context)
    check_take(head)
    renderer = _renderer(settings.photoreal_renderer)
    pose_object, pose_bone = resolve_pose(settings, head)
    performance = sample_performance(scene, head, PoseTarget(pose_object, pose_bone))
    return RenderRequest(performance, renderer=renderer, size=int(settings.photoreal_size))


def gather_photoreal(context: bpy.types.Context) -> PhotorealInputs:
    """What "Render photoreal" needs; one clear line when something is off (checked before
    the take is sampled, which takes a moment on a long song)."""
    head = resolve_head(context)
    destination = output_path(context.scene.musicface.photoreal_output, check_take(head).name)
    _writable_folder(destination)
    return PhotorealInputs(photoreal_request(context), destination, context.scene.frame_start)


def keep_video(job: EngineJob, destination: Path) -> Path:
    """Move the finished video out of the job's temporary folder, under a free name."""
    if job.output is None or not job.output.is_file():
        raise UserError("MusicFace engine: it finished without writing a video", "internal")
    try:
        destination.parent.mkdir(parents=True, exist_ok=True)
        destination = free_path(destination)
        shutil.move(str(job.output), destination)
    except OSError as err:
        raise UserError(f"Cannot write {destination}: {err.strerror or err}") from err
    return destination


def add_movie_strip(scene: bpy.types.Scene, video: Path, frame_start: int):
    """The video as a movie strip (its picture only: the song's strip already plays the
    sound) on the first channel no strip uses."""
    strips = scene_strips(scene)
    used = {strip.channel for strip in strips}
    channel = next(c for c in range(1, 129) if c not in used)
    strip = strips.new_movie(f"Photoreal {video.stem}", str(video), channel, frame_start)
    strip[STRIP_TAG] = True
    return strip


class PhotorealRun(EngineOperator):
    """The operator's work (a mixin, so that it can run without Blender's operator call)."""

    _inputs: PhotorealInputs | None = None

    def start_job(self, context: bpy.types.Context) -> EngineJob:
        self._inputs = gather_photoreal(context)
        return start_request(context, self._inputs.request)

    def finish_job(self, context: bpy.types.Context, job: EngineJob) -> set[str]:
        video = keep_video(job, self._inputs.destination)
        if not context.scene.musicface.photoreal_to_sequencer:
            self.report({"INFO"}, f"MusicFace: photoreal video written to {video}")
            return {"FINISHED"}
        try:
            strip = add_movie_strip(context.scene, video, self._inputs.frame_start)
        except RuntimeError as err:  # a Blender built without FFmpeg cannot read it
            self.report({"WARNING"}, f"MusicFace: {video} written; not added ({err})")
            return {"FINISHED"}
        self.report(
            {"INFO"}, f"MusicFace: photoreal video {video} on sequencer channel {strip.channel}"
        )
        return {"FINISHED"}


class MUSICFACE_OT_render_photoreal(PhotorealRun, bpy.types.Operator):
    """Render the take as it plays now (your edits included) with the neural renderer,
    into a video with the song"""

    bl_idname = "musicface.render_photoreal"
    bl_label = "Render photoreal"
    bl_options = {"REGISTER", "UNDO"}
