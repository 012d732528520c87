"""Where does the jaw open without the lead, and why? Songs of the kinds that fail.

For each kind of training/hard_songs.py (ad-libs, shouted and spoken backing, choir,
distorted guitars with a screamed lead, rap over a dense beat, a lead instrument,
reverb tails, call and response), a few songs made by this project's own synthesis
from seeds no corpus uses (test-only material), mixture in, default settings. Per
kind: AUC of jawOpen between frames where the lead sings and where it is away, and
the share of the kind's frames (it sounds, the lead is away) with the mouth shut,
for

- `engine`: the shipped path (model + mouth gate with its lead detector);
- `model`: the model alone (--no-mouth-gate);
- `no band`: the model alone on the same separated vocal stream with a silent
  accompaniment stream: what the accompaniment adds to the mouth through the ATM;
- `loud`: the vocal stream's loudness envelope (the naive baseline; AUC only);

and the lead detector's mean P(lead) where the lead sings and in the kind's frames.

    .venv/bin/python benchmarks/hard_songs.py [--songs 3] [--checkpoint CKPT]
        [--out out/hard_songs] [--json FILE] [--kinds NAME ...]
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:  # run as a script from anywhere
    sys.path.insert(0, str(REPO))

from training import hard_songs as H  # noqa: E402


def make_songs(kind: str, count: int, folder: Path) -> list[tuple[Path, Path]]:
    """The kind's songs (made once, each in a fresh process, then read from `folder`)."""
    from training.synth.corpus import fresh_clips

    base = list(H.KINDS).index(kind) * 1000
    wanted = [(base + k, folder / f"synth{H.SEED:04d}_{base + k:05d}") for k in range(count)]
    missing = [i for i, stem in wanted if not stem.with_suffix(".npz").is_file()]
    if missing:
        for clip in fresh_clips(H.SEED, missing, (12.0, 18.0), 2, "clean", H.kind_realism(kind)):
            H.write_song(clip, folder)
    return [(stem.with_suffix(".flac"), stem.with_suffix(".npz")) for _, stem in wanted]


def measure(song: Path, truth_path: Path, where: str, checkpoint: Any, scratch: Path) -> dict:
    from core.audio import FEATURE_SR, write_wav
    from core.features import mfcc_26
    from core.generate import generate
    from core.separation import separate
    from core.vocal_cues import vocal_cues
    from core.voice_detector import load_voice_detector
    from core.voice_gate import frame_rms, vocal_level_db

    engine = generate(song, checkpoint)
    frames, fps = engine.frames, engine.fps
    truth = H.read_truth(truth_path, frames)
    heard = separate(song, "auto")
    level = vocal_level_db(heard.vocals, heard.sr, frames, fps)
    where_mask = H.kind_frames(truth, where, level)
    alone = generate(song, checkpoint, mouth_gate=False)
    scratch.mkdir(parents=True, exist_ok=True)
    vocals, silence = scratch / "vocals.wav", scratch / "silence.wav"
    write_wav(vocals, heard.vocals, heard.sr)
    write_wav(silence, np.zeros_like(heard.accompaniment), heard.sr)
    no_band = generate(song, checkpoint, vocals=vocals, accompaniment=silence, mouth_gate=False)
    loud = frame_rms(heard.vocals, heard.sr, frames, fps)
    mono = separate(song, "auto", sr=FEATURE_SR)
    detector = load_voice_detector()
    cues = vocal_cues(mono.vocals, FEATURE_SR, frames, fps) if detector.reads_cues else None
    lead = detector.probability(mfcc_26(mono.vocals.mean(axis=1)), frames, fps, cues)
    row: dict[str, Any] = {"song": song.stem, "kind_frames": int(where_mask.sum())}
    for name, perf in (("engine", engine), ("model", alone), ("no band", no_band)):
        scores = H.score_jaw(perf.expression[:, H.JAW], truth, where_mask)
        row[f"{name} auc"], row[f"{name} closed"] = scores["auc"], scores["closed"]
    row["loud auc"] = H.score_jaw(loud, truth, where_mask)["auc"]
    row["P(lead) sung"] = float(lead[truth.sung].mean()) if truth.sung.any() else math.nan
    row["P(lead) kind"] = float(lead[where_mask].mean()) if where_mask.any() else math.nan
    return row


COLUMNS = ("engine auc", "model auc", "no band auc", "loud auc", "engine closed",
           "model closed", "no band closed", "P(lead) sung", "P(lead) kind")  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--songs", type=int, default=3, help="songs per kind (default 3)")
    parser.add_argument("--checkpoint", type=Path, default=None)
    parser.add_argument("--out", type=Path, default=REPO / "out" / "hard_songs")
    parser.add_argument("--json", type=Path, default=None)
    parser.add_argument("--kinds", nargs="*", default=list(H.KINDS), choices=list(H.KINDS))
    args = parser.parse_args(argv)

    from core.checkpoints import load_checkpoint

    checkpoint = load_checkpoint(args.checkpoint)
    per_kind: dict[str, list[dict[str, Any]]] = {}
    for kind in args.kinds:
        started = time.perf_counter()
        songs = make_songs(kind, args.songs, args.out / "songs")
        where = H.KINDS[kind][1]
        rows = [measure(s, t, where, checkpoint, args.out / "scratch") for s, t in songs]
        per_kind[kind] = rows
        print(f"{kind}: {len(rows)} songs in {time.perf_counter() - started:.0f} s", flush=True)

    head = f"{'kind':34} {'frames':>6} " + " ".join(f"{c:>13}" for c in COLUMNS)
    print()
    print(head)
    print("-" * len(head))
    means: dict[str, dict[str, float]] = {}
    for kind, rows in per_kind.items():
        mean = {c: float(np.nanmean([r[c] for r in rows])) for c in COLUMNS}
        means[kind] = mean
        frames = sum(r["kind_frames"] for r in rows)
        cells = " ".join(
            f"{mean[c]:>13.3f}" if "auc" in c or "P(" in c else f"{mean[c]:>13.0%}" for c in COLUMNS
        )
        print(f"{kind:34} {frames:>6} {cells}")
    overall = {c: float(np.nanmean([m[c] for m in means.values()])) for c in COLUMNS}
    cells = " ".join(
        f"{overall[c]:>13.3f}" if "auc" in c or "P(" in c else f"{overall[c]:>13.0%}"
        for c in COLUMNS
    )
    print("-" * len(head))
    print(f"{'mean over kinds':34} {'':>6} {cells}")
    print(
        "auc: jawOpen, lead sings vs lead away; closed: jawOpen < 0.15 where the kind sounds "
        "and the lead is away; no band: the model alone with a silent accompaniment stream"
    )
    if args.json is not None:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        report = {"kinds": per_kind, "means": means, "overall": overall}
        args.json.write_text(json.dumps(report, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
