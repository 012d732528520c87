"""Separation backends dsp, none, stems and auto, the cache, and `musicface separate`.

Spleeter's own tests are in test_separation_spleeter.py (they start TensorFlow).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import wave
from pathlib import Path

import numpy as np
import pytest

from core.audio import SEPARATION_SR, load_audio, write_wav
from core.errors import BadInput
from core.separation import choose_backend, separate
from core.separation.dsp import block_bounds, separate_dsp
from tests.conftest import REPO, encode

SR = SEPARATION_SR


def sung_voice(seconds: float, rng: np.random.Generator) -> np.ndarray:
    """A sung-like line: notes of a scale with vibrato, two moving formants, breath
    noise, in phrases of 2-4 s separated by pauses."""
    n = int(seconds * SR)
    f0, amp, formants = np.zeros(n), np.zeros(n), np.zeros((n, 2))
    scale = 220.0 * 2 ** (np.array([0, 2, 4, 5, 7, 9, 11, 12]) / 12)
    t = 0.0
    while t < seconds:
        end = min(t + rng.uniform(2.0, 4.0), seconds)
        while t < end:
            note = rng.uniform(0.25, 0.8)
            a, b = int(t * SR), max(int(min(t + note, end) * SR), int(t * SR) + 1)
            k = np.arange(b - a) / SR
            vibrato = 0.5 * np.minimum(k / 0.3, 1.0) * np.sin(2 * np.pi * 5.5 * k)
            f0[a:b] = rng.choice(scale) * 2 ** (vibrato / 12)
            amp[a:b] = np.minimum(1, k / 0.03) * np.minimum(1, (k[-1] - k + 1e-3) / 0.05)
            formants[a:b] = [rng.uniform(300, 800), rng.uniform(900, 2400)]
            t += note
        t = end + rng.uniform(0.5, 1.5)
    phase = 2 * np.pi * np.cumsum(f0) / SR
    voice = np.zeros(n)
    for h in range(1, 30):
        gain = 0.3 / h + sum(
            np.exp(-0.5 * ((h * f0 - formants[:, j]) / 150.0) ** 2) for j in (0, 1)
        )
        voice += np.where(h * f0 < SR / 2 - 1000, gain, 0.0) * np.sin(h * phase)
    voice = amp * (voice + 0.02 * rng.standard_normal(n))
    return voice / np.abs(voice).max()


def band_loop(seconds: float, rng: np.random.Generator) -> np.ndarray:
    """Stereo drums (kick, snare, hi-hat), bass and panned chords: a 2-bar loop at
    100 bpm, repeated, as accompaniment repeats in real songs."""
    beat = 0.6
    n_loop = int(8 * beat * SR)
    loop = np.zeros((n_loop, 2))

    def add(start_s: float, sound: np.ndarray, gains: tuple[float, float] = (1, 1)) -> None:
        s = int(start_s * SR)
        part = loop[s : s + len(sound)]
        part += sound[: len(part), None] * np.array(gains)

    for b in range(8):
        k = np.arange(int(0.3 * SR)) / SR
        if b % 2 == 0:
            add(
                b * beat,
                0.9 * np.sin(2 * np.pi * (50 + 100 * np.exp(-k / 0.03)) * k) * np.exp(-k / 0.12),
            )
        else:
            add(b * beat, 0.5 * rng.standard_normal(len(k)) * np.exp(-k / 0.06))
        for half in (0.0, 0.5):
            k2 = np.arange(int(0.05 * SR)) / SR
            add(
                (b + half) * beat,
                0.15 * np.diff(rng.standard_normal(len(k2) + 1)) * np.exp(-k2 / 0.015),
            )
    for c, root_step in enumerate((0, 5, 7, 3)):
        k = np.arange(int(2 * beat * SR)) / SR
        root = 110.0 * 2 ** (root_step / 12)
        env = np.minimum(1, k / 0.05) * np.exp(-k / 1.5)
        add(c * 2 * beat, 0.5 * env * sum(np.sin(np.pi * root * h * k) / h for h in range(1, 6)))
        for interval, pan in ((0, 0.3), (4, 0.7), (7, 0.5)):
            f = 2 * root * 2 ** (interval / 12)
            tone = 0.25 * env * sum(np.sin(2 * np.pi * f * h * k) * 0.5**h for h in range(1, 5))
            add(c * 2 * beat, tone, (1 - pan, pan))
    n = int(seconds * SR)
    return np.tile(loop, (n // n_loop + 1, 1))[:n]


def synthetic_song(seconds: float, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(mixture, vocals, accompaniment) float32 (N, 2), voice and band at equal power."""
    rng = np.random.default_rng(seed)
    voice = sung_voice(seconds, rng)
    band = band_loop(seconds, rng)
    band *= 0.3 / np.sqrt(np.mean(band**2))
    vocals = np.stack([voice, voice], axis=1) * 0.3 / np.sqrt(np.mean(voice**2))
    mixture = vocals + band
    return mixture.astype(np.float32), vocals.astype(np.float32), band.astype(np.float32)


def sdr(reference: np.ndarray, estimate: np.ndarray) -> float:
    return float(10 * np.log10(np.sum(reference**2) / np.sum((reference - estimate) ** 2)))


@pytest.fixture(autouse=True)
def no_spleeter_model(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Isolate every test from the user's cache and any installed Spleeter model."""
    monkeypatch.setenv("MUSICFACE_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("MODEL_PATH", str(tmp_path / "no-models"))


@pytest.fixture
def short_song(tmp_path: Path) -> Path:
    mixture, _, _ = synthetic_song(6.0, seed=1)
    path = tmp_path / "song.wav"
    write_wav(path, mixture * 0.8, SR)
    return path


def test_dsp_raises_vocal_sdr_by_3db_over_the_mixture() -> None:
    mixture, vocals, _ = synthetic_song(12.0, seed=0)
    est_vocals, est_accompaniment = separate_dsp(mixture, SR)
    assert est_vocals.shape == mixture.shape and est_vocals.dtype == np.float32
    baseline = sdr(vocals, mixture)
    assert abs(baseline) < 0.1  # equal power: the mixture alone scores 0 dB
    assert sdr(vocals, est_vocals) - baseline >= 3.0
    # Complementary streams: the accompaniment gains exactly as much.
    np.testing.assert_allclose(est_vocals + est_accompaniment, mixture, atol=1e-5)


def test_dsp_blocks_cover_the_song_and_stay_long() -> None:
    for total in (1000, 30 * SR, 95 * SR + 17):
        bounds = block_bounds(total, 30 * SR, SR)
        assert bounds[0][0] == 0 and bounds[-1][1] == total
        assert all(b[0] < a[1] for a, b in zip(bounds, bounds[1:], strict=False))  # overlap
        assert all(stop - start >= min(total, 15 * SR) for start, stop in bounds)


def test_dsp_is_deterministic_and_survives_a_half_second_song() -> None:
    mixture, _, _ = synthetic_song(0.5, seed=3)
    first, _ = separate_dsp(mixture, SR)
    second, _ = separate_dsp(mixture, SR)
    assert np.array_equal(first, second) and np.isfinite(first).all()


def test_none_feeds_the_mixture_to_both_streams(short_song: Path) -> None:
    stems = separate(short_song, "none")
    mixture = load_audio(short_song, SR, mono=False)
    assert stems.backend == "none" and not stems.cached
    np.testing.assert_array_equal(stems.vocals, mixture)
    np.testing.assert_array_equal(stems.accompaniment, mixture)


def test_user_stems_are_resampled_and_fitted_to_the_song(tmp_path: Path, short_song: Path) -> None:
    song_samples = len(load_audio(short_song, SR, mono=False))
    t = np.arange(int(6.3 * 22050)) / 22050
    voice = encode(tmp_path / "voice.flac", 0.3 * np.sin(2 * np.pi * 300 * t), 22050)
    t = np.arange(int(5.8 * 48000)) / 48000
    band = 0.3 * np.sin(2 * np.pi * 100 * t)
    backing = encode(tmp_path / "backing.wav", np.stack([band, -band], axis=1), 48000)
    stems = separate(short_song, vocals=voice, accompaniment=backing)
    assert stems.backend == "stems"
    assert stems.vocals.shape == stems.accompaniment.shape == (song_samples, 2)
    # Mono vocals became two equal channels; the short accompaniment was padded with silence.
    np.testing.assert_array_equal(stems.vocals[:, 0], stems.vocals[:, 1])
    assert np.abs(stems.accompaniment[int(5.9 * SR) :]).max() == 0.0
    assert np.abs(stems.accompaniment[: 5 * SR]).max() > 0.2


def test_user_stems_of_another_length_are_refused(tmp_path: Path, short_song: Path) -> None:
    t = np.arange(int(8.0 * SR)) / SR
    long_voice = encode(tmp_path / "voice.wav", 0.3 * np.sin(2 * np.pi * 300 * t), SR)
    with pytest.raises(BadInput, match="lasts 8.0 s"):
        separate(short_song, vocals=long_voice, accompaniment=long_voice)
    with pytest.raises(BadInput, match="both"):
        separate(short_song, vocals=long_voice)
    with pytest.raises(BadInput, match="replace"):
        separate(short_song, "dsp", vocals=long_voice, accompaniment=long_voice)


def test_auto_picks_dsp_without_a_model_and_says_why(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    leftover = tmp_path / "no-models" / "2stems"
    leftover.mkdir(parents=True)  # an offline Spleeter run's empty model folder
    backend, message = choose_backend("auto", None, None)
    assert backend == "dsp" and "no Spleeter 2stems model" in message
    assert not leftover.exists()
    monkeypatch.setenv("MUSICFACE_SPLEETER_PYTHON", "/nonexistent/python")
    backend, message = choose_backend("auto", None, None)
    assert backend == "dsp" and "environment is missing" in message
    with pytest.raises(BadInput):
        choose_backend("magic", None, None)


def test_second_run_comes_from_the_cache(tmp_path: Path, short_song: Path) -> None:
    cache = tmp_path / "separation-cache"
    first = separate(short_song, "dsp", cache_dir=cache)
    (entry,) = cache.glob("*.npz")
    written = entry.stat().st_mtime_ns
    second = separate(short_song, "dsp", cache_dir=cache)
    assert not first.cached and second.cached and second.backend == "dsp"
    assert entry.stat().st_mtime_ns == written and not list(cache.glob("*.tmp"))
    np.testing.assert_allclose(second.vocals, first.vocals, atol=1e-4)
    np.testing.assert_allclose(second.accompaniment, first.accompaniment, atol=1e-4)
    # Another song (same audio, other bytes) is another entry.
    other = tmp_path / "other.wav"
    other.write_bytes(short_song.read_bytes() + b"\0\0")
    assert not separate(other, "dsp", cache_dir=cache).cached


def test_an_unwritable_cache_does_not_fail_the_separation(tmp_path: Path, short_song: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    stems = separate(short_song, "dsp", cache_dir=blocker / "cache")
    assert stems.backend == "dsp" and "not writable" in stems.message


def musicface(*argv: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """The installed `musicface` console script (python -m core.cli where it is not)."""
    script = Path(sys.executable).with_name("musicface")
    command = [str(script)] if script.exists() else [sys.executable, "-m", "core.cli"]
    return subprocess.run(
        [*command, *argv], capture_output=True, text=True, cwd=REPO, env=env, check=False
    )


def wav_info(path: Path) -> tuple[int, int, float]:
    with wave.open(str(path)) as handle:
        return handle.getframerate(), handle.getnchannels(), handle.getnframes() / 44100


def test_cli_separates_the_real_song(tmp_path: Path, real_song: Path) -> None:
    out = tmp_path / "stems of Zoë"  # spaces and non-ASCII letters
    env = dict(os.environ)
    result = musicface("separate", str(real_song), "--out", str(out), "--progress", "json", env=env)
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert lines[-1] == {"done": str(out)}
    assert any(line.get("stage") == "separate" for line in lines[:-1])
    assert "auto picked the offline dsp separator" in result.stderr
    song_seconds = len(load_audio(real_song, SR, mono=False)) / SR
    for name in ("vocals.wav", "accompaniment.wav"):
        sr, channels, seconds = wav_info(out / name)
        assert (sr, channels) == (44100, 2) and abs(seconds - song_seconds) < 1e-3
    vocals = load_audio(out / "vocals.wav", SR, mono=False)
    accompaniment = load_audio(out / "accompaniment.wav", SR, mono=False)
    assert np.abs(vocals).max() > 0.01 and np.abs(accompaniment).max() > 0.01
    assert not np.allclose(vocals, accompaniment, atol=1e-3)


def test_cli_unwritable_out_folder_is_one_line_exit_2(tmp_path: Path, short_song: Path) -> None:
    blocker = tmp_path / "a file"
    blocker.write_text("x")
    for out in (blocker, blocker / "sub"):
        result = musicface("separate", str(short_song), "--out", str(out), env=dict(os.environ))
        assert result.returncode == 2
        assert result.stderr.strip().count("\n") == 0 and "Traceback" not in result.stderr
        assert str(blocker) in result.stderr


def consonants(seconds: float, rng: np.random.Generator) -> np.ndarray:
    """Sibilant-like bursts: 60 ms of noise high-passed at 3 kHz, off the beat grid."""
    import scipy.signal

    n = int(seconds * SR)
    out = np.zeros(n)
    sos = scipy.signal.butter(4, 3000.0, "highpass", fs=SR, output="sos")
    for start in np.sort(rng.uniform(0.0, seconds - 0.1, size=int(2 * seconds))):
        k = np.arange(int(0.06 * SR))
        burst = scipy.signal.sosfilt(sos, rng.standard_normal(len(k))) * np.hanning(len(k))
        out[int(start * SR) : int(start * SR) + len(k)] += burst
    return out


def test_dsp_keeps_the_sung_consonants_in_the_vocals() -> None:
    # The lips' sharpest cue, s/t/k and the bursts of p and b, is broadband noise
    # above a few kHz: an HPSS cue there would hand it to the accompaniment.
    import librosa

    from core.separation.dsp import HOP, N_FFT, vocal_mask

    rng = np.random.default_rng(3)
    mixture, _, _ = synthetic_song(12.0, seed=0)
    hiss = consonants(12.0, rng)
    hiss *= 0.3 * np.sqrt(np.mean(mixture**2)) / np.sqrt(np.mean(hiss**2))
    song = mixture + hiss[:, None].astype(np.float32)
    magnitude = np.abs(librosa.stft(song.T, n_fft=N_FFT, hop_length=HOP)).mean(axis=0)
    mask = vocal_mask(magnitude, SR)
    burst = np.abs(librosa.stft(hiss, n_fft=N_FFT, hop_length=HOP)) ** 2
    kept = float((mask**2 * burst).sum() / burst.sum())
    assert kept >= 0.6, kept
