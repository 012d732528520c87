"""Front-end speed and memory on a 10-minute song: decode, features, separation.

    .venv/bin/python benchmarks/frontend.py [--minutes 10] [--song FILE]

Prints seconds per minute of song for each stage and the peak resident memory of
the whole process tree (this process plus the Spleeter subprocess), sampled from
/proc every 20 ms while the stage runs. Spleeter runs on a random-weight 2stems
model made here with Spleeter's own model function: the real weights have the
same variables, hence the same cost. Wall time grows when other jobs share the
cores; the CPU column does not (on two idle cores, wall ≈ CPU / 2 at best).
Targets (issue 2, 2 CPU cores): decode + features ≤ 1 s/min, dsp ≤ 5 s/min,
spleeter ≤ 10 s/min and ≤ 2 GB peak.

The song: ../shared/testdata/real_song_10s.mp3 looped to length (an mp3, as users
bring), else a generated tone-and-noise signal encoded to mp3.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

import numpy as np
from process_memory import PeakMemory

from core.audio import FEATURE_SR, SEPARATION_SR, ffmpeg_exe, load_audio
from core.features import song_windows
from core.separation import separate
from core.separation.dsp import separate_dsp
from core.separation.spleeter_backend import make_random_model, spleeter_python

REPO = Path(__file__).resolve().parents[1]
REAL_SONG = REPO.parent / "shared" / "testdata" / "real_song_10s.mp3"


def make_song(path: Path, minutes: float, source: Path | None) -> Path:
    seconds = minutes * 60.0
    if source is not None and source.is_file():
        argv = [ffmpeg_exe(), "-nostdin", "-loglevel", "error", "-y", "-stream_loop", "-1"]
        argv += ["-i", str(source), "-t", str(seconds), "-c:a", "libmp3lame", "-b:a", "192k"]
        subprocess.run([*argv, str(path)], check=True)
        return path
    rng = np.random.default_rng(0)
    t = np.arange(int(seconds * SEPARATION_SR)) / SEPARATION_SR
    tone = 0.2 * np.sin(2 * np.pi * 220 * t * (1 + 0.01 * np.sin(2 * np.pi * 5 * t)))
    signal = np.stack([tone, tone], axis=1) + 0.05 * rng.standard_normal((len(t), 2))
    argv = [ffmpeg_exe(), "-nostdin", "-loglevel", "error", "-y", "-f", "f32le"]
    argv += ["-ar", str(SEPARATION_SR), "-ac", "2", "-i", "-", "-b:a", "192k", str(path)]
    subprocess.run(argv, input=signal.astype(np.float32).tobytes(), check=True)
    return path


SECONDS: dict[str, float] = {}


def cpu_seconds() -> float:
    """CPU time of this process and its finished children: unlike wall time, it does
    not grow when other jobs share the cores."""
    times = os.times()
    return times.user + times.system + times.children_user + times.children_system


def measure(name: str, minutes: float, work: Callable[[], object]) -> object:
    with PeakMemory() as memory:
        start, cpu_start = time.perf_counter(), cpu_seconds()
        result = work()
        seconds, cpu = time.perf_counter() - start, cpu_seconds() - cpu_start
    SECONDS[name] = seconds
    print(
        f"{name:<34} {seconds / minutes:7.2f} s/min  ({seconds:6.1f} s, "
        f"cpu {cpu / minutes:5.2f} s/min)  peak tree RSS {memory.peak / 2**30:5.2f} GiB",
        flush=True,
    )
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--song", type=Path, default=REAL_SONG, help="looped to length")
    parser.add_argument("--skip-spleeter", action="store_true")
    args = parser.parse_args()
    minutes = args.minutes
    with tempfile.TemporaryDirectory(prefix="musicface-bench-") as temp:
        work = Path(temp)
        song = make_song(work / "song.mp3", minutes, args.song)
        print(f"song: {minutes:g} min mp3 from {args.song if args.song.is_file() else 'tones'}")
        print(f"cpus: {os.cpu_count()}, load average at start: {os.getloadavg()[0]:.1f}")
        import librosa  # loaded outside the timings: a one-off start-up cost

        librosa.stft(np.zeros(4096, np.float32))

        mono = measure("decode 16 kHz mono", minutes, lambda: load_audio(song, FEATURE_SR))
        measure("features (one stream)", minutes, partial(song_windows, mono))
        del mono
        both = SECONDS["decode 16 kHz mono"] + SECONDS["features (one stream)"]
        print(f"{'= decode + features':<34} {both / minutes:7.2f} s/min", flush=True)
        stereo = measure(
            "decode 44.1 kHz stereo", minutes, lambda: load_audio(song, SEPARATION_SR, mono=False)
        )
        measure(
            "dsp separation (in memory)",
            minutes,
            partial(separate_dsp, stereo, SEPARATION_SR),
        )
        del stereo
        cache = work / "cache"
        measure(
            "dsp separate() incl. decode+cache",
            minutes,
            lambda: separate(song, "dsp", cache_dir=cache),
        )
        measure(
            "dsp separate() again (cache hit)",
            minutes,
            lambda: separate(song, "dsp", cache_dir=cache),
        )
        if args.skip_spleeter or not spleeter_python().exists():
            print("spleeter: skipped")
            return
        make_random_model(work / "models" / "2stems")
        os.environ["MODEL_PATH"] = str(work / "models")
        measure(
            "spleeter separate() incl. decode",
            minutes,
            lambda: separate(song, "spleeter", cache_dir=work / "cache-spleeter"),
        )


if __name__ == "__main__":
    main()
