"""`batch.py`: the headless job, run as its own process through the bpy module."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import bpy
import pytest

from musicface_blender.animation.fcurves import take_fcurves
from musicface_blender.scene_setup import song_strips
from tests.blender.conftest import AUDIO, CLIP_SECONDS, REPO, TEMPLATE

BATCH = REPO / "musicface_blender" / "batch.py"


def run_batch(*args: str, script: Path = BATCH) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(script), "--", *args],
        capture_output=True,
        text=True,
        cwd=REPO,
        check=False,
        timeout=300,
    )


@pytest.fixture
def template_blend() -> Path:
    if not TEMPLATE.is_file():
        pytest.skip(f"head template not built: {TEMPLATE}")
    return TEMPLATE


def test_batch_saves_a_blend_that_reopens_with_the_animation(
    scene, template_blend, performance_file, song, tmp_path
):
    out = tmp_path / "sung.blend"
    video = tmp_path / "sung.mp4"
    done = run_batch(
        "--blend", str(template_blend), "--song", str(song), "--performance",
        str(performance_file), "--out", str(out), "--render", str(video),
        "--render-size", "64", "--render-samples", "1",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    assert out.is_file()
    # A Blender without audio (the 4.2 bpy module) writes the take and says what it left out.
    assert ("no sound strip" in done.stderr) == (not AUDIO)

    bpy.ops.wm.open_mainfile(filepath=str(out))
    head = bpy.data.objects["MusicFace_Head"]
    key = head.data.shape_keys
    assert len(take_fcurves(key.animation_data.action, key)) == 52
    pivot = head.parent
    assert len(take_fcurves(pivot.animation_data.action, pivot)) == 6
    assert len(song_strips(bpy.context.scene)) == (1 if AUDIO else 0)
    assert bpy.context.scene.frame_end == 60
    # A preview with the song's audio track (Blender's FFmpeg writer, AAC in MP4).
    assert video.is_file() and (b"mp4a" in video.read_bytes()) == AUDIO


def test_a_saved_take_renders_in_its_own_process(
    scene, template_blend, performance_file, song, tmp_path
):
    out = tmp_path / "take.blend"
    done = run_batch("--blend", str(template_blend), "--song", str(song),
                     "--performance", str(performance_file), "--out", str(out))  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    video = tmp_path / "take.mp4"
    render = [sys.executable, "-m", "musicface_blender.render", str(out), str(video),
              "--size", "32", "--samples", "1"]  # fmt: skip
    rendered = subprocess.run(render, capture_output=True, text=True, cwd=REPO, timeout=300)
    assert rendered.returncode == 0, rendered.stderr[-3000:]
    assert video.is_file() and video.stat().st_size > 0


def test_batch_exit_codes_follow_the_engine(template_blend, tmp_path):
    missing = run_batch("--blend", str(template_blend), "--song", "/nowhere/a.mp3",
                        "--out", str(tmp_path / "x.blend"))  # fmt: skip
    assert missing.returncode == 2
    assert "Song not found" in missing.stderr and "Traceback" not in missing.stderr
    no_song = run_batch("--out", str(tmp_path / "x.blend"))
    assert no_song.returncode == 2
    assert not (tmp_path / "x.blend").exists()


def assert_one_line_error(done: subprocess.CompletedProcess[str], code: int, text: str) -> None:
    assert done.returncode == code, done.stderr[-3000:]
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("musicface: error: ") and text in lines[0], lines


def test_a_file_that_is_not_a_blend_is_bad_input(performance_file, song, tmp_path):
    broken = tmp_path / "broken.blend"
    broken.write_text("not a blend file")
    out = tmp_path / "x.blend"
    done = run_batch("--blend", str(broken), "--song", str(song),
                     "--performance", str(performance_file), "--out", str(out))  # fmt: skip
    assert_one_line_error(done, 2, "cannot open")


@pytest.mark.parametrize(
    ("option", "value", "text"),
    [("--fps", "-25", "--fps"), ("--seed", "-1", "--seed"), ("--pose", "Nowhere", "Nowhere")],
)
def test_unusable_options_are_refused_before_anything_is_saved(
    template_blend, performance_file, song, tmp_path, option, value, text
):
    out = tmp_path / "x.blend"
    done = run_batch("--blend", str(template_blend), "--song", str(song), "--performance",
                     str(performance_file), "--out", str(out), option, value)  # fmt: skip
    assert_one_line_error(done, 2, text)
    assert not out.exists()


def test_a_missing_head_template_is_a_missing_model(performance_file, song, tmp_path):
    """An installed add-on whose template was left out: exit 3 and one line, no traceback."""
    sys.path.insert(0, str(REPO / "scripts"))
    try:
        import build_extension
    finally:
        sys.path.remove(str(REPO / "scripts"))
    if not TEMPLATE.is_file():
        pytest.skip(f"head template not built: {TEMPLATE}")
    addon = build_extension.assemble(tmp_path / "build")
    shutil.rmtree(addon / "templates")
    out = tmp_path / "x.blend"
    done = run_batch("--target", "template", "--song", str(song), "--out", str(out),
                     "--performance", str(performance_file), script=addon / "batch.py")  # fmt: skip
    assert_one_line_error(done, 3, "template not found")
    assert not out.exists()


def test_the_preview_renderer_reports_a_missing_blend_in_one_line(tmp_path):
    render = [sys.executable, "-m", "musicface_blender.render", str(tmp_path / "none.blend"),
              str(tmp_path / "x.mp4")]  # fmt: skip
    done = subprocess.run(render, capture_output=True, text=True, cwd=REPO, timeout=300)
    assert_one_line_error(done, 2, "blend file not found")


def test_batch_captures_a_take_from_a_video_as_the_operator_does(
    scene, template_blend, clips, tmp_path
):
    out = tmp_path / "captured.blend"
    options = ["--calibration", "raw", "--no-smoothing", "--max-side", "256", "--neutral", "none"]
    done = run_batch("--blend", str(template_blend), "--video", str(clips.sound),
                     "--out", str(out), *options)  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    assert "musicface: capture" in done.stderr  # the engine's progress

    bpy.ops.wm.open_mainfile(filepath=str(out))
    scene = bpy.context.scene
    head = bpy.data.objects["MusicFace_Head"]
    key = head.data.shape_keys
    take = key.animation_data.action
    assert take.name == "the singer" and json.loads(take["musicface"])["source"] == "capture"
    curves = take_fcurves(take, key)
    frames = CLIP_SECONDS * 30
    assert len(curves) == 52 and {len(c.keyframe_points) for c in curves} == {frames}
    jaw = next(c for c in curves if c.data_path == 'key_blocks["jawOpen"].value')
    values = [k.co[1] for k in jaw.keyframe_points]
    assert max(values) - min(values) > 0.05  # a real capture: she sings
    assert len(take_fcurves(head.parent.animation_data.action, head.parent)) == 6
    assert scene.frame_end == frames
    strips = song_strips(scene)
    assert len(strips) == (1 if AUDIO else 0)
    if AUDIO:  # the video itself is the sound strip, as for a click
        assert Path(bpy.path.abspath(strips[0].sound.filepath)).resolve() == clips.sound.resolve()
    # The options became the panel's capture settings, which the request is made of.
    settings = scene.musicface
    assert (settings.capture_calibration, settings.capture_smoothing) == ("raw", False)
    assert settings.capture_max_side == 256 and not settings.capture_own_neutral


@pytest.mark.parametrize(
    ("args", "text"),
    [
        (["--video", "v.mp4", "--song", "a.mp3"], "without --song or --performance"),
        (["--video", "v.mp4", "--performance", "p.npz"], "without --song or --performance"),
        (["--song", "a.mp3", "--no-smoothing"], "go with --video"),
        (["--song", "a.mp3", "--neutral", "none"], "go with --video"),
        (["--video", "v.mp4", "--seed", "3"], "--seed: for a take from --song"),
        (["--video", "v.mp4", "--no-mouth-gate"], "--no-mouth-gate: for a take from --song"),
        (["--video", "v.mp4", "--max-side", "64"], "--max-side must be 128–2048"),
    ],
)
def test_video_options_that_do_not_go_together_are_one_line_and_exit_2(tmp_path, args, text):
    out = tmp_path / "x.blend"
    assert_one_line_error(run_batch(*args, "--out", str(out)), 2, text)
    assert not out.exists()


def test_a_missing_calibration_file_is_refused_before_the_engine_starts(template_blend, tmp_path):
    video = tmp_path / "face.mp4"
    video.write_bytes(b"never read: the calibration is checked first")
    out = tmp_path / "x.blend"
    done = run_batch("--blend", str(template_blend), "--video", str(video), "--out", str(out),
                     "--calibration", str(tmp_path / "fit.json"))  # fmt: skip
    assert_one_line_error(done, 2, f"Calibration file not found: {tmp_path / 'fit.json'}")
    assert not out.exists()


def test_batch_lyrics_become_word_markers_in_the_saved_blend(scene, template_blend, song, tmp_path):
    lyrics = tmp_path / "lyrics.txt"
    lyrics.write_text("la la\nmama mia\n", encoding="utf-8")
    out = tmp_path / "words.blend"
    done = run_batch("--blend", str(template_blend), "--song", str(song), "--separator", "dsp",
                     "--lyrics", str(lyrics), "--language", "it", "--out", str(out))  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    bpy.ops.wm.open_mainfile(filepath=str(out))
    words = [m.name for m in sorted(bpy.context.scene.timeline_markers, key=lambda m: m.frame)
             if m.name.startswith("♫")]  # fmt: skip
    assert words == ["♫la", "♫la", "♫mama", "♫mia"]
    key = bpy.data.objects["MusicFace_Head"].data.shape_keys
    recorded = json.loads(key.animation_data.action["musicface_lyrics"])
    assert recorded["language"] == "it" and recorded["lines"] == ["la la", "mama mia"]


def test_batch_refuses_lyrics_that_are_not_text(template_blend, song, tmp_path):
    lyrics = tmp_path / "lyrics.txt"
    lyrics.write_bytes(bytes(range(256)) * 4)
    out = tmp_path / "x.blend"
    done = run_batch("--blend", str(template_blend), "--song", str(song), "--separator", "dsp",
                     "--lyrics", str(lyrics), "--out", str(out))  # fmt: skip
    # The engine refuses them in its first step: progress lines, then its one error line.
    assert done.returncode == 2, done.stderr[-3000:]
    last = done.stderr.strip().splitlines()[-1]
    assert last.startswith("musicface: error: ") and "not a text file" in last
    assert "Traceback" not in done.stderr
    assert not out.exists()
