"""Rap-like delivery: fast syllables on a sixteenth-note grid, pitch near one level.

Sung melodies give the separator long harmonic ridges and the mouth long
vowels. Rap gives neither: short syllables, many consonants, a speaking pitch
that barely moves, accents on the beats. The mouth still follows the phonemes,
so the model must open and close it several times a second on a voice that
the separator finds harder to tell from the drums.
"""

from __future__ import annotations

import numpy as np

from training.synth.melody import Note, rhythm
from training.synth.music import Phrase, SongPlan
from training.synth.styles import Voice

SONG_CHANCE = 0.15  # songs delivered rap-like


def rap_melody(
    rng: np.random.Generator, plan: SongPlan, phrase: Phrase, voice: Voice, n_notes: int
) -> list[Note]:
    """Notes of one rapped line with `n_notes` syllables, on sixteenths."""
    n_units = int(round((phrase.end - phrase.start) * 4))
    lengths = rhythm(rng, n_units, n_notes)
    # Speaking pitch: the lower third of the voice's range.
    level = voice.low + (voice.high - voice.low) * float(rng.uniform(0.2, 0.4))
    loud = float(rng.uniform(0.6, 0.85))
    notes: list[Note] = []
    beat = phrase.start
    pitch = level
    for k, units in enumerate(lengths):
        last = k == len(lengths) - 1
        # Small steps around the level, pulled back to it; a fall at the line's end.
        pitch = level + 0.6 * (pitch - level) + float(rng.choice([-1.0, 0.0, 0.0, 0.0, 1.0]))
        if last:
            pitch = level - float(rng.uniform(1.0, 3.0))
        on_beat = float(beat).is_integer()
        loudness = loud + (0.12 if on_beat else 0.0) + rng.normal(0, 0.05)
        notes.append(
            Note(
                start=plan.time(beat),
                end=plan.time(beat + units / 4),
                midi=float(pitch),
                loudness=float(np.clip(loudness, 0.3, 1.0)),
            )
        )
        beat += units / 4
    return notes
