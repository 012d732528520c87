"""The batch's tasks: the engine's own functions, as a Dask worker runs them.

Each task makes one output of one song and writes it into the song's folder (on a
filesystem every worker and the driver see at the same path): `make_take` is
`generate()` + `Performance.save`, `render_range` is `render_segment` over a span of
segments, `join_video` is `join_segments` with the song, `make_blend` is the add-on's
headless batch job. Every file appears under its final name only when complete.

An error the user can act on (an unreadable song: the engine's `MusicFaceError`) comes
back as a `Failed` value, because running it again gives the same error; anything else
(a full disk, a bug) is raised, and Dask retries the task once. A worker that dies
(killed, out of memory) is Dask's to handle: it runs the task again on another worker.

Tasks report to the driver through Dask's event log (topic TOPIC): when they start
(with the worker's pid, so a test can kill it) and how many frames are rendered.
"""

from __future__ import annotations

import os
import time
import uuid
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from core.batch.record import OUTPUT_FILES
from core.batch.settings import BatchSettings
from core.errors import MusicFaceError

if TYPE_CHECKING:
    from core.checkpoints import LoadedGenerator
    from core.photoreal.renderer_file import LoadedRenderer

TOPIC = "musicface-batch"
EVENT_INTERVAL = 0.5  # seconds between frame counts from one task


@dataclass(frozen=True)
class Failed:
    """A song's output could not be made, for a reason the user can act on."""

    reason: str
    kind: str  # the JSON `kind` of DESIGN.md: bad_input | missing_model | internal


def log_event(message: dict[str, Any], start: bool = False) -> None:
    """Send `message` to the driver through Dask's event log (nothing outside a worker);
    a task's `start` also names the task and the worker's process."""
    from distributed import get_worker

    try:
        worker = get_worker()
    except ValueError:
        return
    if start:
        message = {
            **message,
            "event": "start",
            "key": str(worker.get_current_task()),
            "pid": os.getpid(),
        }
    worker.log_event(TOPIC, message)


def _started(song: str, task: str) -> None:
    log_event({"song": song, "task": task}, start=True)


@lru_cache(maxsize=2)
def _generator(path: str, device: str) -> LoadedGenerator:
    from core.checkpoints import load_checkpoint

    return load_checkpoint(path, device=device)


@lru_cache(maxsize=2)
def _renderer(path: str, device: str) -> LoadedRenderer:
    from core.device import resolve_device
    from core.photoreal.renderer_file import load_renderer

    return load_renderer(path, resolve_device(device))


def _output(folder: Path, name: str, fingerprint: str, **facts: Any) -> dict[str, Any]:
    from core.audio import file_sha256

    path = folder / OUTPUT_FILES[name]
    return {
        "file": path.name,
        "fingerprint": fingerprint,
        "bytes": path.stat().st_size,
        "sha256": file_sha256(path),
        **facts,
    }


def check_models(settings: BatchSettings) -> dict[str, Any] | Failed:
    """Load the checkpoint (and the renderer) as the songs' tasks will, before any song:
    a file that is not a model, or a subject it does not know, is one error for the batch."""
    _started("", "check")
    try:
        loaded = _generator(str(settings.checkpoint), settings.device)
        subjects = loaded.model.config.n_subjects
        if not 0 <= settings.subject < subjects:
            return Failed(
                f"subject {settings.subject} is out of range: this checkpoint knows subjects "
                f"0..{subjects - 1}",
                "bad_input",
            )
        if settings.photoreal:
            _renderer(str(settings.renderer), settings.device)
    except MusicFaceError as err:
        return Failed(str(err), err.kind)
    return {"subjects": subjects}


def make_take(
    song: str, folder: str, settings: BatchSettings, fingerprint: str
) -> dict[str, Any] | Failed:
    """The song's take (`generate`) saved as OUT/<song>/take.npz."""
    from core.generate import generate

    where = Path(folder)
    _started(where.name, "take")
    try:
        performance = generate(
            song,
            checkpoint=_generator(str(settings.checkpoint), settings.device),
            separator=settings.separator,
            subject=settings.subject,
            seed=settings.seed,
            mouth_gate=settings.mouth_gate,
            device=settings.device,
        )
        if settings.fps is not None:
            performance = performance.resample(settings.fps)
        performance.save(where / OUTPUT_FILES["take"])
    except MusicFaceError as err:
        return Failed(str(err), err.kind)
    return _output(
        where,
        "take",
        fingerprint,
        frames=performance.frames,
        fps=performance.fps,
        separator=str(performance.meta.get("separator", "")),
    )


def render_range(
    take: str, segments: str, ranges: list[tuple[int, int]], settings: BatchSettings
) -> list[str] | Failed:
    """Segments [start, stop) of the take's photoreal video, each rendered and encoded into
    `segments`/<start>.mp4 unless an earlier attempt already finished it."""
    from core.device import resolve_device
    from core.performance import Performance
    from core.photoreal.render_video import render_segment

    folder = Path(segments)
    song = folder.parent.parent.name
    paths = []
    _started(song, "render")
    try:
        performance = Performance.load(take)
        renderer = _renderer(str(settings.renderer), settings.device)
        device = resolve_device(settings.device)
        size = settings.size or renderer.size
        for start, stop in ranges:
            path = folder / f"{start:08d}.mp4"
            if not path.is_file():
                progress = _frame_events(song, start, stop)
                render_segment(
                    performance,
                    renderer,
                    start,
                    stop,
                    path,
                    size=size,
                    device=device,
                    progress=progress,
                )
            log_event({"song": song, "event": "frames", "segment": start, "frames": stop - start})
            paths.append(str(path))
    except MusicFaceError as err:
        return Failed(str(err), err.kind)
    return paths


def _frame_events(song: str, start: int, stop: int):  # noqa: ANN202  (a ProgressFn)
    last = [0.0]

    def report(stage: str, fraction: float) -> None:
        now = time.monotonic()
        if now - last[0] >= EVENT_INTERVAL:
            last[0] = now
            done = round(fraction * (stop - start))
            log_event({"song": song, "event": "frames", "segment": start, "frames": done})

    return report


def join_video(
    take: str, song: str, parts: list[str], folder: str, settings: BatchSettings, fingerprint: str
) -> dict[str, Any] | Failed:
    """The rendered segments joined (no new encode) with the song: OUT/<song>/photoreal.mp4."""
    from core.performance import Performance
    from core.photoreal.render_video import video_tags
    from core.photoreal.segments import join_segments

    where = Path(folder)
    _started(where.name, "join")
    try:
        performance = Performance.load(take)
        renderer = _renderer(str(settings.renderer), settings.device)
        join_segments(
            [Path(part) for part in parts],
            where / OUTPUT_FILES["video"],
            fps=performance.fps,
            frames=performance.frames,
            song=Path(song),
            tags=video_tags(renderer),
        )
    except MusicFaceError as err:
        return Failed(str(err), err.kind)
    return _output(where, "video", fingerprint, frames=performance.frames)


def make_blend(
    take: str, song: str, folder: str, settings: BatchSettings, fingerprint: str
) -> dict[str, Any] | Failed:
    """The take as keyframes in the scene, by the add-on's headless batch job (the
    `musicface.headless` "keyframes" program, as `musicface animate` runs it)."""
    from core.commands.animate import run_headless

    where = Path(folder)
    partial = where / f".scene.{uuid.uuid4().hex[:8]}.partial.blend"
    argv = [
        "--",
        "--blend",
        str(settings.blend),
        "--song",
        song,
        "--seed",
        str(settings.seed),
        "--performance",
        take,
        "--out",
        str(partial),
    ]
    if settings.target:
        argv += ["--target", settings.target]
    _started(where.name, "blend")
    try:
        run_headless("keyframes", argv, "writing the keyframes failed")
        os.replace(partial, where / OUTPUT_FILES["blend"])
    except MusicFaceError as err:
        return Failed(str(err), err.kind)
    finally:
        partial.unlink(missing_ok=True)
    return _output(where, "blend", fingerprint)
