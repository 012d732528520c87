"""Song → Performance: decode, separate, features, generator, eye state, beats.

`generate()` is the engine's one entry point for animation; `musicface generate`
is a thin layer over it. The same song, checkpoint and seed give the same
Performance: the only randomness, the blink sampler, draws from the take seed.

Eye state in the Performance: `eye_long` is ESGN's learned long closure where it
marks a closure (else 0), `eye_blink` the sampled blinks elsewhere (else 0); the
`eyeBlinkLeft` / `eyeBlinkRight` columns hold G_σ * (eye_long + eye_blink), the
paper's "e_long where e_long > 0, else e_blink" after its temporal Gaussian filter.
Attention (3, T, 2): per task (expression, pose, eye) the mean ATM attention on
the vocal features (channel 0) and on the accompaniment features (channel 1);
absent for the variants without ATM.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

import core
from core.audio import FEATURE_SR, file_sha256, load_audio
from core.checkpoints import LoadedGenerator, load_checkpoint
from core.errors import BadInput
from core.face.arkit import ARKIT_INDEX
from core.features import mfcc_26, video_frame_count
from core.model.esgn import compose_eye_state, sample_blinks
from core.model.inference import run_generator
from core.performance import Performance
from core.progress import ProgressFn, no_progress, scaled
from core.rhythm import beats_from_mfcc
from core.streams import ACCOMPANIMENT, MIXTURE, SEPARATED, VOCALS
from core.vocal_cues import vocal_cues
from core.voice_detector import load_voice_detector
from core.voice_gate import gate_mouth, voice_gate

# Attention curves hold, per task (expression, pose, eye), the mean ATM attention
# on the vocal features (channel 0) and on the accompaniment features (channel 1).
ATTENTION_CHANNELS: tuple[str, ...] = SEPARATED
EYE_COLUMNS = (ARKIT_INDEX["eyeBlinkLeft"], ARKIT_INDEX["eyeBlinkRight"])
STEREO_VOCALS = "stereo vocals"  # (N, C) beside the mono streams of _streams


def _streams(
    song: Path,
    separated: bool,
    separator: str,
    vocals: Path | None,
    accompaniment: Path | None,
    progress: ProgressFn,
) -> tuple[dict[str, np.ndarray], str, str]:
    """16 kHz mono audio of the separated streams the model reads (none for a
    single-stream model), the separator actually used, and why (for the user)."""
    from core.separation import choose_backend, separate

    if not separated:
        choose_backend(separator, vocals, accompaniment)  # still refuse bad arguments
        return {}, "none (single-stream model)", "a single-stream model hears the whole song"
    stems = separate(
        song,
        separator,
        vocals=vocals,
        accompaniment=accompaniment,
        sr=FEATURE_SR,
        progress=progress,
    )
    # The features hear the streams in mono; the mouth gate's cues read the stereo
    # vocal stream too (how centred it is, core/vocal_cues.py).
    streams = {
        VOCALS: stems.vocals.mean(axis=1),
        ACCOMPANIMENT: stems.accompaniment.mean(axis=1),
        STEREO_VOCALS: stems.vocals,
    }
    return streams, stems.backend, stems.message


def generate(
    song: str | Path,
    checkpoint: str | Path | LoadedGenerator | None = None,
    separator: str = "auto",
    subject: int = 0,
    seed: int = 0,
    vocals: str | Path | None = None,
    accompaniment: str | Path | None = None,
    device: str = "auto",
    mouth_gate: bool = True,
    progress: ProgressFn = no_progress,
) -> Performance:
    """Animate `song` with a generator checkpoint (None: the shipped default), on
    `device` (auto: a GPU when present, else the CPU; core/device.py). `mouth_gate`:
    the mouth rests where the separated vocal stream is quiet (core/voice_gate.py)."""
    song = Path(song)
    if not isinstance(seed, int) or seed < 0:
        raise BadInput(f"seed must be a non-negative integer, got {seed!r}")
    loaded = (
        checkpoint
        if isinstance(checkpoint, LoadedGenerator)
        else load_checkpoint(checkpoint, device=device)
    )
    config = loaded.model.config
    if not 0 <= subject < config.n_subjects:
        raise BadInput(
            f"subject {subject} is out of range: this checkpoint knows subjects "
            f"0..{config.n_subjects - 1}"
        )

    progress("decode", 0.0)
    mix = load_audio(song, FEATURE_SR)
    seconds = len(mix) / FEATURE_SR
    n_frames = video_frame_count(seconds, config.fps)
    progress("decode", 0.05)

    audio, used, separation = _streams(
        song,
        config.separated,
        separator,
        Path(vocals) if vocals is not None else None,
        Path(accompaniment) if accompaniment is not None else None,
        scaled(progress, 0.05, 0.6),
    )

    signals = {name: a for name, a in audio.items() if name != STEREO_VOCALS}
    if MIXTURE in (*config.streams, config.rhythm_source):
        # The single-stream model hears the song; the pose head, and so the beat
        # markers, track the beat in the whole song (GeneratorConfig.rhythm_source).
        signals[MIXTURE] = mix
    mfccs: dict[str, np.ndarray] = {}
    for i, (name, signal) in enumerate(signals.items()):
        mfccs[name] = mfcc_26(signal)
        progress("features", 0.6 + 0.2 * (i + 1) / (len(signals) + 1))
    # One beat per song: the markers are the beats the pose head's phase reads.
    beats = beats_from_mfcc(mfccs[config.rhythm_source])
    progress("features", 0.8)

    curves = run_generator(
        loaded.model,
        loaded.normalization,
        mfccs,
        n_frames,
        subject,
        beats=beats,
        progress=scaled(progress, 0.8, 0.98),
    )
    rng = np.random.Generator(np.random.PCG64(seed))
    blink = sample_blinks(n_frames, config.fps, rng, config.blink_interval, config.blink_duration)
    # A learned closure lasts at least as long as the shortest sampled blink.
    eye_long, eye_blink, eye = compose_eye_state(
        curves.e_long,
        blink,
        config.long_closure_threshold,
        config.eye_sigma_frames,
        min_frames=max(1, round(config.blink_duration[0] * config.fps)),
    )
    expression = curves.expression.copy()
    gated = mouth_gate and VOCALS in audio
    if gated:
        # The vocal stream's MFCC is one the encoders read (signals holds every stream).
        detector = load_voice_detector()
        cues = None
        if detector.reads_cues:
            cues = vocal_cues(audio[STEREO_VOCALS], FEATURE_SR, n_frames, config.fps)
        lead = detector.probability(mfccs[VOCALS], n_frames, config.fps, cues)
        expression = gate_mouth(
            expression, voice_gate(audio[VOCALS], FEATURE_SR, n_frames, config.fps, lead)
        )
    for column in EYE_COLUMNS:
        expression[:, column] = eye

    meta = {
        "engine_version": core.__version__,
        "checkpoint": loaded.checkpoint_id,
        "variant": config.variant,
        "separator": used,
        "separation": separation,
        "seed": seed,
        "subject": subject,
        "mouth_gate": gated,
        "song": song.name,
        # Where it was, so `musicface render` finds the sound wherever the take is saved.
        "song_path": str(song.resolve()),
        "song_sha256": file_sha256(song),
        "seconds": seconds,
    }
    if curves.attention is not None:
        meta["attention_channels"] = list(ATTENTION_CHANNELS)
    return Performance(
        fps=config.fps,
        expression=expression,
        pose=curves.pose,
        eye_long=eye_long,
        eye_blink=eye_blink,
        attention=curves.attention,
        beats=beats,
        meta=meta,
    )
