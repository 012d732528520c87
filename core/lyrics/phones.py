"""Lyrics → each word's phones with their spoken durations, from eSpeak NG.

Each word is spoken alone (about a millisecond a word), so a word's phones are
exactly its own: eSpeak's sentence-level merging ("l'existence", numbers, liaisons)
never moves a phone across a word boundary. The durations are those of eSpeak's
speech; a singer stretches vowels far beyond them, which the aligner allows for.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from core.audio import FEATURE_SR, resample
from core.errors import MissingModel, MusicFaceError
from core.espeak import Utterance, speaker
from core.features import mfcc_26
from core.lyrics.text import Line
from core.phonemes import base_name, is_vowel


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


_ROOT = Path(__file__).resolve().parents[2]  # where `python -m core…` finds the engine
# eSpeak voice variants whose phones serve as templates, spread over its male and female
# voices so that a singer of any register is near one of them (a frame reads the nearest
# variant). Measured on the dev songs against a low and a high voice alone ("", "+f3"):
# words within 0.3 s 78 → 82 %, mean 0.49 → 0.46 s.
VARIANTS = ("", "+m1", "+m3", "+m5", "+f1", "+f3", "+f5")
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


def spoken_words(
    words: list[str], voice: str
) -> dict[str, tuple[list[str], list[float], np.ndarray]]:
    """Each distinct word of `words` (in sorted order) as eSpeak NG speaks it in this
    process: its phone names, their durations and (V, P, CEPSTRA) templates."""
    speak = speaker().speak
    out = {}
    for word in sorted(set(words)):
        utterance = speak(word, voice)
        phones = _sounds(utterance)
        templates = [_phone_cepstra(utterance, phones)]
        for variant in VARIANTS[1:]:
            other = speak(word, voice + variant)
            others = _sounds(other)
            same = [p.name for p in others] == [p.name for p in phones]
            templates.append(_phone_cepstra(other, others) if same else templates[0])
        out[word] = (
            [p.name for p in phones],
            [p.end - p.start for p in phones],
            np.stack(templates).astype(np.float32),
        )
    return out


def _speak_in_fresh_process(words: list[str], voice: str) -> dict:
    """spoken_words() in a child process. eSpeak NG's state drifts from utterance to
    utterance (pitch flutter, noise phases; no API resets it), so speaking in this
    process would make the templates, and so the alignment, depend on whatever was
    spoken before; a fresh engine speaks the same lyrics the same way every time."""
    with tempfile.TemporaryDirectory(prefix="musicface-phones-") as tmp:
        request, result = Path(tmp) / "words.json", Path(tmp) / "phones.npz"
        request.write_text(json.dumps(words), encoding="utf-8")
        argv = [sys.executable, "-m", "core.lyrics.phones", voice, str(request), str(result)]
        done = subprocess.run(
            argv, cwd=_ROOT, capture_output=True, text=True, check=False, timeout=600
        )
        if done.returncode != 0:
            last = (done.stderr.strip().splitlines() or ["no message"])[-1]
            error = MissingModel if done.returncode == MissingModel.exit_code else MusicFaceError
            raise error(f"eSpeak NG could not speak the lyrics: {last}")
        with np.load(result, allow_pickle=False) as data:
            names = json.loads(str(data["names"]))
            counts = data["counts"]
            durations = data["durations"]
            templates = data["templates"]
    out, k = {}, 0
    for word, phones, n in zip(sorted(set(words)), names, counts, strict=True):
        out[word] = (phones, list(durations[k : k + n]), templates[:, k : k + n])
        k += int(n)
    return out


def merge_repeated_vowels(
    phones: list[str], durations: list[float], templates: np.ndarray
) -> tuple[list[str], list[float], np.ndarray]:
    """One vowel where eSpeak reads a doubled vowel letter as two in a row: an
    interjection spelt long ("ooh", "aah", "yeaah") is a single sung note, not two
    syllables (Spanish eSpeak reads "ooh" as 'o o), and a singer holds such a vowel as
    one anyway ("leer", "zoo")."""
    keep: list[int] = []
    names: list[str] = []
    seconds: list[float] = []
    for i, (name, d) in enumerate(zip(phones, durations, strict=True)):
        if names and is_vowel(name) and base_name(name) == base_name(names[-1]):
            seconds[-1] += float(d)
            continue
        keep.append(i)
        names.append(name)
        seconds.append(float(d))
    return names, seconds, templates[:, keep] if templates.ndim == 3 else templates


def word_phones(lines: list[Line], voice: str) -> list[WordPhones]:
    """Every word of `lines` in order, with the phones eSpeak NG speaks for it."""
    spoken = _speak_in_fresh_process([w for line in lines for w in line.words], voice)
    out = []
    for index, line in enumerate(lines):
        for word in line.words:
            phones, durations, templates = merge_repeated_vowels(*spoken[word])
            out.append(
                WordPhones(
                    word=word,
                    line=index,
                    phones=tuple(phones),
                    durations=tuple(float(d) for d in durations),
                    templates=templates,
                )
            )
    return out


def _main(argv: list[str]) -> int:
    voice, request, result = argv
    words = json.loads(Path(request).read_text(encoding="utf-8"))
    try:
        spoken = spoken_words(words, voice)
    except MusicFaceError as err:
        print(err, file=sys.stderr)
        return err.exit_code
    ordered = [spoken[w] for w in sorted(spoken)]
    np.savez(
        result,
        names=np.array(json.dumps([names for names, _, _ in ordered])),
        counts=np.array([len(names) for names, _, _ in ordered], np.int64),
        durations=np.array([d for _, ds, _ in ordered for d in ds], np.float64),
        templates=np.concatenate(
            [t for _, _, t in ordered] or [np.zeros((len(VARIANTS), 0, CEPSTRA))], axis=1
        ).astype(np.float32),
    )
    return 0


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:]))
