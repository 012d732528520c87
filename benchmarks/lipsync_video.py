"""Lip sync against real faces: each video's captured jaw beside ours from its own sound.

For each video with sound in a folder (default ../shared/realdata/video): capture the
face (`musicface capture`), generate from the video's audio (`musicface generate`),
and print per video and the mean over the videos whose sound is the person's own
voice (training/lipsync.py keeps the list): Pearson r of jawOpen at lag 0 and at the
best lag within ±0.2 s, r of the mouth channels that move most in the capture, our
jaw's 95th percentile over theirs, and the same r for the loudness envelope of the
separated vocals. A PNG per video with both jaw curves goes to --out.

    .venv/bin/python benchmarks/lipsync_video.py [--videos DIR] [--checkpoint CKPT]
        [--separator auto] [--out DIR] [--json FILE] [--only NAME] [--debug]

Exits 0 with a message when the folder is absent (a user's clone has none).
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

from training import lipsync as L  # noqa: E402

DEFAULT_VIDEOS = REPO.parent / "shared" / "realdata" / "video"
COLUMNS = (
    ("name", "video", 34, "s"),
    ("voice", "voice", 5, "s"),
    ("r_jaw", "r jaw", 6, ".2f"),
    ("r_jaw_best", "best", 5, ".2f"),
    ("best_lag_s", "lag s", 6, "+.2f"),
    ("r_loud", "r loud", 6, ".2f"),
    ("r_loud_best", "best", 5, ".2f"),
    ("r_channels_text", "r of the most moving mouth channels", 44, "s"),
    ("p95_ours", "p95 ours", 8, ".2f"),
    ("p95_theirs", "theirs", 6, ".2f"),
    ("p95_ratio", "ratio", 5, ".2f"),
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
    head = " ".join(t.ljust(w) if f == "s" else t.rjust(w) for _, t, w, f in COLUMNS)
    lines = [head, "-" * len(head)]
    for row in rows:
        shown = dict(row)
        shown["voice"] = {True: "own", False: "other", None: "?"}.get(row.get("own_voice"), "")
        if str(row.get("name", "")).startswith("mean"):
            shown["voice"] = ""
        if "r_channels" in row:
            shown["r_channels_text"] = " ".join(
                f"{c.removeprefix('mouth')}:{r:.2f}"
                for c, r in zip(row["channels"], row["r_channels"], strict=True)
            )
        elif "r_channels_mean" in row:
            shown["r_channels_text"] = f"mean {row['r_channels_mean']:.2f}"
            lines.append("-" * len(head))
        lines.append(" ".join(_cell(shown, k, w, f) for k, _, w, f in COLUMNS))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--videos", type=Path, default=DEFAULT_VIDEOS)
    parser.add_argument("--out", type=Path, default=REPO / "out" / "lipsync_video")
    parser.add_argument("--checkpoint", type=Path, default=None)
    parser.add_argument("--separator", default="auto")
    parser.add_argument("--only", default=None, help="videos whose name contains this")
    parser.add_argument("--json", type=Path, default=None, help="write the figures here")
    parser.add_argument("--debug", action="store_true", help="tracebacks instead of one line")
    args = parser.parse_args(argv)

    if not args.videos.is_dir():
        print(f"video folder absent ({args.videos}); nothing to measure")
        return 0
    videos = L.discover_videos(args.videos)
    if args.only:
        videos = [v for v in videos if args.only.lower() in v.name.lower()]
    if not videos:
        print(f"no videos in {args.videos}" + (f" matching {args.only!r}" if args.only else ""))
        return 2

    from core.checkpoints import load_checkpoint
    from core.errors import MusicFaceError

    rows: list[dict[str, Any]] = []
    try:
        checkpoint = load_checkpoint(args.checkpoint)
        for video in videos:
            start = time.perf_counter()
            result = L.evaluate_video(
                video, checkpoint, args.separator, capture_cache=args.out / "captures"
            )
            png = L.plot_video(args.out / f"{video.stem}.png", result)
            row = result.scores
            row["separator"] = result.separator
            row["wall_s"] = round(time.perf_counter() - start, 1)
            rows.append(row)
            print(f"{video.stem}: r {row['r_jaw']:.2f} ({row['wall_s']} s) → {png}", flush=True)
    except MusicFaceError as err:
        if args.debug:
            raise
        print(f"error: {err}", file=sys.stderr)
        return err.exit_code

    own = [r for r in rows if r["own_voice"] is True]
    shown = own + ([L.mean_scores(own, "mean (own voice)")] if own else [])
    others = [r for r in rows if r["own_voice"] is not True]
    shown += others + ([L.mean_scores(rows, "mean (all videos)")] if others else [])
    print()
    print(table(shown))
    print(
        "r: Pearson of jawOpen, generated vs captured, lag 0; best: within ±0.2 s "
        "(lag > 0: ours late); loud: the separated vocals' RMS envelope as a jaw"
    )
    if args.json is not None:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps({"videos": rows, "means": shown}, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
