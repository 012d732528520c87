"""Live mode: the whole chain from a file to UDP datagrams, causality, the wire format."""

from __future__ import annotations

import socket
import threading
import time
from pathlib import Path

import numpy as np
import pytest
import torch

from core.audio import FEATURE_SR, write_wav
from core.features import mfcc_26
from core.live import datagram
from core.live.mfcc_stream import MfccStream
from tests.conftest import run_cli

SECONDS = 3.0


def sung_signal(seconds: float = SECONDS, seed: int = 0, change_at: float | None = None):
    """A voice-like signal made by code: a vibrato vowel with words and gaps, over clicks."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * FEATURE_SR)) / FEATURE_SR
    f0 = 220.0 * (1.0 + 0.02 * np.sin(2 * np.pi * 5.0 * t))
    phase = 2 * np.pi * np.cumsum(f0) / FEATURE_SR
    vowel = sum(np.sin(k * phase) / k for k in range(1, 12))
    words = ((t % 1.0) < 0.6).astype(float)  # 0.6 s sung, 0.4 s rest, every second
    clicks = ((t % 0.5) < 0.005) * rng.standard_normal(len(t))
    signal = 0.2 * vowel * words + 0.3 * clicks + 0.001 * rng.standard_normal(len(t))
    if change_at is not None:  # something else entirely from `change_at` on
        late = t >= change_at
        signal[late] = 0.3 * rng.standard_normal(int(late.sum()))
    return signal.astype(np.float32)


def test_mfcc_stream_matches_the_whole_song_features() -> None:
    signal = sung_signal(2.0)
    stream = MfccStream(keep_rows=50)
    for lo in range(0, len(signal), 333):  # blocks that do not line up with the rows
        stream.extend(signal[lo : lo + 333])
    whole = mfcc_26(signal)
    settled = slice(stream.row_start, stream.settled)
    assert stream.settled - stream.row_start > 40
    np.testing.assert_array_equal(stream.window(settled.start, settled.stop), whole[settled])


def test_pgn_steps_roll_out_as_the_whole_sequence_does() -> None:
    from core.model.pgn import PGN

    torch.manual_seed(0)
    pgn = PGN(10, 16, 8, 6).eval()
    x = torch.randn(1, 40, 10)
    with torch.no_grad():
        whole = pgn(x)
        state = pgn.initial_state(torch.zeros(1, 2, 6))
        steps = []
        for t in range(40):
            xt = x[:, t]
            gates = torch.nn.functional.linear(xt, pgn.weight_audio, pgn.bias)
            state = pgn.step(pgn.speed(xt), gates, state)
            steps.append(state[1])
    torch.testing.assert_close(torch.stack(steps, 1), whole)


def _live_take(signal: np.ndarray, lookahead_s: float) -> np.ndarray:
    from core.checkpoints import load_checkpoint
    from core.live.face import LiveFace
    from core.live.record import TakeRecorder
    from core.live.separation import DryVocal
    from core.live.session import run_session
    from core.live.sources import AudioBlock
    from core.voice_detector import load_voice_detector

    face = LiveFace(load_checkpoint(None, device="cpu"), load_voice_detector(), 0, 0, lookahead_s)
    blocks = [AudioBlock(signal[lo : lo + 256, None], 0.0) for lo in range(0, len(signal), 256)]
    recorder = TakeRecorder()
    run_session(blocks, DryVocal(), face, recorder=recorder)
    take = recorder.performance(face.fps, [], {})
    return np.concatenate([take.expression, take.pose, take.eye_long[:, None]], axis=1)


def test_a_live_frame_hears_no_further_than_its_lookahead() -> None:
    lookahead, change = 0.1, 2.0
    same = _live_take(sung_signal(), lookahead)
    changed = _live_take(sung_signal(change_at=change), lookahead)
    assert same.shape == changed.shape == (round(SECONDS * 30), 52 + 6 + 1)
    # Frame e is made from the sound up to e / 30 + lookahead, and from nothing later.
    before = int(np.floor((change - lookahead) * 30)) + 1
    np.testing.assert_array_equal(same[:before], changed[:before])
    assert np.abs(same[before + 3 :] - changed[before + 3 :]).max() > 1e-3


def test_datagrams_round_trip_and_malformed_ones_are_refused() -> None:
    rng = np.random.default_rng(1)
    frame = datagram.LiveFrame(
        7, 30.0, 100.25, 100.5, rng.random(52, dtype=np.float32),
        rng.standard_normal(6).astype(np.float32), 0.0, 0.75, datagram.FLAG_LAST,
    )  # fmt: skip
    data = datagram.pack(frame)
    assert len(data) == datagram.SIZE == 272
    back = datagram.unpack(data)
    assert (back.index, back.fps, back.audio_time, back.send_time) == (7, 30.0, 100.25, 100.5)
    np.testing.assert_array_equal(back.expression, frame.expression)
    np.testing.assert_array_equal(back.pose, frame.pose)
    assert back.eye_blink == 0.75 and back.last
    nan = bytearray(data)
    nan[32:36] = np.float32(np.nan).tobytes()
    for bad in (data[:-1], b"XXXX" + data[4:], bytes(nan), data[:4] + b"\x09\x00" + data[6:]):
        with pytest.raises(datagram.MalformedDatagram):
            datagram.unpack(bad)


class _Receiver(threading.Thread):
    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.socket = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.socket.bind(("127.0.0.1", 0))
        self.socket.settimeout(0.2)
        self.port = self.socket.getsockname()[1]
        self.frames: list[tuple[float, datagram.LiveFrame]] = []
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.stop.is_set():
            try:
                data = self.socket.recv(4096)
            except TimeoutError:
                continue
            self.frames.append((time.time(), datagram.unpack(data)))


def test_a_file_plays_through_the_chain_to_udp_and_the_take_is_what_was_sent(
    tmp_path: Path,
) -> None:
    from core.performance import Performance

    song = tmp_path / "voice.wav"
    write_wav(song, sung_signal(), FEATURE_SR)
    take = tmp_path / "take.npz"
    receiver = _Receiver()
    receiver.start()
    url = f"udp://127.0.0.1:{receiver.port}"
    try:
        result = run_cli("live", "--input", str(song), "--dry-vocal", "--send", url,
                         "--record", str(take))  # fmt: skip
        time.sleep(0.3)
    finally:
        receiver.stop.set()
        receiver.join()
    assert result.returncode == 0, result.stderr
    arrived = [frame for _, frame in receiver.frames]
    n = round(SECONDS * 30)
    assert [f.index for f in arrived] == list(range(n))
    assert arrived[-1].last and not any(f.last for f in arrived[:-1])
    assert all(f.fps == 30.0 for f in arrived)
    # Played at real-time pace: the frames leave at 30 a second, not all at once.
    times = np.array([t for t, _ in receiver.frames])
    assert abs(np.median(np.diff(times[5:-5])) - 1 / 30) < 0.01
    assert abs((times[-2] - times[0]) - (n - 2) / 30) < 0.5
    recorded = Performance.load(take)
    assert recorded.frames == n and recorded.meta["source"] == "live"
    np.testing.assert_array_equal(recorded.expression, np.stack([f.expression for f in arrived]))
    np.testing.assert_array_equal(recorded.pose, np.stack([f.pose for f in arrived]))
    np.testing.assert_array_equal(recorded.eye_blink, [f.eye_blink for f in arrived])
    np.testing.assert_array_equal(recorded.eye_long, [f.eye_long for f in arrived])
    # The head moves and the jaw follows the words (open in them, nearly shut between).
    assert np.ptp(recorded.pose[:, :3]) > 0


def _one_error_line(result) -> str:  # noqa: ANN001
    assert result.returncode == 2, (result.returncode, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr, result.stderr
    return lines[0]


def test_bad_input_gives_one_clear_line_and_exit_2(tmp_path: Path) -> None:
    text = tmp_path / "notes.wav"
    text.write_text("this is not audio\n" * 100)
    record = tmp_path / "take.npz"
    line = _one_error_line(run_cli("live", "--input", str(text), "--dry-vocal",
                                   "--record", str(record)))  # fmt: skip
    assert "cannot decode notes.wav" in line and not record.exists()
    line = _one_error_line(run_cli("live", "--dry-vocal", "--send", "tcp://127.0.0.1:80"))
    assert "udp://HOST:PORT" in line


def test_no_sound_device_is_one_clear_line() -> None:
    sd = pytest.importorskip("sounddevice")
    try:
        sd.query_devices(kind="input")
        pytest.skip("this machine has a sound input device")
    except (ValueError, sd.PortAudioError):
        pass
    line = _one_error_line(run_cli("live", "--dry-vocal", "--seconds", "1"))
    assert "no sound input device" in line
