"""Fit the capture calibration (core/assets/capture_calibration.json) on the template.

Renders three known takes (core/capture/known_take.py) on the template head with the
add-on's batch job and Cycles: one with every ARKit channel, blinks, winks, long
closures, head turns and the head near and far; two with the brows and smiles that
MediaPipe reads poorly (and the actions it confuses them with), so that their
regression sees enough of them. It tracks both with MediaPipe, and fits per channel a
monotone map from score to the rendered weight, for brows and smiles a ridge map on
scores and landmark offsets, and per pose axis a gain. Then it checks the fit on a
third, held-out known take and prints the round-trip errors. Takes ~0.9 s of Cycles
per frame on 2 cores (~25 min the first time; renders are reused).

    .venv/bin/python scripts/calibrate_capture.py [--seconds 48] [--work out/calibration]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPOSITORY))

import numpy as np  # noqa: E402

from core.capture import capture_video  # noqa: E402
from core.capture.calibration import DEFAULT_PATH, Calibration, fit_calibration  # noqa: E402
from core.capture.capture import calibration_inputs, track_video  # noqa: E402
from core.capture.head_pose import DEFAULT_PIVOT_OFFSET  # noqa: E402
from core.capture.known_take import known_take  # noqa: E402
from core.capture.round_trip import compare, render_take  # noqa: E402
from core.capture.video import open_video  # noqa: E402

# What MediaPipe reads poorly on the template, and what it mistakes them for.
FOCUS = (
    "browInnerUp", "browOuterUpLeft", "browOuterUpRight", "browDownLeft", "browDownRight",
    "eyeWideLeft", "eyeWideRight", "eyeSquintLeft", "eyeSquintRight",
    "mouthSmileLeft", "mouthSmileRight", "mouthDimpleLeft", "mouthDimpleRight",
    "mouthPressLeft", "mouthPressRight", "mouthStretchLeft", "mouthStretchRight", "jawOpen",
)  # fmt: skip


def rendered(take, args: argparse.Namespace, name: str) -> Path:
    """The take's video, rendered once: re-fitting reuses a finished render (its take
    saved beside it must be the same), never a half-written one."""
    video, done = args.work / f"{name}.mp4", args.work / f"{name}.done"
    key = json.dumps([take.meta, args.size, args.samples], sort_keys=True)
    if video.is_file() and done.is_file() and done.read_text() == key:
        return video
    video = render_take(take, args.work, args.size, args.samples, name=name)
    done.write_text(key)
    return video


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=48.0, help="length of the fitting take")
    parser.add_argument(
        "--focus-seconds", type=float, default=24.0, help="length of each brows-and-smiles take"
    )
    parser.add_argument("--check-seconds", type=float, default=12.0, help="held-out take")
    parser.add_argument("--size", type=int, default=256)
    parser.add_argument("--samples", type=int, default=8)
    parser.add_argument("--work", type=Path, default=REPOSITORY / "out" / "calibration")
    parser.add_argument("--out", type=Path, default=DEFAULT_PATH)
    args = parser.parse_args(argv)

    started = time.time()
    takes = {
        f"known_take(seconds={args.seconds}, seed=0)": ("fit", known_take(args.seconds, seed=0)),
    }
    for seed, name in ((2, "focus"), (3, "focus3")):
        take = known_take(args.focus_seconds, seed=seed, channels=FOCUS)
        takes[f"known_take(seconds={args.focus_seconds}, seed={seed}, channels=FOCUS)"] = (
            name,
            take,
        )
    parts: dict[str, list[np.ndarray]] = {
        k: [] for k in ("scores", "truth", "pose", "true", "shape")
    }
    for name, take in takes.values():
        video = rendered(take, args, name)
        print(f"rendered the {name} take ({time.time() - started:.0f} s)", flush=True)
        info, frames = open_video(video)
        inputs = calibration_inputs(track_video(info, frames), DEFAULT_PIVOT_OFFSET)
        count = min(len(inputs.scores), take.frames)
        assert inputs.shape is not None
        parts["scores"].append(inputs.scores[:count])
        parts["shape"].append(inputs.shape[:count])
        parts["pose"].append(inputs.pose[:count])
        parts["truth"].append(take.expression[:count])
        # Each take's pose about its own rest, as capture measures it.
        true_pose = take.pose[:count] - np.median(take.pose[:count], axis=0)
        parts["true"].append(true_pose)
    meta = {
        "fitted_on": list(takes),
        "render": {"size": args.size, "samples": args.samples, "engine": "cycles"},
    }
    joined = {k: np.concatenate(v) for k, v in parts.items()}
    calibration = fit_calibration(
        joined["scores"], joined["truth"], joined["pose"], joined["true"], meta,
        shape=joined["shape"],
    )  # fmt: skip
    calibration.save(args.out)
    print(f"wrote {args.out} ({len(calibration.knots)} channels mapped)")
    print("rotation gain", [round(g, 3) for g in calibration.rotation_gain])
    print("translation gain", [round(g, 3) for g in calibration.translation_gain])

    check_take = known_take(args.check_seconds, seed=1)
    check_video = rendered(check_take, args, "check")
    knots_only = Calibration(**{**calibration.__dict__, "linear": {}})
    for label, used in (
        ("raw", Calibration(meta={"name": "raw"})),
        ("calibrated, scores only (no landmark regression)", knots_only),
        ("calibrated", calibration),
    ):
        captured = capture_video(check_video, calibration=used).performance
        errors = compare(check_take, captured)
        print(f"held-out round trip, {label}:")
        for line in errors.lines():
            print("  " + line)
    report = json.dumps(calibration.meta.get("fit_correlation", {}), sort_keys=True)
    print(f"fit correlation per channel: {report}")
    print(f"done in {time.time() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
