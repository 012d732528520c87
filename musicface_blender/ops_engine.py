"""What the operators that run the engine share: modal with a progress bar and Esc to
cancel, or blocking for `blender -b` (where modal operators never run).

The engine runs as a subprocess; nothing in the scene changes until it has
finished, then the whole take is written at once: a cancelled run leaves the
scene as it was, and a finished one is a single undo step. "Generate from song"
(ops_generate.py) and "Capture from video" (ops_capture.py) differ only in what
they ask the engine for and how its Performance lands.
"""

from __future__ import annotations

from pathlib import Path

import bpy

from .apply import TakeResult
from .core_link import MissingModel, MusicFaceError
from .engine import EngineJob, find_engine_python
from .preferences import engine_python
from .take_inputs import TakeInputs, UserError

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


def engine_failure(job: EngineJob) -> UserError:
    """The engine's own one-line message, of its error kind (so, its exit code in batch)."""
    return UserError(f"MusicFace engine: {job.error}", job.kind)


class EngineTakeOperator:
    """Mixin for a `bpy.types.Operator` whose take comes from one engine run.

    A subclass says what to ask for (`gather_inputs`) and how the Performance the
    engine wrote becomes a take (`write_take`); the run itself, its progress, Esc
    and the blocking path are here, once.
    """

    _job: EngineJob | None = None
    _inputs: TakeInputs | None = None
    _timer = None

    def gather_inputs(self, context: bpy.types.Context) -> TakeInputs:
        raise NotImplementedError

    def write_take(
        self, context: bpy.types.Context, inputs: TakeInputs, performance: Path
    ) -> TakeResult:
        raise NotImplementedError

    @classmethod
    def poll(cls, context: bpy.types.Context) -> bool:
        return "job" not in RUNNING

    def execute(self, context: bpy.types.Context) -> set[str]:
        try:
            inputs = self.gather_inputs(context)
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
        if context.window is None:
            return self.execute(context)
        try:
            self._inputs = self.gather_inputs(context)
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
                raise engine_failure(job)
            return self._write(context, inputs, job.output)
        finally:
            job.cleanup()

    def _write(self, context, inputs: TakeInputs, performance: Path) -> set[str]:
        result = self.write_take(context, inputs, performance)
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
