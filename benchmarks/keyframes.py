"""Keyframe writing speed and simplification, on the template head (bpy module).

    .venv/bin/python benchmarks/keyframes.py [--source synth|random] [--performance P.npz]

A 4-minute Performance (7,200 frames at 30 fps) is written onto the MusicFace
template head, once with a key on every frame and once simplified within 0.02.
Bars (issue 5): every-frame write ≤ 1 s; simplified ≥ 5× fewer keys with the
largest error, measured on the written F-curves at every frame, ≤ 0.02.

The default source is the corpus's synthetic singer (training/synth): its
ground-truth ARKit, pose and eye curves, clip after clip, stand in for a model
that sings well. `--performance` measures a real engine output (tiled to 4 min).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import bpy  # noqa: I001  (bpy before anything that may import mathutils)
import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from core.face.template import TEMPLATE_PATH  # noqa: E402
from core.performance import Performance  # noqa: E402
from musicface_blender.animation.fcurves import take_fcurves  # noqa: E402
from musicface_blender.apply import TakeSettings, apply_performance  # noqa: E402

FRAMES = 7200
FPS = 30.0
MAX_ERROR = 0.02


def synthetic_singer(frames: int) -> Performance:
    """Ground-truth curves of the synthetic corpus's singer, clip after clip."""
    from training.synth.clip import make_clip

    parts: dict[str, list[np.ndarray]] = {"expression": [], "pose": [], "eye_long": [], "eye": []}
    index, total = 0, 0
    while total < frames:
        clip = make_clip(2026, index, (19.0, 21.0), stems="clean")
        pose = clip.arrays["pose"]
        offset = parts["pose"][-1][-1] - pose[0] if parts["pose"] else 0.0  # no jumps at seams
        for key in parts:
            parts[key].append(pose + offset if key == "pose" else clip.arrays[key])
        total += len(pose)
        index += 1
    arrays = {key: np.concatenate(value)[:frames] for key, value in parts.items()}
    return Performance(
        fps=FPS,
        expression=arrays["expression"],
        pose=arrays["pose"],
        eye_long=arrays["eye_long"],
        eye_blink=np.where(arrays["eye_long"] > 0, 0, arrays["eye"]),
        meta={"source": f"training.synth, {index} clips"},
    )


def smooth_random(frames: int) -> Performance:
    rng = np.random.default_rng(0)
    t = np.arange(frames)[:, None] / FPS

    def curves(channels: int, scale: float) -> np.ndarray:  # noqa: E306
        out = sum(
            np.sin(2 * np.pi * rng.uniform(0.1, 2.0, channels) * t + rng.uniform(0, 6, channels))
            for _ in range(3)
        )
        return out * scale

    return Performance(
        fps=FPS,
        expression=np.clip(0.3 + curves(52, 0.1), 0, 1),
        pose=curves(6, 0.03),
        eye_long=np.zeros(frames),
        eye_blink=np.zeros(frames),
        meta={"source": "smooth random"},
    )


def tiled(path: Path, frames: int) -> Performance:
    loaded = Performance.load(path).resample(FPS)
    reps = -(-frames // loaded.frames)
    return Performance(
        fps=FPS,
        expression=np.tile(loaded.expression, (reps, 1))[:frames],
        pose=np.tile(loaded.pose, (reps, 1))[:frames],
        eye_long=np.tile(loaded.eye_long, reps)[:frames],
        eye_blink=np.tile(loaded.eye_blink, reps)[:frames],
        meta={"source": str(path)},
    )


def fresh_head() -> bpy.types.Object:
    bpy.ops.wm.open_mainfile(filepath=str(TEMPLATE_PATH))
    bpy.context.scene.render.fps = int(FPS)
    return bpy.data.objects["MusicFace_Head"]


def written_error(head: bpy.types.Object, performance: Performance) -> tuple[int, float]:
    """(keys, largest |curve − Performance| over every frame) of the head's shape-key take."""
    key = head.data.shape_keys
    keys, worst = 0, 0.0
    frames = np.arange(performance.frames) + 1.0
    for curve in take_fcurves(key.animation_data.action, key):
        name = curve.data_path.split('"')[1]
        co = np.empty(2 * len(curve.keyframe_points), dtype=np.float32)
        curve.keyframe_points.foreach_get("co", co)
        co = co.reshape(-1, 2)
        rebuilt = np.interp(frames, co[:, 0], co[:, 1])  # LINEAR keys
        original = performance.expression[:, performance.names.index(name)]
        worst = max(worst, float(np.max(np.abs(rebuilt - original))))
        keys += len(co)
    return keys, worst


def measure(performance: Performance, max_error: float) -> tuple[float, int, int, float]:
    head = fresh_head()
    settings = TakeSettings(seed=0, max_error=max_error, pose_object=head.parent)
    started = time.perf_counter()
    result = apply_performance(bpy.context.scene, performance, head, settings)
    seconds = time.perf_counter() - started
    keys, error = written_error(head, performance)
    return seconds, result.curves, keys, error


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", choices=("synth", "random"), default="synth")
    parser.add_argument("--performance", type=Path)
    args = parser.parse_args()
    if args.performance is not None:
        performance = tiled(args.performance, FRAMES)
    elif args.source == "synth":
        performance = synthetic_singer(FRAMES)
    else:
        performance = smooth_random(FRAMES)
    print(f"performance: {performance.frames} frames at {FPS:g} fps ({performance.meta['source']})")

    full_s, curves, full_keys, full_error = measure(performance, 0.0)
    print(f"every frame: {curves} curves, {full_keys} shape keys, write {full_s:.3f} s "
          f"(bar ≤ 1 s), max error {full_error:.2e}")  # fmt: skip
    simple_s, _, keys, error = measure(performance, MAX_ERROR)
    ratio = full_keys / keys
    print(f"simplified within {MAX_ERROR}: {keys} shape keys, {ratio:.1f}× fewer (bar ≥ 5×), "
          f"max error {error:.4f} (bar ≤ {MAX_ERROR}), write {simple_s:.3f} s")  # fmt: skip
    ok = full_s <= 1.0 and ratio >= 5 and error <= MAX_ERROR + 1e-6
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
