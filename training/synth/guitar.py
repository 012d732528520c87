"""Distorted guitars: power chords double-tracked hard left and right, and a lead guitar.

Rock and metal fill the voice's band with distortion: a clipped power chord is a
dense spectrum from 100 Hz to 5 kHz, and a separator leaks part of it into the
vocal stream, most of all where it plays alone (intros, breaks). The rhythm part
chugs eighths (palm-muted) or holds chords, recorded twice (two takes a little
apart in time and tuning, one per side), as real productions do; a lead guitar,
centred where the voice would be, plays a distorted melody in the intro, breaks
and outro. None of it moves the performer's face.
"""

from __future__ import annotations

import numpy as np
from scipy.signal import butter, sosfilt

from training.synth.music import BEATS_PER_BAR, SongPlan


def _hz(midi: float) -> float:
    return 440.0 * 2.0 ** ((midi - 69.0) / 12.0)


def _saw(freq: float, t: np.ndarray, sr: int) -> np.ndarray:
    return sum(
        np.sin(2 * np.pi * freq * h * t) / h for h in range(1, 30) if freq * h < sr / 2 - 500
    )


def _distort(x: np.ndarray, drive: float, sr: int) -> np.ndarray:
    """Clip hard, then a cabinet: band-pass 90 Hz – 5 kHz."""
    clipped = np.tanh(drive * x / max(float(np.abs(x).max()), 1e-9))
    cabinet = butter(2, [90.0, min(5000.0, sr / 2 - 500)], btype="band", fs=sr, output="sos")
    return sosfilt(cabinet, clipped)


def _add(track: np.ndarray, start: float, sound: np.ndarray, sr: int) -> None:
    i = int(round(start * sr))
    m = min(len(sound), len(track) - i)
    if 0 <= i < len(track) and m > 0:
        track[i : i + m] += sound[:m]


def _rhythm_take(
    rng: np.random.Generator, plan: SongPlan, sr: int, n: int, chug: bool, drive: float
) -> np.ndarray:
    dry = np.zeros(n)
    root = 40 + plan.tonic % 12  # E2 … D#3
    detune = 2.0 ** (float(rng.normal(0.0, 4.0)) / 1200.0)
    step = plan.beat / 2 if chug else BEATS_PER_BAR * plan.beat
    length = step * (0.55 if chug else 0.98)
    t = np.arange(int(length * sr)) / sr
    decay = np.exp(-t / (0.09 if chug else 1.2)) * np.clip((length - t) / 0.02, 0, 1)
    for bar in range(plan.n_bars):
        midi = root + plan.chord(bar)[0]
        chord = (_saw(_hz(midi) * detune, t, sr) + _saw(_hz(midi + 7) * detune, t, sr)
                 + 0.6 * _saw(_hz(midi + 12) * detune, t, sr)) * decay  # fmt: skip
        for k in range(int(round(BEATS_PER_BAR * plan.beat / step))):
            jitter = float(rng.normal(0.0, 0.006))
            _add(dry, plan.time(bar * BEATS_PER_BAR) + k * step + jitter, chord, sr)
    return _distort(dry, drive, sr)


def _lead_guitar(
    rng: np.random.Generator, plan: SongPlan, sr: int, n: int, drive: float
) -> np.ndarray:
    """A distorted melody over the scale where nobody sings (intro, break, outro bars)."""
    dry = np.zeros(n)
    base = 64 + plan.tonic % 12
    for bar, role in enumerate(plan.sections):
        if role == "vocal":
            continue
        beat = 0.0
        while beat < BEATS_PER_BAR:
            length = float(rng.choice([0.5, 1.0, 1.5, 2.0]))
            degree = int(rng.integers(0, 8))
            midi = base + 12 * (degree // 7) + plan.scale[degree % 7]
            seconds = length * plan.beat
            t = np.arange(int(seconds * sr)) / sr
            bend = 0.3 * np.sin(2 * np.pi * 5.8 * t) * np.minimum(t / 0.3, 1.0)
            phase = 2 * np.pi * np.cumsum(_hz(midi) * 2.0 ** (bend / 12.0)) / sr
            note = sum(np.sin(h * phase) / h for h in range(1, 16))
            note = note * np.minimum(t / 0.01, 1.0) * np.clip((seconds - t) / 0.03, 0, 1)
            _add(dry, plan.time(bar * BEATS_PER_BAR + beat), note, sr)
            beat += length
    return _distort(dry, drive, sr) if np.any(dry) else dry


def guitars(rng: np.random.Generator, plan: SongPlan, sr: int, n: int) -> np.ndarray:
    """(N, 2) float32 at unit RMS: the rhythm pair (and, in half the songs, a lead)."""
    chug = rng.random() < 0.6
    drive = float(rng.uniform(6.0, 30.0))
    left = _rhythm_take(rng, plan, sr, n, chug, drive)
    right = _rhythm_take(rng, plan, sr, n, chug, drive)
    width = float(rng.uniform(0.75, 1.0))  # how hard the takes are panned
    stereo = np.stack([left + (1 - width) * right, right + (1 - width) * left], axis=1)
    stereo /= max(float(np.sqrt(np.mean(stereo**2))), 1e-9)
    if rng.random() < 0.5:
        lead = _lead_guitar(rng, plan, sr, n, drive)
        if np.any(lead):
            lead /= max(float(np.sqrt(np.mean(lead[np.abs(lead) > 0] ** 2))), 1e-9)
            stereo += 0.7 * lead[:, None]
    return (stereo / max(float(np.sqrt(np.mean(stereo**2))), 1e-9)).astype(np.float32)
