"""Songs with known beats, made apart from the training corpus: does the head keep the beat?

The synthetic corpus (training/synth) teaches the head its beat; judging the head on
more of the same says little about songs the model never heard. These songs are made
by other code, with grooves the corpus does not play, for measuring only (never for
training): each is a drum kit of its own synthesis in one of `GROOVES`, a bass, chords
(on the beat, or on the off-beats as a reggae skank or a house stab), and a sung-like
vowel melody, 70–165 BPM. Several grooves put their strongest onsets off the beat (the
skank, the off-beat hats and bass of house, a snare-heavy half-time), the trap for a
beat tracker that follows the loudest onsets.

`make_song(seed)` returns the stereo mixture at 44.1 kHz and the true beat times.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.signal import butter, lfilter, sosfilt

SR = 44100
# Per groove, one bar in sixteenths (0..15): kick, snare, hat, chord hits, bass hits.
GROOVES: dict[str, tuple[tuple[int, ...], ...]] = {
    "backbeat": ((0, 8), (4, 12), (0, 2, 4, 6, 8, 10, 12, 14), (0, 8), (0, 8)),
    "disco": ((0, 4, 8, 12), (4, 12), (2, 6, 10, 14), (2, 6, 10, 14), (2, 6, 10, 14)),
    "one_drop": ((8,), (8,), (0, 2, 4, 6, 8, 10, 12, 14), (2, 6, 10, 14), (0, 3, 8, 11)),
    "half_time": ((0, 10), (8,), (0, 4, 8, 12), (0,), (0, 10)),
    "boom_bap": ((0, 7, 10), (4, 12), (0, 2, 4, 6, 8, 10, 12, 14), (0, 8), (0, 7, 10)),
    "funk": ((0, 3, 10), (4, 12), tuple(range(16)), (2, 5, 9, 14), (0, 3, 6, 10, 13)),
    "waltz_feel": ((0,), (4, 8, 12), (0, 2, 4, 6, 8, 10, 12, 14), (4, 8, 12), (0,)),
}


@dataclass(frozen=True)
class BeatSong:
    seed: int
    groove: str
    bpm: float
    mixture: np.ndarray  # (N, 2) float32 at SR
    beats: np.ndarray  # seconds


def _env(n: int, attack: float, decay: float) -> np.ndarray:
    t = np.arange(n) / SR
    return np.minimum(t / max(attack, 1e-4), 1.0) * np.exp(-t / decay)


def _kick(rng: np.random.Generator) -> np.ndarray:
    n = int(0.4 * SR)
    t = np.arange(n) / SR
    sweep = 40 + float(rng.uniform(60, 120)) * np.exp(-t / 0.04)
    body = np.sin(2 * np.pi * np.cumsum(sweep) / SR)
    click = rng.normal(0, 1, n) * np.exp(-t / 0.003)
    return np.tanh(1.5 * body) * _env(n, 0.001, float(rng.uniform(0.1, 0.25))) + 0.2 * click


def _snare(rng: np.random.Generator) -> np.ndarray:
    n = int(0.3 * SR)
    noise = sosfilt(butter(2, [1500, 9000], "band", fs=SR, output="sos"), rng.normal(0, 1, n))
    t = np.arange(n) / SR
    tone = np.sin(2 * np.pi * float(rng.uniform(160, 240)) * t)
    return noise * _env(n, 0.001, 0.09) + 0.6 * tone * _env(n, 0.001, 0.04)


def _hat(rng: np.random.Generator) -> np.ndarray:
    n = int(0.06 * SR)
    noise = sosfilt(butter(4, 8000, "high", fs=SR, output="sos"), rng.normal(0, 1, n))
    return noise * _env(n, 0.0005, 0.015)


def _pluck(freqs: list[float], seconds: float, bright: float) -> np.ndarray:
    n = int(seconds * SR)
    t = np.arange(n) / SR
    out = np.zeros(n)
    for f in freqs:
        for h in range(1, 8):
            if f * h < 8000:
                out += np.sin(2 * np.pi * f * h * t) * bright**h / h
    return out * _env(n, 0.003, seconds / 3)


def _vowel(freq: float, seconds: float, rng: np.random.Generator) -> np.ndarray:
    """A sung-like note: harmonics with vibrato through two vowel formants."""
    n = int(seconds * SR)
    t = np.arange(n) / SR
    f0 = freq * 2 ** (0.3 * np.sin(2 * np.pi * 5.5 * t) * np.minimum(t / 0.3, 1) / 12)
    phase = 2 * np.pi * np.cumsum(f0) / SR
    src = sum(np.sin(h * phase) / h for h in range(1, 30) if freq * h < 7000)
    out = np.zeros(n)
    f1, f2 = rng.choice([(700, 1200), (400, 2000), (350, 800), (500, 1500)])
    for fc, bw in ((f1, 90.0), (f2, 120.0)):
        r = np.exp(-np.pi * bw / SR)
        out += lfilter([1 - r], [1, -2 * r * np.cos(2 * np.pi * fc / SR), r * r], src)
    return out * np.minimum(t / 0.04, 1.0) * np.clip((seconds - t) / 0.05, 0, 1)


def _place(track: np.ndarray, start: float, sound: np.ndarray) -> None:
    i = int(round(start * SR))
    m = min(len(sound), len(track) - i)
    if 0 <= i < len(track) and m > 0:
        track[i : i + m] += sound[:m]


def _hz(midi: float) -> float:
    return 440.0 * 2 ** ((midi - 69) / 12)


def make_song(seed: int, seconds: float | None = None) -> BeatSong:
    """Song `seed`: its groove, tempo, key and arrangement are drawn from the seed alone."""
    rng = np.random.default_rng([seed, 424242])
    groove = list(GROOVES)[int(rng.integers(len(GROOVES)))]
    bpm = float(rng.uniform(70, 165))
    length = seconds if seconds is not None else float(rng.uniform(14, 20))
    beat = 60.0 / bpm
    start = float(rng.uniform(0.2, 0.8))
    n = int((length + 1.0) * SR)
    kicks, snares, hats, keys, bass, voice = (np.zeros(n) for _ in range(6))
    kick, snare, hat = _kick(rng), _snare(rng), _hat(rng)
    pattern = GROOVES[groove]
    tonic = 48 + int(rng.integers(12))
    progression = [0, 5, 7, 9] if rng.random() < 0.5 else [0, 3, 8, 10]
    swing = float(rng.uniform(0.0, 0.3)) if rng.random() < 0.3 else 0.0
    bars = int(np.ceil(length / (4 * beat)))
    for bar in range(bars):
        root = tonic + progression[bar % len(progression)]
        for s in range(16):
            t = start + (bar * 16 + s) * beat / 4 + (swing * beat / 4 if s % 2 else 0.0)
            if s in pattern[0]:
                _place(kicks, t, kick)
            if s in pattern[1]:
                _place(snares, t, snare)
            if s in pattern[2]:
                _place(hats, t, hat * (1.0 if s % 4 == 0 else 0.6))
            if s in pattern[3]:
                chord = [_hz(root + 12 + c) for c in (0, 4, 7)]
                _place(keys, t, _pluck(chord, beat * 0.45, float(rng.uniform(0.4, 0.8))))
            if s in pattern[4]:
                _place(bass, t, _pluck([_hz(root - 12)], beat * 0.8, 0.3))
    # A melody in two-bar phrases with rests, one note per beat or half beat.
    t = start + 4 * beat
    while t < length - 1.0:
        phrase_end = t + 8 * beat
        while t < phrase_end and t < length - 1.0:
            step = beat * float(rng.choice([0.5, 1.0, 1.0, 2.0]))
            midi = tonic + 12 + int(rng.choice([0, 2, 4, 5, 7, 9, 12]))
            _place(voice, t, _vowel(_hz(midi), step * 0.9, rng))
            t += step
        t += 4 * beat
    levels = rng.uniform(0.5, 1.0, 6)
    stems = [kicks, snares, hats, keys, bass, voice]
    stems = [s / max(float(np.sqrt(np.mean(s**2))), 1e-9) for s in stems]
    pans = (0.0, 0.1, 0.4, -0.3, 0.0, 0.0)
    left = sum(level * s * (1 - p) for level, s, p in zip(levels, stems, pans, strict=True))
    right = sum(level * s * (1 + p) for level, s, p in zip(levels, stems, pans, strict=True))
    mix = np.stack([left, right], axis=1)[: int(length * SR)]
    mix = mix / max(float(np.abs(mix).max()), 1e-9) * 0.9
    beats = start + beat * np.arange(int((length - start) / beat) + 1)
    return BeatSong(seed, groove, bpm, mix.astype(np.float32), beats[beats < length])
