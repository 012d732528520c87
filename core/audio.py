"""Decode any song to float32 PCM with the ffmpeg binary that imageio-ffmpeg ships.

There is no ffprobe here, so everything goes through one ffmpeg call that
resamples and downmixes to exactly what the caller asks for; ffmpeg's own error
text tells an undecodable file from a missing one.
"""

from __future__ import annotations

import hashlib
import subprocess
import wave
from pathlib import Path

import numpy as np

from core.errors import BadInput, MissingModel

FEATURE_SR = 16000
SEPARATION_SR = 44100
MIN_SECONDS = 0.5


def ffmpeg_exe() -> str:
    """Path of the bundled ffmpeg binary."""
    try:
        import imageio_ffmpeg
    except ImportError as err:  # pragma: no cover - setup problem
        raise MissingModel("imageio-ffmpeg is not installed; run `make setup`") from err
    return imageio_ffmpeg.get_ffmpeg_exe()


def _check_readable(path: Path) -> None:
    if not path.exists():
        raise BadInput(f"song not found: {path}")
    if path.is_dir():
        raise BadInput(f"song is a folder, not an audio file: {path}")
    if path.stat().st_size == 0:
        raise BadInput(f"song file is empty: {path}")


def _ffmpeg_reason(stderr: str) -> str:
    """The most telling line of ffmpeg's complaint, for a one-line error."""
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    for key in ("Invalid data", "could not find codec", "does not contain any stream", "Error"):
        for line in lines:
            if key.lower() in line.lower():
                return line
    return lines[-1] if lines else "unknown error"


def load_audio(path: str | Path, sr: int = FEATURE_SR, mono: bool = True) -> np.ndarray:
    """Decode `path` to float32 at `sr` Hz: shape (N,) if mono, else (N, 2).

    Any channel layout is downmixed (6-channel 96 kHz included). Raises BadInput
    for a missing, empty, undecodable or too short (< 0.5 s) file.
    """
    path = Path(path)
    _check_readable(path)
    channels = 1 if mono else 2
    argv = [
        ffmpeg_exe(),
        "-nostdin",
        "-hide_banner",
        "-loglevel",
        "error",
        "-i",
        str(path),
        "-vn",
        "-ac",
        str(channels),
        "-ar",
        str(sr),
        "-f",
        "f32le",
        "-acodec",
        "pcm_f32le",
        "-",
    ]
    result = subprocess.run(argv, capture_output=True, check=False)
    stderr = result.stderr.decode("utf-8", "replace")
    if result.returncode != 0:
        raise BadInput(f"cannot decode {path.name}: {_ffmpeg_reason(stderr)}")
    if len(result.stdout) < 4 * channels:
        raise BadInput(f"{path.name} contains no audio")
    # One copy out of ffmpeg's buffer, then everything in place: a 10-minute song
    # should not cost several times its size.
    frames = np.frombuffer(result.stdout, dtype="<f4")[
        : len(result.stdout) // 4 // channels * channels
    ]
    audio = frames.reshape(-1, channels)
    audio = audio[:, 0].copy() if mono else audio.copy()
    del result
    seconds = audio.shape[0] / sr
    if seconds < MIN_SECONDS:
        raise BadInput(f"{path.name} is too short ({seconds:.2f} s; at least {MIN_SECONDS} s)")
    # A truncated mp3 decodes its good part and complains; keep going only if
    # there is real audio, which the check above ensured.
    np.nan_to_num(audio, copy=False, nan=0.0, posinf=1.0, neginf=-1.0)
    return audio


def write_wav(path: str | Path, audio: np.ndarray, sr: int) -> None:
    """Write float audio ((N,) or (N, C)) as 16-bit PCM wav, clipped to [-1, 1]."""
    path = Path(path)
    data = np.asarray(audio, dtype=np.float32)
    if data.ndim == 1:
        data = data[:, None]
    pcm = (np.clip(data, -1.0, 1.0) * 32767.0).round().astype("<i2")
    try:
        with open(path, "wb") as handle, wave.open(handle, "wb") as out:
            out.setnchannels(pcm.shape[1])
            out.setsampwidth(2)
            out.setframerate(int(sr))
            out.writeframes(pcm.tobytes())
    except OSError as err:
        raise BadInput(f"cannot write {path}: {err.strerror or err}") from err


def file_sha256(path: str | Path) -> str:
    """Content hash of a file (cache keys and Performance metadata)."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def resample(audio: np.ndarray, from_sr: int, to_sr: int) -> np.ndarray:
    """float32 (N,) or (N, C) audio from `from_sr` to `to_sr`, channel by channel.

    soxr's high-quality filter, called directly: the same numbers as
    librosa.resample's default, without the ~3 s librosa spends importing its
    resampling stack on a whole song.
    """
    import soxr

    audio = np.asarray(audio, dtype=np.float32)
    if from_sr == to_sr:
        return audio
    if audio.ndim == 1:
        return soxr.resample(audio, from_sr, to_sr, quality="soxr_hq").astype(np.float32)
    channels = [
        resample(np.ascontiguousarray(audio[:, c]), from_sr, to_sr) for c in range(audio.shape[1])
    ]
    return np.stack(channels, axis=1)
