"""What every separation backend returns."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from core.audio import SEPARATION_SR


@dataclass(frozen=True)
class Stems:
    """Vocal and accompaniment streams of one song, float32 (N, C) at `sr`
    (44.1 kHz stereo unless the caller asked for another rate or mono).

    `backend` is the backend that actually ran (auto resolves to one of them),
    `message` says why, for the user; `cached` is True when the streams came from
    the separation cache instead of being computed.
    """

    vocals: np.ndarray
    accompaniment: np.ndarray
    backend: str
    message: str
    cached: bool = False
    sr: int = SEPARATION_SR

    @property
    def seconds(self) -> float:
        return self.vocals.shape[0] / self.sr
