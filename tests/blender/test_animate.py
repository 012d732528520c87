"""`musicface animate`: song → Performance in the engine → keyframes by the Blender side's
batch job (its own process) → a saved .blend, read back here."""

from __future__ import annotations

import ast
import importlib.util
import json
import subprocess
from pathlib import Path

import bpy
import pytest

from musicface_blender.animation.fcurves import take_fcurves
from musicface_blender.scene_setup import song_strips
from tests.blender.conftest import (
    ENGINE_PYTHON,
    REPO,
    TEMPLATE,
    arkit_mesh,
    make_performance,
    write_song,
)

# The command is the engine's: it runs in .venv whichever interpreter runs these tests.
needs_engine = pytest.mark.skipif(
    importlib.util.find_spec("torch") is None, reason="engine command, tested with the engine"
)


def animate(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(ENGINE_PYTHON), "-m", "core.cli", "--progress", "json", "animate", *args],
        capture_output=True,
        text=True,
        cwd=REPO,
        check=False,
        timeout=600,
    )


@needs_engine
def test_animate_writes_a_blend_with_the_singing_template(
    scene, song: Path, engine_checkpoint: Path, tmp_path: Path
):
    if not TEMPLATE.is_file():
        pytest.skip("head template not built")
    out = tmp_path / "scene.blend"
    done = animate(str(song), "-o", str(out), "--checkpoint", str(engine_checkpoint),
                   "--separator", "dsp", "--fps", "25", "--seed", "4")  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    events = [json.loads(line) for line in done.stdout.splitlines()]
    assert events[-1] == {"done": str(out)}
    assert all("stage" in e for e in events[:-1])

    bpy.ops.wm.open_mainfile(filepath=str(out))
    scene = bpy.context.scene
    head = bpy.data.objects["MusicFace_Head"]
    key = head.data.shape_keys
    curves = take_fcurves(key.animation_data.action, key)
    assert len(curves) == 52 and {len(c.keyframe_points) for c in curves} == {50}
    assert (scene.render.fps, scene.frame_end) == (25, 50)
    assert key.animation_data.action.name == "little song seed 4"
    assert len(song_strips(scene)) == 1
    assert "MusicFace: little song seed 4: 64 curves, frames 1–50" in done.stderr


@needs_engine
def test_animate_onto_a_users_head_in_a_users_file(scene, engine_checkpoint, tmp_path: Path):
    """FILE.blend:OBJECT: a head with only some ARKit keys, simplified keys, missing ones named."""
    arkit_mesh("Singer", ["jawOpen", "eyeBlink_L", "eyeBlink_R"])
    users = tmp_path / "users scene.blend"
    bpy.ops.wm.save_as_mainfile(filepath=str(users))
    song = write_song(tmp_path / "short.wav", seconds=1.5)
    out = tmp_path / "sung.blend"
    done = animate(str(song), "-o", str(out), "--target", f"{users}:Singer", "--simplify", "0.05",
                   "--checkpoint", str(engine_checkpoint), "--separator", "dsp")  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    assert "49 ARKit shapes missing" in done.stderr

    bpy.ops.wm.open_mainfile(filepath=str(out))
    key = bpy.data.objects["Singer"].data.shape_keys
    curves = {c.data_path: c for c in take_fcurves(key.animation_data.action, key)}
    assert set(curves) == {
        f'key_blocks["{n}"].value' for n in ("jawOpen", "eyeBlink_L", "eyeBlink_R")
    }
    assert all(0 < len(c.keyframe_points) < 45 for c in curves.values())  # simplified
    assert not (REPO / "blend_templates" / "sung.blend").exists()


@needs_engine
def test_a_blender_side_error_comes_back_as_the_same_one_line_error(scene, song, tmp_path):
    """What the batch job refuses (a head not in the file) is the engine's BadInput (exit 2)."""
    from core.commands.animate import run_headless
    from core.errors import BadInput

    arkit_mesh("Singer", ["jawOpen"])
    users = tmp_path / "users.blend"
    bpy.ops.wm.save_as_mainfile(filepath=str(users))
    performance = make_performance().save(tmp_path / "take.npz")
    argv = ["--", "--blend", str(users), "--target", "Nobody", "--song", str(song),
            "--performance", str(performance), "--out", str(tmp_path / "x.blend")]  # fmt: skip
    with pytest.raises(BadInput) as raised:
        run_headless("keyframes", argv, "writing the keyframes failed")
    assert str(raised.value) == "no mesh named 'Nobody' in the scene"
    assert not (tmp_path / "x.blend").exists()


def imported_packages(source: str) -> set[str]:
    """The top-level packages a module imports (absolute imports)."""
    names = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module)
    return {name.split(".")[0] for name in names}


def test_the_engine_never_reaches_up_into_the_blender_side():
    """Data flows song → engine → Performance → keyframes: core/ never names the add-on, and
    only the template builder imports bpy."""
    for path in sorted((REPO / "core").rglob("*.py")):
        source = path.read_text()
        assert "musicface_blender" not in source, path
        if path.name != "blend_template.py":
            assert "bpy" not in imported_packages(source), path
