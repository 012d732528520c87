"""Generate onto a head from a Performance file: curves, keys, values, sound, range, takes."""

from __future__ import annotations

import math
from pathlib import Path

import bpy
import numpy as np
import pytest

from musicface_blender.animation.fcurves import take_fcurves
from musicface_blender.core_link import ARKIT_NAMES, Performance
from musicface_blender.scene_setup import song_strips
from musicface_blender.simplify import simplify_curve
from tests.blender.conftest import AUDIO, arkit_mesh, make_performance, scene_state

POSE_PATHS = {"rotation_euler", "location"}


def generate(performance: Path) -> set[str]:
    return bpy.ops.musicface.generate(performance=str(performance))


def shape_key_curves(head: bpy.types.Object) -> list:
    key = head.data.shape_keys
    return take_fcurves(key.animation_data.action, key)


def pose_curves(obj: bpy.types.Object) -> list:
    curves = take_fcurves(obj.animation_data.action, obj)
    return [c for c in curves if c.data_path.rsplit(".", 1)[-1] in POSE_PATHS]


def test_a_take_drives_all_52_shape_keys_and_the_neck(template_head, performance_file, song):
    scene = bpy.context.scene
    scene.musicface.song = str(song)
    assert generate(performance_file) == {"FINISHED"}

    expected = Performance.load(performance_file)
    curves = shape_key_curves(template_head)
    assert len(curves) == 52
    pivot = template_head.parent
    assert len(pose_curves(pivot)) == 6
    assert all(len(c.keyframe_points) == expected.frames for c in curves + pose_curves(pivot))
    assert (scene.frame_start, scene.frame_end) == (1, expected.frames)

    # Every frame equals the Performance, as Blender evaluates it.
    by_name = {c.data_path: c for c in curves}
    for column, name in enumerate(ARKIT_NAMES):
        curve = by_name[f'key_blocks["{name}"].value']
        values = [curve.evaluate(1 + k) for k in range(expected.frames)]
        assert np.max(np.abs(np.array(values) - expected.expression[:, column])) <= 1e-4
    scene.frame_set(21)
    assert template_head.data.shape_keys.key_blocks["jawOpen"].value == pytest.approx(
        expected.expression[20, ARKIT_NAMES.index("jawOpen")], abs=1e-4
    )
    assert np.allclose(pivot.rotation_euler, expected.pose[20, :3], atol=1e-4)
    assert np.allclose(pivot.location, expected.pose[20, 3:], atol=1e-4)

    strips = song_strips(scene)
    assert len(strips) == (1 if AUDIO else 0)
    if AUDIO:
        assert Path(bpy.path.abspath(strips[0].sound.filepath)) == song
        assert strips[0].frame_start == 1
    beats = [m for m in scene.timeline_markers if m.name.startswith("♪")]
    assert [m.frame for m in beats] == [1 + round(b * 30) for b in expected.beats]
    assert "musicface_attention_expression_vocals" in template_head


@pytest.mark.parametrize("fps", [24, 30])
def test_key_count_follows_the_scene_fps(template_head, performance_file, fps):
    scene = bpy.context.scene
    scene.render.fps = fps
    assert generate(performance_file) == {"FINISHED"}
    frames = math.ceil(2.0 * fps)
    curves = shape_key_curves(template_head)
    assert {len(c.keyframe_points) for c in curves} == {frames}
    assert scene.frame_end == scene.frame_start + frames - 1
    # Resampled, not stretched: frame 1 + fps is one second in.
    expected = Performance.load(performance_file)
    column = ARKIT_NAMES.index("jawOpen")
    curve = next(c for c in curves if c.data_path == 'key_blocks["jawOpen"].value')
    assert curve.evaluate(1 + fps) == pytest.approx(expected.expression[30, column], abs=1e-4)


def test_a_second_take_keeps_the_first(template_head, tmp_path, song):
    scene = bpy.context.scene
    scene.musicface.song = str(song)
    editor = scene.sequence_editor_create()
    strips = editor.strips if hasattr(editor, "strips") else editor.sequences
    if AUDIO:
        strips.new_sound("my own sound", str(song), 5, 1)

    scene.musicface.seed = 1
    assert generate(make_performance(seed=1).save(tmp_path / "one.npz")) == {"FINISHED"}
    first = template_head.data.shape_keys.animation_data.action
    scene.musicface.seed = 2
    assert generate(make_performance(seed=2).save(tmp_path / "two.npz")) == {"FINISHED"}
    second = template_head.data.shape_keys.animation_data.action

    assert first != second
    assert first.name == "little song seed 1" and second.name == "little song seed 2"
    assert first.name in bpy.data.actions and first.use_fake_user
    assert len(take_fcurves(first)) == len(take_fcurves(second))
    if AUDIO:
        assert len(song_strips(scene)) == 1  # our strip replaced, the user's kept
        assert "my own sound" in [s.name for s in strips]


def test_a_rig_with_L_R_key_names_is_driven(scene, performance_file):
    def rig_name(name: str) -> str:
        return name.replace("Left", "_L").replace("Right", "_R")

    names = [rig_name(n) for n in ARKIT_NAMES if n != "tongueOut"]  # one missing on purpose
    head = arkit_mesh("Rig", names)
    assert generate(performance_file) == {"FINISHED"}

    curves = {c.data_path: c for c in shape_key_curves(head)}
    assert len(curves) == 51
    expected = Performance.load(performance_file)
    blink = curves['key_blocks["eyeBlink_L"].value']
    column = ARKIT_NAMES.index("eyeBlinkLeft")
    assert blink.evaluate(12) == pytest.approx(expected.expression[11, column], abs=1e-4)
    # No template pivot: the head pose goes onto the object itself.
    assert len(pose_curves(head)) == 6


def test_simplified_keys_stay_within_the_error(template_head, tmp_path):
    scene = bpy.context.scene
    scene.musicface.keyframes, scene.musicface.max_error = "SIMPLIFIED", 0.02
    performance = make_performance(seconds=8.0)
    assert generate(performance.save(tmp_path / "long.npz")) == {"FINISHED"}
    curves = shape_key_curves(template_head)
    keys = sum(len(c.keyframe_points) for c in curves)
    expected_keys = sum(len(simplify_curve(c, 0.02)) for c in performance.expression.T)
    assert keys == expected_keys < 52 * performance.frames
    by_name = {c.data_path: c for c in curves}
    for column, name in enumerate(ARKIT_NAMES):
        curve = by_name[f'key_blocks["{name}"].value']
        values = np.array([curve.evaluate(1 + k) for k in range(performance.frames)])
        assert np.max(np.abs(values - performance.expression[:, column])) <= 0.02 + 1e-5


def test_strengths_scale_their_layers(template_head, performance_file):
    settings = bpy.context.scene.musicface
    settings.strength_expression, settings.strength_head = 0.5, 0.0
    assert generate(performance_file) == {"FINISHED"}
    expected = Performance.load(performance_file)
    curves = {c.data_path: c for c in shape_key_curves(template_head)}
    column = ARKIT_NAMES.index("jawOpen")
    jaw = curves['key_blocks["jawOpen"].value']
    assert jaw.evaluate(5) == pytest.approx(0.5 * expected.expression[4, column], abs=1e-4)
    assert all(
        abs(k.co[1]) < 1e-6
        for c in pose_curves(template_head.parent)
        for k in c.keyframe_points
        if c.data_path == "rotation_euler"
    )


def test_head_pose_onto_a_pose_bone(scene, performance_file):
    head = arkit_mesh("Head", list(ARKIT_NAMES))
    armature = bpy.data.objects.new("Rig", bpy.data.armatures.new("Rig"))
    scene.collection.objects.link(armature)
    bpy.context.view_layer.objects.active = armature
    bpy.ops.object.mode_set(mode="EDIT")
    bone = armature.data.edit_bones.new("neck")
    bone.head, bone.tail = (0, 0, 1.4), (0, 0, 1.55)  # pointing up: bone Y is world Z
    bpy.ops.object.mode_set(mode="OBJECT")
    settings = scene.musicface
    settings.target = head
    settings.pose_mode, settings.pose_object, settings.pose_bone = "BONE", armature, "neck"
    assert generate(performance_file) == {"FINISHED"}

    expected = Performance.load(performance_file)
    scene.frame_set(11)
    pose_bone = armature.pose.bones["neck"]
    # The bone's world rotation is the Performance's (world-axis) rotation.
    world = np.array((armature.matrix_world @ pose_bone.matrix).to_3x3())
    rest = np.array(pose_bone.bone.matrix_local.to_3x3())
    from musicface_blender.pose_axes import euler_xyz_to_matrix

    assert np.allclose(world @ rest.T, euler_xyz_to_matrix(expected.pose[10, :3]), atol=1e-4)


def test_a_bad_song_path_is_a_report_and_changes_nothing(template_head):
    scene = bpy.context.scene
    scene.musicface.song = "/nowhere/missing song.mp3"
    before = scene_state(scene)
    with pytest.raises(RuntimeError, match="Song not found"):
        bpy.ops.musicface.generate()
    assert scene_state(scene) == before


def test_generate_is_declared_as_one_undo_step():
    # Undo itself needs a window (not available headless); the operator writes the whole
    # take in one execute (or one modal finish) and asks Blender for the undo push.
    assert {"REGISTER", "UNDO"} <= bpy.types.MUSICFACE_OT_generate.bl_options


def test_the_users_own_action_survives_a_take_and_a_save(template_head, performance_file, tmp_path):
    key = template_head.data.shape_keys
    mine = bpy.data.actions.new("my own keys")
    key.animation_data_create().action = mine
    assert generate(performance_file) == {"FINISHED"}
    assert key.animation_data.action != mine
    # Unassigned, it has no user left: without a fake user Blender would drop it on save.
    saved = tmp_path / "kept.blend"
    bpy.ops.wm.save_as_mainfile(filepath=str(saved))
    bpy.ops.wm.open_mainfile(filepath=str(saved))
    assert "my own keys" in bpy.data.actions
