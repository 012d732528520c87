"""One synthetic clip: plan → band + singer → mixture, stems and the performer's ground truth."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy.signal import resample_poly

from core.audio import FEATURE_SR, SEPARATION_SR, resample
from core.face.arkit import ARKIT_INDEX
from core.features import VIDEO_FPS, mfcc_26, video_frame_count
from core.vocal_cues import vocal_cues
from training.synth.backing import backing_vocals
from training.synth.band import play
from training.synth.crowd import crowd_voices
from training.synth.dense import extra_layers
from training.synth.effects import compressor_gain, mp3_round_trip, reverb, room
from training.synth.eyes import eyes
from training.synth.guitar import guitars
from training.synth.head import energy_curve, pose
from training.synth.lyrics import choose_language
from training.synth.music import BEATS_PER_BAR, SongPlan, random_plan
from training.synth.realism import Realism, effect_rng
from training.synth.scream import scream
from training.synth.separator import SEPARATORS, separate
from training.synth.singer import VocalTrack, sing
from training.synth.styles import STYLES, Voice, random_voice
from training.synth.trap import trap_beat
from training.synth.visemes import mouth

SAMPLE_RATE = 22050  # eSpeak NG's own rate: no resampling before WORLD
MP3_KBPS = (64, 96, 128, 160, 192)


@dataclass
class Clip:
    id: str
    subject: str
    seconds: float
    sr: int
    mixture: np.ndarray  # (N, 2) float32 (mp3-coded for some clips)
    vocals: np.ndarray  # (N, 2) float32: lead and backing voices, effects included
    accompaniment: np.ndarray  # (N, 2) float32
    arrays: dict[str, np.ndarray]  # what clips/<id>.npz holds
    info: dict[str, object] = field(default_factory=dict)
    lead: np.ndarray | None = None  # (N, 2) the lead voice alone (not written)


def _cues(audio: np.ndarray, sr: int, frames: int) -> np.ndarray:
    """The vocal stream's level and centredness per frame, as the engine reads them (at
    its feature rate, from the stereo stream: core/vocal_cues.py)."""
    stereo = resample(np.asarray(audio, np.float32), sr, FEATURE_SR)
    return vocal_cues(stereo, FEATURE_SR, frames, VIDEO_FPS)


def _feature_mfcc(audio: np.ndarray, sr: int) -> np.ndarray:
    mono = audio.mean(axis=1) if audio.ndim == 2 else audio
    return mfcc_26(resample_poly(mono.astype(np.float64), FEATURE_SR, sr).astype(np.float32))


def _frame_mask(times: np.ndarray, spans: list[tuple[float, float]]) -> np.ndarray:
    mask = np.zeros(len(times), bool)
    for s, e in spans:
        mask |= (times >= s) & (times < e)
    return mask


def add_separated_features(clip: Clip, separator: str) -> Clip:
    """Set `vocals_mfcc`/`accomp_mfcc` from `separator` run on the clip's mixture
    (the true stems' features stay as `*_clean_mfcc`); `clean` keeps the true stems'."""
    if separator not in SEPARATORS:
        raise ValueError(f"separator must be one of {SEPARATORS}")
    clip.info["stems"] = separator
    if separator == "clean":
        return clip
    vocals, accompaniment = separate(clip.mixture, clip.sr, separator)
    arrays = clip.arrays
    arrays.setdefault("vocals_clean_mfcc", arrays["vocals_mfcc"])
    arrays.setdefault("accomp_clean_mfcc", arrays["accomp_mfcc"])
    arrays.setdefault("vocal_cues_clean", arrays["vocal_cues"])
    arrays["vocals_mfcc"] = _feature_mfcc(vocals, SEPARATION_SR)
    arrays["accomp_mfcc"] = _feature_mfcc(accompaniment, SEPARATION_SR)
    arrays["vocal_cues"] = _cues(vocals, SEPARATION_SR, len(arrays["expression"]))
    return clip


def _rms(x: np.ndarray, where: np.ndarray | None = None) -> float:
    x = x.mean(axis=1) if x.ndim == 2 else x
    x = x[where] if where is not None and where.any() else x
    return float(np.sqrt(np.mean(x.astype(np.float64) ** 2))) if len(x) else 0.0


def _voices(
    seed: int,
    index: int,
    realism: Realism,
    plan: SongPlan,
    track: VocalTrack,
    voice: Voice,
    language: str,
    sr: int,
    n: int,
) -> tuple[
    np.ndarray,
    np.ndarray,
    dict[str, object],
    tuple[tuple[float, float], ...],
    tuple[tuple[float, float], ...],
]:
    """(lead, vocal stem) (N, 2) with backing and crowd voices, compression and reverb;
    info; backing answers; spans of the crowd's voices (crowd.py)."""
    lead = track.audio[:n] / max(float(np.abs(track.audio[:n]).max()), 1e-9)
    is_rap = track.rap
    back = backing_vocals(
        effect_rng(seed, index, "backing"), plan, track, voice, language, sr,
        rap=is_rap, chance=realism.backing, answer_chance=realism.answers,
    )  # fmt: skip
    crowd = crowd_voices(
        effect_rng(seed, index, "crowd"), plan, track, voice, language, sr, realism.crowd
    )
    peak = max(float(np.abs(track.audio[:n]).max()), 1e-9)
    others = (back.audio[:n] + crowd.audio[:n]) / peak
    screamed = effect_rng(seed, index, "scream")
    is_scream = bool(screamed.random() < realism.scream)
    if is_scream:
        lead = scream(screamed, lead, sr)
        lead = lead / max(float(np.abs(lead).max()), 1e-9)
    fx = effect_rng(seed, index, "voice")
    info: dict[str, object] = {"rap": is_rap, "backing": list(back.kinds)}
    info["crowd"] = list(crowd.kinds)
    info["scream"] = is_scream
    if fx.random() < realism.compression:
        threshold, ratio = float(fx.uniform(-24.0, -10.0)), float(fx.uniform(2.0, 6.0))
        lead = lead * compressor_gain(lead, sr, threshold, ratio)
        info["voice_compression"] = [round(threshold, 1), round(ratio, 2)]
    rt60 = float(fx.uniform(0.3, 2.2))
    wet = float(fx.uniform(0.1, 0.4))
    if fx.random() < realism.reverb:
        ir = room(fx, sr, rt60)
        lead2 = reverb(lead, ir, wet)
        wetter = back.kinds or crowd.kinds
        others = reverb(others, ir, min(1.0, wet * 1.5)) if wetter else others
        info["reverb"] = [round(rt60, 2), round(wet, 2)]
    else:
        lead2 = np.repeat(lead[:, None], 2, axis=1)
    vocal_stem = (lead2 + others).astype(np.float32)
    return lead2.astype(np.float32), vocal_stem, info, back.answers, crowd.spans


def _heavier(
    seed: int,
    index: int,
    realism: Realism,
    plan: SongPlan,
    band: np.ndarray,
    sr: int,
    n: int,
    rap: bool,
) -> tuple[np.ndarray, tuple[str, ...]]:
    """The band with distorted guitars (guitar.py) and a trap beat (trap.py) as drawn."""
    added: list[str] = []
    heavy = effect_rng(seed, index, "guitar")
    trap = effect_rng(seed, index, "trap")
    extra = np.zeros_like(band)
    if heavy.random() < realism.guitar:
        extra += float(heavy.uniform(0.6, 1.2)) * guitars(heavy, plan, sr, n)
        added.append("guitar")
    if trap.random() < (realism.trap if rap else realism.trap_sung):
        extra += float(trap.uniform(0.6, 1.0)) * trap_beat(trap, plan, sr, n)
        added.append("trap")
    if not added:
        return band, ()
    mixed = band / max(_rms(band), 1e-9) + extra
    return mixed / max(float(np.abs(mixed).max()), 1e-9), tuple(added)


def make_clip(
    seed: int,
    index: int,
    seconds_range: tuple[float, float] = (10.0, 20.0),
    stems: str = "dsp",
    realism: Realism | None = None,
) -> Clip:
    """Clip number `index` of the corpus seeded `seed` (independent of every other clip).

    `stems` says where `vocals_mfcc` and `accomp_mfcc` come from: a separator of
    separator.py run on the mixture, so the model trains on what it will hear
    at inference (separation leakage included, as the paper trained on Spleeter
    output; the true stems' features are kept as `*_clean_mfcc`), or "clean"
    for the true stems. `realism` sets the effects of realism.py (default on).
    """
    if stems not in SEPARATORS:
        raise ValueError(f"stems must be one of {SEPARATORS}")
    realism = realism or Realism()
    rng = np.random.default_rng([seed, index])
    sr = SAMPLE_RATE
    style_index = int(rng.integers(len(STYLES)))
    style = STYLES[style_index]
    language = choose_language(rng)
    voice = random_voice(rng)
    plan = random_plan(rng, float(rng.uniform(*seconds_range)))
    rap_rng = effect_rng(seed, index, "rap")
    is_rap = rap_rng.random() < realism.rap
    track = sing(rng, plan, voice, language, sr, rap_rng if is_rap else None)
    band = play(rng, plan, sr, realism.lead_instrument)
    n = min(len(track.audio), len(band))
    band = band[:n]
    layers_rng = effect_rng(seed, index, "layers")
    layer_names: tuple[str, ...] = ()
    if realism.layers:
        extra, layer_names = extra_layers(layers_rng, plan, sr, n)
        band = band / max(_rms(band), 1e-9) + extra
        band = band / max(float(np.abs(band).max()), 1e-9)
    band, band_layers = _heavier(seed, index, realism, plan, band, sr, n, is_rap)
    layer_names += band_layers
    lead, vocals, voice_info, answers, crowd_spans = _voices(
        seed, index, realism, plan, track, voice, language, sr, n
    )
    vocal_db = float(rng.uniform(*realism.vocal_db))  # lead-to-accompaniment level
    sung_samples = np.abs(track.audio[:n]) > 1e-4 * max(float(np.abs(track.audio).max()), 1e-9)
    scale = (_rms(band) / max(_rms(lead, sung_samples), 1e-9)) * 10 ** (vocal_db / 20)
    lead, vocals = lead * scale, vocals * scale
    master_rng = effect_rng(seed, index, "master")
    if master_rng.random() < realism.master:
        # Bus compression: one gain curve on the whole mix, applied to each stem so
        # the mixture stays their sum.
        threshold, ratio = float(master_rng.uniform(-12.0, -4.0)), float(master_rng.uniform(2, 4))
        gain = compressor_gain(band + vocals, sr, threshold, ratio, release=0.25)[:, None]
        lead, vocals, band = lead * gain, vocals * gain, band * gain
        voice_info["master_compression"] = [round(threshold, 1), round(ratio, 2)]
    mixture = band + vocals
    peak = max(float(np.abs(mixture).max()), 1e-9) / 0.89
    mixture, vocals, band, lead = mixture / peak, vocals / peak, band / peak, lead / peak
    mp3_rng = effect_rng(seed, index, "mp3")
    kbps = None
    if mp3_rng.random() < realism.mp3:
        kbps = int(mp3_rng.choice(MP3_KBPS))
        mixture = np.clip(mp3_round_trip(mixture.astype(np.float32), sr, kbps), -1.0, 1.0)
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
    arrays: dict[str, np.ndarray] = {
        "vocals_mfcc": clean["vocals"],
        "accomp_mfcc": clean["accomp"],
        "mix_mfcc": _feature_mfcc(mixture, sr),
        # The vocal stream's level and centredness (the separated one's, below).
        "vocal_cues": _cues(vocals, sr, frames),
        "expression": expression,
        "pose": head,
        "eye": look.eye,
        "eye_long": look.eye_long,
        "fps": np.asarray(fps, dtype=np.float64),
        # Extra ground truth for the metrics and tests.
        "voice_activity": sung.astype(np.uint8),
        "breath": _frame_mask(times, track.breaths).astype(np.uint8),
        "breaths": np.array(track.breaths, dtype=np.float64).reshape(-1, 2),
        "beats": plan.beats,
        "downbeats": plan.downbeats,
        "blinks": np.array(look.blinks, dtype=np.float64).reshape(-1, 2),
        "long_closures": np.array(look.closures, dtype=np.float64).reshape(-1, 2),
        "notes": np.array([[n.start, n.end, n.midi, n.loudness] for n in track.notes]).reshape(
            -1, 4
        ),
        "phone_names": np.array([p.name for p in track.phones], dtype="<U8"),
        "phone_times": np.array([[p.start, p.end] for p in track.phones]).reshape(-1, 2),
        # Backing voices answering in the lead's rests: the mouth stays shut there.
        "backing_answers": np.array(answers, dtype=np.float64).reshape(-1, 2),
        # Choirs, shouts, spoken lines and ad-libs (crowd.py): not the lead either.
        "other_voices": np.array(crowd_spans, dtype=np.float64).reshape(-1, 2),
    }
    info = {
        "stems": stems,
        "language": language,
        "voice": f"{voice.kind}+{voice.variant}",
        "bpm": round(plan.bpm, 2),
        "groove": plan.groove,
        "sections": list(plan.sections),
        "vocal_db": round(vocal_db, 2),
        **voice_info,
        "layers": list(layer_names),
        "mp3_kbps": kbps,
    }
    clip = Clip(
        id=f"synth{seed:04d}_{index:05d}",
        subject=style.name,
        seconds=seconds,
        sr=sr,
        mixture=mixture.astype(np.float32),
        vocals=vocals.astype(np.float32),
        accompaniment=band.astype(np.float32),
        arrays=arrays,
        info=info,
        lead=lead.astype(np.float32),
    )
    return add_separated_features(clip, stems)
