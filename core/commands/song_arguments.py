"""The song, separation and model arguments that `features`, `generate` and `animate`
share, and `--device` for the commands that run the generator."""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import TYPE_CHECKING

from core.device import DEVICE_HELP
from core.progress import ProgressFn, scaled
from core.separation.names import SEPARATORS

if TYPE_CHECKING:  # the engine's heavy imports wait until a command runs
    from core.performance import Performance


def add_song_arguments(parser: argparse.ArgumentParser, out_help: str) -> None:
    """SONG, -o/--out, --separator, --vocals, --accompaniment."""
    parser.add_argument("song", type=Path, help="audio file (wav, flac, mp3, m4a, ogg, …)")
    parser.add_argument("-o", "--out", type=Path, required=True, help=out_help)
    parser.add_argument(
        "--separator",
        choices=SEPARATORS,
        default="auto",
        help="auto: spleeter when its model is installed, else dsp (default: auto)",
    )
    parser.add_argument("--vocals", type=Path, help="your own vocal stem (skips separation)")
    parser.add_argument("--accompaniment", type=Path, help="your own accompaniment stem")


def add_model_arguments(parser: argparse.ArgumentParser) -> None:
    """--checkpoint, --subject, --seed."""
    parser.add_argument(
        "--checkpoint", type=Path, help="generator checkpoint (default: the shipped one)"
    )
    parser.add_argument("--subject", type=int, default=0, help="singer style index (default 0)")
    parser.add_argument("--seed", type=int, default=0, help="take seed: blinks vary with it")
    parser.add_argument(
        "--no-mouth-gate",
        action="store_true",
        help="let the model's mouth move where the separated vocals are quiet (by default "
        "it rests there: the model alone sings along to what the separator leaves behind)",
    )


def add_lyrics_arguments(parser: argparse.ArgumentParser) -> None:
    """--lyrics, --lyrics-strength, --language: mouth shapes from the song's words."""
    from core.lyrics.visemes import DEFAULT_STRENGTH

    parser.add_argument(
        "--lyrics",
        type=Path,
        help="the song's lyrics (.txt, one line per lyric line, or .lrc): aligned to the "
        "vocals, their phones shape the mouth and the take records the words",
    )
    parser.add_argument(
        "--lyrics-strength",
        type=float,
        default=DEFAULT_STRENGTH,
        help="how far the phones' mouth shapes replace the model's, 0..1; from 0.5 on "
        f"every aligned p/b/m shuts the lips (default {DEFAULT_STRENGTH})",
    )
    add_language_argument(parser)


def add_language_argument(parser: argparse.ArgumentParser) -> None:
    """--language of the lyrics (`align`, and `generate`/`animate` with --lyrics)."""
    parser.add_argument(
        "--language",
        default="auto",
        help="language of the lyrics: auto (guessed from the words), en, es, fr, de, it, pt, "
        "or any language eSpeak NG speaks (default auto)",
    )


def add_device_argument(parser: argparse.ArgumentParser) -> None:
    """--device: where the generator runs (resolved by core/device.py)."""
    parser.add_argument("--device", default="auto", help=DEVICE_HELP)


def check_performance_output(out: Path) -> None:
    """What `generate` and `capture` check of their -o before any work."""
    from core.errors import BadInput

    if out.suffix != ".npz":
        raise BadInput(f"the output must be a .npz file, got {out.name}")
    if not out.parent.is_dir():
        raise BadInput(f"output folder does not exist: {out.parent}")
    if not os.access(out.parent, os.W_OK):
        raise BadInput(f"cannot write to {out.parent}")


def generate_from_arguments(args: argparse.Namespace, progress: ProgressFn) -> Performance:
    """The take that `generate` and `animate` make from their shared arguments."""
    from core.generate import generate

    lyrics = getattr(args, "lyrics", None)
    prepared = None
    if lyrics is not None:
        # Bad lyrics fail before separation and the network run.
        from core.lyrics.take import check_strength, prepare_lyrics

        check_strength(args.lyrics_strength)
        prepared = prepare_lyrics(lyrics, args.language)
    performance = generate(
        args.song,
        checkpoint=args.checkpoint,
        separator=args.separator,
        subject=args.subject,
        seed=args.seed,
        vocals=args.vocals,
        accompaniment=args.accompaniment,
        device=args.device,
        mouth_gate=not args.no_mouth_gate,
        progress=progress if prepared is None else scaled(progress, 0.0, 0.9),
    )
    if prepared is None:
        return performance
    from core.lyrics.take import align_for_take, with_lyrics

    alignment = align_for_take(
        args.song,
        prepared,
        args.separator,
        args.vocals,
        args.accompaniment,
        scaled(progress, 0.9, 0.98),
    )
    return with_lyrics(performance, alignment, args.lyrics_strength, str(lyrics))
