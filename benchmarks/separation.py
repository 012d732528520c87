"""Spleeter 2-stems separation: time and peak memory per implementation, start-up included.

    .venv/bin/python benchmarks/separation.py [--minutes 4 10] [--impl torch tensorflow]

Each run is a fresh process (`separate_spleeter` on a float32 stereo 44.1 kHz song
read from a .npy), timed from its launch to the separated stems, so Python, torch
or TensorFlow start-up and weight loading count; "separate s" is the
`separate_spleeter` call (which imports torch and loads the weights the first
time), the rest is Python's start-up and reading the song. Peak memory is that of the whole
process tree (the engine plus the TensorFlow subprocess), sampled from /proc every
20 ms. Wall time grows when other jobs share the cores; the CPU column much less
(on two idle cores, wall ≈ CPU / 2 at best). With --repeat N each cell is the
median of N runs, the minimum in brackets. Also printed: the correlation of the
two implementations' stems on the same song, and the model files' sizes.

To check a change to the PyTorch implementation against the code before it:
`--impl torch --minutes 4 --keep DIR` before, `--impl torch --minutes 4 --against
DIR` after (correlation and max abs difference of the stems).

The two do not compute quite the same thing on long songs: the PyTorch one gives
what Spleeter's own `Separator` gives on the whole song (the U-Net's 512-frame
segments laid from the song's start), while the TensorFlow runner cuts the song
into 24 s chunks, each with its own segments, crossfaded over 2 s (to bound
TensorFlow's memory). Where the segments differ the masks differ, so their
correlation on a 4-minute song is below that on a 10-second one (one chunk: 1.0).
Target (issue 11): a 4-minute song in ≤ 10 s on 2 cores, ≤ 2 GB peak.

The song: the real songs in ../shared/realdata/songs (2½-3 min each) played one
after the other to length, else ../shared/testdata/real_song_10s.mp3 looped.
Uses the model `auto` would use (the released weights after `make setup`).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from process_memory import PeakMemory

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
SR = 44100


def make_song(minutes: float, path: Path) -> str:
    """A float32 (N, 2) song of `minutes` saved at `path`; returns what it is made of."""
    from core.audio import load_audio

    sources = sorted((SHARED / "realdata" / "songs").glob("*.mp3"))
    if not sources:
        sources = [SHARED / "testdata" / "real_song_10s.mp3"]
    samples = int(minutes * 60 * SR)
    pieces, total = [], 0
    while total < samples:
        for source in sources:
            audio = load_audio(source, SR, mono=False).astype(np.float32)
            pieces.append(audio)
            total += len(audio)
            if total >= samples:
                break
    np.save(path, np.concatenate(pieces)[:samples])
    return ", ".join(s.stem for s in sources)


def worker(mix_path: str, out_prefix: str) -> None:
    """Separate as the engine does; say "done" the moment the stems exist, with
    the CPU time of the whole process and the time `separate_spleeter` took."""
    import resource

    from core.separation.spleeter_backend import separate_spleeter

    mix = np.load(mix_path, allow_pickle=False)
    start = time.perf_counter()
    vocals, accompaniment = separate_spleeter(mix)
    separation = time.perf_counter() - start
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime
    print(json.dumps({"done": True, "cpu_s": cpu, "separate_s": separation}), flush=True)
    if out_prefix:
        np.save(out_prefix + "-vocals.npy", vocals)
        np.save(out_prefix + "-accompaniment.npy", accompaniment)


def measure(impl: str, mix: Path, out_prefix: str) -> dict[str, float]:
    env = dict(os.environ, MUSICFACE_SPLEETER_IMPL=impl)
    argv = [sys.executable, __file__, "--worker", str(mix), out_prefix]
    start = time.perf_counter()
    child = subprocess.Popen(argv, stdout=subprocess.PIPE, text=True, env=env, cwd=REPO)
    assert child.stdout is not None
    result: dict = {}
    with PeakMemory(child.pid) as memory:
        for line in child.stdout:
            if line.startswith("{"):
                result = json.loads(line)
                break
        wall = time.perf_counter() - start
    peak = memory.peak
    if child.wait() != 0 or not result.get("done"):
        raise SystemExit(f"{impl} run failed (exit {child.returncode})")
    return {
        "wall_s": wall,
        "separate_s": result["separate_s"],
        "cpu_s": result["cpu_s"],
        "peak_gb": peak / 1e9,
    }


def row(impl: str, runs: list[dict[str, float]]) -> str:
    """One line per implementation: the median of each column, and with repeats
    the minimum in brackets (the run least slowed by other jobs)."""

    def cell(key: str, width: int, digits: int) -> str:
        values = sorted(run[key] for run in runs)
        text = f"{values[len(values) // 2]:.{digits}f}"
        if len(values) > 1:
            text += f" ({values[0]:.{digits}f})"
        return text.rjust(width)

    columns = [("wall_s", 13, 1), ("separate_s", 13, 1), ("cpu_s", 13, 1), ("peak_gb", 13, 2)]
    return f"  {impl:<12}" + "".join(cell(key, width, digits) for key, width, digits in columns)


def correlation(prefix_a: str, prefix_b: str) -> dict[str, float]:
    out = {}
    for stem in ("vocals", "accompaniment"):
        a = np.load(f"{prefix_a}-{stem}.npy").ravel()
        b = np.load(f"{prefix_b}-{stem}.npy").ravel()
        out[stem] = float(np.corrcoef(a, b)[0, 1])
        out[f"{stem}_maxdiff"] = float(np.abs(a - b).max())
    return out


def describe(corr: dict[str, float]) -> str:
    return (
        "correlation vocals {vocals:.6f} (max diff {vocals_maxdiff:.1e}), accompaniment "
        "{accompaniment:.6f} (max diff {accompaniment_maxdiff:.1e})".format(**corr)
    )


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--worker":
        worker(sys.argv[2], sys.argv[3])
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, nargs="+", default=[4.0, 10.0])
    parser.add_argument("--impl", nargs="+", default=["torch", "tensorflow"])
    parser.add_argument("--repeat", type=int, default=1, help="runs per implementation")
    parser.add_argument(
        "--keep", type=Path, help="save the torch stems of the first length in this folder"
    )
    parser.add_argument(
        "--against",
        type=Path,
        help="compare the torch stems of the first length with those --keep saved there "
        "(another version of the code, same song and length)",
    )
    args = parser.parse_args()

    from core.separation import spleeter_backend

    usable, why = spleeter_backend.availability()
    print(f"model: {why}")
    if not usable:
        raise SystemExit("no usable Spleeter model: run `make setup`")
    folder = spleeter_backend.model_dir()
    for name in ("model.data-00000-of-00001", spleeter_backend.CONVERTED_NAME):
        if (folder / name).is_file():
            print(f"  {name}: {(folder / name).stat().st_size / 1e6:.1f} MB")
    print(f"cores: {len(os.sched_getaffinity(0))}, load average {os.getloadavg()[0]:.1f}")
    with tempfile.TemporaryDirectory(prefix="musicface-bench-") as temp:
        for minutes in args.minutes:
            mix = Path(temp) / f"mix-{minutes:g}.npy"
            made_of = make_song(minutes, mix)
            print(f"\n{minutes:g}-minute song ({made_of})")
            header = ("wall s", "separate s", "CPU s", "peak GB")
            print(f"  {'implementation':<12}" + "".join(f"{h:>13}" for h in header))
            prefixes = {}
            for impl in args.impl:
                # Stems are kept for the correlation on the first length only.
                keep = minutes == args.minutes[0]
                prefixes[impl] = str(Path(temp) / f"{impl}-{minutes:g}") if keep else ""
                runs = [measure(impl, mix, prefixes[impl]) for _ in range(args.repeat)]
                print(row(impl, runs), flush=True)
            if all(prefixes.get(i) for i in ("torch", "tensorflow")):
                corr = correlation(prefixes["torch"], prefixes["tensorflow"])
                print(f"  torch vs tensorflow (24 s chunks): {describe(corr)}")
            if prefixes.get("torch") and args.keep:
                args.keep.mkdir(parents=True, exist_ok=True)
                for stem in ("vocals", "accompaniment"):
                    stems = Path(f"{prefixes['torch']}-{stem}.npy")
                    shutil.copyfile(stems, args.keep / f"torch-{minutes:g}-{stem}.npy")
                print(f"  torch stems saved in {args.keep}")
            if prefixes.get("torch") and args.against:
                saved = str(args.against / f"torch-{minutes:g}")
                print(
                    f"  torch vs {args.against}: {describe(correlation(prefixes['torch'], saved))}"
                )
            mix.unlink()


if __name__ == "__main__":
    main()
