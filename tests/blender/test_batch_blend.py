"""`musicface batch --blend`: each song's take written into the user's scene by the add-on's
batch job on a Dask worker, one .blend per song, read back here; the user's file untouched."""

from __future__ import annotations

import importlib.util
import json
import subprocess
from pathlib import Path

import bpy
import pytest

from musicface_blender.animation.fcurves import take_fcurves
from musicface_blender.scene_setup import song_strips
from tests.blender.conftest import ENGINE_PYTHON, REPO, arkit_mesh, write_song

needs_engine = pytest.mark.skipif(
    importlib.util.find_spec("torch") is None, reason="engine command, tested with the engine"
)


@needs_engine
def test_batch_animates_the_users_scene_once_per_song(scene, engine_checkpoint, tmp_path: Path):
    arkit_mesh("Singer", ["jawOpen", "eyeBlink_L", "eyeBlink_R"])
    users = tmp_path / "studio scene.blend"
    bpy.ops.wm.save_as_mainfile(filepath=str(users))
    before = users.read_bytes()
    songs = tmp_path / "songs"
    songs.mkdir()
    write_song(songs / "verse.wav", seconds=1.5)
    write_song(songs / "chorus.wav", seconds=2.0)
    out = tmp_path / "out"
    done = subprocess.run(
        [
            str(ENGINE_PYTHON),
            "-m",
            "core.cli",
            "--progress",
            "none",
            "batch",
            str(songs),
            "-o",
            str(out),
            "--blend",
            str(users),
            "--target",
            "Singer",
            "--workers",
            "1",
            "--checkpoint",
            str(engine_checkpoint),
            "--separator",
            "dsp",
            "--no-dashboard",
        ],
        capture_output=True,
        text=True,
        cwd=REPO,
        check=False,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert users.read_bytes() == before  # the user's scene is only read
    report = json.loads((out / "report.json").read_text())
    assert [s["status"] for s in report["songs"]] == ["done", "done"]

    for name, frames in (("chorus", 60), ("verse", 45)):  # the scene's 30 fps
        folder = out / name
        assert sorted(p.name for p in folder.iterdir()) == [
            "record.json",
            "scene.blend",
            "take.npz",
        ]
        bpy.ops.wm.open_mainfile(filepath=str(folder / "scene.blend"))
        key = bpy.data.objects["Singer"].data.shape_keys
        curves = take_fcurves(key.animation_data.action, key)
        assert len(curves) == 3
        assert {len(c.keyframe_points) for c in curves} == {frames}
        assert len(song_strips(bpy.context.scene)) == 1  # written by the engine's bpy 4.5
        assert bpy.context.scene.frame_end == frames
