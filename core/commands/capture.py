"""`musicface capture VIDEO -o take.npz`: a performer on video as an editable take."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from core.commands.song_arguments import check_performance_output
from core.errors import BadInput
from core.progress import ProgressFn

NAME = "capture"
HELP = (
    "capture a face on video (any container, fps, size) as a Performance (.npz): ARKit "
    "expression, head pose, blinks and long closures, at 30 fps; the video's sound is the song"
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("video", type=Path, help="video file (mp4, mov, mkv, webm, avi, …)")
    parser.add_argument("-o", "--out", type=Path, required=True, help="output Performance .npz")
    parser.add_argument(
        "--calibration",
        default="template",
        help="template: map MediaPipe's scores onto the MusicFace head's scale (default); "
        "raw: MediaPipe's own scores; or a calibration .json",
    )
    parser.add_argument(
        "--no-smoothing", action="store_true", help="keep the tracker's frame-to-frame jitter"
    )
    parser.add_argument(
        "--neutral",
        choices=("own", "none"),
        default="own",
        help="own: the performer's face at rest is the head's rest, so brows that sit "
        "high or a mouth that hangs open are not read as raised or open (default); none: "
        "MediaPipe's scores as they are",
    )
    parser.add_argument(
        "--max-side",
        type=int,
        default=512,
        help="track at most this many pixels on the long side (default 512)",
    )


def run(args: argparse.Namespace, progress: ProgressFn) -> int:
    from core.capture import capture_video
    from core.capture.calibration import Calibration
    from core.capture.capture import SmoothingSettings

    out: Path = args.out
    check_performance_output(out)
    if args.max_side < 64:
        raise BadInput(f"--max-side must be at least 64, got {args.max_side}")
    if args.calibration == "template":
        calibration = Calibration.load()
    elif args.calibration == "raw":
        calibration = Calibration(meta={"name": "raw"})
    else:
        calibration = Calibration.load(Path(args.calibration))
    result = capture_video(
        args.video,
        calibration=calibration,
        smoothing=None if args.no_smoothing else SmoothingSettings(),
        max_side=args.max_side,
        own_neutral=args.neutral == "own",
        progress=progress,
    )
    progress("write", 0.99)
    result.performance.save(out)
    progress("write", 1.0)
    print(result.summary(), file=sys.stderr)
    if not result.video.has_audio:
        print(f"{args.video.name} has no sound: the take has no song", file=sys.stderr)
    performance = result.performance
    print(f"wrote {out} ({performance.frames} frames at {performance.fps:g} fps)", file=sys.stderr)
    args.done_path = out
    return 0
