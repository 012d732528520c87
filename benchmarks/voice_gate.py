"""Where the mouth gate (core/voice_gate.py) should open and close, on synthetic songs.

Over a corpus's training clips (`musicface-train synth`: backing vocals, reverb, dense
mixes, mp3), each mixture is separated as at inference and the separated vocal
stream's loudness (dB from its own level) is compared with the lead's true voice
activity. It prints where sung and unsung frames sit, and for the gate's thresholds
the share of sung frames it leaves open and of unsung frames it closes. The shipped
OPEN_DB / CLOSED_DB were chosen from this, not from the real songs they are then
measured on (benchmarks/real_songs.py).

    .venv/bin/python benchmarks/voice_gate.py --corpus CORPUS [--clips 60] [--separator auto]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from core import voice_gate as G  # noqa: E402
from core.audio import FEATURE_SR  # noqa: E402
from core.separation import separate  # noqa: E402
from training.manifest import read_manifest  # noqa: E402

AWAY_S = 0.3  # an unsung frame is this far from any sung one (breaths inside a phrase are not)


def _far_from(sung: np.ndarray, frames: int) -> np.ndarray:
    """Frames further than `frames` from every sung frame."""
    near = np.convolve(sung.astype(float), np.ones(2 * frames + 1), mode="same") > 0
    return ~near


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, required=True)
    parser.add_argument("--clips", type=int, default=60)
    parser.add_argument("--separator", default="auto")
    args = parser.parse_args(argv)

    manifest = read_manifest(args.corpus)
    entries = manifest.split("train")[: args.clips]
    sung_levels, unsung_levels = [], []
    grid = [(o, c) for o in (-24.0, -27.0, -30.0, -33.0) for c in (-36.0, -39.0, -42.0, -45.0)]
    per_grid = {g: ([], []) for g in grid}
    for index, entry in enumerate(entries):
        clip = args.corpus / "clips" / f"{entry['id']}.npz"
        with np.load(clip, allow_pickle=False) as data:
            activity = data["voice_activity"].astype(bool)
            fps = float(data["fps"])
        mix = args.corpus / entry["mixture"]
        stems = separate(mix, args.separator, sr=FEATURE_SR, mono=True)
        level = G.vocal_level_db(stems.vocals[:, 0], FEATURE_SR, len(activity), fps)
        unsung = _far_from(activity, int(round(AWAY_S * fps)))
        sung_levels.append(level[activity])
        unsung_levels.append(level[unsung])
        for open_db, closed_db in grid:
            G.OPEN_DB, G.CLOSED_DB = open_db, closed_db
            gate = G.voice_gate(stems.vocals[:, 0], FEATURE_SR, len(activity), fps)
            per_grid[(open_db, closed_db)][0].append(gate[activity])
            per_grid[(open_db, closed_db)][1].append(gate[unsung])
        print(f"\r{index + 1}/{len(entries)} clips", end="", file=sys.stderr, flush=True)
    print(file=sys.stderr)
    sung, unsung = np.concatenate(sung_levels), np.concatenate(unsung_levels)
    quantiles = (1, 5, 10, 50, 90, 95, 99)
    print(f"{len(entries)} training clips of {args.corpus.name}, {stems.backend} vocals")
    print(
        "sung frames, dB:   " + " ".join(f"p{q} {np.percentile(sung, q):6.1f}" for q in quantiles)
    )
    print(
        "unsung frames, dB: " + " ".join(f"p{q} {np.percentile(unsung, q):6.1f}" for q in quantiles)
    )
    print(
        "open dB  closed dB  sung open (gate > 0.5)  unsung closed (gate < 0.1)  mean gate unsung"
    )
    for key, (on, off) in per_grid.items():
        on_all, off_all = np.concatenate(on), np.concatenate(off)
        print(
            f"{key[0]:7.0f}  {key[1]:9.0f}  {100 * (on_all > 0.5).mean():21.1f} %"
            f"  {100 * (off_all < 0.1).mean():25.1f} %  {off_all.mean():16.3f}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
