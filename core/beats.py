"""The beat tracker: a tempo from an onset envelope, then the beats that keep it.

A tempo from the envelope's autocorrelation (with a prior around 120 BPM), then
the dynamic-programming tracker of Ellis (2007): each beat is an onset that also
keeps the tempo. core/rhythm.py feeds it the song's MFCC flux; its beats are both
the pose head's beat phase and the Performance's beat markers, so the markers a
user sees are the beats the head moves to. librosa has the same method, but
importing its beat module compiles numba kernels for ~3 s in every process, more
than the whole network pass of a 4-minute song.
"""

from __future__ import annotations

import numpy as np

TEMPO_PRIOR_BPM = 120.0
MIN_BPM, MAX_BPM = 50.0, 220.0
TIGHTNESS = 100.0  # how strongly beats keep the tempo (Ellis' alpha)


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
