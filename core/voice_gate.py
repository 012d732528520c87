"""The mouth rests where nobody sings: a gate on the lower face from the vocal's loudness.

The generator learned on synthetic songs when a mouth opens. On real songs the
separated vocal stream is not silent where the voice is: Spleeter leaves a little of
the band, reverb tails and backing vocals in it, and the model, which never heard
those, sometimes sings along to them. How loud the vocal stream is tells sung from
unsung frames better than the model does (on the real-song dev set: AUC 0.99 against
0.94 for the previous default and 0.96 for this one), so the engine uses both: the
model's mouth where the vocal stream is loud, the mouth at rest where it is quiet, with
a smooth fade between.

Levels are relative to the vocal stream's own level (its 95th percentile over the
song, as in training/real_songs.py), so a quiet mix and a loud master gate alike.

Loudness alone opens the mouth for whatever the separator left in the vocal stream
as loud as a voice: a song's lead instrument in its intro or a break. So the gate
also asks the voice detector (core/voice_detector.py) whether the stream sounds like
a voice, and closes where it is sure it does not (on the synthetic test split the
mouth was shut in 93.4 % of the frames where nobody sings with loudness alone,
95.9 % with the detector; on the real-song dev set it changes next to nothing).
"""

from __future__ import annotations

import numpy as np

from core.face.arkit import LOWER_FACE as _LOWER_FACE

# dB relative to the vocal stream's level: at or above OPEN the model's mouth as it
# is, at or below CLOSED the mouth at rest, a smoothstep between. Chosen on the
# synthetic corpus's training clips (Spleeter-separated, with backing vocals, reverb
# and dense mixes), not on the real songs it is measured on.
OPEN_DB = -30.0
CLOSED_DB = -42.0
LEVEL_PERCENTILE = 95.0
WINDOW_S = 2.0 / 30.0  # the loudness window, centred on each frame
# The gate opens at once (a sung onset must not be late) and closes over RELEASE_S,
# so that a word's end and a breath between words do not snap the mouth shut.
RELEASE_S = 0.2
# P(voice) from the voice detector: at or above VOICE_OPEN the model's mouth, at or
# below VOICE_CLOSED at rest, a smoothstep between. Low: the detector closes only
# where it is confident that no voice sings; where it hesitates the loudness decides.
VOICE_OPEN = 0.3
VOICE_CLOSED = 0.05
LOWER_FACE = np.array(_LOWER_FACE)


def frame_rms(audio: np.ndarray, sr: int, n_frames: int, fps: float) -> np.ndarray:
    """(T,) RMS of a mono (N,) or multichannel (N, C) signal in a `WINDOW_S` window
    centred on each frame's time (zero padding outside the signal)."""
    signal = np.asarray(audio, dtype=np.float64)
    if signal.ndim == 2:
        signal = signal.mean(axis=1)
    half = max(1, int(round(WINDOW_S * sr / 2)))
    power = np.concatenate([[0.0], np.cumsum(signal**2)])
    centres = np.rint(np.arange(n_frames) * sr / fps).astype(np.int64)
    lo = np.clip(centres - half, 0, len(signal))
    hi = np.clip(centres + half, 0, len(signal))
    return np.sqrt(np.maximum(power[hi] - power[lo], 0.0) / (2 * half))


def level_db(rms: np.ndarray) -> np.ndarray:
    """RMS in dB relative to the signal's own level (its LEVEL_PERCENTILE)."""
    db = 20.0 * np.log10(np.maximum(np.asarray(rms, dtype=np.float64), 1e-10))
    return db - np.percentile(db, LEVEL_PERCENTILE)


def vocal_level_db(vocals: np.ndarray, sr: int, n_frames: int, fps: float) -> np.ndarray:
    """(T,) frame loudness of the vocal stream in dB relative to its own level."""
    return level_db(frame_rms(vocals, sr, n_frames, fps))


def _smoothstep(x: np.ndarray) -> np.ndarray:
    x = np.clip(x, 0.0, 1.0)
    return x * x * (3.0 - 2.0 * x)


def voice_gate(
    vocals: np.ndarray,
    sr: int,
    n_frames: int,
    fps: float,
    voice_probability: np.ndarray | None = None,
) -> np.ndarray:
    """(T,) in [0, 1]: 1 where the vocal stream is loud (and, given the voice detector's
    `voice_probability` per frame, sounds like a voice), 0 where it is quiet (or
    surely not a voice)."""
    level = vocal_level_db(vocals, sr, n_frames, fps)
    gate = _smoothstep((level - CLOSED_DB) / (OPEN_DB - CLOSED_DB))
    if voice_probability is not None:
        p = np.zeros(n_frames)
        given = np.asarray(voice_probability, np.float64)[:n_frames]
        p[: len(given)] = given
        gate = gate * _smoothstep((p - VOICE_CLOSED) / (VOICE_OPEN - VOICE_CLOSED))
    # Instant attack, linear release: the gate falls by at most 1/RELEASE_S per second.
    step = 1.0 / max(RELEASE_S * fps, 1.0)
    held = gate.copy()
    for t in range(1, len(held)):
        held[t] = max(gate[t], held[t - 1] - step)
    return held.astype(np.float32)


def gate_mouth(expression: np.ndarray, gate: np.ndarray) -> np.ndarray:
    """The lower face (jaw*, mouth*) faded towards rest (0) where `gate` is below 1."""
    out = np.array(expression, dtype=np.float32, copy=True)
    frames = min(len(out), len(gate))
    out[:frames, LOWER_FACE] *= np.asarray(gate[:frames], np.float32)[:, None]
    return out
