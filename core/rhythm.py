"""The rhythm input of the pose head: where each video frame sits between two beats.

A singer's head lands on the beat: its speed dips there and swells in between.
A frame-wise speed head that reads 390 ms of MFCC cannot tell where in a slow
bar it is, so it also reads the beat phase φ ∈ [0, 1) of its frame as
(cos 2πφ, sin 2πφ) — the same kind of beat input as music-to-dance models use.

The beats come from an MFCC stream (the whole song's, see
`GeneratorConfig.rhythm_source`; 13 cepstra + 13 deltas, the dataset's only
audio): the deltas, un-liftered and turned back into 26 log-mel bands, give a
spectral flux, which feeds the Ellis beat tracker of `core.beats`. Training
reads the dataset's MFCC and the engine the song's, so both see exactly the
same input.
"""

from __future__ import annotations

import numpy as np
from scipy.fftpack import idct

from core.beats import beat_period, track_beats
from core.features import MFCC_FPS, N_MFCC

RHYTHM_DIM = 2
_LIFTER = 22  # core.features.mfcc_26's cepstral lifter
_N_BANDS = 26  # and its mel filterbank


def onset_envelope_from_mfcc(mfcc: np.ndarray) -> np.ndarray:
    """Positive log-mel flux per MFCC frame (N,), its slow level removed."""
    deltas = np.asarray(mfcc, dtype=np.float64)[:, N_MFCC : 2 * N_MFCC].copy()
    n = np.arange(N_MFCC)
    deltas /= 1.0 + (_LIFTER / 2.0) * np.sin(np.pi * n / _LIFTER)
    deltas[:, 0] = 0.0  # the energy term is no cepstral coefficient
    padded = np.pad(deltas, ((0, 0), (0, _N_BANDS - N_MFCC)))
    log_mel_change = idct(padded, type=2, axis=1, norm="ortho")
    flux = np.maximum(log_mel_change, 0.0).sum(axis=1)
    width = min(MFCC_FPS, len(flux))  # a song shorter than the window still gets one
    local = np.convolve(flux, np.ones(width) / width, mode="same")  # ~1 s level
    return np.maximum(flux - local, 0.0)


def beats_from_mfcc(mfcc: np.ndarray) -> np.ndarray:
    """Beat times in seconds of a stream given as (N, 26) 100 fps MFCC (empty if none)."""
    envelope = onset_envelope_from_mfcc(mfcc)
    if len(envelope) < 2 * MFCC_FPS or not np.any(envelope > 0):
        return np.zeros(0)
    frames = track_beats(envelope, beat_period(envelope, float(MFCC_FPS)))
    # MFCC frame i is centred at i·10 ms + 12.5 ms. On click tracks the beats land
    # 10–50 ms after the clicks; the pose head learns any constant lag anyway, since
    # training and the engine compute the phase alike.
    return (frames + 1.25) / MFCC_FPS


def beat_phase(beats: np.ndarray, n_frames: int, fps: float) -> np.ndarray:
    """(n_frames, 2) float32: (cos 2πφ, sin 2πφ) of each frame's phase between beats.

    Before the first and after the last beat the grid continues at the median
    period (a song's intro still has its tempo); with fewer than two beats there
    is no tempo and the rows are zero.
    """
    out = np.zeros((n_frames, RHYTHM_DIM), np.float32)
    beats = np.asarray(beats, dtype=np.float64)
    if len(beats) < 2 or n_frames == 0:
        return out
    period = float(np.median(np.diff(beats)))
    times = np.arange(n_frames) / fps
    before = int(np.ceil(max(0.0, beats[0] - times[0]) / period)) + 1
    after = int(np.ceil(max(0.0, times[-1] - beats[-1]) / period)) + 1
    grid = np.concatenate(
        [
            beats[0] - period * np.arange(before, 0, -1),
            beats,
            beats[-1] + period * np.arange(1, after + 1),
        ]
    )
    k = np.clip(np.searchsorted(grid, times, side="right") - 1, 0, len(grid) - 2)
    phase = (times - grid[k]) / (grid[k + 1] - grid[k])
    out[:, 0] = np.cos(2 * np.pi * phase)
    out[:, 1] = np.sin(2 * np.pi * phase)
    return out


def rhythm_features(mfcc: np.ndarray, n_frames: int, fps: float) -> np.ndarray:
    """The pose head's rhythm input (n_frames, 2) from a stream's 100 fps MFCC."""
    return beat_phase(beats_from_mfcc(mfcc), n_frames, fps)
