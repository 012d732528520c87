"""Running the MusicFace engine as a subprocess (argv list, never a shell).

The add-on never imports torch: it starts `python -m core.cli --progress json
generate …` (a song), `… capture …` (a face on video) or `… render …` (a take as a
photoreal video) in the engine's interpreter, follows its JSON lines (`{"stage",
"progress"}`, then `{"done"}` or `{"error", "kind"}`) and hands over the file it wrote
in the job's own temporary folder. One job runs any of them: a request only says
which command, its arguments and the name of its output.
bpy-free, so it is testable on its own.
"""

from __future__ import annotations

import json
import os
import queue
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar

from .core_link import MissingModel, MusicFaceError, Performance, kind_of

REPOSITORY = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class GenerateRequest:
    """`musicface generate`: a song → a Performance."""

    song: Path
    seed: int = 0
    subject: int = 0
    separator: str = "auto"
    vocals: Path | None = None
    accompaniment: Path | None = None
    checkpoint: Path | None = None
    mouth_gate: bool = True  # the mouth rests where the separated vocals are quiet
    lyrics: Path | None = None  # a lyrics file (.txt or .lrc)
    lyrics_text: str = ""  # or the lyrics themselves (a Blender text block)
    lyrics_strength: float = 0.5
    language: str = "auto"
    output_name: ClassVar[str] = "performance.npz"
    lyrics_name: ClassVar[str] = "lyrics.txt"

    def prepare(self, workdir: Path) -> None:
        # A text block's lyrics go to the job's folder, never beside the user's files.
        if self.lyrics is None and self.lyrics_text:
            (workdir / self.lyrics_name).write_text(self.lyrics_text, encoding="utf-8")

    def arguments(self, out: Path) -> list[str]:
        argv = ["generate", str(self.song), "-o", str(out)]
        if not self.mouth_gate:
            argv.append("--no-mouth-gate")
        lyrics = self.lyrics
        if lyrics is None and self.lyrics_text:
            lyrics = out.parent / self.lyrics_name
        if lyrics is not None:
            argv += ["--lyrics", str(lyrics), "--lyrics-strength", f"{self.lyrics_strength:g}"]
            argv += ["--language", self.language or "auto"]
        argv += ["--seed", str(self.seed), "--subject", str(self.subject)]
        argv += ["--separator", self.separator]
        if self.vocals is not None and self.accompaniment is not None:
            argv += ["--vocals", str(self.vocals), "--accompaniment", str(self.accompaniment)]
        if self.checkpoint is not None:
            argv += ["--checkpoint", str(self.checkpoint)]
        return argv


# `musicface capture`'s own defaults (core/commands/capture.py), which a request leaves unsaid.
CAPTURE_CALIBRATIONS = ("template", "raw")  # or the path of a calibration .json
CAPTURE_MAX_SIDE = 512
CAPTURE_MAX_SIDE_RANGE = (128, 2048)


@dataclass(frozen=True)
class CaptureRequest:
    """`musicface capture`: a face on video → a Performance (its sound, if any, is the song).

    `calibration` is "template" (the MusicFace head's scale), "raw" (MediaPipe's own
    scores) or a calibration .json; `max_side` is the long side the tracker sees, in px.
    """

    video: Path
    calibration: str | Path = CAPTURE_CALIBRATIONS[0]
    smoothing: bool = True
    max_side: int = CAPTURE_MAX_SIDE
    own_neutral: bool = True  # the performer's face at rest is the head's rest
    output_name: ClassVar[str] = "performance.npz"

    def arguments(self, out: Path) -> list[str]:
        # Only what differs from the engine's defaults, so its defaults stay its own.
        argv = ["capture", str(self.video), "-o", str(out)]
        if str(self.calibration) != CAPTURE_CALIBRATIONS[0]:
            argv += ["--calibration", str(self.calibration)]
        if not self.smoothing:
            argv.append("--no-smoothing")
        if self.max_side != CAPTURE_MAX_SIDE:
            argv += ["--max-side", str(self.max_side)]
        if not self.own_neutral:
            argv += ["--neutral", "none"]
        return argv


RENDER_SIZES = (256, 512)


@dataclass(frozen=True, eq=False)
class RenderRequest:
    """`musicface render`: a take (sampled back from the scene) → a photoreal video.

    The take is written into the job's temporary folder when the job starts, never
    beside the user's files; the engine muxes the song named in its meta["song"].
    """

    performance: Performance
    renderer: Path | None = None  # None: the engine's bundled default
    size: int = 256
    device: str = "auto"
    output_name: ClassVar[str] = "photoreal.mp4"
    take_name: ClassVar[str] = "take.npz"

    def prepare(self, workdir: Path) -> None:
        self.performance.save(workdir / self.take_name)

    def arguments(self, out: Path) -> list[str]:
        argv = ["render", str(out.parent / self.take_name), "-o", str(out)]
        argv += ["--size", str(self.size)]
        if self.renderer is not None:
            argv += ["--renderer", str(self.renderer)]
        if self.device != "auto":
            argv += ["--device", self.device]
        return argv


# What one EngineJob runs.
EngineRequest = GenerateRequest | CaptureRequest | RenderRequest


def _repository_python() -> Path | None:
    venv = REPOSITORY / ".venv"
    for candidate in (venv / "bin" / "python", venv / "Scripts" / "python.exe"):
        if candidate.is_file() and (REPOSITORY / "core" / "cli.py").is_file():
            return candidate
    return None


def _core_importable_here() -> bool:
    import importlib.util

    try:
        return importlib.util.find_spec("core.cli") is not None
    except (ImportError, ValueError):
        return False


def find_engine_python(configured: str = "") -> tuple[str, str] | None:
    """(python, how it was found), or None. The user's setting wins, then this repository's
    .venv, then the current interpreter when `core` imports in it."""
    if configured:
        path = Path(bpy_abspath(configured))
        return (str(path), "preferences") if path.is_file() else None
    found = _repository_python()
    if found is not None:
        return str(found), "repository .venv"
    # Inside Blender sys.executable is Blender's own Python; in the bpy module, it is the venv's.
    if _core_importable_here() and Path(sys.executable).name.startswith("python"):
        return sys.executable, "current interpreter"
    return None


def bpy_abspath(path: str) -> str:
    """Blender's `//relative` paths, when running inside Blender."""
    if path.startswith("//"):
        try:
            import bpy

            return bpy.path.abspath(path)
        except ImportError:
            pass
    return os.path.expanduser(path)


def check_engine(python: str, timeout: float = 60.0) -> tuple[bool, str]:
    """Ask the interpreter for the engine's version and whether `generate` exists: (ok, text)."""
    probe = (
        "import core, core.cli, importlib.util;"
        "ok = importlib.util.find_spec('core.commands.generate') is not None;"
        "print(core.__version__, 'generate' if ok else 'no-generate')"
    )
    try:
        done = subprocess.run(
            [python, "-c", probe], capture_output=True, text=True, timeout=timeout, cwd=_cwd(python)
        )
    except (OSError, subprocess.TimeoutExpired) as err:
        return False, f"cannot run {python}: {err}"
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        return False, f"{python}: engine not importable ({last})"
    version, generate = (done.stdout.split() + ["?", "?"])[:2]
    if generate != "generate":
        return False, f"engine {version} at {python} has no `generate` command yet"
    return True, f"engine {version} at {python}"


def engine_argv(python: str, request: EngineRequest, out: Path) -> list[str]:
    return [python, "-m", "core.cli", "--progress", "json", *request.arguments(out)]


def _cwd(python: str) -> str:
    # A repository's .venv runs from the repository, so `-m core.cli` resolves even uninstalled.
    python_path = Path(python)
    if len(python_path.parents) > 2:
        root = python_path.parents[2]
        if (root / "core" / "cli.py").is_file():
            return str(root)
    return tempfile.gettempdir()


@dataclass
class EngineJob:
    """One engine run: start it, poll it from a timer (or wait), cancel it."""

    python: str
    request: EngineRequest
    stage: str = "starting"
    progress: float = 0.0
    error: str = ""
    kind: str = ""
    returncode: int | None = None
    output: Path | None = None
    _process: subprocess.Popen | None = None
    _lines: queue.Queue = field(default_factory=queue.Queue)
    _stderr: deque = field(default_factory=lambda: deque(maxlen=20))
    _workdir: Path | None = None
    _threads: list[threading.Thread] = field(default_factory=list)

    def start(self) -> None:
        self._workdir = Path(tempfile.mkdtemp(prefix="musicface-"))
        out = self._workdir / self.request.output_name
        prepare = getattr(self.request, "prepare", None)
        if prepare is not None:
            try:
                prepare(self._workdir)
            except OSError as err:
                self._finish(1, f"cannot write the engine's input: {err}", MusicFaceError.kind)
                return
        argv = engine_argv(self.python, self.request, out)
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        try:
            self._process = subprocess.Popen(
                argv,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                stdin=subprocess.DEVNULL,
                text=True,
                cwd=_cwd(self.python),
                env=env,
                # Its own process group, so cancelling also ends a separator it started.
                start_new_session=os.name == "posix",
            )
        except OSError as err:
            self._finish(1, f"cannot start the engine ({self.python}): {err}", MissingModel.kind)
            return
        process = self._process
        pumps = ((process.stdout, self._lines.put), (process.stderr, self._stderr.append))
        for stream, sink in pumps:
            thread = threading.Thread(target=_pump, args=(stream, sink), daemon=True)
            thread.start()
            self._threads.append(thread)

    @property
    def finished(self) -> bool:
        return self.returncode is not None

    @property
    def succeeded(self) -> bool:
        return self.returncode == 0 and self.output is not None

    def poll(self) -> bool:
        """Take in what the engine printed; True once it has ended."""
        if self.finished:
            return True
        self._drain()
        code = self._process.poll() if self._process is not None else 1
        if code is None:
            return False
        for thread in self._threads:
            thread.join(timeout=5)
        self._drain()
        self._finish(code)
        return True

    def wait(self, on_progress=None) -> bool:
        """Block until the engine ends (the `blender -b` path); True when it succeeded."""
        while not self.poll():
            try:
                line = self._lines.get(timeout=0.2)
            except queue.Empty:
                continue
            self._take(line)
            if on_progress is not None:
                on_progress(self.stage, self.progress)
        return self.succeeded

    def cancel(self) -> None:
        """End the engine (and its children) and forget its files."""
        if self._process is not None and self._process.poll() is None:
            _signal_group(self._process, signal.SIGTERM)
            try:
                self._process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                _signal_group(self._process, signal.SIGKILL if os.name == "posix" else None)
                self._process.wait()
        self._finish(-1, "cancelled", "cancelled")
        self.cleanup()

    def cleanup(self) -> None:
        if self._workdir is not None:
            shutil.rmtree(self._workdir, ignore_errors=True)
            self._workdir = None

    @property
    def workdir(self) -> Path | None:
        return self._workdir

    def _drain(self) -> None:
        while True:
            try:
                self._take(self._lines.get_nowait())
            except queue.Empty:
                return

    def _take(self, line: str) -> None:
        try:
            event = json.loads(line)
        except json.JSONDecodeError:
            return  # a library printed something on stdout: not ours to read
        if not isinstance(event, dict):
            return
        if "stage" in event:
            self.stage = str(event["stage"])
            self.progress = float(event.get("progress", self.progress))
        elif "done" in event:
            self.output = Path(event["done"])
            self.progress = 1.0
        elif "error" in event:
            self.error, self.kind = str(event["error"]), str(event.get("kind", MusicFaceError.kind))

    def _finish(self, code: int, error: str = "", kind: str = "") -> None:
        if self.returncode is not None:
            return
        self.returncode = code
        if error:
            self.error, self.kind = error, kind
        if code != 0 and not self.error:
            last = self._stderr[-1].strip() if self._stderr else f"exit code {code}"
            self.error, self.kind = last, kind_of(code)
        if code == 0 and self.output is None:
            self.error = "the engine finished without an output file"
            self.kind = MusicFaceError.kind


def _signal_group(process: subprocess.Popen, sig) -> None:
    if os.name != "posix" or sig is None:
        process.kill()
        return
    try:
        os.killpg(process.pid, sig)
    except ProcessLookupError:
        pass


def _pump(stream, sink) -> None:
    for line in stream:
        sink(line.rstrip("\n"))
    stream.close()
