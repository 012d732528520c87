"""The synthetic singer: spoken lyrics turned into sung notes with the WORLD vocoder.

eSpeak NG speaks each line; WORLD analyses that speech into pitch, spectral
envelope and aperiodicity; the frames are re-timed so each vowel lasts its note
(consonants keep about their spoken length), the pitch is replaced by the melody
(glides, scoops, vibrato), loudness follows the notes, and the envelope is
stretched in frequency for a different vocal-tract length. The re-timed phonemes
are the mouth's ground truth.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
from scipy.ndimage import gaussian_filter1d
from scipy.signal import butter, resample_poly, sosfilt

from training.synth.espeak import Phone, Utterance, speaker
from training.synth.lyrics import VOICES, random_line
from training.synth.melody import Note, melody
from training.synth.music import SongPlan
from training.synth.phonemes import is_vowel
from training.synth.rap import rap_melody
from training.synth.styles import Voice

FRAME_MS = 5.0
_MIN_VOWEL = 0.06
_MIN_BILABIAL = 0.07


def _pyworld():
    # pyworld 0.3.5 imports pkg_resources only to read its own version.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import pyworld

    return pyworld


@dataclass(frozen=True)
class SungPhone:
    name: str
    start: float
    end: float
    midi: float  # the note it belongs to
    loudness: float


@dataclass
class WorldLine:
    """A sung line in WORLD's terms, kept so backing voices can sing it again."""

    start: float  # seconds of the first frame
    midi: np.ndarray  # (F,) pitch contour of the lead
    voiced: np.ndarray  # (F,) bool
    sp: np.ndarray  # (F, bins) spectral envelope, loudness applied, formants unshifted
    ap: np.ndarray  # (F, bins) aperiodicity
    note: np.ndarray  # (F,) index of each frame's note in `notes`
    notes: list[Note]


@dataclass
class VocalTrack:
    audio: np.ndarray  # float32 mono at sr
    phones: list[SungPhone]
    notes: list[Note]
    breaths: list[tuple[float, float]]
    lines: list[WorldLine]
    rap: bool = False


def _syllables(phones: tuple[Phone, ...]) -> list[tuple[list[int], int, list[int]]]:
    """(onset consonants, vowel, coda consonants) phone indices for each syllable."""
    vowels = [i for i, p in enumerate(phones) if is_vowel(p.name)]
    out = []
    for k, v in enumerate(vowels):
        prev_v = vowels[k - 1] if k > 0 else -1
        next_v = vowels[k + 1] if k + 1 < len(vowels) else len(phones)
        between_before = list(range(prev_v + 1, v))
        between_after = list(range(v + 1, next_v))
        # One consonant between vowels starts the next syllable; a cluster splits.
        onset = between_before if k == 0 else between_before[len(between_before) > 1 :]
        coda = (
            between_after
            if k + 1 == len(vowels)
            else between_after[:1]
            if len(between_after) > 1
            else []
        )
        out.append((onset, v, coda))
    return out


def _fit_line(
    rng: np.random.Generator, language: str, voice_name: str, max_syllables: int
) -> Utterance:
    """Words are added until the line has about as many syllables as the rhythm wants."""
    target = int(np.clip(round(max_syllables * rng.uniform(0.35, 0.7)), 1, max_syllables))
    best: Utterance | None = None
    for _ in range(6):
        words: list[str] = []
        for _ in range(12):
            words.append(random_line(rng, language, 1))
            spoken = speaker().speak(" ".join(words), voice_name)
            count = sum(is_vowel(p.name) for p in spoken.phones)
            if count > max_syllables:
                break
            best = spoken
            if count >= target:
                return spoken
        if best is not None:
            return best
    raise RuntimeError("could not fit lyrics to the melody")  # pragma: no cover


def _timing(
    phones: tuple[Phone, ...], notes: list[Note]
) -> tuple[list[tuple[float, float]], list[int], list[int]]:
    """Output (start, end) of every phone kept, the note each belongs to, and the
    indices of the phones kept."""
    sylls = _syllables(phones)
    dur = {i: float(np.clip((p.end - p.start) * 0.9, 0.03, 0.15)) for i, p in enumerate(phones)}
    for i, p in enumerate(phones):
        if p.name.lstrip("',") in ("p", "b", "m"):
            dur[i] = max(dur[i], _MIN_BILABIAL)
    spans: dict[int, tuple[float, float]] = {}
    owner: dict[int, int] = {}
    for k, (onset, vowel, coda) in enumerate(sylls):
        note = notes[k]
        next_onset = sum(dur[i] for i in sylls[k + 1][0]) if k + 1 < len(sylls) else 0.0
        coda_len = sum(dur[i] for i in coda)
        room = note.end - note.start - next_onset - coda_len
        if room < _MIN_VOWEL:  # squeeze the consonants, never the vowel below 60 ms
            squeeze = max(note.end - note.start - _MIN_VOWEL, 0.02) / max(
                next_onset + coda_len, 1e-6
            )
            for i in coda + (sylls[k + 1][0] if k + 1 < len(sylls) else []):
                dur[i] *= min(squeeze, 1.0)
            next_onset = sum(dur[i] for i in sylls[k + 1][0]) if k + 1 < len(sylls) else 0.0
            coda_len = sum(dur[i] for i in coda)
        t = note.start - sum(dur[i] for i in onset)
        for i in onset:
            spans[i], owner[i] = (t, t + dur[i]), k
            t += dur[i]
        vowel_end = note.end - next_onset - coda_len
        spans[vowel], owner[vowel] = (note.start, vowel_end), k
        t = vowel_end
        for i in coda:
            spans[i], owner[i] = (t, t + dur[i]), k
            t += dur[i]
    order = sorted(spans)
    return [spans[i] for i in order], [owner[i] for i in order], order


def _pitch_contour(
    rng: np.random.Generator,
    times: np.ndarray,
    notes: list[Note],
    starts: list[float],
    rap: bool = False,
) -> np.ndarray:
    """MIDI pitch per frame: notes with glides, a scoop into each note, vibrato on long ones
    (rap: no vibrato and barely a scoop, the pitch of speech on a level)."""
    idx = np.clip(np.searchsorted(np.array(starts), times, side="right") - 1, 0, len(notes) - 1)
    midi = np.array([n.midi for n in notes])[idx]
    midi = gaussian_filter1d(midi, sigma=25.0 / FRAME_MS, mode="nearest")
    rate = rng.uniform(4.8, 6.5)
    depth = rng.uniform(0.15, 0.5)
    scoop = rng.uniform(0.0, 0.7)
    if rap:
        depth, scoop = 0.0, 0.2 * scoop
    for n, s in zip(notes, starts, strict=True):
        since = times - n.start
        inside = (times >= s) & (times < n.end)
        midi[inside] -= scoop * np.exp(-np.clip(since[inside], 0, None) / 0.05)
        if n.end - n.start > 0.45:
            ramp = np.clip((since[inside] - 0.25) / 0.3, 0.0, 1.0)
            midi[inside] += depth * ramp * np.sin(2 * np.pi * rate * since[inside])
    drift = gaussian_filter1d(rng.normal(0, 0.25, len(times)), sigma=12) * 0.3
    return midi + drift


def _shift_formants(sp: np.ndarray, factor: float) -> np.ndarray:
    """Stretch the spectral envelope along frequency (a shorter vocal tract when > 1)."""
    bins = np.arange(sp.shape[1], dtype=np.float64)
    source = np.clip(bins / factor, 0, sp.shape[1] - 1)
    lo = np.floor(source).astype(int)
    hi = np.minimum(lo + 1, sp.shape[1] - 1)
    w = source - lo
    return np.ascontiguousarray(sp[:, lo] * (1 - w) + sp[:, hi] * w)


def _sing_line(
    rng: np.random.Generator,
    utterance: Utterance,
    notes: list[Note],
    voice: Voice,
    sr: int,
    rap: bool = False,
) -> tuple[np.ndarray, float, list[SungPhone], WorldLine]:
    pw = _pyworld()
    spans, owners, order = _timing(utterance.phones, notes)
    phones = [utterance.phones[i] for i in order]
    speech = utterance.audio.astype(np.float64)
    if utterance.sr != sr:
        speech = resample_poly(speech, sr, utterance.sr)
    f0, t_src = pw.dio(speech, sr, frame_period=FRAME_MS)
    f0 = pw.stonemask(speech, f0, t_src, sr)
    sp = pw.cheaptrick(speech, f0, t_src, sr)
    ap = pw.d4c(speech, f0, t_src, sr)

    # Piecewise-linear time map; a vowel keeps its first and last 30 ms (the
    # transitions) and stretches its steady middle.
    knots_out, knots_src = [], []
    for p, (a, b) in zip(phones, spans, strict=True):
        knots_out.append(a)
        knots_src.append(p.start)
        if is_vowel(p.name):
            m = min(0.03, (p.end - p.start) / 3, (b - a) / 3)
            knots_out += [a + m, b - m]
            knots_src += [p.start + m, p.end - m]
        knots_out.append(b)
        knots_src.append(p.end)
    start, end = spans[0][0], spans[-1][1]
    times = start + np.arange(int(np.ceil((end - start) * 1000 / FRAME_MS)) + 1) * FRAME_MS / 1000
    src = np.interp(times, knots_out, knots_src)
    frame = np.clip(np.rint(src * 1000 / FRAME_MS).astype(int), 0, len(f0) - 1)

    note_starts = [notes[k].start for k in range(len(notes))]
    midi = _pitch_contour(rng, times, notes, note_starts, rap)
    voiced = f0[frame] > 0
    out_f0 = np.where(voiced, 440.0 * 2.0 ** ((midi - 69.0) / 12.0), 0.0)

    loud_idx = np.clip(
        np.searchsorted(np.array(note_starts), times, side="right") - 1, 0, len(notes) - 1
    )
    loudness = np.array([n.loudness for n in notes])[loud_idx]
    gain = 10.0 ** ((loudness - 1.0) * 14.0 / 20.0)
    loud_sp = sp[frame] * (gain**2)[:, None]
    out_sp = _shift_formants(loud_sp, voice.formant_shift)
    out_ap = np.ascontiguousarray(ap[frame])
    audio = pw.synthesize(out_f0, out_sp, out_ap, sr, FRAME_MS)
    world = WorldLine(start, midi, voiced, loud_sp, out_ap, loud_idx, notes)
    sung = [
        SungPhone(p.name, a, b, notes[k].midi, notes[k].loudness)
        for p, (a, b), k in zip(phones, spans, owners, strict=True)
    ]
    return audio.astype(np.float32), start, sung, world


sing_line = _sing_line  # backing.py sings short answers the same way


def synthesize(
    line: WorldLine, midi: np.ndarray, formant_shift: float, sr: int, voiced: np.ndarray
) -> np.ndarray:
    """Sing a kept line again on another pitch contour with another vocal tract."""
    pw = _pyworld()
    f0 = np.where(voiced, 440.0 * 2.0 ** ((midi - 69.0) / 12.0), 0.0)
    sp = _shift_formants(line.sp, formant_shift)
    return pw.synthesize(f0, sp, line.ap, sr, FRAME_MS).astype(np.float32)


def _breath(rng: np.random.Generator, seconds: float, sr: int) -> np.ndarray:
    n = max(int(seconds * sr), 1)
    noise = rng.normal(0, 1, n)
    sos = butter(2, [400, min(3500, sr / 2 - 100)], btype="band", fs=sr, output="sos")
    env = np.sin(np.linspace(0, np.pi, n)) ** 1.5
    return (sosfilt(sos, noise) * env).astype(np.float32)


def sing(
    rng: np.random.Generator,
    plan: SongPlan,
    voice: Voice,
    language: str,
    sr: int,
    rap_rng: np.random.Generator | None = None,
) -> VocalTrack:
    """The whole song's vocal stem (peak-normalised later by the mixer).

    With `rap_rng` the lines are delivered rap-like (rap.py): syllables on a
    sixteenth-note grid, near-level pitch; that generator draws the rhythm and pitch.
    """
    n = int(np.ceil(plan.seconds * sr))
    audio = np.zeros(n, np.float32)
    voices = VOICES[language]
    voice_name = f"{voices[int(rng.integers(len(voices)))]}+{voice.variant}"
    phones: list[SungPhone] = []
    notes: list[Note] = []
    breaths: list[tuple[float, float]] = []
    previous_end = 0.0
    lines: list[tuple[np.ndarray, float]] = []
    worlds: list[WorldLine] = []
    rap = rap_rng is not None
    for phrase in plan.phrases:
        units_per_beat = 4 if rap else 2
        n_units = int(round((phrase.end - phrase.start) * units_per_beat))
        utterance = _fit_line(rng, language, voice_name, max_syllables=max(n_units - 1, 1))
        n_syll = sum(is_vowel(p.name) for p in utterance.phones)
        if rap_rng is not None:
            line_notes = rap_melody(rap_rng, plan, phrase, voice, n_syll)
        else:
            line_notes = melody(rng, plan, phrase, voice, n_syll)
        line_audio, line_start, line_phones, world = _sing_line(
            rng, utterance, line_notes, voice, sr, rap
        )
        lines.append((line_audio, line_start))
        worlds.append(world)
        gap = line_phones[0].start - previous_end
        if gap > 0.35 and rng.random() < 0.85:
            length = min(rng.uniform(0.2, 0.4), gap - 0.12)
            b_end = line_phones[0].start - 0.04
            breaths.append((b_end - length, b_end))
        phones += line_phones
        notes += line_notes
        previous_end = line_phones[-1].end
    for line_audio, line_start in lines:
        i = int(round(line_start * sr))
        if i < 0:  # a first line whose opening consonants start before the song does
            line_audio, i = line_audio[-i:], 0
        m = min(len(line_audio), n - i)
        audio[i : i + m] += line_audio[:m]
    sung = np.abs(audio) > 0
    level = float(np.sqrt(np.mean(audio[sung] ** 2))) if sung.any() else 1.0
    for b_start, b_end in breaths:
        i = int(round(b_start * sr))
        noise = _breath(rng, b_end - b_start, sr)
        noise *= (
            level
            * 10 ** (rng.uniform(-26, -18) / 20)
            / max(float(np.sqrt(np.mean(noise**2))), 1e-9)
        )
        m = min(len(noise), n - i)
        audio[i : i + m] += noise[:m]
    return VocalTrack(
        audio=audio, phones=phones, notes=notes, breaths=breaths, lines=worlds, rap=rap
    )
