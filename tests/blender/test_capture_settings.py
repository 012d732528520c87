"""The panel's capture settings (calibration, smoothing, tracking size) → `musicface capture`.

No engine runs here: what reaches the engine is the request's argv, and a wrong
calibration file must be refused before the engine would start.
"""

from __future__ import annotations

from pathlib import Path

import bpy
import pytest

from musicface_blender.engine import CaptureRequest
from musicface_blender.take_inputs import gather_capture
from tests.blender.conftest import arkit_mesh, scene_state


def test_a_request_passes_only_what_differs_from_the_engines_defaults(tmp_path):
    video, out = tmp_path / "face.mp4", tmp_path / "out.npz"
    plain = ["capture", str(video), "-o", str(out)]
    assert CaptureRequest(video).arguments(out) == plain
    assert CaptureRequest(video, "template", True, 512).arguments(out) == plain
    assert CaptureRequest(video, calibration="raw").arguments(out) == [
        *plain, "--calibration", "raw"
    ]  # fmt: skip
    fit = tmp_path / "my fit.json"
    request = CaptureRequest(video, calibration=fit, smoothing=False, max_side=1024)
    assert request.arguments(out) == [
        *plain, "--calibration", str(fit), "--no-smoothing", "--max-side", "1024"
    ]  # fmt: skip
    assert CaptureRequest(video, own_neutral=False).arguments(out) == [*plain, "--neutral", "none"]


@pytest.fixture
def video_scene(scene, tmp_path: Path) -> bpy.types.Scene:
    """A head and a video file (gather_capture only checks that it is there)."""
    arkit_mesh("Face", ["jawOpen", "eyeBlinkLeft"])
    video = tmp_path / "face.mp4"
    video.write_bytes(b"not read here")
    scene.musicface.video = str(video)
    return scene


def test_the_settings_default_to_the_engines_own(video_scene, tmp_path):
    settings = video_scene.musicface
    assert (settings.capture_calibration, settings.capture_smoothing) == ("template", True)
    assert settings.capture_max_side == 512
    request = gather_capture(bpy.context).request
    assert request == CaptureRequest((tmp_path / "face.mp4").resolve())


def test_the_panels_settings_reach_the_request(video_scene, tmp_path):
    # A //relative calibration file is relative to the saved .blend, as Blender's paths are.
    bpy.ops.wm.save_as_mainfile(filepath=str(tmp_path / "scene.blend"))
    scene = bpy.context.scene
    (tmp_path / "fit.json").write_text("{}")
    settings = scene.musicface
    settings.capture_calibration, settings.capture_calibration_file = "file", "//fit.json"
    settings.capture_smoothing, settings.capture_max_side = False, 256
    settings.capture_own_neutral = False
    request = gather_capture(bpy.context).request
    assert not request.own_neutral
    assert request.calibration == (tmp_path / "fit.json").resolve()
    assert (request.smoothing, request.max_side) == (False, 256)
    settings.capture_calibration = "raw"  # the file stays set, but is not what is chosen
    assert gather_capture(bpy.context).request.calibration == "raw"
    settings.capture_max_side = 99999  # Blender keeps it within what the engine takes
    assert settings.capture_max_side == 2048


@pytest.mark.parametrize(
    ("file", "text"),
    [
        ("", "Pick a calibration file (.json)"),
        ("/nowhere/my fit.json", "Calibration file not found: /nowhere/my fit.json"),
        ("notes.txt", "Calibration file must be a .json, got notes.txt"),
    ],
)
def test_a_wrong_calibration_file_is_one_line_before_the_engine_starts(
    video_scene, tmp_path, file, text
):
    if file == "notes.txt":
        file = str(tmp_path / file)
        Path(file).write_text("there, but not a calibration")
    settings = video_scene.musicface
    settings.capture_calibration, settings.capture_calibration_file = "file", file
    before = scene_state(video_scene)
    with pytest.raises(RuntimeError) as err:
        bpy.ops.musicface.capture()  # the operator reports what gather_capture refused
    lines = str(err.value).strip().splitlines()
    assert len(lines) == 1 and text in lines[0] and "Traceback" not in lines[0], lines
    assert scene_state(video_scene) == before
