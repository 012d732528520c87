""" "Generate from song": the engine's `generate` run as a take (ops_engine.py runs it)."""

from __future__ import annotations

from pathlib import Path

import bpy
from bpy.props import StringProperty

from .apply import TakeResult, apply_performance
from .core_link import MusicFaceError, Performance
from .ops_engine import EngineTakeOperator
from .take_inputs import TakeInputs, gather


def finish_take(context: bpy.types.Context, inputs: TakeInputs, performance: Path) -> TakeResult:
    """Read the Performance and write the take (at the scene's fps)."""
    return apply_performance(context.scene, Performance.load(performance), inputs.head, inputs.take)


class MUSICFACE_OT_generate(EngineTakeOperator, bpy.types.Operator):
    """Animate the head from the song: shape keys, head pose, eyes, sound and beat markers"""

    bl_idname = "musicface.generate"
    bl_label = "Generate from song"
    bl_options = {"REGISTER", "UNDO"}

    performance: StringProperty(
        name="Performance",
        subtype="FILE_PATH",
        description="Use this Performance file (.npz) instead of running the engine",
        options={"HIDDEN", "SKIP_SAVE"},
    )

    def gather_inputs(self, context: bpy.types.Context) -> TakeInputs:
        return gather(context)

    def write_take(
        self, context: bpy.types.Context, inputs: TakeInputs, performance: Path
    ) -> TakeResult:
        return finish_take(context, inputs, performance)

    def execute(self, context: bpy.types.Context) -> set[str]:
        if not self.performance:
            return super().execute(context)
        # An existing Performance: no engine, the same take-writing path.
        try:
            inputs = gather(context, self.performance)
            return self._write(context, inputs, Path(bpy.path.abspath(self.performance)))
        except MusicFaceError as err:
            self.report({"ERROR"}, str(err))
            return {"CANCELLED"}

    def invoke(self, context: bpy.types.Context, event: bpy.types.Event) -> set[str]:
        if self.performance:
            return self.execute(context)
        return super().invoke(context, event)
