"""The `spleeter` backend: Deezer's Spleeter 2-stems model, run in `.venv-spleeter`.

Spleeter pins TensorFlow 2.12 and numpy < 1.24, which cannot share a process
with torch and bpy, so `spleeter_runner.py` runs under that environment's Python
as a subprocess (argv list, no shell). Audio goes through `.npy` files in a
temporary folder; progress and errors come back as JSON lines.

Where things are:
- the interpreter: $MUSICFACE_SPLEETER_PYTHON, else `.venv-spleeter/bin/python`
  at the repository root;
- the model: $MODEL_PATH/2stems (Spleeter's own convention), else
  ~/.cache/musicface/spleeter/2stems. The released 2stems files (`checkpoint`,
  `model.index`, `model.data-00000-of-00001`) work there as they are; when the
  folder is missing, Spleeter downloads them (online only).
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

from core.errors import MissingModel, MusicFaceError
from core.progress import ProgressFn, no_progress
from core.separation.cache import musicface_cache_root

VERSION = "1"  # of the chunking in spleeter_runner.py; part of the cache key
MODEL_NAME = "2stems"
RUNNER = Path(__file__).with_name("spleeter_runner.py")
REPO_ROOT = Path(__file__).resolve().parents[2]
PYTHON_ENV = "MUSICFACE_SPLEETER_PYTHON"


def spleeter_python() -> Path:
    if os.environ.get(PYTHON_ENV):
        return Path(os.environ[PYTHON_ENV])
    return REPO_ROOT / ".venv-spleeter" / "bin" / "python"


def model_root() -> Path:
    """The folder that holds `2stems/` (Spleeter's MODEL_PATH)."""
    if os.environ.get("MODEL_PATH"):
        return Path(os.environ["MODEL_PATH"]).expanduser().resolve()
    return musicface_cache_root() / "spleeter"


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


def availability() -> tuple[bool, str]:
    """(usable, why) for `auto`: the environment and a model on disk. Never downloads."""
    python = spleeter_python()
    if not python.exists():
        return False, f"the Spleeter environment is missing ({python}; run `make setup`)"
    if not model_is_usable():
        return False, f"no Spleeter 2stems model in {model_dir()} (set MODEL_PATH)"
    return True, f"Spleeter 2stems model in {model_dir()}"


def remove_empty_model_dir(directory: Path) -> None:
    """An empty model folder is what an offline Spleeter run leaves behind; Spleeter
    would then skip the download and crash on the missing checkpoint forever."""
    try:
        if directory.is_dir() and not any(directory.iterdir()):
            directory.rmdir()
    except OSError:
        pass  # not ours to clean (read-only MODEL_PATH): Spleeter's error will say so


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


def separate_spleeter(
    mix_path: Path, progress: ProgressFn = no_progress
) -> tuple[np.ndarray, np.ndarray]:
    """(vocals, accompaniment) float32 (N, 2) of the float32 (N, 2) 44.1 kHz mixture
    saved at `mix_path`. The caller passes a file, not an array, so that it can drop
    its copy of the song while TensorFlow holds the memory."""
    directory = model_dir()
    remove_empty_model_dir(directory)
    with tempfile.TemporaryDirectory(prefix="musicface-spleeter-") as temp:
        out = Path(temp)
        args = [
            "separate",
            "--model-dir",
            str(directory),
            "--mix",
            str(mix_path),
            "--vocals",
            str(out / "vocals.npy"),
            "--accompaniment",
            str(out / "accompaniment.npy"),
        ]
        _run_runner(args, out / "stderr.log", progress)
        remove_empty_model_dir(directory)
        vocals = np.load(out / "vocals.npy", allow_pickle=False)
        accompaniment = np.load(out / "accompaniment.npy", allow_pickle=False)
    return vocals, accompaniment


def make_random_model(directory: Path, seed: int = 0) -> Path:
    """A 2-stems checkpoint with random weights, built by Spleeter's own model
    function: the same 149 variables as the released model, so the real weights
    drop in. Tests and benchmarks use it (real weights are not downloadable there)."""
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
    """`python -m core.separation.spleeter_backend init-random DIR [--seed N]`"""
    import argparse

    parser = argparse.ArgumentParser(prog="python -m core.separation.spleeter_backend")
    commands = parser.add_subparsers(dest="command", required=True)
    make = commands.add_parser("init-random", help="write a random-weight 2stems checkpoint")
    make.add_argument("directory", type=Path, help="e.g. $MODEL_PATH/2stems")
    make.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    try:
        print(make_random_model(args.directory, args.seed))
    except MusicFaceError as error:
        print(f"error: {error}", file=sys.stderr)
        return error.exit_code
    return 0


if __name__ == "__main__":
    sys.exit(main())
