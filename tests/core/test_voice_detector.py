"""The voice detector of the mouth gate: the shipped file, its safety, and its fit."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from core.errors import BadInput
from core.voice_detector import (
    DEFAULT_DETECTOR,
    WINDOWS_S,
    VoiceDetector,
    feature_count,
    load_voice_detector,
)
from training.voice_detector import fit_logistic, fit_voice_detector


def test_the_shipped_detector_loads_and_was_fitted_on_spleeter_vocals() -> None:
    detector = load_voice_detector()
    assert detector.coef.shape == (feature_count(),)
    assert detector.meta["separator"] == "spleeter" and detector.meta["train_auc"] > 0.95
    p = detector.probability(np.random.default_rng(0).normal(size=(300, 26)), 90, 30.0)
    assert p.shape == (90,) and p.dtype == np.float32 and ((p >= 0) & (p <= 1)).all()


def test_save_and_load_give_the_same_detector(tmp_path: Path) -> None:
    rng = np.random.default_rng(1)
    f = feature_count()
    detector = VoiceDetector(
        rng.normal(size=f), rng.uniform(0.5, 2, f), rng.normal(size=f) * 0.1, 0.3, {"a": 1}
    )
    back = load_voice_detector(detector.save(tmp_path / "d.npz"))
    mfcc = rng.normal(size=(200, 26))
    np.testing.assert_array_equal(
        back.probability(mfcc, 60, 30.0), detector.probability(mfcc, 60, 30.0)
    )
    assert back.meta == {"a": 1}


def test_a_file_with_pickled_objects_or_another_shape_is_refused(tmp_path: Path) -> None:
    with np.load(DEFAULT_DETECTOR, allow_pickle=False) as data:
        fields = {k: data[k] for k in data.files}
    pickled = tmp_path / "pickled.npz"
    np.savez(pickled, **{**fields, "meta": np.array([{"x": 1}], dtype=object)})
    with pytest.raises(BadInput, match="not a voice detector"):
        load_voice_detector(pickled)
    short = tmp_path / "short.npz"
    np.savez(short, **{**fields, "coef": fields["coef"][:10]})
    with pytest.raises(BadInput, match="wrong shape"):
        load_voice_detector(short)
    with pytest.raises(BadInput, match="not found"):
        load_voice_detector(tmp_path / "none.npz")


def test_newton_fits_a_separable_rule() -> None:
    rng = np.random.default_rng(2)
    x = rng.normal(size=(2000, 3))
    y = (x[:, 0] - 0.5 * x[:, 2] > 0).astype(np.float64)
    coef, bias = fit_logistic(x, y)
    p = 1 / (1 + np.exp(-(x @ coef + bias)))
    assert ((p > 0.5) == (y > 0.5)).mean() > 0.98
    assert coef[0] > 0 > coef[2] and abs(coef[1]) < 0.2 * coef[0]


def _tiny_corpus(root: Path) -> Path:
    """Two clips whose 'vocal stream' is loud noise-like articulation where the voice sings
    and a loud steady tone where it does not."""
    rng = np.random.default_rng(3)
    clips = []
    (root / "clips").mkdir(parents=True)
    for k in range(2):
        frames = 300
        sung = (np.arange(frames) // 60) % 2 == 0
        rows = np.repeat(sung, 10)[: frames * 10 // 3 + 10]
        mfcc = np.where(rows[:, None], rng.normal(0, 3, (len(rows), 26)), 1.0)
        mfcc[:, 0] = 20.0
        np.savez(
            root / "clips" / f"c{k}.npz",
            vocals_mfcc=mfcc.astype(np.float32),
            expression=np.zeros((frames, 52), np.float32),
            voice_activity=sung.astype(np.uint8),
            breath=np.zeros(frames, np.uint8),
            fps=np.float64(30.0),
        )
        clips.append({"id": f"c{k}", "subject": 0, "split": "train"})
    manifest = {"fps": 30.0, "subjects": ["s"], "expression_names": [], "clips": clips}
    (root / "manifest.json").write_text(json.dumps(manifest))
    return root


def _crowd_corpus(root: Path) -> Path:
    """Two clips whose vocal MFCCs are alike where the lead sings and where another voice
    does; only the cues differ: the lead is loud and centred, the other quieter and wide."""
    rng = np.random.default_rng(4)
    clips = []
    (root / "clips").mkdir(parents=True)
    for k in range(2):
        frames = 300
        sung = (np.arange(frames) // 60) % 2 == 0
        mfcc = rng.normal(0, 3, (frames * 10 // 3 + 10, 26))
        mfcc[:, 0] = 20.0
        cues = np.where(sung[:, None], [-2.0, 0.95], [-12.0, 0.2]) + rng.normal(0, 0.5, (frames, 2))
        np.savez(
            root / "clips" / f"c{k}.npz",
            vocals_mfcc=mfcc.astype(np.float32),
            vocal_cues=cues.astype(np.float32),
            expression=np.zeros((frames, 52), np.float32),
            voice_activity=sung.astype(np.uint8),
            breath=np.zeros(frames, np.uint8),
            fps=np.float64(30.0),
        )
        clips.append({"id": f"c{k}", "subject": 0, "split": "train"})
    manifest = {"fps": 30.0, "subjects": ["s"], "expression_names": [], "clips": clips}
    (root / "manifest.json").write_text(json.dumps(manifest))
    return root


def test_with_the_cues_the_detector_tells_the_lead_from_other_voices(tmp_path: Path) -> None:
    """MFCCs alike, cues apart (a backing voice quieter and wide): a corpus that stores the
    vocal stream's cues fits a detector that reads them, and it closes for the other voice;
    format 1 files (MFCC only) still load and need no cues."""
    detector = fit_voice_detector(_crowd_corpus(tmp_path / "c"))
    assert detector.inputs == "mfcc+cues" and detector.meta["train_auc"] > 0.95
    saved = load_voice_detector(detector.save(tmp_path / "d.npz"))
    assert saved.reads_cues
    mfcc = np.random.default_rng(5).normal(0, 3, (1010, 26)).astype(np.float32)
    lead = np.tile([-2.0, 0.95], (300, 1)).astype(np.float32)
    other = np.tile([-12.0, 0.2], (300, 1)).astype(np.float32)
    assert saved.probability(mfcc, 300, 30.0, lead).mean() > 0.8
    assert saved.probability(mfcc, 300, 30.0, other).mean() < 0.2
    with pytest.raises(ValueError, match="cues"):
        saved.probability(mfcc, 300, 30.0)
    legacy = fit_voice_detector(_tiny_corpus(tmp_path / "t"))
    assert legacy.inputs == "mfcc" and legacy.probability(mfcc, 300, 30.0).shape == (300,)
    old = tmp_path / "v1.npz"  # as the detector shipped before the cues
    fields = {"mean": legacy.mean, "scale": legacy.scale, "coef": legacy.coef}
    np.savez(old, format=np.array("musicface-voice-detector/1"), windows_s=np.array(WINDOWS_S),
             bias=np.float64(legacy.bias), meta=np.array("{}"), **fields)  # fmt: skip
    assert load_voice_detector(old).inputs == "mfcc"


def test_the_fit_learns_to_tell_sung_from_silent_frames(tmp_path: Path) -> None:
    detector = fit_voice_detector(_tiny_corpus(tmp_path / "c"))
    assert detector.meta["clips"] == 2 and detector.meta["train_auc"] > 0.95
    with pytest.raises(BadInput, match="no test clips"):
        fit_voice_detector(tmp_path / "c", split="test")


def test_the_command_writes_a_detector_and_never_overwrites_one(tmp_path: Path) -> None:
    from tests.conftest import run_train_cli

    data = _tiny_corpus(tmp_path / "c")
    out = tmp_path / "d.npz"
    done = run_train_cli("voice-detector", "--data", str(data), "--out", str(out))
    assert done.returncode == 0, done.stderr
    assert "AUC" in done.stdout and load_voice_detector(out).meta["clips"] == 2
    again = run_train_cli("voice-detector", "--data", str(data), "--out", str(out))
    assert again.returncode == 2 and "--force" in again.stderr
    assert "Traceback" not in again.stderr
