"""Lyrics → each word's phones with their spoken durations, from eSpeak NG.

Each word is spoken alone (about a millisecond a word), so a word's phones are
exactly its own: eSpeak's sentence-level merging ("l'existence", numbers, liaisons)
never moves a phone across a word boundary. The durations are those of eSpeak's
speech; a singer stretches vowels far beyond them, which the aligner allows for.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from core.audio import FEATURE_SR, resample
from core.espeak import Utterance, speaker
from core.features import mfcc_26
from core.lyrics.text import Line
from core.phonemes import is_vowel


@dataclass(frozen=True)
class WordPhones:
    word: str
    line: int  # index of the lyric line
    phones: tuple[str, ...]  # eSpeak names, stress marks included; empty: none spoken
    durations: tuple[float, ...]  # seconds, as eSpeak speaks them
    # (V, P, CEPSTRA) mean cepstrum of each phone as each of VARIANTS speaks it
    templates: np.ndarray = field(default_factory=lambda: np.zeros((0, 0, CEPSTRA)))

    @property
    def syllables(self) -> int:
        return sum(is_vowel(p) for p in self.phones)


# eSpeak voice variants whose phones serve as templates: a low and a high voice, so a
# singer of either kind is near one of them.
VARIANTS = ("", "+f3")
CEPSTRA = 10  # c1..c10: the spectral envelope without the level (c0) and fine detail


def _sounds(utterance: Utterance) -> list:
    # Language switches ("(en)") are markers, not sounds.
    return [p for p in utterance.phones if not p.name.startswith("(")]


def _phone_cepstra(utterance: Utterance, phones: list) -> np.ndarray:
    """(P, CEPSTRA) mean cepstrum over each phone's 10 ms frames."""
    audio = resample(utterance.audio, utterance.sr, FEATURE_SR)
    cepstra = mfcc_26(audio)[:, 1 : 1 + CEPSTRA] if len(audio) else np.zeros((1, CEPSTRA))
    out = np.zeros((len(phones), CEPSTRA), np.float32)
    for i, p in enumerate(phones):
        a = min(int(p.start * 100), len(cepstra) - 1)
        b = min(max(int(np.ceil(p.end * 100)), a + 1), len(cepstra))
        out[i] = cepstra[a:b].mean(axis=0)
    return out


def word_phones(lines: list[Line], voice: str) -> list[WordPhones]:
    """Every word of `lines` in order, with the phones eSpeak NG speaks for it."""
    speak = speaker().speak
    out = []
    for index, line in enumerate(lines):
        for word in line.words:
            utterance = speak(word, voice)
            phones = _sounds(utterance)
            templates = [_phone_cepstra(utterance, phones)]
            for variant in VARIANTS[1:]:
                other = speak(word, voice + variant)
                others = _sounds(other)
                if [p.name for p in others] == [p.name for p in phones]:
                    templates.append(_phone_cepstra(other, others))
                else:
                    templates.append(templates[0])
            out.append(
                WordPhones(
                    word=word,
                    line=index,
                    phones=tuple(p.name for p in phones),
                    durations=tuple(p.end - p.start for p in phones),
                    templates=np.stack(templates),
                )
            )
    return out
