"""Fixtures for the add-on tests. They run under bpy 4.5 (.venv) and bpy 5.0 (.venv-bpy5).

Only bpy, numpy and pytest are needed in the interpreter running them; the engine,
when a test needs it, runs as a subprocess in the repository's .venv.
"""

from __future__ import annotations

import json
import subprocess
import sys
import wave
from pathlib import Path
from types import SimpleNamespace

import bpy  # noqa: I001  (bpy before anything that may import mathutils)
import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

import musicface_blender  # noqa: E402
from musicface_blender.core_link import ARKIT_NAMES, Performance  # noqa: E402

ENGINE_PYTHON = REPO / ".venv" / "bin" / "python"
TEMPLATE = REPO / "blend_templates" / "musicface_head.blend"
# The bpy 4.2 module is built without Audaspace: no sound strips there (Blender 4.2 has them).
AUDIO = bool(bpy.app.build_options.audaspace)


@pytest.fixture(scope="session", autouse=True)
def addon():
    musicface_blender.register()
    yield
    musicface_blender.unregister()


@pytest.fixture
def scene() -> bpy.types.Scene:
    """An empty scene at 30 fps, nothing left from the previous test."""
    bpy.ops.wm.read_factory_settings(use_empty=True)
    scene = bpy.context.scene
    scene.render.fps, scene.render.fps_base = 30, 1.0
    scene.frame_start = 1
    return scene


@pytest.fixture
def template_head(scene) -> bpy.types.Object:
    """The MusicFace template head appended into the scene, active and targeted."""
    if not TEMPLATE.is_file():
        pytest.skip(f"head template not built: {TEMPLATE} (make template)")
    bpy.ops.musicface.add_head()
    return scene.musicface.target


def smooth_curves(rng: np.random.Generator, frames: int, channels: int, scale: float) -> np.ndarray:
    """Random but smooth motion (summed slow sines), like a face singing."""
    t = np.arange(frames)[:, None] / 30.0
    out = np.zeros((frames, channels))
    for _ in range(4):
        freq = rng.uniform(0.2, 3.0, channels)
        phase = rng.uniform(0, 2 * np.pi, channels)
        out += np.sin(2 * np.pi * freq * t + phase) * rng.uniform(0.1, 0.4, channels)
    return out * scale


def make_performance(seconds: float = 2.0, fps: float = 30.0, seed: int = 0) -> Performance:
    rng = np.random.default_rng(seed)
    frames = int(np.ceil(seconds * fps))
    expression = np.clip(0.5 + smooth_curves(rng, frames, 52, 0.6), 0, 1)
    eye_long = np.zeros(frames)
    eye_blink = np.zeros(frames)
    eye_blink[10:16] = [0.3, 0.8, 1.0, 1.0, 0.7, 0.2][: max(0, min(6, frames - 10))]
    return Performance(
        fps=fps,
        expression=expression,
        pose=smooth_curves(rng, frames, 6, 0.05),
        eye_long=eye_long,
        eye_blink=eye_blink,
        attention=rng.random((3, frames, 2)),
        beats=np.arange(0.25, seconds, 0.5),
        meta={"seed": seed, "seconds": seconds},
    )


@pytest.fixture
def performance_file(tmp_path: Path) -> Path:
    return make_performance().save(tmp_path / "take.npz")


def write_song(path: Path, seconds: float = 2.0, sr: int = 22050) -> Path:
    """A sung-like tone over clicks, as 16-bit WAV (stdlib only: runs under any bpy venv)."""
    t = np.arange(int(seconds * sr)) / sr
    voice = 0.3 * np.sin(2 * np.pi * 220 * t) * (0.6 + 0.4 * np.sin(2 * np.pi * 2 * t))
    clicks = np.zeros_like(t)
    for beat in np.arange(0.25, seconds, 0.5):
        i = int(beat * sr)
        clicks[i : i + 400] += 0.5 * np.exp(-np.arange(len(clicks[i : i + 400])) / 80)
    pcm = (np.clip(voice + clicks, -1, 1) * 32767).astype(np.int16)
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(sr)
        out.writeframes(pcm.tobytes())
    return path


@pytest.fixture
def song(tmp_path: Path) -> Path:
    return write_song(tmp_path / "little song.wav")


@pytest.fixture(scope="session")
def engine_checkpoint(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small random-init generator checkpoint, made by the engine's own code in .venv."""
    if not ENGINE_PYTHON.is_file():
        pytest.skip("the engine's .venv is not installed")
    path = tmp_path_factory.mktemp("ckpt") / "random.pt"
    script = (
        "import sys, torch\n"
        "from core.checkpoints import save_checkpoint\n"
        "from core.model import GeneratorConfig, MusicFaceGenerator\n"
        "from core.model.normalization import Normalization\n"
        "torch.manual_seed(0)\n"
        "config = GeneratorConfig(variant='full', n_subjects=1, encoder_channels=16,"
        " feature_dim=16, unet_channels=16, mlp_hidden=32)\n"
        "save_checkpoint(sys.argv[1], MusicFaceGenerator(config), Normalization.identity(),"
        " {'subjects': ['test']})\n"
    )
    done = subprocess.run(
        [str(ENGINE_PYTHON), "-c", script, str(path)], cwd=REPO, capture_output=True, text=True
    )
    if done.returncode != 0:
        pytest.fail(f"could not make a checkpoint: {done.stderr[-2000:]}")
    return path


def scene_state(scene: bpy.types.Scene) -> str:
    """What a take could change, as text, to compare before and after."""
    editor = scene.sequence_editor
    strips = []
    if editor is not None:
        collection = editor.strips if hasattr(editor, "strips") else editor.sequences
        strips = sorted(s.name for s in collection)
    objects = {}
    for obj in scene.objects:
        key = getattr(obj.data, "shape_keys", None)
        objects[obj.name] = [
            _action_name(obj),
            _action_name(key) if key is not None else None,
            list(obj.location),
            list(obj.rotation_euler),
        ]
    return json.dumps(
        {
            "actions": sorted(a.name for a in bpy.data.actions),
            "strips": strips,
            "markers": sorted(m.name for m in scene.timeline_markers),
            "range": [scene.frame_start, scene.frame_end],
            "objects": objects,
        },
        sort_keys=True,
    )


def _action_name(id_block: bpy.types.ID) -> str | None:
    data = id_block.animation_data
    return data.action.name if data is not None and data.action is not None else None


def arkit_mesh(name: str, key_names: list[str]) -> bpy.types.Object:
    """A small mesh with the given shape keys (a stand-in for a user's rig)."""
    mesh = bpy.data.meshes.new(name)
    mesh.from_pydata([(0, 0, 0), (1, 0, 0), (0, 0, 1)], [], [(0, 1, 2)])
    obj = bpy.data.objects.new(name, mesh)
    bpy.context.scene.collection.objects.link(obj)
    obj.shape_key_add(name="Basis")
    for key in key_names:
        obj.shape_key_add(name=key)
    bpy.context.view_layer.objects.active = obj
    return obj


__all__ = ["ARKIT_NAMES", "AUDIO", "arkit_mesh", "make_performance", "scene_state", "write_song"]


class HandDriven:
    """Mixed into an operator class: its modal code driven by hand (headless Blender has
    no window to run it), with its reports kept."""

    def __init__(self) -> None:
        self.reports: list[tuple[set[str], str]] = []

    def report(self, level: set[str], text: str) -> None:
        self.reports.append((level, text))


def hand_context(scene: bpy.types.Scene) -> tuple[object, list[str | None]]:
    """A context for `modal()` outside a window, and what it writes to the status bar."""
    status: list[str | None] = []
    context = SimpleNamespace(
        scene=scene,
        window_manager=bpy.context.window_manager,
        workspace=SimpleNamespace(status_text_set=status.append),
        screen=None,
    )
    return context, status


# Face video for the capture tests (test_capture.py, test_batch.py): the shared real-data set,
# skipped where it is absent; 2 s clips of it are cut once per session.
REALDATA = Path(__file__).resolve().parents[3] / "shared" / "realdata"
FACE_VIDEO = REALDATA / "video" / "liveportrait_driving_d10.mp4"  # 15 s, a face, with sound
CLIP_SECONDS = 2


def _ffmpeg() -> str:
    """imageio-ffmpeg's binary: imported here in .venv, asked of the engine's .venv elsewhere
    (the bpy 5.0 and 4.2 environments hold only bpy, numpy and pytest)."""
    try:
        import imageio_ffmpeg

        return imageio_ffmpeg.get_ffmpeg_exe()
    except ImportError:
        pass
    ask = "import imageio_ffmpeg; print(imageio_ffmpeg.get_ffmpeg_exe())"
    done = subprocess.run([str(ENGINE_PYTHON), "-c", ask], capture_output=True, text=True)
    if done.returncode != 0:
        pytest.skip("no ffmpeg: imageio-ffmpeg is not installed in the engine's .venv")
    return done.stdout.strip()


def ffmpeg_run(*args: str) -> None:
    subprocess.run([_ffmpeg(), "-v", "error", "-y", *args], check=True, timeout=120)


@pytest.fixture(scope="session")
def engine() -> None:
    if not ENGINE_PYTHON.is_file():
        pytest.skip("the engine's .venv is not installed")


@pytest.fixture(scope="session")
def face_model(engine) -> None:
    """The face landmarker the engine needs (what `make setup` installs)."""
    probe = "from core.capture.model_file import face_landmarker_path; face_landmarker_path()"
    done = subprocess.run(
        [str(ENGINE_PYTHON), "-c", probe], cwd=REPO, capture_output=True, text=True
    )
    if done.returncode != 0:
        pytest.skip(f"the face landmarker is not installed (make setup): {done.stderr[-300:]}")


@pytest.fixture(scope="session")
def clips(face_model, tmp_path_factory: pytest.TempPathFactory) -> SimpleNamespace:
    """2 s of a singing face, with its sound and without."""
    if not FACE_VIDEO.is_file():
        pytest.skip(f"real data not available: {REALDATA}")
    folder = tmp_path_factory.mktemp("clips")
    sound, silent = folder / "the singer.mp4", folder / "silent singer.mp4"
    ffmpeg_run("-i", str(FACE_VIDEO), "-t", str(CLIP_SECONDS), "-c:v", "libx264", "-preset",
               "ultrafast", "-c:a", "aac", str(sound))  # fmt: skip
    ffmpeg_run("-i", str(sound), "-an", "-c:v", "copy", str(silent))
    return SimpleNamespace(sound=sound, silent=silent)
