from __future__ import annotations

import numpy as np
import pytest

from core.audio import FEATURE_SR
from core.beats import detect_beats


def click_track(bpm: float, seconds: float = 20.0, start: float = 2.0, seed: int = 0):
    rng = np.random.default_rng(seed)
    audio = 0.001 * rng.standard_normal(int(seconds * FEATURE_SR)).astype(np.float32)
    clicks = np.arange(start, seconds - 1.0, 60.0 / bpm)
    decay = np.exp(-np.arange(400) / 80.0)
    for c in clicks:
        i = int(c * FEATURE_SR)
        audio[i : i + 400] += rng.standard_normal(400).astype(np.float32) * decay
    return audio, clicks


@pytest.mark.parametrize("bpm", [72.0, 100.0, 128.0, 160.0])
def test_beats_land_on_the_clicks(bpm: float) -> None:
    audio, clicks = click_track(bpm)
    beats = detect_beats(audio)
    # Every click is found within 35 ms, and no beat is invented in the silent intro.
    errors = np.array([np.min(np.abs(beats - c)) for c in clicks])
    assert errors.max() < 0.035
    assert len(beats) == len(clicks)
    assert beats[0] > 1.9


def test_silence_and_short_audio_have_no_beats() -> None:
    assert len(detect_beats(np.zeros(10 * FEATURE_SR, np.float32))) == 0
    assert len(detect_beats(np.zeros(500, np.float32))) == 0
