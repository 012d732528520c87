"""Photoreal pass speed and memory: frames per second of the bundled renderer.

    .venv/bin/python benchmarks/photoreal.py [--seconds 10] [--device cpu|cuda]

1. In this process: guidance (rasterise + interpolate) and the network, per frame,
   at 256² and 512² (on a GPU when --device cuda).
2. The whole `musicface render` of a take of --seconds (start-up, encoding, file), in
   a fresh process, with its peak memory.
Targets (issue 13): ≥ 3 frames/s at 256² on 2 CPU cores; ≥ 30 frames/s at 512² on a
GPU. CPU seconds are printed beside wall time, which grows when other jobs share
the cores.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
REPOSITORY = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPOSITORY))

from process_memory import PeakMemory  # noqa: E402


def take(seconds: float, path: Path) -> Path:
    from core.capture.known_take import known_take

    performance = known_take(seconds, seed=4, depths=(0.0,))
    performance.meta = {"source": "benchmark"}
    return performance.save(path)


def in_process(size: int, device: str, frames: int = 48) -> tuple[float, float, float]:
    import torch

    from core.face.model import FaceModel
    from core.performance import Performance
    from core.photoreal.render_video import CHUNK
    from core.photoreal.renderer_file import load_renderer

    with tempfile.TemporaryDirectory() as scratch:
        performance = Performance.load(take(frames / 30, Path(scratch) / "t.npz"))
    renderer = load_renderer(device=device)
    maker = renderer.guidance_maker(FaceModel.load(), size).to(device)
    e = torch.from_numpy(performance.expression.copy()).to(device)
    p = torch.from_numpy(performance.pose.copy()).to(device)
    guidance_s = network_s = 0.0
    with torch.no_grad():
        for start in range(-CHUNK, frames, CHUNK):  # the first chunk warms up, untimed
            s = slice(max(start, 0), max(start, 0) + CHUNK)
            t0 = time.perf_counter()
            g = maker.images(maker.geometry(e[s], p[s]), e[s])
            if device != "cpu":
                torch.cuda.synchronize()
            t1 = time.perf_counter()
            renderer.model(g, e[s])
            if device != "cpu":
                torch.cuda.synchronize()
            t2 = time.perf_counter()
            if start >= 0:
                guidance_s += t1 - t0
                network_s += t2 - t1
    return frames / (guidance_s + network_s), guidance_s / frames, network_s / frames


def whole_command(seconds: float, size: int, device: str) -> tuple[float, float, int]:
    with tempfile.TemporaryDirectory() as scratch:
        path = take(seconds, Path(scratch) / "take.npz")
        argv = [sys.executable, "-m", "core.cli", "--progress", "none", "render", str(path)]
        argv += ["-o", str(Path(scratch) / "out.mp4"), "--size", str(size), "--device", device]
        started = time.perf_counter()
        process = subprocess.Popen(argv, cwd=REPOSITORY)
        with PeakMemory(process.pid) as memory:
            code = process.wait()
        wall = time.perf_counter() - started
    if code != 0:
        raise SystemExit(f"musicface render failed with exit code {code}")
    return wall, seconds * 30 / wall, memory.peak


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--device", default="cpu")
    args = parser.parse_args()
    import torch

    print(
        f"cores: {os.cpu_count()}, torch threads: {torch.get_num_threads()}, device: {args.device}"
    )
    for size in (256, 512):
        fps, guidance, network = in_process(size, args.device)
        print(f"{size}²: {fps:.1f} frames/s in-process (guidance {1000 * guidance:.0f} ms, "
              f"network {1000 * network:.0f} ms per frame)")  # fmt: skip
    for size in (256, 512):
        wall, fps, peak = whole_command(args.seconds, size, args.device)
        print(f"musicface render, {args.seconds:g} s take at {size}²: {wall:.1f} s, "
              f"{fps:.1f} frames/s, peak {peak / 2**20:.0f} MiB")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
