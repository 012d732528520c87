"""The vocal stream's cues: its level against its own, and how centred it is."""

from __future__ import annotations

import numpy as np

from core.vocal_cues import LEVEL_FLOOR_DB, centredness, vocal_cues

SR, FPS = 16000, 30.0


def _voice(seconds: float = 3.0, seed: int = 1) -> np.ndarray:
    t = np.arange(int(seconds * SR)) / SR
    rng = np.random.default_rng(seed)
    return np.sin(2 * np.pi * 220 * t) * (1 + 0.5 * np.sin(2 * np.pi * 3 * t)) + 0.1 * rng.normal(
        0, 1, len(t)
    )


def _pan(mono: np.ndarray, position: float) -> np.ndarray:
    angle = (position + 1.0) * np.pi / 4
    return np.stack([mono * np.cos(angle), mono * np.sin(angle)], axis=1)


def test_a_centred_voice_reads_centred_and_a_panned_or_diffuse_one_does_not() -> None:
    voice = _voice()
    frames = 90
    centre = centredness(_pan(voice, 0.0), SR, frames, FPS)
    assert np.allclose(centre, 1.0, atol=1e-4)
    assert 0.7 < centredness(_pan(voice, 0.3), SR, frames, FPS).mean() < 0.9
    assert centredness(_pan(voice, 0.8), SR, frames, FPS).mean() < 0.15  # a backing voice
    assert centredness(_pan(voice, 1.0), SR, frames, FPS).mean() < 1e-3  # hard left
    # Two independent channels (a reverb's tail, a wide pad) are not a centred source.
    diffuse = np.random.default_rng(0).normal(0, 1, (len(voice), 2))
    assert centredness(diffuse, SR, frames, FPS).mean() < 0.15
    # Mono files and silence read as centred: nothing to tell apart.
    assert np.all(centredness(voice[:, None], SR, frames, FPS) == 1.0)
    assert np.all(centredness(np.zeros((len(voice), 2)), SR, frames, FPS) == 1.0)


def test_the_cues_follow_the_frames_and_floor_silence() -> None:
    voice = _pan(_voice(), 0.0)
    voice[:SR] *= 0.0  # a second of silence, then the voice
    cues = vocal_cues(voice, SR, 90, FPS)
    assert cues.shape == (90, 2) and cues.dtype == np.float32
    assert np.all(cues[:25, 0] == LEVEL_FLOOR_DB)  # digital silence is floored
    assert cues[40:, 0].max() > -3.0 and cues[40:, 0].min() > -20.0
    # The side channel appears where the voice moves to the side.
    moving = np.concatenate([_pan(_voice(1.5), 0.0), _pan(_voice(1.5, 2), 0.9)])
    centre = vocal_cues(moving, SR, 90, FPS)[:, 1]
    assert centre[5:40].min() > 0.95 and centre[50:85].max() < 0.1
