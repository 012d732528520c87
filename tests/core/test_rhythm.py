from __future__ import annotations

import numpy as np
import pytest

from core.audio import FEATURE_SR
from core.features import mfcc_26
from core.rhythm import beat_phase, beats_from_mfcc, onset_envelope_from_mfcc, rhythm_features


def click_track(bpm: float, seconds: float = 20.0, start: float = 2.0, seed: int = 0):
    rng = np.random.default_rng(seed)
    audio = 0.001 * rng.standard_normal(int(seconds * FEATURE_SR)).astype(np.float32)
    clicks = np.arange(start, seconds - 1.0, 60.0 / bpm)
    decay = np.exp(-np.arange(400) / 80.0)
    for c in clicks:
        i = int(c * FEATURE_SR)
        audio[i : i + 400] += rng.standard_normal(400).astype(np.float32) * decay
    return audio, clicks


@pytest.mark.parametrize("bpm", [72.0, 100.0, 128.0])
def test_beats_from_mfcc_follow_the_clicks(bpm: float) -> None:
    audio, clicks = click_track(bpm)
    beats = beats_from_mfcc(mfcc_26(audio))
    # Each click has a beat within 60 ms (two to three MFCC frames), on average late.
    lag = np.array([beats[np.argmin(np.abs(beats - c))] - c for c in clicks])
    assert np.abs(lag).max() < 0.06 and 0.0 < lag.mean() < 0.04
    # The tempo is the clicks' one: one beat per click inside the clicked span.
    inside = beats[(beats > clicks[0] - 0.1) & (beats < clicks[-1] + 0.1)]
    assert len(inside) == len(clicks)


def test_beat_phase_is_zero_on_beats_and_half_between() -> None:
    fps = 30.0
    beats = np.array([1.0, 1.6, 2.2, 2.8])  # 100 BPM: 18 frames a beat
    phase = beat_phase(beats, 120, fps)
    assert phase.shape == (120, 2) and phase.dtype == np.float32
    on_beat = np.rint(beats * fps).astype(int)
    np.testing.assert_allclose(phase[on_beat], [[1.0, 0.0]] * 4, atol=1e-5)
    between = np.rint((beats[:-1] + 0.3) * fps).astype(int)
    np.testing.assert_allclose(phase[between], [[-1.0, 0.0]] * 3, atol=1e-5)
    # Before the first and after the last beat the grid keeps the tempo: t = 0 is a
    # third of a beat after the grid's beat at −0.2 s, 3.7 s half a beat after 3.4 s.
    third = 2 * np.pi / 3
    np.testing.assert_allclose(phase[0], [np.cos(third), np.sin(third)], atol=1e-5)
    np.testing.assert_allclose(phase[int(round(3.7 * fps))], [-1.0, 0.0], atol=1e-5)
    assert np.allclose(np.linalg.norm(phase, axis=1), 1.0, atol=1e-5)


def test_no_tempo_gives_zero_rhythm() -> None:
    assert not beat_phase(np.array([1.0]), 50, 30.0).any()
    silence = mfcc_26(np.zeros(16000 * 5, np.float32))
    assert not rhythm_features(silence, 150, 30.0).any()


def test_a_song_shorter_than_a_second_has_an_envelope_of_its_own_length() -> None:
    # np.convolve(mode="same") returns the longer input's length: a 0.5 s song
    # (allowed) once got a 1 s envelope and crashed generate.
    mfcc = mfcc_26(np.random.default_rng(0).standard_normal(8000).astype(np.float32))
    assert len(onset_envelope_from_mfcc(mfcc)) == len(mfcc)
    assert len(beats_from_mfcc(mfcc)) == 0
