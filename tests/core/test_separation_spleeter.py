"""The Spleeter backend on a random-weight 2stems model: the PyTorch implementation
(default) and the spleeter package in `.venv-spleeter` (MUSICFACE_SPLEETER_IMPL=tensorflow).

Tests must not depend on the released weights being installed, so a session fixture
makes a checkpoint with Spleeter's own model function (the released model's 149
variables). Every TensorFlow start (make, convert, separate) costs seconds: few do.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from core.audio import SEPARATION_SR, load_audio, write_wav
from core.errors import MissingModel
from core.separation import choose_backend, separate, spleeter_backend
from core.separation.spleeter_backend import make_random_model, spleeter_python
from core.separation.spleeter_runner import CrossfadeWriter, NpyChunks, chunk_starts
from tests.conftest import REAL_SONG

SR = SEPARATION_SR


def needs_spleeter() -> None:
    if not spleeter_python().exists():
        pytest.skip(f"Spleeter environment absent: {spleeter_python()} (run `make setup`)")


@pytest.fixture(scope="session")
def random_model_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """MODEL_PATH holding a random-weight `2stems` checkpoint, made once per session."""
    needs_spleeter()
    root = tmp_path_factory.mktemp("spleeter-models")
    make_random_model(root / "2stems", seed=0)
    return root


@pytest.fixture
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("MUSICFACE_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("MODEL_PATH", str(tmp_path / "no-models"))
    return tmp_path


def test_chunks_and_crossfades_rebuild_the_signal(tmp_path: Path) -> None:
    """The runner's file streaming, with an identity "model": what goes in comes out."""
    rng = np.random.default_rng(0)
    signal = rng.standard_normal((10_007, 2)).astype(np.float32)
    np.save(tmp_path / "in.npy", signal)
    reader = NpyChunks(str(tmp_path / "in.npy"))
    writer = CrossfadeWriter(str(tmp_path / "out.npy"), reader.rows, overlap=300)
    starts = chunk_starts(reader.rows, 2000, 300)
    for index, start in enumerate(starts):
        writer.add(reader.read(start, start + 2000), last=index == len(starts) - 1)
    reader.close()
    writer.close()
    np.testing.assert_allclose(np.load(tmp_path / "out.npy"), signal, atol=1e-6)
    assert starts[-1] + 2000 >= reader.rows and len(chunk_starts(500, 2000, 300)) == 1


def test_random_model_has_the_released_layout(random_model_root: Path) -> None:
    files = {path.name for path in (random_model_root / "2stems").iterdir()}
    assert {"checkpoint", "model.index", "model.data-00000-of-00001", ".probe"} <= files


def test_spleeter_separates_in_chunks_and_caches(
    random_model_root: Path, isolated: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MODEL_PATH", str(random_model_root))
    assert choose_backend("auto", None, None)[0] == "spleeter"
    # 26 s: three 512-frame segments, two chunks. Tones below Spleeter's 11 kHz
    # band, where the two masks sum to one, so the stems must add up to the song.
    t = np.arange(26 * SR) / SR
    tones = 0.2 * np.sin(2 * np.pi * 220 * t) + 0.1 * np.sin(2 * np.pi * 1500 * t + 1.0)
    song = isolated / "song.wav"
    write_wav(song, np.stack([tones, 0.5 * tones], axis=1), SR)
    mixture = load_audio(song, SR, mono=False)
    progress: list[float] = []
    stems = separate(song, "spleeter", progress=lambda _, f: progress.append(f))
    assert stems.backend == "spleeter" and not stems.cached
    assert stems.vocals.shape == stems.accompaniment.shape == mixture.shape
    assert stems.vocals.dtype == np.float32
    middle = slice(SR, -SR)
    np.testing.assert_allclose(
        (stems.vocals + stems.accompaniment)[middle], mixture[middle], atol=2e-3
    )
    assert np.abs(stems.vocals).max() > 1e-3 and np.abs(stems.accompaniment).max() > 1e-3
    assert progress == sorted(progress) and progress[-1] == 1.0 and len(progress) >= 4
    again = separate(song, "auto")
    assert again.cached and again.backend == "spleeter"
    np.testing.assert_allclose(again.vocals, stems.vocals, atol=1e-4)


def test_offline_without_model_is_one_error_and_leaves_no_empty_folder(isolated: Path) -> None:
    needs_spleeter()
    song = isolated / "song.wav"
    write_wav(song, np.zeros((SR, 2), np.float32), SR)
    model_dir = isolated / "no-models" / "2stems"
    model_dir.mkdir(parents=True)  # what an earlier offline Spleeter run leaves behind
    # The PyTorch implementation never downloads: it says what to do.
    with pytest.raises(MissingModel, match="make setup") as error:
        separate(song, "spleeter")
    assert "\n" not in str(error.value) and not model_dir.exists()
    # The spleeter package tries Spleeter's real download code, pointed at a closed
    # local port: offline, instantly.
    model_dir.mkdir(parents=True)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("MUSICFACE_SPLEETER_IMPL", "tensorflow")
        patch.setenv("GITHUB_HOST", "http://127.0.0.1:9")
        with pytest.raises(MissingModel, match="download failed") as error:
            separate(song, "spleeter")
    assert "\n" not in str(error.value)
    assert not model_dir.exists()


def test_availability_names_the_weights_and_needs_tensorflow_only_to_convert(
    random_model_root: Path, isolated: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    usable, why = spleeter_backend.availability()
    assert not usable and "no Spleeter 2stems model" in why
    monkeypatch.setenv("MODEL_PATH", str(random_model_root))
    usable, why = spleeter_backend.availability()
    assert usable and "not the released ones" in why and "PyTorch" in why
    torch_version = spleeter_backend.backend_version()
    monkeypatch.setenv("MUSICFACE_SPLEETER_IMPL", "tensorflow")
    assert spleeter_backend.backend_version() != torch_version  # two cache entries
    monkeypatch.setenv("MUSICFACE_SPLEETER_IMPL", "torch")
    # Converted weights need no TensorFlow environment; unconverted ones do.
    spleeter_backend.convert_weights()
    monkeypatch.setenv("MUSICFACE_SPLEETER_PYTHON", str(isolated / "no-python"))
    assert spleeter_backend.availability()[0]
    converted = random_model_root / "2stems" / spleeter_backend.CONVERTED_NAME
    converted.rename(converted.with_suffix(".away"))  # kept for the next test
    try:
        usable, why = spleeter_backend.availability()
        assert not usable and "environment is missing" in why
    finally:
        converted.with_suffix(".away").rename(converted)


def test_pytorch_equals_the_spleeter_package(
    random_model_root: Path, isolated: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Both implementations on the same random-weight checkpoint and a real song
    (a synthetic one where the test song is absent)."""
    monkeypatch.setenv("MODEL_PATH", str(random_model_root))
    song = REAL_SONG
    if not song.is_file():
        rng = np.random.default_rng(0)
        t = np.arange(8 * SR) / SR
        voice = 0.3 * np.sin(2 * np.pi * 330 * t) * (np.sin(2 * np.pi * 0.7 * t) > 0)
        band = 0.1 * rng.standard_normal(len(t))
        song = isolated / "song.wav"
        write_wav(song, np.stack([voice + band, band], axis=1), SR)
    mix = load_audio(song, SR, mono=False)
    ours = spleeter_backend.separate_spleeter(mix)
    monkeypatch.setenv("MUSICFACE_SPLEETER_IMPL", "tensorflow")
    theirs = spleeter_backend.separate_spleeter(mix)
    for a, b in zip(ours, theirs, strict=True):
        assert a.shape == b.shape == mix.shape and a.dtype == np.float32
        assert np.corrcoef(a.ravel(), b.ravel())[0, 1] >= 0.999
        assert np.abs(a - b).max() < 1e-3
