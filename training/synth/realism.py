"""How hard the corpus is: the chances and ranges of what real songs do to a voice.

Each effect draws from its own random generator, keyed by (seed, clip, effect)
(`effect_rng`), so switching one effect off or changing its chance leaves every
other draw of the clip as it was: the tests compare a clip with and without an
effect, and the corpus stays the same for a given seed.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from training.synth import backing, lead, rap
from training.synth.backing import ANSWER_CHANCE

# Stable keys of the effects' generators (never reuse or renumber one).
EFFECT_KEYS = {
    "rap": 1,
    "backing": 2,
    "voice": 3,
    "layers": 4,
    "master": 5,
    "mp3": 6,
    "crowd": 7,
    "guitar": 8,
    "scream": 9,
    "trap": 10,
}


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
    # Voices that are not the lead's (crowd.py), each kind's chance per song.
    choir: float = 0.25
    shouts: float = 0.15
    spoken: float = 0.12
    adlibs: float = 0.2
    guitar: float = 0.2  # distorted guitars (guitar.py)
    scream: float = 0.08  # a screamed lead (scream.py)
    trap: float = 0.6  # a trap beat under a rap song (trap.py) …
    trap_sung: float = 0.08  # … and under a sung one
    lead_instrument: float = lead.SONG_CHANCE  # a melody instrument in intros (lead.py)
    answers: float = ANSWER_CHANCE  # of songs with backing: answers in the rests

    @classmethod
    def off(cls) -> Realism:
        """The corpus before these effects: one dry lead, a plain band, −8 to +6 dB."""
        return cls(
            0.0, 0.0, 0.0, 0.0, False, 0.0, 0.0, (-8.0, 6.0), 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0
        )  # fmt: skip (the lead instrument stays: it came first)

    @property
    def crowd(self) -> dict[str, float]:
        """The chance of each kind of crowd.py, by its name."""
        return {"choir": self.choir, "shouts": self.shouts, "spoken": self.spoken,
                "adlibs": self.adlibs}  # fmt: skip
