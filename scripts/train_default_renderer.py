"""Train the bundled photoreal renderer: core/assets/photoreal_default.pt.

Its identity is synthetic — the MusicFace template head (skin, brows, lashes, eyes
with sclera and iris) rendered by Cycles with the capture round trip's known take —
so no real person's likeness ships. The last 10 % of the frames are held out and
scored; the figures go into the file's meta and core/assets/README.md.

    .venv/bin/python scripts/train_default_renderer.py --minutes 25   # + ~5 min of Cycles
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

SECONDS, SEED, SIZE, SAMPLES = 10.0, 11, 256, 16


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=25.0)
    parser.add_argument("--frames", type=Path, default=REPO / "out" / "default_renderer_target")
    parser.add_argument(
        "--out", type=Path, default=REPO / "core" / "assets" / "photoreal_default.pt"
    )
    parser.add_argument("--work", type=Path, default=REPO / "out", help="training files (resume)")
    parser.add_argument("--device", default="cpu")
    args = parser.parse_args()

    from core.capture.known_take import known_take
    from core.capture.round_trip import render_take
    from core.face.model import FaceModel
    from core.photoreal.camera import Camera
    from training.renderer.targets import synthetic_targets
    from training.renderer.train import TrainSettings, train_renderer

    take = known_take(SECONDS, seed=SEED, depths=(0.0,))
    video = args.frames / "default_target.mp4"
    if not video.exists() or video.stat().st_size < 1000:
        print(f"rendering the template with the known take into {video} …", flush=True)
        render_take(take, args.frames, size=SIZE, samples=SAMPLES, name="default_target")
    targets = synthetic_targets(take, video, Camera.template(FaceModel.load()), SIZE)
    settings = TrainSettings(steps=100000, minutes=args.minutes, device=args.device, eval_every=500)
    meta = {
        "identity": "MusicFace template head (synthetic)",
        "recipe": "scripts/train_default_renderer.py",
    }
    trained = args.work / "photoreal_default.pt"  # its .resume.pt stays out of core/assets
    result = train_renderer(
        targets, settings, trained, meta=meta, log=lambda line: print(line, flush=True)
    )
    shutil.copyfile(trained, args.out)
    print(
        json.dumps(
            {
                "steps": result.steps,
                "minutes": round(result.seconds / 60, 1),
                **result.held_out.__dict__,
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
