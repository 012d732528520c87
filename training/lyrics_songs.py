"""Songs with known words at known times, for testing `musicface align` (test material only).

The corpus's singer (training/synth/singer.py) sings lines of real words over its
procedural band; each word is spoken alone by eSpeak NG and the words joined, so every
sung phone is known to belong to one word, and a word's true onset is the start of its
first sung phone. Nothing here is tuned on or shipped; the tests and
benchmarks/lyrics_alignment.py make these songs and align them like a user's.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from training.synth.band import play
from training.synth.espeak import Phone, Utterance, speaker
from training.synth.lyrics import VOICES, WORDS
from training.synth.melody import melody
from training.synth.music import random_plan
from training.synth.phonemes import is_vowel
from training.synth.rap import rap_melody
from training.synth.singer import _sing_line, _timing
from training.synth.styles import random_voice


@dataclass(frozen=True)
class SungWord:
    word: str
    line: int
    start: float
    end: float


@dataclass(frozen=True)
class LyricsSong:
    mix: np.ndarray  # (N, 2) float32 at sr
    sr: int
    lines: list[list[str]]
    words: list[SungWord]
    language: str


def _joined(words: list[str], voice: str) -> tuple[Utterance, list[int]]:
    """The words spoken one by one and joined: one utterance, and each phone's word."""
    audio, phones, owner = [], [], []
    offset = 0.0
    sr = speaker().sr
    for k, word in enumerate(words):
        u = speaker().speak(word, voice)
        sounds = [p for p in u.phones if not p.name.startswith("(")]
        phones += [Phone(p.name, p.start + offset, p.end + offset) for p in sounds]
        owner += [k] * len(sounds)
        audio.append(u.audio)
        offset += len(u.audio) / sr
    return Utterance(np.concatenate(audio), sr, tuple(phones)), owner


def lyrics_song(
    seed: int,
    language: str = "en",
    seconds: float = 20.0,
    rap: bool = False,
    sr: int = 44100,
    unlisted: int | None = None,
) -> LyricsSong:
    """A song of about `seconds` with words of `language` (training/synth/lyrics.py). The
    phrase numbered `unlisted` is sung but left out of the lyrics and the truth, as a
    backing chant or an ad-lib is left out of a song's published lyrics."""
    rng = np.random.Generator(np.random.PCG64(seed))
    plan = random_plan(rng, seconds)
    voice = random_voice(rng)
    voice_name = f"{VOICES[language][0]}+{voice.variant}"
    vocals = np.zeros(int(np.ceil(plan.seconds * sr)), np.float32)
    lines: list[list[str]] = []
    truth: list[SungWord] = []
    for number, phrase in enumerate(plan.phrases):
        units = int(round((phrase.end - phrase.start) * (4 if rap else 2)))
        target = max(1, int(units * rng.uniform(0.35, 0.7)))
        words: list[str] = []
        while True:
            candidate = words + [WORDS[language][int(rng.integers(len(WORDS[language])))]]
            utterance, _ = _joined(candidate, voice_name)
            count = sum(is_vowel(p.name) for p in utterance.phones)
            if words and count > min(target, units - 1):
                break
            words = candidate
            if count >= target or len(words) >= 10:
                break
        utterance, owner = _joined(words, voice_name)
        n_syll = sum(is_vowel(p.name) for p in utterance.phones)
        if n_syll == 0:
            continue
        notes = (rap_melody if rap else melody)(rng, plan, phrase, voice, n_syll)
        audio, start, _, _ = _sing_line(rng, utterance, notes, voice, sr, rap)
        spans, _, order = _timing(utterance.phones, notes)
        i = int(round(start * sr))
        if i < 0:
            audio, i = audio[-i:], 0
        m = min(len(audio), len(vocals) - i)
        vocals[i : i + m] += audio[:m]
        if number == unlisted:
            continue
        for k, word in enumerate(words):
            own = [s for s, j in zip(spans, order, strict=True) if owner[j] == k]
            truth.append(SungWord(word, len(lines), own[0][0], own[-1][1]))
        lines.append(words)
    band = play(rng, plan, sr, 0.0)
    vocals /= max(float(np.sqrt(np.mean(vocals[vocals != 0] ** 2))), 1e-9)
    band /= max(float(np.sqrt(np.mean(band**2))), 1e-9)
    mix = band * 10 ** (-float(rng.uniform(2.0, 6.0)) / 20) + vocals[:, None]
    mix = (mix / (np.abs(mix).max() / 0.89)).astype(np.float32)
    return LyricsSong(mix, sr, lines, truth, language)
