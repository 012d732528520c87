"""Evaluate generator checkpoints on a dataset's test split, the engine's real path.

Each test clip's mixture goes through `core.generate.generate` (decode, the chosen
separator, features, generator, blink sampler) exactly as a user's song would,
and the Performance is compared with the clip's ground truth. The result is a
table shaped like the paper's Tables 1–2, ground truth alongside where a metric
applies to it, and one PNG per clip (jawOpen, head yaw and eye state).

Rates and means weigh every frame, blink and beat of the split alike; CCAs are
computed over the whole split at once (clips concatenated), because within one
short clip two slow drifts correlate by chance (a random model scores ~0.98 on
a single 7 s clip's pose). Per-clip figures are kept in the JSON.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from core.errors import BadInput
from core.face.arkit import ARKIT_INDEX
from core.progress import ProgressFn, no_progress, scaled
from training import metrics as M
from training.manifest import Manifest, read_manifest

BASELINE_SEEDS = 5
EYE_COLUMN = ARKIT_INDEX["eyeBlinkLeft"]
JAW_COLUMN = ARKIT_INDEX["jawOpen"]

# (key, header, format) in table order; "↓" lower is better, "↑" higher is better.
COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("lmd_mm", "LMD (mm) ↓", "{:.3f}"),
    ("lve_mm", "LVE (mm) ↓", "{:.3f}"),
    ("cca_speed", "CCA speed ↑", "{:.3f}"),
    ("cca_pose", "CCA pose ↑", "{:.3f}"),
    ("cca_eye", "CCA eye ↑", "{:.3f}"),
    ("roughness", "roughness (1e-5)", "{:.2f}"),
    ("head_speed_deg_s", "head °/s", "{:.1f}"),
    ("pitch_std_deg", "pitch std °", "{:.2f}"),
    ("roll_std_deg", "roll std °", "{:.2f}"),
    ("yaw_std_deg", "yaw std °", "{:.2f}"),
    ("blinks_per_s", "blinks/s", "{:.3f}"),
    ("blink_s", "blink dur (s)", "{:.3f}"),
    ("closures_per_min", "long closures/min", "{:.2f}"),
    ("closed_in_silence", "closed in silence", "{:.1%}"),
    ("closed_in_answers", "closed in backing answers", "{:.1%}"),
    ("closed_in_others", "closed in other voices", "{:.1%}"),
    ("settled_std_deg", "std after 5 s °", "{:.2f}"),
    ("beat_alignment", "beat align ↑", "{:.3f}"),
    ("head_ba", "head BA ↑", "{:.3f}"),
    ("head_ba_shifted", "head BA shifted", "{:.3f}"),
)


# Euler X, Y, Z of the Performance's rotation: nod, roll, turn.
ROTATION_AXES = ("pitch", "roll", "yaw")
# The head's spread is also measured after this many seconds: every clip starts at
# rest, and a model that slides from rest to a place off it gets a spread over the
# whole clip from the slide alone (the default of 2026-12-01: 2.2° against the
# truth's 2.8° over whole clips, 1.4° against 2.8° after the first 5 s).
SETTLE_SECONDS = 5.0


@dataclass
class ClipTruth:
    """What the metrics need of one test clip's ground truth."""

    id: str
    subject: int
    mixture: Path
    fps: float
    expression: np.ndarray
    pose: np.ndarray
    eye: np.ndarray
    silent: np.ndarray  # no voice at all: neither the lead nor a backing voice
    answers: np.ndarray  # a backing voice answers in the lead's rest; the mouth stays shut
    music_beats: np.ndarray
    # A choir, shout, spoken line or ad-lib sounds and the lead is away (crowd.py).
    others: np.ndarray = field(default_factory=lambda: np.zeros(0, bool))


@dataclass
class Totals:
    """Sums over clips, so rates and means weigh every frame, blink and beat alike."""

    frames: int = 0
    seconds: float = 0.0
    lmd_sum: float = 0.0
    lve_sum: float = 0.0
    rough_sum: float = 0.0
    speed_sum: float = 0.0  # rad/s, summed over frames
    rotation_std: list[np.ndarray] = field(default_factory=list)  # per clip, (3,) radians
    blinks: list[float] = field(default_factory=list)
    closures: int = 0
    silent: int = 0
    silent_closed: int = 0
    answers: int = 0
    answers_closed: int = 0
    others: int = 0
    others_closed: int = 0
    settled_std: list[float] = field(default_factory=list)  # per clip, radians
    beat_scores: list[float] = field(default_factory=list)
    # The paper's BA read from the head's side, and the same with its beats shifted.
    head_ba: list[float] = field(default_factory=list)
    head_ba_shifted: list[float] = field(default_factory=list)
    # (ground truth, prediction) sequences of every clip, for CCA over the whole split.
    pairs: dict[str, list[tuple[np.ndarray, np.ndarray]]] = field(
        default_factory=lambda: {"speed": [], "pose": [], "eye": []}
    )

    def pooled_cca(self, key: str) -> float | None:
        if not self.pairs[key]:
            return None
        gt = np.concatenate([a for a, _ in self.pairs[key]])
        pred = np.concatenate([b for _, b in self.pairs[key]])
        return M.cca(gt, pred)

    def summary(self, with_lips: bool) -> dict[str, float | None]:
        def mean(values: list[float]) -> float | None:
            return float(np.mean(values)) if values else None

        frames = max(self.frames, 1)
        return {
            "lmd_mm": self.lmd_sum / frames if with_lips else None,
            "lve_mm": self.lve_sum / frames if with_lips else None,
            "cca_speed": self.pooled_cca("speed"),
            "cca_pose": self.pooled_cca("pose"),
            "cca_eye": self.pooled_cca("eye"),
            "roughness": 1e5 * self.rough_sum / frames,
            "head_speed_deg_s": np.degrees(self.speed_sum / frames),
            **{
                f"{axis}_std_deg": float(np.degrees(np.mean([s[i] for s in self.rotation_std])))
                if self.rotation_std
                else None
                for i, axis in enumerate(ROTATION_AXES)
            },
            "blinks_per_s": len(self.blinks) / max(self.seconds, 1e-9),
            "blink_s": mean(self.blinks),
            "closures_per_min": 60.0 * self.closures / max(self.seconds, 1e-9),
            "closed_in_silence": self.silent_closed / self.silent if self.silent else None,
            "closed_in_answers": self.answers_closed / self.answers if self.answers else None,
            "closed_in_others": self.others_closed / self.others if self.others else None,
            "settled_std_deg": float(np.degrees(np.mean(self.settled_std)))
            if self.settled_std
            else None,
            "beat_alignment": mean(self.beat_scores),
            "head_ba": mean(self.head_ba),
            "head_ba_shifted": mean(self.head_ba_shifted),
        }


def corpus_separator(manifest: Manifest) -> str:
    """The separator a corpus's features came from (so the model hears at test time
    what it heard in training); corpora from before it was recorded used dsp."""
    generator = manifest.fields.get("generator")
    recorded = generator.get("separator") if isinstance(generator, dict) else None
    return recorded if recorded in ("spleeter", "dsp", "none") else "dsp"


def read_test_clips(data: Path, split: str = "test") -> tuple[list[dict[str, Any]], Manifest]:
    manifest = read_manifest(data)
    clips = manifest.split(split)
    if not clips:
        raise BadInput(f"{data} has no {split} clips")
    for c in clips:
        if "mixture" not in c:
            raise BadInput(f"clip {c.get('id')} has no mixture file to evaluate on")
    return clips, manifest


def voice_masks(
    content: dict[str, np.ndarray], frames: int, fps: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(silent, answers, others) frames of a clip: silent where no voice sings, neither
    the lead nor any other (with the metrics' margin); answers where a backing voice
    answers in the lead's rest, and others where a choir, a shout, a spoken line or an
    ad-lib sounds (`other_voices`, training/synth/crowd.py) and the lead is away: harder
    cases the table keeps apart, the performer's mouth stays shut there but the vocal
    stream is as loud as when the lead sings."""
    voice = np.asarray(content.get("voice_activity", np.zeros(frames)), bool)
    breath = np.asarray(content.get("breath", np.zeros(frames)), bool)
    answers = M.interval_frames(content.get("backing_answers", np.zeros((0, 2))), frames, fps)
    crowd = M.interval_frames(content.get("other_voices", np.zeros((0, 2))), frames, fps)
    away = M.silent_frames(voice, breath, fps)
    silent = M.silent_frames(voice | answers | crowd, breath, fps)
    return silent, answers & ~voice, crowd & away


def load_truth(data: Path, entry: dict[str, Any], manifest: Manifest) -> ClipTruth:
    from core.audio import load_audio

    path = data / "clips" / f"{entry['id']}.npz"
    try:
        content = dict(np.load(path, allow_pickle=False))
    except (OSError, ValueError) as err:
        raise BadInput(f"cannot read {path}: {err}") from err
    fps = float(content["fps"])
    frames = len(content["expression"])
    silent, answers, others = voice_masks(content, frames, fps)
    subject = manifest.subject_index(entry)
    mixture = data / entry["mixture"]
    sr = 22050
    return ClipTruth(
        id=str(entry["id"]),
        subject=subject,
        mixture=mixture,
        fps=fps,
        expression=np.asarray(content["expression"], np.float32),
        pose=np.asarray(content["pose"], np.float32),
        eye=np.asarray(content["eye"], np.float32),
        silent=silent,
        answers=answers,
        others=others,
        music_beats=M.independent_music_beats(load_audio(mixture, sr), sr),
    )


def _accumulate(
    totals: Totals,
    lips: M.LipGeometry,
    truth: ClipTruth,
    expression: np.ndarray,
    pose: np.ndarray,
    eye: np.ndarray,
    compare: bool,
) -> dict[str, float]:
    """Add one clip's performance (prediction or the truth itself) to `totals`."""
    t = min(len(truth.expression), len(expression))
    fps = truth.fps
    expression, pose, eye = expression[:t], pose[:t], eye[:t]
    totals.frames += t
    totals.seconds += t / fps
    clip: dict[str, float] = {}
    if compare:
        gt_lips = lips.lip_vertices_mm(truth.expression[:t])
        pred_lips = lips.lip_vertices_mm(expression)
        distances = np.linalg.norm(gt_lips - pred_lips, axis=-1)
        totals.lmd_sum += float(distances.mean(axis=1).sum())
        totals.lve_sum += float(distances.max(axis=1).sum())
        clip["lmd_mm"] = float(distances.mean())
        sequences = {
            "speed": (M.head_speed(truth.pose[:t], fps), M.head_speed(pose, fps)),
            "pose": (truth.pose[:t], pose),
            "eye": (truth.eye[:t], eye),
        }
        for key, (a, b) in sequences.items():
            totals.pairs[key].append((a, b))
            clip[f"cca_{key}"] = M.cca(a, b)
    totals.rough_sum += M.roughness(pose) * t
    totals.speed_sum += float(M.head_speed(pose, fps).sum())
    rotation = np.asarray(pose, np.float64)[:, :3]
    totals.rotation_std.append(rotation.std(axis=0))
    settled = rotation[int(SETTLE_SECONDS * fps) :]
    if len(settled) > fps:
        totals.settled_std.append(float(settled.std(axis=0).mean()))
    blinks, closures = M.eye_events(eye, fps)
    totals.blinks += blinks
    totals.closures += len(closures)
    silent = truth.silent[:t]
    closed = M.mouth_closed(lips.mouth_gap_mm(expression))
    totals.silent += int(silent.sum())
    totals.silent_closed += int((closed & silent).sum())
    answers = truth.answers[:t]
    totals.answers += int(answers.sum())
    totals.answers_closed += int((closed & answers).sum())
    others = truth.others[:t]
    totals.others += int(others.sum())
    totals.others_closed += int((closed & others).sum())
    motion = M.motion_beats(pose, fps)
    score = M.beat_alignment(truth.music_beats, motion, fps)
    if np.isfinite(score):
        totals.beat_scores.append(score)
    clip["beat_alignment"] = score
    head = M.kinematic_beat_alignment(motion, truth.music_beats, fps)
    # Seeded by the clip, so every model's shifted beats are drawn alike.
    shifts = np.random.default_rng(t)
    chance = M.shifted_beat_alignment(motion, truth.music_beats, fps, t, shifts)
    if np.isfinite(head) and np.isfinite(chance):
        totals.head_ba.append(head)
        totals.head_ba_shifted.append(chance)
    clip["head_ba"], clip["head_ba_shifted"] = head, chance
    return clip


def plot_clip(
    path: Path,
    truth: ClipTruth,
    expression: np.ndarray,
    pose: np.ndarray,
    eye: np.ndarray,
    label: str,
) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    t = min(len(truth.expression), len(expression))
    time = np.arange(t) / truth.fps
    fig, axes = plt.subplots(3, 1, figsize=(11, 6.5), sharex=True)
    series = (
        ("jawOpen", truth.expression[:t, JAW_COLUMN], expression[:t, JAW_COLUMN]),
        ("head yaw (rad)", truth.pose[:t, 2], pose[:t, 2]),
        ("eye state", truth.eye[:t], eye[:t]),
    )
    for ax, (name, gt, pred) in zip(axes, series, strict=True):
        ax.plot(time, gt, color="0.35", lw=1.2, label="ground truth")
        ax.plot(time, pred, color="tab:red", lw=1.0, label=label)
        ax.set_ylabel(name)
        for beat in truth.music_beats:
            ax.axvline(beat, color="tab:blue", lw=0.3, alpha=0.4)
    axes[0].legend(loc="upper right", fontsize=8)
    axes[0].set_title(f"{truth.id} (blue lines: music beats)")
    axes[-1].set_xlabel("seconds")
    fig.tight_layout()
    fig.savefig(path, dpi=80)
    plt.close(fig)


def evaluate(
    data: Path,
    checkpoints: list[Path],
    separator: str | None = None,
    seed: int = 0,
    plots: Path | None = None,
    limit: int | None = None,
    mouth_gate: bool = True,
    progress: ProgressFn = no_progress,
) -> dict[str, Any]:
    """Metrics of each checkpoint on the test split, with ground truth and a baseline;
    `mouth_gate=False` scores the models without the engine's voice gate."""
    from core.checkpoints import load_checkpoint
    from core.face.model import FaceModel
    from core.generate import generate

    entries, manifest = read_test_clips(data)
    if separator is None:
        separator = corpus_separator(manifest)
    entries = entries[:limit] if limit else entries
    loaded = [load_checkpoint(path) for path in checkpoints]
    lips = M.LipGeometry(FaceModel.load())
    truth_totals, baseline_scores = Totals(), []
    totals = [Totals() for _ in loaded]
    per_clip: list[dict[str, Any]] = []
    rng = np.random.default_rng(seed)
    steps = len(entries) * (1 + len(loaded))
    step = 0
    for entry in entries:
        truth = load_truth(data, entry, manifest)
        _accumulate(
            truth_totals, lips, truth, truth.expression, truth.pose, truth.eye, compare=False
        )
        row: dict[str, Any] = {"id": truth.id}
        # The baseline moves as much as the ground truth, in random directions.
        for _ in range(BASELINE_SEEDS):
            moved = M.random_direction_pose(truth.pose, rng)
            score = M.beat_alignment(truth.music_beats, M.motion_beats(moved, truth.fps), truth.fps)
            if np.isfinite(score):
                baseline_scores.append(score)
        step += 1
        progress("evaluate", step / steps)
        for k, model in enumerate(loaded):
            subject = truth.subject if truth.subject < model.model.config.n_subjects else 0
            perf = generate(
                truth.mixture,
                checkpoint=model,
                separator=separator,
                subject=subject,
                seed=seed,
                mouth_gate=mouth_gate,
                progress=scaled(progress, step / steps, (step + 1) / steps),
            )
            if abs(perf.fps - truth.fps) > 1e-6:
                perf = perf.resample(truth.fps)
            eye = perf.expression[:, EYE_COLUMN]
            row[f"{k}:{model.model.config.variant}"] = _accumulate(
                totals[k], lips, truth, perf.expression, perf.pose, eye, True
            )
            if plots is not None:
                plots.mkdir(parents=True, exist_ok=True)
                variant = model.model.config.variant
                name = f"{truth.id}.png" if len(loaded) == 1 else f"{truth.id}_{k}_{variant}.png"
                plot_clip(
                    plots / name, truth, perf.expression, perf.pose, eye, model.model.config.variant
                )
            step += 1
            progress("evaluate", step / steps)
        per_clip.append(row)
    rows = [
        {"name": "ground truth", **truth_totals.summary(with_lips=False)},
        *[
            {
                "name": f"{m.model.config.variant} ({p.name})",
                "variant": m.model.config.variant,
                "checkpoint": str(p),
                **t.summary(with_lips=True),
            }
            for m, p, t in zip(loaded, checkpoints, totals, strict=True)
        ],
        {
            "name": "random directions (baseline)",
            "beat_alignment": float(np.mean(baseline_scores)) if baseline_scores else None,
        },
    ]
    return {
        "data": str(data),
        "split": "test",
        "clips": len(entries),
        "seconds": round(truth_totals.seconds, 2),
        "separator": separator,
        "seed": seed,
        "rows": rows,
        "per_clip": per_clip,
    }


def format_table(result: dict[str, Any]) -> str:
    """A markdown table: one row per method (the paper's layout), '—' where n/a."""
    header = ["method"] + [h for _, h, _ in COLUMNS]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for row in result["rows"]:
        cells = [row["name"]]
        for key, _, fmt in COLUMNS:
            value = row.get(key)
            cells.append(
                fmt.format(value) if isinstance(value, (int, float)) and np.isfinite(value) else "—"
            )
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)
