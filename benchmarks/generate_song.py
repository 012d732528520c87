"""The whole `musicface generate` on a 4-minute song, as a user runs it.

    .venv/bin/python benchmarks/generate_song.py [--minutes 4] [--separator auto]

One fresh process per run, timed from its launch to the written Performance:
Python and torch start-up, decoding, separation (the model `auto` uses: the
released Spleeter weights in PyTorch after `make setup`), features, the network,
eyes, beats and the file. The first run has an empty separation cache; the
second reads it. Peak memory is that of the process tree, sampled every 20 ms.
Wall time grows when other jobs share the cores; the CPU column does not.
Targets (issue 11): separation ≤ 10 s and the whole command ≤ 15 s on 2 cores.

The song: the real songs in ../shared/realdata/songs played one after the
other to length (else the 10 s test song looped), written as a 44.1 kHz wav.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from process_memory import PeakMemory  # noqa: E402
from separation import REPO, SR, make_song  # noqa: E402


def run_generate(song: Path, out: Path, separator: str, cache: Path) -> dict[str, float]:
    env = dict(os.environ, MUSICFACE_CACHE=str(cache))
    argv = [str(REPO / ".venv" / "bin" / "musicface"), "generate", str(song), "-o", str(out)]
    argv += ["--separator", separator, "--progress", "none"]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    child = subprocess.Popen(argv, env=env, cwd=REPO, stderr=subprocess.PIPE, text=True)
    with PeakMemory(child.pid) as memory:
        _, stderr = child.communicate()
        wall = time.perf_counter() - start
    peak = memory.peak
    if child.returncode != 0:
        raise SystemExit(f"musicface generate failed: {stderr.strip()}")
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return {"wall_s": wall, "cpu_s": cpu, "peak_gb": peak / 1e9}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=4.0)
    parser.add_argument("--separator", default="auto")
    args = parser.parse_args()
    from core.audio import write_wav

    with tempfile.TemporaryDirectory(prefix="musicface-bench-") as temp:
        work = Path(temp)
        made_of = make_song(args.minutes, work / "song.npy")
        write_wav(work / "song.wav", np.load(work / "song.npy"), SR)
        print(f"song: {args.minutes:g} min of {made_of}; separator {args.separator}")
        print(f"{'run':<28}{'wall s':>8}{'CPU s':>8}{'peak GB':>9}")
        for label in ("first (separates)", "second (cache hit)"):
            result = run_generate(work / "song.wav", work / "take.npz", args.separator, work)
            print(
                f"{label:<28}{result['wall_s']:>8.1f}{result['cpu_s']:>8.1f}"
                f"{result['peak_gb']:>9.2f}"
            )


if __name__ == "__main__":
    main()
