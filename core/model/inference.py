"""Run a generator over a whole song: chunked encoders, one continuous pose rollout.

Encoders and ATMs only look a few frames around each frame, so they run on
overlapping chunks (the overlap is dropped) and memory stays flat however long
the song. The heads are cheap per frame and the PGN must see the whole song in
order, so they run once over the full sequence.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from core.model.generator import (
    MOUTH,
    TASKS,
    MusicFaceGenerator,
    TaskFeatures,
    attention_curves,
)
from core.model.normalization import Normalization
from core.model.windows import cut_windows, window_rows
from core.progress import ProgressFn, no_progress
from core.rhythm import beat_phase, beats_from_mfcc


@dataclass
class FrameCurves:
    """One song's raw network outputs at the model's fps (numpy, float32)."""

    expression: np.ndarray  # (T, 52) in [0, 1]
    pose: np.ndarray  # (T, 6) radians / metres
    e_long: np.ndarray  # (T,) in [0, 1]
    attention: np.ndarray | None  # (3, T, 2): vocals, accompaniment per task


@torch.inference_mode()
def run_generator(
    model: MusicFaceGenerator,
    normalization: Normalization,
    mfccs: dict[str, np.ndarray],
    n_frames: int,
    subject: int = 0,
    beats: np.ndarray | None = None,
    progress: ProgressFn = no_progress,
) -> FrameCurves:
    """mfccs: raw (N, 26) 100 fps MFCCs for each stream in `model.config.streams`, and
    for `model.config.rhythm_source` when the pose head reads the beat phase, unless
    the song's `beats` (seconds, core/rhythm.py's) are given. Runs on the model's
    device (load_checkpoint puts it on the GPU when present); the curves come back
    as numpy on the CPU."""
    model.eval()
    # Trained weights drive some activations into float32's subnormal range, where
    # x86 arithmetic is many times slower (the network pass of a 4-minute song:
    # ~10 s against ~1 s). Flush them while the network runs, and only then: numpy
    # warns about its float limits if the flag stays on.
    torch.set_flush_denormal(True)
    try:
        return _run(model, normalization, mfccs, n_frames, subject, beats, progress)
    finally:
        torch.set_flush_denormal(False)


def _run(
    model: MusicFaceGenerator,
    normalization: Normalization,
    mfccs: dict[str, np.ndarray],
    n_frames: int,
    subject: int,
    beats: np.ndarray | None,
    progress: ProgressFn,
) -> FrameCurves:
    config = model.config
    device = next(model.parameters()).device
    names = config.streams
    normalised = [normalization.mfcc(name, mfccs[name]) for name in names]
    rows = window_rows(len(normalised[0]), n_frames, config.fps)
    subject_t = torch.tensor([subject], device=device)

    inputs = {t: torch.empty(1, n_frames, config.task_dim, device=device) for t in TASKS}
    if config.mouth_apart:
        inputs[MOUTH] = torch.empty(1, n_frames, config.mouth_dim, device=device)
    attention = (
        {t: torch.empty(1, n_frames, 2 * config.feature_dim, device=device) for t in TASKS}
        if config.uses_atm
        else None
    )
    step, context = config.chunk_frames, config.chunk_context
    for start in range(0, n_frames, step):
        stop = min(start + step, n_frames)
        lo, hi = max(0, start - context), min(n_frames, stop + context)
        streams = [
            torch.from_numpy(cut_windows(m, rows[lo:hi])).to(device)[None] for m in normalised
        ]
        chunk = model.task_features(streams, subject_t)
        keep = slice(start - lo, start - lo + stop - start)
        for name, values in chunk.inputs.items():
            inputs[name][:, start:stop] = values[:, keep]
        for task in TASKS:
            if attention is not None and chunk.attention is not None:
                attention[task][:, start:stop] = chunk.attention[task][:, keep]
        progress("generate", 0.7 * stop / n_frames)

    rhythm = None
    if config.rhythm_dim:
        if beats is None:  # tracked in the same stream as in training
            if config.rhythm_source not in mfccs:
                raise ValueError(f"the pose head needs the {config.rhythm_source!r} MFCC stream")
            beats = beats_from_mfcc(mfccs[config.rhythm_source])
        phase = beat_phase(beats, n_frames, config.fps)
        rhythm = torch.from_numpy(phase)[None].to(device)
    out = model.decode(TaskFeatures(inputs, attention), rhythm=rhythm)
    progress("generate", 1.0)
    scale = torch.from_numpy(normalization.pose_scale).to(device)
    curves = None
    if out.attention is not None:
        curves = attention_curves(out.attention, config.feature_dim).cpu().numpy()
    return FrameCurves(
        expression=out.expression[0].cpu().numpy(),
        pose=(out.pose[0] * scale).cpu().numpy(),
        e_long=out.e_long[0].cpu().numpy(),
        attention=curves,
    )
