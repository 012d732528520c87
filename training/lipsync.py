"""Lip sync against real faces: a person's captured jaw beside ours from their own sound.

A measure that needs no labels. In a video of a person singing or speaking with their
own voice, `musicface capture` reads the person's real jaw (on the template's scale),
and `musicface generate` on the same video's audio makes ours. How well the two agree:

- Pearson r of jawOpen at lag 0, and the best r within ±`MAX_LAG` s (a positive lag:
  ours is late; real lips open before the sound, so a model that waits for the sound
  scores better at a positive lag than at 0);
- r of the mouth channels that move most in the capture (`TOP_CHANNELS` of jaw* and
  mouth*, by their std over the clip);
- the range: the 95th percentile of our jawOpen over the captured one's;
- the same r for the naive loudness envelope of the separated vocals (the frame RMS
  of core/voice_gate.py, the mouth gate's own measure), which any tool could use
  as a jaw.

Only videos whose sound is the person's own voice say anything about lip sync; the
others (a face driven to someone else's audio) are measured but kept out of the
mean. `own_voice` decides by the source named at the start of the file name, as the
dev set names its files (realdata/README.md).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from core.face.arkit import ARKIT_INDEX, ARKIT_NAMES

FPS = 30.0
MAX_LAG = 0.2  # s
TOP_CHANNELS = 3
VIDEO_SUFFIXES = (".mp4", ".mov", ".mkv", ".webm", ".avi", ".m4v")
JAW = ARKIT_INDEX["jawOpen"]
MOUTH = tuple(i for i, n in enumerate(ARKIT_NAMES) if n.startswith(("jaw", "mouth")))
# Sources whose clips carry the filmed person's own voice (talking-head and singing
# examples recorded with their sound), and those whose sound may be someone else's (a
# face-reenactment "driving" clip set to other audio). Matched on the file name's start.
OWN_VOICE_SOURCES = ("sadtalker", "videoretalking", "aniportrait")
OTHER_VOICE_SOURCES = ("liveportrait",)


def own_voice(name: str) -> bool | None:
    """True when the clip's sound is the person's own voice, False when it may not be,
    None when the source is unknown (measured, reported, not in the mean)."""
    lower = name.lower()
    if lower.startswith(OWN_VOICE_SOURCES):
        return True
    if lower.startswith(OTHER_VOICE_SOURCES):
        return False
    return None


def pearson(a: np.ndarray, b: np.ndarray) -> float:
    """Pearson r over the common length; NaN when either is constant."""
    n = min(len(a), len(b))
    x = np.asarray(a[:n], np.float64) - np.mean(a[:n])
    y = np.asarray(b[:n], np.float64) - np.mean(b[:n])
    denominator = float(np.sqrt((x * x).sum() * (y * y).sum()))
    return float((x * y).sum() / denominator) if denominator > 1e-12 else float("nan")


def lagged_pearson(ours: np.ndarray, theirs: np.ndarray, lag: int) -> float:
    """r of ours[t + lag] against theirs[t]: a positive lag lets ours be late."""
    if lag >= 0:
        return pearson(ours[lag:], theirs[: len(theirs) - lag] if lag else theirs)
    return pearson(ours[:lag], theirs[-lag:])


def best_lag(ours: np.ndarray, theirs: np.ndarray, fps: float = FPS) -> tuple[float, float]:
    """(best r within ±MAX_LAG, its lag in seconds)."""
    reach = int(round(MAX_LAG * fps))
    scored = [(lagged_pearson(ours, theirs, lag), lag) for lag in range(-reach, reach + 1)]
    scored = [(r, lag) for r, lag in scored if np.isfinite(r)]
    if not scored:
        return float("nan"), 0.0
    r, lag = max(scored)
    return r, lag / fps


def moving_channels(expression: np.ndarray, count: int = TOP_CHANNELS) -> list[int]:
    """The jaw/mouth columns with the largest std over the clip, largest first."""
    spread = np.asarray(expression, np.float64)[:, list(MOUTH)].std(axis=0)
    order = np.argsort(-spread, kind="stable")[:count]
    return [MOUTH[i] for i in order]


@dataclass
class VideoResult:
    name: str
    own_voice: bool | None
    captured: np.ndarray  # (T, 52)
    generated: np.ndarray  # (T, 52)
    loudness: np.ndarray  # (T,)
    separator: str
    scores: dict[str, Any] = field(default_factory=dict)


def score(
    name: str,
    captured: np.ndarray,
    generated: np.ndarray,
    loudness: np.ndarray,
    fps: float = FPS,
) -> dict[str, Any]:
    """Every figure of the module docstring for one video."""
    n = min(len(captured), len(generated), len(loudness))
    theirs, ours, loud = captured[:n], generated[:n], np.asarray(loudness[:n], np.float64)
    r_best, lag = best_lag(ours[:, JAW], theirs[:, JAW], fps)
    loud_best, loud_lag = best_lag(loud, theirs[:, JAW], fps)
    top = moving_channels(theirs)
    p95_theirs = float(np.percentile(theirs[:, JAW], 95))
    p95_ours = float(np.percentile(ours[:, JAW], 95))
    return {
        "name": name,
        "own_voice": own_voice(name),
        "seconds": n / fps,
        "r_jaw": pearson(ours[:, JAW], theirs[:, JAW]),
        "r_jaw_best": r_best,
        "best_lag_s": lag,
        "r_loud": pearson(loud, theirs[:, JAW]),
        "r_loud_best": loud_best,
        "loud_lag_s": loud_lag,
        "channels": [ARKIT_NAMES[c] for c in top],
        "r_channels": [pearson(ours[:, c], theirs[:, c]) for c in top],
        "p95_ours": p95_ours,
        "p95_theirs": p95_theirs,
        "p95_ratio": p95_ours / p95_theirs if p95_theirs > 1e-6 else float("nan"),
    }


def evaluate_video(
    video: Path,
    checkpoint: Any = None,
    separator: str = "auto",
    capture_cache: Path | None = None,
) -> VideoResult:
    """Capture `video`, generate from its own sound, and score the two. A capture is
    kept in `capture_cache` (keyed by the video's sha256) because it is the slow part
    and does not depend on the model."""
    from core.audio import file_sha256
    from core.capture import capture_video
    from core.generate import generate
    from core.performance import Performance
    from core.separation import separate
    from core.voice_gate import frame_rms

    captured = None
    cached = None
    if capture_cache is not None:
        cached = capture_cache / f"{video.stem}-{file_sha256(video)[:16]}.npz"
        if cached.is_file():
            captured = Performance.load(cached)
    if captured is None:
        captured = capture_video(video).performance
        if cached is not None:
            cached.parent.mkdir(parents=True, exist_ok=True)
            captured.save(cached)
    generated = generate(video, checkpoint, separator=separator)
    heard = separate(video, separator)  # the cache generate() just filled
    loudness = frame_rms(heard.vocals, heard.sr, generated.frames, generated.fps)
    result = VideoResult(
        video.stem,
        own_voice(video.stem),
        captured.expression,
        generated.expression,
        loudness,
        str(generated.meta.get("separator", "?")),
    )
    result.scores = score(video.stem, captured.expression, generated.expression, loudness)
    return result


def discover_videos(folder: Path) -> list[Path]:
    return sorted(p for p in folder.glob("*") if p.suffix.lower() in VIDEO_SUFFIXES)


MEAN_KEYS = ("r_jaw", "r_jaw_best", "r_loud", "r_loud_best", "p95_ratio")


def mean_scores(rows: list[dict[str, Any]], name: str) -> dict[str, Any]:
    out: dict[str, Any] = {"name": name, "own_voice": None}
    for key in MEAN_KEYS:
        values = [r[key] for r in rows if np.isfinite(r.get(key, float("nan")))]
        if values:
            out[key] = float(np.mean(values))
    channel_r = [v for r in rows for v in r.get("r_channels", []) if np.isfinite(v)]
    if channel_r:
        out["r_channels_mean"] = float(np.mean(channel_r))
    return out


def plot_video(path: Path, result: VideoResult) -> Path:
    """Both jaw curves over time (and the scaled loudness): what a person checks by eye."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    s = result.scores
    n = min(len(result.captured), len(result.generated))
    time = np.arange(n) / FPS
    fig, axes = plt.subplots(2, 1, figsize=(14, 5.5), sharex=True)
    loud = result.loudness[:n] / max(float(np.percentile(result.loudness, 99)), 1e-9)
    ax = axes[0]
    ax.plot(time, np.clip(loud, 0, 1) * 0.5, color="0.6", lw=0.7, label="vocal RMS (scaled)")
    ax.plot(time, result.captured[:n, JAW], color="black", lw=1.1, label="captured (real face)")
    ax.plot(time, result.generated[:n, JAW], color="tab:red", lw=1.0, label="generated")
    ax.set_ylabel("jawOpen")
    voice = {True: "own voice", False: "sound may not be theirs", None: "source unknown"}
    ax.set_title(
        f"{result.name} ({voice[result.own_voice]}) — r {s['r_jaw']:.2f} "
        f"(best {s['r_jaw_best']:.2f} at {s['best_lag_s']:+.2f} s), loudness r "
        f"{s['r_loud']:.2f}, p95 ours/theirs {s['p95_ours']:.2f}/{s['p95_theirs']:.2f}",
        fontsize=9,
    )
    ax.legend(loc="upper right", fontsize=8, ncol=3)
    for channel, r in zip(s["channels"], s["r_channels"], strict=True):
        column = ARKIT_INDEX[channel]
        (line,) = axes[1].plot(
            time, result.captured[:n, column], lw=1.0, label=f"{channel} (r {r:.2f})"
        )
        axes[1].plot(time, result.generated[:n, column], lw=0.8, ls="--", color=line.get_color())
    axes[1].set_ylabel("most moving (solid: captured)")
    axes[1].legend(loc="upper right", fontsize=8, ncol=3)
    axes[1].set_xlabel("seconds")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=80)
    plt.close(fig)
    return path
