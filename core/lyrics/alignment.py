"""Song + lyrics file → aligned words: the one entry point that `align`, `generate
--lyrics` and the add-on share."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from core.audio import FEATURE_SR
from core.lyrics.activity import sung_probability
from core.lyrics.align import FPS, AlignedWord, align_words
from core.lyrics.language import resolve_voice
from core.lyrics.phones import word_phones
from core.lyrics.text import Line, read_lyrics
from core.progress import ProgressFn, no_progress, scaled


@dataclass(frozen=True)
class Alignment:
    language: str
    lines: list[Line]
    words: list[AlignedWord]

    def to_json(self) -> dict:
        """What a take records (Performance meta "lyrics")."""
        return {
            "language": self.language,
            "lines": [" ".join(line.words) for line in self.lines],
            "words": [
                {
                    "word": w.word,
                    "line": w.line,
                    "start": round(w.start, 3),
                    "end": round(w.end, 3),
                    "interpolated": w.interpolated,
                    "phones": [[n, round(a, 3), round(b, 3)] for n, a, b in w.phones],
                }
                for w in self.words
            ],
        }


def prepare_lyrics(lyrics: str | Path, language: str = "auto") -> tuple[list[Line], str, str]:
    """(lines, language code, eSpeak voice): every check on the lyrics, before any
    audio work, so bad lyrics fail at once."""
    lines = read_lyrics(lyrics)
    code, voice = resolve_voice(language, lines)
    return lines, code, voice


def align_vocals(
    vocals: np.ndarray,
    lines: list[Line],
    language: str,
    voice: str,
    sr: int = FEATURE_SR,
    progress: ProgressFn = no_progress,
) -> Alignment:
    """Align `lines` to a separated vocal stream (mono (N,) or (N, C) at `sr`)."""
    progress("phones", 0.0)
    words = word_phones(lines, voice)
    n_frames = int(len(vocals) / sr * FPS)
    progress("activity", 0.1)
    activity = sung_probability(vocals, sr, FPS, n_frames)
    aligned = align_words(words, lines, activity, scaled(progress, 0.3, 1.0))
    progress("align", 1.0)
    return Alignment(language=language, lines=lines, words=aligned)


def align_song(
    song: str | Path,
    lyrics: str | Path,
    language: str = "auto",
    separator: str = "auto",
    vocals: str | Path | None = None,
    accompaniment: str | Path | None = None,
    progress: ProgressFn = no_progress,
) -> Alignment:
    """Separate `song` (cached) and align the lyrics file to its vocal stream."""
    from core.separation import separate

    lines, code, voice = prepare_lyrics(lyrics, language)
    stems = separate(
        Path(song),
        separator,
        vocals=Path(vocals) if vocals is not None else None,
        accompaniment=Path(accompaniment) if accompaniment is not None else None,
        sr=FEATURE_SR,
        progress=scaled(progress, 0.0, 0.7),
    )
    return align_vocals(stems.vocals, lines, code, voice, FEATURE_SR, scaled(progress, 0.7, 1.0))
