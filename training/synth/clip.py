"""One synthetic clip: plan → band + singer → mixture, stems and the performer's ground truth."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy.signal import resample_poly

from core.audio import FEATURE_SR, SEPARATION_SR
from core.face.arkit import ARKIT_INDEX
from core.features import VIDEO_FPS, mfcc_26, video_frame_count
from training.synth.band import play
from training.synth.eyes import eyes
from training.synth.head import energy_curve, pose
from training.synth.lyrics import choose_language
from training.synth.music import BEATS_PER_BAR, random_plan
from training.synth.singer import sing
from training.synth.styles import STYLES, random_voice
from training.synth.visemes import mouth

SAMPLE_RATE = 22050  # eSpeak NG's own rate: no resampling before WORLD
STEMS = ("dsp", "clean")


@dataclass
class Clip:
    id: str
    subject: str
    seconds: float
    sr: int
    mixture: np.ndarray  # (N, 2) float32
    vocals: np.ndarray  # (N,) float32
    accompaniment: np.ndarray  # (N, 2) float32
    arrays: dict[str, np.ndarray]  # what clips/<id>.npz holds
    info: dict[str, object] = field(default_factory=dict)


def _feature_mfcc(audio: np.ndarray, sr: int) -> np.ndarray:
    mono = audio.mean(axis=1) if audio.ndim == 2 else audio
    return mfcc_26(resample_poly(mono.astype(np.float64), FEATURE_SR, sr).astype(np.float32))


def _frame_mask(times: np.ndarray, spans: list[tuple[float, float]]) -> np.ndarray:
    mask = np.zeros(len(times), bool)
    for s, e in spans:
        mask |= (times >= s) & (times < e)
    return mask


def _separated_streams(mixture: np.ndarray, sr: int) -> tuple[np.ndarray, np.ndarray]:
    """The mixture split by the engine's `dsp` separator, at its own rate (44.1 kHz)."""
    from core.separation.dsp import separate_dsp

    song = resample_poly(mixture.astype(np.float64), SEPARATION_SR, sr, axis=0)
    vocals, accompaniment = separate_dsp(song.astype(np.float32), SEPARATION_SR)
    return vocals, accompaniment


def make_clip(
    seed: int,
    index: int,
    seconds_range: tuple[float, float] = (10.0, 20.0),
    stems: str = "dsp",
) -> Clip:
    """Clip number `index` of the corpus seeded `seed` (independent of every other clip).

    `stems` says where `vocals_mfcc` and `accomp_mfcc` come from: "dsp" runs the
    engine's dsp separator on the mixture, so the model trains on what it will
    hear at inference (separation leakage included, as the paper trained on
    Spleeter output); "clean" uses the true stems. Both are stored either way
    (`*_clean_mfcc`, `*_dsp_mfcc`) when "dsp" is chosen.
    """
    if stems not in STEMS:
        raise ValueError(f"stems must be one of {STEMS}")
    rng = np.random.default_rng([seed, index])
    sr = SAMPLE_RATE
    style_index = int(rng.integers(len(STYLES)))
    style = STYLES[style_index]
    language = choose_language(rng)
    voice = random_voice(rng)
    plan = random_plan(rng, float(rng.uniform(*seconds_range)))
    track = sing(rng, plan, voice, language, sr)
    band = play(rng, plan, sr)
    n = min(len(track.audio), len(band))
    vocals = track.audio[:n] / max(float(np.abs(track.audio).max()), 1e-9)
    band = band[:n]
    vocal_db = float(rng.uniform(-8.0, 6.0))  # vocal-to-accompaniment level
    v_rms = float(np.sqrt(np.mean(vocals[np.abs(vocals) > 1e-4] ** 2))) if np.any(vocals) else 1.0
    b_rms = float(np.sqrt(np.mean(band**2)))
    vocals = vocals * (b_rms / max(v_rms, 1e-9)) * 10 ** (vocal_db / 20)
    mixture = band + vocals[:, None]
    peak = max(float(np.abs(mixture).max()), 1e-9) / 0.89
    mixture, vocals, band = mixture / peak, vocals / peak, band / peak
    seconds = n / sr

    fps = VIDEO_FPS
    frames = video_frame_count(seconds, fps)
    times = np.arange(frames) / fps
    voice_range = (float(voice.low), float(voice.high))
    expression = mouth(track.phones, track.breaths, times, style, voice_range)
    look = eyes(rng, times, track.notes, style, voice_range)
    expression[:, ARKIT_INDEX["eyeBlinkLeft"]] = look.eye
    expression[:, ARKIT_INDEX["eyeBlinkRight"]] = look.eye
    squint = 0.25 * look.eye_long
    expression[:, ARKIT_INDEX["eyeSquintLeft"]] = squint
    expression[:, ARKIT_INDEX["eyeSquintRight"]] = squint

    sung = _frame_mask(times, [(p.start, p.end) for p in track.phones])
    loud = np.zeros(frames)
    for note in track.notes:
        loud[(times >= note.start) & (times < note.end)] = note.loudness
    bar_of_frame = np.clip(
        ((times - plan.first_beat) / (plan.beat * BEATS_PER_BAR)).astype(int), 0, plan.n_bars - 1
    )
    level = np.array(
        [{"intro": 0.6, "vocal": 1.0, "break": 0.9, "outro": 0.5}[s] for s in plan.sections]
    )
    energy = energy_curve(times, loud * sung, level[bar_of_frame])
    head = pose(rng, times, plan.beats, plan.downbeats, energy, style)

    clean = {"vocals": _feature_mfcc(vocals, sr), "accomp": _feature_mfcc(band, sr)}
    streams = dict(clean)
    extra: dict[str, np.ndarray] = {}
    if stems == "dsp":
        sep_vocals, sep_accomp = _separated_streams(mixture, sr)
        streams = {
            "vocals": _feature_mfcc(sep_vocals, SEPARATION_SR),
            "accomp": _feature_mfcc(sep_accomp, SEPARATION_SR),
        }
        extra = {f"{k}_clean_mfcc": v for k, v in clean.items()}
    arrays = {
        "vocals_mfcc": streams["vocals"],
        "accomp_mfcc": streams["accomp"],
        "mix_mfcc": _feature_mfcc(mixture, sr),
        **extra,
        "expression": expression,
        "pose": head,
        "eye": look.eye,
        "eye_long": look.eye_long,
        "fps": np.float64(fps),
        # Extra ground truth for the metrics and tests.
        "voice_activity": sung.astype(np.uint8),
        "breath": _frame_mask(times, track.breaths).astype(np.uint8),
        "beats": plan.beats,
        "downbeats": plan.downbeats,
        "blinks": np.array(look.blinks, dtype=np.float64).reshape(-1, 2),
        "long_closures": np.array(look.closures, dtype=np.float64).reshape(-1, 2),
        "notes": np.array([[n.start, n.end, n.midi, n.loudness] for n in track.notes]).reshape(
            -1, 4
        ),
        "phone_names": np.array([p.name for p in track.phones], dtype="<U8"),
        "phone_times": np.array([[p.start, p.end] for p in track.phones]).reshape(-1, 2),
    }
    info = {
        "stems": stems,
        "language": language,
        "voice": f"{voice.kind}+{voice.variant}",
        "bpm": round(plan.bpm, 2),
        "groove": plan.groove,
        "sections": list(plan.sections),
        "vocal_db": round(vocal_db, 2),
    }
    return Clip(
        id=f"synth{seed:04d}_{index:05d}",
        subject=style.name,
        seconds=seconds,
        sr=sr,
        mixture=mixture.astype(np.float32),
        vocals=vocals.astype(np.float32),
        accompaniment=band.astype(np.float32),
        arrays=arrays,
        info=info,
    )
