"""The song plan: tempo, beat grid, bars and their roles, key, chords, vocal phrases.

Everything else (the band, the singer, the performer) is rendered from this plan,
so the beats the head follows are exactly the beats the drums play.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

BEATS_PER_BAR = 4
MAJOR = (0, 2, 4, 5, 7, 9, 11)
MINOR = (0, 2, 3, 5, 7, 8, 10)
# Scale-degree progressions (0 = tonic), one chord per bar.
_PROGRESSIONS = {
    False: ((0, 4, 5, 3), (0, 3, 4, 3), (5, 3, 0, 4), (0, 5, 3, 4), (3, 4, 0, 0)),
    True: ((0, 5, 2, 6), (0, 3, 6, 2), (0, 6, 5, 6), (0, 3, 4, 0)),
}
GROOVES = ("rock", "four_on_floor", "half_time", "shuffle")


@dataclass(frozen=True)
class Phrase:
    """A sung line: from `start` to `end` beats (counted from the first beat)."""

    start: float
    end: float


@dataclass(frozen=True)
class SongPlan:
    bpm: float
    first_beat: float  # seconds before the first beat (the clip's pickup)
    n_bars: int
    sections: tuple[str, ...]  # per bar: intro | vocal | break | outro
    tonic: int  # pitch class 0..11
    minor: bool
    progression: tuple[int, ...]  # scale degree of each bar's chord
    groove: str
    phrases: tuple[Phrase, ...]
    tail: float  # seconds after the last bar (the last chord rings out)

    @property
    def beat(self) -> float:
        return 60.0 / self.bpm

    @property
    def seconds(self) -> float:
        return self.first_beat + self.n_bars * BEATS_PER_BAR * self.beat + self.tail

    def time(self, beat_index: float) -> float:
        """Seconds at a (fractional) beat counted from the first beat."""
        return self.first_beat + beat_index * self.beat

    @property
    def beats(self) -> np.ndarray:
        """Every beat the band plays, in seconds."""
        return np.array([self.time(k) for k in range(self.n_bars * BEATS_PER_BAR)])

    @property
    def downbeats(self) -> np.ndarray:
        return self.beats[::BEATS_PER_BAR]

    @property
    def scale(self) -> tuple[int, ...]:
        return MINOR if self.minor else MAJOR

    def chord(self, bar: int) -> tuple[int, int, int]:
        """Semitones above the tonic of the root, third and fifth of a bar's chord."""
        degree = self.progression[bar % len(self.progression)]
        steps = [degree, degree + 2, degree + 4]
        return tuple(12 * (s // 7) + self.scale[s % 7] for s in steps)  # type: ignore[return-value]


def _sections(rng: np.random.Generator, n_bars: int) -> list[str]:
    roles = ["vocal"] * n_bars
    if rng.random() < 0.85:
        roles[0] = "intro"
    if n_bars >= 4 and rng.random() < 0.7:
        roles[-1] = "outro"
    if n_bars >= 6 and rng.random() < 0.6:
        roles[int(rng.integers(2, n_bars - 2))] = "break"
    if roles.count("vocal") < 2:  # keep at least two sung bars
        for k in range(n_bars):
            if roles[k] != "intro" and roles.count("vocal") < 2:
                roles[k] = "vocal"
    return roles


def _phrases(rng: np.random.Generator, sections: list[str], bpm: float) -> list[Phrase]:
    """Split each run of vocal bars into lines of one or two bars, with a rest to breathe."""
    phrases: list[Phrase] = []
    bar = 0
    while bar < len(sections):
        if sections[bar] != "vocal":
            bar += 1
            continue
        run = 1
        while bar + run < len(sections) and sections[bar + run] == "vocal":
            run += 1
        k = bar
        while k < bar + run:
            length = (
                2 if (run - (k - bar) >= 2 and rng.random() < (0.3 if bpm < 95 else 0.6)) else 1
            )
            start = k * BEATS_PER_BAR + float(rng.choice([0.0, 0.0, 0.5, 1.0]))
            rest = float(rng.choice([1.0, 1.5, 2.0]))
            # At least ~0.45 s of rest so the singer can breathe.
            rest = max(rest, np.ceil(0.45 * bpm / 60.0 * 2) / 2)
            end = (k + length) * BEATS_PER_BAR - rest
            if end - start >= 1.5:
                phrases.append(Phrase(start=start, end=end))
            k += length
        bar += run
    return phrases


def random_plan(rng: np.random.Generator, seconds: float) -> SongPlan:
    """A song of about `seconds` seconds (never shorter than three bars)."""
    bpm = float(rng.uniform(70.0, 160.0))
    beat = 60.0 / bpm
    first_beat = float(rng.uniform(0.05, 0.5))
    tail = float(rng.uniform(0.4, 0.9))
    n_bars = max(3, int(round((seconds - first_beat - tail) / (BEATS_PER_BAR * beat))))
    sections = _sections(rng, n_bars)
    minor = bool(rng.random() < 0.4)
    progressions = _PROGRESSIONS[minor]
    return SongPlan(
        bpm=bpm,
        first_beat=first_beat,
        n_bars=n_bars,
        sections=tuple(sections),
        tonic=int(rng.integers(12)),
        minor=minor,
        progression=progressions[int(rng.integers(len(progressions)))],
        groove=GROOVES[int(rng.integers(len(GROOVES)))],
        phrases=tuple(_phrases(rng, sections, bpm)),
        tail=tail,
    )
