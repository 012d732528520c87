"""Fit the capture calibration (core/assets/capture_calibration.json) on the template.

Renders a known take (core/capture/known_take.py: every ARKit channel, blinks, winks,
long closures, head turns, the head near and far) on the template head with the
add-on's batch job and Cycles, captures it with MediaPipe's raw scores, and fits per
channel a monotone map from score to the rendered weight, and per pose axis a gain.
Then it checks the fit on a second, held-out known take and prints the round-trip
errors. Takes ~0.9 s of Cycles per frame on 2 cores.

    .venv/bin/python scripts/calibrate_capture.py [--seconds 40] [--work out/calibration]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPOSITORY))

from core.capture import capture_video  # noqa: E402
from core.capture.calibration import DEFAULT_PATH, Calibration, fit_calibration  # noqa: E402
from core.capture.known_take import known_take  # noqa: E402
from core.capture.round_trip import compare, render_take  # noqa: E402


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
    parser.add_argument("--check-seconds", type=float, default=12.0, help="held-out take")
    parser.add_argument("--size", type=int, default=256)
    parser.add_argument("--samples", type=int, default=8)
    parser.add_argument("--work", type=Path, default=REPOSITORY / "out" / "calibration")
    parser.add_argument("--out", type=Path, default=DEFAULT_PATH)
    args = parser.parse_args(argv)

    started = time.time()
    fit_take = known_take(args.seconds, seed=0)
    video = rendered(fit_take, args, "fit")
    print(f"rendered the fitting take ({time.time() - started:.0f} s)", flush=True)
    raw = capture_video(video, calibration=Calibration(meta={"name": "raw"})).performance
    frames = min(raw.frames, fit_take.frames)
    meta = {
        "fitted_on": f"known_take(seconds={args.seconds}, seed=0)",
        "render": {"size": args.size, "samples": args.samples, "engine": "cycles"},
    }
    calibration = fit_calibration(
        raw.expression[:frames], fit_take.expression[:frames],
        raw.pose[:frames], fit_take.pose[:frames], meta,
    )  # fmt: skip
    calibration.save(args.out)
    print(f"wrote {args.out} ({len(calibration.knots)} channels mapped)")
    print("rotation gain", [round(g, 3) for g in calibration.rotation_gain])
    print("translation gain", [round(g, 3) for g in calibration.translation_gain])

    check_take = known_take(args.check_seconds, seed=1)
    check_video = rendered(check_take, args, "check")
    for label, used in (("raw", Calibration(meta={"name": "raw"})), ("calibrated", calibration)):
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
