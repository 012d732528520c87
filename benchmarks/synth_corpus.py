"""Synthetic corpus: build time per separator, the mix statistics the realism effects
change, and how much of a separator's vocal stream is the lead voice.

    python benchmarks/synth_corpus.py [--songs 20] [--separators dsp spleeter] [--workers 2]

Prints figures; asserts nothing. "before" is the same generator with every
realism effect off (`Realism.off()`: one dry lead, plain band, −8…+6 dB).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
from scipy.signal import resample_poly

from core.audio import SEPARATION_SR
from training.synth.clip import Clip
from training.synth.corpus import fresh_clips, write_corpus
from training.synth.realism import Realism
from training.synth.separator import separate


def _mono(x: np.ndarray) -> np.ndarray:
    return x.mean(axis=1) if x.ndim == 2 else x


def var_db(clip: Clip) -> float:
    """Lead-and-backing RMS over the sung samples against the whole band's RMS, in dB."""
    vocals, band = _mono(clip.vocals), _mono(clip.accompaniment)
    sung = np.abs(vocals) > 1e-3 * np.abs(vocals).max()
    return float(10 * np.log10(np.mean(vocals[sung] ** 2) / np.mean(band**2)))


def energy_shares(clip: Clip, separator: str) -> tuple[float, float, float]:
    """Shares of the separated vocal stream's energy explained by the lead, by the
    backing voices and by the band (each a squared correlation at 44.1 kHz)."""
    sep_vocals, _ = separate(clip.mixture, clip.sr, separator)
    target = _mono(sep_vocals).astype(np.float64)
    assert clip.lead is not None

    def share(part: np.ndarray) -> float:
        up = resample_poly(_mono(part).astype(np.float64), SEPARATION_SR, clip.sr)
        m = min(len(up), len(target))
        denom = np.sum(up[:m] ** 2) * np.sum(target[:m] ** 2)
        return float(np.dot(up[:m], target[:m]) ** 2 / denom) if denom > 0 else 0.0

    return share(clip.lead), share(clip.vocals - clip.lead), share(clip.accompaniment)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--songs", type=int, default=20)
    parser.add_argument("--separators", nargs="+", default=["dsp"])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--share-clips", type=int, default=6)
    args = parser.parse_args()

    for separator in args.separators:
        with tempfile.TemporaryDirectory() as temp:
            start = time.perf_counter()
            write_corpus(
                Path(temp) / "c", args.songs, seed=0, workers=args.workers, stems=separator
            )
            seconds = time.perf_counter() - start
        print(f"build {args.songs} songs, separator {separator}: {seconds:.1f} s")

    for name, realism in (("before", Realism.off()), ("after", Realism())):
        clips = list(
            fresh_clips(0, range(args.songs), (10.0, 20.0), args.workers, "clean", realism)
        )
        ratios = np.array([var_db(c) for c in clips])
        q = np.percentile(ratios, [10, 50, 90])
        print(
            f"{name}: vocal-to-accompaniment dB mean {ratios.mean():+.1f}, "
            f"p10/p50/p90 {q[0]:+.1f}/{q[1]:+.1f}/{q[2]:+.1f}, "
            f"backing {np.mean([bool(c.info.get('backing')) for c in clips]):.0%}, "
            f"rap {np.mean([bool(c.info.get('rap')) for c in clips]):.0%}, "
            f"mp3 {np.mean([c.info.get('mp3_kbps') is not None for c in clips]):.0%}, "
            f"reverb {np.mean(['reverb' in c.info for c in clips]):.0%}, "
            f"extra layers {np.mean([len(c.info.get('layers', [])) for c in clips]):.1f}"
        )
        for separator in args.separators:
            shares = np.array([energy_shares(c, separator) for c in clips[: args.share_clips]])
            lead, others, band = shares.mean(axis=0)
            print(
                f"  {separator} vocal stream, {len(shares)} clips: lead {lead:.2f}, "
                f"backing {others:.2f}, band {band:.2f} of its energy (squared correlation)"
            )


if __name__ == "__main__":
    main()
