"""What one "Generate from song" or "Capture from video" needs, from the scene settings.

Shared by the operators (both their modal and blocking paths) and the batch script, so
a bad input gives the same one-line message everywhere.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

import bpy

from .apply import TakeSettings, default_pose_object
from .core_link import BadInput, MusicFaceError, exit_code_of
from .engine import CaptureRequest, EngineRequest, GenerateRequest, bpy_abspath


class UserError(MusicFaceError):
    """A problem the user can fix, of an engine error `kind` (and so its exit code)."""

    def __init__(self, message: str, kind: str = BadInput.kind) -> None:
        super().__init__(message)
        self.kind = kind
        self.exit_code = exit_code_of(kind)


@dataclass
class TakeInputs:
    head: bpy.types.Object
    take: TakeSettings
    request: EngineRequest | None  # None when an existing Performance file is used


def _file(path: str, what: str) -> Path:
    resolved = Path(bpy_abspath(path)).resolve()
    if not resolved.is_file():
        raise UserError(f"{what} not found: {resolved}")
    return resolved


def resolve_head(context: bpy.types.Context) -> bpy.types.Object:
    settings = context.scene.musicface
    head = settings.target or context.active_object
    if head is None or head.type != "MESH":
        raise UserError("Pick a head: a mesh with ARKit shape keys (or click Add MusicFace head)")
    if head.data.shape_keys is None:
        raise UserError(f"{head.name} has no shape keys to drive")
    return head


def resolve_pose(settings, head: bpy.types.Object) -> tuple[bpy.types.Object | None, str]:
    mode = settings.pose_mode
    if mode == "NONE":
        return None, ""
    if mode == "AUTO":
        return default_pose_object(head), ""
    target = settings.pose_object
    if target is None:
        raise UserError("Pick the object that carries the head pose")
    if mode == "BONE":
        if target.type != "ARMATURE" or settings.pose_bone not in target.pose.bones:
            raise UserError(f"Bone '{settings.pose_bone}' not found in {target.name}")
        return target, settings.pose_bone
    return target, ""


def _take_settings(context: bpy.types.Context) -> tuple[bpy.types.Object, TakeSettings]:
    """The head and how the take is written (no song yet): the same for every kind of take."""
    settings = context.scene.musicface
    head = resolve_head(context)
    pose_object, pose_bone = resolve_pose(settings, head)
    take = TakeSettings(
        strengths=settings.strengths(),
        max_error=settings.max_error if settings.keyframes == "SIMPLIFIED" else 0.0,
        pose_object=pose_object,
        pose_bone=pose_bone,
        sound=settings.sound,
        markers=settings.beat_markers,
        word_markers=settings.word_markers,
        attention=settings.attention,
    )
    return head, take


def gather(context: bpy.types.Context, performance: str = "") -> TakeInputs:
    """Check the settings; raise UserError with one line for the user when something is off."""
    settings = context.scene.musicface
    head, take = _take_settings(context)
    song = _file(settings.song, "Song") if settings.song or not performance else None
    take = replace(take, song=song, seed=settings.seed)
    if performance:
        _file(performance, "Performance file")
        return TakeInputs(head, take, None)
    if bool(settings.vocals) != bool(settings.accompaniment):
        raise UserError("Give both stems (vocals and accompaniment), or neither")
    stems = [None, None]
    if settings.vocals:
        stems = [_file(settings.vocals, "Vocals"), _file(settings.accompaniment, "Accompaniment")]
    request = GenerateRequest(
        song=song,
        seed=settings.seed,
        subject=settings.subject,
        separator=settings.separator,
        vocals=stems[0],
        accompaniment=stems[1],
        checkpoint=_file(settings.checkpoint, "Checkpoint") if settings.checkpoint else None,
        mouth_gate=settings.mouth_gate,
        **_lyrics(settings),
    )
    return TakeInputs(head, take, request)


def _lyrics(settings) -> dict:
    """The request's lyrics fields: a file, else a text block's text, else none."""
    common = {"lyrics_strength": settings.lyrics_strength, "language": settings.lyrics_language}
    if settings.lyrics:
        return {"lyrics": _file(settings.lyrics, "Lyrics file"), **common}
    if settings.lyrics_text is not None:
        text = settings.lyrics_text.as_string()
        if not text.strip():
            raise UserError(f"The lyrics text block '{settings.lyrics_text.name}' is empty")
        return {"lyrics_text": text, **common}
    return {}


def gather_capture(context: bpy.types.Context) -> TakeInputs:
    """What "Capture from video" needs: the video and the same head and take settings.

    The take is named after the video, and the video itself is the sound strip's source
    (Blender reads the audio of an mp4/mov/mkv); `ops_capture.finish_capture` drops the
    strip when the engine finds no sound in it.
    """
    settings = context.scene.musicface
    if not settings.video:
        raise UserError("Pick a video to capture from (a face, filmed from the front)")
    video = _file(settings.video, "Video")
    head, take = _take_settings(context)
    request = CaptureRequest(
        video,
        calibration=_calibration(settings),
        smoothing=settings.capture_smoothing,
        max_side=settings.capture_max_side,
        own_neutral=settings.capture_own_neutral,
    )
    return TakeInputs(head, replace(take, song=video, name=video.stem), request)


def _calibration(settings) -> str | Path:
    """The engine's calibration: "template", "raw" or a file, checked here so that a wrong
    file is a line for the user before the engine starts, not its failure after."""
    if settings.capture_calibration != "file":
        return settings.capture_calibration
    if not settings.capture_calibration_file:
        raise UserError("Pick a calibration file (.json), or the Template head calibration")
    path = Path(bpy_abspath(settings.capture_calibration_file)).resolve()
    if path.suffix.lower() != ".json":
        raise UserError(f"Calibration file must be a .json, got {path.name}")
    return _file(str(path), "Calibration file")
