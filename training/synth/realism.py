"""How hard the corpus is: the chances and ranges of what real songs do to a voice.

Each effect draws from its own random generator, keyed by (seed, clip, effect)
(`effect_rng`), so switching one effect off or changing its chance leaves every
other draw of the clip as it was: the tests compare a clip with and without an
effect, and the corpus stays the same for a given seed.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from training.synth import backing, rap

# Stable keys of the effects' generators (never reuse or renumber one).
EFFECT_KEYS = {"rap": 1, "backing": 2, "voice": 3, "layers": 4, "master": 5, "mp3": 6}


def effect_rng(seed: int, index: int, effect: str) -> np.random.Generator:
    """The generator of one effect of clip `index` (independent of the clip's own)."""
    return np.random.default_rng([seed, index, 1000 + EFFECT_KEYS[effect]])


@dataclass(frozen=True)
class Realism:
    rap: float = rap.SONG_CHANCE  # songs delivered rap-like
    backing: float = backing.SONG_CHANCE  # songs with backing vocals
    reverb: float = 0.8  # songs with a room around the voices
    compression: float = 0.7  # songs with a compressed lead
    layers: bool = True  # extra instruments (0–3 of pad, strum, arpeggio, shaker)
    master: float = 0.6  # songs whose whole mix is compressed (louder, denser)
    mp3: float = 0.5  # songs whose mixture went through mp3
    vocal_db: tuple[float, float] = (-12.0, 3.0)  # lead RMS over band RMS, uniform

    @classmethod
    def off(cls) -> Realism:
        """The corpus before these effects: one dry lead, a plain band, −8 to +6 dB."""
        return cls(0.0, 0.0, 0.0, 0.0, False, 0.0, 0.0, (-8.0, 6.0))
