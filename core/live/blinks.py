"""Blinks for a stream with no end: ESGN's sampler, one stretch of frames at a time.

`core.model.esgn.sample_blinks` draws a take's blinks from the take seed for a known
number of frames. A live stream has no known length, so the same sampler fills
`SEGMENT_FRAMES` at a time from one generator: the first onset of each stretch is
drawn from the blink interval after its start, as a take's first is, so a gap across
a stretch's start is at most two intervals long (once every five minutes).
"""

from __future__ import annotations

import numpy as np

from core.model.esgn import sample_blinks

SEGMENT_FRAMES = 9000  # five minutes at 30 fps


class BlinkStream:
    def __init__(
        self,
        fps: float,
        seed: int,
        interval: tuple[float, float],
        duration: tuple[float, float],
    ) -> None:
        self.fps, self.interval, self.duration = fps, interval, duration
        self._rng = np.random.Generator(np.random.PCG64(seed))
        self._values = np.zeros(0, np.float32)

    def frames(self, start: int, stop: int) -> np.ndarray:
        """e_blink of absolute frames [start, stop) (start ≥ 0), sampling ahead as needed."""
        while len(self._values) < stop:
            more = sample_blinks(SEGMENT_FRAMES, self.fps, self._rng, self.interval, self.duration)
            self._values = np.concatenate([self._values, more])
        return self._values[start:stop]
