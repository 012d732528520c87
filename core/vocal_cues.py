"""Two cues of the separated vocal stream per video frame: how loud, and how centred.

The vocal stream a separator returns holds the lead and every other voice, and
whatever of the band leaked into it. Two things tell the lead apart that MFCCs of a
mono downmix cannot:

- **level**: the lead is the loudest voice of a song; backing, choirs and ad-libs
  sit below it. The stream's frame RMS in dB relative to its own level (its 95th
  percentile over the song, as the mouth gate measures it).
- **centre**: mixes put the lead in the middle of the stereo image, and spread
  doubled guitars, backing voices and choirs to the sides; a reverb's tail is
  decorrelated between the two channels. Per STFT bin, ψ = 2|L·R*| / (|L|² + |R|²)
  is 1 for a source in the centre and falls as a source is panned (0.31 at ±0.8)
  or the channels decorrelate; the cue is the power-weighted mean of ψ² over the
  voice's band (150 Hz – 5 kHz) around the frame. A mono file reads as centred.

The mouth gate's lead detector (core/voice_detector.py) reads both beside the MFCCs;
the synthetic corpus stores them per clip (`vocal_cues`) from the same function.
"""

from __future__ import annotations

import numpy as np
from scipy.signal import stft

from core.voice_gate import WINDOW_S, vocal_level_db

CUE_NAMES: tuple[str, ...] = ("level_db", "centre")
BAND_HZ = (150.0, 5000.0)
_NPERSEG_S = 0.032  # 512 samples at 16 kHz
_HOP_S = 0.010
GROUP = 4  # neighbouring bins summed (125 Hz at 16 kHz)


def centredness(vocals: np.ndarray, sr: int, n_frames: int, fps: float) -> np.ndarray:
    """(T,) in [0, 1]: the power-weighted ψ² of the module docstring, over `WINDOW_S`
    centred on each frame (1 where the stream is silent or mono). The cross- and
    auto-spectra are summed over the window and GROUP neighbouring bins before ψ is
    taken, so ψ measures coherence: two independent channels read near 0, not the
    ~0.7 that ψ of single bins gives them."""
    audio = np.asarray(vocals, dtype=np.float64)
    out = np.ones(n_frames, np.float32)
    if audio.ndim != 2 or audio.shape[1] < 2 or len(audio) == 0:
        return out
    nperseg = int(round(_NPERSEG_S * sr))
    hop = max(1, int(round(_HOP_S * sr)))
    freqs, _, spectra = stft(
        audio[:, :2].T, sr, nperseg=nperseg, noverlap=nperseg - hop, boundary=None, padded=True
    )
    band = (freqs >= BAND_HZ[0]) & (freqs <= BAND_HZ[1])
    left, right = spectra[0, band], spectra[1, band]

    def summed(values: np.ndarray) -> np.ndarray:
        # Over groups of GROUP neighbouring bins, then cumulatively over time.
        bins = len(values) // GROUP * GROUP
        across = values[:bins].reshape(-1, GROUP, values.shape[1]).sum(axis=1)
        zeros = np.zeros((len(across), 1), dtype=across.dtype)
        return np.concatenate([zeros, np.cumsum(across, axis=1)], axis=1)

    cross = summed(left * np.conj(right))
    auto = summed(np.abs(left) ** 2 + np.abs(right) ** 2)
    # STFT frame j covers samples [j·hop, j·hop + nperseg): its centre is at that + nperseg/2.
    centres = (np.arange(n_frames) / fps * sr - nperseg / 2) / hop
    half = WINDOW_S * sr / 2 / hop
    last = auto.shape[1] - 1
    lo = np.clip(np.floor(centres - half).astype(int), 0, last)
    hi = np.clip(np.ceil(centres + half).astype(int) + 1, 0, last)
    power = auto[:, hi] - auto[:, lo]  # (bins, T)
    psi = 2.0 * np.abs(cross[:, hi] - cross[:, lo]) / np.maximum(power, 1e-20)
    energy = power.sum(axis=0)
    ratio = (np.minimum(psi, 1.0) ** 2 * power).sum(axis=0) / np.maximum(energy, 1e-20)
    silent = energy <= 1e-12 * max(float(auto[:, -1].sum()), 1e-30)
    return np.where(silent, 1.0, np.clip(ratio, 0.0, 1.0)).astype(np.float32)


# Quieter than this is silence alike (the mouth gate is shut from −42 dB): a digital
# silence's −120 dB must not weigh on the detector's linear model more than −60.
LEVEL_FLOOR_DB = -60.0


def vocal_cues(vocals: np.ndarray, sr: int, n_frames: int, fps: float) -> np.ndarray:
    """(T, 2) float32: level (dB from the stream's own level, floored at LEVEL_FLOOR_DB)
    and centredness."""
    level = np.maximum(vocal_level_db(vocals, sr, n_frames, fps), LEVEL_FLOOR_DB)
    return np.stack([level, centredness(vocals, sr, n_frames, fps)], axis=1).astype(np.float32)
