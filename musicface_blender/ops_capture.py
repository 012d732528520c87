""" "Capture from video": the engine's `capture` run as a take (ops_engine.py runs it).

The captured Performance lands through the same `apply_performance` as a generated
one (strengths, keyframe density, pose target, one new action), named after the
video, with the video file itself as the sound strip: Blender's sound strips read
the audio track of a video container, so no audio file is extracted.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import bpy

from .apply import TakeResult, apply_performance
from .core_link import Performance
from .ops_engine import EngineTakeOperator
from .scene_setup import remove_song_strips
from .take_inputs import TakeInputs, gather_capture


def has_sound(performance: Performance) -> bool:
    """The engine says in the Performance whether the video has sound (`meta["song"]`)."""
    return performance.meta.get("song") is not None


def finish_capture(
    context: bpy.types.Context, inputs: TakeInputs, performance_file: Path
) -> TakeResult:
    """Read the captured Performance and write it as a take (at the scene's fps).

    A silent video gets no sound strip (Blender would make an empty one-frame strip
    of it), and MusicFace's strip of an earlier take goes too, so that what plays is
    this take's sound; the user's own strips stay.
    """
    performance = Performance.load(performance_file)
    take = inputs.take
    if has_sound(performance) or take.song is None:
        return apply_performance(context.scene, performance, inputs.head, take)
    result = apply_performance(context.scene, performance, inputs.head, replace(take, song=None))
    if take.sound:
        remove_song_strips(context.scene)
        result.warnings.append(f"{take.song.name} has no sound: no sound strip")
    return result


class MUSICFACE_OT_capture(EngineTakeOperator, bpy.types.Operator):
    """Animate the head from a face on video: shape keys, head pose and eyes, with its sound"""

    bl_idname = "musicface.capture"
    bl_label = "Capture from video"
    bl_options = {"REGISTER", "UNDO"}

    def gather_inputs(self, context: bpy.types.Context) -> TakeInputs:
        return gather_capture(context)

    def write_take(
        self, context: bpy.types.Context, inputs: TakeInputs, performance: Path
    ) -> TakeResult:
        return finish_capture(context, inputs, performance)
