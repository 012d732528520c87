"""What the operators that run the engine share: modal with a progress bar and Esc to
cancel, or blocking for `blender -b` (where modal operators never run).

The engine runs as a subprocess; nothing in the scene changes until it has
finished, then its result lands at once: a cancelled run leaves the scene as it
was, and a finished one is a single undo step. `EngineOperator` is the run itself;
`EngineTakeOperator` adds what a take needs: "Generate from song" (ops_generate.py)
and "Capture from video" (ops_capture.py) differ only in what they ask the engine
for and how its Performance lands. "Render photoreal" (ops_photoreal.py) runs the
same way and lands a video.
"""

from __future__ import annotations

from pathlib import Path

import bpy

from .apply import TakeResult
from .core_link import MissingModel, MusicFaceError
from .engine import EngineJob, EngineRequest, find_engine_python
from .preferences import engine_python
from .take_inputs import TakeInputs, UserError

# The run in progress, for the panel's progress bar (one at a time per Blender).
RUNNING: dict[str, EngineJob] = {}


def start_request(
    context: bpy.types.Context, request: EngineRequest, python: str = ""
) -> EngineJob:
    """Start the engine subprocess on `request` (`python`: this interpreter instead of the
    preferences')."""
    found = find_engine_python(python) if python else engine_python(context)
    if found is None:
        raise UserError(
            "MusicFace engine not found: set its Python in the add-on preferences",
            MissingModel.kind,
        )
    job = EngineJob(found[0], request)
    job.start()
    return job


def start_engine(context: bpy.types.Context, inputs: TakeInputs, python: str = "") -> EngineJob:
    """Start the engine run that makes the take `inputs` asks for."""
    return start_request(context, inputs.request, python)


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


class EngineOperator:
    """Mixin for a `bpy.types.Operator` that runs the engine once and lands its result.

    A subclass starts its run (`start_job`) and says what a finished run's file becomes
    (`finish_job`); the run itself, its progress, Esc and the blocking path are here, once.
    """

    _job: EngineJob | None = None
    _timer = None

    def start_job(self, context: bpy.types.Context) -> EngineJob:
        raise NotImplementedError

    def finish_job(self, context: bpy.types.Context, job: EngineJob) -> set[str]:
        """Land what a run that succeeded wrote (`job.output`, in its temporary folder)."""
        raise NotImplementedError

    @classmethod
    def poll(cls, context: bpy.types.Context) -> bool:
        return "job" not in RUNNING

    def execute(self, context: bpy.types.Context) -> set[str]:
        try:
            job = self.start_job(context)
            wm = context.window_manager
            wm.progress_begin(0, 100)
            try:
                job.wait(lambda _stage, fraction: wm.progress_update(int(100 * fraction)))
            finally:
                wm.progress_end()
            return self._conclude(context, job)
        except MusicFaceError as err:
            self.report({"ERROR"}, str(err))
            return {"CANCELLED"}

    def invoke(self, context: bpy.types.Context, event: bpy.types.Event) -> set[str]:
        if context.window is None:
            return self.execute(context)
        try:
            self._job = self.start_job(context)
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
            return self._conclude(context, job)
        except MusicFaceError as err:
            self.report({"ERROR"}, str(err))
            return {"CANCELLED"}

    def _conclude(self, context, job: EngineJob) -> set[str]:
        try:
            if not job.succeeded:
                raise engine_failure(job)
            return self.finish_job(context, job)
        finally:
            job.cleanup()

    def _end_ui(self, context: bpy.types.Context) -> None:
        RUNNING.pop("job", None)
        wm = context.window_manager
        if self._timer is not None:
            wm.event_timer_remove(self._timer)
            self._timer = None
        wm.progress_end()
        context.workspace.status_text_set(None)
        _redraw_sidebars(context)


class EngineTakeOperator(EngineOperator):
    """An engine run whose Performance becomes a take: a subclass says what to ask for
    (`gather_inputs`) and how the Performance the engine wrote lands (`write_take`)."""

    _inputs: TakeInputs | None = None

    def gather_inputs(self, context: bpy.types.Context) -> TakeInputs:
        raise NotImplementedError

    def write_take(
        self, context: bpy.types.Context, inputs: TakeInputs, performance: Path
    ) -> TakeResult:
        raise NotImplementedError

    def start_job(self, context: bpy.types.Context) -> EngineJob:
        self._inputs = self.gather_inputs(context)
        return start_engine(context, self._inputs)

    def finish_job(self, context: bpy.types.Context, job: EngineJob) -> set[str]:
        return self._write(context, self._inputs, job.output)

    def _write(self, context, inputs: TakeInputs, performance: Path) -> set[str]:
        result = self.write_take(context, inputs, performance)
        level, text = summary(result)
        self.report(level, text)
        return {"FINISHED"}


def _redraw_sidebars(context: bpy.types.Context) -> None:
    for area in context.screen.areas if context.screen else ():
        if area.type == "VIEW_3D":
            area.tag_redraw()
