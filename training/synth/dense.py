"""Denser arrangements: pads, strummed chords, arpeggios and shakers over the basic band.

Real mixes fill the voice's own range (guitars and pads between 200 Hz and
3 kHz, shakers in the consonants' band) and keep doing so while the voice
sings. Each extra layer here overlaps the voice in time and frequency in its
own way, which is what makes a separator leak.
"""

from __future__ import annotations

import numpy as np
from scipy.signal import butter, sosfilt

from training.synth.music import BEATS_PER_BAR, SongPlan

LAYERS = ("pad", "strum", "arpeggio", "shaker")
MAX_LAYERS = 3


def _hz(midi: float) -> float:
    return 440.0 * 2.0 ** ((midi - 69.0) / 12.0)


def _saw(freq: float, t: np.ndarray, sr: int, harmonics: int = 10) -> np.ndarray:
    return sum(
        np.sin(2 * np.pi * freq * h * t) / h for h in range(1, harmonics + 1) if freq * h < sr / 2
    )


def _add(track: np.ndarray, start: float, sound: np.ndarray, sr: int) -> None:
    i = int(round(start * sr))
    m = min(len(sound), len(track) - i)
    if i < len(track) and m > 0:
        track[i : i + m] += sound[:m]


def _pad(rng: np.random.Generator, plan: SongPlan, sr: int, n: int) -> np.ndarray:
    """Detuned saw chords held for a bar, low-passed: a wide, soft bed (stereo)."""
    out = np.zeros((n, 2), np.float32)
    bar_len = BEATS_PER_BAR * plan.beat
    t = np.arange(int(bar_len * sr)) / sr
    env = np.minimum(t / 0.15, 1.0) * np.clip((bar_len - t) / 0.1, 0.0, 1.0)
    base = 48 + plan.tonic + 12 * int(rng.integers(0, 2))
    for bar in range(plan.n_bars):
        for side in range(2):
            detune = 1.0 + (0.004 if side else -0.004)
            chord = sum(_saw(_hz(base + c) * detune, t, sr, 8) for c in plan.chord(bar))
            _add(out[:, side], plan.time(bar * BEATS_PER_BAR), (chord * env).astype(np.float32), sr)
    sos = butter(2, float(rng.uniform(1200, 3000)), btype="low", fs=sr, output="sos")
    return sosfilt(sos, out, axis=0).astype(np.float32)


def _strum(rng: np.random.Generator, plan: SongPlan, sr: int, n: int) -> np.ndarray:
    """Plucked chords on eighths, each string a little later: a rhythm guitar (panned)."""
    out = np.zeros(n, np.float32)
    pattern = [e for e in range(8) if rng.random() < 0.7] or [0, 4]
    t = np.arange(int(0.5 * sr)) / sr
    base = 52 + plan.tonic
    shape = np.exp(-t / 0.12) * np.minimum(t / 0.002, 1.0)
    notes: dict[int, np.ndarray] = {}  # each pitch rendered once
    for bar in range(plan.n_bars):
        chord = [base + c for c in plan.chord(bar)] + [base + plan.chord(bar)[0] + 12]
        for e in pattern:
            start = plan.time(bar * BEATS_PER_BAR + e / 2)
            for k, m in enumerate(chord):
                if m not in notes:
                    notes[m] = (0.5 * _saw(_hz(m), t, sr, 12) * shape).astype(np.float32)
                _add(out, start + 0.008 * k, notes[m], sr)
    sos = butter(2, [150, min(5000, sr / 2 - 500)], btype="band", fs=sr, output="sos")
    mono = sosfilt(sos, out).astype(np.float32)
    pan = float(rng.choice([-1.0, 1.0])) * float(rng.uniform(0.3, 0.8))
    angle = (pan + 1.0) * np.pi / 4
    return np.stack([mono * np.cos(angle), mono * np.sin(angle)], axis=1)


def _arpeggio(rng: np.random.Generator, plan: SongPlan, sr: int, n: int) -> np.ndarray:
    """Chord tones one by one on sixteenths in the voice's octave, near the centre."""
    out = np.zeros(n, np.float32)
    step = plan.beat / 4
    t = np.arange(int(step * 1.5 * sr)) / sr
    base = 60 + plan.tonic - (12 if plan.tonic > 6 else 0)
    order = [0, 1, 2, 1] if rng.random() < 0.5 else [0, 1, 2, 3]
    for bar in range(plan.n_bars):
        chord = [*plan.chord(bar), plan.chord(bar)[0] + 12]
        for s in range(BEATS_PER_BAR * 4):
            m = base + chord[order[s % 4]]
            note = (np.sin(2 * np.pi * _hz(m) * t) + 0.3 * np.sin(4 * np.pi * _hz(m) * t)) * np.exp(
                -t / 0.09
            )
            _add(out, plan.time(bar * BEATS_PER_BAR + s / 4), note.astype(np.float32), sr)
    pan = float(rng.uniform(-0.3, 0.3))
    angle = (pan + 1.0) * np.pi / 4
    return np.stack([out * np.cos(angle), out * np.sin(angle)], axis=1)


def _shaker(rng: np.random.Generator, plan: SongPlan, sr: int, n: int) -> np.ndarray:
    """High-passed noise bursts on sixteenths, accented on the off-beats (stereo)."""
    out = np.zeros((n, 2), np.float32)
    t = np.arange(int(0.06 * sr)) / sr
    sos = butter(2, min(5000, sr / 2 - 1000), btype="high", fs=sr, output="sos")
    for s in range(plan.n_bars * BEATS_PER_BAR * 4):
        burst = sosfilt(sos, rng.normal(0, 1, len(t))) * np.exp(-t / 0.02)
        accent = 1.0 if s % 4 == 2 else 0.55
        _add(out[:, s % 2], plan.time(s / 4), (accent * burst).astype(np.float32), sr)
    return out


def extra_layers(
    rng: np.random.Generator, plan: SongPlan, sr: int, n: int
) -> tuple[np.ndarray, tuple[str, ...]]:
    """(N, 2) float32 of 0–3 extra instruments, each at unit RMS times its level; names."""
    count = int(rng.choice([0, 1, 2, 3], p=[0.25, 0.3, 0.3, 0.15]))
    chosen = [LAYERS[int(i)] for i in sorted(rng.choice(len(LAYERS), count, replace=False))]
    makers = {"pad": _pad, "strum": _strum, "arpeggio": _arpeggio, "shaker": _shaker}
    out = np.zeros((n, 2), np.float32)
    for name in chosen:
        layer = makers[name](rng, plan, sr, n)
        rms = float(np.sqrt(np.mean(layer**2))) + 1e-12
        out += layer * (float(rng.uniform(0.4, 0.9)) / rms)
    return out, tuple(chosen)
