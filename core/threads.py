"""How many cores this process may use: its share when `musicface batch` runs it as one of
several workers on a machine (MUSICFACE_TORCH_THREADS), else all its CPU affinity allows."""

from __future__ import annotations

import os

THREADS_ENV = "MUSICFACE_TORCH_THREADS"


def process_cores() -> int:
    """A CI runner's 2, a laptop's 8, a batch worker's share of them."""
    share = os.environ.get(THREADS_ENV, "")
    if share.isdigit() and int(share) > 0:
        return int(share)
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)
