"""Fit the engine's voice detector (core/voice_detector.py) on a corpus's training clips.

Each training clip's separated vocal MFCC (`vocals_mfcc`, what the engine hears), and its
level and centredness (`vocal_cues`, core/vocal_cues.py) where the corpus has them, are
read with its truth: frames where the lead sings are 1, frames where the lead is away
(with the metrics' margin) are 0, whatever else sounds there: silence, the band, a
backing answer, a choir, shouts, ad-libs; the frames at a word's edges are left out.
One L2-regularised logistic regression, fitted by Newton's method, takes the
standardised features to P(the lead sings).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from core.errors import BadInput
from core.progress import ProgressFn, no_progress
from core.voice_detector import VoiceDetector, detector_features, video_rows
from training import metrics as M
from training.manifest import read_manifest
from training.real_songs import auc

# A weak prior on the weights (per sample): it keeps the fit finite where a corpus
# separates perfectly and barely moves it otherwise (AUC equal to 3 decimals from
# 100× less to 100× more on the shipped corpus).
L2 = 1e-4
NEWTON_STEPS = 30


def _clip_frames(path: Path, with_cues: bool) -> tuple[np.ndarray, np.ndarray]:
    """(features, labels) of one clip's frames where the lead sings (1) or is away (0)."""
    try:
        with np.load(path, allow_pickle=False) as data:
            content = {k: data[k] for k in data.files}
    except (OSError, ValueError, EOFError) as err:
        raise BadInput(f"cannot read {path}: {err}") from err
    for key in ("vocals_mfcc", "voice_activity"):
        if key not in content:
            raise BadInput(
                f"{path.name} has no {key}: the voice detector learns from clips that say "
                "when the voice sings (the synthetic corpus, musicface-train synth)"
            )
    fps = float(content["fps"])
    frames = len(content["expression"])
    sung = np.asarray(content["voice_activity"][:frames], bool)
    breath = np.asarray(content.get("breath", np.zeros(frames))[:frames], bool)
    away = M.silent_frames(sung, breath, fps)
    keep = sung | away
    cues = content["vocal_cues"] if with_cues else None
    features = detector_features(content["vocals_mfcc"], video_rows(frames, fps), cues, fps)
    return features[keep], sung[keep].astype(np.float64)


def _has_cues(path: Path) -> bool:
    try:
        with np.load(path, allow_pickle=False) as data:
            return "vocal_cues" in data.files
    except (OSError, ValueError, EOFError):
        return False


def fit_logistic(
    x: np.ndarray, y: np.ndarray, l2: float = L2, steps: int = NEWTON_STEPS
) -> tuple[np.ndarray, float]:
    """Weights and bias minimising mean log-loss + l2/2·|w|² (Newton's method)."""
    n, f = x.shape
    design = np.concatenate([x, np.ones((n, 1))], axis=1)
    theta = np.zeros(f + 1)
    ridge = np.full(f + 1, l2)
    ridge[-1] = 0.0  # the bias is not pulled to 0
    for _ in range(steps):
        p = 1.0 / (1.0 + np.exp(-np.clip(design @ theta, -60.0, 60.0)))
        gradient = design.T @ (p - y) / n + ridge * theta
        hessian = (design * (p * (1.0 - p))[:, None]).T @ design / n + np.diag(ridge)
        step = np.linalg.solve(hessian + 1e-9 * np.eye(f + 1), gradient)
        theta -= step
        if np.abs(step).max() < 1e-8:
            break
    return theta[:-1], float(theta[-1])


def fit_voice_detector(
    data: Path, split: str = "train", progress: ProgressFn = no_progress
) -> VoiceDetector:
    """The detector fitted on `data`'s `split` clips (its manifest's separator's stream)."""
    manifest = read_manifest(data)
    clips = manifest.split(split)
    if not clips:
        raise BadInput(f"{data} has no {split} clips")
    paths = [data / "clips" / f"{entry['id']}.npz" for entry in clips]
    # The cues (level, centredness) only when every clip has them (corpora since 2026-12).
    with_cues = all(_has_cues(path) for path in paths)
    xs, ys = [], []
    for k, path in enumerate(paths):
        x, y = _clip_frames(path, with_cues)
        xs.append(x)
        ys.append(y)
        progress("read", 0.5 * (k + 1) / len(clips))
    x, y = np.concatenate(xs), np.concatenate(ys)
    if y.min() == y.max():
        raise BadInput(f"{data}'s {split} clips need both sung and silent frames")
    mean = x.mean(axis=0)
    scale = x.std(axis=0)
    scale[scale < 1e-9] = 1.0  # a constant feature carries nothing; keep it finite
    z = (x - mean) / scale
    coef, bias = fit_logistic(z, y)
    progress("fit", 0.95)
    fitted = 1.0 / (1.0 + np.exp(-np.clip(z @ coef + bias, -60.0, 60.0)))
    generator = manifest.fields.get("generator")
    meta: dict[str, Any] = {
        "data": data.name,
        "split": split,
        "clips": len(clips),
        "sung_frames": int(y.sum()),
        "lead_away_frames": int(len(y) - y.sum()),
        "train_auc": auc(fitted[y == 1], fitted[y == 0]),
        "separator": generator.get("separator") if isinstance(generator, dict) else None,
        "l2": L2,
    }
    progress("fit", 1.0)
    inputs = "mfcc+cues" if with_cues else "mfcc"
    return VoiceDetector(mean=mean, scale=scale, coef=coef, bias=bias, meta=meta, inputs=inputs)
