"""Live mode (issue 24): what the causal path costs, and whether it keeps real time.

Two parts, each optional:

- `--quality`: over the dev set (`../shared/realdata`, evaluation only), per item the
  AUC of jawOpen between sung and unsung frames (training/real_songs.py's truth and
  score), for the offline `generate` of the mixture and for the live path fed the very
  same separated streams (core/live/separation.py's GivenStems, played as fast as it
  goes): the gap is what the lookahead costs the model, the gate and the beat phase.
  Pearson r of the two jaws beside it; for the a cappella items also the live path
  with `--dry-vocal` on the file itself (a singer on a dry microphone).
- `--realtime FILE`: FILE played at real-time pace through the whole chain to a UDP
  socket on 127.0.0.1 (a receiver thread counts what arrives): latency from a frame's
  own sound arriving to its datagram leaving (median, p99, max), real-time factor
  (time making frames / sound), the process's CPU share, frames sent, received,
  and missing or out of order, and the machine's load average.

    .venv/bin/python benchmarks/live.py [--quality] [--realtime FILE] [--repeat N]
        [--dry-vocal] [--lookahead-ms 150] [--only NAME] [--json FILE]
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import sys
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:  # run as a script from anywhere
    sys.path.insert(0, str(REPO))


def _face(loaded: Any, lookahead_ms: float) -> Any:
    from core.live.face import LiveFace
    from core.voice_detector import load_voice_detector

    return LiveFace(loaded, load_voice_detector(), lookahead_s=lookahead_ms / 1000.0)


def _live_take(loaded: Any, lookahead_ms: float, path: Path, splitter: Any) -> Any:
    from core.live.record import TakeRecorder
    from core.live.session import run_session
    from core.live.sources import FileSource

    face, recorder = _face(loaded, lookahead_ms), TakeRecorder()
    run_session(FileSource(path, pace=0), splitter, face, recorder=recorder)
    return recorder.performance(face.fps, face.beats.markers, {"separator": splitter.name})


def quality(args: argparse.Namespace) -> list[dict[str, Any]]:
    from core.audio import FEATURE_SR
    from core.checkpoints import load_checkpoint
    from core.face.arkit import ARKIT_INDEX
    from core.generate import generate
    from core.live.separation import DryVocal, GivenStems
    from core.separation import separate
    from core.voice_gate import frame_rms
    from training import real_songs as R

    realdata = R.default_realdata(REPO)
    items = R.discover(realdata, args.only)
    if not items:
        print(f"no dev set in {realdata}: nothing to measure")
        return []
    loaded = load_checkpoint(None)
    jaw = ARKIT_INDEX["jawOpen"]
    rows = []
    for item in items:
        t0 = time.time()
        offline = generate(item.mix, loaded)
        labels = R.truth_for(item, offline.frames, offline.fps)
        stems = separate(item.mix, "auto", sr=FEATURE_SR)  # the cache generate just filled
        splitter = GivenStems(stems.vocals, stems.accompaniment.mean(axis=1))
        live = _live_take(loaded, args.lookahead_ms, item.mix, splitter)
        n = min(offline.frames, live.frames)
        a, b = offline.expression[:n, jaw], live.expression[:n, jaw]
        # The simplest baseline: the loudness of the vocal stream both paths heard.
        loud = frame_rms(stems.vocals, FEATURE_SR, offline.frames, offline.fps)
        row: dict[str, Any] = {
            "name": item.name,
            "kind": item.kind,
            "frames": n,
            "offline_auc": R.separation_scores(a, labels)["auc"],
            "live_auc": R.separation_scores(b, labels)["auc"],
            "jaw_r": float(np.corrcoef(a, b)[0, 1]),
            "loud_auc": R.separation_scores(loud, labels)["auc"],
            "offline_closed": R.separation_scores(a, labels)["closed"],
            "live_closed": R.separation_scores(b, labels)["closed"],
        }
        if item.kind == "sung":
            dry = _live_take(loaded, args.lookahead_ms, item.mix, DryVocal())
            row["dry_auc"] = R.separation_scores(dry.expression[:, jaw], labels)["auc"]
        row["seconds"] = time.time() - t0
        rows.append(row)
        _print_row(row)
    headline = [r for r in rows if r["kind"] != "sung"]
    for name, group in (("mean (songs+stems)", headline), ("mean (a cappella)", rows)):
        if group is rows:
            group = [r for r in rows if r["kind"] == "sung"]
        if group:
            mean = {
                k: float(np.nanmean([r[k] for r in group if k in r]))
                for k in (
                    "offline_auc",
                    "live_auc",
                    "jaw_r",
                    "loud_auc",
                    "offline_closed",
                    "live_closed",
                )  # fmt: skip
            }
            if any("dry_auc" in r for r in group):
                mean["dry_auc"] = float(np.nanmean([r["dry_auc"] for r in group if "dry_auc" in r]))
            _print_row(
                {"name": name, "kind": "", "frames": sum(r["frames"] for r in group), **mean}
            )
    return rows


def _print_row(row: dict[str, Any]) -> None:
    cells = [f"{row['name'][:30]:30s}", f"{row['kind']:6s}", f"{row['frames']:6d}"]
    keys = ("offline_auc", "live_auc", "jaw_r", "loud_auc", "offline_closed", "live_closed")
    for key in (*keys, "dry_auc"):
        value = row.get(key)
        cells.append(f"{key}={value:.3f}" if value is not None else f"{key}=–")
    print("  ".join(cells), flush=True)


class Receiver(threading.Thread):
    """Counts the datagrams that reach 127.0.0.1:port, in arrival order."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.socket = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.socket.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 22)
        self.socket.bind(("127.0.0.1", 0))
        self.socket.settimeout(0.5)
        self.port = self.socket.getsockname()[1]
        self.indices: list[int] = []
        self.latency: list[float] = []
        self.done = threading.Event()

    def run(self) -> None:
        from core.live import datagram

        while not self.done.is_set():
            try:
                data = self.socket.recv(4096)
            except TimeoutError:
                continue
            frame = datagram.unpack(data)
            self.indices.append(frame.index)
            self.latency.append(time.time() - frame.audio_time)
            if frame.last:
                self.done.set()


def realtime(args: argparse.Namespace) -> list[dict[str, Any]]:
    import torch

    from core.checkpoints import load_checkpoint
    from core.live.sender import UdpSender
    from core.live.separation import DryVocal, GivenStems
    from core.live.session import run_session
    from core.live.sources import FileSource

    torch.set_num_threads(1)
    loaded = load_checkpoint(None)
    source = FileSource(Path(args.realtime), pace=1.0)
    base = source.audio
    source.audio = np.concatenate([base] * args.repeat)
    if args.dry_vocal:
        splitter: Any = DryVocal()
    else:
        from core.audio import FEATURE_SR
        from core.separation import separate

        stems = separate(Path(args.realtime), "auto", sr=FEATURE_SR)
        splitter = GivenStems(
            np.concatenate([stems.vocals] * args.repeat),
            np.concatenate([stems.accompaniment.mean(axis=1)] * args.repeat),
        )
    receiver = Receiver()
    receiver.start()
    sender = UdpSender(f"udp://127.0.0.1:{receiver.port}")
    load_before = os.getloadavg()
    stats = run_session(source, splitter, _face(loaded, args.lookahead_ms), sender)
    receiver.done.wait(5.0)
    got = receiver.indices
    in_order = all(b == a + 1 for a, b in zip(got, got[1:], strict=False))
    row = {
        "file": Path(args.realtime).name,
        "repeat": args.repeat,
        "streams": splitter.name,
        **stats.summary(),
        "received": len(got),
        "missing": stats.frames - len(set(got)),
        "in_order": in_order,
        "receiver_latency_median_ms": float(np.median(receiver.latency) * 1000) if got else None,
        "load_before": load_before[0],
        "load_after": os.getloadavg()[0],
    }
    for key, value in row.items():
        print(f"{key:28s} {value:.3f}" if isinstance(value, float) else f"{key:28s} {value}")
    return [row]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quality", action="store_true", help="live vs offline on the dev set")
    parser.add_argument("--realtime", type=Path, help="play this file in real time")
    parser.add_argument("--repeat", type=int, default=1, help="play it this many times over")
    parser.add_argument("--dry-vocal", action="store_true", help="realtime: the file is a voice")
    parser.add_argument("--lookahead-ms", type=float, default=150.0)
    parser.add_argument("--only", help="dev items whose name contains this")
    parser.add_argument("--json", type=Path, help="write the rows here")
    args = parser.parse_args()
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    rows: dict[str, Any] = {"lookahead_ms": args.lookahead_ms}
    if args.quality:
        rows["quality"] = quality(args)
    if args.realtime is not None:
        rows["realtime"] = realtime(args)
    if args.json is not None:
        args.json.write_text(json.dumps(rows, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
