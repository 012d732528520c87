"""Live: `musicface live`'s frames drive the head as they arrive; Record keeps them as a take.

The toggle starts a receiver on localhost (live_receiver.py) and a timer that reads it
60 times a second and shows the newest frame on the head (live_preview.py: shape-key
values and the pose target, no keyframes). Esc, the toggle again, or the engine's last
frame stops it: the scene is put back as it was, and with Record on, what arrived is
written as a new take. In background mode (no event loop, no modal operators)
`execute` listens for `seconds` and stops, the same path otherwise.
"""

from __future__ import annotations

import time
from dataclasses import replace

import bpy
from bpy.props import FloatProperty

from .core_link import MusicFaceError
from .live_preview import LivePreview
from .live_receiver import LiveReceiver
from .take_inputs import _take_settings

LIVE: dict[str, object] = {}  # "session": the running _Session; the panel reads it
POLL_S = 1.0 / 60.0


class _Session:
    def __init__(self, context: bpy.types.Context) -> None:
        settings = context.scene.musicface
        head, take = _take_settings(context)
        # No song, no beats: the take gets no sound strip and leaves the markers alone.
        take = replace(take, name="MusicFace live", sound=False, markers=False,
                       attention=False, frame_range=True)  # fmt: skip
        self.receiver = LiveReceiver(settings.live_port)
        self.preview = LivePreview(head, take, record=settings.live_record)
        self.stop_requested = False

    def step(self) -> bool:
        """Read what came, show the newest; False once the engine sent its last frame."""
        frames = self.receiver.poll()
        for frame in frames if self.preview.record else frames[-1:]:
            self.preview.show(frame)
        self.receiver.stats.applied += len(frames)
        return not self.receiver.ended

    def stop(self, scene: bpy.types.Scene) -> str:
        """Put the scene back, write the take if recording; the line for the user."""
        self.receiver.close()
        self.preview.restore()
        stats = self.receiver.stats
        counts = f"{stats.applied} frames, {stats.late} late, {stats.malformed} malformed"
        if not self.preview.record:
            return f"MusicFace live stopped ({counts}); the scene is as it was"
        result = self.preview.write_take(scene)
        if result is None:
            return f"MusicFace live stopped: nothing arrived to record ({counts})"
        return f"MusicFace live take '{result.actions[0].name}' recorded ({counts})"


def live_status() -> str:
    """The panel's line: latency and counts of the running session, else empty."""
    session = LIVE.get("session")
    if not isinstance(session, _Session):
        return ""
    stats = session.receiver.stats
    latency = "–" if stats.latency is None else f"{1000 * stats.latency:.0f} ms"
    return f"latency {latency} · {stats.applied} frames · {stats.late} late · {stats.malformed} bad"


class MUSICFACE_OT_live(bpy.types.Operator):
    """Drive the head live from `musicface live` (Esc or the toggle stops, Record keeps a take)"""

    bl_idname = "musicface.live"
    bl_label = "Live"
    bl_options = {"REGISTER"}

    seconds: FloatProperty(
        name="Seconds",
        default=10.0,
        min=0.0,
        description="Without a window (background mode): listen this long",
        options={"HIDDEN", "SKIP_SAVE"},
    )
    _timer = None

    def execute(self, context: bpy.types.Context) -> set[str]:
        try:
            session = _Session(context)
        except MusicFaceError as err:
            self.report({"ERROR"}, str(err))
            return {"CANCELLED"}
        LIVE["session"] = session
        try:
            end = time.time() + self.seconds
            while time.time() < end and session.step():
                time.sleep(POLL_S / 2)
        finally:
            LIVE.pop("session", None)
        return self._finish(context, session)

    def invoke(self, context: bpy.types.Context, event: bpy.types.Event) -> set[str]:
        running = LIVE.get("session")
        if isinstance(running, _Session):  # the toggle: ask the running one to stop
            running.stop_requested = True
            return {"FINISHED"}
        if context.window is None:
            return self.execute(context)
        try:
            session = _Session(context)
        except MusicFaceError as err:
            self.report({"ERROR"}, str(err))
            return {"CANCELLED"}
        LIVE["session"] = session
        wm = context.window_manager
        self._timer = wm.event_timer_add(POLL_S, window=context.window)
        wm.modal_handler_add(self)
        context.workspace.status_text_set("MusicFace live: listening (Esc or Live stops)")
        return {"RUNNING_MODAL"}

    def modal(self, context: bpy.types.Context, event: bpy.types.Event) -> set[str]:
        session = LIVE.get("session")
        assert isinstance(session, _Session)
        stop = event.type == "ESC" and event.value == "PRESS"
        if not stop and event.type != "TIMER":
            return {"PASS_THROUGH"}
        try:
            stop = stop or session.stop_requested or not session.step()
        except MusicFaceError as err:
            self.report({"ERROR"}, str(err))
            stop = True
        _redraw(context)
        if not stop:
            return {"RUNNING_MODAL"}
        context.window_manager.event_timer_remove(self._timer)
        context.workspace.status_text_set(None)
        LIVE.pop("session", None)
        return self._finish(context, session)

    def _finish(self, context: bpy.types.Context, session: _Session) -> set[str]:
        try:
            line = session.stop(context.scene)
        except MusicFaceError as err:
            self.report({"ERROR"}, str(err))
            return {"CANCELLED"}
        self.report({"INFO"}, line)
        _redraw(context)
        return {"FINISHED"}


def _redraw(context: bpy.types.Context) -> None:
    screen = getattr(context, "screen", None)
    for area in screen.areas if screen is not None else ():
        if area.type == "VIEW_3D":
            area.tag_redraw()
