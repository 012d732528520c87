"""`musicface batch` throughput: 8 short songs on a LocalCluster of 1 and of 2 workers,
with and without --photoreal, and the batch layer's cost beside plain sequential runs.

    .venv/bin/python benchmarks/batch.py [--songs 8] [--seconds 20] [--photoreal-seconds 4]
                                         [--size 128] [--repeat 1] [--skip-photoreal]

Every run is the whole command a user types (`musicface batch DIR -o OUT --workers N`,
start-up, cluster start and shutdown included) in a fresh process, on a fresh
$MUSICFACE_CACHE (separation is cached per song, so a warm cache would measure nothing;
only the face arrays are linked in, as they are on any machine after its first run).
The baselines: the same songs through `generate()` one after another in one process
(the engine's own work, nothing else), and through one `musicface generate` process per
song (a shell loop). The separator is `auto` (Spleeter when its model is installed).

Target (issue 25): on 2 cores, 2 workers ≥ 1.6× the songs per minute of 1 worker on
generate. One worker gets all the cores' threads (torch splits each song over them), two
workers get one thread each, so the speed-up is what the batch adds over torch's own
threading (the third batch case holds one worker to one thread, to show that part). The
machine's load average is printed beside every run: other jobs on the
cores make a run slower, and the speed-up less certain.

Columns: the whole command's seconds and songs per minute; the same from the cluster being
up to the last song (report.json's run_seconds: the rate a batch of hundreds keeps, where
start-up no longer counts); CPU seconds of every process of the run (workers and ffmpeg
included), which other jobs on the machine do not inflate.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPOSITORY = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPOSITORY))
SR = 44100


def write_songs(folder: Path, count: int, seconds: float) -> Path:
    """`count` different synthetic songs (a gliding voice over a beat), 44.1 kHz stereo."""
    from core.audio import write_wav

    folder.mkdir(parents=True)
    t = np.arange(int(seconds * SR), dtype=np.float64) / SR
    for i in range(count):
        rng = np.random.default_rng(i)
        pitch = (180 + 25 * i) * (1 + 0.25 * np.sin(2 * np.pi * 0.1 * (i + 1) * t))
        envelope = 0.6 + 0.4 * np.sin(2 * np.pi * (0.8 + 0.1 * i) * t)
        voice = 0.25 * np.sin(2 * np.pi * np.cumsum(pitch) / SR) * envelope
        period = 60 / (96 + 8 * i)
        beat = 0.5 * np.exp(-(t % period) / 0.05) * np.sin(2 * np.pi * 60 * t)
        mix = voice + beat + 0.02 * rng.standard_normal(len(t))
        write_wav(folder / f"song{i:02d}.wav", np.stack([mix, mix], axis=1).astype(np.float32), SR)
    return folder


def fresh_cache(root: Path) -> dict[str, str]:
    """An environment with an empty MUSICFACE_CACHE holding only the face arrays."""
    from core.face.anny_head import anny_version
    from core.face.cache import cache_path

    root.mkdir(parents=True)
    face = cache_path(anny_version())
    if face.is_file():
        (root / face.name).symlink_to(face)
    env = dict(os.environ, MUSICFACE_CACHE=str(root))
    env.pop("OMP_NUM_THREADS", None)  # the batch sizes its workers' threads itself
    env.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # as `musicface` sets it (core/cli.py)
    return env


def children_cpu() -> float:
    """CPU seconds of this process's finished children and theirs (workers, ffmpeg): what a
    run cost the machine, whatever else shared the cores."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def load() -> str:
    return "/".join(f"{x:.1f}" for x in os.getloadavg())


def run_timed(argv: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    done = subprocess.run(argv, cwd=REPOSITORY, env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(argv[:6])}… failed ({done.returncode}):\n{done.stderr}")
    return seconds


def batch(
    songs: Path, scratch: Path, workers: int, photoreal: list[str], tag: str, threads: int = 0
) -> tuple[float, float]:
    """The whole command's seconds, and report.json's run_seconds (cluster up to last song)."""
    out = scratch / f"out-{tag}"
    env = fresh_cache(scratch / f"cache-{tag}")
    argv = [
        sys.executable,
        "-m",
        "core.cli",
        "--progress",
        "none",
        "batch",
        str(songs),
        "-o",
        str(out),
        "--workers",
        str(workers),
        "--no-dashboard",
        *photoreal,
    ]
    if threads:
        argv += ["--threads-per-worker", str(threads)]
    seconds = run_timed(argv, env)
    report = json.loads((out / "report.json").read_text())
    assert report["counts"] == {"done": len(report["songs"])}, report["counts"]
    return seconds, report["run_seconds"]


def sequential_cli(songs: Path, scratch: Path, tag: str) -> tuple[float, None]:
    """One `musicface generate` process per song, as a shell loop runs them."""
    env = fresh_cache(scratch / f"cache-{tag}")
    (scratch / tag).mkdir()
    total = 0.0
    for song in sorted(songs.iterdir()):
        out = scratch / tag / f"{song.stem}.npz"
        argv = [
            sys.executable,
            "-m",
            "core.cli",
            "--progress",
            "none",
            "generate",
            str(song),
            "-o",
            str(out),
        ]
        total += run_timed(argv, env)
    return total, None


def sequential_in_process(songs: Path, scratch: Path, tag: str) -> tuple[float, None]:
    """`generate()` + save for each song in one warm process (child), all cores' threads."""
    env = fresh_cache(scratch / f"cache-{tag}")
    code = (
        "import sys, time, torch\n"
        "from pathlib import Path\n"
        "torch.set_num_threads(int(sys.argv[3]))\n"
        "from core.generate import generate\n"
        "from core.checkpoints import load_checkpoint\n"
        "loaded = load_checkpoint(None, device='cpu')\n"
        "started = time.perf_counter()\n"
        "for song in sorted(Path(sys.argv[1]).iterdir()):\n"
        "    generate(song, loaded, device='cpu').save(Path(sys.argv[2]) / (song.stem + '.npz'))\n"
        "print(time.perf_counter() - started)\n"
    )
    (scratch / tag).mkdir()
    cores = str(len(os.sched_getaffinity(0)))
    argv = [sys.executable, "-c", code, str(songs), str(scratch / tag), cores]
    done = subprocess.run(argv, cwd=REPOSITORY, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(done.stderr)
    return float(done.stdout.strip().splitlines()[-1]), None


def _rate(values: list[float], songs: int) -> tuple[float, float]:
    """The median seconds and its songs per minute."""
    seconds = statistics.median(values)
    return seconds, 60 * songs / seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--songs", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=20.0, help="length of each song")
    parser.add_argument("--photoreal-seconds", type=float, default=4.0)
    parser.add_argument("--size", type=int, default=128, help="photoreal frame size")
    parser.add_argument("--repeat", type=int, default=1, help="runs of each case (median)")
    parser.add_argument("--skip-photoreal", action="store_true")
    parser.add_argument("--skip-baselines", action="store_true")
    args = parser.parse_args()

    cores = len(os.sched_getaffinity(0))
    print(
        f"{cores} cores; {args.songs} songs of {args.seconds:g} s; load average {load()}",
        flush=True,
    )
    scratch = Path(tempfile.mkdtemp(prefix="musicface-bench-batch-"))
    try:
        songs = write_songs(scratch / "songs", args.songs, args.seconds)
        cases: list[tuple[str, object]] = [
            ("batch, 1 worker", lambda tag: batch(songs, scratch, 1, [], tag)),
            ("batch, 2 workers", lambda tag: batch(songs, scratch, 2, [], tag)),
            # The same one worker held to one core: what the second worker adds beside it.
            ("batch, 1 worker, 1 thread", lambda tag: batch(songs, scratch, 1, [], tag, 1)),
        ]
        if not args.skip_baselines:
            cases += [
                (
                    "generate() in one process",
                    lambda tag: sequential_in_process(songs, scratch, tag),
                ),
                ("musicface generate per song", lambda tag: sequential_cli(songs, scratch, tag)),
            ]
        if not args.skip_photoreal:
            short = write_songs(scratch / "short", args.songs, args.photoreal_seconds)
            flags = ["--photoreal", "--size", str(args.size)]
            cases += [
                ("batch --photoreal, 1 worker", lambda tag: batch(short, scratch, 1, flags, tag)),
                ("batch --photoreal, 2 workers", lambda tag: batch(short, scratch, 2, flags, tag)),
            ]
        # Repeats go round all cases in turn, so that a change in the machine's load falls
        # on every case alike.
        times: dict[str, list[float]] = {name: [] for name, _ in cases}
        inside: dict[str, list[float]] = {name: [] for name, _ in cases}
        cpu: dict[str, list[float]] = {name: [] for name, _ in cases}
        for i in range(args.repeat):
            for index, (name, measure) in enumerate(cases):
                before, spent = load(), children_cpu()
                seconds, running = measure(f"{index}-{i}")  # type: ignore[operator]
                cpu[name].append(children_cpu() - spent)
                times[name].append(seconds)
                if running is not None:
                    inside[name].append(running)
                print(
                    f"  {name}: {seconds:.1f} s (load {before} before, {load()} after)", flush=True
                )
        print()
        print("| run | seconds | songs/min | speed-up | songs/min, cluster up | speed-up | CPU s |")
        print("|---|---:|---:|---:|---:|---:|---:|")
        for name in times:
            base = "batch, 1 worker" if "photoreal" not in name else "batch --photoreal, 1 worker"
            seconds, rate = _rate(times[name], args.songs)
            speedup = _rate(times[base], args.songs)[0] / seconds
            cell = f"| {name} | {seconds:.1f} | {rate:.2f} | {speedup:.2f}× |"
            if inside[name]:
                running, steady = _rate(inside[name], args.songs)
                cell += f" {steady:.2f} | {_rate(inside[base], args.songs)[0] / running:.2f}× |"
            else:
                cell += " | |"
            print(f"{cell} {statistics.median(cpu[name]):.0f} |")
        whole = statistics.median(times["batch, 1 worker"])
        if "generate() in one process" in times:
            plain = statistics.median(times["generate() in one process"])
            layer = whole - plain
            print(
                f"\nbatch layer on 1 worker: {layer:+.1f} s for {args.songs} songs "
                f"({layer / args.songs:+.2f} s a song) beside generate() in one process"
            )
        print(f"load average at the end: {load()}")
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
