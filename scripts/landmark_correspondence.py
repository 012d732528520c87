"""Where MediaPipe's landmarks sit on the head: core/assets/landmark_correspondence.npz.

The renderer's footage fit (training/renderer/fit.py) moves the head until its points
project onto the landmarks MediaPipe finds in each frame, so it needs, for each of the
478 landmarks, the point of the head it means. This script finds them the way the
capture round trip works: it renders the template head at rest with Cycles (the
add-on's batch job), runs the FaceLandmarker on that frame, and reads the triangle
and barycentric coordinates under each landmark from the torch rasteriser at the same
camera. The face-oval and iris landmarks are marked unused: the oval slides along the
silhouette as the head turns, and the irises move with the gaze.

    .venv/bin/python scripts/landmark_correspondence.py   # ~1 min
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
OUT = REPO / "core" / "assets" / "landmark_correspondence.npz"
SIZE = 512


def main() -> int:
    import torch
    from mediapipe.python.solutions.face_mesh_connections import FACEMESH_FACE_OVAL

    from core.capture.known_take import known_take
    from core.capture.landmarker import FaceTracker
    from core.capture.round_trip import render_take
    from core.capture.video import open_video
    from core.face.model import FaceModel
    from core.photoreal.camera import Camera
    from core.photoreal.head import TorchHead
    from core.photoreal.rasterize import _barycentric, rasterize

    still = known_take(0.2, seed=0, depths=(0.0,))
    still.expression[:] = 0.0
    still.pose[:] = 0.0
    with tempfile.TemporaryDirectory() as scratch:
        video = render_take(still, Path(scratch), size=SIZE, samples=32, name="rest")
        _, frames = open_video(video, max_side=SIZE)
        frame = next(iter(frames))
    with FaceTracker(max_faces=1) as tracker:
        faces = tracker.detect(frame, 0)
    if not faces or faces[0].landmarks is None:
        print("no face found on the rendered template", file=sys.stderr)
        return 1
    points = faces[0].landmarks.astype(np.float64) * SIZE  # pixels
    face = FaceModel.load()
    head = TorchHead(face)
    vertices = head(torch.zeros(1, len(face.names)), torch.zeros(1, 6))[0]
    screen = Camera.template(face).project(vertices, SIZE)
    fragments = rasterize(screen, head.triangles, SIZE)
    count = len(points)
    triangle = np.full(count, -1, dtype=np.int32)
    barycentric = np.zeros((count, 3), dtype=np.float32)
    for k, (x, y) in enumerate(points):
        col, row = int(np.clip(x, 0, SIZE - 1)), int(np.clip(y, 0, SIZE - 1))
        tri = int(fragments.face[row, col])
        if tri < 0:
            continue
        corners = screen[head.triangles[tri]][None].detach()
        bary = _barycentric(corners, torch.tensor([x]), torch.tensor([y]))[0]
        triangle[k], barycentric[k] = tri, bary.clamp(0, 1).numpy() / float(bary.clamp(0, 1).sum())
    oval = {i for edge in FACEMESH_FACE_OVAL for i in edge}
    use = triangle >= 0
    use[list(oval)] = False
    use[468:] = False  # irises
    np.savez(
        OUT,
        triangle=triangle,
        barycentric=barycentric,
        use=use,
        image_points=points.astype(np.float32),
    )
    print(f"wrote {OUT}: {int(use.sum())} of {count} landmarks used")
    return 0


if __name__ == "__main__":
    sys.exit(main())
