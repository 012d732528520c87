from __future__ import annotations

import numpy as np
import pytest

from core.beats import beat_period, track_beats

FPS = 100.0


def pulse_envelope(
    bpm: float, seconds: float = 20.0, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """An onset envelope with a pulse on every beat, some off-beat onsets and noise."""
    rng = np.random.default_rng(seed)
    envelope = 0.05 * rng.random(int(seconds * FPS))
    beats = np.arange(1.0, seconds - 0.5, 60.0 / bpm)
    envelope[np.rint(beats * FPS).astype(int)] += 1.0
    off = rng.uniform(1.0, seconds - 0.5, size=len(beats) // 3)
    envelope[np.rint(off * FPS).astype(int)] += 0.4
    return envelope, beats


@pytest.mark.parametrize("bpm", [72.0, 100.0, 128.0, 160.0])
def test_the_tracker_finds_the_tempo_and_every_beat(bpm: float) -> None:
    envelope, beats = pulse_envelope(bpm)
    period = beat_period(envelope, FPS)
    assert abs(period - 60.0 * FPS / bpm) <= 1.0
    found = track_beats(envelope, period) / FPS
    errors = np.array([np.min(np.abs(found - b)) for b in beats])
    assert errors.max() <= 0.011  # one envelope frame
    inside = found[(found > beats[0] - 0.1) & (found < beats[-1] + 0.1)]
    assert len(inside) == len(beats)  # no off-beat onset taken for a beat
