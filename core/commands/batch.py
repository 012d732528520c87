"""`musicface batch SONGS -o OUT_DIR`: many songs through generate (and the .blend, and the
photoreal video), resumable, on this machine's cores or on a Dask cluster."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

from core.commands.song_arguments import add_device_argument, add_model_arguments
from core.errors import BadInput, MissingModel, MusicFaceError
from core.progress import ProgressFn
from core.separation.names import SEPARATORS

if TYPE_CHECKING:  # the engine and Dask load when the command runs
    from core.batch.display import Bars, JsonLines, Lines
    from core.batch.driver import BatchDriver, Display
    from core.batch.settings import BatchSettings

NAME = "batch"
HELP = (
    "run many songs (a folder or a list) through generate, and optionally the photoreal "
    "render and a .blend: one folder each, resumable, on a Dask cluster"
)
OWN_BARS = True  # two bars (songs, frames): cli.py leaves the drawing to this command


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.epilog = (
        "exit codes: 0 every song done (or already finished); 4 some songs failed, the others "
        "are done (OUT_DIR/report.json says why; a rerun does only what is missing); when "
        "every song failed, 2 (bad input), 3 (missing model) or 1"
    )
    parser.add_argument("songs", type=Path, help="a folder of songs, a list file, or a song")
    parser.add_argument("-o", "--out", type=Path, required=True, help="output folder")
    parser.add_argument("--separator", choices=SEPARATORS, default="auto")
    add_model_arguments(parser)
    add_device_argument(parser)
    parser.add_argument("--fps", type=float, help="resample each take to this frame rate")
    parser.add_argument(
        "--photoreal", action="store_true", help="also render each take's photoreal video"
    )
    parser.add_argument("--renderer", type=Path, help="renderer .pt (default: the bundled one)")
    parser.add_argument("--size", type=int, help="photoreal frame size (default: the renderer's)")
    parser.add_argument(
        "--frames-per-task",
        type=int,
        default=None,
        help="photoreal frames one task renders (rounded up to whole segments; default 1200)",
    )
    parser.add_argument(
        "--blend",
        type=Path,
        help="also animate this .blend (or 'template') through the add-on's batch job",
    )
    parser.add_argument("--target", help="the head mesh in --blend (default: the active mesh)")
    parser.add_argument(
        "--workers", type=int, help="local worker processes (default: one per core)"
    )
    parser.add_argument(
        "--threads-per-worker",
        type=int,
        help="torch threads of each local worker (default: its share of the cores)",
    )
    parser.add_argument(
        "--scheduler", help="run on an existing Dask cluster: its scheduler's tcp://HOST:PORT"
    )
    parser.add_argument("--no-dashboard", action="store_true", help="do not serve Dask's dashboard")


def _settings(args: argparse.Namespace) -> BatchSettings:
    from core.batch.settings import FRAMES_PER_TASK, BatchSettings

    if args.photoreal is False and (args.renderer or args.size or args.frames_per_task):
        raise BadInput("--renderer, --size and --frames-per-task go with --photoreal")
    if args.target and args.blend is None:
        raise BadInput("--target goes with --blend")
    return BatchSettings(
        checkpoint=args.checkpoint,
        separator=args.separator,
        subject=args.subject,
        seed=args.seed,
        mouth_gate=not args.no_mouth_gate,
        fps=args.fps,
        device=args.device,
        photoreal=args.photoreal,
        renderer=args.renderer,
        size=args.size,
        blend=args.blend,
        target=args.target,
        frames_per_task=args.frames_per_task or FRAMES_PER_TASK,
    )


def _display(
    args: argparse.Namespace, progress: ProgressFn, songs: int, photoreal: bool
) -> Bars | JsonLines | Lines:
    from core.batch.display import Bars, JsonLines, Lines

    if args.progress == "json":
        return JsonLines(progress)
    if args.progress == "bar" and sys.stderr.isatty():
        return Bars(songs, photoreal)
    return Lines(quiet=args.progress == "none")


def run(args: argparse.Namespace, progress: ProgressFn) -> int:
    from core.batch.driver import BatchDriver
    from core.batch.out_dir import claim
    from core.batch.report import PARTIAL, exit_code, summary_table, write_report
    from core.batch.settings import describe, prepare
    from core.batch.songs import find_songs

    if args.scheduler and (args.workers is not None or args.threads_per_worker is not None):
        raise BadInput(
            "--workers and --threads-per-worker size the local cluster: with --scheduler, "
            "the cluster's own workers run"
        )
    songs = find_songs(args.songs)
    settings, fingerprints = prepare(_settings(args))
    lock = claim(args.out)
    display = _display(args, progress, len(songs), settings.photoreal)
    started = time.monotonic()
    facts: dict[str, object] = {"out": str(args.out.resolve()), "scheduler": None, "workers": 0}
    driver = BatchDriver(args.out, settings, fingerprints, display)
    try:
        if driver.plan(songs):
            facts = _run(args, driver, display, len(songs), started)
        else:
            display.note(f"all {len(songs)} songs are finished: nothing to do")
    except KeyboardInterrupt:
        display.close()
        print(summary_table(driver.outcomes, time.monotonic() - started), file=sys.stderr)
        raise
    finally:
        display.close()
        lock.close()
    outcomes = driver.outcomes
    wall = time.monotonic() - started
    facts.update(settings=describe(settings), wall_seconds=round(wall, 3))
    try:
        report = write_report(args.out, outcomes, facts)
    except (OSError, BadInput) as err:
        print(summary_table(outcomes, wall), file=sys.stderr)
        raise MusicFaceError(f"cannot write {args.out}/report.json: {err}") from err
    print(summary_table(outcomes, wall), file=sys.stderr)
    print(f"wrote {report}", file=sys.stderr)
    args.done_path = report
    code = exit_code(outcomes)
    failed = [o for o in outcomes if o.status == "failed"]
    if code == PARTIAL:
        message = f"{len(failed)} of {len(outcomes)} songs failed, the others are done ({report})"
        if args.progress == "json":
            import json

            print(json.dumps({"error": message, "kind": "partial", "report": str(report)}))
        print(f"musicface: error: {message}", file=sys.stderr)
    elif code != 0:
        first = failed[0]
        message = f"all {len(outcomes)} songs failed; {first.song.folder}: {first.reason}"
        error = {2: BadInput, 3: MissingModel}.get(code, MusicFaceError)
        raise error(message)
    return code


def _warm_librosa(display: Display) -> None:
    """Workers that compile librosa's kernels at once can leave a cache that crashes every
    later process (core/librosa_cache.py): one process compiles them first."""
    from core import librosa_cache

    if librosa_cache.is_warm():
        return
    display.note("compiling librosa's numba kernels once, before the workers start (~30 s)")
    librosa_cache.warm()


def _run(
    args: argparse.Namespace, driver: BatchDriver, display: Display, songs: int, started: float
) -> dict[str, object]:
    """The songs left, on the local cluster or the one at --scheduler; report.json's facts
    of the run (a cancel writes the report too, then goes on as KeyboardInterrupt)."""
    from core.batch.cluster import connect, start_local
    from core.batch.report import write_report
    from core.batch.settings import describe

    if not args.scheduler:
        _warm_librosa(display)
    cluster = (
        connect(args.scheduler)
        if args.scheduler
        else start_local(args.workers, args.threads_per_worker, dashboard=not args.no_dashboard)
    )
    facts: dict[str, object] = {
        "out": str(args.out.resolve()),
        "scheduler": args.scheduler or "local",
        "workers": cluster.workers,
        "threads_per_worker": cluster.threads,
    }
    try:
        threads = cluster.threads
        each = f" ({threads} torch thread{'s' if threads > 1 else ''} each)" if threads else ""
        left = f"{driver.left} of {songs} songs" if driver.left < songs else f"{songs} songs"
        display.note(f"{left} on {cluster.workers} Dask workers{each}")
        if cluster.dashboard:
            display.note(f"Dask dashboard: {cluster.dashboard}")
        running = time.monotonic()
        try:
            driver.run(cluster.client)
            # From the cluster being up to the last song: the rate a long batch keeps.
            facts["run_seconds"] = round(time.monotonic() - running, 3)
        except KeyboardInterrupt:
            facts.update(settings=describe(driver.settings))
            facts["wall_seconds"] = round(time.monotonic() - started, 3)
            write_report(args.out, driver.outcomes, facts)
            raise
    finally:
        cluster.close()
    return facts
