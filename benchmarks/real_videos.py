"""Capture on real faces: the statistics of each video in ../shared/realdata/video, and
optionally a side-by-side video (the real clip beside the template head driven by its
capture, rendered in Cycles) to look at frame by frame.

    .venv/bin/python benchmarks/real_videos.py [--videos DIR] [--side-by-side] [--out out/capture]

Per video: frames tracked, head rotation spread per axis and mean angular speed, blinks
and long closures per second, jawOpen's 95th percentile, browInnerUp's median (a face
at rest most of the time: near 0) and 95th percentile, the smile's 95th percentile, and
the longest dropout.
Real singers measured with MediaPipe: yaw 0.9-8.6°, pitch 1.2-6.3°, roll 0.6-5.6°,
speed 11-40°/s while singing, blinks 0.1-1.4/s. Skips cleanly without the folder.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

REPOSITORY = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPOSITORY))

from core.audio import ffmpeg_exe  # noqa: E402
from core.capture import capture_video  # noqa: E402
from core.capture.round_trip import render_take  # noqa: E402
from core.face.arkit import ARKIT_NAMES  # noqa: E402

DEFAULT_VIDEOS = REPOSITORY.parent / "shared" / "realdata" / "video"
JAW = ARKIT_NAMES.index("jawOpen")
BROW = ARKIT_NAMES.index("browInnerUp")
SMILE = [ARKIT_NAMES.index("mouthSmileLeft"), ARKIT_NAMES.index("mouthSmileRight")]


def side_by_side(video: Path, take_video: Path, out: Path, size: int) -> Path:
    """The real clip (scaled to `size` high) beside the rendered take, with its sound."""
    graph = f"[0:v]fps=30,scale=-2:{size},setsar=1[a];[1:v]setsar=1[b];[a][b]hstack=shortest=1[v]"
    argv = [ffmpeg_exe(), "-nostdin", "-loglevel", "error", "-y", "-i", str(video)]
    argv += ["-i", str(take_video), "-filter_complex", graph, "-map", "[v]", "-map", "0:a?"]
    argv += ["-c:v", "libx264", "-pix_fmt", "yuv420p", "-c:a", "aac", "-shortest", str(out)]
    subprocess.run(argv, check=True)
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--videos", type=Path, default=DEFAULT_VIDEOS)
    parser.add_argument("--side-by-side", action="store_true", help="render the comparisons")
    parser.add_argument("--size", type=int, default=256, help="side-by-side height")
    parser.add_argument("--out", type=Path, default=REPOSITORY / "out" / "capture")
    args = parser.parse_args()
    videos = sorted(p for p in args.videos.glob("*") if p.suffix in {".mp4", ".mov", ".mkv"})
    if not videos:
        print(f"no videos in {args.videos}: skipped")
        return 0
    columns = "s   fps  pitch  roll   yaw  °/s  blink/s long/s jaw95 brow50 brow95 smile95 gap"
    print(f"{'video':38}   {columns}")
    for video in videos:
        started = time.perf_counter()
        result = capture_video(video)
        seconds = time.perf_counter() - started
        take = result.performance
        angles = np.degrees(take.pose[:, :3])
        spread = angles.std(axis=0)
        speed = np.linalg.norm(np.diff(angles, axis=0), axis=1).mean() * take.fps
        longest = max((b - a for a, b in result.gaps), default=0.0)
        print(f"{video.stem[:38]:38} {take.seconds:4.1f} {len(take.expression) / seconds:5.0f} "
              f"{spread[0]:6.1f} {spread[1]:5.1f} {spread[2]:5.1f} {speed:4.0f} "
              f"{result.blinks / take.seconds:8.2f} {result.long_closures / take.seconds:6.2f} "
              f"{np.percentile(take.expression[:, JAW], 95):5.2f} "
              f"{np.median(take.expression[:, BROW]):6.2f} "
              f"{np.percentile(take.expression[:, BROW], 95):6.2f} "
              f"{np.percentile(take.expression[:, SMILE].mean(axis=1), 95):7.2f} "
              f"{longest:3.1f}")  # fmt: skip
        if args.side_by_side:
            folder = args.out / video.stem
            take_video = render_take(take, folder, size=args.size, samples=8, name="take")
            done = side_by_side(video, take_video, args.out / f"{video.stem}_side_by_side.mp4",
                                args.size)  # fmt: skip
            print(f"  {done}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
