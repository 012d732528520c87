"""`musicface animate`: song → .blend through the engine in-process and the add-on's writer."""

from __future__ import annotations

import importlib.util
import json
import subprocess
from pathlib import Path

import bpy
import pytest

from musicface_blender.animation.fcurves import take_fcurves
from musicface_blender.scene_setup import song_strips
from tests.blender.conftest import ENGINE_PYTHON, REPO, TEMPLATE

# The command is the engine's: it runs in .venv whichever interpreter runs these tests.
pytestmark = pytest.mark.skipif(
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


def test_animate_user_errors_are_one_line(song: Path, tmp_path: Path):
    done = animate(str(song), "-o", str(tmp_path / "x.blend"), "--target", "nowhere.blend:Head")
    assert done.returncode == 2
    assert "blend file not found" in done.stderr and "Traceback" not in done.stderr
    done = animate(str(song), "-o", str(tmp_path / "x.txt"))
    assert done.returncode == 2
