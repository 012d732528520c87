"""`musicface align SONG LYRICS -o words.csv`: the lyrics' words placed on the song."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from core.commands.song_arguments import add_language_argument
from core.errors import BadInput
from core.progress import ProgressFn
from core.separation.names import SEPARATORS

NAME = "align"
HELP = (
    "align lyrics (plain text, one line per lyric line, or .lrc) to the song's separated "
    "vocals: a CSV of word_start,word_end,word (then line, flag, phones)"
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("song", type=Path, help="audio file (wav, flac, mp3, m4a, ogg, …)")
    parser.add_argument("lyrics", type=Path, help="lyrics: .txt (one line per line) or .lrc")
    parser.add_argument("-o", "--out", type=Path, required=True, help="output words .csv")
    add_language_argument(parser)
    parser.add_argument(
        "--separator",
        choices=SEPARATORS,
        default="auto",
        help="auto: spleeter when its model is installed, else dsp (default: auto)",
    )
    parser.add_argument("--vocals", type=Path, help="your own vocal stem (skips separation)")
    parser.add_argument("--accompaniment", type=Path, help="your own accompaniment stem")


def check_csv_output(out: Path) -> None:
    if out.suffix.lower() != ".csv":
        raise BadInput(f"the output must be a .csv file, got {out.name}")
    if not out.parent.is_dir():
        raise BadInput(f"output folder does not exist: {out.parent}")
    if not os.access(out.parent, os.W_OK):
        raise BadInput(f"cannot write to {out.parent}")


def run(args: argparse.Namespace, progress: ProgressFn) -> int:
    from core.lyrics.alignment import align_song
    from core.lyrics.words_csv import write_words_csv

    out: Path = args.out
    check_csv_output(out)
    alignment = align_song(
        args.song,
        args.lyrics,
        language=args.language,
        separator=args.separator,
        vocals=args.vocals,
        accompaniment=args.accompaniment,
        progress=progress,
    )
    write_words_csv(out, alignment.words)
    flagged = sum(w.interpolated for w in alignment.words)
    note = f", {flagged} interpolated (flagged)" if flagged else ""
    print(
        f"wrote {out} ({len(alignment.words)} words in {len(alignment.lines)} lines, "
        f"language {alignment.language}{note})",
        file=sys.stderr,
    )
    args.done_path = out
    return 0
