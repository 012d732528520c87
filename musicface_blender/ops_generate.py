""" "Generate from song": modal with a progress bar and Esc to cancel, or blocking for -b.

The engine runs as a subprocess; nothing in the scene changes until it has
finished, then the whole take is written at once: a cancelled run leaves the
scene as it was, and a finished one is a single undo step.
"""

from __future__ import annotations

from pathlib import Path

import bpy
from bpy.props import StringProperty

from .apply import TakeResult, apply_performance
from .core_link import MissingModel, MusicFaceError, Performance
from .engine import EngineJob, find_engine_python
from .preferences import engine_python
from .take_inputs import TakeInputs, UserError, gather

# The run in progress, for the panel's progress bar (one at a time per Blender).
RUNNING: dict[str, EngineJob] = {}


def start_engine(context: bpy.types.Context, inputs: TakeInputs, python: str = "") -> EngineJob:
    """Start the engine subprocess (`python`: this interpreter instead of the preferences')."""
    found = find_engine_python(python) if python else engine_python(context)
    if found is None:
        raise UserError(
            "MusicFace engine not found: set its Python in the add-on preferences",
            MissingModel.kind,
        )
    job = EngineJob(found[0], inputs.request)
    job.start()
    return job


def finish_take(context: bpy.types.Context, inputs: TakeInputs, performance: Path) -> TakeResult:
    """Read the Performance and write the take (at the scene's fps)."""
    return apply_performance(context.scene, Performance.load(performance), inputs.head, inputs.take)


def summary(result: TakeResult) -> tuple[set[str], str]:
    names = ", ".join(action.name for action in result.actions)
    frames = f"frames {result.frame_start}–{result.frame_end}"
    text = f"MusicFace: {names}: {result.curves} curves, {frames}"
    for warning in result.warnings:
        text += f"; {warning}"
    if result.missing:
        shown = ", ".join(result.missing[:6]) + ("…" if len(result.missing) > 6 else "")
        return {"WARNING"}, f"{text}; {len(result.missing)} ARKit shapes missing: {shown}"
    return ({"WARNING"} if result.warnings else {"INFO"}), text


class MUSICFACE_OT_generate(bpy.types.Operator):
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

    _job: EngineJob | None = None
    _inputs: TakeInputs | None = None
    _timer = None

    @classmethod
    def poll(cls, context: bpy.types.Context) -> bool:
        return "job" not in RUNNING

    def execute(self, context: bpy.types.Context) -> set[str]:
        try:
            inputs = gather(context, self.performance)
            if self.performance:
                return self._write(context, inputs, Path(bpy.path.abspath(self.performance)))
            job = start_engine(context, inputs)
            wm = context.window_manager
            wm.progress_begin(0, 100)
            try:
                job.wait(lambda _stage, fraction: wm.progress_update(int(100 * fraction)))
            finally:
                wm.progress_end()
            return self._conclude(context, inputs, job)
        except MusicFaceError as err:
            self.report({"ERROR"}, str(err))
            return {"CANCELLED"}

    def invoke(self, context: bpy.types.Context, event: bpy.types.Event) -> set[str]:
        if self.performance or context.window is None:
            return self.execute(context)
        try:
            self._inputs = gather(context)
            self._job = start_engine(context, self._inputs)
        except MusicFaceError as err:
            self.report({"ERROR"}, str(err))
            return {"CANCELLED"}
        RUNNING["job"] = self._job
        wm = context.window_manager
        self._timer = wm.event_timer_add(0.1, window=context.window)
        wm.modal_handler_add(self)
        wm.progress_begin(0, 100)
        context.workspace.status_text_set("MusicFace: starting the engine… (Esc to cancel)")
        return {"RUNNING_MODAL"}

    def modal(self, context: bpy.types.Context, event: bpy.types.Event) -> set[str]:
        job = self._job
        if event.type == "ESC" and event.value == "PRESS":
            job.cancel()
            self._end_ui(context)
            self.report({"WARNING"}, "MusicFace: cancelled; the scene is unchanged")
            return {"CANCELLED"}
        if event.type != "TIMER":
            return {"PASS_THROUGH"}
        if not job.poll():
            context.window_manager.progress_update(int(100 * job.progress))
            context.workspace.status_text_set(
                f"MusicFace: {job.stage} {100 * job.progress:.0f}% (Esc to cancel)"
            )
            _redraw_sidebars(context)
            return {"RUNNING_MODAL"}
        self._end_ui(context)
        try:
            return self._conclude(context, self._inputs, job)
        except MusicFaceError as err:
            self.report({"ERROR"}, str(err))
            return {"CANCELLED"}

    def _conclude(self, context, inputs: TakeInputs, job: EngineJob) -> set[str]:
        try:
            if not job.succeeded:
                raise UserError(f"MusicFace engine: {job.error}", job.kind)
            return self._write(context, inputs, job.output)
        finally:
            job.cleanup()

    def _write(self, context, inputs: TakeInputs, performance: Path) -> set[str]:
        result = finish_take(context, inputs, performance)
        level, text = summary(result)
        self.report(level, text)
        return {"FINISHED"}

    def _end_ui(self, context: bpy.types.Context) -> None:
        RUNNING.pop("job", None)
        wm = context.window_manager
        if self._timer is not None:
            wm.event_timer_remove(self._timer)
            self._timer = None
        wm.progress_end()
        context.workspace.status_text_set(None)
        _redraw_sidebars(context)


def _redraw_sidebars(context: bpy.types.Context) -> None:
    for area in context.screen.areas if context.screen else ():
        if area.type == "VIEW_3D":
            area.tag_redraw()
