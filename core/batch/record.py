"""A song's record: `OUT/<song>/record.json`, what the batch finished for it.

Written by the batch's driver only (never by a task), atomically, after each output is
in place. An output counts as finished when the record lists it with the fingerprint of
the settings asked now, for the same song (sha256), and the file is there with the size
recorded. Anything else is made again: a file without its entry (a crash between the
file and the record) too. Partial files only ever have hidden names (`.take.….tmp`,
`.….partial.mp4`), so nothing unfinished looks finished; `sweep` removes those that a
killed run left behind.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from core.atomic_write import atomic_write

RECORD = "record.json"
FORMAT = "musicface-batch-song"
VERSION = 1
OUTPUT_FILES = {"take": "take.npz", "video": "photoreal.mp4", "blend": "scene.blend"}
SEGMENTS = ".segments"  # rendered frame ranges waiting for their join


@dataclass
class SongRecord:
    song: str
    song_sha256: str
    status: str = "working"  # working | done | failed
    reason: str | None = None
    stage: str | None = None  # where it failed
    outputs: dict[str, dict[str, Any]] = field(default_factory=dict)

    def finished(self, name: str, fingerprint: str, folder: Path) -> dict[str, Any] | None:
        """The entry of output `name` if it is finished for `fingerprint`, else None."""
        entry = self.outputs.get(name)
        if entry is None or entry.get("fingerprint") != fingerprint:
            return None
        path = folder / entry["file"]
        try:
            if path.stat().st_size != entry.get("bytes"):
                return None
        except OSError:
            return None
        return entry

    def all_finished(self, wanted: dict[str, str], folder: Path) -> bool:
        return self.status == "done" and all(
            self.finished(name, fingerprint, folder) is not None
            for name, fingerprint in wanted.items()
        )


def load_record(folder: Path, song_sha256: str) -> SongRecord | None:
    """The folder's record if it is one of this song's (same content), else None."""
    try:
        data = json.loads((folder / RECORD).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        return None
    if data.get("song_sha256") != song_sha256:
        return None
    return SongRecord(
        song=str(data.get("song", "")),
        song_sha256=song_sha256,
        status=str(data.get("status", "working")),
        reason=data.get("reason"),
        stage=data.get("stage"),
        outputs=dict(data.get("outputs") or {}),
    )


def save_record(folder: Path, record: SongRecord) -> None:
    data = {
        "format": FORMAT,
        "version": VERSION,
        "song": record.song,
        "song_sha256": record.song_sha256,
        "status": record.status,
        "reason": record.reason,
        "stage": record.stage,
        "outputs": record.outputs,
        "updated": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    with atomic_write(folder / RECORD) as handle:
        handle.write((json.dumps(data, indent=2) + "\n").encode())


def sweep(folder: Path, keep_segments: str | None = None) -> None:
    """Remove what an interrupted run left half-made in `folder`: hidden partial files,
    and rendered segments other than those of `keep_segments` (still valid to join)."""
    for path in folder.glob(".*"):
        if path.is_file() and (path.name.endswith(".tmp") or ".partial" in path.name):
            path.unlink(missing_ok=True)
    segments = folder / SEGMENTS
    if segments.is_dir():
        for path in segments.iterdir():
            if path.name != keep_segments:
                shutil.rmtree(path, ignore_errors=True)
            else:
                for partial in path.glob(".*"):
                    partial.unlink(missing_ok=True)
