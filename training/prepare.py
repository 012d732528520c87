"""Singing videos → a training dataset (DESIGN.md's format), as `musicface-train prepare` runs it.

Per video: the performer's curves from `core.capture` (52 ARKit weights, head pose,
eye state at 30 fps) and, from the video's sound, the features the engine computes
at inference (`core.generate`): the separated vocal and accompaniment streams at
16 kHz mono through `core.separation.separate` (same backends, same cache), the
mixture decoded at 16 kHz, each → `mfcc_26` at 100 fps. A video longer than
`clip_seconds` is cut into equal clips at 0.1 s boundaries (where a 30 fps frame
and a 100 fps MFCC frame start together, so every clip's windows are exactly the
whole video's). Each clip also keeps its sound (`clips/<id>_mix.flac`), so that
`musicface-train evaluate` can run the engine on it.

A video that cannot be used (not a video, no sound, silent, too little face, too
short) is skipped with its reason, printed and listed under the manifest's
`skipped`; so is a clip whose face is lost for most of it. The dataset is built in
a hidden folder beside `out` and moved into place at the end: a cancelled or
failed run leaves nothing behind, and an existing dataset is replaced (only
with `force`, and only one that `prepare` wrote) in one step.
"""

from __future__ import annotations

import math
import os
import re
import shutil
import tempfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from core.audio import FEATURE_SR, SEPARATION_SR, load_audio
from core.errors import BadInput
from core.face.arkit import ARKIT_NAMES
from core.features import MFCC_FPS, mfcc_26
from core.progress import ProgressFn, no_progress, scaled
from training.manifest import read_manifest, write_clip_arrays, write_clip_audio, write_manifest
from training.synth.separator import separator_record

TOOL = "musicface-train prepare"  # generator.tool: what tells a dataset prepare wrote
VIDEO_SUFFIXES = (".mp4", ".mov", ".mkv", ".webm", ".avi", ".m4v", ".mpg", ".mpeg", ".wmv")
CLIP_SECONDS = 20.0  # the synthetic corpus's clips are 10–20 s
MIN_SECONDS = 1.0  # shorter videos (or what is left of them) are skipped
MAX_UNTRACKED = 0.5  # a clip whose face is lost (gaps > 0.3 s) for more than this share
SILENCE = 1e-4  # peak below which the sound track counts as silent
BOUNDARY_SECONDS = 0.1  # clips start where a video frame and an MFCC frame start together


@dataclass
class PrepareOptions:
    videos: Sequence[Path]  # files, or folders searched (recursively) for videos
    out: Path
    separator: str = "spleeter"  # spleeter, dsp or none (the command resolves auto)
    subject: str | None = None  # the one subject's name (default: the out folder's name)
    subject_per_folder: bool = False  # one subject per parent folder name instead
    test_share: float = 0.1
    seed: int = 0
    clip_seconds: float = CLIP_SECONDS
    force: bool = False  # replace a dataset prepare wrote earlier
    cache_dir: Path | None = None  # separation cache (default: the engine's)


@dataclass
class PrepareResult:
    manifest: Path
    clips: int
    seconds: float  # of all clips together
    skipped: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class _Clip:
    id: str
    subject: str
    entry: dict[str, Any]  # the manifest entry, without its split


def video_inputs(paths: Iterable[Path]) -> list[Path]:
    """The videos to read: files as given (whatever their suffix, so that a file that is
    not a video gets its reason), folders searched recursively for video suffixes;
    the same file once."""
    found: list[Path] = []
    seen: set[Path] = set()
    for path in paths:
        path = Path(path)
        if path.is_dir():
            files = sorted(
                p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in VIDEO_SUFFIXES
            )
            if not files:
                raise BadInput(f"no videos ({', '.join(VIDEO_SUFFIXES)}) in folder {path}")
        else:
            files = [path]
        for file in files:
            key = file.resolve()
            if key not in seen:
                seen.add(key)
                found.append(file)
    if not found:
        raise BadInput("no videos given")
    return found


def check_out(out: Path, force: bool) -> bool:
    """Whether `out` holds a dataset to replace; BadInput when `out` must not be touched."""
    if not out.exists():
        return False
    if not out.is_dir():
        raise BadInput(f"--out is a file, not a folder: {out}")
    if not any(out.iterdir()):
        return False
    if _written_by_prepare(out):
        if force:
            return True
        raise BadInput(
            f"{out} already holds a dataset made by prepare; pass --force to replace it, "
            "or choose a new folder"
        )
    raise BadInput(f"{out} is not empty (and not a dataset made by prepare); choose a new folder")


def _written_by_prepare(out: Path) -> bool:
    try:
        generator = read_manifest(out).fields.get("generator")
    except BadInput:
        return False
    return isinstance(generator, dict) and generator.get("tool") == TOOL


def clip_bounds(frames: int, fps: float, clip_seconds: float) -> list[tuple[int, int]]:
    """[start, end) frames of equal clips of at most `clip_seconds` covering `frames`,
    cut at multiples of BOUNDARY_SECONDS (the last clip takes what is left)."""
    unit = max(1, int(round(BOUNDARY_SECONDS * fps)))
    count = max(1, math.ceil(frames / (clip_seconds * fps) - 1e-9))
    inner = [int(round(k * frames / count / unit)) * unit for k in range(1, count)]
    edges = [0, *[b for b in inner if 0 < b < frames], frames]
    return list(zip(edges[:-1], edges[1:], strict=True))


def _mfcc_row(frame: int, fps: float) -> int:
    return int(round(frame * MFCC_FPS / fps))


def _clip_gaps(
    gaps: Sequence[tuple[float, float]], start: float, end: float
) -> list[tuple[float, float]]:
    """The capture's long face dropouts inside [start, end), in the clip's own seconds."""
    inside = []
    for a, b in gaps:
        lo, hi = max(a, start), min(b, end)
        if hi > lo:
            inside.append((round(lo - start, 3), round(hi - start, 3)))
    return inside


def _safe_id(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", name).strip("._") or "video"


class _Builder:
    """Collects clips into the staging folder, one video at a time."""

    def __init__(self, root: Path, options: PrepareOptions, echo: Callable[[str], None]) -> None:
        self.root = root
        self.options = options
        self.echo = echo
        self.clips: list[_Clip] = []
        self.skipped: list[dict[str, Any]] = []
        self.ids: set[str] = set()

    def skip(self, video: Path, reason: str, **where: float) -> None:
        self.skipped.append({"source": str(video), **where, "reason": reason})
        span = f" {where['start']:.1f}–{where['end']:.1f} s" if where else ""
        self.echo(f"skipped {video}{span}: {reason}")

    def subject_of(self, video: Path) -> str:
        if self.options.subject_per_folder:
            return video.resolve().parent.name or "subject-0"
        return self.options.subject or self.options.out.resolve().name or "subject-0"

    def unique_id(self, base: str) -> str:
        candidate, n = base, 2
        while candidate in self.ids:
            candidate, n = f"{base}-{n}", n + 1
        self.ids.add(candidate)
        return candidate

    def add_video(self, video: Path, progress: ProgressFn) -> None:
        """Capture, separate and write the clips of one video (or skip it, saying why)."""
        from core.capture import capture_video
        from core.capture.video import open_video
        from core.separation import separate

        try:
            info, _ = open_video(video)  # cheap: the facts only, no frame is decoded
        except BadInput as err:
            return self.skip(video, str(err))
        if not info.has_audio:
            return self.skip(video, f"{video.name} has no sound track (the song is its sound)")
        try:
            mix = load_audio(video, FEATURE_SR)
        except BadInput as err:
            return self.skip(video, str(err))
        if float(np.abs(mix).max()) < SILENCE:
            return self.skip(video, f"{video.name}'s sound track is silent")
        try:
            capture = capture_video(video, progress=scaled(progress, 0.0, 0.7))
        except BadInput as err:
            return self.skip(video, str(err))
        performance = capture.performance
        fps = performance.fps
        frames = min(performance.frames, int(math.floor(len(mix) / FEATURE_SR * fps + 1e-6)))
        if frames < MIN_SECONDS * fps:
            return self.skip(
                video, f"{video.name} is too short ({frames / fps:.2f} s; at least {MIN_SECONDS} s)"
            )
        try:
            stems = separate(
                video,
                self.options.separator,
                sr=FEATURE_SR,
                mono=True,
                cache_dir=self.options.cache_dir,
                progress=scaled(progress, 0.7, 0.9),
            )
        except BadInput as err:
            return self.skip(video, str(err))
        mfcc = {
            "vocals_mfcc": mfcc_26(stems.vocals[:, 0]),
            "accomp_mfcc": mfcc_26(stems.accompaniment[:, 0]),
            "mix_mfcc": mfcc_26(mix),
        }
        del mix, stems
        sound = load_audio(video, SEPARATION_SR, mono=False)
        progress("write", 0.95)
        eye_long = np.clip(performance.eye_long, 0.0, 1.0)
        eye_blink = np.clip(performance.eye_blink, 0.0, 1.0)
        curves = {
            "expression": np.clip(performance.expression, 0.0, 1.0).astype(np.float32),
            "pose": performance.pose.astype(np.float32),
            "eye": np.where(eye_long > 0, eye_long, eye_blink).astype(np.float32),
            "eye_long": eye_long.astype(np.float32),
            "eye_blink": eye_blink.astype(np.float32),
        }
        subject = self.subject_of(video)
        bounds = clip_bounds(frames, fps, self.options.clip_seconds)
        base = _safe_id(video.stem)
        written = 0
        for k, (a, b) in enumerate(bounds):
            start, end = a / fps, b / fps
            gaps = _clip_gaps(capture.gaps, start, end)
            lost = sum(hi - lo for lo, hi in gaps)
            if lost > MAX_UNTRACKED * (end - start):
                self.skip(
                    video,
                    f"the face is lost for {lost:.1f} of {end - start:.1f} s",
                    start=round(start, 3),
                    end=round(end, 3),
                )
                continue
            clip_id = self.unique_id(base if len(bounds) == 1 else f"{base}_{k:02d}")
            rows = slice(_mfcc_row(a, fps), _mfcc_row(b, fps))
            arrays: dict[str, Any] = {key: value[rows] for key, value in mfcc.items()}
            if min(len(v) for v in arrays.values()) == 0:
                continue  # cannot happen for clips of at least 0.1 s; never write empty features
            arrays.update({key: value[a:b] for key, value in curves.items()})
            arrays["fps"] = np.asarray(fps, dtype=np.float64)
            write_clip_arrays(self.root, clip_id, arrays)
            samples = slice(round(start * SEPARATION_SR), round(end * SEPARATION_SR))
            mixture = write_clip_audio(
                self.root, f"clips/{clip_id}_mix.flac", sound[samples], SEPARATION_SR
            )
            entry = {
                "id": clip_id,
                "subject": subject,
                "seconds": round((b - a) / fps, 3),
                "source": str(video),
                "start": round(start, 3),
                "end": round(end, 3),
                "mixture": mixture,
                "video_sha256": performance.meta.get("video_sha256"),
                "video_fps": round(capture.video.fps, 3),
                "tracked": round(capture.tracked, 4),  # share of the video's frames
                "gaps": [list(g) for g in gaps],  # face lost > 0.3 s, clip seconds
                "faces_seen": capture.most_faces,
            }
            self.clips.append(_Clip(clip_id, subject, entry))
            written += 1
        if written:
            self.echo(
                f"{video}: {written} clip{'s' * (written != 1)}, {frames / fps:.1f} s; "
                f"{capture.summary()}"
            )


def split_clips(count: int, test_share: float, seed: int) -> list[str]:
    """Each clip's split: a seeded `test_share` of them (at least one of two or more,
    never all) is `test`."""
    n_test = 0
    if count >= 2 and test_share > 0:
        n_test = min(count - 1, max(1, int(round(count * test_share))))
    test = set(np.random.default_rng(seed).choice(count, size=n_test, replace=False).tolist())
    return ["test" if i in test else "train" for i in range(count)]


def prepare(
    options: PrepareOptions,
    progress: ProgressFn = no_progress,
    echo: Callable[[str], None] = lambda line: None,
) -> PrepareResult:
    """Write the dataset of `options.videos` to `options.out`; BadInput when no video gives
    a clip (or `out` must not be touched)."""
    out = Path(options.out)
    replace = check_out(out, options.force)
    videos = video_inputs(options.videos)
    if not options.clip_seconds >= 2 * MIN_SECONDS:
        raise BadInput(f"clip length must be at least {2 * MIN_SECONDS:g} s")
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".partial", dir=out.parent))
    try:
        builder = _Builder(staging, options, echo)
        for index, video in enumerate(videos):
            share = scaled(progress, index / len(videos), (index + 1) / len(videos))
            builder.add_video(video, share)
            share("prepare", 1.0)
        if not builder.clips:
            first = builder.skipped[0]["reason"] if builder.skipped else "no clips"
            raise BadInput(
                f"no usable clips: all {len(videos)} video{'s' * (len(videos) != 1)} "
                f"skipped (first: {first})"
            )
        manifest_path = _write_manifest(staging, options, builder)
        _move_into_place(staging, out, replace)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    progress("prepare", 1.0)
    seconds = sum(float(c.entry["seconds"]) for c in builder.clips)
    return PrepareResult(out / manifest_path.name, len(builder.clips), seconds, builder.skipped)


def _write_manifest(root: Path, options: PrepareOptions, builder: _Builder) -> Path:
    from core.capture.capture import CAPTURE_FPS, ENGINE_VERSION

    subjects: list[str] = []
    for clip in builder.clips:
        if clip.subject not in subjects:
            subjects.append(clip.subject)
    splits = split_clips(len(builder.clips), options.test_share, options.seed)
    entries = [{**c.entry, "split": split} for c, split in zip(builder.clips, splits, strict=True)]
    manifest = {
        "fps": CAPTURE_FPS,
        "expression_names": list(ARKIT_NAMES),
        "subjects": subjects,
        "generator": {
            "tool": TOOL,
            # A model must be used with the separator it trained on; record which.
            **separator_record(options.separator),
            "capture": ENGINE_VERSION,
            "seed": options.seed,
            "test_share": options.test_share,
            "clip_seconds": options.clip_seconds,
            "subject_per_folder": options.subject_per_folder,
        },
        "clips": entries,
        "skipped": builder.skipped,
    }
    return write_manifest(root, manifest)


def _move_into_place(staging: Path, out: Path, replace: bool) -> None:
    """Rename the finished staging folder to `out` (the old dataset goes only after)."""
    os.chmod(staging, 0o777 & ~_umask())  # mkdtemp made it owner-only
    if not replace:
        if out.exists():
            out.rmdir()  # empty (check_out said so)
        staging.rename(out)
        return
    old = staging.with_name(staging.name.replace(".partial", ".old"))
    out.rename(old)
    staging.rename(out)
    shutil.rmtree(old, ignore_errors=True)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
