"""`musicface render TAKE.npz -o video.mp4`: the photoreal pass of any take."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from core.device import DEVICE_HELP
from core.photoreal import CONSENT
from core.progress import ProgressFn

NAME = "render"
HELP = (
    "render a take (.npz Performance) as photoreal video of the renderer's person, with the "
    "song's audio; every video is labelled AI-generated"
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.epilog = CONSENT
    parser.add_argument("take", type=Path, help="the Performance .npz (generate, capture, Blender)")
    parser.add_argument("-o", "--out", type=Path, required=True, help="output video (.mp4)")
    parser.add_argument(
        "--renderer", type=Path, help="a trained renderer .pt (default: the bundled synthetic one)"
    )
    parser.add_argument(
        "--size", type=int, help="frame size in pixels, square (default: the renderer's own, 256)"
    )
    parser.add_argument(
        "--song", type=Path, help="audio to mux (default: the take's song, if found)"
    )
    parser.add_argument("--no-audio", action="store_true", help="write the video without sound")
    parser.add_argument(
        "--no-label",
        action="store_true",
        help="leave out the visible 'AI-generated' label (the file's metadata still says so)",
    )
    parser.add_argument("--device", default="auto", help=DEVICE_HELP)


def run(args: argparse.Namespace, progress: ProgressFn) -> int:
    from core.device import resolve_device
    from core.errors import BadInput
    from core.performance import Performance
    from core.photoreal.render_video import check_video_output, find_song, render_video
    from core.photoreal.renderer_file import load_renderer

    check_video_output(args.out)
    if not args.take.is_file():
        raise BadInput(f"take not found: {args.take}")
    performance = Performance.load(args.take)
    device = resolve_device(args.device)
    renderer = load_renderer(args.renderer, device)
    song = None
    if not args.no_audio:
        song = args.song if args.song is not None else find_song(performance, args.take)
        if song is not None and not song.is_file():
            raise BadInput(f"song not found: {song}")
        if song is None and performance.meta.get("song"):
            print(
                f"{performance.meta['song']} not found beside the take: no sound (use --song)",
                file=sys.stderr,
            )
    progress("render", 0.0)
    summary = render_video(
        performance,
        renderer,
        args.out,
        size=args.size,
        song=song,
        song_offset=float(performance.meta.get("song_offset") or 0.0),
        label=not args.no_label,
        device=device,
        progress=progress,
    )
    sound = f", sound from {summary.audio.name}" if summary.audio else ", no sound"
    print(
        f"wrote {summary.path} ({summary.frames} frames at {summary.fps:g} fps, "
        f"{summary.size}x{summary.size}{sound})",
        file=sys.stderr,
    )
    args.done_path = summary.path
    return 0
