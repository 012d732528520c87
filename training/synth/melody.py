"""A sung line's notes: rhythm on an eighth-note grid, pitches from the key and chords.

One syllable per note. The last note of a line is held (that is where long
notes, and so long eye closures, come from); lines sometimes climb to a high
chord tone at the end, like a chorus.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from training.synth.music import BEATS_PER_BAR, Phrase, SongPlan
from training.synth.styles import Voice


@dataclass(frozen=True)
class Note:
    start: float  # seconds
    end: float
    midi: float
    loudness: float  # 0..1


def rhythm(rng: np.random.Generator, n_units: int, n_notes: int) -> list[int]:
    """Lengths in eighth notes of `n_notes` notes filling `n_units` (each ≥ 1, last held)."""
    if n_notes < 1 or n_notes > n_units:
        raise ValueError(f"cannot fit {n_notes} notes in {n_units} eighths")
    last = min(n_units - (n_notes - 1), int(rng.integers(3, 7)))
    extra = n_units - last - (n_notes - 1)
    lengths = np.ones(n_notes - 1, dtype=int)
    if n_notes > 1 and extra > 0:
        # Extra eighths go in pairs where possible so notes tend to land on beats.
        weights = rng.dirichlet(np.full(n_notes - 1, 0.8))
        lengths += rng.multinomial(extra, weights)
    return [int(x) for x in lengths] + [int(n_units - lengths.sum())]


def _scale_midi(plan: SongPlan, base: int, index: int) -> int:
    scale = plan.scale
    return base + 12 * (index // 7) + scale[index % 7]


def melody(
    rng: np.random.Generator, plan: SongPlan, phrase: Phrase, voice: Voice, n_notes: int
) -> list[Note]:
    """Notes of one line with `n_notes` syllables."""
    n_units = int(round((phrase.end - phrase.start) * 2))
    lengths = rhythm(rng, n_units, n_notes)
    # The tonic in an octave that puts the voice's middle around scale index 7.
    middle = (voice.low + voice.high) / 2
    base = plan.tonic + 12 * int(round((middle - 6 - plan.tonic) / 12))
    valid = [i for i in range(-7, 22) if voice.low <= _scale_midi(plan, base, i) <= voice.high]
    lo, hi = min(valid), max(valid)
    current = int(rng.integers(lo + (hi - lo) // 4, hi - (hi - lo) // 3 + 1))
    climax = rng.random() < 0.5
    loud = float(rng.uniform(0.55, 0.85))
    notes: list[Note] = []
    beat = phrase.start
    for k, units in enumerate(lengths):
        bar = int(beat // BEATS_PER_BAR)
        chord = [plan.tonic + c for c in plan.chord(min(bar, plan.n_bars - 1))]
        chord_idx = [
            i
            for i in range(lo, hi + 1)
            if _scale_midi(plan, base, i) % 12 in {c % 12 for c in chord}
        ]
        last = k == len(lengths) - 1
        if last and climax:
            upper = [i for i in chord_idx if i >= lo + 0.6 * (hi - lo)] or chord_idx
            current = int(rng.choice(upper))
        elif (float(beat).is_integer() or last) and chord_idx:
            near = [i for i in chord_idx if abs(i - current) <= 3] or chord_idx
            current = int(rng.choice(near))
        else:
            current = int(np.clip(current + rng.choice([-2, -1, -1, 0, 1, 1, 2]), lo, hi))
        midi = _scale_midi(plan, base, current)
        height = (midi - voice.low) / max(voice.high - voice.low, 1)
        seconds = units / 2 * plan.beat
        loudness = (
            loud + 0.2 * max(height - 0.5, 0.0) + 0.08 * min(seconds, 1.5) + rng.normal(0, 0.04)
        )
        notes.append(
            Note(
                start=plan.time(beat),
                end=plan.time(beat + units / 2),
                midi=float(midi),
                loudness=float(np.clip(loudness, 0.3, 1.0)),
            )
        )
        beat += units / 2
    return notes
