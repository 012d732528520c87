"""`--device`: one resolution for training and generation; a GPU when present, else the CPU."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from core.checkpoints import load_checkpoint, save_checkpoint
from core.device import resolve_device
from core.errors import BadInput
from core.model import GeneratorConfig, MusicFaceGenerator
from core.model.inference import run_generator
from core.model.normalization import Normalization
from tests.conftest import SMALL_MODEL, run_cli, run_train_cli

GPU = torch.cuda.is_available()
no_gpu = pytest.mark.skipif(GPU, reason="checks the answer of a machine without a CUDA GPU")
gpu_only = pytest.mark.skipif(not GPU, reason="needs a CUDA GPU")


def test_auto_is_the_gpu_when_present_else_the_cpu() -> None:
    expected = torch.device("cuda", 0) if GPU else torch.device("cpu")
    assert resolve_device("auto") == expected
    assert resolve_device() == expected
    assert resolve_device("cpu") == resolve_device(" CPU ") == torch.device("cpu")
    assert resolve_device(torch.device("cpu")) == torch.device("cpu")


@pytest.mark.parametrize("name", ["tpu", "cuda:x", "cuda:-1", "gpu", ""])
def test_unknown_names_are_refused(name: str) -> None:
    with pytest.raises(BadInput, match="unknown device"):
        resolve_device(name)


@no_gpu
@pytest.mark.parametrize("name", ["cuda", "cuda:0", "cuda:1"])
def test_cuda_without_a_gpu_is_a_clear_error(name: str) -> None:
    with pytest.raises(BadInput, match="no CUDA GPU here"):
        resolve_device(name)
    with pytest.raises(BadInput, match="no CUDA GPU here"):
        load_checkpoint(None, device=name)  # before any file is read


@no_gpu
def test_unavailable_device_on_the_command_line_is_one_line_exit_2(tmp_path: Path) -> None:
    """Both CLIs refuse it before reading the song or the dataset."""
    generate = run_cli(
        "generate", str(tmp_path / "song.wav"), "-o", str(tmp_path / "p.npz"), "--device", "cuda"
    )
    train = run_train_cli(
        "train", "--data", str(tmp_path), "--out", str(tmp_path / "m.pt"), "--device", "cuda:1"
    )
    for result, program in ((generate, "musicface"), (train, "musicface-train")):
        assert result.returncode == 2, result.stderr
        assert result.stderr.strip().splitlines() == [
            f"{program}: error: device {'cuda' if program == 'musicface' else 'cuda:1'!r} "
            "is not available: no CUDA GPU here (use auto or cpu)"
        ]


def _checkpoint(path: Path) -> Path:
    torch.manual_seed(0)
    config = GeneratorConfig(variant="full", n_subjects=2, **SMALL_MODEL)
    return save_checkpoint(path, MusicFaceGenerator(config), Normalization.identity())


@gpu_only
def test_generation_runs_on_the_gpu_and_agrees_with_the_cpu(tmp_path: Path) -> None:
    path = _checkpoint(tmp_path / "m.pt")
    gpu, cpu = load_checkpoint(path), load_checkpoint(path, device="cpu")
    assert next(gpu.model.parameters()).device.type == "cuda"
    rng = np.random.default_rng(0)
    mfccs = {
        s: rng.standard_normal((400, 26)).astype(np.float32)
        for s in ("vocals", "accompaniment", "mixture")
    }
    a = run_generator(gpu.model, gpu.normalization, mfccs, 120, subject=1)
    b = run_generator(cpu.model, cpu.normalization, mfccs, 120, subject=1)
    # Not bit-equal: cuDNN convolutions run in TF32 by default.
    np.testing.assert_allclose(a.expression, b.expression, rtol=0, atol=1e-2)
    np.testing.assert_allclose(a.pose, b.pose, rtol=0, atol=1e-2)


@gpu_only
def test_training_runs_on_the_gpu(tmp_path: Path) -> None:
    from tests.training.test_train import make_toy_dataset
    from training.train import TrainOptions, train

    data = make_toy_dataset(tmp_path / "data", n_train=2, n_test=1, seconds=6.0)
    torch.cuda.reset_peak_memory_stats()
    options = TrainOptions(
        data, tmp_path / "m.pt", epochs=1, batch_size=2, steps_per_epoch=2, window=32
    )
    options.config, options.plot = SMALL_MODEL, False
    result = train(options)
    assert torch.cuda.max_memory_allocated() > 0  # the steps ran on the GPU
    assert result.val_loss is not None and np.isfinite(result.val_loss)
    assert load_checkpoint(result.checkpoint, device="cpu").meta["steps"] == 2
