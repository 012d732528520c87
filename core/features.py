"""Audio features of the paper: MFCC 13 + delta 13 at 100 fps, cut into 39-frame windows.

Each video frame k (30 fps) gets the 39 MFCC frames (390 ms) centred on k / fps
seconds. The MFCC frame i covers [i·10 ms, i·10 ms + 25 ms], so its centre is at
i·10 ms + 12.5 ms; we pick the MFCC frame whose centre is nearest the video
frame's time, and pad the song's edges by repeating the first and last frames.
"""

from __future__ import annotations

import functools
import math

import numpy as np
from python_speech_features.base import get_filterbanks, lifter
from python_speech_features.sigproc import preemphasis
from scipy.fftpack import dct

from core.audio import FEATURE_SR

MFCC_FPS = 100
WINDOW = 39
N_MFCC = 13
FEATURE_DIM = 2 * N_MFCC
VIDEO_FPS = 30.0

_WIN_SECONDS = 0.025
_STEP_SECONDS = 0.010


_NFFT = 512
_N_FILTERS = 26
_BLOCK_FRAMES = 6000  # one minute of MFCC frames: bounds the memory of a long song


def mfcc_26(audio_16k: np.ndarray) -> np.ndarray:
    """MFCC (13) and their first derivatives (13) at 100 fps: (N, 26) float32.

    The same numbers as python_speech_features' `mfcc` + `delta(·, 2)` (the paper's
    recipe; tests hold the two equal), computed from its filterbank and lifter
    but framed through a strided view and a minute at a time: its own framing
    copies the song into a float64 index array, the bottleneck on a whole song.
    """
    signal = np.asarray(audio_16k, dtype=np.float64)
    if signal.ndim != 1:
        raise ValueError("mfcc_26 expects mono audio")
    frame_len = int(round(_WIN_SECONDS * FEATURE_SR))
    step = int(round(_STEP_SECONDS * FEATURE_SR))
    n = 1 if len(signal) <= frame_len else 1 + math.ceil((len(signal) - frame_len) / step)
    padded = np.zeros((n - 1) * step + frame_len)
    padded[: len(signal)] = preemphasis(signal, 0.97)
    frames = np.lib.stride_tricks.sliding_window_view(padded, frame_len)[::step]
    banks = _filterbanks()
    tiny = np.finfo(float).eps
    cepstra = np.empty((n, N_MFCC))
    for start in range(0, n, _BLOCK_FRAMES):
        block = frames[start : start + _BLOCK_FRAMES]
        power = np.abs(np.fft.rfft(block, _NFFT)) ** 2 / _NFFT
        energy = power.sum(axis=1)
        mel = power @ banks.T
        coefficients = dct(np.log(np.where(mel == 0, tiny, mel)), type=2, axis=1, norm="ortho")
        coefficients = lifter(coefficients[:, :N_MFCC], 22)
        coefficients[:, 0] = np.log(np.where(energy == 0, tiny, energy))
        cepstra[start : start + len(block)] = coefficients
    return np.concatenate([cepstra, _delta(cepstra)], axis=1).astype(np.float32)


@functools.lru_cache(maxsize=1)
def _filterbanks() -> np.ndarray:
    """The mel filterbank, made once: building it costs more than the MFCC of a short
    block (the live engine computes a few rows at a time, core/live/mfcc_stream.py)."""
    banks = get_filterbanks(_N_FILTERS, _NFFT, FEATURE_SR, 0, FEATURE_SR / 2)
    banks.flags.writeable = False
    return banks


def _delta(features: np.ndarray, width: int = 2) -> np.ndarray:
    """Regression deltas over ±`width` frames, edges repeated (python_speech_features' delta)."""
    padded = np.pad(features, ((width, width), (0, 0)), mode="edge")
    n = len(features)
    total = sum(
        k * (padded[width + k : n + width + k] - padded[width - k : n + width - k])
        for k in range(1, width + 1)
    )
    return total / (2 * sum(k * k for k in range(1, width + 1)))


def video_frame_count(seconds: float, fps: float = VIDEO_FPS) -> int:
    """Number of video frames that cover `seconds` of audio: ceil(seconds × fps)."""
    # Round first so 10.0 s × 30 does not become 301 through float error.
    return int(math.ceil(round(seconds * fps, 6)))


def window_centres(n_frames: int, fps: float = VIDEO_FPS) -> np.ndarray:
    """Index of the MFCC frame centred nearest each video frame's time."""
    times = np.arange(n_frames) / fps
    return np.rint((times - _WIN_SECONDS / 2) * MFCC_FPS).astype(np.int64)


def frame_windows(mfcc_100fps: np.ndarray, n_frames: int, fps: float = VIDEO_FPS) -> np.ndarray:
    """Cut (T, 39, 26) windows centred on each of `n_frames` video frames, edges padded."""
    features = np.asarray(mfcc_100fps, dtype=np.float32)
    if features.ndim != 2 or features.shape[0] == 0:
        raise ValueError("frame_windows expects a non-empty (N, D) feature array")
    half = WINDOW // 2
    # Indices are clipped rather than the array padded: same result, no copy of the song.
    centres = window_centres(n_frames, fps)
    rows = np.clip(centres[:, None] + np.arange(-half, half + 1)[None, :], 0, len(features) - 1)
    return features[rows]


def song_windows(audio_16k: np.ndarray, fps: float = VIDEO_FPS) -> np.ndarray:
    """Features of a whole mono 16 kHz song: (ceil(seconds × fps), 39, 26) float32."""
    n_frames = video_frame_count(len(audio_16k) / FEATURE_SR, fps)
    return frame_windows(mfcc_26(audio_16k), n_frames, fps)
