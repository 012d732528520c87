"""A melodic lead instrument (synth, organ, flute, pluck) in intros, breaks and outros.

Real songs often open with a pitched instrument in the middle of the stereo
image, right where a separator looks for the voice, so the engine's vocal
stream carries it. Without such a lead in the corpus the generator learns "a
pitched sound in the vocal stream = singing" and mouths the intro of a real
song. With it, a centred melody without formants or consonants is a thing the
model has heard with the mouth closed. Some songs also keep the lead, softer,
under the voice (a doubling line), so its presence alone never means silence.
"""

from __future__ import annotations

import numpy as np

from training.synth.music import BEATS_PER_BAR, SongPlan

# Relative amplitudes of the harmonics of each timbre.
TIMBRES: dict[str, tuple[float, ...]] = {
    "saw": tuple(1.0 / h for h in range(1, 13)),
    "square": tuple((1.0 / h if h % 2 else 0.0) for h in range(1, 13)),
    "flute": (1.0, 0.35, 0.12, 0.05),
    "organ": (1.0, 0.8, 0.0, 0.5, 0.0, 0.3, 0.0, 0.2),
}
SONG_CHANCE = 0.7  # songs with a lead at all
UNDER_VOICE_CHANCE = 0.35  # of those, songs whose lead also plays softly under the voice


def _note(
    freq: float, seconds: float, sr: int, harmonics: tuple[float, ...], pluck: bool, vibrato: float
) -> np.ndarray:
    t = np.arange(int(seconds * sr)) / sr
    # Vibrato as a phase modulation of ±`vibrato` relative pitch at 5.5 Hz.
    phase = 2 * np.pi * freq * (t - vibrato * np.cos(2 * np.pi * 5.5 * t) / (2 * np.pi * 5.5))
    nyquist = sr / 2
    wave = sum(
        a * np.sin((h + 1) * phase)
        for h, a in enumerate(harmonics)
        if a and freq * (h + 1) < nyquist
    )
    attack = np.minimum(t / (0.005 if pluck else 0.04), 1.0)
    release = np.clip((seconds - t) / 0.04, 0.0, 1.0)
    envelope = np.exp(-t / 0.35) if pluck else 1.0
    return (wave * attack * release * envelope).astype(np.float32)


def play_lead(
    rng: np.random.Generator, plan: SongPlan, sr: int, chance: float = SONG_CHANCE
) -> np.ndarray:
    """The lead's mono track (N,) (zeros for a song without one, drawn with `chance`),
    about unit peak."""
    n = int(np.ceil(plan.seconds * sr))
    track = np.zeros(n, np.float32)
    if rng.random() >= chance:
        return track
    timbre = TIMBRES[list(TIMBRES)[int(rng.integers(len(TIMBRES)))]]
    pluck = bool(rng.random() < 0.3)
    vibrato = float(rng.uniform(0.0, 0.008)) if not pluck else 0.0
    under_voice = rng.random() < UNDER_VOICE_CHANCE
    octave = 60 + plan.tonic + (12 if rng.random() < 0.4 else 0)
    step = 0
    for bar, role in enumerate(plan.sections):
        level = 1.0 if role != "vocal" else (0.35 if under_voice else 0.0)
        if level == 0.0:
            continue
        chord = plan.chord(bar)
        t, bar_end = plan.time(bar * BEATS_PER_BAR), plan.time((bar + 1) * BEATS_PER_BAR)
        while t < bar_end - 1e-6:
            beats = float(rng.choice([0.5, 1.0, 1.0, 2.0]))
            seconds = min(beats * plan.beat, bar_end - t)
            if rng.random() < 0.85:  # else a rest
                # A walk over the scale that leans toward the bar's chord tones.
                step = int(np.clip(step + rng.integers(-2, 3), -3, 9))
                degree = plan.scale[step % 7] + 12 * (step // 7)
                if rng.random() < 0.5:
                    degree = chord[int(rng.integers(3))]
                freq = 440.0 * 2.0 ** ((octave + degree - 69) / 12)
                note = _note(freq, seconds * 0.95, sr, timbre, pluck, vibrato)
                i = int(round(t * sr))
                m = min(len(note), n - i)
                if m > 0:
                    track[i : i + m] += level * note[:m]
            t += seconds
    return track / max(float(np.abs(track).max()), 1e-9)
