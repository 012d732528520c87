"""Beat times of the accompaniment, for the Performance's beat markers.

Spectral-flux onsets, a tempo from their autocorrelation (with a prior around
120 BPM), then the dynamic-programming tracker of Ellis (2007): each beat is an
onset that also keeps the tempo. librosa has the same method, but importing its
beat module compiles numba kernels for ~3 s in every process, more than the
whole network pass of a 4-minute song; this numpy version takes ~0.3 s.
"""

from __future__ import annotations

import numpy as np
from python_speech_features.base import get_filterbanks

from core.audio import FEATURE_SR

HOP = 256  # 16 ms at 16 kHz
N_FFT = 1024
N_BANDS = 40
TEMPO_PRIOR_BPM = 120.0
MIN_BPM, MAX_BPM = 50.0, 220.0
TIGHTNESS = 100.0  # how strongly beats keep the tempo (Ellis' alpha)


def onset_envelope(audio_16k: np.ndarray) -> np.ndarray:
    """Positive log-mel spectral flux per hop, mean-removed: (N,) at FEATURE_SR / HOP fps."""
    signal = np.asarray(audio_16k, dtype=np.float32)
    if len(signal) < N_FFT:
        return np.zeros(0, np.float32)
    frames = np.lib.stride_tricks.sliding_window_view(signal, N_FFT)[::HOP]
    banks = get_filterbanks(N_BANDS, N_FFT, FEATURE_SR, 30, FEATURE_SR / 2).astype(np.float32)
    window = np.hanning(N_FFT).astype(np.float32)
    envelope = np.empty(len(frames), np.float32)
    previous = None
    for start in range(0, len(frames), 4096):  # bounded memory on long songs
        spectrum = np.abs(np.fft.rfft(frames[start : start + 4096] * window, axis=1))
        mel = np.log1p(100.0 * (spectrum**2) @ banks.T)
        joined = mel if previous is None else np.vstack([previous, mel])
        flux = np.maximum(np.diff(joined, axis=0), 0.0).sum(axis=1)
        if previous is None:
            flux = np.concatenate([[0.0], flux])
        envelope[start : start + len(mel)] = flux
        previous = mel[-1:]
    # Remove the slowly varying level so loud and quiet passages weigh alike.
    width = int(FEATURE_SR / HOP)  # about a second
    local = np.convolve(envelope, np.ones(width) / width, mode="same")
    return np.maximum(envelope - local, 0.0)


def beat_period(envelope: np.ndarray, fps: float) -> float:
    """Frames per beat: the autocorrelation peak, weighted by a log-normal tempo prior."""
    centred = envelope - envelope.mean()
    n = len(centred)
    spectrum = np.fft.rfft(centred, 2 * n)
    autocorrelation = np.fft.irfft(spectrum * np.conj(spectrum))[:n]
    lags = np.arange(int(fps * 60 / MAX_BPM), min(n - 1, int(fps * 60 / MIN_BPM)) + 1)
    if len(lags) == 0:
        return fps * 60 / TEMPO_PRIOR_BPM
    bpm = 60.0 * fps / lags
    prior = np.exp(-0.5 * (np.log2(bpm / TEMPO_PRIOR_BPM) / 0.5) ** 2)  # σ: half an octave
    return float(lags[np.argmax(autocorrelation[lags] * prior)])


def track_beats(envelope: np.ndarray, period: float) -> np.ndarray:
    """Frame indices of the beats (Ellis 2007): best onsets spaced about `period` apart."""
    n = len(envelope)
    strength = envelope / (envelope.std() + 1e-9)
    score = strength.astype(np.float64).copy()
    backlink = np.full(n, -1)
    reach = np.arange(-int(round(2 * period)), -int(round(period / 2)) + 1)
    penalty = -TIGHTNESS * np.log(-reach / period) ** 2
    for t in range(n):
        previous = t + reach
        valid = previous >= 0
        if not valid.any():
            continue
        candidates = score[previous[valid]] + penalty[valid]
        best = int(np.argmax(candidates))
        if candidates[best] > 0:
            score[t] = strength[t] + candidates[best]
            backlink[t] = previous[valid][best]
    # The last beat: the best-scoring local peak in the final beat period.
    tail = max(0, n - int(round(period)))
    last = tail + int(np.argmax(score[tail:]))
    beats = [last]
    while backlink[beats[-1]] >= 0:
        beats.append(int(backlink[beats[-1]]))
    return np.array(beats[::-1], dtype=np.int64)


def detect_beats(audio_16k: np.ndarray) -> np.ndarray:
    """Beat times in seconds (empty for silence or audio shorter than a beat)."""
    envelope = onset_envelope(audio_16k)
    fps = FEATURE_SR / HOP
    if len(envelope) < 2 * fps or not np.any(envelope > 0):
        return np.zeros(0)
    frames = _trim_quiet_ends(track_beats(envelope, beat_period(envelope, fps)), envelope)
    # A frame's flux peaks once the onset reaches its window's centre; measured on
    # click tracks, the click itself sits one hop later still.
    return (frames * HOP + N_FFT / 2 + HOP) / FEATURE_SR


def _trim_quiet_ends(frames: np.ndarray, envelope: np.ndarray) -> np.ndarray:
    """Drop the beats the tracker extrapolated into a silent intro or outro."""
    if len(frames) < 3:
        return frames
    padded = np.pad(envelope, 2)
    strength = np.array([padded[f : f + 5].max() for f in frames])
    loud = np.flatnonzero(strength >= 0.2 * np.median(strength))
    return frames[loud[0] : loud[-1] + 1]
