"""The real-song benchmark: truth of when the voice sings, and how the face follows it.

Material: the dev set in `../shared/realdata` (its README), evaluation only. Three
kinds of item, each with its own truth of sung (1), unsung (0) and ignored (-1)
frames at the Performance's 30 fps, frame i standing for time i / fps:

- `songs/NAME.mp3` + `NAME.words.csv` (hand-made word timings): a frame inside a
  word is sung; a frame more than `WORD_GAP` s from every word is unsung (backing
  vocals are not annotated, and the mouth needs time to open and close); the
  frames in between are ignored.
- `stems/NAME/mix.*` with its true `vocals.*` (MUSDB18): the true vocal stem's
  short-time RMS (core/voice_gate.py's window, centred on the frame) in dB relative to
  the stem's own level (its 95th percentile): sung at ≥ `SUNG_DB` (−20 dB),
  unsung at < `UNSUNG_DB` (−40 dB), the margin in between ignored (onsets,
  breaths, reverb tails), and unsung runs shorter than `MIN_UNSUNG` s ignored
  too (a stop consonant's silence is too short for a jaw to close visibly).
- `sung/*.wav` (a cappella): no timing truth ships, so the file's own RMS serves
  as its truth by the stem rule (the file *is* a vocal stem).

Metrics per item: AUC of jawOpen between sung and unsung frames (the probability
that a random sung frame has the wider jaw, ties counting half), the share of
unsung frames with jawOpen < `JAW_CLOSED`, the sung/unsung mean jaw ratio (the unsung
mean floored at `RATIO_FLOOR`, so a shut mouth does not make it 10⁵), head
rotation std per axis in degrees (pitch = X, roll = Y, yaw = Z, Blender axes as
in core/face/pose.py), mean angular speed in °/s, blinks per second and mean
blink duration by `training.metrics.eye_events` on the eye composite
(`eyeBlinkLeft`). The naive loudness baseline scores the frame RMS of the same
vocal stream the model heard against the same truth.
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from scipy.stats import rankdata

from core.voice_gate import frame_rms, level_db
from training import metrics as M

FPS = 30.0
WORD_GAP = 0.6  # s: further than this from any word is unsung
# Loudness is measured as the engine's mouth gate measures it (core/voice_gate.py):
# in a two-frame window centred on each frame, in dB from the stream's 95th percentile.
SUNG_DB = -20.0
UNSUNG_DB = -40.0
MIN_UNSUNG = 0.2  # s
JAW_CLOSED = 0.15
# A mean unsung jaw under this shows as a shut mouth: dividing by the exact value made the
# ratio of a gated face 10³–10⁵, dominated by how shut is shut, and its mean meaningless.
RATIO_FLOOR = 0.01
AXES = ("pitch", "roll", "yaw")  # Euler X, Y, Z (nod, tilt, turn)
SUNG, UNSUNG, IGNORED = 1, 0, -1
AUDIO_SUFFIXES = (".wav", ".mp3", ".flac", ".ogg", ".m4a")


def default_realdata(repo: Path | None = None) -> Path:
    """`<repo>/../shared/realdata`, where the dev set sits beside a checkout."""
    repo = repo or Path(__file__).resolve().parents[1]
    return repo.parent / "shared" / "realdata"


# --- truth -------------------------------------------------------------------------


def read_words(path: str | Path) -> np.ndarray:
    """(K, 2) word start and end times in seconds from a JamendoLyrics `words.csv`."""
    rows = []
    with open(path, newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            start, end = float(row["word_start"]), float(row["word_end"])
            if not (math.isfinite(start) and math.isfinite(end)) or end < start:
                raise ValueError(f"{Path(path).name}: bad word timing {start}, {end}")
            rows.append((start, end))
    return np.asarray(rows, dtype=np.float64).reshape(-1, 2)


def truth_from_words(
    words: np.ndarray, n_frames: int, fps: float = FPS, gap: float = WORD_GAP
) -> np.ndarray:
    """(T,) int8: sung inside a word, unsung further than `gap` s from every word."""
    times = np.arange(n_frames) / fps
    labels = np.full(n_frames, IGNORED, dtype=np.int8)
    if len(words) == 0:
        labels[:] = UNSUNG
        return labels
    starts, ends = np.asarray(words, dtype=np.float64).T
    order = np.argsort(starts)
    starts, ends = starts[order], ends[order]
    # Distance to the nearest word: the latest word starting at or before t, and the next one.
    before = np.searchsorted(starts, times, side="right") - 1
    reach = np.maximum.accumulate(ends)  # overlapping words: the furthest end so far
    inside = (before >= 0) & (times < reach[np.maximum(before, 0)])
    after_prev = np.where(before >= 0, times - reach[np.maximum(before, 0)], np.inf)
    nxt = np.minimum(before + 1, len(starts) - 1)
    to_next = np.where(before + 1 < len(starts), starts[nxt] - times, np.inf)
    distance = np.where(inside, 0.0, np.minimum(np.maximum(after_prev, 0.0), to_next))
    labels[distance > gap] = UNSUNG
    labels[inside] = SUNG
    return labels


def truth_from_stem(vocals: np.ndarray, sr: int, n_frames: int, fps: float = FPS) -> np.ndarray:
    """(T,) int8 from a true vocal stem by the stem rule of the module docstring."""
    rel = level_db(frame_rms(vocals, sr, n_frames, fps))
    labels = np.full(n_frames, IGNORED, dtype=np.int8)
    labels[rel >= SUNG_DB] = SUNG
    quiet = rel < UNSUNG_DB
    shortest = max(1, int(round(MIN_UNSUNG * fps)))
    for start, end in M._runs(quiet):
        if end - start >= shortest:
            labels[start:end] = UNSUNG
    return labels


# --- metrics -------------------------------------------------------------------------


def auc(positive: np.ndarray, negative: np.ndarray) -> float:
    """P(a random positive scores above a random negative), ties half (Mann–Whitney U);
    NaN when either group is empty."""
    pos = np.asarray(positive, dtype=np.float64).ravel()
    neg = np.asarray(negative, dtype=np.float64).ravel()
    if len(pos) == 0 or len(neg) == 0:
        return float("nan")
    ranks = rankdata(np.concatenate([pos, neg]))
    u = ranks[: len(pos)].sum() - len(pos) * (len(pos) + 1) / 2
    return float(u / (len(pos) * len(neg)))


def separation_scores(score: np.ndarray, labels: np.ndarray) -> dict[str, float]:
    """AUC, share of unsung frames below JAW_CLOSED and sung/unsung mean ratio."""
    score = np.asarray(score, dtype=np.float64)
    labels = np.asarray(labels)
    n = min(len(score), len(labels))
    score, labels = score[:n], labels[:n]
    sung, unsung = score[labels == SUNG], score[labels == UNSUNG]
    ratio = float("nan")
    if len(sung) and len(unsung):
        ratio = float(sung.mean() / max(float(unsung.mean()), RATIO_FLOOR))
    return {
        "auc": auc(sung, unsung),
        "closed": float(np.mean(unsung < JAW_CLOSED)) if len(unsung) else float("nan"),
        "ratio": ratio,
        "sung_frames": int(len(sung)),
        "unsung_frames": int(len(unsung)),
    }


def head_stats(pose: np.ndarray, fps: float = FPS) -> dict[str, float]:
    """Rotation std per axis (degrees) and mean angular speed (°/s)."""
    rot = np.asarray(pose, dtype=np.float64)[:, :3]
    spread = np.degrees(rot.std(axis=0))
    stats = {f"{axis}_std": float(value) for axis, value in zip(AXES, spread, strict=True)}
    stats["speed"] = float(np.degrees(M.head_speed(pose, fps).mean()))
    return stats


def eye_stats(eye: np.ndarray, fps: float = FPS) -> dict[str, float]:
    """Blinks per second and mean blink duration (s) as training.metrics counts them."""
    blinks, closures = M.eye_events(eye, fps)
    seconds = max(len(eye) / fps, 1e-9)
    return {
        "blinks_per_s": len(blinks) / seconds,
        "blink_s": float(np.mean(blinks)) if blinks else float("nan"),
        "closures_per_s": len(closures) / seconds,
    }


# --- the dev set -------------------------------------------------------------------


@dataclass(frozen=True)
class Item:
    """One piece of the dev set: the mixture a user would give, and where its truth is."""

    name: str
    kind: str  # "song", "stems" or "sung"
    mix: Path
    words: Path | None = None
    vocals: Path | None = None
    accompaniment: Path | None = None

    @property
    def truth_rule(self) -> str:
        return {"song": "word timings", "stems": "true vocal stem RMS"}.get(
            self.kind, "own RMS (a cappella)"
        )


def _audio_file(folder: Path, stem: str) -> Path | None:
    for suffix in AUDIO_SUFFIXES:
        if (folder / f"{stem}{suffix}").is_file():
            return folder / f"{stem}{suffix}"
    return None


def discover(realdata: Path, only: str | None = None) -> list[Item]:
    """Every item of the dev set in `realdata`, in a fixed order; `only` keeps the
    names that contain it (case-insensitive)."""
    items: list[Item] = []
    for words in sorted((realdata / "songs").glob("*.words.csv")):
        name = words.name[: -len(".words.csv")]
        mix = _audio_file(words.parent, name)
        if mix is not None:
            items.append(Item(name, "song", mix, words=words))
    for folder in sorted(p for p in (realdata / "stems").glob("*") if p.is_dir()):
        mix, vocals = _audio_file(folder, "mix"), _audio_file(folder, "vocals")
        accompaniment = _audio_file(folder, "accompaniment")
        if mix is not None and vocals is not None and accompaniment is not None:
            items.append(
                Item(folder.name, "stems", mix, vocals=vocals, accompaniment=accompaniment)
            )
    for path in sorted((realdata / "sung").glob("*")):
        if path.suffix.lower() in AUDIO_SUFFIXES:
            items.append(Item(path.stem, "sung", path, vocals=path))
    if only:
        items = [item for item in items if only.lower() in item.name.lower()]
    return items


def truth_for(item: Item, n_frames: int, fps: float = FPS) -> np.ndarray:
    from core.audio import FEATURE_SR, load_audio

    if item.words is not None:
        return truth_from_words(read_words(item.words), n_frames, fps)
    assert item.vocals is not None
    return truth_from_stem(load_audio(item.vocals, FEATURE_SR), FEATURE_SR, n_frames, fps)


def head_beat_scores(
    pose: np.ndarray, music_beats: np.ndarray, fps: float = FPS, seed: int = 0
) -> dict[str, float]:
    """The paper's BA read from the head's side (training.metrics.kinematic_beat_alignment)
    against `music_beats`, and the same with the head's beats shifted at random (chance)."""
    motion = M.motion_beats(pose, fps)
    shifted = M.shifted_beat_alignment(
        motion, music_beats, fps, len(pose), np.random.default_rng(seed)
    )
    return {
        "head_ba": M.kinematic_beat_alignment(motion, music_beats, fps),
        "head_ba_shifted": shifted,
    }


# Below this jawOpen a frame's mouth reads as shut while the voice sings; a vocal stream
# this loud (dB from its own level) is where the mouth gate opens (core/voice_gate.py).
SHUT = 0.05
LOUD_DB = -30.0
# Under this (dB from the stream's own level) a frame is near silence, whatever the truth says.
SILENT_DB = -50.0


def why_below_loudness(
    jaw: np.ndarray, labels: np.ndarray, vocal_db: np.ndarray
) -> tuple[str, dict[str, float]]:
    """Where the model's jaw ranks sung and unsung frames worse than the loudness does,
    in one line: the shares of unsung frames with the mouth open, and of sung frames with
    it shut, each split by whether the vocal stream was loud there."""
    n = min(len(jaw), len(labels), len(vocal_db))
    jaw, labels, loud = np.asarray(jaw[:n]), labels[:n], np.asarray(vocal_db[:n]) > LOUD_DB
    silent = np.asarray(vocal_db[:n]) < SILENT_DB
    sung, unsung = labels == SUNG, labels == UNSUNG
    opened = unsung & (jaw >= JAW_CLOSED)
    shut = sung & (jaw < SHUT)
    parts = {
        "open_unsung_loud": float((opened & loud).sum() / max(unsung.sum(), 1)),
        "open_unsung_quiet": float((opened & ~loud).sum() / max(unsung.sum(), 1)),
        "shut_sung_loud": float((shut & loud).sum() / max(sung.sum(), 1)),
        "shut_sung_quiet": float((shut & ~loud & ~silent).sum() / max(sung.sum(), 1)),
        "shut_sung_silent": float((shut & silent).sum() / max(sung.sum(), 1)),
    }
    reasons = {
        "open_unsung_loud": "the mouth opens where the lead is away but the vocal stream is "
        "loud (backing voices, ad-libs or the band leaking into it)",
        "open_unsung_quiet": "the mouth is still closing where the vocal stream has gone "
        "quiet (the gate's release, a reverb tail)",
        "shut_sung_loud": "the mouth is shut while the lead sings loudly (the model closes "
        "it, or the lead detector takes the voice for something else)",
        "shut_sung_quiet": "the mouth is shut while the lead sings softly (the gate closes "
        "under -30 dB; soft words and breathy lines)",
        "shut_sung_silent": f"the words' spans hold near-silent frames (vocal stream under "
        f"{SILENT_DB:.0f} dB: gaps between syllables, a held breath), which loudness still ranks "
        "above the song's silences and no face opens its mouth for",
    }
    worst = max(parts, key=lambda k: parts[k])
    text = (
        f"{reasons[worst]}: {parts[worst]:.0%} of the "
        f"{'unsung' if worst.startswith('open') else 'sung'} frames"
    )
    return text, parts


@dataclass
class Run:
    """One way of animating an item: its curves and its scores."""

    label: str
    jaw: np.ndarray
    pose: np.ndarray
    eye: np.ndarray
    separator: str
    scores: dict[str, float] = field(default_factory=dict)


@dataclass
class ItemResult:
    item: Item
    labels: np.ndarray
    model: Run
    baseline: np.ndarray  # frame RMS of the vocal stream the model heard
    baseline_scores: dict[str, float]
    stems_model: Run | None = None
    vocal_db: np.ndarray | None = None  # the heard vocal stream's level, dB from its own

    def below_loudness(self) -> str | None:
        """Why the model's AUC is below the loudness envelope's, or None when it is not."""
        below = self.model.scores["auc"] < self.baseline_scores["auc"] - 0.0005
        if self.vocal_db is None or not below:  # (a shown 1.000 < 1.000 is no gap)
            return None
        return why_below_loudness(self.model.jaw, self.labels, self.vocal_db)[0]

    def row(self) -> dict[str, Any]:
        """Flat figures for the table and the JSON report."""
        row: dict[str, Any] = {
            "name": self.item.name,
            "kind": self.item.kind,
            "truth": self.item.truth_rule,
            "separator": self.model.separator,
            **self.model.scores,
            "baseline_auc": self.baseline_scores["auc"],
        }
        if self.stems_model is not None:
            row["stems_auc"] = self.stems_model.scores["auc"]
            row["stems_closed"] = self.stems_model.scores["closed"]
        return row


def _run(
    label: str, performance: Any, labels: np.ndarray, music_beats: np.ndarray | None = None
) -> Run:
    from core.face.arkit import ARKIT_INDEX

    jaw = np.asarray(performance.expression[:, ARKIT_INDEX["jawOpen"]], dtype=np.float64)
    eye = np.asarray(performance.expression[:, ARKIT_INDEX["eyeBlinkLeft"]], dtype=np.float64)
    pose = np.asarray(performance.pose, dtype=np.float64)
    fps = performance.fps
    scores = {**separation_scores(jaw, labels), **head_stats(pose, fps), **eye_stats(eye, fps)}
    if music_beats is not None:
        scores.update(head_beat_scores(pose, music_beats, fps))
    return Run(label, jaw, pose, eye, str(performance.meta.get("separator", "?")), scores)


def evaluate_item(
    item: Item,
    checkpoint: Any = None,
    separator: str = "auto",
    true_stems: bool = True,
    mouth_gate: bool = True,
) -> ItemResult:
    """Animate `item` as a user would (mixture in) and, with its true stems where they
    exist, score both and the loudness baseline of the vocal stream the model heard.
    `mouth_gate=False` scores the model alone (core/voice_gate.py)."""
    from core.audio import load_audio
    from core.generate import generate
    from core.separation import separate

    performance = generate(item.mix, checkpoint, separator=separator, mouth_gate=mouth_gate)
    labels = truth_for(item, performance.frames, performance.fps)
    # The music's beats by librosa's tracker, not the engine's own that the head reads.
    beats = M.independent_music_beats(load_audio(item.mix, 22050), 22050)
    model = _run("model", performance, labels, beats)
    # Served from the separation cache that generate() just filled.
    heard = separate(item.mix, separator)
    baseline = frame_rms(heard.vocals, heard.sr, performance.frames, performance.fps)
    result = ItemResult(
        item,
        labels,
        model,
        baseline,
        separation_scores(baseline, labels),
        vocal_db=level_db(baseline),
    )
    if true_stems and item.kind == "stems":
        on_stems = generate(
            item.mix,
            checkpoint,
            vocals=item.vocals,
            accompaniment=item.accompaniment,
            mouth_gate=mouth_gate,
        )
        result.stems_model = _run("model on true stems", on_stems, labels)
    return result


MEAN_KEYS = (
    "auc",
    "closed",
    "ratio",
    "pitch_std",
    "roll_std",
    "yaw_std",
    "speed",
    "blinks_per_s",
    "blink_s",
    "head_ba",
    "head_ba_shifted",
    "baseline_auc",
    "stems_auc",
    "stems_closed",
)


def mean_row(rows: list[dict[str, Any]], name: str = "mean") -> dict[str, Any]:
    """Mean of each figure over the rows that have it (NaN ignored)."""
    out: dict[str, Any] = {"name": name, "kind": "", "truth": "", "separator": ""}
    for key in MEAN_KEYS:
        values = [r[key] for r in rows if key in r and np.isfinite(r[key])]
        if values:
            out[key] = float(np.mean(values))
    return out


def pooled_closed(results: list[ItemResult]) -> float:
    """Share of all unsung frames of all items (not a mean of shares) with the mouth closed."""
    closed = [r.model.jaw[r.labels[: len(r.model.jaw)] == UNSUNG] < JAW_CLOSED for r in results]
    frames = np.concatenate(closed) if closed else np.zeros(0, dtype=bool)
    return float(frames.mean()) if len(frames) else float("nan")


# --- the picture -------------------------------------------------------------------


def plot_item(path: Path, result: ItemResult) -> Path:
    """jawOpen with sung frames shaded green and unsung ones red, the loudness baseline,
    head angles in degrees and the eye state: what a person checks by eye."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    model, labels = result.model, result.labels
    n = len(model.jaw)
    time = np.arange(n) / FPS
    fig, axes = plt.subplots(
        3, 1, figsize=(16, 8), sharex=True, gridspec_kw={"height_ratios": [2.2, 1.3, 0.8]}
    )
    ax = axes[0]
    for value, colour in ((SUNG, "tab:green"), (UNSUNG, "tab:red")):
        ax.fill_between(
            time, 0, 1, where=labels[:n] == value, step="mid", color=colour, alpha=0.13, lw=0
        )
    loud = result.baseline / max(float(np.percentile(result.baseline, 99)), 1e-9)
    ax.plot(time, np.clip(loud, 0, 1), color="0.55", lw=0.6, label="vocal-stream RMS (scaled)")
    if result.stems_model is not None:
        ax.plot(time, result.stems_model.jaw, color="tab:blue", lw=0.8, label="model, true stems")
    ax.plot(time, model.jaw, color="black", lw=0.9, label=f"model ({model.separator})")
    ax.axhline(JAW_CLOSED, color="tab:red", lw=0.6, ls="--")
    ax.set_ylim(0, 1)
    ax.set_ylabel("jawOpen")
    s, b = model.scores, result.baseline_scores
    ax.set_title(
        f"{result.item.name} — truth: {result.item.truth_rule} (green sung, red unsung); "
        f"AUC {s['auc']:.3f} (loudness {b['auc']:.3f}), closed when unsung {s['closed']:.0%}",
        fontsize=10,
    )
    ax.legend(loc="upper right", fontsize=8, ncol=3)
    degrees = np.degrees(model.pose[:, :3])
    for k, axis in enumerate(AXES):
        axes[1].plot(time, degrees[:, k], lw=0.8, label=f"{axis} (std {s[f'{axis}_std']:.1f}°)")
    axes[1].set_ylabel("head (°)")
    axes[1].legend(loc="upper right", fontsize=8, ncol=3, title=f"mean speed {s['speed']:.0f}°/s")
    axes[2].plot(time, model.eye, color="tab:purple", lw=0.8)
    axes[2].set_ylim(0, 1.05)
    axes[2].set_ylabel("eye closed")
    axes[2].set_title(
        f"blinks {s['blinks_per_s']:.2f}/s, mean {s['blink_s']:.2f} s", fontsize=9, loc="left"
    )
    axes[-1].set_xlabel("seconds")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=80)
    plt.close(fig)
    return path
