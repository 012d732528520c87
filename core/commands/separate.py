"""`musicface separate SONG --out DIR`: write vocals.wav and accompaniment.wav."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from core.audio import write_wav
from core.commands.song_arguments import add_song_arguments
from core.errors import BadInput
from core.progress import ProgressFn

NAME = "separate"
HELP = "split a song into vocals.wav and accompaniment.wav (44.1 kHz stereo)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_song_arguments(parser, "folder for the two wav files")


def prepare_out_dir(out: Path) -> None:
    """Create `out` and make sure it takes files, before the long separation runs."""
    if out.exists() and not out.is_dir():
        raise BadInput(f"--out must be a folder, but {out} is a file")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise BadInput(f"cannot create output folder {out}: {err.strerror or err}") from err
    if not os.access(out, os.W_OK | os.X_OK):
        raise BadInput(f"output folder is not writable: {out}")


def run(args: argparse.Namespace, progress: ProgressFn) -> int:
    from core.separation import separate

    out: Path = args.out
    prepare_out_dir(out)
    stems = separate(
        args.song,
        args.separator,
        vocals=args.vocals,
        accompaniment=args.accompaniment,
        progress=progress,
    )
    # The two files are this command's own output: a rerun replaces them.
    write_wav(out / "vocals.wav", stems.vocals, stems.sr)
    write_wav(out / "accompaniment.wav", stems.accompaniment, stems.sr)
    # stderr: stdout is reserved for the JSON progress protocol.
    cached = " (cached)" if stems.cached else ""
    print(
        f"{stems.message}{cached}; wrote {out / 'vocals.wav'} and accompaniment.wav",
        file=sys.stderr,
    )
    args.done_path = out
    return 0
