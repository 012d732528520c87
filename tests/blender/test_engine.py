"""The real engine path: `python -m core.cli generate` as a subprocess, followed, cancelled."""

from __future__ import annotations

import time
from pathlib import Path

import bpy
import pytest

from musicface_blender.animation.fcurves import take_fcurves
from musicface_blender.engine import EngineJob, GenerateRequest, check_engine, find_engine_python
from musicface_blender.ops_engine import start_engine
from musicface_blender.scene_setup import song_strips
from musicface_blender.take_inputs import gather
from tests.blender.conftest import AUDIO, ENGINE_PYTHON, scene_state, write_song


@pytest.fixture
def engine_settings(template_head, song, engine_checkpoint):
    settings = bpy.context.scene.musicface
    settings.song = str(song)
    settings.checkpoint = str(engine_checkpoint)
    settings.separator = "dsp"
    settings.seed = 3
    return settings


def test_the_engine_is_found_in_this_repository():
    found = find_engine_python()
    assert found is not None and Path(found[0]) == ENGINE_PYTHON
    ok, text = check_engine(found[0])
    assert ok, text


def test_generate_runs_the_engine_and_writes_the_take(engine_settings, template_head):
    scene = bpy.context.scene
    scene.render.fps = 24  # the engine's 30 fps take is written at the scene's rate
    # As a click would call it; with no window (-b) the operator takes its blocking path.
    assert bpy.ops.musicface.generate("INVOKE_DEFAULT") == {"FINISHED"}
    key = template_head.data.shape_keys
    curves = take_fcurves(key.animation_data.action, key)
    assert len(curves) == 52
    assert {len(c.keyframe_points) for c in curves} == {48}  # 2 s at 24 fps
    assert key.animation_data.action.name == "little song seed 3"
    assert len(song_strips(scene)) == (1 if AUDIO else 0)


def test_an_undecodable_song_is_a_report_not_a_crash(engine_settings, tmp_path):
    not_audio = tmp_path / "notes.mp3"
    not_audio.write_text("these are not sounds")
    engine_settings.song = str(not_audio)
    before = scene_state(bpy.context.scene)
    with pytest.raises(RuntimeError, match="MusicFace engine"):
        bpy.ops.musicface.generate()
    assert scene_state(bpy.context.scene) == before


def test_cancelling_ends_the_engine_and_leaves_the_scene_unchanged(engine_settings, tmp_path):
    # A long song, so the engine is surely still at work when Esc comes.
    engine_settings.song = str(write_song(tmp_path / "long.wav", seconds=60.0))
    context = bpy.context
    before = scene_state(context.scene)
    job = start_engine(context, gather(context))
    deadline = time.monotonic() + 60
    while job.stage == "starting" and not job.poll() and time.monotonic() < deadline:
        time.sleep(0.05)  # wait until the engine is really at work
    assert not job.finished, job.error
    workdir = job.workdir
    job.cancel()
    assert job.finished and job.kind == "cancelled"
    assert job._process.poll() is not None  # the subprocess is gone
    assert workdir is not None and not workdir.exists()
    assert scene_state(context.scene) == before


def test_a_missing_engine_python_is_reported():
    job = EngineJob("/nowhere/python", GenerateRequest(song=Path("x.wav")))
    job.start()
    assert job.poll() and not job.succeeded
    assert "cannot start the engine" in job.error and job.kind == "missing_model"


def test_check_engine_reports_what_it_found():
    assert bpy.ops.musicface.check_engine() == {"FINISHED"}
    # A configured interpreter that does not exist is not silently replaced by another.
    assert find_engine_python("/nowhere/python") is None
    ok, text = check_engine("/nowhere/python")
    assert not ok and "cannot run" in text


def test_the_mouth_gate_setting_reaches_the_engine(engine_settings, tmp_path):
    out = tmp_path / "take.npz"
    request = gather(bpy.context).request
    assert request.mouth_gate and "--no-mouth-gate" not in request.arguments(out)
    engine_settings.mouth_gate = False
    request = gather(bpy.context).request
    assert request.arguments(out)[:5] == [
        "generate",
        str(request.song),
        "-o",
        str(out),
        "--no-mouth-gate",
    ]
