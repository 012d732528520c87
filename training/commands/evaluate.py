"""`musicface-train evaluate --data DIR --checkpoint CKPT`: the paper's metrics, test split."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from core.errors import BadInput
from core.progress import ProgressFn
from core.separation.names import SEPARATORS

NAME = "evaluate"
HELP = "evaluate checkpoints on a dataset's test split (mixture in, the engine's real path)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data", type=Path, required=True, help="dataset folder (manifest.json)")
    parser.add_argument(
        "--checkpoint",
        type=Path,
        nargs="+",
        required=True,
        help="one or more generator checkpoints (one table row each)",
    )
    parser.add_argument(
        "--separator",
        choices=SEPARATORS,
        help="how generate() splits each test mixture (default: the separator the "
        "corpus's features were made with, as the model heard in training)",
    )
    parser.add_argument("--seed", type=int, default=0, help="take seed (blinks, baseline)")
    parser.add_argument("--json", type=Path, help="also write every figure to this JSON file")
    parser.add_argument("--markdown", type=Path, help="also write the table to this markdown file")
    parser.add_argument(
        "--plots", type=Path, help="folder for one PNG per clip (default: beside --json, or none)"
    )
    parser.add_argument("--limit", type=int, help="evaluate only the first N test clips")
    parser.add_argument(
        "--no-mouth-gate", action="store_true", help="the models alone, without the voice gate"
    )


def run(args: argparse.Namespace, progress: ProgressFn) -> int:
    from training.evaluate import evaluate, format_table

    for path in args.checkpoint:
        if not path.is_file():
            raise BadInput(f"checkpoint not found: {path}")
    if args.limit is not None and args.limit < 1:
        raise BadInput("--limit must be at least 1")
    plots = args.plots
    if plots is None and args.json is not None:
        plots = args.json.with_suffix("").with_name(args.json.stem + "_plots")
    result = evaluate(
        args.data,
        list(args.checkpoint),
        separator=args.separator,
        seed=args.seed,
        plots=plots,
        limit=args.limit,
        mouth_gate=not args.no_mouth_gate,
        progress=progress,
    )
    table = format_table(result)
    print(
        f"{result['clips']} test clips, {result['seconds']:.0f} s, separator {result['separator']}"
    )
    print(table)
    for target, text in ((args.json, json.dumps(result, indent=1)), (args.markdown, table + "\n")):
        if target is None:
            continue
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text)
        except OSError as err:
            raise BadInput(f"cannot write {target}: {err.strerror or err}") from err
    if plots is not None:
        print(f"plots in {plots}")
    args.done_path = args.json or args.markdown
    return 0
