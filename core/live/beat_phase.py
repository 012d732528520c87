"""The pose head's beat phase from the beats heard so far (core/rhythm.py, online).

Offline, the beats are tracked once over the whole song. Live, the same tracker
(core.rhythm.beats_from_mfcc) runs every `UPDATE_S` over the last `HISTORY_S` of the
rhythm stream's MFCC; a frame's phase comes from the latest estimate, continued past
its last beat at its median period (core.rhythm.beat_phase), so it needs no future.
Until `HISTORY_S`' first two seconds have been heard there is no tempo (zeros, as for
a song without beats). The beats each update settles (those a second or more old) are
kept as the take's beat markers.
"""

from __future__ import annotations

import numpy as np

from core.features import MFCC_FPS
from core.live.mfcc_stream import MfccStream
from core.rhythm import RHYTHM_DIM, beat_phase, beats_from_mfcc

HISTORY_S = 12.0
UPDATE_S = 0.5
SETTLED_S = 1.0


class OnlineBeats:
    def __init__(self, fps: float) -> None:
        self.fps = fps
        self.beats = np.zeros(0)  # seconds, the latest estimate
        self.markers: list[float] = []
        self._updated_at = -np.inf
        self._marked_until = 0.0

    def update(self, mfcc: MfccStream) -> None:
        """Track again when `UPDATE_S` of sound came since the last time."""
        now = mfcc.row_end / MFCC_FPS
        if now - self._updated_at < UPDATE_S or mfcc.row_end == 0:
            return
        self._updated_at = now
        start = max(mfcc.row_start, mfcc.row_end - int(HISTORY_S * MFCC_FPS))
        rows = mfcc.window(start, mfcc.row_end)
        beats = beats_from_mfcc(rows)
        if len(beats) < 2:
            return
        self.beats = beats + start / MFCC_FPS
        settled = now - SETTLED_S
        new = self.beats[(self.beats > self._marked_until) & (self.beats <= settled)]
        if self.markers and len(new):
            # The same beat re-estimated a few rows later is not a second beat.
            period = float(np.median(np.diff(self.beats)))
            new = new[new > self.markers[-1] + 0.5 * period]
        self.markers.extend(float(b) for b in new)
        self._marked_until = max(self._marked_until, settled)

    def phase(self, frame: int) -> np.ndarray:
        """(RHYTHM_DIM,) float32: (cos 2πφ, sin 2πφ) of `frame`, zeros without a tempo."""
        if len(self.beats) < 2:
            return np.zeros(RHYTHM_DIM, np.float32)
        return beat_phase(self.beats - frame / self.fps, 1, self.fps)[0]
