"""What a batch asks of every song, checked once, and the fingerprint of each output.

A song's output is redone only when what made it changed: the take's fingerprint covers
the engine version, the checkpoint's content and the generate options; the video's adds
the renderer's content, the size and the codec path; the .blend's adds the scene's
content and the head. So adding `--photoreal` to a finished batch renders the videos and
keeps the takes, and a new seed redoes everything.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import core
from core.audio import file_sha256
from core.errors import BadInput, MissingModel
from core.photoreal.segments import ENCODER_OPTIONS, QUALITY, SEGMENT_FRAMES

FRAMES_PER_TASK = 1200  # 40 s of video, ~4 minutes of a CPU worker at 256²


@dataclass(frozen=True)
class BatchSettings:
    """The options of `musicface batch` (paths absolute once prepared)."""

    checkpoint: Path | None = None
    separator: str = "auto"
    subject: int = 0
    seed: int = 0
    mouth_gate: bool = True
    fps: float | None = None
    device: str = "auto"
    photoreal: bool = False
    renderer: Path | None = None
    size: int | None = None
    blend: Path | None = None  # a scene to animate through the add-on's batch job
    target: str | None = None  # the head in it (None: the active mesh, else MusicFace_Head)
    segment_frames: int = SEGMENT_FRAMES
    frames_per_task: int = FRAMES_PER_TASK


@dataclass(frozen=True)
class Fingerprints:
    take: str
    video: str | None = None
    blend: str | None = None

    def wanted(self) -> dict[str, str]:
        """Output name -> fingerprint, for the outputs this batch makes."""
        wanted = {"take": self.take}
        if self.video is not None:
            wanted["video"] = self.video
        if self.blend is not None:
            wanted["blend"] = self.blend
        return wanted


def _digest(fields: dict[str, object]) -> str:
    text = json.dumps(fields, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def prepare(settings: BatchSettings) -> tuple[BatchSettings, Fingerprints]:
    """Check the options and files every song needs (a missing checkpoint is one error up
    front, not one per song) and fingerprint the outputs. Reads files, loads no model: the
    models are loaded and checked on a worker (tasks.check_models), where torch runs."""
    from core.asset_files import DEFAULT_CHECKPOINT

    if settings.fps is not None and not settings.fps > 0:
        raise BadInput(f"--fps must be positive, got {settings.fps}")
    if settings.frames_per_task < 1:
        raise BadInput(f"--frames-per-task must be positive, got {settings.frames_per_task}")
    if settings.subject < 0 or settings.seed < 0:
        raise BadInput("--subject and --seed must be 0 or more")
    checkpoint = _model_file(settings.checkpoint, DEFAULT_CHECKPOINT, "checkpoint")
    # A task renders whole segments, so that its frames are encoded as one render's.
    per_task = -(-settings.frames_per_task // settings.segment_frames) * settings.segment_frames
    settings = replace(settings, checkpoint=checkpoint, frames_per_task=per_task)
    take = _digest(
        {
            "engine": core.__version__,
            "checkpoint": file_sha256(checkpoint),
            **{k: getattr(settings, k) for k in ("separator", "subject", "seed", "mouth_gate")},
            "fps": settings.fps,
        }
    )
    video = blend = None
    if settings.photoreal:
        settings, video = _prepare_video(settings, take)
    if settings.blend is not None:
        settings, blend = _prepare_blend(settings, take)
    return settings, Fingerprints(take=take, video=video, blend=blend)


def _model_file(path: Path | None, default: Path, what: str) -> Path:
    if path is None:
        if not default.is_file():
            raise MissingModel(
                f"the shipped {what} {default.name} is missing (a partial checkout?)"
            )
        return default
    if not path.is_file():
        raise BadInput(f"{what} not found: {path}")
    return path.resolve()


def _prepare_video(settings: BatchSettings, take: str) -> tuple[BatchSettings, str]:
    from core.asset_files import DEFAULT_RENDERER
    from core.photoreal.segments import check_size

    if settings.size is not None:
        check_size(settings.size)
    renderer = _model_file(settings.renderer, DEFAULT_RENDERER, "renderer")
    settings = replace(settings, renderer=renderer)
    # No size given: the renderer's own, which its content (fingerprinted) fixes.
    codec = {"quality": QUALITY, "options": ENCODER_OPTIONS, "segment": settings.segment_frames}
    return settings, _digest(
        {"take": take, "renderer": file_sha256(renderer), "size": settings.size, "codec": codec}
    )


def _prepare_blend(settings: BatchSettings, take: str) -> tuple[BatchSettings, str]:
    from core.face.template import HEAD_OBJECT, TEMPLATE_PATH

    assert settings.blend is not None
    blend, target = settings.blend, settings.target
    if str(blend) == "template":
        if not TEMPLATE_PATH.is_file():
            raise MissingModel(f"head template missing ({TEMPLATE_PATH}); run build-template")
        blend, target = TEMPLATE_PATH, target or HEAD_OBJECT
    if blend.suffix != ".blend" or not blend.is_file():
        raise BadInput(f"--blend must be an existing .blend file (or 'template'), got {blend}")
    settings = replace(settings, blend=blend.resolve(), target=target)
    return settings, _digest(
        {"take": take, "blend": file_sha256(blend), "target": target, "engine": core.__version__}
    )


def describe(settings: BatchSettings) -> dict[str, object]:
    """The settings as report.json lists them."""
    return {
        key: (str(value) if isinstance(value, Path) else value)
        for key, value in asdict(settings).items()
    }
