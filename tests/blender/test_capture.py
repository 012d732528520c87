""" "Capture from video": the real `core.cli capture` on a real face video, as a take.

The face clips are cut from the shared real-data set (skipped where it is absent)
with the ffmpeg that imageio-ffmpeg ships; each capture of a 2 s clip takes ~3 s.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from types import SimpleNamespace

import bpy
import numpy as np
import pytest

from musicface_blender.animation.fcurves import take_fcurves
from musicface_blender.engine import CaptureRequest, engine_argv
from musicface_blender.ops_capture import finish_capture
from musicface_blender.ops_engine import RUNNING, EngineTakeOperator, start_engine, summary
from musicface_blender.scene_setup import set_song_strip, song_strips
from musicface_blender.take_inputs import gather_capture
from tests.blender.conftest import (
    AUDIO,
    CLIP_SECONDS,
    FACE_VIDEO,
    REALDATA,
    HandDriven,
    ffmpeg_run,
    hand_context,
    scene_state,
)


@pytest.fixture(scope="session")
def no_face(engine, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 1 s test pattern: a valid video without a face in it."""
    path = tmp_path_factory.mktemp("noface") / "test pattern.mp4"
    ffmpeg_run("-f", "lavfi", "-i", "testsrc=size=160x120:rate=30", "-t", "1",
                "-pix_fmt", "yuv420p", str(path))  # fmt: skip
    return path


def shape_key_curves(head: bpy.types.Object) -> list:
    key = head.data.shape_keys
    return take_fcurves(key.animation_data.action, key)


def one_line_error(err: pytest.ExceptionInfo) -> str:
    lines = str(err.value).strip().splitlines()
    assert len(lines) == 1, lines
    return lines[0]


def all_strips(scene: bpy.types.Scene):
    editor = scene.sequence_editor_create()
    return editor.strips if hasattr(editor, "strips") else editor.sequences


def user_strip(scene: bpy.types.Scene, sound: Path) -> str:
    return all_strips(scene).new_sound("my own sound", str(sound), 3, 1).name


def test_the_capture_command_is_an_argv_list_without_a_shell(tmp_path):
    video = tmp_path / "a b; rm -rf ~.mp4"
    argv = engine_argv("/py", CaptureRequest(video), tmp_path / "out.npz")
    assert argv == ["/py", "-m", "core.cli", "--progress", "json", "capture", str(video),
                    "-o", str(tmp_path / "out.npz")]  # fmt: skip


def test_a_capture_lands_as_a_new_take_that_survives_save_and_reopen(
    template_head, clips, tmp_path
):
    scene = bpy.context.scene
    scene.render.fps = 24  # the engine's 30 fps capture is written at the scene's rate
    settings = scene.musicface
    settings.video = str(clips.sound)
    # What the user had: an action on the face and a sound strip of their own.
    key = template_head.data.shape_keys
    mine = bpy.data.actions.new("my face take")
    key.animation_data_create().action = mine
    own = user_strip(scene, clips.sound) if AUDIO else None

    # As a click would call it; with no window (-b) the operator takes its blocking path.
    assert bpy.ops.musicface.capture("INVOKE_DEFAULT") == {"FINISHED"}

    frames = CLIP_SECONDS * 24
    take = key.animation_data.action
    assert take != mine and take.name == "the singer"
    assert "my face take" in bpy.data.actions
    curves = shape_key_curves(template_head)
    assert len(curves) == 52
    assert {len(c.keyframe_points) for c in curves} == {frames}
    assert (scene.frame_start, scene.frame_end) == (1, frames)
    # A real capture: the face moves (the jaw opens and closes as she sings).
    jaw = next(c for c in curves if c.data_path == 'key_blocks["jawOpen"].value')
    values = np.array([k.co[1] for k in jaw.keyframe_points])
    assert values.max() - values.min() > 0.05 and 0 <= values.min() and values.max() <= 1
    pivot = template_head.parent
    assert len(take_fcurves(pivot.animation_data.action, pivot)) == 6
    assert json.loads(take["musicface"])["source"] == "capture"
    strips = song_strips(scene)
    assert len(strips) == (1 if AUDIO else 0)
    if AUDIO:
        # The video itself is the sound source: Blender reads its audio track.
        assert Path(bpy.path.abspath(strips[0].sound.filepath)) == clips.sound
        assert strips[0].frame_start == 1 and strips[0].frame_final_duration == frames
        assert own in [s.name for s in all_strips(scene)]

    head_name, saved = template_head.name, tmp_path / "captured.blend"
    bpy.ops.wm.save_as_mainfile(filepath=str(saved))
    bpy.ops.wm.read_factory_settings(use_empty=True)
    bpy.ops.wm.open_mainfile(filepath=str(saved))
    scene = bpy.context.scene
    head = bpy.data.objects[head_name]
    key = head.data.shape_keys
    assert key.animation_data.action.name == "the singer"
    assert {len(c.keyframe_points) for c in shape_key_curves(head)} == {frames}
    assert "my face take" in bpy.data.actions
    assert scene.frame_end == frames
    strips = song_strips(scene)
    assert len(strips) == (1 if AUDIO else 0)
    if AUDIO:
        assert Path(bpy.path.abspath(strips[0].sound.filepath)).resolve() == clips.sound.resolve()


def test_a_silent_video_lands_without_a_sound_strip_and_says_so(template_head, clips, song):
    scene = bpy.context.scene
    if AUDIO:
        set_song_strip(scene, song, 1)  # MusicFace's strip of an earlier (song) take
        own = user_strip(scene, song)
    scene.musicface.video = str(clips.silent)
    context = bpy.context
    inputs = gather_capture(context)
    job = start_engine(context, inputs)
    try:
        assert job.wait(), job.error
        result = finish_capture(context, inputs, job.output)
    finally:
        job.cleanup()
    level, text = summary(result)
    assert level == {"WARNING"}
    assert "silent singer.mp4 has no sound: no sound strip" in text and "\n" not in text
    assert template_head.data.shape_keys.animation_data.action.name == "silent singer"
    assert scene.frame_end == CLIP_SECONDS * 30
    # What plays is this take's sound (none): MusicFace's earlier strip went, the user's stayed.
    assert song_strips(scene) == []
    if AUDIO:
        assert [s.name for s in all_strips(scene)] == [own]


def test_a_missing_video_is_a_report_and_changes_nothing(template_head):
    scene = bpy.context.scene
    before = scene_state(scene)
    with pytest.raises(RuntimeError) as err:
        bpy.ops.musicface.capture()
    assert "Pick a video" in one_line_error(err)
    scene.musicface.video = "/nowhere/my face.mp4"
    with pytest.raises(RuntimeError) as err:
        bpy.ops.musicface.capture()
    assert "Video not found: /nowhere/my face.mp4" in one_line_error(err)
    assert scene_state(scene) == before


@pytest.mark.parametrize(
    ("which", "text"),
    [("not_a_video", "cannot read notes.mp4 as a video"), ("no_face", "no face found")],
)
def test_a_bad_video_is_a_one_line_engine_report_and_changes_nothing(
    template_head, face_model, no_face, tmp_path, which, text
):
    video = no_face
    if which == "not_a_video":
        video = tmp_path / "notes.mp4"
        video.write_text("these are not pictures")
    scene = bpy.context.scene
    scene.musicface.video = str(video)
    before = scene_state(scene)
    with pytest.raises(RuntimeError) as err:
        bpy.ops.musicface.capture()
    line = one_line_error(err)
    assert "MusicFace engine: " in line and text in line and "Traceback" not in line
    assert scene_state(scene) == before


def test_a_missing_face_model_is_reported_as_one(template_head, no_face, monkeypatch):
    # The engine inherits the environment: point it at a model that is not there.
    monkeypatch.setenv("MUSICFACE_FACE_LANDMARKER", "/nowhere/face_landmarker.task")
    scene = bpy.context.scene
    scene.musicface.video = str(no_face)
    before = scene_state(scene)
    context = bpy.context
    job = start_engine(context, gather_capture(context))
    assert not job.wait()
    assert job.kind == "missing_model" and "face landmarker is not installed" in job.error
    with pytest.raises(RuntimeError) as err:
        bpy.ops.musicface.capture()
    assert "make setup" in one_line_error(err)
    assert scene_state(scene) == before


class _Operator(HandDriven, EngineTakeOperator):
    pass


def test_esc_during_a_capture_ends_the_engine_and_leaves_the_scene_unchanged(
    template_head, face_model
):
    if not FACE_VIDEO.is_file():
        pytest.skip(f"real data not available: {REALDATA}")
    scene = bpy.context.scene
    scene.musicface.video = str(FACE_VIDEO)  # 15 s: surely still at work when Esc comes
    before = scene_state(scene)
    context, status = hand_context(scene)
    operator = _Operator()
    operator._job = job = start_engine(bpy.context, gather_capture(bpy.context))
    RUNNING["job"] = job
    try:
        deadline = time.monotonic() + 60
        timer = SimpleNamespace(type="TIMER", value="NOTHING")
        while job.stage != "capture" and time.monotonic() < deadline:
            assert operator.modal(context, timer) == {"RUNNING_MODAL"}, job.error
            time.sleep(0.05)
        assert job.stage == "capture" and not job.finished
        assert status[-1].startswith("MusicFace: capture")  # what the status bar says
        workdir = job.workdir
        esc = SimpleNamespace(type="ESC", value="PRESS")
        assert operator.modal(context, esc) == {"CANCELLED"}
        assert "job" not in RUNNING  # the panel's buttons come back
    finally:
        if not job.finished:
            job.cancel()
        RUNNING.pop("job", None)
    assert job.kind == "cancelled" and job._process.poll() is not None
    assert workdir is not None and not workdir.exists()
    assert status[-1] is None
    assert operator.reports == [({"WARNING"}, "MusicFace: cancelled; the scene is unchanged")]
    assert scene_state(scene) == before


def test_capture_is_declared_as_one_undo_step():
    assert {"REGISTER", "UNDO"} <= bpy.types.MUSICFACE_OT_capture.bl_options
