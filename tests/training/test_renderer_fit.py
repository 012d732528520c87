"""The footage fit: landmarks made from a known pose, focal length and shape are
reprojected to noise level, and the per-frame rotation comes back."""

from __future__ import annotations

import numpy as np
import torch

from core.face.arkit import ARKIT_NAMES
from core.face.model import FaceModel
from core.photoreal.camera import Camera
from core.photoreal.head import TorchHead
from training.renderer.fit import Correspondence, fit_head


def test_fit_recovers_a_known_head() -> None:
    face = FaceModel.load()
    correspondence = Correspondence.load()
    assert len(correspondence.landmarks) > 300  # inner face landmarks, no oval, no irises
    frames, size = 30, 256
    rng = np.random.default_rng(0)
    t = np.arange(frames) / 30
    pose = np.zeros((frames, 6), np.float32)
    pose[:, 0], pose[:, 2] = 0.1 * np.sin(2 * t), 0.2 * np.sin(3 * t)
    pose[:, 3], pose[:, 5] = 0.01, -0.01
    expression = np.zeros((frames, len(ARKIT_NAMES)), np.float32)
    expression[:, ARKIT_NAMES.index("jawOpen")] = 0.5 * (1 + np.sin(5 * t))
    head = TorchHead(face, (1.05, 1.0, 0.95))
    template = Camera.template(face)
    camera = Camera(template.position, template.focal * 1.1)
    screen = camera.project(head(torch.from_numpy(expression), torch.from_numpy(pose)), size)[
        ..., :2
    ]
    corners = torch.from_numpy(face.triangles[correspondence.triangle].astype(np.int64))
    bary = torch.from_numpy(correspondence.barycentric)[None, :, :, None]
    points = (screen[:, corners] * bary).sum(2).numpy()
    landmarks = np.full((frames, 478, 2), np.nan, np.float32)
    landmarks[:, correspondence.landmarks] = points + rng.normal(0, 0.5, points.shape)
    start = pose[:, :3] + rng.normal(0, 0.03, (frames, 3)).astype(np.float32)
    valid = np.ones(frames, bool)
    valid[10] = False  # an untracked frame is carried by its neighbours
    fit = fit_head(face, correspondence, landmarks, valid, expression, start, size)
    assert fit.rms_pixels < 1.0
    error = np.degrees(np.abs(fit.pose[:, :3] - pose[:, :3])).mean(axis=0)
    assert (error < 0.5).all(), error
