"""ESGN: the eye state generation network (DESIGN.md, "The method" 6).

Long closures (> 0.5 s, held notes, emotion) are learned from audio:
e_long = MLP(l_eye ⊕ m_eye). Blinks carry no audio information, so they are
sampled: each lasting U(0.10, 0.45) s, onsets spaced U(2.0, 3.6) s apart — the
paper's U(1.2, 2.0) s gives ~0.55 blinks/s, more than the paper's own measured
0.38/s and a singer's ~0.3/s (GeneratorConfig.blink_interval sets it).
The composite e = e_long where the eye is held closed, else e_blink, is then
smoothed by a temporal Gaussian filter.
"""

from __future__ import annotations

import numpy as np
import torch
from scipy.ndimage import binary_opening, gaussian_filter1d
from torch import nn


class LongClosureMLP(nn.Module):
    """e_long = MLP(l_eye ⊕ m_eye) in [0, 1]: (B, T, in_dim) → (B, T)."""

    def __init__(self, in_dim: int, hidden: int) -> None:
        super().__init__()
        self.fc1 = nn.Linear(in_dim, hidden)
        self.fc2 = nn.Linear(hidden, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.sigmoid(self.fc2(torch.relu(self.fc1(x)))).squeeze(-1)


def sample_blinks(
    n_frames: int,
    fps: float,
    rng: np.random.Generator,
    interval: tuple[float, float] = (2.0, 3.6),
    duration: tuple[float, float] = (0.10, 0.45),
) -> np.ndarray:
    """e_blink (n_frames,) float32 in [0, 1]: smooth closures at sampled times.

    `interval` is the onset-to-onset gap. The first onset is drawn from the
    same interval so a take never opens with a blink.
    """
    seconds = n_frames / fps
    blink = np.zeros(n_frames, dtype=np.float64)
    onset = rng.uniform(*interval)
    while onset < seconds:
        length = rng.uniform(*duration)
        first = int(np.ceil(onset * fps))
        frames = max(3, int(round(length * fps)) + 1)  # both ends open, at least one closed
        phase = np.arange(frames) / (frames - 1)
        # Open → closed → open, with a closed top: sampled at 30 fps even a 0.1 s
        # blink has a fully closed frame (a plain sin² would peak at 0.75 there).
        profile = np.minimum(1.0, 1.5 * np.sin(np.pi * phase)) ** 2
        stop = min(first + frames, n_frames)
        if stop > first:
            blink[first:stop] = np.maximum(blink[first:stop], profile[: stop - first])
        onset += rng.uniform(*interval)
    return blink.astype(np.float32)


def compose_eye_state(
    e_long: np.ndarray,
    e_blink: np.ndarray,
    threshold: float,
    sigma_frames: float,
    min_frames: int = 1,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(eye_long, eye_blink, e): e = G_sigma * (e_long where e_long > threshold, else e_blink).

    The two layers are returned apart so that an artist can weigh them: eye_long
    keeps e_long only where it marks a closure, eye_blink keeps the sampled
    blinks elsewhere, and e = G_sigma * (eye_long + eye_blink), clipped to [0, 1].
    A closure must last `min_frames`: e_long grazing the threshold for a frame or
    two is not a closure, and left in, the filter turns it into a half-closed
    twitch of the eyes (the shipped model's e_long did this ~14 times a minute).
    """
    closed = e_long > threshold
    if min_frames > 1:
        # An opening removes exactly the runs shorter than the structure.
        closed = binary_opening(closed, structure=np.ones(min_frames, bool))
    eye_long = np.where(closed, e_long, 0.0).astype(np.float32)
    eye_blink = np.where(closed, 0.0, e_blink).astype(np.float32)
    e = (eye_long + eye_blink).astype(np.float64)
    if sigma_frames > 0 and e.size > 1:
        # The filter smooths the switches between the two layers; it must not keep a
        # blink from closing, so a blink's own (already smooth) shape is a floor.
        e = np.maximum(gaussian_filter1d(e, sigma_frames, mode="nearest"), eye_blink)
    return eye_long, eye_blink, np.clip(e, 0.0, 1.0).astype(np.float32)
