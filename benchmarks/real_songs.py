"""The real-song benchmark: how well the face follows real songs (issue 11, item 5).

Over the dev set in `../shared/realdata` (songs with word timings, excerpts with
true stems, a cappella files): per item and mean, the AUC of jawOpen between sung
and unsung frames, the share of unsung frames with the mouth closed (jawOpen <
0.15), the sung/unsung jaw ratio, head rotation std per axis and mean speed,
blinks per second and their mean duration; beside the model, the naive loudness
baseline (RMS of the vocal stream the model heard) and, where true stems exist,
the model on them. The truth rules are in training/real_songs.py. One PNG per
item goes to --out. The headline mean is over the songs and the stems excerpts
(the items with an independent truth); the a cappella files get their own mean.

    .venv/bin/python benchmarks/real_songs.py [--separator auto] [--checkpoint CKPT]
        [--realdata DIR] [--out DIR] [--only NAME] [--json FILE] [--no-mouth-gate] [--debug]

Exits 0 with a message when the dev set is absent (a user's clone has none).
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:  # run as a script from anywhere
    sys.path.insert(0, str(REPO))

from training import real_songs as R  # noqa: E402

COLUMNS = (
    ("name", "item", 30, "s"),
    ("separator", "sep", 9, "s"),
    ("auc", "AUC", 6, ".3f"),
    ("baseline_auc", "loud", 6, ".3f"),
    ("stems_auc", "stemAUC", 7, ".3f"),
    ("closed", "closed", 6, ".0%"),
    ("stems_closed", "stemCl", 6, ".0%"),
    ("ratio", "ratio", 6, ".2f"),
    ("pitch_std", "pitch°", 6, ".1f"),
    ("roll_std", "roll°", 6, ".1f"),
    ("yaw_std", "yaw°", 6, ".1f"),
    ("speed", "°/s", 5, ".0f"),
    ("blinks_per_s", "blk/s", 5, ".2f"),
    ("blink_s", "blk s", 5, ".2f"),
    ("head_ba", "headBA", 6, ".3f"),
    ("head_ba_shifted", "shift", 5, ".3f"),
)


def _cell(row: dict[str, Any], key: str, width: int, fmt: str) -> str:
    value = row.get(key)
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–".rjust(width)
    if fmt == "s":
        text = str(value)
        return (text[: width - 1] + "…" if len(text) > width else text).ljust(width)
    return format(value, fmt).rjust(width)


def table(rows: list[dict[str, Any]]) -> str:
    head = " ".join(
        title.ljust(w) if fmt == "s" else title.rjust(w) for _, title, w, fmt in COLUMNS
    )
    lines = [head, "-" * len(head)]
    for row in rows:
        if row.get("kind") == "":  # a mean line
            lines.append("-" * len(head))
        lines.append(" ".join(_cell(row, key, w, fmt) for key, _, w, fmt in COLUMNS))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--realdata", type=Path, default=R.default_realdata(REPO))
    parser.add_argument("--out", type=Path, default=REPO / "out" / "real_songs")
    parser.add_argument("--separator", default="auto")
    parser.add_argument("--checkpoint", type=Path, default=None)
    parser.add_argument("--only", default=None, help="items whose name contains this")
    parser.add_argument("--no-stems", action="store_true", help="skip the true-stems runs")
    parser.add_argument(
        "--no-mouth-gate", action="store_true", help="the model alone, without the voice gate"
    )
    parser.add_argument("--json", type=Path, default=None, help="write the figures here")
    parser.add_argument("--debug", action="store_true", help="tracebacks instead of one line")
    args = parser.parse_args(argv)

    if not args.realdata.is_dir():
        print(f"real-song dev set absent ({args.realdata}); nothing to measure")
        return 0
    items = R.discover(args.realdata, args.only)
    if not items:
        print(f"no items in {args.realdata}" + (f" matching {args.only!r}" if args.only else ""))
        return 2

    from core.checkpoints import load_checkpoint
    from core.errors import MusicFaceError

    try:
        checkpoint = load_checkpoint(args.checkpoint)
        rows: list[dict[str, Any]] = []
        results: list[R.ItemResult] = []
        for item in items:
            start = time.perf_counter()
            result = R.evaluate_item(
                item, checkpoint, args.separator, not args.no_stems, not args.no_mouth_gate
            )
            png = R.plot_item(args.out / f"{item.name}.png", result)
            results.append(result)
            row = result.row()
            row["seconds"] = round(time.perf_counter() - start, 1)
            why = result.below_loudness()
            if why is not None:
                row["below_loudness"] = why
            rows.append(row)
            print(f"{item.name}: AUC {row['auc']:.3f} ({row['seconds']} s) → {png}", flush=True)
    except MusicFaceError as err:
        if args.debug:
            raise
        print(f"error: {err}", file=sys.stderr)
        return err.exit_code

    timed = [r for r in rows if r["kind"] in ("song", "stems")]
    sung = [r for r in rows if r["kind"] == "sung"]
    shown = timed + ([R.mean_row(timed, "mean (songs+stems)")] if timed else [])
    shown += sung + ([R.mean_row(sung, "mean (a cappella)")] if sung else [])
    pooled = R.pooled_closed([r for r in results if r.item.kind in ("song", "stems")])
    print()
    print(table(shown))
    print(f"songs+stems: mouth closed in {pooled:.1%} of all their unsung frames (pooled)")
    print(
        "headBA: the paper's beat alignment of the head's pauses against librosa's beats of "
        "the song; shift: the same pauses shifted at random (chance)"
    )
    below = [r for r in rows if "below_loudness" in r]
    if below:
        print("\nwhere the model's AUC is below the loudness envelope's, why:")
        for r in below:
            name, why = r["name"], r["below_loudness"]
            print(f"  {name}: AUC {r['auc']:.3f} < {r['baseline_auc']:.3f}: {why}")
    if args.json is not None:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        report = {"items": rows, "means": shown, "closed_pooled": pooled}
        args.json.write_text(json.dumps(report, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
