"""Cut 39-frame MFCC windows for any span of video frames without copying a whole song.

`core.features.frame_windows` defines which MFCC rows each video frame reads.
We run it once on a column of row numbers, which yields that exact row table
(T, 39); a span's windows are then one gather. Training crops and inference
chunks cut windows this way, so they match `frame_windows` by construction.
"""

from __future__ import annotations

import numpy as np

from core.features import frame_windows


def window_rows(n_mfcc_frames: int, n_frames: int, fps: float) -> np.ndarray:
    """(n_frames, 39) int64: the MFCC rows of each video frame's window."""
    # float32 holds integers exactly up to 2**24 rows (46 hours at 100 fps).
    row_numbers = np.arange(n_mfcc_frames, dtype=np.float32)[:, None]
    return frame_windows(row_numbers, n_frames, fps)[..., 0].astype(np.int64)


def cut_windows(mfcc: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """(len(rows), 39, D) windows of `mfcc` (N, D) for a slice of the row table."""
    return mfcc[rows]
