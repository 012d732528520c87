"""The two streams the model hears, block by block.

`DryVocal`: the singer on a dry microphone: the input is the vocal stream, the
accompaniment is silent and the beat is the voice's own. `GivenStems`: stems separated
beforehand, played along with the input (the benchmark compares the live path with
the offline one on the very same streams this way). A mixture needs separating first:
`musicface separate` gives stems to play with `--vocals`/`--accompaniment`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass
class Streams:
    vocals: np.ndarray  # (n, C)
    accompaniment: np.ndarray  # (n,)
    mixture: np.ndarray  # (n,)


class DryVocal:
    name = "none (dry vocal)"

    def split(self, block: np.ndarray) -> Streams:
        mono = block.mean(axis=1)
        return Streams(block, np.zeros_like(mono), mono)


class GivenStems:
    """Stems as 16 kHz arrays (vocals (N, C), accompaniment (N,) or (N, C)), read in
    step with the input's blocks."""

    name = "stems given"

    def __init__(self, vocals: np.ndarray, accompaniment: np.ndarray) -> None:
        self.vocals = vocals if vocals.ndim == 2 else vocals[:, None]
        self.accompaniment = accompaniment if accompaniment.ndim == 1 else accompaniment.mean(1)
        self.position = 0

    def split(self, block: np.ndarray) -> Streams:
        lo, hi = self.position, self.position + len(block)
        self.position = hi
        vocals = _fit(self.vocals[lo:hi], len(block))
        accompaniment = _fit(self.accompaniment[lo:hi], len(block))
        return Streams(vocals, accompaniment, block.mean(axis=1))


def _fit(values: np.ndarray, n: int) -> np.ndarray:
    """`values` zero-padded to n rows (a stem a little shorter than the input)."""
    if len(values) >= n:
        return values
    pad = [(0, n - len(values))] + [(0, 0)] * (values.ndim - 1)
    return np.pad(values, pad)
