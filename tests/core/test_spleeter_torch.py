"""The PyTorch Spleeter: weights load without pickles, and chunks change nothing.

Equality with the spleeter package (TensorFlow) is in test_separation_spleeter.py,
which shares its random-weight checkpoint.
"""

from __future__ import annotations

import os
import pickle
from pathlib import Path

import numpy as np
import pytest
import torch

from core.errors import MissingModel
from core.separation import spleeter_torch
from core.separation.spleeter_torch import STEMS, Spleeter2Stems, tf_variable_names


class Payload:
    """Unpickling this makes a folder: proof that a pickle was (or was not) run."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple:
        return (os.mkdir, (str(self.marker),))


def random_weights(path: Path, seed: int = 0) -> Path:
    """A converted-weights file with the checkpoint's names and layouts."""
    rng = np.random.default_rng(seed)
    model = Spleeter2Stems()
    arrays: dict[str, np.ndarray] = {"source_identity": np.array("test")}
    for index, stem in enumerate(STEMS):
        params = dict(getattr(model, stem).named_parameters())
        for ours, theirs in tf_variable_names(index).items():
            shape = tuple(params[ours].shape)
            if len(shape) == 4:  # back to TensorFlow's (kh, kw, ·, ·)
                shape = (shape[2], shape[3], shape[1], shape[0])
            value = rng.normal(0.0, 0.05, shape).astype(np.float32)
            if theirs.endswith("variance") or theirs.endswith("gamma"):
                value = 1.0 + np.abs(value)
            arrays[theirs.replace("/", ".")] = value
    np.savez(path, **arrays)
    return path


def test_pickled_weights_are_refused_and_never_run(tmp_path: Path) -> None:
    marker = tmp_path / "pickle-ran"
    weights = random_weights(tmp_path / "good.npz")
    with np.load(weights, allow_pickle=False) as archive:
        arrays = {name: archive[name] for name in archive.files}
    # An .npz that hides an object array among good weights, and a plain pickle.
    arrays["conv2d.bias"] = np.array([Payload(marker)], dtype=object)
    np.savez(tmp_path / "object.npz", **arrays)
    with open(tmp_path / "pickle.npz", "wb") as stream:
        pickle.dump({"conv2d.bias": Payload(marker)}, stream)
    for name in ("object.npz", "pickle.npz"):
        with pytest.raises(MissingModel, match="not plain arrays") as error:
            spleeter_torch.load_model(tmp_path / name)
        assert "\n" not in str(error.value)
    assert not marker.exists()
    spleeter_torch.load_model(weights)  # the same weights without the pickle load


def test_missing_tensor_is_one_clear_error(tmp_path: Path) -> None:
    weights = random_weights(tmp_path / "good.npz")
    with np.load(weights, allow_pickle=False) as archive:
        arrays = {name: archive[name] for name in archive.files if name != "conv2d_13.kernel"}
    np.savez(tmp_path / "partial.npz", **arrays)
    with pytest.raises(MissingModel, match="lack conv2d_13/kernel"):
        spleeter_torch.load_model(tmp_path / "partial.npz")


def test_separating_in_chunks_equals_one_pass(tmp_path: Path) -> None:
    """The U-Net sees each 512-frame segment alone, so chunking must not show."""
    torch.manual_seed(0)
    model = spleeter_torch.load_model(random_weights(tmp_path / "w.npz", seed=1))
    rng = np.random.default_rng(0)
    samples = 512 * 1024 + 12_345  # two segments, the second one short
    mix = (0.1 * rng.standard_normal((samples, 2))).astype(np.float32)
    fractions: list[float] = []
    one = spleeter_torch.separate(model, mix, segments_per_chunk=2)
    chunked = spleeter_torch.separate(model, mix, fractions.append, segments_per_chunk=1)
    for whole, pieces in zip(one, chunked, strict=True):
        assert whole.shape == mix.shape and whole.dtype == np.float32
        np.testing.assert_allclose(pieces, whole, atol=1e-5)
    assert fractions == [0.5, 1.0]
    # Ratio masks sum to one below 11 kHz and are zero above: white noise keeps
    # about half its power, and the streams are not the same.
    total = one[0] + one[1]
    kept = float(np.sum(total[8192:-8192] ** 2) / np.sum(mix[8192:-8192] ** 2))
    assert 0.4 < kept < 0.6
    assert not np.allclose(one[0], one[1], atol=1e-3)


@pytest.mark.parametrize("negative_scale", [False, True])
def test_inference_form_equals_the_layer_for_layer_network(
    tmp_path: Path, negative_scale: bool
) -> None:
    """`separate` runs the U-Nets with their normalisations folded in, the
    transposed convolutions as phase convolutions: the masks of `forward`, to
    float rounding. A negative normalisation scale (none in the released weights)
    cannot be folded through the ReLU and takes the unfolded path."""
    model = spleeter_torch.load_model(random_weights(tmp_path / "w.npz", seed=2))
    if negative_scale:
        with torch.no_grad():
            model.vocals.batch8.gamma[::2] *= -1  # a decoder normalisation
            model.accompaniment.batch12.gamma[0] *= -1  # up6's
    rng = np.random.default_rng(1)
    spectrogram = torch.from_numpy(
        np.abs(rng.standard_normal((2, 2, 512, 1024))).astype(np.float32)
    )
    padded = spleeter_torch._empty_padded(2, 2, 512, 1024)
    spleeter_torch._inside(padded).copy_(spectrogram)
    fast = spleeter_torch._FastSpleeter(model)
    assert negative_scale == any(
        layer[2] is not None for stem in fast.stems for layer in stem.decoder
    )
    with torch.inference_mode():
        expected = model(spectrogram)
        got = fast.masks(padded, spectrogram)
    for want, have in zip(expected, got, strict=True):
        assert have.shape == want.shape
        np.testing.assert_allclose(have.numpy(), want.numpy(), atol=1e-5)
    assert float((expected[0] - expected[1]).abs().max()) > 0.1  # not trivially equal


def test_workers_change_nothing(tmp_path: Path) -> None:
    """Chunks run on several cores at once are added into the song in order:
    the same stems, bit for bit, as on one core."""
    model = spleeter_torch.load_model(random_weights(tmp_path / "w.npz", seed=3))
    rng = np.random.default_rng(2)
    mix = (0.1 * rng.standard_normal((2 * 512 * 1024 + 777, 2))).astype(np.float32)
    threads = torch.get_num_threads()
    one = spleeter_torch.separate(model, mix, threads=1)
    three = spleeter_torch.separate(model, mix, threads=3)
    assert torch.get_num_threads() == threads  # PyTorch's own setting comes back
    for a, b in zip(one, three, strict=True):
        np.testing.assert_array_equal(a, b)
