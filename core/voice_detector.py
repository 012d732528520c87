"""Does the lead sing? A linear detector over the vocal stream's MFCC statistics and cues.

A separator's vocal stream carries more than the voice: Spleeter puts a song's lead
instrument (a synth or organ melody in the intro, a guitar line in a break) there
too, as loud as the singing. The loudness gate (core/voice_gate.py) cannot tell the
two apart, and the generator mouths such intros (on the synthetic test split a third
of the frames where nobody sings but the mouth is open were one clip's intro lead).

A voice changes its spectral envelope all the time (vowels, consonants, breaths);
an instrument holds one timbre per note. The detector reads that from the stream's
MFCCs and their deltas, as they are and as their mean and spread over four windows
(0.25 s to 2 s), through one logistic regression: P(the lead voice sings) per video
frame. It is fitted on the synthetic corpus's training clips (training/voice_detector.py,
`musicface-train voice-detector`), a few kilobytes of plain float arrays read with
`allow_pickle=False`.

Other voices are in the stream too: backing answers, choirs, shouts, ad-libs. A
detector of format 2 fitted with `inputs = "mfcc+cues"` also reads the stream's level
and centredness (core/vocal_cues.py) as they are and over the same windows, and was
fitted to tell the lead from everything else (format 1 files, MFCC only, still load).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from scipy.ndimage import uniform_filter1d

from core.atomic_write import atomic_write
from core.errors import BadInput, MissingModel
from core.features import MFCC_FPS
from core.vocal_cues import CUE_NAMES

FORMAT = "musicface-voice-detector/2"
FORMATS = ("musicface-voice-detector/1", FORMAT)
INPUTS = ("mfcc", "mfcc+cues")
DEFAULT_DETECTOR = Path(__file__).resolve().parent / "assets" / "voice_detector.npz"
WINDOWS_S = (0.25, 0.5, 1.0, 2.0)
# The log-energy coefficient is taken relative to the stream's own level (its 95th
# percentile over the song, as the loudness gate does): a quiet mix and a loud master
# read alike. The other coefficients do not depend on the gain.
LEVEL_PERCENTILE = 95.0
MFCC_WIDTH = 26
CUE_WIDTH = len(CUE_NAMES)


def _window_stats(values: np.ndarray, rows: np.ndarray, rate: float) -> list[np.ndarray]:
    """The values at `rows`, and their mean and std over each of WINDOWS_S."""
    columns = [values[rows]]
    for seconds in WINDOWS_S:
        width = max(1, int(round(seconds * rate)))
        mean = uniform_filter1d(values, width, axis=0, mode="nearest")
        square = uniform_filter1d(values * values, width, axis=0, mode="nearest")
        columns += [mean[rows], np.sqrt(np.maximum(square - mean * mean, 0.0))[rows]]
    return columns


def detector_features(
    mfcc: np.ndarray, frames: np.ndarray, cues: np.ndarray | None = None, fps: float = 30.0
) -> np.ndarray:
    """(len(frames), F) features at the given 100 fps rows of a stream's (N, 26) MFCC: the
    coefficients, and their mean and std over each window; with `cues` (one row per video
    frame at `fps`, core/vocal_cues.py), the same of each cue (F = feature_count(inputs))."""
    m = np.array(mfcc, dtype=np.float64)
    if m.ndim != 2 or m.shape[1] != MFCC_WIDTH or len(m) == 0:
        raise BadInput(f"the voice detector reads (N, {MFCC_WIDTH}) MFCCs, got {m.shape}")
    m[:, 0] -= np.percentile(m[:, 0], LEVEL_PERCENTILE)
    rows = np.clip(np.asarray(frames, np.int64), 0, len(m) - 1)
    columns = _window_stats(m, rows, MFCC_FPS)
    if cues is not None:
        c = np.asarray(cues, dtype=np.float64)
        if c.ndim != 2 or c.shape[1] != CUE_WIDTH or len(c) < len(rows):
            raise BadInput(f"the voice detector reads (T, {CUE_WIDTH}) cues, got {c.shape}")
        columns += _window_stats(c, np.arange(len(rows)), fps)
    return np.concatenate(columns, axis=1)


def video_rows(n_frames: int, fps: float) -> np.ndarray:
    """The 100 fps MFCC row nearest each video frame's time."""
    return np.rint(np.arange(n_frames) * MFCC_FPS / fps).astype(np.int64)


@dataclass(frozen=True)
class VoiceDetector:
    """Standardise the features, then a logistic regression."""

    mean: np.ndarray  # (F,)
    scale: np.ndarray  # (F,)
    coef: np.ndarray  # (F,)
    bias: float
    meta: dict[str, Any]
    inputs: str = "mfcc"  # INPUTS: what it reads beside the MFCCs

    @property
    def reads_cues(self) -> bool:
        return self.inputs == "mfcc+cues"

    def probability(
        self, mfcc: np.ndarray, n_frames: int, fps: float, cues: np.ndarray | None = None
    ) -> np.ndarray:
        """(n_frames,) P(the lead sings) from the vocal stream's (N, 26) 100 fps MFCC and,
        for a detector that reads them, its (n_frames, 2) cues (core/vocal_cues.py)."""
        if n_frames <= 0:
            return np.zeros(0, np.float32)
        if self.reads_cues and cues is None:
            raise ValueError("this voice detector reads the vocal stream's cues too")
        rows = video_rows(n_frames, fps)
        features = detector_features(mfcc, rows, cues if self.reads_cues else None, fps)
        x = (features - self.mean) / self.scale
        z = np.clip(x @ self.coef + self.bias, -60.0, 60.0)
        return (1.0 / (1.0 + np.exp(-z))).astype(np.float32)

    def save(self, path: str | Path) -> Path:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        with atomic_write(path) as handle:
            np.savez(
                handle,
                format=np.array(FORMAT),
                inputs=np.array(self.inputs),
                windows_s=np.asarray(WINDOWS_S, np.float64),
                mean=self.mean,
                scale=self.scale,
                coef=self.coef,
                bias=np.float64(self.bias),
                meta=np.array(json.dumps(self.meta, sort_keys=True)),
            )
        return path


def feature_count(inputs: str = "mfcc") -> int:
    width = MFCC_WIDTH + (CUE_WIDTH if inputs == "mfcc+cues" else 0)
    return width * (1 + 2 * len(WINDOWS_S))


def load_voice_detector(path: str | Path | None = None) -> VoiceDetector:
    """The detector in `path` (None: the shipped one). Only plain arrays load: a file
    with pickled objects, another format or other windows is refused in one line."""
    path = Path(path) if path is not None else DEFAULT_DETECTOR
    if not path.is_file():
        if path == DEFAULT_DETECTOR:
            raise MissingModel(f"the shipped voice detector is missing: {path}")
        raise BadInput(f"voice detector not found: {path}")
    try:
        with np.load(path, allow_pickle=False) as data:
            fields = {k: data[k] for k in data.files}
    except (OSError, ValueError, EOFError) as err:
        raise BadInput(f"{path} is not a voice detector file: {err}") from err
    if str(fields.get("format", "")) not in FORMATS:
        raise BadInput(f"{path} is not a voice detector file ({FORMAT})")
    inputs = str(fields["inputs"]) if "inputs" in fields else "mfcc"
    if inputs not in INPUTS:
        raise BadInput(f"{path} reads unknown inputs {inputs!r}")
    windows = tuple(float(w) for w in fields["windows_s"])
    if windows != WINDOWS_S:
        raise BadInput(f"{path} was fitted on windows {windows}, this engine reads {WINDOWS_S}")
    arrays = [np.asarray(fields[k], np.float64) for k in ("mean", "scale", "coef")]
    if any(a.shape != (feature_count(inputs),) for a in arrays) or not all(
        np.isfinite(a).all() for a in arrays
    ):
        raise BadInput(f"{path} holds detector weights of the wrong shape or not finite")
    if (arrays[1] <= 0).any():
        raise BadInput(f"{path} holds a non-positive feature scale")
    return VoiceDetector(
        mean=arrays[0],
        scale=arrays[1],
        coef=arrays[2],
        bias=float(fields["bias"]),
        meta=json.loads(str(fields["meta"])),
        inputs=inputs,
    )
