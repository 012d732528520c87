"""The training dataset of DESIGN.md: `manifest.json` + `clips/<id>.npz`.

Every clip is held in memory as 100 fps MFCCs and per-frame targets; batches
are random 128-frame crops whose 39 × 26 windows are cut on the fly (with the
row table of `core.features.frame_windows`, see core/model/windows.py).

Several dataset folders can be read as one (`DataSource`s, each with a weight):
they must share one fps; each one's expression columns are put in ARKit order.
Their subjects are concatenated (the second dataset's subject 0 comes after all
of the first's; a name both use gets the folder's name in front), and a crop
comes from dataset d with probability weight_d / Σ weights, within it from a
clip in proportion to its length. Normalisation statistics are fitted on every
clip of every dataset alike (not weighted).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from core.errors import BadInput
from core.face.arkit import ARKIT_NAMES
from core.model.config import RHYTHM_SOURCES
from core.model.discriminator import centre_frames
from core.model.normalization import STREAMS, Normalization
from core.model.windows import cut_windows, window_rows
from core.rhythm import rhythm_features
from core.streams import MFCC_KEYS, MIXTURE
from training.manifest import Manifest, read_manifest

_TARGET_KEYS = ("expression", "pose", "eye", "eye_long")
# The streams a pose head may read the beat phase of (GeneratorConfig.rhythm_source):
# the mixture, or the accompaniment for checkpoints from before the mixture's.
_RHYTHM_STREAMS = RHYTHM_SOURCES


@dataclass
class Clip:
    id: str
    subject: int
    split: str
    mfcc: dict[str, np.ndarray]  # stream → (N, 26) raw
    expression: np.ndarray  # (T, 52)
    pose: np.ndarray  # (T, 6) radians / metres
    eye: np.ndarray  # (T,)
    eye_long: np.ndarray  # (T,)
    rows: np.ndarray  # (T, 39) MFCC rows of each frame's window
    rhythm: dict[str, np.ndarray]  # stream → (T, 2) beat phase (core/rhythm.py)
    dataset: int = 0  # index of the DataSource it came from

    @property
    def frames(self) -> int:
        return len(self.expression)


@dataclass(frozen=True)
class DataSource:
    """One dataset folder and how often its clips are drawn relative to the others'."""

    path: Path
    weight: float = 1.0

    def __post_init__(self) -> None:
        object.__setattr__(self, "path", Path(self.path))
        if not (math.isfinite(self.weight) and self.weight > 0):
            raise BadInput(
                f"dataset weight must be a positive number, got {self.weight} for {self.path}"
            )


DataArg = str | Path | DataSource | Sequence[str | Path | DataSource]


def as_sources(data: DataArg) -> list[DataSource]:
    """One or several dataset folders (paths or DataSources) as DataSources."""
    items = [data] if isinstance(data, str | Path | DataSource) else list(data)
    if not items:
        raise BadInput("no dataset given")
    return [d if isinstance(d, DataSource) else DataSource(Path(d)) for d in items]


def parse_source(text: str) -> DataSource:
    """`DIR` or `DIR:WEIGHT` (the command line's --data). A folder whose own name ends in
    `:number` is taken as it is when it exists."""
    path, sep, weight = text.rpartition(":")
    if not sep or not path or Path(text).is_dir():
        return DataSource(Path(text))
    try:
        value = float(weight)
    except ValueError:
        return DataSource(Path(text))  # a colon in the folder name
    return DataSource(Path(path), value)


@dataclass
class Batch:
    """Model-ready tensors; windows normalised, poses in normalised units."""

    streams: list[torch.Tensor]  # 1 or 2 × (B, L, 39, 26)
    subject: torch.Tensor  # (B,)
    expression: torch.Tensor  # (B, L, 52)
    pose: torch.Tensor  # (B, L, 6)
    eye_long: torch.Tensor  # (B, L)
    initial_pose: torch.Tensor  # (B, 2, 6): p_{-2}, p_{-1} before the crop
    rhythm: torch.Tensor  # (B, L, 2): the beat phase the pose head reads
    audio: torch.Tensor  # (B, L, 26 × streams): centre MFCC frames, for the discriminator

    def to(self, device: torch.device | str) -> Batch:
        return Batch(
            streams=[s.to(device) for s in self.streams],
            subject=self.subject.to(device),
            expression=self.expression.to(device),
            pose=self.pose.to(device),
            eye_long=self.eye_long.to(device),
            initial_pose=self.initial_pose.to(device),
            rhythm=self.rhythm.to(device),
            audio=self.audio.to(device),
        )


def _expression_order(names: list[str]) -> np.ndarray:
    """Column permutation that puts the dataset's expression names in ARKit order."""
    if list(names) == list(ARKIT_NAMES):
        return np.arange(len(ARKIT_NAMES))
    missing = [n for n in ARKIT_NAMES if n not in names]
    if missing:
        raise BadInput(f"dataset expression_names lack ARKit names: {', '.join(missing[:5])}")
    return np.array([names.index(n) for n in ARKIT_NAMES])


def _load_clip(root: Path, entry: dict, manifest: Manifest, order: np.ndarray) -> Clip:
    clip_id = str(entry.get("id", ""))
    path = root / "clips" / f"{clip_id}.npz"
    if not clip_id or not path.is_file():
        raise BadInput(f"dataset clip file missing: {path}")
    subject = manifest.subject_index(entry)
    fps = manifest.fps
    try:
        with np.load(path, allow_pickle=False) as data:
            content = {k: data[k] for k in data.files}
    except (OSError, ValueError) as err:
        raise BadInput(f"cannot read dataset clip {path.name}: {err}") from err
    missing = [k for k in (*MFCC_KEYS.values(), *_TARGET_KEYS) if k not in content]
    if missing:
        raise BadInput(f"clip {clip_id} lacks {', '.join(missing)}")
    if "fps" in content and abs(float(content["fps"]) - fps) > 1e-6:
        raise BadInput(f"clip {clip_id}: fps {float(content['fps'])} differs from manifest {fps}")
    mfcc = {s: np.asarray(content[k], dtype=np.float32) for s, k in MFCC_KEYS.items()}
    expression = np.asarray(content["expression"], dtype=np.float32)[:, order]
    frames = len(expression)
    shapes_ok = (
        all(m.ndim == 2 and m.shape[1] == 26 and len(m) > 0 for m in mfcc.values())
        and expression.shape == (frames, 52)
        and content["pose"].shape == (frames, 6)
        and content["eye"].shape == (frames,)
        and content["eye_long"].shape == (frames,)
        and frames > 0
    )
    if not shapes_ok:
        raise BadInput(f"clip {clip_id}: array shapes do not follow the dataset format")
    n_mfcc = min(len(m) for m in mfcc.values())
    return Clip(
        id=clip_id,
        subject=int(subject),
        split=str(entry.get("split", "train")),
        mfcc=mfcc,
        expression=expression,
        pose=np.asarray(content["pose"], dtype=np.float32),
        eye=np.asarray(content["eye"], dtype=np.float32),
        eye_long=np.asarray(content["eye_long"], dtype=np.float32),
        rows=window_rows(n_mfcc, frames, fps),
        rhythm={s: rhythm_features(mfcc[s], frames, fps) for s in _RHYTHM_STREAMS},
    )


def _subject_names(sources: list[DataSource], manifests: list[Manifest]) -> list[str]:
    """Every dataset's subjects, in order; a name already taken gets its folder's name."""
    names: list[str] = []
    for index, (source, manifest) in enumerate(zip(sources, manifests, strict=True)):
        for name in manifest.subjects:
            unique = name
            if unique in names:
                unique = f"{source.path.name}/{name}"
            if unique in names:
                unique = f"{source.path.name}#{index}/{name}"
            names.append(unique)
    return names


class MusicFaceDataset:
    """All clips of one dataset folder, or of several read as one (a list of folders or
    DataSources; see the module's docstring); `split` picks train or test clips."""

    def __init__(self, root: DataArg, split: str = "train") -> None:
        self.sources = as_sources(root)
        self.root = self.sources[0].path
        folders = [s.path.resolve() for s in self.sources]
        for source, folder in zip(self.sources, folders, strict=True):
            if folders.count(folder) > 1:
                raise BadInput(
                    f"dataset {source.path} is given twice; give each once, with its weight"
                )
        manifests = [read_manifest(s.path) for s in self.sources]
        self.fps = manifests[0].fps
        for source, manifest in zip(self.sources[1:], manifests[1:], strict=True):
            if abs(manifest.fps - self.fps) > 1e-6:
                raise BadInput(
                    f"datasets disagree on fps: {self.sources[0].path} has {self.fps:g}, "
                    f"{source.path} has {manifest.fps:g}"
                )
        self.subjects: list[str] = _subject_names(self.sources, manifests)
        # Subject k of dataset d is subject offsets[d] + k of the whole.
        self.subject_offsets = [0]
        for manifest in manifests[:-1]:
            self.subject_offsets.append(self.subject_offsets[-1] + len(manifest.subjects))
        self.clips: list[Clip] = []
        for index, (source, manifest) in enumerate(zip(self.sources, manifests, strict=True)):
            order = _expression_order(manifest.expression_names)
            for entry in manifest.split(split):
                clip = _load_clip(source.path, entry, manifest, order)
                clip.subject += self.subject_offsets[index]
                clip.dataset = index
                self.clips.append(clip)
        self.split = split

    def clips_of(self, dataset: int) -> list[Clip]:
        """The clips of one of the datasets (an index into `sources`)."""
        return [c for c in self.clips if c.dataset == dataset]

    def __len__(self) -> int:
        return len(self.clips)

    @property
    def frames(self) -> int:
        return sum(c.frames for c in self.clips)

    def normalization(self) -> Normalization:
        """Feature and pose statistics of these clips (call it on the training split)."""
        if not self.clips:
            raise BadInput(f"the dataset has no {self.split} clips")
        return Normalization.fit(
            {s: [c.mfcc[s] for c in self.clips] for s in STREAMS},
            [c.pose for c in self.clips],
            [c.expression for c in self.clips],
        )

    def crop(
        self,
        clip: Clip,
        start: int,
        length: int,
        streams: tuple[str, ...],
        norm: Normalization,
        rhythm: str = MIXTURE,
    ) -> dict[str, np.ndarray]:
        """One crop's arrays (numpy, unbatched); `rhythm` names the stream whose beat
        phase the pose head reads (GeneratorConfig.rhythm_source)."""
        stop = start + length
        windows = [norm.mfcc(s, cut_windows(clip.mfcc[s], clip.rows[start:stop])) for s in streams]
        before = np.clip([start - 2, start - 1], 0, clip.frames - 1)
        # A crop at the clip's start begins at rest speed: p_{-2} = p_{-1} = p_0.
        if start == 0:
            before = np.array([0, 0])
        return {
            "windows": windows,
            "subject": clip.subject,
            "expression": clip.expression[start:stop],
            "pose": clip.pose[start:stop] / norm.pose_scale,
            "eye_long": clip.eye_long[start:stop],
            "initial_pose": clip.pose[before] / norm.pose_scale,
            "rhythm": clip.rhythm[rhythm][start:stop],
        }

    def collate(self, crops: list[dict[str, np.ndarray]]) -> Batch:
        n_streams = len(crops[0]["windows"])
        streams = [
            torch.from_numpy(np.stack([c["windows"][i] for c in crops])) for i in range(n_streams)
        ]

        def stack(key: str) -> torch.Tensor:
            return torch.from_numpy(np.stack([c[key] for c in crops]).astype(np.float32))

        return Batch(
            streams=streams,
            subject=torch.tensor([c["subject"] for c in crops], dtype=torch.long),
            expression=stack("expression"),
            pose=stack("pose"),
            eye_long=stack("eye_long"),
            initial_pose=stack("initial_pose"),
            rhythm=stack("rhythm"),
            audio=centre_frames(*streams),
        )

    def crop_length(self, wanted: int) -> int:
        """`wanted` frames, or the shortest clip's length when a clip is shorter."""
        if not self.clips:
            raise BadInput(f"the dataset has no {self.split} clips")
        return min(wanted, min(c.frames for c in self.clips))

    def random_batch(
        self,
        rng: np.random.Generator,
        batch_size: int,
        length: int,
        streams: tuple[str, ...],
        norm: Normalization,
        rhythm: str = MIXTURE,
    ) -> Batch:
        """Random crops: a dataset by its weight, then within it every crop start
        equally likely (longer clips are drawn more often)."""
        picks = rng.choice(len(self.clips), size=batch_size, p=self.clip_probabilities(length))
        crops = []
        for index in picks:
            clip = self.clips[int(index)]
            start = int(rng.integers(0, clip.frames - length + 1))
            crops.append(self.crop(clip, start, length, streams, norm, rhythm))
        return self.collate(crops)

    def clip_probabilities(self, length: int) -> np.ndarray:
        """(clips,) how likely each clip is to give a crop of `length` frames: dataset d
        gets weight_d / Σ weights (over the datasets with clips in this split), and
        within it each clip its share of the crop starts."""
        starts = np.array([c.frames - length + 1 for c in self.clips], dtype=np.float64)
        datasets = np.array([c.dataset for c in self.clips])
        if len(self.sources) == 1:
            return starts / starts.sum()
        present = sorted(set(datasets.tolist()))
        total = sum(self.sources[d].weight for d in present)
        p = np.zeros(len(self.clips))
        for d in present:
            mine = datasets == d
            p[mine] = starts[mine] / starts[mine].sum() * (self.sources[d].weight / total)
        return p

    def fixed_batches(
        self,
        batch_size: int,
        length: int,
        streams: tuple[str, ...],
        norm: Normalization,
        max_crops: int = 64,
        rhythm: str = MIXTURE,
    ) -> list[Batch]:
        """Deterministic, non-overlapping crops of every clip, for validation."""
        crops = []
        for clip in self.clips:
            for start in range(0, clip.frames - length + 1, length):
                crops.append(self.crop(clip, start, length, streams, norm, rhythm))
        # Spread the kept crops over the whole split rather than its first clips.
        if len(crops) > max_crops:
            keep = np.linspace(0, len(crops) - 1, max_crops).round().astype(int)
            crops = [crops[i] for i in keep]
        return [self.collate(crops[i : i + batch_size]) for i in range(0, len(crops), batch_size)]
