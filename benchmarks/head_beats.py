"""Does the head keep the beat of songs the model never heard? Songs with known beats.

Songs made apart from the training corpus (training/beat_songs.py: other drum sounds,
grooves the corpus does not play, several with their strongest onsets off the beat),
mixture in, through `musicface generate`. Per song and mean: the paper's beat
alignment of the head's pauses against the songs' true beats, beside chance (the same
pauses shifted at random), and how the beats the head reads (core/beats.py, tracked in
the whole song) sit against the true ones: tempo ratio and phase (in beats; 0 is on
the beat, ±0.5 between beats).

    .venv/bin/python benchmarks/head_beats.py [--songs 16] [--separator dsp]
        [--checkpoint CKPT] [--out out/head_beats] [--json FILE]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:  # run as a script from anywhere
    sys.path.insert(0, str(REPO))

from training import metrics as M  # noqa: E402
from training.beat_songs import SR, make_song  # noqa: E402


def tempo_and_phase(tracked: np.ndarray, true: np.ndarray) -> tuple[float, float]:
    """(tracked period / true period, median phase of the tracked beats in true beats)."""
    if len(tracked) < 2 or len(true) < 2:
        return float("nan"), float("nan")
    period = float(np.median(np.diff(true)))
    nearest = np.abs(tracked[:, None] - true[None, :]).argmin(axis=1)
    phase = ((tracked - true[nearest]) / period + 0.5) % 1.0 - 0.5
    return float(np.median(np.diff(tracked)) / period), float(np.median(phase))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--songs", type=int, default=16)
    parser.add_argument("--separator", default="dsp")
    parser.add_argument("--checkpoint", type=Path, default=None)
    parser.add_argument("--out", type=Path, default=REPO / "out" / "head_beats")
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args(argv)

    from core.audio import write_wav
    from core.checkpoints import load_checkpoint
    from core.generate import generate

    checkpoint = load_checkpoint(args.checkpoint)
    args.out.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    rows = []
    head = ("song", "groove", "BPM", "head BA", "chance", "tempo", "phase")
    print(f"{head[0]:6} {head[1]:11} " + " ".join(f"{h:>7}" for h in head[2:]))
    for seed in range(args.songs):
        song = make_song(seed)
        path = args.out / f"beats{seed:02d}.wav"
        if not path.is_file():
            write_wav(path, song.mixture, SR)
        perf = generate(path, checkpoint, separator=args.separator)
        motion = M.motion_beats(perf.pose, perf.fps)
        ba = M.kinematic_beat_alignment(motion, song.beats, perf.fps)
        chance = M.shifted_beat_alignment(motion, song.beats, perf.fps, perf.frames, rng)
        tracked = perf.beats if perf.beats is not None else np.zeros(0)
        ratio, phase = tempo_and_phase(np.asarray(tracked), song.beats)
        rows.append({"seed": seed, "groove": song.groove, "bpm": song.bpm, "head_ba": ba,
                     "head_ba_shifted": chance, "tempo_ratio": ratio, "phase": phase})  # fmt: skip
        print(f"{seed:<6} {song.groove:11} {song.bpm:7.0f} {ba:7.3f} {chance:7.3f} "
              f"{ratio:7.2f} {phase:+7.2f}", flush=True)  # fmt: skip
    ba = float(np.nanmean([r["head_ba"] for r in rows]))
    chance = float(np.nanmean([r["head_ba_shifted"] for r in rows]))
    on_beat = float(np.mean([abs(r["phase"]) < 0.1 and abs(r["tempo_ratio"] - 1) < 0.05
                             for r in rows]))  # fmt: skip
    print(f"\nmean head BA {ba:.3f}, chance {chance:.3f}: {ba / chance:.2f}× chance")
    print(f"the beats the head reads are the true ones (tempo, phase) in {on_beat:.0%} of songs")
    if args.json is not None:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        summary = {"head_ba": ba, "head_ba_shifted": chance, "ratio": ba / chance}
        args.json.write_text(json.dumps({"songs": rows, "mean": summary}, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
