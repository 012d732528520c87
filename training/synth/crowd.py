"""Voices that are not the lead's: choirs, shouted and spoken backing, ad-libs.

A separator puts every voice into the vocal stream; the performer's mouth follows
only the lead. backing.py has harmonies along the lead and short sung answers in
its rests. Real songs have more, and each is a kind of sound a model trained on the
lead alone sang along to:

- **choir**: several voices holding vowels on the chord ("aah", "ooh"), wide in the
  stereo image and wet, in intros, breaks and outros, and sometimes softly under
  the lead; a formant synthesiser (a glottal-like source through vowel resonances)
  makes each voice, so a choir never sounds like the lead's eSpeak timbre;
- **shouts**: a gang calling "hey!", "go!", "vamos!" on beats in the lead's rests,
  spoken by eSpeak NG with high effort (driven into distortion), several voices
  a few milliseconds apart, centred or panned;
- **spoken**: a spoken line (a hype man, an intro) in the lead's rests;
- **ad-libs**: another singer's short melisma ("yeah-eh", "ooh") in the lead's rests
  or over a line's last note, with an echo.

Every such sound is written as a span in `spans`; the performer's mouth stays shut
there unless the lead sings too.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.ndimage import gaussian_filter1d
from scipy.signal import butter, lfilter, sosfilt

from training.synth.espeak import speaker
from training.synth.lyrics import VOICES, random_line
from training.synth.melody import Note
from training.synth.music import BEATS_PER_BAR, SongPlan
from training.synth.phonemes import is_vowel
from training.synth.singer import VocalTrack, sing_line
from training.synth.styles import Voice, random_voice

KINDS = ("choir", "shouts", "spoken", "adlibs")
CALLS: dict[str, tuple[str, ...]] = {
    "en": ("hey", "ho", "go", "come on", "let's go", "yeah", "say it", "jump"),
    "it": ("hey", "dai", "vai", "andiamo", "forza", "si"),
    "es": ("hey", "vamos", "dale", "arriba", "eso", "venga"),
    "de": ("hey", "los", "komm", "auf geht's", "ja", "hopp"),
    "fr": ("hey", "allez", "vas-y", "encore", "oui", "ouais"),
}
ADLIBS = ("yeah", "oh", "ooh", "hey yeah", "oh oh", "ah")
# Formant frequencies (Hz) and bandwidths of sung vowels (an alto; shifted per voice).
VOWELS: dict[str, tuple[tuple[float, float], ...]] = {
    "a": ((800.0, 80.0), (1150.0, 90.0), (2800.0, 120.0), (3500.0, 130.0)),
    "o": ((450.0, 70.0), (800.0, 80.0), (2830.0, 100.0), (3500.0, 130.0)),
    "u": ((325.0, 50.0), (700.0, 60.0), (2530.0, 170.0), (3500.0, 180.0)),
    "e": ((400.0, 60.0), (1600.0, 80.0), (2700.0, 120.0), (3300.0, 150.0)),
}


@dataclass(frozen=True)
class Crowd:
    audio: np.ndarray  # (N, 2) float32, levels relative to a lead of unit RMS
    kinds: tuple[str, ...]
    spans: tuple[tuple[float, float], ...]  # (start, end) s where any of them sounds


def _pan(mono: np.ndarray, position: float) -> np.ndarray:
    angle = (position + 1.0) * np.pi / 4
    return np.stack([mono * np.cos(angle), mono * np.sin(angle)], axis=1)


def _hz(midi: float) -> float:
    return 440.0 * 2.0 ** ((midi - 69.0) / 12.0)


def _unit(x: np.ndarray) -> np.ndarray:
    loud = np.abs(x) > 1e-6 * max(float(np.abs(x).max()), 1e-12)
    rms = float(np.sqrt(np.mean(x[loud] ** 2))) if loud.any() else 0.0
    return (x / rms).astype(np.float32) if rms > 0 else x.astype(np.float32)


def rests(plan: SongPlan, track: VocalTrack) -> list[tuple[float, float]]:
    """Where the lead is silent: before its first line, between lines, after the last."""
    if not track.lines:
        return [(0.0, plan.seconds)]
    starts = [line.notes[0].start for line in track.lines]
    ends = [line.notes[-1].end for line in track.lines]
    gaps = [(0.0, starts[0])]
    gaps += [(ends[k], starts[k + 1]) for k in range(len(starts) - 1)]
    gaps.append((ends[-1], plan.seconds))
    # Clear of the lead's mouth: it closes ~0.25 s after a line, breathes ~0.5 s before.
    return [(a + 0.3, b - 0.5) for a, b in gaps if b - a > 1.1]


def _sung_vowel(
    rng: np.random.Generator, midi: float, seconds: float, vowel: str, shift: float, sr: int
) -> np.ndarray:
    """One choir voice holding `vowel` on `midi`: harmonics with vibrato and jitter through
    four formant resonances, a slow swell in and out, a breath of noise."""
    n = int(seconds * sr)
    t = np.arange(n) / sr
    f0 = _hz(midi) * 2.0 ** (
        (
            float(rng.uniform(0.15, 0.4)) * np.sin(2 * np.pi * float(rng.uniform(4.5, 6.0)) * t)
            + gaussian_filter1d(rng.normal(0.0, 8.0, n), sr * 0.05)
        )
        / 1200.0
    )
    phase = 2 * np.pi * np.cumsum(f0) / sr
    source = sum(
        np.sin(h * phase) / h**1.2 for h in range(1, 40) if _hz(midi) * h < min(5000, sr / 2 - 500)
    )
    source = source + 0.05 * rng.normal(0.0, 1.0, n)
    out = np.zeros(n)
    for freq, width in VOWELS[vowel]:
        f, bw = freq * shift, width * shift
        r = np.exp(-np.pi * bw / sr)
        a = [1.0, -2.0 * r * np.cos(2 * np.pi * f / sr), r * r]
        out += lfilter([1.0 - r], a, source)
    swell = np.minimum(t / max(0.25, 0.2 * seconds), 1.0) * np.clip((seconds - t) / 0.3, 0, 1)
    return (out * swell).astype(np.float32)


def choir(
    rng: np.random.Generator, plan: SongPlan, track: VocalTrack, sr: int, n: int
) -> tuple[np.ndarray, list[tuple[float, float]]]:
    """3–6 voices on the chords of the lead's rests (and, in some songs, softly under it)."""
    out = np.zeros((n, 2), np.float32)
    spans: list[tuple[float, float]] = []
    vowel = str(rng.choice(list(VOWELS)))
    voices = int(rng.integers(3, 7))
    pans = np.linspace(-1.0, 1.0, voices) * float(rng.uniform(0.6, 1.0))
    shifts = rng.uniform(0.9, 1.15, voices)
    under = rng.random() < 0.35
    places = [(a, b, 1.0) for a, b in rests(plan, track)]
    if under:
        places += [(ln.notes[0].start, ln.notes[-1].end, 0.35) for ln in track.lines]
    bar_len = BEATS_PER_BAR * plan.beat
    for start, end, level in places:
        # Whole bars of the rest, one chord each.
        t = start
        while t + 0.6 < end:
            length = min(bar_len, end - t)
            bar = int(np.clip((t - plan.first_beat) / bar_len, 0, plan.n_bars - 1))
            chord = plan.chord(bar)
            for k in range(voices):
                midi = 57 + plan.tonic % 12 + chord[k % 3] + (12 if k >= 3 else 0)
                sound = _sung_vowel(rng, midi, length, vowel, float(shifts[k]), sr)
                i = int(round(t * sr))
                m = min(len(sound), n - i)
                if m > 0:
                    out[i : i + m] += _pan(sound[:m] * level, float(pans[k]))
            if level == 1.0:
                spans.append((t, t + length))
            t += length
    return out, spans


def _effort(audio: np.ndarray, drive: float, sr: int) -> np.ndarray:
    """A shouted voice: brighter and driven into distortion."""
    bright = sosfilt(butter(1, 900, btype="high", fs=sr, output="sos"), audio)
    x = _unit(audio * 0.5 + bright) * 0.3
    return np.tanh(drive * x) / np.tanh(drive)


def _say(text: str, voice: str, sr: int) -> np.ndarray:
    from scipy.signal import resample_poly

    spoken = speaker().speak(text, voice)
    audio = spoken.audio.astype(np.float64)
    if spoken.sr != sr:
        audio = resample_poly(audio, sr, spoken.sr)
    return audio


def shouts(
    rng: np.random.Generator, plan: SongPlan, track: VocalTrack, language: str, sr: int, n: int
) -> tuple[np.ndarray, list[tuple[float, float]]]:
    """A gang shouting on beats in the lead's rests."""
    out = np.zeros((n, 2), np.float32)
    spans: list[tuple[float, float]] = []
    gang = int(rng.integers(1, 5))
    variants = [str(v) for v in rng.choice(["m1", "m2", "m3", "m7", "f2", "f4"], gang)]
    pan = float(rng.uniform(-0.3, 0.3)) if rng.random() < 0.5 else float(rng.uniform(-0.9, 0.9))
    language_voice = VOICES[language][0]
    for start, end in rests(plan, track):
        if rng.random() < 0.4:
            continue
        beat = plan.time(np.ceil((start - plan.first_beat) / plan.beat))
        calls = CALLS[language]
        word = calls[int(rng.integers(len(calls)))]
        while beat + 0.5 < end:
            take = np.zeros(1, np.float32)
            for k, variant in enumerate(variants):
                voiced = _effort(_say(word, f"{language_voice}+{variant}", sr), 8.0, sr)
                delay = int(rng.uniform(0.0, 0.03) * sr) if k else 0
                size = max(len(take), delay + len(voiced))
                take = np.pad(take, (0, size - len(take)))
                take[delay : delay + len(voiced)] += voiced.astype(np.float32)
            i = int(round(beat * sr))
            m = min(len(take), n - i)
            if m > 0:
                out[i : i + m] += _pan(take[:m], pan + float(rng.uniform(-0.1, 0.1)))
                spans.append((beat, beat + m / sr))
            beat += plan.beat * float(rng.choice([2, 4]))
    return out, spans


def spoken(
    rng: np.random.Generator, plan: SongPlan, track: VocalTrack, language: str, sr: int, n: int
) -> tuple[np.ndarray, list[tuple[float, float]]]:
    """A spoken line in some of the lead's rests (another voice of the language)."""
    out = np.zeros((n, 2), np.float32)
    spans: list[tuple[float, float]] = []
    variant = str(rng.choice(["m1", "m3", "m5", "f1", "f3", "f4"]))
    pan = float(rng.uniform(-0.5, 0.5))
    for start, end in rests(plan, track):
        if end - start < 1.2 or rng.random() < 0.5:
            continue
        audio = _say(
            random_line(rng, language, int(rng.integers(2, 5))),
            f"{VOICES[language][0]}+{variant}",
            sr,
        )
        audio = audio[: int((end - start) * sr)]
        i = int(round(start * sr))
        m = min(len(audio), n - i)
        if m > int(0.2 * sr):
            out[i : i + m] += _pan(_unit(audio[:m]), pan)
            spans.append((start, start + m / sr))
    return out, spans


def _echo(mono: np.ndarray, sr: int, delay: float, feedback: float) -> np.ndarray:
    d = int(delay * sr)
    out = np.concatenate([mono, np.zeros(4 * d, np.float32)])
    for k in range(1, 4):
        out[k * d : k * d + len(mono)] += mono * feedback**k
    return out


def adlibs(
    rng: np.random.Generator,
    plan: SongPlan,
    track: VocalTrack,
    voice: Voice,
    language: str,
    sr: int,
    n: int,
) -> tuple[np.ndarray, list[tuple[float, float]]]:
    """Another singer's short melismas in the lead's rests, with an echo."""
    out = np.zeros((n, 2), np.float32)
    spans: list[tuple[float, float]] = []
    other = random_voice(rng)
    voice_name = f"{VOICES[language][0]}+{other.variant}"
    pan = float(rng.uniform(-0.7, 0.7))
    delay = plan.beat * float(rng.choice([0.5, 0.75, 1.0]))
    for start, end in rests(plan, track):
        if rng.random() < 0.45 or end - start < 0.6:
            continue
        spoken_word = speaker().speak(ADLIBS[int(rng.integers(len(ADLIBS)))], voice_name)
        n_syll = sum(is_vowel(p.name) for p in spoken_word.phones)
        if n_syll == 0:
            continue
        seconds = min(end - start, float(rng.uniform(0.8, 2.0)))
        base = float(round((other.low + other.high) / 2))
        steps = rng.choice([-3, -2, 0, 2, 3, 5], n_syll)
        step = seconds / n_syll
        notes = [
            Note(
                start + k * step,
                start + (k + 1) * step,
                base + float(s),
                float(rng.uniform(0.6, 0.9)),
            )
            for k, s in enumerate(steps)
        ]
        try:
            audio, line_start, _, _ = sing_line(rng, spoken_word, notes, other, sr)
        except (ValueError, IndexError):
            continue  # a word eSpeak split oddly: skip the ad-lib, not the song
        wet = _echo(_unit(audio), sr, delay, float(rng.uniform(0.25, 0.5)))
        i = max(0, int(round(line_start * sr)))
        m = min(len(wet), n - i)
        if m > 0:
            out[i : i + m] += _pan(wet[:m], pan)
            spans.append((line_start, line_start + len(audio) / sr))
    return out, spans


def crowd_voices(
    rng: np.random.Generator,
    plan: SongPlan,
    track: VocalTrack,
    voice: Voice,
    language: str,
    sr: int,
    chances: dict[str, float],
) -> Crowd:
    """Each kind with its chance (KINDS order; one generator for all, drawn in order)."""
    n = len(track.audio)
    out = np.zeros((n, 2), np.float32)
    kinds: list[str] = []
    spans: list[tuple[float, float]] = []
    sung = np.abs(track.audio) > 0
    lead_rms = float(np.sqrt(np.mean(track.audio[sung] ** 2))) if sung.any() else 1.0
    draws = {kind: rng.random() < chances.get(kind, 0.0) for kind in KINDS}
    # Levels against the lead, dB: a choir sits under it, shouts and ad-libs near it.
    levels = {"choir": (-14.0, -4.0), "shouts": (-8.0, 0.0), "spoken": (-12.0, -3.0),
              "adlibs": (-10.0, -2.0)}  # fmt: skip
    for kind in KINDS:
        if not draws[kind]:
            continue
        if kind == "choir":
            audio, found = choir(rng, plan, track, sr, n)
        elif kind == "shouts":
            audio, found = shouts(rng, plan, track, language, sr, n)
        elif kind == "spoken":
            audio, found = spoken(rng, plan, track, language, sr, n)
        else:
            audio, found = adlibs(rng, plan, track, voice, language, sr, n)
        if not found:
            continue
        gain = 10 ** (float(rng.uniform(*levels[kind])) / 20)
        loud = np.abs(audio).sum(axis=1) > 0
        rms = float(np.sqrt(np.mean(audio[loud] ** 2))) + 1e-12
        out += audio * (gain * lead_rms / rms)
        kinds.append(kind)
        spans += found
    return Crowd(out.astype(np.float32), tuple(kinds), tuple(sorted(spans)))
