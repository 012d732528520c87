from __future__ import annotations

import numpy as np

from core.audio import FEATURE_SR, load_audio
from core.features import (
    FEATURE_DIM,
    WINDOW,
    frame_windows,
    mfcc_26,
    song_windows,
    video_frame_count,
)


def noise(seconds: float, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return (0.05 * rng.standard_normal(int(seconds * FEATURE_SR))).astype(np.float32)


def test_shapes_follow_song_length() -> None:
    for seconds in (0.5, 1.0, 3.7, 10.0):
        audio = noise(seconds)
        mfcc = mfcc_26(audio)
        assert mfcc.shape[1] == FEATURE_DIM and mfcc.dtype == np.float32
        assert abs(mfcc.shape[0] - seconds * 100) <= 2
        windows = song_windows(audio)
        assert windows.shape == (video_frame_count(seconds), WINDOW, FEATURE_DIM)
        assert windows.dtype == np.float32
    assert video_frame_count(10.0) == 300
    assert video_frame_count(10.01) == 301


def test_deterministic() -> None:
    audio = noise(2.0, seed=3)
    assert np.array_equal(song_windows(audio), song_windows(audio.copy()))


def test_click_at_two_seconds_peaks_in_window_of_frame_60() -> None:
    audio = np.zeros(4 * FEATURE_SR, np.float32) + 1e-4 * noise(4.0, seed=1)
    audio[2 * FEATURE_SR : 2 * FEATURE_SR + 32] = 1.0
    windows = song_windows(audio)
    centre_energy = windows[:, WINDOW // 2, 0]  # c0 is the log frame energy
    assert int(np.argmax(centre_energy)) == 60
    # Within frame 60's own window the click sits at the centre row.
    assert int(np.argmax(windows[60, :, 0])) == WINDOW // 2


def test_edges_are_padded_with_first_and_last_frames() -> None:
    mfcc = np.arange(50 * FEATURE_DIM, dtype=np.float32).reshape(50, FEATURE_DIM)
    windows = frame_windows(mfcc, n_frames=15)
    assert np.array_equal(windows[0, 0], mfcc[0])  # before the start: first frame repeated
    assert np.array_equal(windows[-1, -1], mfcc[-1])  # past the end: last frame repeated
    assert np.array_equal(windows[3, WINDOW // 2], mfcc[int(round((3 / 30 - 0.0125) * 100))])


def test_silence_gives_finite_features() -> None:
    windows = song_windows(np.zeros(2 * FEATURE_SR, np.float32))
    assert np.isfinite(windows).all() and windows.shape[0] == 60


def test_real_song_features(real_song) -> None:
    windows = song_windows(load_audio(real_song))
    assert windows.shape[0] == video_frame_count(len(load_audio(real_song)) / FEATURE_SR)
    assert np.isfinite(windows).all() and windows.std() > 0.1


def test_mfcc_equals_python_speech_features_recipe() -> None:
    from python_speech_features import delta, mfcc

    # Long enough for several one-minute blocks, with silence (log of zero energy) inside.
    audio = noise(130.0, seed=5)
    audio[16000:48000] = 0.0
    reference = mfcc(audio.astype(np.float64), FEATURE_SR, 0.025, 0.01, 13, nfft=512)
    reference = np.concatenate([reference, delta(reference, 2)], axis=1)
    ours = mfcc_26(audio)
    assert ours.shape == reference.shape
    assert np.allclose(ours, reference, atol=1e-4)
