"""The paper's 100 fps MFCC + delta of a stream that grows block by block.

Each MFCC row reads its own 25 ms of sound, and its delta the rows two either side,
so a new block changes only the last few rows: they are computed again by
core.features.mfcc_26 from a few rows before them (pre-emphasis reads the previous
sample, the delta two rows), and every settled row equals what mfcc_26 gives for the
whole song. Only rows whose 25 ms lie wholly inside the sound so far exist; the
newest two deltas are provisional (their future rows are not there yet: edge-padded,
as mfcc_26 pads the end of a song). Old rows and sound are let go past `keep_rows`.
"""

from __future__ import annotations

import numpy as np

from core.audio import FEATURE_SR
from core.features import FEATURE_DIM, MFCC_FPS, mfcc_26

_STEP = FEATURE_SR // MFCC_FPS  # 160 samples per row
_LENGTH = FEATURE_SR * 25 // 1000  # 400 samples a row reads
_DELTA = 2  # rows either side that a delta reads
_WARM = _DELTA + 1  # rows computed before the first kept one (delta + pre-emphasis)


class MfccStream:
    def __init__(self, keep_rows: int) -> None:
        self.keep_rows = keep_rows
        self.audio = np.zeros(0, np.float64)
        self.audio_start = 0  # absolute sample index of audio[0]
        self.rows = np.zeros((0, FEATURE_DIM), np.float32)
        self.row_start = 0  # absolute index of rows[0]
        self._settled = 0  # absolute rows before this one are final

    @property
    def samples(self) -> int:
        """Samples received so far (absolute)."""
        return self.audio_start + len(self.audio)

    @property
    def settled(self) -> int:
        """Rows before this one (absolute) are final."""
        return self._settled

    @property
    def row_end(self) -> int:
        """One past the newest row (absolute)."""
        return self.row_start + len(self.rows)

    def extend(self, block: np.ndarray) -> None:
        """Append mono 16 kHz samples and bring the rows up to date."""
        self.audio = np.concatenate([self.audio, np.asarray(block, np.float64).reshape(-1)])
        total = self.samples
        if total < _LENGTH:
            return
        complete = (total - _LENGTH) // _STEP + 1  # rows whose 25 ms are all here
        if complete <= self.row_end:
            return
        first = self._settled  # rows from here on are (re)computed
        warm = max(0, first - _WARM)
        lo = warm * _STEP - self.audio_start
        hi = (complete - 1) * _STEP + _LENGTH - self.audio_start
        fresh = mfcc_26(self.audio[lo:hi])[first - warm :]
        keep = self.rows[: first - self.row_start]
        self.rows = np.concatenate([keep, fresh])
        self._settled = max(first, complete - _DELTA)
        self._trim()

    def _trim(self) -> None:
        drop = len(self.rows) - self.keep_rows
        if drop > 0:
            self.rows = self.rows[drop:]
            self.row_start += drop
        # Keep the sound the unsettled rows (and their warm-up rows) read.
        first_needed = max(0, self._settled - _WARM) * _STEP
        cut = first_needed - self.audio_start
        if cut > 0:
            self.audio = self.audio[cut:]
            self.audio_start += cut

    def window(self, start: int, stop: int) -> np.ndarray:
        """Rows [start, stop) (absolute), clipped to those held: (n, 26) float32."""
        lo, hi = max(start, self.row_start), min(stop, self.row_end)
        return self.rows[lo - self.row_start : max(lo, hi) - self.row_start]
