"""Capture speed and memory: `musicface capture` frames per second at 512², and a
4K 60 fps clip captured within memory (frames are streamed and tracked at 512).

    .venv/bin/python benchmarks/capture.py [--video FILE]

The 512² clip: the first real video in ../shared/realdata/video, else the template
head rendered with a known take (core/capture/round_trip.py; ~1 minute of Cycles).
Reported: the tracker alone (decode + FaceLandmarker + curves, in this process) and
the whole command in a fresh process (start-up and file included). Target (issue 12):
≥ 30 frames/s at 512² on 2 cores. CPU seconds are reported beside wall time, which
grows when other jobs share the cores.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
REPOSITORY = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPOSITORY))

from process_memory import PeakMemory  # noqa: E402

from core.audio import ffmpeg_exe  # noqa: E402
from core.capture import capture_video  # noqa: E402

REAL_VIDEOS = REPOSITORY.parent / "shared" / "realdata" / "video"


def clip_512(folder: Path) -> Path:
    real = sorted(REAL_VIDEOS.glob("*.mp4"))
    if real:
        return real[0]
    from core.capture.known_take import known_take
    from core.capture.round_trip import render_take

    return render_take(known_take(4.0, seed=9), folder, size=512, samples=4)


def run_command(video: Path, out: Path) -> tuple[float, float, int]:
    """Wall seconds, CPU seconds and peak tree memory of one fresh `musicface capture`."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    argv = [sys.executable, "-m", "core.cli", "--progress", "none", "capture", str(video)]
    process = subprocess.Popen([*argv, "-o", str(out)], cwd=REPOSITORY)
    with PeakMemory(process.pid) as memory:
        code = process.wait()
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if code != 0:
        raise SystemExit(f"musicface capture failed with exit code {code}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, memory.peak


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--video", type=Path, help="a 512² clip to time (default: see above)")
    args = parser.parse_args()
    print(f"cores: {os.cpu_count()}")
    with tempfile.TemporaryDirectory(prefix="musicface-capture-bench-") as scratch:
        folder = Path(scratch)
        video = args.video or clip_512(folder)
        capture_video(video)  # warm the page cache and the model file
        started, cpu_before = time.perf_counter(), time.process_time()
        result = capture_video(video)
        wall, cpu = time.perf_counter() - started, time.process_time() - cpu_before
        frames = len(result.performance.expression) * result.video.fps / 30.0
        print(f"{video.name}: {result.video.source_size[0]}x{result.video.source_size[1]} "
              f"at {result.video.fps:g} fps, {frames:.0f} frames")  # fmt: skip
        print(f"  tracker in-process: {frames / wall:.1f} frames/s ({wall:.2f} s, "
              f"{cpu:.2f} CPU-s)")  # fmt: skip
        wall, cpu, peak = run_command(video, folder / "take.npz")
        print(f"  musicface capture, fresh process: {frames / wall:.1f} frames/s "
              f"({wall:.2f} s, {cpu:.2f} CPU-s, peak {peak / 2**20:.0f} MiB)")  # fmt: skip

        big = folder / "clip_4k60.mp4"
        scale = "scale=3840:2160:flags=bicubic,fps=60"
        argv = [ffmpeg_exe(), "-nostdin", "-loglevel", "error", "-y", "-i", str(video)]
        argv += ["-t", "6", "-vf", scale, "-c:v", "libx264", "-preset", "ultrafast", str(big)]
        subprocess.run(argv, check=True)
        wall, cpu, peak = run_command(big, folder / "take4k.npz")
        print(f"4K 60 fps, 6 s (360 frames): {wall:.1f} s ({360 / wall:.1f} frames/s, "
              f"{cpu:.1f} CPU-s), peak memory {peak / 2**20:.0f} MiB")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
