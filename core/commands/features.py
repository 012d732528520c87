"""`musicface features SONG -o feats.npz`: the vocal, accompaniment and mixture windows."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

from core.audio import FEATURE_SR, load_audio
from core.commands.song_arguments import add_song_arguments
from core.errors import BadInput
from core.features import VIDEO_FPS, frame_windows, mfcc_26, video_frame_count
from core.progress import ProgressFn, scaled

NAME = "features"
HELP = "compute the (T, 39, 26) MFCC windows of a song's vocals, accompaniment and mixture"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_song_arguments(parser, "output .npz")


def run(args: argparse.Namespace, progress: ProgressFn) -> int:
    from core.separation import separate

    out: Path = args.out
    if not out.parent.exists() or not out.parent.is_dir():
        raise BadInput(f"output folder does not exist: {out.parent}")
    progress("decode", 0.0)
    mix = load_audio(args.song, FEATURE_SR)
    n_frames = video_frame_count(len(mix) / FEATURE_SR, VIDEO_FPS)
    stems = separate(
        args.song,
        args.separator,
        vocals=args.vocals,
        accompaniment=args.accompaniment,
        sr=FEATURE_SR,
        mono=True,
        progress=scaled(progress, 0.1, 0.8),
    )
    progress("features", 0.85)
    windows = {
        "mixture": frame_windows(mfcc_26(mix), n_frames),
        "vocals": frame_windows(mfcc_26(stems.vocals[:, 0]), n_frames),
        "accompaniment": frame_windows(mfcc_26(stems.accompaniment[:, 0]), n_frames),
    }
    try:
        np.savez_compressed(out, fps=np.float64(VIDEO_FPS), separator=stems.backend, **windows)
    except OSError as err:
        raise BadInput(f"cannot write {out}: {err.strerror or err}") from err
    progress("done", 1.0)
    print(f"wrote {out} ({n_frames} frames, separator: {stems.backend})", file=sys.stderr)
    args.done_path = out
    return 0
