"""`generate --lyrics`: a take's mouth shaped by the aligned phones, and the alignment
recorded in the take (meta "lyrics") for the add-on's word markers.

A driver after `core.generate.generate`, not a second pipeline: the vocal stream it
aligns to is the separation generate just made (a cache hit), and without lyrics the
take is generate's, bit for bit.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from core.audio import FEATURE_SR
from core.errors import BadInput
from core.lyrics.alignment import Alignment, align_vocals, prepare_lyrics
from core.lyrics.visemes import apply_visemes
from core.performance import Performance
from core.progress import ProgressFn, no_progress


def check_strength(strength: float) -> float:
    if not 0.0 <= strength <= 1.0:
        raise BadInput(f"--lyrics-strength must be between 0 and 1, got {strength}")
    return float(strength)


def with_lyrics(
    performance: Performance, alignment: Alignment, strength: float, lyrics_file: str
) -> Performance:
    """The take with the phones' mouth shapes blended in and the alignment in its meta."""
    expression = apply_visemes(performance.expression, performance.fps, alignment.words, strength)
    # The eye columns are generate's composite eye state: the blend never touches them.
    meta = {
        **performance.meta,
        "lyrics": {**alignment.to_json(), "file": lyrics_file, "strength": strength},
    }
    return replace(performance, expression=expression, meta=meta)


def align_for_take(
    song: str | Path,
    lines_voice: tuple,
    separator: str,
    vocals: str | Path | None,
    accompaniment: str | Path | None,
    progress: ProgressFn = no_progress,
) -> Alignment:
    """Align prepared lyrics to the song's vocal stream as generate separated it."""
    from core.separation import separate

    lines, code, voice = lines_voice
    stems = separate(
        Path(song),
        separator,
        vocals=Path(vocals) if vocals is not None else None,
        accompaniment=Path(accompaniment) if accompaniment is not None else None,
        sr=FEATURE_SR,
    )
    return align_vocals(stems.vocals, lines, code, voice, FEATURE_SR, progress)


__all__ = ["align_for_take", "check_strength", "prepare_lyrics", "with_lyrics"]
