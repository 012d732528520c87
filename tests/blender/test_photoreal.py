"""The photoreal pass, Blender side: the take sampled back as it plays, and "Render photoreal"."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import bpy
import numpy as np
import pytest

from musicface_blender.animation.fcurves import take_fcurves
from musicface_blender.animation.head_pose import POSE_ERROR_SCALE
from musicface_blender.core_link import ARKIT_NAMES, BadInput, MusicFaceError, Performance
from musicface_blender.engine import RenderRequest, engine_argv
from musicface_blender.ops_engine import RUNNING
from musicface_blender.ops_photoreal import PhotorealRun, free_path, output_path
from musicface_blender.sample_back import PoseTarget, sample_performance
from musicface_blender.scene_setup import scene_strips, song_strips
from tests.blender.conftest import (
    ENGINE_PYTHON,
    REPO,
    TEMPLATE,
    HandDriven,
    hand_context,
    make_performance,
    scene_state,
)

JAW = ARKIT_NAMES.index("jawOpen")
BLINKS = [ARKIT_NAMES.index("eyeBlinkLeft"), ARKIT_NAMES.index("eyeBlinkRight")]


def write_take(performance: Path, max_error: float = 0.0) -> None:
    settings = bpy.context.scene.musicface
    if max_error:
        settings.keyframes, settings.max_error = "SIMPLIFIED", max_error
    assert bpy.ops.musicface.generate(performance=str(performance)) == {"FINISHED"}


def sample(head: bpy.types.Object) -> Performance:
    return sample_performance(bpy.context.scene, head, PoseTarget(head.parent))


def curve(id_block: bpy.types.ID, data_path: str, index: int = 0):
    curves = take_fcurves(id_block.animation_data.action, id_block)
    return next(c for c in curves if c.data_path == data_path and c.array_index == index)


@pytest.mark.parametrize("max_error", [0.0, 0.01])
def test_a_take_samples_back_to_the_performance_it_was_written_from(
    template_head, performance_file, song, max_error
):
    scene = bpy.context.scene
    scene.musicface.song = str(song)
    write_take(performance_file, max_error)
    expected = Performance.load(performance_file)

    sampled = sample(template_head)

    assert sampled.fps == 30 and sampled.frames == expected.frames
    assert sampled.names == ARKIT_NAMES
    # Every key on every frame comes back to float precision; simplified keys within
    # the simplifier's bound (shape keys in [0, 1], the pose's tighter per-channel one).
    tolerance = max(max_error, 1e-5) + 1e-5
    assert np.abs(sampled.expression - expected.expression).max() <= tolerance
    pose_tolerance = np.maximum(max_error * POSE_ERROR_SCALE, 1e-5) + 1e-5
    assert (np.abs(sampled.pose - expected.pose).max(axis=0) <= pose_tolerance).all()
    # The eye state as it plays: the blink columns' mean, all in the blink part.
    assert np.allclose(sampled.eye_blink, sampled.expression[:, BLINKS].mean(axis=1))
    assert not sampled.eye_long.any()
    meta = sampled.meta
    assert meta["source"] == "blender" and meta["scene"] == scene.name
    assert meta["object"] == template_head.name == "MusicFace_Head"
    assert meta["action"] == "little song seed 0"
    assert meta["pose_target"] == "MusicFace_NeckPivot"
    assert Path(meta["song"]) == song  # the sound strip's file (or what the take recorded)
    assert meta["missing"] == [] and meta["take"]["seed"] == 0
    assert scene.frame_current == 1  # the scene is left on the frame it was on


def test_the_sample_sees_a_hand_edit_and_survives_save_and_reopen(
    template_head, performance_file, tmp_path
):
    write_take(performance_file)
    expected = Performance.load(performance_file)
    key = template_head.data.shape_keys
    pivot = template_head.parent
    # The artist drags two keys: the jaw wide open at frame 21, the head turned at 31.
    curve(key, 'key_blocks["jawOpen"].value').keyframe_points[20].co.y = 0.95
    turn = curve(pivot, "rotation_euler", 2)
    turn.keyframe_points[30].co.y = 0.4
    turn.update()

    sampled = sample(template_head)
    assert sampled.expression[20, JAW] == pytest.approx(0.95, abs=1e-6)
    assert sampled.pose[30, 2] == pytest.approx(0.4, abs=1e-6)
    # The neighbours keep the take's values: only the edit changed.
    assert sampled.expression[19, JAW] == pytest.approx(expected.expression[19, JAW], abs=1e-5)
    assert sampled.pose[29, 2] == pytest.approx(expected.pose[29, 2], abs=1e-5)
    assert abs(sampled.expression[20, JAW] - expected.expression[20, JAW]) > 0.05

    saved = tmp_path / "edited.blend"
    bpy.ops.wm.save_as_mainfile(filepath=str(saved))
    bpy.ops.wm.read_factory_settings(use_empty=True)
    bpy.ops.wm.open_mainfile(filepath=str(saved))
    head = bpy.data.objects["MusicFace_Head"]
    again = sample(head)
    for name in ("expression", "pose", "eye_long", "eye_blink"):
        assert np.array_equal(getattr(again, name), getattr(sampled, name)), name
    assert again.meta == sampled.meta


def test_what_is_on_the_curves_is_sampled_strengths_and_all(template_head, performance_file):
    settings = bpy.context.scene.musicface
    settings.strength_expression, settings.strength_head = 0.5, 0.25
    write_take(performance_file)
    expected = Performance.load(performance_file)
    sampled = sample(template_head)
    mouth = [i for i, name in enumerate(ARKIT_NAMES) if name not in {"eyeBlinkLeft",
             "eyeBlinkRight"}]  # fmt: skip
    assert np.allclose(sampled.expression[:, mouth], 0.5 * expected.expression[:, mouth], atol=1e-5)
    assert np.allclose(sampled.pose, 0.25 * expected.pose, atol=1e-5)


def test_the_scene_fps_and_range_are_what_is_sampled(template_head, performance_file):
    scene = bpy.context.scene
    scene.render.fps = 24
    write_take(performance_file)
    scene.frame_start, scene.frame_end = 5, 28  # the artist renders a part of it
    sampled = sample(template_head)
    assert sampled.fps == 24 and sampled.frames == 24
    jaw = curve(template_head.data.shape_keys, 'key_blocks["jawOpen"].value')
    assert np.allclose(sampled.expression[:, JAW], [jaw.evaluate(f) for f in range(5, 29)],
                       atol=1e-6)  # fmt: skip
    assert (sampled.meta["frame_start"], sampled.meta["frame_end"]) == (5, 28)


def test_a_head_pose_on_a_rotated_parent_and_on_a_bone_comes_back(template_head, tmp_path):
    performance = make_performance(seconds=1.0, seed=4)
    ramp = np.linspace(0, 1, performance.frames)[:, None]
    performance.pose[:] = ramp * [0.3, -0.2, 0.25, 0.01, 0.02, -0.01]
    path = performance.save(tmp_path / "turns.npz")
    scene = bpy.context.scene
    # An object whose parent is turned and scaled: the pose goes through its axes and back.
    holder = bpy.data.objects.new("Holder", None)
    holder.rotation_euler = (0.4, -0.3, 1.2)
    holder.scale = (2.0, 2.0, 2.0)
    target = bpy.data.objects.new("Turner", None)
    target.parent = holder
    target.location = (0.1, 0.2, 0.3)
    for obj in (holder, target):
        scene.collection.objects.link(obj)
    bpy.context.view_layer.update()
    settings = scene.musicface
    settings.pose_mode, settings.pose_object = "OBJECT", target
    write_take(path)
    sampled = sample_performance(scene, template_head, PoseTarget(target))
    assert np.abs(sampled.pose - performance.pose).max() < 1e-5

    armature = bpy.data.armatures.new("Rig")
    rig = bpy.data.objects.new("Rig", armature)
    scene.collection.objects.link(rig)
    bpy.context.view_layer.objects.active = rig
    bpy.ops.object.mode_set(mode="EDIT")
    bone = armature.edit_bones.new("neck")
    bone.head, bone.tail = (0, 0, 1.4), (0, -0.05, 1.6)  # leaning forward: a rotated rest
    bpy.ops.object.mode_set(mode="OBJECT")
    bpy.context.view_layer.objects.active = template_head
    settings.pose_mode, settings.pose_object, settings.pose_bone = "BONE", rig, "neck"
    write_take(path)
    sampled = sample_performance(scene, template_head, PoseTarget(rig, "neck"))
    assert np.abs(sampled.pose - performance.pose).max() < 1e-5


def test_no_head_is_one_clear_line(scene):
    before = scene_state(scene)
    with pytest.raises(RuntimeError) as err:
        bpy.ops.musicface.render_photoreal()
    assert "Pick a head" in str(err.value)
    assert scene_state(scene) == before


def test_a_head_without_a_take_is_one_clear_line(template_head):
    with pytest.raises(BadInput, match="has no take to render: generate or capture one"):
        sample(template_head)
    before = scene_state(bpy.context.scene)
    with pytest.raises(RuntimeError) as err:
        bpy.ops.musicface.render_photoreal()
    assert "MusicFace_Head has no take to render" in str(err.value)
    assert scene_state(bpy.context.scene) == before


def test_an_unsaved_blend_with_a_relative_output_is_one_clear_line(template_head, performance_file):
    write_take(performance_file)
    assert not bpy.data.filepath
    before = scene_state(bpy.context.scene)
    with pytest.raises(RuntimeError) as err:
        bpy.ops.musicface.render_photoreal()
    text = str(err.value)
    assert "Save the .blend first" in text and "//photoreal/" in text
    assert scene_state(bpy.context.scene) == before


def test_the_output_is_beside_the_blend_and_never_overwrites(template_head, tmp_path):
    bpy.ops.wm.save_as_mainfile(filepath=str(tmp_path / "show.blend"))
    default = output_path("", "little song seed 3")
    assert default == tmp_path / "photoreal" / "little song seed 3.mp4"
    assert output_path("//renders/", "a/b: c") == tmp_path / "renders" / "a_b_ c.mp4"
    with pytest.raises(MusicFaceError, match="must be an .mp4"):
        output_path(str(tmp_path / "video.mov"), "x")
    taken = tmp_path / "take.mp4"
    taken.write_bytes(b"the user's video")
    (tmp_path / "take_1.mp4").write_bytes(b"another")
    assert free_path(taken) == tmp_path / "take_2.mp4"
    assert free_path(tmp_path / "new.mp4") == tmp_path / "new.mp4"


def test_the_render_command_is_an_argv_list_with_the_take_in_the_job_folder(tmp_path):
    request = RenderRequest(make_performance(1.0), renderer=Path("/r/me.pt"), size=512)
    out = tmp_path / "photoreal.mp4"
    assert engine_argv("/py", request, out) == [
        "/py", "-m", "core.cli", "--progress", "json", "render", str(tmp_path / "take.npz"),
        "-o", str(out), "--size", "512", "--renderer", "/r/me.pt",
    ]  # fmt: skip
    request.prepare(tmp_path)
    written = Performance.load(tmp_path / "take.npz")
    assert np.array_equal(written.expression, request.performance.expression)
    assert json.loads(json.dumps(written.meta)) == request.performance.meta


def test_photoreal_is_declared_as_one_undo_step():
    assert {"REGISTER", "UNDO"} <= bpy.types.MUSICFACE_OT_render_photoreal.bl_options


# --- with the real engine (`musicface render`, in the repository's .venv) ----------------


@pytest.fixture(scope="session")
def engine_renderer(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small random-init renderer, made by the engine's own code in .venv (the bundled
    default may not be there: it is trained separately)."""
    if not ENGINE_PYTHON.is_file():
        pytest.skip("the engine's .venv is not installed")
    probe = subprocess.run([str(ENGINE_PYTHON), "-m", "core.cli", "render", "--help"],
                           cwd=REPO, capture_output=True, text=True)  # fmt: skip
    if probe.returncode != 0:
        pytest.skip("this engine has no `render` command")
    path = tmp_path_factory.mktemp("renderer") / "small.pt"
    script = (
        "import sys, torch\n"
        "from core.face.model import FaceModel\n"
        "from core.photoreal.camera import Camera\n"
        "from core.photoreal.network import PhotorealRenderer, RendererConfig\n"
        "from core.photoreal.renderer_file import save_renderer\n"
        "torch.manual_seed(0)\n"
        "model = PhotorealRenderer(RendererConfig(size=256, texture_size=64, base=8))\n"
        "camera = Camera.template(FaceModel.load())\n"
        "save_renderer(sys.argv[1], model, camera, (1.0, 1.0, 1.0), {'identity': 'test'})\n"
    )
    done = subprocess.run([str(ENGINE_PYTHON), "-c", script, str(path)], cwd=REPO,
                          capture_output=True, text=True)  # fmt: skip
    if done.returncode != 0:
        pytest.fail(f"could not make a renderer: {done.stderr[-2000:]}")
    return path


def video_frames(video: Path) -> int:
    """Frames in an .mp4, counted by imageio-ffmpeg's ffmpeg (in the engine's .venv)."""
    script = (
        "import imageio_ffmpeg, sys; print(imageio_ffmpeg.count_frames_and_secs(sys.argv[1])[0])"
    )
    done = subprocess.run([str(ENGINE_PYTHON), "-c", script, str(video)], capture_output=True,
                          text=True, check=True)  # fmt: skip
    return int(done.stdout.strip())


def movie_strips(scene: bpy.types.Scene) -> list:
    return [s for s in scene_strips(scene) if s.type == "MOVIE"] if scene.sequence_editor else []


@pytest.fixture
def saved_take(template_head, song, tmp_path) -> Path:
    """A 1 s take on the template, with the song, in a saved .blend."""
    bpy.context.scene.musicface.song = str(song)
    write_take(make_performance(seconds=1.0).save(tmp_path / "short.npz"))
    blend = tmp_path / "show.blend"
    bpy.ops.wm.save_as_mainfile(filepath=str(blend))
    return blend


def test_render_photoreal_writes_the_video_beside_the_blend_and_adds_it(
    saved_take, engine_renderer, tmp_path
):
    scene = bpy.context.scene
    settings = scene.musicface
    settings.photoreal_renderer = str(engine_renderer)
    settings.photoreal_size = "256"
    songs = [s.name for s in song_strips(scene)]
    # In background mode the operator takes its blocking path.
    assert bpy.ops.musicface.render_photoreal("INVOKE_DEFAULT") == {"FINISHED"}
    video = tmp_path / "photoreal" / "little song seed 0.mp4"
    assert video.is_file() and video_frames(video) == 30
    assert b"mp4a" in video.read_bytes()  # the song, muxed by the engine
    strips = movie_strips(scene)
    if bpy.app.build_options.codec_ffmpeg:  # a Blender with FFmpeg reads it as a movie strip
        assert len(strips) == 1 and strips[0].frame_start == 1
        assert strips[0].frame_final_duration == 30
        assert Path(bpy.path.abspath(strips[0].filepath)) == video
        assert strips[0].channel not in {s.channel for s in song_strips(scene)}
    assert [s.name for s in song_strips(scene)] == songs  # no second sound
    # Again: a new file beside the first, which stays as it was.
    first = video.read_bytes()
    settings.photoreal_to_sequencer = False
    assert bpy.ops.musicface.render_photoreal() == {"FINISHED"}
    assert video.read_bytes() == first
    assert (tmp_path / "photoreal" / "little song seed 0_1.mp4").is_file()
    assert len(movie_strips(scene)) == len(strips)
    assert sorted(p.name for p in (tmp_path / "photoreal").iterdir()) == [
        "little song seed 0.mp4", "little song seed 0_1.mp4"]  # fmt: skip


def test_an_engine_error_is_one_line_and_leaves_no_file(saved_take, tmp_path):
    not_a_renderer = tmp_path / "mine.pt"
    not_a_renderer.write_bytes(b"not weights")
    scene = bpy.context.scene
    scene.musicface.photoreal_renderer = str(not_a_renderer)
    before = scene_state(scene)
    with pytest.raises(RuntimeError) as err:
        bpy.ops.musicface.render_photoreal()
    lines = [line for line in str(err.value).splitlines() if line.strip()]
    assert len(lines) == 1 and "MusicFace engine: " in lines[0]
    assert "mine.pt is not a MusicFace renderer" in lines[0] and "Traceback" not in lines[0]
    assert not (tmp_path / "photoreal").exists()
    assert scene_state(scene) == before


class _Operator(HandDriven, PhotorealRun):
    pass


def test_esc_during_a_photoreal_render_ends_the_engine_and_writes_nothing(
    template_head, engine_renderer, tmp_path
):
    write_take(make_performance(seconds=30.0).save(tmp_path / "long.npz"))
    bpy.ops.wm.save_as_mainfile(filepath=str(tmp_path / "show.blend"))
    scene = bpy.context.scene
    scene.musicface.photoreal_renderer = str(engine_renderer)
    before = scene_state(scene)
    context, status = hand_context(scene)
    operator = _Operator()
    operator._job = job = operator.start_job(bpy.context)
    RUNNING["job"] = job
    try:
        deadline = time.monotonic() + 120
        timer = SimpleNamespace(type="TIMER", value="NOTHING")
        while job.stage != "render" and time.monotonic() < deadline:
            assert operator.modal(context, timer) == {"RUNNING_MODAL"}, job.error
            time.sleep(0.05)
        assert job.stage == "render" and not job.finished
        assert status[-1].startswith("MusicFace: render")
        workdir = job.workdir
        assert (workdir / "take.npz").is_file()  # the sampled take: in the job's folder
        esc = SimpleNamespace(type="ESC", value="PRESS")
        assert operator.modal(context, esc) == {"CANCELLED"}
    finally:
        if not job.finished:
            job.cancel()
        RUNNING.pop("job", None)
    assert job.kind == "cancelled" and job._process.poll() is not None
    assert not workdir.exists()
    assert not (tmp_path / "photoreal").exists()
    assert operator.reports == [({"WARNING"}, "MusicFace: cancelled; the scene is unchanged")]
    assert scene_state(scene) == before


def test_batch_renders_the_take_photoreal(song, engine_renderer, tmp_path):
    if not TEMPLATE.is_file():
        pytest.skip(f"head template not built: {TEMPLATE}")
    take = make_performance(seconds=1.0).save(tmp_path / "short.npz")
    out, video = tmp_path / "sung.blend", tmp_path / "sung photoreal.mp4"
    done = subprocess.run(
        [sys.executable, str(REPO / "musicface_blender" / "batch.py"), "--",
         "--blend", str(TEMPLATE), "--song", str(song), "--performance", str(take),
         "--out", str(out), "--photoreal", str(video), "--renderer", str(engine_renderer),
         "--photoreal-size", "256"],
        capture_output=True, text=True, cwd=REPO, timeout=600,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    assert "musicface: render" in done.stderr  # the engine's progress, as batch prints it
    assert video.is_file() and video_frames(video) == 30
    assert b"mp4a" in video.read_bytes()
    assert out.is_file()


def test_batch_refuses_a_photoreal_output_that_is_not_an_mp4(song, tmp_path):
    take = make_performance(seconds=1.0).save(tmp_path / "short.npz")
    out = tmp_path / "x.blend"
    done = subprocess.run(
        [sys.executable, str(REPO / "musicface_blender" / "batch.py"), "--",
         "--blend", str(TEMPLATE), "--song", str(song), "--performance", str(take),
         "--out", str(out), "--photoreal", str(tmp_path / "x.avi")],
        capture_output=True, text=True, cwd=REPO, timeout=300,
    )  # fmt: skip
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "--photoreal must be an .mp4" in lines[0], lines
    assert not out.exists()
