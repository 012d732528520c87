"""The accompaniment: drums, bass, chords and a lead rendered from the song plan (stereo).

Simple synthesis (decaying sines, filtered noise, a few harmonics per note) is
enough: what the generator must learn from the accompaniment is where the beats
and downbeats are and how intense the music is, and what the separator must cope
with is a band that overlaps the voice in time and frequency.
"""

from __future__ import annotations

import numpy as np
from scipy.signal import butter, sosfilt

from training.synth.lead import SONG_CHANCE as LEAD_CHANCE
from training.synth.lead import play_lead
from training.synth.music import BEATS_PER_BAR, SongPlan

# Eighth-note drum patterns over one bar: (kick, snare, hat) hit positions in eighths.
_PATTERNS = {
    "rock": ((0, 4), (2, 6), tuple(range(8))),
    "four_on_floor": ((0, 2, 4, 6), (2, 6), (1, 3, 5, 7)),
    "half_time": ((0, 5), (4,), tuple(range(0, 8, 2))),
    "shuffle": ((0, 3, 4), (2, 6), (0, 2, 3, 4, 6, 7)),
}


def _midi_hz(midi: float) -> float:
    return 440.0 * 2.0 ** ((midi - 69.0) / 12.0)


def _add(track: np.ndarray, start: float, sound: np.ndarray, sr: int) -> None:
    i = int(round(start * sr))
    if i >= len(track):
        return
    m = min(len(sound), len(track) - i)
    track[i : i + m] += sound[:m]


def _kick(sr: int, rng: np.random.Generator) -> np.ndarray:
    t = np.arange(int(0.35 * sr)) / sr
    freq = 45 + 90 * np.exp(-t / 0.03)
    return (np.sin(2 * np.pi * np.cumsum(freq) / sr) * np.exp(-t / rng.uniform(0.08, 0.16))).astype(
        np.float32
    )


def _snare(sr: int, rng: np.random.Generator) -> np.ndarray:
    t = np.arange(int(0.25 * sr)) / sr
    sos = butter(2, [800, min(7000, sr / 2 - 200)], btype="band", fs=sr, output="sos")
    noise = sosfilt(sos, rng.normal(0, 1, len(t))) * np.exp(-t / rng.uniform(0.06, 0.12))
    tone = 0.5 * np.sin(2 * np.pi * 185 * t) * np.exp(-t / 0.05)
    return (noise * 1.6 + tone).astype(np.float32)


def _hat(sr: int, rng: np.random.Generator) -> np.ndarray:
    t = np.arange(int(0.08 * sr)) / sr
    sos = butter(2, min(7000, sr / 2 - 1000), btype="high", fs=sr, output="sos")
    return (sosfilt(sos, rng.normal(0, 1, len(t))) * np.exp(-t / 0.02)).astype(np.float32)


def _tone(
    freq: float, seconds: float, sr: int, harmonics: tuple[float, ...], decay: float
) -> np.ndarray:
    t = np.arange(int(seconds * sr)) / sr
    wave = sum(a * np.sin(2 * np.pi * freq * (h + 1) * t) for h, a in enumerate(harmonics))
    attack = np.minimum(t / 0.01, 1.0)
    release = np.clip((seconds - t) / 0.05, 0.0, 1.0)
    return (wave * attack * release * np.exp(-t / decay)).astype(np.float32)


def play(
    rng: np.random.Generator, plan: SongPlan, sr: int, lead_chance: float = LEAD_CHANCE
) -> np.ndarray:
    """The accompaniment stem, (N, 2) float32, about unit peak; a lead instrument in
    intros and breaks with `lead_chance` (lead.py)."""
    n = int(np.ceil(plan.seconds * sr))
    drums, bass, keys_l, keys_r = (np.zeros(n, np.float32) for _ in range(4))
    kick, snare, hat = _kick(sr, rng), _snare(sr, rng), _hat(sr, rng)
    kicks, snares, hats = _PATTERNS[plan.groove]
    eighth = plan.beat / 2
    swing = eighth * 0.33 if plan.groove == "shuffle" else 0.0
    bass_rhythm = rng.choice([1, 2])  # notes per beat
    keys_hold = rng.random() < 0.5  # held pads, or a chord on every beat
    root_octave = 36 + plan.tonic
    for bar, role in enumerate(plan.sections):
        intensity = {"intro": 0.7, "vocal": 1.0, "break": 1.0, "outro": 0.6}[role]
        third = plan.chord(bar)
        bar_start = plan.time(bar * BEATS_PER_BAR)
        sparse = role == "intro" and rng.random() < 0.4  # some intros start without drums
        for e in range(8):
            t = bar_start + e * eighth + (swing if e % 2 else 0.0)
            if not sparse:
                if e in kicks:
                    _add(drums, t, kick * intensity, sr)
                if e in snares:
                    _add(drums, t, snare * 0.6 * intensity, sr)
                if e in hats:
                    _add(drums, t, hat * (0.35 if e % 2 else 0.5) * intensity, sr)
        for b in range(BEATS_PER_BAR * bass_rhythm):
            t = bar_start + b * plan.beat / bass_rhythm
            note = root_octave + third[0] + (12 if (b % 4 == 3 and rng.random() < 0.3) else 0)
            _add(
                bass,
                t,
                _tone(_midi_hz(note), plan.beat / bass_rhythm * 0.95, sr, (1.0, 0.5, 0.25), 0.4)
                * intensity,
                sr,
            )
        chord_midis = [60 + plan.tonic + c - (12 if plan.tonic > 5 else 0) for c in third]
        hits = [0.0] if keys_hold else [float(b) for b in range(BEATS_PER_BAR)]
        length = BEATS_PER_BAR * plan.beat if keys_hold else plan.beat * 0.9
        for h in hits:
            for k, m in enumerate(chord_midis):
                tone = _tone(
                    _midi_hz(m), length, sr, (1.0, 0.4, 0.2, 0.1), 1.5 if keys_hold else 0.5
                )
                _add(
                    keys_l if k % 2 == 0 else keys_r,
                    bar_start + h * plan.beat,
                    tone * 0.35 * intensity,
                    sr,
                )
    # A final chord on the last downbeat after the bars rings into the tail.
    end = plan.time(plan.n_bars * BEATS_PER_BAR)
    if end < plan.seconds:
        _add(drums, end, kick, sr)
        for k, c in enumerate(plan.chord(0)):
            tone = _tone(
                _midi_hz(60 + plan.tonic + c - 12), plan.seconds - end, sr, (1.0, 0.4, 0.2), 0.6
            )
            _add(keys_l if k % 2 == 0 else keys_r, end, tone * 0.35, sr)
    levels = rng.uniform(0.7, 1.0, size=3)
    # The lead sits in the centre, where the voice would be (see lead.py). It draws
    # from a child generator so every other draw of the clip stays as it was.
    lead_rng = rng.spawn(1)[0]
    lead = play_lead(lead_rng, plan, sr, lead_chance)[:n]
    lead *= float(lead_rng.uniform(0.4, 1.0)) * max(float(np.abs(bass).max()), 1e-9)
    left = drums * levels[0] + bass * levels[1] + (keys_l * 0.8 + keys_r * 0.2) * levels[2] + lead
    right = (
        drums * levels[0] * 0.9
        + bass * levels[1]
        + (keys_l * 0.2 + keys_r * 0.8) * levels[2]
        + lead
    )
    stereo = np.stack([left, right], axis=1)
    return stereo / max(float(np.abs(stereo).max()), 1e-9)
