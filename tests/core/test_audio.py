from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from core.audio import FEATURE_SR, SEPARATION_SR, file_sha256, load_audio, write_wav
from core.errors import BadInput
from tests.conftest import encode

SECONDS = 2.0


def tone(seconds: float = SECONDS, sr: int = 44100, channels: int = 2) -> np.ndarray:
    t = np.arange(int(seconds * sr)) / sr
    mono = 0.3 * np.sin(2 * np.pi * 440 * t) * (0.6 + 0.4 * np.sin(2 * np.pi * 2 * t))
    return np.stack([mono] * channels, axis=1).astype(np.float32)


@pytest.mark.parametrize("suffix", ["wav", "flac", "mp3", "m4a", "aac", "ogg"])
def test_every_format_decodes_to_right_length_and_rate(tmp_path: Path, suffix: str) -> None:
    song = encode(tmp_path / f"song.{suffix}", tone(), 44100)
    mono = load_audio(song, FEATURE_SR)
    stereo = load_audio(song, SEPARATION_SR, mono=False)
    assert mono.dtype == np.float32 and mono.ndim == 1
    assert stereo.shape[1] == 2 and stereo.dtype == np.float32
    # Lossy codecs add encoder delay/padding of a few tens of milliseconds at most.
    assert abs(len(mono) / FEATURE_SR - SECONDS) < 0.06
    assert abs(len(stereo) / SEPARATION_SR - SECONDS) < 0.06
    # The tone survived: its RMS is close to the original's.
    assert 0.15 < float(np.sqrt(np.mean(mono**2))) < 0.25


def test_six_channel_96k_is_downmixed(tmp_path: Path) -> None:
    song = encode(tmp_path / "surround.wav", tone(sr=96000, channels=6), 96000)
    audio = load_audio(song, FEATURE_SR)
    assert audio.ndim == 1
    assert abs(len(audio) - SECONDS * FEATURE_SR) <= 2
    assert np.abs(audio).max() > 0.1


def test_path_with_spaces_and_non_ascii(tmp_path: Path) -> None:
    folder = tmp_path / "mes chansons été"
    folder.mkdir()
    song = encode(folder / "Ça va — bien.flac", tone(), 44100)
    assert len(load_audio(song)) == int(SECONDS * FEATURE_SR)


def test_silence_decodes(tmp_path: Path) -> None:
    song = encode(tmp_path / "silence.wav", np.zeros(44100, np.float32), 44100)
    audio = load_audio(song)
    assert np.all(audio == 0.0) and len(audio) == FEATURE_SR


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda d: d / "missing.mp3", "not found"),
        (lambda d: _write(d / "empty.mp3", b""), "empty"),
        (lambda d: _write(d / "notes.mp3", b"this is a text file, not a song\n" * 20), "decode"),
        (lambda d: encode(d / "short.wav", tone(0.3), 44100), "too short"),
        (lambda d: d, "folder"),
    ],
)
def test_bad_input_is_one_clear_error(tmp_path: Path, make, message: str) -> None:
    with pytest.raises(BadInput, match=message) as err:
        load_audio(make(tmp_path))
    assert "\n" not in str(err.value)


def test_truncated_mp3_is_bad_input_or_its_good_part(tmp_path: Path) -> None:
    full = encode(tmp_path / "full.mp3", tone(3.0), 44100)
    data = full.read_bytes()
    # Cut inside the header region: nothing decodable is left.
    header_only = _write(tmp_path / "header.mp3", data[:200])
    with pytest.raises(BadInput):
        load_audio(header_only)
    # Cut in the middle: the decodable first half is returned, not garbage.
    half = _write(tmp_path / "half.mp3", data[: len(data) // 2])
    audio = load_audio(half)
    assert 1.0 < len(audio) / FEATURE_SR < 2.0


def test_write_wav_round_trip_and_hash(tmp_path: Path) -> None:
    signal = tone(1.0, sr=SEPARATION_SR)
    path = tmp_path / "out.wav"
    write_wav(path, signal, SEPARATION_SR)
    back = load_audio(path, SEPARATION_SR, mono=False)
    assert np.allclose(back, signal, atol=1e-3)
    assert file_sha256(path) == file_sha256(path) and len(file_sha256(path)) == 64


def test_write_wav_into_missing_folder_is_bad_input(tmp_path: Path) -> None:
    with pytest.raises(BadInput, match="cannot write"):
        write_wav(tmp_path / "nope" / "out.wav", np.zeros(100), 16000)


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path
