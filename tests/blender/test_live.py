"""Live: real datagrams on 127.0.0.1 drive the head, bad ones are dropped, Record writes a take."""

from __future__ import annotations

import socket
import threading
import time
from pathlib import Path

import bpy
import numpy as np
import pytest

from musicface_blender.animation.fcurves import take_fcurves
from musicface_blender.core_link import ARKIT_NAMES, datagram
from musicface_blender.ops_live import _Session
from tests.blender.conftest import scene_state

JAW = ARKIT_NAMES.index("jawOpen")


def free_port() -> int:
    probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    return port


def frame(index: int, last: bool = False) -> bytes:
    """Frame `index`: the jaw opens by 0.04 a frame, the head turns 0.01 rad a frame."""
    expression = np.full(52, 0.1, np.float32)
    expression[JAW] = 0.04 * index
    pose = np.array([0.01 * index, 0.0, -0.005 * index, 0.0, 0.0, 0.001], np.float32)
    flags = datagram.FLAG_LAST if last else 0
    now = time.time()
    return datagram.pack(
        datagram.LiveFrame(index, 30.0, now - 0.15, now, expression, pose, 0.0, 0.0, flags)
    )


def send(port: int, *packets: bytes) -> None:
    out = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    for packet in packets:
        out.sendto(packet, ("127.0.0.1", port))
    out.close()


def test_datagrams_drive_the_head_and_bad_or_late_ones_are_dropped(template_head):
    scene = bpy.context.scene
    scene.musicface.live_port = port = free_port()
    pivot = template_head.parent
    keys = template_head.data.shape_keys.key_blocks
    before = scene_state(scene)
    jaw_before, rotation_before = keys["jawOpen"].value, tuple(pivot.rotation_euler)

    session = _Session(bpy.context)
    send(port, frame(3), frame(5))
    time.sleep(0.05)
    assert session.step()
    assert keys["jawOpen"].value == pytest.approx(0.2)  # the newest frame shows
    assert np.allclose(pivot.rotation_euler, [0.05, 0.0, -0.025], atol=1e-6)

    # Not a frame, a frame of another format, and a frame older than the one shown.
    send(port, b"hello", frame(9)[:-4], b"XXXX" + frame(9)[4:], frame(4))
    time.sleep(0.05)
    session.step()
    stats = session.receiver.stats
    assert (stats.malformed, stats.late, stats.applied) == (3, 1, 2)
    assert keys["jawOpen"].value == pytest.approx(0.2)  # none of them applied
    assert stats.latency is not None and 0.1 < stats.latency < 5.0

    line = session.stop(scene)
    assert "2 frames, 1 late, 3 malformed" in line
    # Stopped, the scene is as it was: values back, no keyframes, no action.
    assert keys["jawOpen"].value == jaw_before
    assert tuple(pivot.rotation_euler) == rotation_before
    assert scene_state(scene) == before
    assert template_head.data.shape_keys.animation_data is None


def test_record_writes_what_arrived_as_a_take_that_a_saved_blend_keeps(template_head, tmp_path):
    scene = bpy.context.scene
    settings = scene.musicface
    settings.live_port = port = free_port()
    settings.live_record = True
    n = 12

    def engine() -> None:  # as `musicface live` sends: 30 a second, the last one flagged
        time.sleep(0.3)
        for i in range(n):
            send(port, frame(i, last=i == n - 1))
            if i == 6:
                send(port, b"\x00" * datagram.SIZE)  # malformed: never applied, never kept
            time.sleep(1 / 30)

    sender = threading.Thread(target=engine)
    sender.start()
    assert bpy.ops.musicface.live(seconds=10.0) == {"FINISHED"}
    sender.join()

    action = template_head.data.shape_keys.animation_data.action
    assert action.name.startswith("MusicFace live")
    curves = {c.data_path: c for c in take_fcurves(action, template_head.data.shape_keys)}
    assert len(curves) == 52
    jaw = curves['key_blocks["jawOpen"].value']
    values = [jaw.evaluate(1 + k) for k in range(n)]
    assert np.allclose(values, 0.04 * np.arange(n), atol=1e-5)
    assert (scene.frame_start, scene.frame_end) == (1, n)

    saved = tmp_path / "live take.blend"
    names = action.name, template_head.name
    bpy.ops.wm.save_as_mainfile(filepath=str(saved))
    bpy.ops.wm.open_mainfile(filepath=str(saved))
    action, head = bpy.data.actions[names[0]], bpy.data.objects[names[1]]
    pivot = head.parent
    curves = {c.data_path: c for c in take_fcurves(action, head.data.shape_keys)}
    assert curves['key_blocks["jawOpen"].value'].evaluate(1 + 10) == pytest.approx(0.4, abs=1e-5)
    bpy.context.scene.frame_set(1 + 10)
    assert np.allclose(pivot.rotation_euler, [0.1, 0.0, -0.05], atol=1e-5)


def test_a_busy_port_is_one_report_and_nothing_changes(template_head):
    scene = bpy.context.scene
    taken = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    taken.bind(("127.0.0.1", 0))
    scene.musicface.live_port = taken.getsockname()[1]
    before = scene_state(scene)
    try:
        with pytest.raises(RuntimeError, match="is in use"):
            bpy.ops.musicface.live(seconds=0.5)
    finally:
        taken.close()
    assert scene_state(scene) == before


def test_nothing_arriving_records_nothing(template_head):
    scene = bpy.context.scene
    scene.musicface.live_port = free_port()
    scene.musicface.live_record = True
    actions = set(bpy.data.actions.keys())
    assert bpy.ops.musicface.live(seconds=0.2) == {"FINISHED"}
    assert set(bpy.data.actions.keys()) == actions


def test_the_receiver_never_imports_torch() -> None:
    import subprocess
    import sys

    repo = Path(__file__).resolve().parents[2]
    code = "import sys; import musicface_blender.live_receiver; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=repo)
    assert out.stdout.strip() == "False", out.stderr


def test_an_earlier_take_is_set_aside_while_live_shows_and_comes_back(template_head):
    from tests.blender.conftest import make_performance

    scene = bpy.context.scene
    path = Path(bpy.app.tempdir or "/tmp") / "earlier take.npz"
    make_performance(seed=3).save(path)
    assert bpy.ops.musicface.generate(performance=str(path)) == {"FINISHED"}
    key = template_head.data.shape_keys
    earlier = key.animation_data.action
    scene.frame_set(5)
    jaw_take = key.key_blocks["jawOpen"].value
    scene.musicface.live_port = port = free_port()

    session = _Session(bpy.context)
    send(port, frame(7))
    time.sleep(0.05)
    session.step()
    scene.frame_set(6)  # the timeline moves while Live shows: the live frame stays
    assert key.key_blocks["jawOpen"].value == pytest.approx(0.28)
    session.stop(scene)
    assert key.animation_data.action == earlier
    scene.frame_set(5)
    assert key.key_blocks["jawOpen"].value == pytest.approx(jaw_take)


def test_the_engines_own_frames_land_in_blender_as_the_take_it_recorded(
    template_head, song, tmp_path
):
    import subprocess

    from musicface_blender.core_link import Performance
    from tests.blender.conftest import ENGINE_PYTHON, REPO

    if not ENGINE_PYTHON.is_file():
        pytest.skip("the engine's .venv is not installed")
    scene = bpy.context.scene
    scene.musicface.live_port = port = free_port()
    scene.musicface.live_record = True
    engine_take = tmp_path / "engine take.npz"
    url = f"udp://127.0.0.1:{port}"
    argv = [str(ENGINE_PYTHON), "-m", "core.cli", "live", "--input", str(song), "--dry-vocal",
            "--send", url, "--record", str(engine_take), "--pace", "2"]  # fmt: skip
    engine = subprocess.Popen(argv, cwd=REPO, stderr=subprocess.PIPE, text=True)
    try:
        # Blocks until the engine's last frame (or 60 s: the engine starts in a few).
        assert bpy.ops.musicface.live(seconds=60.0) == {"FINISHED"}
    finally:
        _, stderr = engine.communicate(timeout=60)
    assert engine.returncode == 0, stderr
    sent = Performance.load(engine_take)
    assert sent.frames == 60  # 2 s at 30 fps
    key = template_head.data.shape_keys
    curves = {c.data_path: c for c in take_fcurves(key.animation_data.action, key)}
    jaw = curves['key_blocks["jawOpen"].value']
    assert len(jaw.keyframe_points) == sent.frames
    values = [jaw.evaluate(1 + k) for k in range(sent.frames)]
    assert np.allclose(values, sent.expression[:, JAW], atol=1e-5)
    assert (scene.frame_start, scene.frame_end) == (1, sent.frames)
