"""Studio effects real recordings carry: reverb and compression on the voice, mp3 coding.

A dry, uncompressed voice over a clean band is easy to separate; real songs put
a room (or a plate) around the voice, squash its dynamics, and reach the listener
through a lossy codec that smears the high band where consonants live. The
reverb tail rings on after the last phoneme while the performer's mouth is
already closed: the model must learn that a decaying echo is not singing.
"""

from __future__ import annotations

import subprocess
import tempfile
from pathlib import Path

import numpy as np
import soundfile as sf
from scipy.signal import butter, fftconvolve, lfilter, sosfilt


def room(rng: np.random.Generator, sr: int, rt60: float) -> np.ndarray:
    """A synthetic stereo impulse response (L, 2) with unit energy per channel.

    Exponentially decaying noise (a diffuse field), darker as it decays (air and
    walls absorb the highs first), after a short pre-delay; the two channels use
    independent noise, which widens what goes through it.
    """
    length = int(min(rt60 * 1.2, 3.0) * sr)
    t = np.arange(length) / sr
    predelay = int(rng.uniform(0.005, 0.04) * sr)
    dark = butter(1, min(5000.0, sr / 2 - 500), btype="low", fs=sr, output="sos")
    channels = []
    for _ in range(2):
        noise = rng.normal(0.0, 1.0, length) * np.exp(-6.9 * t / rt60)
        late = sosfilt(dark, noise)
        tail = noise * np.exp(-t / 0.08) + late * (1.0 - np.exp(-t / 0.08))
        ir = np.concatenate([np.zeros(predelay), tail])
        channels.append(ir / max(float(np.sqrt(np.sum(ir**2))), 1e-9))
    return np.stack(channels, axis=1)


def reverb(dry: np.ndarray, ir: np.ndarray, wet: float) -> np.ndarray:
    """`dry` (N,) or (N, 2) through the room `ir`; returns (N, 2), same energy as `dry`.

    Linear in `dry`, so the lead and the backing voices can go through the same
    room separately and still add up to the whole vocal stem.
    """
    mono = dry.mean(axis=1) if dry.ndim == 2 else dry
    dry2 = dry if dry.ndim == 2 else np.repeat(dry[:, None], 2, axis=1)
    wet_sig = np.stack([fftconvolve(mono, ir[:, c])[: len(mono)] for c in range(2)], axis=1)
    # Unit-energy IRs keep the level of a diffuse tail about that of the dry sound.
    return ((1.0 - wet) * dry2 + wet * wet_sig).astype(np.float32)


def compressor_gain(
    signal: np.ndarray, sr: int, threshold_db: float, ratio: float, release: float = 0.12
) -> np.ndarray:
    """(N,) gain (≤ 1) of a feed-forward RMS compressor (no make-up: the mixer sets levels).

    The level detector is a one-pole average of the squared signal (10 ms), so a
    filter does the work, not a Python loop per sample; `release` smooths the
    gain reduction itself. Levels are relative to the loudest passage (0 dB).
    """
    mono = signal.mean(axis=1) if signal.ndim == 2 else signal
    a = np.exp(-1.0 / (0.01 * sr))
    power = lfilter([1 - a], [1, -a], mono.astype(np.float64) ** 2)
    peak_db = 10 * np.log10(max(float(power.max()), 1e-12))
    level_db = 10 * np.log10(np.maximum(power, 1e-12)) - peak_db
    reduction = np.minimum(0.0, (threshold_db - level_db) * (1.0 - 1.0 / ratio))
    r = np.exp(-1.0 / (release * sr))
    reduction = lfilter([1 - r], [1, -r], reduction)
    return 10 ** (reduction / 20)


def mp3_round_trip(audio: np.ndarray, sr: int, kbps: int, ffmpeg: str | None = None) -> np.ndarray:
    """`audio` (N, 2) encoded to mp3 at `kbps` and decoded back, same length and rate.

    Uses the ffmpeg that imageio-ffmpeg ships (argv list, no shell). LAME's
    encoder delay is trimmed by ffmpeg's decoder (it reads the LAME tag), so the
    result lines up with the input; the tail is padded or cut to length.
    """
    if ffmpeg is None:
        import imageio_ffmpeg

        ffmpeg = imageio_ffmpeg.get_ffmpeg_exe()
    with tempfile.TemporaryDirectory(prefix="musicface-mp3-") as temp:
        wav, mp3, back = Path(temp) / "in.wav", Path(temp) / "x.mp3", Path(temp) / "out.wav"
        sf.write(wav, np.clip(audio, -1.0, 1.0), sr, subtype="FLOAT")
        base = [ffmpeg, "-nostdin", "-hide_banner", "-loglevel", "error", "-y"]
        subprocess.run(
            [*base, "-i", str(wav), "-c:a", "libmp3lame", "-b:a", f"{kbps}k", str(mp3)],
            check=True,
        )
        subprocess.run(
            [*base, "-i", str(mp3), "-ar", str(sr), "-c:a", "pcm_f32le", str(back)], check=True
        )
        decoded, _ = sf.read(back, dtype="float32", always_2d=True)
    out = np.zeros_like(audio, dtype=np.float32)
    m = min(len(out), len(decoded))
    out[:m] = decoded[:m, : audio.shape[1]]
    return out
