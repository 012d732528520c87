"""Where the lead voice sings in the separated vocal stream, per alignment frame.

The aligner needs the song cut into sung and unsung stretches more than anything else:
a line must not be laid over an instrumental break. The vocal stream's loudness
(relative to its own level, as the mouth gate reads it) and the voice detector's
P(voice) say where a voice sings; the loudness relative to its neighbourhood says where
a syllable's vowel peaks and where consonants dip between them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.ndimage import maximum_filter1d, uniform_filter1d

from core.features import mfcc_26
from core.lyrics.phones import CEPSTRA
from core.vocal_cues import vocal_cues
from core.voice_detector import load_voice_detector, video_rows
from core.voice_gate import frame_rms, level_db

# Loudness (dB under the stream's level) where P(sung) from loudness alone is one half,
# and the width of its logistic (dB): between the mouth gate's closed and open levels.
HALF_DB = -34.0
WIDTH_DB = 3.0
PEAK_WINDOW_S = 0.25  # a syllable's span: its vowel is the loudest part
ONSET_S = 0.06  # a syllable's onset: the level rises within this much time
FLOOR_DB = -60.0  # rises out of silence count from here


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(x, -60.0, 60.0)))


@dataclass(frozen=True)
class Activity:
    sung: np.ndarray  # (T,) P(a voice sings)
    under_peak: np.ndarray  # (T,) dB under the loudest point within PEAK_WINDOW_S
    cepstra: np.ndarray  # (T, CEPSTRA) c1.. of the vocal stream
    # (T,) dB the level rose over the last ONSET_S: a new syllable starts where it is high
    rise: np.ndarray | None = None


def sung_probability(vocals: np.ndarray, sr: int, fps: float, n_frames: int) -> Activity:
    """What the aligner reads of the vocal stream `vocals` (mono (N,) or (N, C) at 16 kHz),
    at `fps` frames per second."""
    stereo = np.asarray(vocals, np.float32)
    mono = stereo.mean(axis=1) if stereo.ndim == 2 else stereo
    level = level_db(frame_rms(mono, sr, n_frames, fps))
    loud = _sigmoid((level - HALF_DB) / WIDTH_DB)
    detector = load_voice_detector()
    cues = None
    if detector.reads_cues:
        cues = vocal_cues(stereo if stereo.ndim == 2 else stereo[:, None], sr, n_frames, fps)
    mfcc = mfcc_26(mono)
    voice = detector.probability(mfcc, n_frames, fps, cues).astype(np.float64)
    # The detector is sure of silence far more often than of singing: it vetoes, the
    # loudness decides.
    sung = loud * np.sqrt(np.clip(voice, 0.0, 1.0))
    width = max(1, int(round(PEAK_WINDOW_S * fps)))
    under_peak = level - maximum_filter1d(level, width, mode="nearest")
    rows = np.clip(video_rows(n_frames, fps), 0, len(mfcc) - 1)
    cepstra = uniform_filter1d(mfcc[:, 1 : 1 + CEPSTRA], 2, axis=0)[rows]
    floored = np.maximum(level, FLOOR_DB)
    lag = max(1, int(round(ONSET_S * fps)))
    before = np.concatenate([np.full(lag, floored[0]), floored[:-lag]])
    rise = np.maximum(floored - before, 0.0)
    return Activity(sung, under_peak, cepstra.astype(np.float32), rise)
