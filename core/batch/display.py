"""How a batch shows its progress: two tqdm bars (songs, and photoreal frames), JSON lines
for `--progress json`, or a line per song where stderr is not a terminal."""

from __future__ import annotations

import json
import sys
import threading

from core.batch.driver import Display, Outcome
from core.progress import ProgressFn


def _line(outcome: Outcome, done: int, total: int) -> str:
    text = f"[{done}/{total}] {outcome.song.folder}: {outcome.status}"
    if outcome.reason:
        text += f" ({outcome.stage}): {outcome.reason}" if outcome.stage else f": {outcome.reason}"
    elif outcome.status == "done":
        text += f" in {outcome.seconds:.1f} s"
    return text


class Bars(Display):
    """A bar for the songs and, with --photoreal, one for the frames of all videos."""

    def __init__(self, total: int, photoreal: bool) -> None:
        from tqdm import tqdm

        self._lock = threading.Lock()
        self._songs = tqdm(total=total, unit="song", desc="songs", position=0, dynamic_ncols=True)
        self._frames = (
            tqdm(total=0, unit="frame", desc="frames", position=1, dynamic_ncols=True)
            if photoreal
            else None
        )

    def note(self, text: str) -> None:
        with self._lock:
            self._songs.write(text, file=sys.stderr)

    def song_finished(self, outcome: Outcome, done: int, total: int) -> None:
        with self._lock:
            if outcome.status == "failed":
                self._songs.write(_line(outcome, done, total), file=sys.stderr)
            self._songs.update(1)

    def frames(self, done: int, total: int) -> None:
        if self._frames is None:
            return
        with self._lock:
            self._frames.total = total
            self._frames.n = min(done, total)
            self._frames.refresh()

    def close(self) -> None:
        for bar in (self._frames, self._songs):
            if bar is not None:
                bar.close()


class Lines(Display):
    """One line per finished song on stderr (logs, pipes); `quiet`: only failures."""

    def __init__(self, quiet: bool = False) -> None:
        self.quiet = quiet

    def note(self, text: str) -> None:
        if not self.quiet:
            print(text, file=sys.stderr, flush=True)

    def song_finished(self, outcome: Outcome, done: int, total: int) -> None:
        if not self.quiet or outcome.status == "failed":
            print(_line(outcome, done, total), file=sys.stderr, flush=True)

    def close(self) -> None:
        pass


class JsonLines(Display):
    """`{"stage": "songs"|"frames", "progress": f}` (as every command) and, per song,
    `{"song": FOLDER, "status": …, "reason": …}` on stdout; notes go to stderr."""

    def __init__(self, progress: ProgressFn) -> None:
        self._progress = progress
        self._lock = threading.Lock()

    def note(self, text: str) -> None:
        print(text, file=sys.stderr, flush=True)

    def song_finished(self, outcome: Outcome, done: int, total: int) -> None:
        line = {"song": outcome.song.folder, "status": outcome.status, "reason": outcome.reason}
        with self._lock:
            print(json.dumps(line), flush=True)
            self._progress("songs", done / total)

    def frames(self, done: int, total: int) -> None:
        if total:
            with self._lock:
                self._progress("frames", done / total)

    def close(self) -> None:
        pass
