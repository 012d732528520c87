"""The end of a batch: the summary table, OUT/report.json, and the exit code.

Exit codes: 0 when every song is done (made now or skipped as finished); 4 when some
songs failed and the others are done (a partial batch: report.json says which and why,
and a rerun does only those); when every song failed, the code of their error (2 bad
input, 3 missing model) if they share one, else 1; 130 after a Ctrl-C.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from core.atomic_write import atomic_write
from core.batch.driver import Outcome
from core.errors import exit_code_of

REPORT = "report.json"
PARTIAL = 4  # some songs failed, the others are done
CANCELLED = 130  # Ctrl-C, as for every command


def exit_code(outcomes: list[Outcome]) -> int:
    if any(o.status == "cancelled" for o in outcomes):
        return CANCELLED
    failed = [o for o in outcomes if o.status != "done" and o.status != "skipped"]
    if not failed:
        return 0
    if len(failed) < len(outcomes):
        return PARTIAL
    kinds = {o.kind or "internal" for o in failed}
    return exit_code_of(kinds.pop()) if len(kinds) == 1 else 1


def counts(outcomes: list[Outcome]) -> dict[str, int]:
    tally: dict[str, int] = {}
    for outcome in outcomes:
        tally[outcome.status] = tally.get(outcome.status, 0) + 1
    return tally


def summary_table(outcomes: list[Outcome], wall_seconds: float) -> str:
    """A fixed-width table, one song a row, and a line of totals."""
    width = max([len("song")] + [len(o.song.folder) for o in outcomes])
    rows = [f"{'song':<{width}}  {'status':<9} {'seconds':>8} {'frames':>7} {'retries':>7}  reason"]
    for o in outcomes:
        frames = "-" if o.frames is None else str(o.frames)
        seconds = "-" if o.status == "skipped" else f"{o.seconds:.1f}"
        reason = "" if o.reason is None else (f"({o.stage}) " if o.stage else "") + o.reason
        rows.append(
            f"{o.song.folder:<{width}}  {o.status:<9} {seconds:>8} {frames:>7} {o.retries:>7}"
            f"  {reason}".rstrip()
        )
    tally = ", ".join(f"{n} {status}" for status, n in counts(outcomes).items())
    made = sum(o.status == "done" for o in outcomes)
    rate = f", {60 * made / wall_seconds:.1f} songs/min" if made and wall_seconds > 0 else ""
    rows.append(f"{len(outcomes)} songs: {tally} in {wall_seconds:.1f} s{rate}")
    return "\n".join(rows)


def write_report(out: Path, outcomes: list[Outcome], facts: dict[str, Any]) -> Path:
    """OUT/report.json: the run's facts (settings, workers, time) and every song's outcome."""
    songs = [
        {
            "song": str(o.song.path),
            "folder": o.song.folder,
            "status": o.status,
            "reason": o.reason,
            "kind": o.kind,
            "stage": o.stage,
            "seconds": round(o.seconds, 3),
            "frames": o.frames,
            "retries": o.retries,
        }
        for o in outcomes
    ]
    data = {
        "format": "musicface-batch-report",
        "version": 1,
        "finished": datetime.now(UTC).isoformat(timespec="seconds"),
        **facts,
        "counts": counts(outcomes),
        "exit_code": exit_code(outcomes),
        "songs": songs,
    }
    path = out / REPORT
    with atomic_write(path) as handle:
        handle.write((json.dumps(data, indent=2) + "\n").encode())
    return path
