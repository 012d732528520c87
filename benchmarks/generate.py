"""Benchmark `core.generate.generate`: a 4-minute song, separation excluded, on 2 CPU threads.

Targets (issue 4): ≤ 5 s (≥ 48× real time) and ≤ 1.5 GB peak memory for 4 minutes;
memory for 10 minutes is reported too. Separation is excluded by handing the
generator ready-made stems (the `stems` path: decode + resample only).

Each measurement runs in a fresh process so that its peak RSS (VmHWM) belongs to
that song alone. Uses core/assets/default.pt when present, else an untrained
default-size `full` model (same cost: the network's size, not its weights, sets it).

    .venv/bin/python benchmarks/generate.py [--minutes 4 10] [--checkpoint CKPT]
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

THREADS = 2
SR = 44100


def write_song(folder: Path, seconds: float) -> dict[str, Path]:
    """A synthetic song at 44.1 kHz stereo: a gliding voice over a 120 bpm beat."""
    from core.audio import write_wav

    rng = np.random.default_rng(0)
    t = np.arange(int(seconds * SR), dtype=np.float64) / SR
    pitch = 220 * (1 + 0.25 * np.sin(2 * np.pi * 0.1 * t))
    voice = 0.25 * np.sin(2 * np.pi * np.cumsum(pitch) / SR) * (0.6 + 0.4 * np.sin(2 * np.pi * t))
    beat = 0.5 * np.exp(-(t % 0.5) / 0.05) * np.sin(2 * np.pi * 60 * t)
    hum = 0.02 * rng.standard_normal(len(t))
    paths = {k: folder / f"{k}.wav" for k in ("song", "vocals", "accompaniment")}
    for key, signal in (("song", voice + beat + hum), ("vocals", voice), ("accompaniment", beat)):
        write_wav(paths[key], np.stack([signal, signal], axis=1).astype(np.float32), SR)
    return paths


def peak_rss_mb() -> int:
    """This process's peak resident memory. VmHWM, not ru_maxrss: Linux carries ru_maxrss
    over from the parent through fork + exec, so it would count the song synthesis."""
    status = Path("/proc/self/status")
    if status.is_file():
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024)
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)


def child(seconds: float, checkpoint: str | None, folder: Path) -> None:
    """Runs in its own process, on files the parent wrote, so ru_maxrss is generate's own."""
    import torch

    torch.set_num_threads(THREADS)
    from core.checkpoints import load_checkpoint, save_checkpoint
    from core.generate import generate
    from core.model import GeneratorConfig, MusicFaceGenerator
    from core.model.normalization import Normalization

    paths = {k: folder / f"{k}.wav" for k in ("song", "vocals", "accompaniment")}
    if checkpoint is None:
        from core.checkpoints import DEFAULT_CHECKPOINT

        if DEFAULT_CHECKPOINT.is_file():
            checkpoint = str(DEFAULT_CHECKPOINT)
        else:
            checkpoint = str(folder / "untrained.pt")
            model = MusicFaceGenerator(GeneratorConfig())
            save_checkpoint(checkpoint, model, Normalization.identity())
    loaded = load_checkpoint(checkpoint)  # loading is part of a run, but timed apart
    stage_start: dict[str, float] = {}

    def progress(stage: str, fraction: float) -> None:
        stage_start.setdefault(stage, time.perf_counter())

    start = time.perf_counter()
    perf = generate(
        paths["song"],
        loaded,
        vocals=paths["vocals"],
        accompaniment=paths["accompaniment"],
        progress=progress,
    )
    total = time.perf_counter() - start
    marks = sorted(stage_start.items(), key=lambda kv: kv[1]) + [("end", start + total)]
    stages = {a: round(marks[i + 1][1] - t0, 3) for i, (a, t0) in enumerate(marks[:-1])}
    params = sum(p.numel() for p in loaded.model.parameters())
    print(
        json.dumps(
            {
                "seconds": seconds,
                "frames": perf.frames,
                "total_s": round(total, 3),
                "stages_s": stages,
                "peak_rss_mb": peak_rss_mb(),
                "params": params,
                "checkpoint": Path(checkpoint).name,
                "variant": loaded.model.config.variant,
            }
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, nargs="+", default=[4.0, 10.0])
    parser.add_argument("--checkpoint")
    parser.add_argument("--child", type=float, help=argparse.SUPPRESS)
    parser.add_argument("--folder", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child is not None:
        child(args.child, args.checkpoint, args.folder)
        return
    print(f"generate benchmark: {THREADS} CPU threads, separation excluded (stems given)")
    for minutes in args.minutes:
        with tempfile.TemporaryDirectory(prefix="musicface-bench-") as folder:
            write_song(Path(folder), minutes * 60)
            argv = [sys.executable, __file__, "--child", str(minutes * 60), "--folder", folder]
            if args.checkpoint:
                argv += ["--checkpoint", args.checkpoint]
            result = subprocess.run(argv, capture_output=True, text=True, check=False)
        if result.returncode != 0:
            print(result.stderr, file=sys.stderr)
            sys.exit(result.returncode)
        r = json.loads(result.stdout.strip().splitlines()[-1])
        speed = r["seconds"] / r["total_s"]
        print(
            f"{minutes:g} min ({r['frames']} frames, {r['variant']} {r['params']:,} params, "
            f"{r['checkpoint']}): {r['total_s']:.2f} s = {speed:.0f}x real time, "
            f"peak memory {r['peak_rss_mb']} MB"
        )
        print("    stages (s): " + ", ".join(f"{k} {v:.2f}" for k, v in r["stages_s"].items()))


if __name__ == "__main__":
    main()
