"""Singer styles (the corpus's subjects) and singing voices.

A subject is a performer's manner — how much the head moves and how tightly to
the beat, how wide the mouth opens, how often the eyes close on long notes — so
the generator's subject code has something consistent to learn per subject.
Voices are independent of subjects: any subject may sing with any voice.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class SingerStyle:
    name: str
    head_speed: float  # peak angular head speed on a beat, rad/s
    beat_coupling: float  # 0: speed ignores the beat, 1: speed dips to ~0 on every beat
    downbeat_boost: float  # extra speed factor for the move that starts on a downbeat
    axis_weights: tuple[float, float, float]  # nod (X), roll (Y), turn (Z) preference
    nod_flip: float  # chance the nod reverses on a beat (bobbing) instead of drifting on
    mouth_scale: float  # how wide vowels open
    smile: float  # resting smile while singing
    brow: float  # brow raise on high notes
    closure_chance: float  # chance a long loud/high note is sung with the eyes closed


STYLES: tuple[SingerStyle, ...] = (
    SingerStyle("calm", 0.45, 0.7, 1.4, (1.0, 0.35, 0.6), 0.35, 0.85, 0.12, 0.2, 0.45),
    SingerStyle("groovy", 0.95, 0.95, 1.7, (1.0, 0.25, 0.45), 0.75, 1.0, 0.25, 0.3, 0.55),
    SingerStyle("dramatic", 0.7, 0.8, 1.5, (0.7, 0.6, 0.8), 0.4, 1.15, 0.05, 0.7, 0.9),
    SingerStyle("bright", 0.75, 0.9, 1.6, (0.9, 0.45, 0.7), 0.6, 1.05, 0.45, 0.4, 0.6),
)


@dataclass(frozen=True)
class Voice:
    """A singing voice: an eSpeak variant, a pitch range and a vocal-tract length."""

    kind: str
    variant: str  # eSpeak NG variant (timbre of the source speech)
    low: int  # MIDI range sung comfortably
    high: int
    formant_shift: float  # >1 shortens the vocal tract (brighter, more female/child-like)


_RANGES = {
    "baritone": ((45, 64), ("m1", "m2", "m3", "m7"), (0.92, 1.0)),
    "tenor": ((50, 69), ("m1", "m3", "m4", "m5"), (0.97, 1.05)),
    "alto": ((55, 74), ("f1", "f2", "f4"), (1.0, 1.08)),
    "soprano": ((60, 79), ("f2", "f3", "f5"), (1.04, 1.14)),
}


def random_voice(rng: np.random.Generator) -> Voice:
    kind = list(_RANGES)[int(rng.integers(len(_RANGES)))]
    (low, high), variants, (shift_lo, shift_hi) = _RANGES[kind]
    return Voice(
        kind=kind,
        variant=variants[int(rng.integers(len(variants)))],
        low=low,
        high=high,
        formant_shift=float(rng.uniform(shift_lo, shift_hi)),
    )
