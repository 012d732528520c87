"""The batch's driver: each song's tasks go to the cluster as their inputs are ready, what
finishes is recorded, and every song ends done, skipped or failed with one line why.

A song's way: its take (unless the record holds it, for the same song and settings),
then, from the take, its .blend and its photoreal frame ranges (whole segments, one task
each, skipping segments an earlier run finished), then the join of the ranges with the
song. Dask places and runs the tasks, retries them (once, after an error that is not the
user's, or after their worker died), and reports their progress through its event log;
the driver only decides what comes next for a song when one of its tasks is done.
"""

from __future__ import annotations

import shutil
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from core.audio import file_sha256
from core.batch import tasks
from core.batch.record import SEGMENTS, SongRecord, load_record, save_record, sweep
from core.batch.settings import BatchSettings, Fingerprints
from core.batch.songs import Song
from core.batch.tasks import Failed
from core.photoreal.segments import segment_ranges

if TYPE_CHECKING:
    from distributed import Client, Future

# Later stages first: a song that has its take is finished before new songs start.
PRIORITY = {"take": 0, "blend": 1, "render": 1, "join": 2}


@dataclass
class Outcome:
    song: Song
    status: str  # done | skipped | failed | cancelled
    reason: str | None = None
    kind: str | None = None  # of a failure: bad_input | missing_model | internal
    stage: str | None = None
    seconds: float = 0.0
    frames: int | None = None
    retries: int = 0  # task runs beyond the first (after a dead worker or an error)


class Display:
    """What the driver tells the user as it goes (core/batch/display.py draws it)."""

    def note(self, text: str) -> None: ...

    def song_finished(self, outcome: Outcome, done: int, total: int) -> None: ...

    def frames(self, done: int, total: int) -> None: ...

    def close(self) -> None: ...


@dataclass
class _SongRun:
    song: Song
    folder: Path
    record: SongRecord
    started: float = field(default_factory=time.monotonic)
    pending: int = 0
    take: dict[str, Any] | None = None
    ranges: dict[int, list[str] | None] = field(default_factory=dict)
    failure: tuple[str, Failed] | None = None
    finished: bool = False

    def fail(self, stage: str, failed: Failed) -> None:
        if self.failure is None:  # the first reason is the one to fix
            self.failure = (stage, failed)


def one_line(error: BaseException) -> Failed:
    """A task's exception as the line a user reads."""
    from distributed import KilledWorker

    if isinstance(error, KilledWorker):
        return Failed("its worker died each time it ran it (killed, or out of memory)", "internal")
    if isinstance(error, OSError) and error.strerror:
        where = f": {error.filename}" if error.filename else ""
        return Failed(f"{error.strerror}{where}", "internal")
    first = (str(error).strip().splitlines() or [""])[0]
    return Failed(f"internal error: {type(error).__name__}: {first}", "internal")


class BatchDriver:
    """`plan` reads every song's record (no cluster needed: a batch with nothing left to do
    starts none); `run` sends what is left to the cluster of `client`."""

    def __init__(
        self,
        out: Path,
        settings: BatchSettings,
        fingerprints: Fingerprints,
        display: Display | None = None,
        on_event: Callable[[dict[str, Any]], None] | None = None,
    ) -> None:
        self.out = out
        self.settings = settings
        self.fingerprints = fingerprints
        self.display = display or Display()
        self.on_event = on_event
        self._lock = threading.Lock()
        self._frames: dict[tuple[str, int], int] = {}
        self._total_frames = 0
        self._starts: dict[str, int] = {}  # task key -> runs started
        self._keys: dict[str, list[str]] = {}  # song folder -> its task keys
        self._futures: dict[Future, tuple[_SongRun, str, int]] = {}
        self._order: dict[str, int] = {}
        self._runs: list[_SongRun] = []
        self._total = 0
        self.outcomes: list[Outcome] = []

    # --- events from the workers (Dask's event log; called on the client's IO thread)

    def _event(self, event: tuple[float, dict[str, Any]]) -> None:
        message = event[1]
        with self._lock:
            if message.get("event") == "start" and message.get("key"):
                self._starts[message["key"]] = self._starts.get(message["key"], 0) + 1
            if message.get("event") == "frames":
                self._frames[(message["song"], message["segment"])] = message["frames"]
                self.display.frames(sum(self._frames.values()), self._total_frames)
        if self.on_event is not None:
            self.on_event(message)

    # --- the run

    def plan(self, songs: list[Song]) -> int:
        """Read the records: finished songs are skipped, unreadable ones failed, now; the
        number of songs left to run."""
        self._order = {song.folder: i for i, song in enumerate(songs)}
        self._total = len(songs)
        for song in songs:
            self._plan(song)
        self._sort()
        return self.left

    @property
    def left(self) -> int:
        """Songs planned to run."""
        return len(self._runs)

    def run(self, client: Client) -> list[Outcome]:
        """The planned songs through their tasks; every song's outcome, in the songs' order.
        Ctrl-C cancels what is running, marks those songs cancelled and raises
        KeyboardInterrupt."""
        from distributed import as_completed

        self.client = client
        client.subscribe_topic(tasks.TOPIC, self._event)
        self._completed = as_completed()
        try:
            self._check_models()
            for run in self._runs:
                self._start(run)
            for future in self._completed:
                self._on_done(future)
        except KeyboardInterrupt:
            client.cancel(list(self._futures))
            for run in self._runs:
                if not run.finished:
                    self._finish(run, cancelled=True)
            raise
        finally:
            client.unsubscribe_topic(tasks.TOPIC)
            self._sort()
        return self.outcomes

    def _check_models(self) -> None:
        """The models load on a worker (tasks.check_models) before any song is sent."""
        from distributed import wait

        from core.errors import BadInput, MissingModel, MusicFaceError

        checked = self.client.submit(tasks.check_models, self.settings, pure=False, retries=1)
        wait(checked)
        result = self._result(checked)
        checked.release()
        if isinstance(result, Failed):
            error = {"bad_input": BadInput, "missing_model": MissingModel}.get(result.kind)
            raise (error or MusicFaceError)(result.reason)

    def _sort(self) -> None:
        self.outcomes.sort(key=lambda outcome: self._order[outcome.song.folder])

    def _submit(self, run: _SongRun, stage: str, function: Callable, *args: Any, index: int = 0):
        key = f"{stage}-{run.song.folder}-{uuid.uuid4().hex[:8]}"
        future = self.client.submit(
            function, *args, key=key, pure=False, retries=1, priority=PRIORITY[stage]
        )
        self._keys.setdefault(run.song.folder, []).append(key)
        self._futures[future] = (run, stage, index)
        run.pending += 1
        self._completed.add(future)

    def _plan(self, song: Song) -> None:
        folder = self.out / song.folder
        try:
            sha = file_sha256(song.path)
        except OSError as err:
            reason = "song not found" if isinstance(err, FileNotFoundError) else err.strerror
            outcome = Outcome(song, "failed", f"{reason}: {song.path}", "bad_input", "read")
            self._record_outcome(outcome)
            return
        record = load_record(folder, sha) or SongRecord(song=str(song.path), song_sha256=sha)
        if record.all_finished(self.fingerprints.wanted(), folder):
            frames = record.outputs["take"].get("frames")
            self._record_outcome(Outcome(song, "skipped", frames=frames))
            return
        self._runs.append(_SongRun(song, folder, record))

    def _start(self, run: _SongRun) -> None:
        run.started = time.monotonic()
        run.folder.mkdir(parents=True, exist_ok=True)
        record = run.record
        run.take = record.finished("take", self.fingerprints.take, run.folder)
        # What a killed run left half-made goes; the segments of this very take stay.
        keep = self._segments_name(run) if run.take and self.fingerprints.video else None
        sweep(run.folder, keep)
        record.status, record.reason, record.stage = "working", None, None
        if run.take is None:
            self._submit(
                run,
                "take",
                tasks.make_take,
                str(run.song.path),
                str(run.folder),
                self.settings,
                self.fingerprints.take,
            )
        else:
            self._after_take(run)
            if run.pending == 0:
                self._finish(run)

    def _segments_name(self, run: _SongRun) -> str:
        assert run.take is not None and self.fingerprints.video is not None
        return f"{run.take['sha256'][:12]}-{self.fingerprints.video[:12]}"

    def _after_take(self, run: _SongRun) -> None:
        """The take is there: the .blend and the video, unless finished already."""
        assert run.take is not None
        take = str(run.folder / run.take["file"])
        song = str(run.song.path)
        fingerprints = self.fingerprints
        if fingerprints.blend and not run.record.finished("blend", fingerprints.blend, run.folder):
            self._submit(
                run,
                "blend",
                tasks.make_blend,
                take,
                song,
                str(run.folder),
                self.settings,
                fingerprints.blend,
            )
        if fingerprints.video and not run.record.finished("video", fingerprints.video, run.folder):
            segments = run.folder / SEGMENTS / self._segments_name(run)
            segments.mkdir(parents=True, exist_ok=True)
            ranges = segment_ranges(int(run.take["frames"]), self.settings.segment_frames)
            per_task = self.settings.frames_per_task // self.settings.segment_frames
            with self._lock:
                self._total_frames += int(run.take["frames"])
            for index, first in enumerate(range(0, len(ranges), per_task)):
                run.ranges[index] = None
                self._submit(
                    run,
                    "render",
                    tasks.render_range,
                    take,
                    str(segments),
                    ranges[first : first + per_task],
                    self.settings,
                    index=index,
                )

    def _on_done(self, future: Future) -> None:
        run, stage, index = self._futures.pop(future)
        run.pending -= 1
        result = self._result(future)
        # Let Dask forget the task now: while the client holds a finished task's future,
        # a worker that dies holding its result makes Dask run the task again, and a
        # finished song's take was made and written a second time.
        future.release()
        if isinstance(result, Failed):
            run.fail(stage, result)
        elif stage == "take":
            run.take = result
            self._store(run, "take", result)
            self._after_take(run)
        elif stage == "render":
            run.ranges[index] = result
            if all(parts is not None for parts in run.ranges.values()) and run.failure is None:
                assert run.take is not None
                parts = [part for i in sorted(run.ranges) for part in run.ranges[i] or []]
                self._submit(
                    run,
                    "join",
                    tasks.join_video,
                    str(run.folder / run.take["file"]),
                    str(run.song.path),
                    parts,
                    str(run.folder),
                    self.settings,
                    self.fingerprints.video,
                )
        elif stage == "join":
            self._store(run, "video", result)
            shutil.rmtree(run.folder / SEGMENTS, ignore_errors=True)
        elif stage == "blend":
            self._store(run, "blend", result)
        if run.pending == 0:
            self._finish(run)

    @staticmethod
    def _result(future: Future) -> Any:
        if future.status == "finished":
            return future.result()
        if future.status == "cancelled":
            return Failed("cancelled", "internal")
        error = future.exception()
        return one_line(error) if error is not None else Failed("unknown error", "internal")

    def _store(self, run: _SongRun, name: str, entry: dict[str, Any]) -> None:
        run.record.outputs[name] = entry
        try:
            save_record(run.folder, run.record)
        except Exception as err:  # noqa: BLE001 - a full disk fails the song, not the batch
            run.fail("record", Failed(f"cannot write its record: {err}", "internal"))

    def _finish(self, run: _SongRun, cancelled: bool = False) -> None:
        run.finished = True
        record = run.record
        if cancelled:
            outcome = Outcome(run.song, "cancelled", "cancelled before it finished")
        elif run.failure is not None:
            stage, failed = run.failure
            record.status, record.reason, record.stage = "failed", failed.reason, stage
            outcome = Outcome(run.song, "failed", failed.reason, failed.kind, stage)
        else:
            record.status = "done"
            outcome = Outcome(run.song, "done")
        if not cancelled:
            try:
                save_record(run.folder, record)
            except Exception as err:  # noqa: BLE001
                if outcome.status == "done":
                    reason = f"cannot write its record: {err}"
                    outcome = Outcome(run.song, "failed", reason, "internal", "record")
        outcome.seconds = time.monotonic() - run.started
        outcome.frames = run.take.get("frames") if run.take else None
        with self._lock:
            starts = [self._starts.get(key, 1) for key in self._keys.get(run.song.folder, [])]
        outcome.retries = sum(max(0, n - 1) for n in starts)
        self._record_outcome(outcome)

    def _record_outcome(self, outcome: Outcome) -> None:
        self.outcomes.append(outcome)
        self.display.song_finished(outcome, len(self.outcomes), self._total)


def run_batch(
    client: Client,
    songs: list[Song],
    out: Path,
    settings: BatchSettings,
    fingerprints: Fingerprints,
    display: Display | None = None,
    on_event: Callable[[dict[str, Any]], None] | None = None,
) -> list[Outcome]:
    """Run `songs` on the cluster of `client` into `out`; an outcome per song."""
    driver = BatchDriver(out, settings, fingerprints, display, on_event)
    if driver.plan(songs):
        driver.run(client)
    return driver.outcomes
