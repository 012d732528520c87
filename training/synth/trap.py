"""Dense beats under rap: hi-hats in rolls, a long 808 bass, claps.

Rap over a trap beat is the hardest rhythm for a lip model: sixteenth-note
syllables over hi-hats rolling in 32nds and triplets, a sub-bass whose long notes
glide, claps on the backbeat. The hats sit in the band of the consonants, the 808
under the voice's fundamental; both leak into a separator's vocal stream.
"""

from __future__ import annotations

import numpy as np
from scipy.signal import butter, sosfilt

from training.synth.music import BEATS_PER_BAR, SongPlan


def _add(track: np.ndarray, start: float, sound: np.ndarray, sr: int) -> None:
    i = int(round(start * sr))
    m = min(len(sound), len(track) - i)
    if 0 <= i < len(track) and m > 0:
        track[i : i + m] += sound[:m]


def _hat(rng: np.random.Generator, sr: int) -> np.ndarray:
    t = np.arange(int(0.05 * sr)) / sr
    high = butter(2, min(8000.0, sr / 2 - 1500), btype="high", fs=sr, output="sos")
    return (sosfilt(high, rng.normal(0.0, 1.0, len(t))) * np.exp(-t / 0.012)).astype(np.float32)


def _clap(rng: np.random.Generator, sr: int) -> np.ndarray:
    t = np.arange(int(0.2 * sr)) / sr
    band = butter(2, [900.0, 5000.0], btype="band", fs=sr, output="sos")
    bursts = sum(np.exp(-np.clip(t - d, 0, None) / 0.008) * (t >= d) for d in (0, 0.01, 0.022))
    tail = np.exp(-t / 0.07)
    return (sosfilt(band, rng.normal(0.0, 1.0, len(t))) * (bursts + 0.5 * tail)).astype(np.float32)


def _808(midi: float, seconds: float, glide_to: float | None, sr: int) -> np.ndarray:
    t = np.arange(int(seconds * sr)) / sr
    target = midi if glide_to is None else glide_to
    pitch = midi + (target - midi) * np.clip((t - 0.6 * seconds) / (0.3 * seconds), 0, 1)
    freq = 440.0 * 2.0 ** ((pitch - 69.0) / 12.0)
    wave = np.sin(2 * np.pi * np.cumsum(freq) / sr)
    wave = np.tanh(2.5 * wave)  # a little drive gives the 808 its upper harmonics
    return (wave * np.exp(-t / max(seconds, 0.3)) * np.minimum(t / 0.004, 1.0)).astype(np.float32)


def trap_beat(rng: np.random.Generator, plan: SongPlan, sr: int, n: int) -> np.ndarray:
    """(N, 2) float32 at unit RMS: hats (rolls), claps on 2 and 4, an 808 line."""
    hats, claps, sub = np.zeros(n), np.zeros(n), np.zeros(n)
    hat, clap = _hat(rng, sr), _clap(rng, sr)
    sixteenth = plan.beat / 4
    for bar, role in enumerate(plan.sections):
        if role == "intro" and rng.random() < 0.5:
            continue
        start = plan.time(bar * BEATS_PER_BAR)
        s = 0
        while s < 16:
            if rng.random() < 0.18:  # a roll: 32nds or triplets for a beat
                division = int(rng.choice([2, 3]))
                for k in range(4 * division):
                    accent = 0.5 + 0.5 * k / (4 * division)
                    _add(hats, start + (s + k / division) * sixteenth, hat * accent, sr)
                s += 4
                continue
            _add(hats, start + s * sixteenth, hat * (1.0 if s % 2 == 0 else 0.6), sr)
            s += 1
        for beat in (1, 3):
            _add(claps, start + beat * plan.beat, clap, sr)
        root = 28 + plan.tonic % 12 + plan.chord(bar)[0]
        glide = root + float(rng.choice([-5, 5, 7, 12])) if rng.random() < 0.3 else None
        _add(sub, start, _808(root, BEATS_PER_BAR * plan.beat * 0.5, None, sr), sr)
        _add(sub, start + 2.5 * plan.beat, _808(root, 1.5 * plan.beat, glide, sr), sr)
    pan = float(rng.uniform(0.2, 0.6))
    left = hats * (1 - pan) + claps + sub
    right = hats * (1 + pan) * 0.8 + claps + sub
    stereo = np.stack([left, right], axis=1)
    return (stereo / max(float(np.sqrt(np.mean(stereo**2))), 1e-9)).astype(np.float32)
