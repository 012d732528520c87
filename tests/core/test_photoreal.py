"""The photoreal pass: rasteriser against Blender, gradients, determinism, locality,
a short CPU training on a synthetic target, and `musicface render` end to end."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from core.face.arkit import ARKIT_NAMES
from core.face.model import FaceModel
from core.performance import Performance
from core.photoreal.camera import Camera
from core.photoreal.guidance import GuidanceMaker, region_masks
from core.photoreal.head import TorchHead
from core.photoreal.network import PhotorealRenderer, RendererConfig
from core.photoreal.rasterize import rasterize
from core.photoreal.renderer_file import DEFAULT_RENDERER, load_renderer, save_renderer
from tests.conftest import REPO, encode, run_cli

POSES = {
    "rest": ({}, (0.0, 0.0, 0.0, 0.0, 0.0, 0.0)),
    "turned": ({"jawOpen": 0.8, "eyeBlinkLeft": 1.0}, (0.1, 0.05, 0.3, 0.01, 0.0, 0.02)),
}
BLENDER_SILHOUETTE = """
import sys, json, bpy
sys.path.insert(0, {repo!r})
from core.face.template import TEMPLATE_PATH, HEAD_OBJECT, PIVOT_OBJECT
bpy.ops.wm.open_mainfile(filepath=str(TEMPLATE_PATH))
scene = bpy.context.scene
scene.render.engine = "BLENDER_WORKBENCH"
scene.render.film_transparent = True
scene.render.resolution_x = scene.render.resolution_y = {size}
scene.render.image_settings.file_format = "PNG"
scene.render.image_settings.color_mode = "RGBA"
pivot = bpy.data.objects[PIVOT_OBJECT]
rest = tuple(pivot.location)
keys = bpy.data.objects[HEAD_OBJECT].data.shape_keys.key_blocks
for name, (values, pose) in json.loads({poses!r}).items():
    for key in keys[1:]:
        key.value = values.get(key.name, 0.0)
    pivot.rotation_euler = pose[:3]
    pivot.location = tuple(r + t for r, t in zip(rest, pose[3:]))
    scene.render.filepath = {folder!r} + "/" + name + ".png"
    bpy.ops.render.render(write_still=True)
"""


@pytest.fixture(scope="module")
def face() -> FaceModel:
    return FaceModel.load()


def _expression(values: dict[str, float]) -> torch.Tensor:
    e = torch.zeros(1, len(ARKIT_NAMES))
    for name, value in values.items():
        e[0, ARKIT_NAMES.index(name)] = value
    return e


def test_rasteriser_matches_blenders_silhouette(face: FaceModel, tmp_path: Path) -> None:
    from PIL import Image

    size = 192
    script = BLENDER_SILHOUETTE.format(
        repo=str(REPO), size=size, poses=json.dumps(POSES), folder=str(tmp_path)
    )
    subprocess.run([sys.executable, "-c", script], check=True, capture_output=True, cwd=REPO)
    head = TorchHead(face)
    camera = Camera.template(face)
    for name, (values, pose) in POSES.items():
        vertices = head(_expression(values), torch.tensor([pose]))[0]
        mine = rasterize(camera.project(vertices, size), head.triangles, size).covered.numpy()
        blender = np.asarray(Image.open(tmp_path / f"{name}.png"))[..., 3] > 127
        iou = (mine & blender).sum() / (mine | blender).sum()
        assert iou >= 0.99, f"{name}: silhouette IoU {iou:.4f}"


def test_gradients_reach_the_texture_and_the_pose(face: FaceModel) -> None:
    torch.manual_seed(0)
    maker = GuidanceMaker(face, Camera.template(face), 64)
    model = PhotorealRenderer(RendererConfig(size=64, texture_size=64, base=8))
    with torch.no_grad():
        for level in model.texture.levels:
            level.normal_(0, 0.1)
    pose = torch.zeros(1, 6, requires_grad=True)
    e = _expression({"jawOpen": 0.3})
    image, _ = model(maker.images(maker.geometry(e, pose), e), e)
    image.mean().backward()
    texture_grad = sum(float(level.grad.abs().sum()) for level in model.texture.levels)
    assert texture_grad > 0
    assert float(pose.grad.abs().sum()) > 0


def test_identical_inputs_give_identical_frames(face: FaceModel) -> None:
    renderer = load_renderer()
    maker = renderer.guidance_maker(face, 128)
    e = _expression({"mouthSmileLeft": 0.5}).repeat(2, 1)
    with torch.no_grad():
        frames = [
            renderer.model(maker.images(maker.geometry(e, torch.zeros(2, 6)), e), e)[0]
            for _ in range(2)
        ]
    assert torch.equal(frames[0], frames[1])
    assert torch.equal(frames[0][0], frames[0][1])  # a still pose does not flicker


@pytest.mark.parametrize(("name", "region"), [("jawOpen", "mouth"), ("eyeBlinkLeft", "eye_left")])
def test_a_change_stays_in_its_region(face: FaceModel, name: str, region: str) -> None:
    renderer = load_renderer()
    maker = renderer.guidance_maker(face)
    e = torch.cat((_expression({}), _expression({name: 1.0})))
    with torch.no_grad():
        guidance = maker.images(maker.geometry(e, torch.zeros(2, 6)), e)
        frames, _ = renderer.model(guidance, e)
    change = (frames[1] - frames[0]).abs().sum(0)
    mask = torch.maximum(*region_masks(guidance)[region][:, 0]) > 0
    inside = float(change[mask].sum() / change.sum())
    assert float(change.sum()) > 0
    assert inside >= 0.8, f"{name}: {100 * inside:.0f} % of the change inside the {region} mask"


def test_short_cpu_training_reaches_24_db(tmp_path: Path) -> None:
    from training.renderer.targets import procedural_targets
    from training.renderer.train import TrainSettings, train_renderer

    targets = procedural_targets(64, 80, seed=3)
    settings = TrainSettings(steps=100000, minutes=1.5, batch=4, base=8, eval_every=10**9, seed=0)
    result = train_renderer(targets, settings, tmp_path / "r.pt")
    assert result.held_out.psnr >= 24.0, result.held_out.line()
    loaded = load_renderer(tmp_path / "r.pt")
    assert loaded.meta["synthetic_output"] is True
    assert loaded.meta["held_out_frames"] == 8


def test_renderer_file_round_trip(face: FaceModel, tmp_path: Path) -> None:
    torch.manual_seed(1)
    model = PhotorealRenderer(RendererConfig(size=64, texture_size=64, base=8))
    camera = Camera((0.0, -0.6, 0.1), 2.5)
    path = save_renderer(
        tmp_path / "r.pt", model, camera, (1.0, 1.1, 0.9), {"identity": "x"}, (0.1,) * 6
    )
    loaded = load_renderer(path)
    assert loaded.camera == camera and loaded.scale == pytest.approx((1.0, 1.1, 0.9))
    assert loaded.rest_pose == pytest.approx((0.1,) * 6)
    for key, value in model.state_dict().items():
        assert torch.allclose(loaded.model.state_dict()[key], value.half().float())


def _take(path: Path, seconds: float, song: str | None) -> Path:
    frames = int(seconds * 30)
    t = np.arange(frames) / 30
    expression = np.zeros((frames, 52), np.float32)
    expression[:, ARKIT_NAMES.index("jawOpen")] = 0.5 + 0.5 * np.sin(2 * np.pi * 2 * t)
    pose = np.zeros((frames, 6), np.float32)
    pose[:, 2] = 0.1 * np.sin(2 * np.pi * 0.5 * t)
    return Performance(
        fps=30.0,
        expression=expression,
        pose=pose,
        eye_long=np.zeros(frames),
        eye_blink=np.zeros(frames),
        meta={"song": song},
    ).save(path)


def test_render_writes_the_songs_video(tmp_path: Path) -> None:
    import imageio_ffmpeg

    sr = 22050
    song = encode(
        tmp_path / "song.wav", 0.2 * np.sin(2 * np.pi * 220 * np.arange(int(1.5 * sr)) / sr), sr
    )
    take = _take(tmp_path / "take.npz", 1.5, song.name)
    done = run_cli(
        "render", str(take), "-o", str(tmp_path / "out.mp4"), "--size", "128", "--progress", "json"
    )
    assert done.returncode == 0, done.stderr
    assert "not found" not in done.stderr  # the song was found beside the take
    lines = [json.loads(line) for line in done.stdout.splitlines()]
    assert lines[-1] == {"done": str(tmp_path / "out.mp4")}
    assert any(line.get("stage") == "render" for line in lines)
    frames, seconds = imageio_ffmpeg.count_frames_and_secs(str(tmp_path / "out.mp4"))
    assert frames == 45 and seconds == pytest.approx(1.5, abs=0.05)
    probe = subprocess.run(
        [imageio_ffmpeg.get_ffmpeg_exe(), "-hide_banner", "-i", str(tmp_path / "out.mp4")],
        capture_output=True,
        text=True,
        check=False,
    ).stderr
    assert "Audio: aac" in probe and "30 fps" in probe and "128x128" in probe
    assert "AI-generated" in probe and "synthetic" in probe
    reader = imageio_ffmpeg.read_frames(str(tmp_path / "out.mp4"))
    meta = next(reader)
    first = np.frombuffer(next(reader), np.uint8).reshape(meta["size"][1], meta["size"][0], 3)
    reader.close()
    corner = first[-14:-3, -80:-3].astype(float)
    assert corner.max() > 200  # the visible label's white text, bottom right


def test_render_bad_inputs_say_one_line(tmp_path: Path) -> None:
    take = _take(tmp_path / "take.npz", 0.5, None)
    (tmp_path / "bad.pt").write_bytes(b"not a renderer")
    cases = {
        "missing take": ["render", str(tmp_path / "nope.npz"), "-o", str(tmp_path / "a.mp4")],
        "wrong renderer": [
            "render",
            str(take),
            "-o",
            str(tmp_path / "b.mp4"),
            "--renderer",
            str(tmp_path / "bad.pt"),
        ],
        "unwritable": ["render", str(take), "-o", str(tmp_path / "no" / "such" / "c.mp4")],
        "not a video name": ["render", str(take), "-o", str(tmp_path / "c.npz")],
    }
    for what, argv in cases.items():
        done = run_cli(*argv)
        assert done.returncode == 2, (what, done.stderr)
        assert len(done.stderr.strip().splitlines()) == 1, (what, done.stderr)
        assert "Traceback" not in done.stderr


def test_bundled_renderer_is_synthetic() -> None:
    renderer = load_renderer()
    assert DEFAULT_RENDERER.stat().st_size < 8 * 2**20
    assert renderer.meta["synthetic_output"] is True
    assert "synthetic" in renderer.meta["identity"]
    assert renderer.meta["held_out"]["psnr"] >= 30.0


def test_a_song_that_starts_later_in_the_take_is_delayed(tmp_path: Path) -> None:
    """A take sampled from Blender whose song strip starts 0.5 s in (meta song_offset)."""
    from core.audio import load_audio

    sr = 22050
    click = np.zeros(int(1.5 * sr), np.float32)
    click[:200] = 0.9  # the song's first sound, at its very start
    song = encode(tmp_path / "song.wav", click, sr)
    take = _take(tmp_path / "take.npz", 1.5, str(song))
    performance = Performance.load(take)
    performance.meta["song_offset"] = 0.5
    performance.save(take)
    argv = ["render", str(take), "-o", str(tmp_path / "out.mp4"), "--size", "64"]
    done = run_cli(*argv, "--song", str(song))
    assert done.returncode == 0, done.stderr
    assert "not found" not in done.stderr
    audio = load_audio(tmp_path / "out.mp4", sr)
    first = int(np.argmax(np.abs(audio) > 0.3)) / sr
    assert first == pytest.approx(0.5, abs=0.05)


def test_the_song_is_found_where_generate_read_it(tmp_path: Path) -> None:
    """generate and capture record the song's path: the take may be saved anywhere."""
    from core.audio import file_sha256
    from core.photoreal.render_video import find_song

    sr = 22050
    (tmp_path / "music").mkdir()
    song = encode(tmp_path / "music" / "song.wav", np.zeros(sr, np.float32), sr)
    (tmp_path / "takes").mkdir()
    take = Performance.load(_take(tmp_path / "takes" / "take.npz", 0.5, song.name))
    take.meta.update(song_path=str(song), song_sha256=file_sha256(song))
    assert find_song(take, tmp_path / "takes" / "take.npz") == song
    take.meta["song_sha256"] = "0" * 64  # the file there is another song now
    assert find_song(take, tmp_path / "takes" / "take.npz") is None
