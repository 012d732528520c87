"""Checkpoints: round trip gives identical outputs; anything that could run code is refused."""

from __future__ import annotations

import os
import pickle
from pathlib import Path

import numpy as np
import pytest
import torch

import core.checkpoints as checkpoints
from core.checkpoints import load_checkpoint, read_checkpoint_file, save_checkpoint
from core.errors import BadInput, MissingModel
from core.model import GeneratorConfig, MusicFaceGenerator
from core.model.inference import run_generator
from core.model.normalization import Normalization

SMALL = {"encoder_channels": 16, "feature_dim": 16, "unet_channels": 16, "mlp_hidden": 32}


class Payload:
    """Unpickling this runs a command: what a hostile 'checkpoint' would carry."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple:
        return (os.system, (f"touch {self.marker}",))


def small_norm(rng: np.random.Generator) -> Normalization:
    streams = ("vocals", "accompaniment", "mixture")
    return Normalization(
        mfcc_mean={s: rng.standard_normal(26).astype(np.float32) for s in streams},
        mfcc_std={s: rng.uniform(0.5, 2, 26).astype(np.float32) for s in streams},
        pose_scale=rng.uniform(0.01, 0.2, 6).astype(np.float32),
        expression_scale=rng.uniform(0.05, 0.3, 52).astype(np.float32),
    )


def test_checkpoints_that_spelled_the_streams_accomp_and_mix_still_load(tmp_path: Path) -> None:
    torch.manual_seed(3)
    model = MusicFaceGenerator(GeneratorConfig(**SMALL)).eval()
    norm = small_norm(np.random.default_rng(0))
    legacy = {"accompaniment": "accomp", "mixture": "mix"}
    state = {
        (f"{legacy[k.split('_')[0]]}_{k.split('_')[1]}" if k.split("_")[0] in legacy else k): v
        for k, v in norm.to_dict().items()
    }
    assert "accomp_mean" in state and "mix_std" in state
    loaded = Normalization.from_dict(state)
    for stream in ("vocals", "accompaniment", "mixture"):
        np.testing.assert_array_equal(loaded.mfcc_mean[stream], norm.mfcc_mean[stream])
    assert model.config.streams == ("vocals", "accompaniment")


@pytest.mark.parametrize("variant", ["single-stream", "full"])
def test_round_trip_gives_identical_outputs(tmp_path: Path, variant: str) -> None:
    torch.manual_seed(3)
    model = MusicFaceGenerator(GeneratorConfig(variant=variant, n_subjects=2, **SMALL)).eval()
    rng = np.random.default_rng(0)
    norm = small_norm(rng)
    path = save_checkpoint(tmp_path / "m.pt", model, norm, {"subjects": ["a", "b"]})
    loaded = load_checkpoint(path)
    assert loaded.model.config == model.config
    assert loaded.meta == {"subjects": ["a", "b"]}
    assert len(loaded.checkpoint_id) == 64
    for key in ("vocals", "mixture"):
        np.testing.assert_array_equal(loaded.normalization.mfcc_std[key], norm.mfcc_std[key])
    np.testing.assert_array_equal(loaded.normalization.pose_scale, norm.pose_scale)
    np.testing.assert_array_equal(loaded.normalization.expression_scale, norm.expression_scale)
    mfccs = {
        s: rng.standard_normal((700, 26)).astype(np.float32)
        for s in ("vocals", "accompaniment", "mixture")
    }
    a = run_generator(model, norm, mfccs, 200, subject=1)
    b = run_generator(loaded.model, loaded.normalization, mfccs, 200, subject=1)
    for name in ("expression", "pose", "e_long", "attention"):
        x, y = getattr(a, name), getattr(b, name)
        assert (x is None) == (y is None)
        if x is not None:
            np.testing.assert_array_equal(x, y)
    # Only plain types and tensors inside: a weights-only load of the raw file works.
    raw = torch.load(path, weights_only=True)
    assert raw["config"]["variant"] == variant


def test_pickled_object_posing_as_checkpoint_is_refused(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    zipped = tmp_path / "evil.pt"
    torch.save({"format": checkpoints.FORMAT, "config": Payload(marker)}, zipped)
    legacy = tmp_path / "legacy.pt"
    legacy.write_bytes(pickle.dumps(Payload(marker)))
    for path in (zipped, legacy):
        with pytest.raises(BadInput, match="refusing|not a") as err:
            load_checkpoint(path)
        assert "\n" not in str(err.value)
    assert not marker.exists()


def test_other_files_are_refused_clearly(tmp_path: Path) -> None:
    with pytest.raises(BadInput, match="not found"):
        load_checkpoint(tmp_path / "absent.pt")
    garbage = tmp_path / "garbage.pt"
    # Plain text, a text file that the legacy unpickler trips over with a KeyError,
    # an empty file and random bytes: each is one clear BadInput, never a traceback.
    for content in (b"not a checkpoint at all", b"hello\n", b"", bytes(range(256)) * 4):
        garbage.write_bytes(content)
        with pytest.raises(BadInput, match="not a"):
            load_checkpoint(garbage)
    foreign = tmp_path / "foreign.pt"
    torch.save({"state_dict": {}}, foreign)
    with pytest.raises(BadInput, match="not a MusicFace generator checkpoint"):
        read_checkpoint_file(foreign)
    model = MusicFaceGenerator(GeneratorConfig(**SMALL))
    mismatched = tmp_path / "mismatched.pt"
    save_checkpoint(mismatched, model, Normalization.identity())
    data = torch.load(mismatched, weights_only=True)
    data["config"]["feature_dim"] = 8
    torch.save(data, mismatched)
    with pytest.raises(BadInput, match="do not match"):
        load_checkpoint(mismatched)


def test_missing_default_checkpoint_asks_for_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(checkpoints, "DEFAULT_CHECKPOINT", tmp_path / "default.pt")
    with pytest.raises(MissingModel, match="--checkpoint"):
        load_checkpoint(None)


def test_save_is_atomic(tmp_path: Path) -> None:
    model = MusicFaceGenerator(GeneratorConfig(**SMALL))
    path = save_checkpoint(tmp_path / "m.pt", model, Normalization.identity())
    before = path.read_bytes()

    class Unsaveable:
        pass

    with pytest.raises((pickle.PicklingError, AttributeError, TypeError)):
        checkpoints.atomic_torch_save({"x": Unsaveable(), "y": lambda: 0}, path)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["m.pt"]
