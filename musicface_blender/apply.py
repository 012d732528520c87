"""Performance → keyframes in the scene: the one code path of the operator, batch and CLI.

Everything is written in one go at the end of a run (after the engine has
finished), so a cancelled run touches nothing and a finished one is one undo step.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import bpy
import numpy as np

from .animation.attention import write_attention_properties
from .animation.fcurves import new_take
from .animation.head_pose import write_bone_pose, write_object_pose
from .animation.shape_keys import write_shape_key_curves
from .core_link import PIVOT_OBJECT
from .layers import Strengths, weighted_expression, weighted_pose
from .scene_setup import scene_fps, set_beat_markers, set_song_strip, set_word_markers


@dataclass
class TakeSettings:
    song: Path | None = None  # the sound strip's source (a song, or a captured video)
    seed: int | None = None
    name: str = ""  # the take's action name; empty: from the song and seed
    strengths: Strengths = field(default_factory=Strengths)
    max_error: float = 0.0  # 0: a key on every frame; else simplified within this error
    pose_object: bpy.types.Object | None = None  # None: no head pose
    pose_bone: str = ""  # a bone of `pose_object` (an armature), else the object itself
    sound: bool = True
    markers: bool = True
    word_markers: bool = True  # the take's aligned lyrics (generate --lyrics), one per word
    attention: bool = True
    frame_range: bool = True


@dataclass
class TakeResult:
    actions: list[bpy.types.Action]
    missing: list[str]
    curves: int
    keys: int
    frame_start: int
    frame_end: int
    warnings: list[str] = field(default_factory=list)


def take_name(song: Path | None, seed: int | None) -> str:
    stem = song.stem if song is not None else "MusicFace"
    return f"{stem} seed {seed}" if seed is not None else stem


def default_pose_object(head: bpy.types.Object) -> bpy.types.Object:
    """The template's neck pivot when the head hangs under one, else the head itself."""
    parent = head.parent
    # Appended twice, the pivot is "MusicFace_NeckPivot.001".
    if parent is not None and parent.name.split(".")[0] == PIVOT_OBJECT:
        return parent
    return head


def apply_performance(scene, performance, head: bpy.types.Object, settings: TakeSettings):
    """Write one take of `performance` onto `head` (a mesh with shape keys) and the scene,
    at the scene's frame rate (the one place the add-on resamples a Performance)."""
    fps = scene_fps(scene)
    performance = performance.resample(fps)
    start = scene.frame_start
    frames = start + np.arange(performance.frames, dtype=np.float32)
    error = max(settings.max_error, 0.0)
    take = new_take(settings.name or take_name(settings.song, settings.seed))
    expression = weighted_expression(
        performance.expression, performance.names, performance.eye_long, settings.strengths
    )
    shapes = write_shape_key_curves(take, head, frames, expression, performance.names, error)
    pose_target = settings.pose_object
    if pose_target is not None:
        pose = weighted_pose(performance.pose, settings.strengths)
        if settings.pose_bone:
            write_bone_pose(take, pose_target, settings.pose_bone, frames, pose, error)
        else:
            write_object_pose(take, pose_target, frames, pose, error)
    if settings.attention and performance.attention is not None:
        write_attention_properties(take, head, frames, performance.attention)
    end = start + performance.frames - 1
    if settings.frame_range:
        scene.frame_end = end
    warnings = []
    if settings.sound and settings.song is not None:
        if set_song_strip(scene, Path(settings.song), start) is None:
            warnings.append("this Blender has no audio support: no sound strip added")
    if settings.markers:
        set_beat_markers(scene, performance.beats, fps, start)
    lyrics = performance.meta.get("lyrics")
    if settings.word_markers and isinstance(lyrics, dict):
        set_word_markers(scene, lyrics.get("words", []), fps, start)
    for action in take.actions:
        action["musicface"] = _take_info(performance, settings)
        if isinstance(lyrics, dict):
            # The take records its lyrics and their alignment (words, phones, times).
            action["musicface_lyrics"] = json.dumps(lyrics, sort_keys=True, ensure_ascii=False)
    return TakeResult(take.actions, shapes.missing, take.curves, take.keys, start, end, warnings)


def _take_info(performance, settings: TakeSettings) -> str:
    info = {
        "source": performance.meta.get("source", "generate"),
        "video": performance.meta.get("video"),
        "song": str(settings.song) if settings.song else None,
        "seed": settings.seed,
        "fps": performance.fps,
        "checkpoint": performance.meta.get("checkpoint"),
        "max_error": settings.max_error,
    }
    return json.dumps(info, sort_keys=True)
