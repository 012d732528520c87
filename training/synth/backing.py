"""Backing vocals: harmonies and doublings of the lead's lines, and answers in its rests.

Real songs rarely have one voice. A separator puts every voice into the vocal
stream, and the performer's mouth follows only the lead. Two kinds of backing:

- *Along* the lead: the lead's own lines sung again (WORLD re-synthesis of the
  kept envelope) a third or fifth away, in unison or an octave off, by a
  slightly different vocal tract, a little late, quieter, panned. The face
  truth does not change; the vocal stream gets denser where the lead sings.
- *Answering* the lead: a short "oh", "yeah" or the like sung in the rests
  between lines or in a break, where the lead is silent. Its mouth stays shut
  there, so the model learns that a voice in the vocal stream is not always
  the performer's.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.ndimage import gaussian_filter1d

from training.synth.espeak import speaker
from training.synth.lyrics import VOICES
from training.synth.melody import Note
from training.synth.music import BEATS_PER_BAR, SongPlan
from training.synth.phonemes import is_vowel
from training.synth.singer import FRAME_MS, VocalTrack, WorldLine, sing_line, synthesize
from training.synth.styles import Voice

SONG_CHANCE = 0.6  # songs with any backing vocals
ALONG_CHANCE = 0.75  # of those: harmonies/doublings of the lead's lines
ANSWER_CHANCE = 0.5  # of those: answers in the lead's rests
INTERVALS = {"third_up": 2, "third_down": -2, "fifth_up": 4, "unison": 0, "octave_down": -7}
ANSWERS: dict[str, tuple[str, ...]] = {
    "en": ("oh", "ah", "yeah", "ooh", "oh yeah", "baby"),
    "it": ("oh", "ah", "si", "amore"),
    "es": ("oh", "ah", "si", "amor"),
    "de": ("oh", "ah", "ja", "komm"),
    "fr": ("oh", "ah", "oui", "viens"),
}


@dataclass(frozen=True)
class Backing:
    audio: np.ndarray  # (N, 2) float32, levels relative to a lead of unit RMS
    kinds: tuple[str, ...]  # what was added, for the manifest
    answers: tuple[tuple[float, float], ...]  # (start, end) s of answers in the lead's rests


def _pan(mono: np.ndarray, position: float) -> np.ndarray:
    angle = (position + 1.0) * np.pi / 4
    return np.stack([mono * np.cos(angle), mono * np.sin(angle)], axis=1)


def _diatonic(plan: SongPlan, midi: float, steps: int) -> float:
    """`midi` moved `steps` scale degrees (an off-scale note moves by a third/fifth)."""
    if steps == 0:
        return midi
    if steps == -7:
        return midi - 12
    scale = plan.scale
    pc = (round(midi) - plan.tonic) % 12
    if pc not in scale:
        return midi + {2: 4, -2: -3, 4: 7}.get(steps, 0)
    index = scale.index(pc) + steps
    octave, degree = divmod(index, 7)
    return round(midi) - pc + 12 * octave + scale[degree]


def _along(
    rng: np.random.Generator, plan: SongPlan, line: WorldLine, shift: float, steps: int, sr: int
) -> np.ndarray:
    """One backing voice singing `line` `steps` degrees away; starts where the line starts."""
    targets = np.array([_diatonic(plan, n.midi, steps) - n.midi for n in line.notes])
    offset = gaussian_filter1d(targets[line.note].astype(np.float64), 25.0 / FRAME_MS)
    detune = gaussian_filter1d(rng.normal(0.0, 0.4, len(line.midi)), 10) * 0.5
    keep = np.ones(len(line.midi), bool)
    if rng.random() < 0.4:  # only the end of the line (a hook), not all of it
        cut = line.notes[int(rng.integers(len(line.notes)))].start
        keep = line.start + np.arange(len(keep)) * FRAME_MS / 1000 >= cut - 0.05
    audio = synthesize(line, line.midi + offset + detune, shift, sr, line.voiced)
    # Silence before the cut (WORLD would whisper it), with a 10 ms fade.
    hop = int(round(sr * FRAME_MS / 1000))
    gate = np.repeat(keep.astype(np.float64), hop)
    gate = np.pad(gate, (0, max(0, len(audio) - len(gate))), mode="edge")[: len(audio)]
    return (audio * gaussian_filter1d(gate, sr * 0.01)).astype(np.float32)


def _answers(
    rng: np.random.Generator,
    plan: SongPlan,
    track: VocalTrack,
    voice: Voice,
    language: str,
    sr: int,
    n: int,
) -> tuple[np.ndarray, list[tuple[float, float]]]:
    """Short sung words in the lead's rests (mono)."""
    out = np.zeros(n, np.float32)
    spans: list[tuple[float, float]] = []
    starts = [line.notes[0].start for line in track.lines] + [plan.seconds]
    ends = [0.0] + [line.notes[-1].end for line in track.lines]
    voice_name = f"{VOICES[language][0]}+{voice.variant}"
    for prev_end, next_start in zip(ends[1:], starts[1:], strict=True):
        # Start once the lead's mouth has closed; leave the breath before the next line clear.
        start = prev_end + float(rng.uniform(0.25, 0.4))
        room = next_start - start - 0.55
        if room < 0.3 or rng.random() < 0.3:
            continue
        seconds = min(room, float(rng.uniform(1.0, 2.5)) * plan.beat)
        words = ANSWERS[language]
        spoken = speaker().speak(words[int(rng.integers(len(words)))], voice_name)
        n_syll = sum(is_vowel(p.name) for p in spoken.phones)
        if n_syll == 0:
            continue
        bar = int(np.clip((start - plan.first_beat) / (plan.beat * BEATS_PER_BAR), 0, plan.n_bars))
        chord = plan.chord(min(bar, plan.n_bars - 1))
        base = plan.tonic + 12 * round((voice.low + voice.high) / 24 - plan.tonic / 12)
        step = seconds / n_syll
        notes = [
            Note(
                start=start + k * step,
                end=start + (k + 1) * step,
                midi=float(base + chord[int(rng.integers(3))]),
                loudness=float(rng.uniform(0.5, 0.8)),
            )
            for k in range(n_syll)
        ]
        try:
            audio, line_start, _, _ = sing_line(rng, spoken, notes, voice, sr)
        except (ValueError, IndexError):
            continue  # a word eSpeak split oddly: skip the answer, not the song
        i = max(0, int(round(line_start * sr)))
        m = min(len(audio), n - i)
        if m <= 0:
            continue
        out[i : i + m] += audio[:m]
        spans.append((line_start, line_start + m / sr))
    return out, spans


def backing_vocals(
    rng: np.random.Generator,
    plan: SongPlan,
    track: VocalTrack,
    voice: Voice,
    language: str,
    sr: int,
    rap: bool = False,
    chance: float = SONG_CHANCE,
    answer_chance: float = ANSWER_CHANCE,
) -> Backing:
    """Backing voices for the song (all zeros for a song without any)."""
    n = len(track.audio)
    out = np.zeros((n, 2), np.float32)
    if rng.random() >= chance or not track.lines:
        return Backing(out, (), ())
    kinds: list[str] = []
    sung = np.abs(track.audio) > 0
    lead_rms = float(np.sqrt(np.mean(track.audio[sung] ** 2))) if sung.any() else 1.0
    answers: list[tuple[float, float]] = []
    along = rng.random() < ALONG_CHANCE
    answer = rng.random() < answer_chance or not along
    if along:
        names = ["unison", "octave_down"] if rap else list(INTERVALS)
        for _ in range(int(rng.integers(1, 3))):
            name = names[int(rng.integers(len(names)))]
            kinds.append(name)
            shift = voice.formant_shift * float(rng.uniform(0.94, 1.08))
            share = float(rng.uniform(0.4, 1.0))  # of the lead's lines
            gain = 10 ** (float(rng.uniform(-14.0, -5.0)) / 20)
            delay = int(rng.uniform(0.0, 0.035) * sr)
            pan = float(rng.uniform(-0.8, 0.8))
            chosen = rng.random(len(track.lines)) < share
            chosen[int(rng.integers(len(track.lines)))] = True  # a named voice always sings
            for line, sings in zip(track.lines, chosen, strict=True):
                if not sings:
                    continue
                audio = _along(rng, plan, line, shift, INTERVALS[name], sr)
                i = int(round(line.start * sr)) + delay
                m = min(len(audio), n - i)
                if m > 0:
                    rms = float(np.sqrt(np.mean(audio[:m] ** 2))) + 1e-12
                    out[i : i + m] += _pan(audio[:m] * (gain * lead_rms / rms), pan)
    if answer:
        mono, answers = _answers(rng, plan, track, voice, language, sr, n)
        if answers:
            kinds.append("answer")
            gain = 10 ** (float(rng.uniform(-10.0, -3.0)) / 20)
            loud = np.abs(mono) > 0
            rms = float(np.sqrt(np.mean(mono[loud] ** 2))) + 1e-12
            out += _pan(mono * (gain * lead_rms / rms), float(rng.uniform(-0.6, 0.6)))
    return Backing(out.astype(np.float32), tuple(kinds), tuple(answers))
