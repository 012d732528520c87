"""A screamed lead: the lead's own voice made harsh, as metal and hardcore singers do.

A scream is still the lead singing (its mouth wide open), but it sounds nothing like
a clean voice: noise where the harmonics were (the false folds' rattle), clipped,
brighter. A model or a voice detector that has only heard clean singing takes it
for an instrument and shuts the mouth. The phonemes, and so the face, are the ones
the clean voice sang.
"""

from __future__ import annotations

import numpy as np
from scipy.ndimage import uniform_filter1d
from scipy.signal import butter, sosfilt


def scream(rng: np.random.Generator, lead: np.ndarray, sr: int) -> np.ndarray:
    """(N,) the lead screamed: its envelope on rattled noise, mixed with the voice
    driven into clipping and band-passed 300 Hz – 6 kHz; same loudness as `lead`."""
    voice = np.asarray(lead, np.float64)
    envelope = np.sqrt(uniform_filter1d(voice**2, int(0.01 * sr)) + 1e-12)
    # Rattle: noise amplitude-modulated at 30–70 Hz, shaped by the voice's spectrum
    # (the voice itself is the filter: its product with noise keeps its formants).
    t = np.arange(len(voice)) / sr
    rattle = 1.0 + 0.8 * np.sin(2 * np.pi * float(rng.uniform(30.0, 70.0)) * t)
    noise = rng.normal(0.0, 1.0, len(voice)) * envelope * rattle
    grit = float(rng.uniform(0.3, 0.7))
    drive = float(rng.uniform(4.0, 15.0))
    peak = max(float(np.abs(voice).max()), 1e-9)
    driven = np.tanh(drive * voice / peak)
    mixed = (1.0 - grit) * driven + grit * noise / max(float(np.abs(noise).max()), 1e-9)
    band = butter(2, [300.0, min(6000.0, sr / 2 - 500)], btype="band", fs=sr, output="sos")
    out = sosfilt(band, mixed)
    sung = np.abs(voice) > 1e-4 * peak
    rms_in = float(np.sqrt(np.mean(voice[sung] ** 2))) if sung.any() else 0.0
    rms_out = float(np.sqrt(np.mean(out[sung] ** 2))) if sung.any() else 1.0
    return (out * rms_in / max(rms_out, 1e-12)).astype(np.float32)
