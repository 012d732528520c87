"""The paper's evaluation metrics (Tables 1–2) plus beat alignment, on plain arrays.

Conventions (all at the performance's fps, 30 here):
- Head speed: angular speed of the Euler rotation channels, rad/s (translations are
  millimetres of neck shift and would only add noise).
- Eye events: stretches where the eye state is above 0.1 (the lid moves) that
  close at least half way (> 0.5). One that stays above 0.5 for 0.5 s or more
  is a long closure; otherwise it is a blink, lasting the whole stretch
  (closing and opening, so the lid's shape does not change the figure).
- Mouth closed: the inner-lip gap of the FaceModel at the middle of the mouth is
  within `CLOSED_GAP_MM` of the neutral face's gap. Silent frames are those at
  least `SILENCE_MARGIN` s away from any sung phoneme or breath.
- Motion beats: local minima of the head speed smoothed by a Gaussian
  (σ = 2 frames), at least 0.2 s apart and with a prominence of at least 10 %
  of the speed's 5–95 % range and at least 0.02 rad/s. Beat alignment = mean over music beats of
  exp(−d² / (2·9)), d = frames to the nearest motion beat; kinematic beat alignment (the
  paper's BA) = the mean over motion beats of the same, d = frames to the nearest music
  beat, beside its chance level: the motion beats shifted at random.
"""

from __future__ import annotations

import numpy as np
from scipy.ndimage import binary_dilation, gaussian_filter1d
from scipy.signal import find_peaks

EYE_THRESHOLD = 0.5
LID_MOVING = 0.1
LONG_CLOSURE_SECONDS = 0.5
CLOSED_GAP_MM = 3.0
SILENCE_MARGIN = 0.2
BEAT_SIGMA_FRAMES = 3.0  # the 2·9 of exp(−d²/(2·9))
SPEED_SMOOTHING = 2.0
MIN_PROMINENCE = 0.02  # rad/s: a dip shallower than ~1°/s is not a visible beat


def cca(x: np.ndarray, y: np.ndarray, ridge: float = 1e-6) -> float:
    """First canonical correlation between x (T, p) and y (T, q) (|Pearson r| for 1-D).

    A small ridge (relative to each block's variance) keeps rank-deficient blocks —
    a constant channel, translations that follow rotations — well posed.
    """
    x = np.asarray(x, dtype=np.float64).reshape(len(x), -1)
    y = np.asarray(y, dtype=np.float64).reshape(len(y), -1)
    if len(x) != len(y):
        raise ValueError("cca needs sequences of the same length")
    if len(x) < 3:
        return 0.0
    x = x - x.mean(axis=0)
    y = y - y.mean(axis=0)
    if not x.any() or not y.any():
        return 0.0

    def whiten(a: np.ndarray) -> np.ndarray:
        cov = a.T @ a / len(a)
        cov += np.eye(len(cov)) * ridge * max(np.trace(cov) / len(cov), 1e-12)
        values, vectors = np.linalg.eigh(cov)
        return a @ vectors @ np.diag(1.0 / np.sqrt(np.maximum(values, 1e-300))) @ vectors.T

    cross = whiten(x).T @ whiten(y) / len(x)
    return float(np.clip(np.linalg.svd(cross, compute_uv=False)[0], 0.0, 1.0))


def head_speed(pose: np.ndarray, fps: float) -> np.ndarray:
    """Angular speed (T,) in rad/s of the rotation channels (first frame repeats the second)."""
    rot = np.asarray(pose, dtype=np.float64)[:, :3]
    if len(rot) < 2:
        return np.zeros(len(rot))
    step = np.linalg.norm(np.diff(rot, axis=0), axis=1) * fps
    return np.concatenate([step[:1], step])


def roughness(pose: np.ndarray) -> float:
    """Mean squared second difference of the Euler angles (rad² per frame⁴)."""
    rot = np.asarray(pose, dtype=np.float64)[:, :3]
    if len(rot) < 3:
        return 0.0
    return float(np.mean(np.sum(np.diff(rot, n=2, axis=0) ** 2, axis=1)))


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """(start, end) frame index pairs of the True runs, end exclusive."""
    padded = np.concatenate([[False], np.asarray(mask, bool), [False]])
    edges = np.flatnonzero(np.diff(padded.astype(np.int8)))
    return list(zip(edges[::2].tolist(), edges[1::2].tolist(), strict=True))


def eye_events(eye: np.ndarray, fps: float) -> tuple[list[float], list[float]]:
    """Durations (s) of blinks and of long closures in an eye-state curve.

    An event is a stretch where the lid moves (eye state > 0.1) and somewhere
    closes at least half way (> 0.5). It is a long closure when it stays more than
    half closed for 0.5 s or more (its duration: that closed time), otherwise a
    blink (its duration: the whole closing-and-opening, whatever the lid's shape).
    """
    eye = np.asarray(eye, dtype=np.float64)
    blinks, closures = [], []
    for start, end in _runs(eye > LID_MOVING):
        closed = int(np.count_nonzero(eye[start:end] > EYE_THRESHOLD))
        if closed == 0:
            continue
        if closed / fps >= LONG_CLOSURE_SECONDS:
            closures.append(closed / fps)
        else:
            blinks.append((end - start) / fps)
    return blinks, closures


def motion_beats(pose: np.ndarray, fps: float) -> np.ndarray:
    """Frame indices of the head's motion beats (salient minima of smoothed speed)."""
    speed = gaussian_filter1d(head_speed(pose, fps), SPEED_SMOOTHING, mode="nearest")
    if len(speed) < 3:
        return np.zeros(0, dtype=int)
    spread = float(np.percentile(speed, 95) - np.percentile(speed, 5))
    if spread <= 1e-9:
        return np.zeros(0, dtype=int)
    minima, _ = find_peaks(
        -speed, distance=max(1, int(round(0.2 * fps))), prominence=max(0.1 * spread, MIN_PROMINENCE)
    )
    return minima


def beat_alignment(music_beats: np.ndarray, motion_frames: np.ndarray, fps: float) -> float:
    """Mean over music beats (s) of exp(−d²/(2·9)), d in frames to the nearest motion beat."""
    beats = np.asarray(music_beats, dtype=np.float64) * fps
    motion = np.sort(np.asarray(motion_frames, dtype=np.float64))
    if len(beats) == 0:
        return float("nan")
    if len(motion) == 0:
        return 0.0
    d = np.abs(beats[:, None] - motion[None, :]).min(axis=1)
    return float(np.mean(np.exp(-(d**2) / (2 * BEAT_SIGMA_FRAMES**2))))


def kinematic_beat_alignment(
    motion_frames: np.ndarray, music_beats: np.ndarray, fps: float
) -> float:
    """The paper's BA, read from the head's side: mean over its motion beats (frames)
    of exp(−d²/(2·9)), d in frames to the nearest music beat (s). NaN without either.

    `beat_alignment` (over music beats) rewards a head with many small dips: some dip
    lies near every beat. This one asks whether the head's pauses fall on beats."""
    motion = np.asarray(motion_frames, dtype=np.float64)
    beats = np.sort(np.asarray(music_beats, dtype=np.float64) * fps)
    if len(motion) == 0 or len(beats) == 0:
        return float("nan")
    d = np.abs(motion[:, None] - beats[None, :]).min(axis=1)
    return float(np.mean(np.exp(-(d**2) / (2 * BEAT_SIGMA_FRAMES**2))))


def shifted_beat_alignment(
    motion_frames: np.ndarray,
    music_beats: np.ndarray,
    fps: float,
    frames: int,
    rng: np.random.Generator,
    draws: int = 32,
) -> float:
    """`kinematic_beat_alignment` of the same motion beats shifted, all together and
    circularly over the clip's `frames`, by a uniform random offset (mean of `draws`):
    the same pauses with the same spacing, blind to where the beats are (chance)."""
    motion = np.asarray(motion_frames, dtype=np.float64)
    if len(motion) == 0 or len(music_beats) == 0 or frames < 2:
        return float("nan")
    offsets = rng.uniform(0.0, frames, draws)
    return float(
        np.mean(
            [kinematic_beat_alignment((motion + o) % frames, music_beats, fps) for o in offsets]
        )
    )


def random_direction_pose(pose: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """The baseline: as much motion as `pose`, in random directions, blind to the music.

    Every frame steps by each channel's mean step size of `pose` times a direction
    drawn uniformly from [−1, 1]^6 (the PGN's p_t = p_{t−1} + s ⊙ d_t with d_t
    random and s constant), so its motion beats fall where chance puts them.
    """
    pose = np.asarray(pose, dtype=np.float64)
    if len(pose) < 2:
        return pose.copy()
    size = np.abs(np.diff(pose, axis=0)).mean(axis=0)
    steps = size[None, :] * rng.uniform(-1.0, 1.0, size=(len(pose) - 1, pose.shape[1]))
    return np.concatenate([pose[:1], pose[:1] + np.cumsum(steps, axis=0)])


def independent_music_beats(audio: np.ndarray, sr: int) -> np.ndarray:
    """Beat times (s) of a song from librosa's beat tracker: independent of the
    engine's own tracker (core/beats.py), so the head is not judged against the
    beats it was given."""
    import librosa

    if not np.any(audio):
        return np.zeros(0)
    _, beats = librosa.beat.beat_track(y=np.asarray(audio, dtype=np.float32), sr=sr, units="time")
    return np.asarray(beats, dtype=np.float64)


def interval_frames(intervals: np.ndarray, frames: int, fps: float) -> np.ndarray:
    """(frames,) bool: frames whose time falls inside any (start, end) interval in seconds."""
    times = np.arange(frames) / fps
    inside = np.zeros(frames, bool)
    for start, end in np.asarray(intervals, np.float64).reshape(-1, 2):
        inside |= (times >= start) & (times < end)
    return inside


def silent_frames(voice_activity: np.ndarray, breath: np.ndarray, fps: float) -> np.ndarray:
    """Frames at least SILENCE_MARGIN seconds away from any sung phoneme or breath."""
    sound = np.asarray(voice_activity, bool) | np.asarray(breath, bool)
    margin = int(round(SILENCE_MARGIN * fps))
    if margin > 0 and sound.any():
        sound = binary_dilation(sound, iterations=margin)
    return ~sound


class LipGeometry:
    """Lip vertices and the inner-lip gap of the FaceModel, for expression-only metrics.

    The face is linear in the ARKit coefficients, so only the lip rows of the
    deltas are kept: metrics over long songs need no full-head vertex arrays.
    """

    def __init__(self, face: object) -> None:
        regions = face.regions  # type: ignore[attr-defined]
        self.lips = np.asarray(regions["lips"])
        neutral = np.asarray(face.neutral, dtype=np.float64)  # type: ignore[attr-defined]
        deltas = np.asarray(face.deltas, dtype=np.float64)  # type: ignore[attr-defined]
        self._lip_neutral = neutral[self.lips]
        self._lip_deltas = deltas[:, self.lips]
        upper = _middle(neutral, np.asarray(regions["lip_line_upper"]))
        lower = _middle(neutral, np.asarray(regions["lip_line_lower"]))
        # Vertical (Z) gap between the rims' middles is linear in the coefficients too.
        self._gap_neutral = neutral[upper, 2].mean() - neutral[lower, 2].mean()
        self._gap_deltas = deltas[:, upper, 2].mean(axis=1) - deltas[:, lower, 2].mean(axis=1)

    def lip_vertices_mm(self, expression: np.ndarray) -> np.ndarray:
        """(T, L, 3) lip vertices in millimetres (unposed head)."""
        e = np.asarray(expression, dtype=np.float64)
        return 1000.0 * (self._lip_neutral[None] + np.einsum("tk,kvc->tvc", e, self._lip_deltas))

    def mouth_gap_mm(self, expression: np.ndarray) -> np.ndarray:
        """(T,) inner-lip gap above the neutral face's, in millimetres."""
        e = np.asarray(expression, dtype=np.float64)
        return 1000.0 * (e @ self._gap_deltas)


def _middle(neutral: np.ndarray, rim: np.ndarray, count: int = 2) -> np.ndarray:
    x = neutral[rim, 0]
    centre = 0.5 * (x.min() + x.max())
    return rim[np.argsort(np.abs(x - centre))[:count]]


def lmd(gt_lips_mm: np.ndarray, pred_lips_mm: np.ndarray) -> float:
    """Lip (mouth) vertex distance: mean Euclidean distance over frames and vertices, mm."""
    return float(np.linalg.norm(gt_lips_mm - pred_lips_mm, axis=-1).mean())


def lve(gt_lips_mm: np.ndarray, pred_lips_mm: np.ndarray) -> float:
    """Lip vertex error: the largest lip-vertex distance of each frame, averaged, mm."""
    return float(np.linalg.norm(gt_lips_mm - pred_lips_mm, axis=-1).max(axis=1).mean())


def mouth_closed(gap_mm: np.ndarray) -> np.ndarray:
    return np.asarray(gap_mm) <= CLOSED_GAP_MM
