"""The mouth gate: the lower face rests where the separated vocal stream is quiet."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from core.audio import FEATURE_SR, load_audio, write_wav
from core.face.arkit import ARKIT_INDEX, ARKIT_NAMES
from core.features import mfcc_26
from core.generate import generate
from core.vocal_cues import vocal_cues
from core.voice_detector import load_voice_detector
from core.voice_gate import LOWER_FACE, RELEASE_S, VOICE_OPEN, gate_mouth, voice_gate
from tests.core.test_generate import make_checkpoint

FPS = 30.0


def _phrases(seconds: float = 6.0) -> np.ndarray:
    """Sung 0-2 s and 4-6 s, nothing (60 dB down: a separator's leak) between."""
    t = np.arange(int(seconds * FEATURE_SR)) / FEATURE_SR
    level = np.where((t < 2.0) | (t >= 4.0), 1.0, 1e-3)
    return 0.3 * np.sin(2 * np.pi * 220 * t) * level


def test_the_gate_opens_at_once_and_closes_after_the_voice() -> None:
    gate = voice_gate(_phrases(), FEATURE_SR, 180, FPS)
    t = np.arange(180) / FPS
    assert gate[(t > 0.2) & (t < 1.9)].min() > 0.99
    assert gate[(t > 2.0 + RELEASE_S + 0.1) & (t < 3.9)].max() == 0.0
    assert gate[int(4.05 * FPS)] > 0.9  # a sung onset is not late
    assert gate[int((2.0 + RELEASE_S / 2) * FPS)] > 0.3  # a word's end is not cut off


def test_only_the_lower_face_rests() -> None:
    expression = np.full((10, len(ARKIT_NAMES)), 0.5, np.float32)
    gated = gate_mouth(expression, np.zeros(10, np.float32))
    names = {ARKIT_NAMES[i] for i in LOWER_FACE}
    assert {"jawOpen", "mouthFunnel", "mouthSmileLeft"} <= names and "eyeBlinkLeft" not in names
    assert (gated[:, LOWER_FACE] == 0.0).all()
    upper = np.setdiff1d(np.arange(len(ARKIT_NAMES)), LOWER_FACE)
    assert (gated[:, upper] == 0.5).all()


@pytest.fixture(scope="module")
def leak(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("leak")
    vocals = _phrases()
    t = np.arange(len(vocals)) / FEATURE_SR
    band = 0.2 * np.sin(2 * np.pi * 110 * t)
    paths = {"song": root / "song.wav", "vocals": root / "v.wav", "accompaniment": root / "a.wav"}
    write_wav(paths["song"], vocals + band, FEATURE_SR)
    write_wav(paths["vocals"], vocals, FEATURE_SR)
    write_wav(paths["accompaniment"], band, FEATURE_SR)
    return paths


def test_generate_rests_the_mouth_where_the_vocals_are_quiet(leak, tmp_path: Path) -> None:
    checkpoint = make_checkpoint(tmp_path / "full.pt", "full")
    stems = {"vocals": leak["vocals"], "accompaniment": leak["accompaniment"]}
    gated = generate(leak["song"], checkpoint, **stems)
    free = generate(leak["song"], checkpoint, mouth_gate=False, **stems)
    assert gated.meta["mouth_gate"] is True and free.meta["mouth_gate"] is False
    t = np.arange(gated.frames) / gated.fps
    quiet = (t > 2.0 + RELEASE_S + 0.1) & (t < 3.9)
    sung = (t > 0.2) & (t < 1.9)
    assert (gated.expression[quiet][:, LOWER_FACE] == 0.0).all()
    assert free.expression[quiet][:, LOWER_FACE].max() > 0.0  # the untrained model's mouth
    # Where the voice detector is sure a voice sings, the model's mouth is untouched;
    # elsewhere in the phrases (this "voice" is a bare sine) it can only be closer to rest.
    vocals = load_audio(leak["vocals"], FEATURE_SR)
    detector = load_voice_detector()
    cues = vocal_cues(vocals, FEATURE_SR, gated.frames, gated.fps) if detector.reads_cues else None
    voice = detector.probability(mfcc_26(vocals), gated.frames, gated.fps, cues)
    sure = sung & (voice >= VOICE_OPEN)
    assert sure.sum() > 0
    np.testing.assert_allclose(gated.expression[sure], free.expression[sure], atol=1e-6)
    lower = np.abs(gated.expression[sung][:, LOWER_FACE])
    assert (lower <= np.abs(free.expression[sung][:, LOWER_FACE]) + 1e-6).all()
    jaw = ARKIT_INDEX["jawOpen"]
    upper = np.setdiff1d(np.arange(len(ARKIT_NAMES)), LOWER_FACE)
    np.testing.assert_array_equal(gated.expression[:, upper], free.expression[:, upper])
    np.testing.assert_array_equal(gated.pose, free.pose)
    assert jaw in LOWER_FACE


def test_the_gate_closes_where_the_detector_is_sure_no_voice_sings() -> None:
    """Loud everywhere in 0-2 s, but the detector says no voice in its second half."""
    t = np.arange(60) / FPS
    p = np.where(t < 1.0, 0.9, 0.01)
    gate = voice_gate(_phrases(), FEATURE_SR, 180, FPS, voice_probability=p)
    loud_only = voice_gate(_phrases(), FEATURE_SR, 180, FPS)
    assert gate[:60][(t > 0.2) & (t < 0.95)].min() > 0.99
    assert gate[int((1.0 + RELEASE_S + 0.1) * FPS) : 60].max() == 0.0
    assert loud_only[int((1.0 + RELEASE_S + 0.1) * FPS) : 60].min() > 0.99
    # Frames the probabilities do not reach count as no voice.
    assert gate[int((4.0 + RELEASE_S + 0.1) * FPS) :].max() == 0.0
