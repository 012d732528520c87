"""`musicface live`: a voice in (a sound device or a file at real-time pace), a face
out as one UDP datagram per video frame, optionally recorded as a take."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from core.errors import BadInput
from core.progress import ProgressFn

NAME = "live"
HELP = "drive a face live from a microphone or a file: ARKit frames as UDP datagrams"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from core.live.face import MAX_LOOKAHEAD_S
    from core.live.sender import DEFAULT_URL

    parser.add_argument(
        "--input",
        help="a sound input device (name or index; default: the system's default input) "
        "or an audio file, played at real-time pace",
    )
    parser.add_argument(
        "--send", default=DEFAULT_URL, help=f"where the frames go (default {DEFAULT_URL})"
    )
    parser.add_argument("--record", type=Path, help="also write what was sent as a take (.npz)")
    parser.add_argument(
        "--dry-vocal",
        action="store_true",
        help="the input is the voice alone (a dry microphone): no separation",
    )
    parser.add_argument("--vocals", type=Path, help="with a file input: its vocal stem")
    parser.add_argument("--accompaniment", type=Path, help="with a file input: its accompaniment")
    parser.add_argument(
        "--lookahead-ms",
        type=float,
        default=MAX_LOOKAHEAD_S * 1000,
        help=f"how far the face may hear ahead (0–{MAX_LOOKAHEAD_S * 1000:.0f} ms; the face "
        "is this much behind the voice)",
    )
    parser.add_argument(
        "--pace",
        type=float,
        default=1.0,
        help="file input: 1 real time, 2 twice as fast, 0 at once",
    )
    parser.add_argument("--seconds", type=float, help="device input: stop after this long")
    parser.add_argument("--checkpoint", type=Path, help="generator checkpoint (default: shipped)")
    parser.add_argument("--subject", type=int, default=0, help="singer style index (default 0)")
    parser.add_argument("--seed", type=int, default=0, help="take seed: blinks vary with it")
    parser.add_argument("--no-mouth-gate", action="store_true", help="no mouth gate")
    parser.add_argument(
        "--noise-floor-db",
        type=float,
        default=-60.0,
        help="the mouth stays shut where the voice is below this level, dBFS (default -60)",
    )


def _source(args: argparse.Namespace):  # noqa: ANN202 - FileSource | DeviceSource
    from core.live.sources import DeviceSource, FileSource

    if args.input is not None and (Path(args.input).exists() or "." in Path(args.input).name):
        return FileSource(Path(args.input), pace=args.pace)
    if args.vocals or args.accompaniment:
        raise BadInput("--vocals/--accompaniment go with a file --input")
    return DeviceSource(args.input, seconds=args.seconds)


def _splitter(args: argparse.Namespace, source: object):  # noqa: ANN202
    from core.audio import FEATURE_SR, load_audio
    from core.live.separation import DryVocal, GivenStems
    from core.live.sources import FileSource

    if args.dry_vocal:
        if args.vocals or args.accompaniment:
            raise BadInput("--dry-vocal and --vocals/--accompaniment exclude each other")
        return DryVocal()
    if args.vocals is None or args.accompaniment is None:
        raise BadInput(
            "live mode does not separate a mixture yet: sing into a dry microphone "
            "(--dry-vocal), or give a file's stems (--vocals V --accompaniment A; "
            "`musicface separate` makes them)"
        )
    assert isinstance(source, FileSource)
    vocals = load_audio(args.vocals, FEATURE_SR, mono=False)
    accompaniment = load_audio(args.accompaniment, FEATURE_SR)
    return GivenStems(vocals, accompaniment)


def run(args: argparse.Namespace, progress: ProgressFn) -> int:
    from core.checkpoints import load_checkpoint
    from core.commands.song_arguments import check_performance_output
    from core.live.face import MAX_LOOKAHEAD_S, LiveFace
    from core.live.record import TakeRecorder
    from core.live.sender import UdpSender
    from core.live.session import run_session
    from core.voice_detector import load_voice_detector

    if not 0 <= args.lookahead_ms <= MAX_LOOKAHEAD_S * 1000:
        raise BadInput(f"--lookahead-ms must be 0–{MAX_LOOKAHEAD_S * 1000:.0f}")
    if args.record is not None:
        check_performance_output(args.record)
    sender = UdpSender(args.send)
    source = _source(args)
    splitter = _splitter(args, source)
    loaded = load_checkpoint(args.checkpoint, device="cpu")
    if not 0 <= args.subject < loaded.model.config.n_subjects:
        raise BadInput(f"subject {args.subject} is out of range for this checkpoint")
    if args.seed < 0:
        raise BadInput("--seed must be a non-negative integer")
    gate = not args.no_mouth_gate
    face = LiveFace(
        loaded,
        load_voice_detector() if gate else None,
        args.subject,
        args.seed,
        args.lookahead_ms / 1000.0,
        mouth_gate=gate,
        noise_floor_db=args.noise_floor_db,
    )
    recorder = TakeRecorder() if args.record is not None else None
    print(
        f"live: {source.name} → {args.send} ({splitter.name}, lookahead "
        f"{args.lookahead_ms:.0f} ms); Ctrl-C stops",
        file=sys.stderr,
    )
    try:
        stats = run_session(source, splitter, face, sender, recorder)
    finally:
        sender.close()
    summary = stats.summary()
    print(
        json.dumps({"live": summary}) if args.progress == "json" else _line(summary),
        file=sys.stderr if args.progress != "json" else sys.stdout,
    )
    if recorder is not None and recorder.frames:
        meta = {
            "checkpoint": loaded.checkpoint_id,
            "separator": splitter.name,
            "seed": args.seed,
            "subject": args.subject,
            "mouth_gate": gate,
            "lookahead_ms": args.lookahead_ms,
            "song": source.name,
            "seconds": stats.seconds,
        }
        recorder.performance(face.fps, face.beats.markers, meta).save(args.record)
        print(f"wrote {args.record} ({len(recorder.frames)} frames)", file=sys.stderr)
        args.done_path = args.record
    return 0


def _line(summary: dict[str, float]) -> str:
    return (
        f"{summary['frames']:.0f} frames, latency median {summary['latency_median_ms']:.0f} ms, "
        f"p99 {summary['latency_p99_ms']:.0f} ms, real-time factor "
        f"{summary['real_time_factor']:.2f}"
    )
