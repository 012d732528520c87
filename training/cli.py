"""`musicface-train`: corpus synthesis, training, evaluation (commands in training/commands/)."""

from __future__ import annotations

import sys
from collections.abc import Sequence

from core.cli import run_cli


def main(argv: Sequence[str] | None = None) -> int:
    return run_cli("musicface-train", "training.commands", argv)


if __name__ == "__main__":
    sys.exit(main())
