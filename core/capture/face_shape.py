"""Where the brows and lips sit, relative to the performer's own face at rest.

MediaPipe's blendshape scores read some actions poorly on some faces: on the template
head its browInnerUp rests near 0.5 and hardly rises when the brows do, and its smile
swings with mouthDimple and mouthPress. The landmarks themselves move, though. This
measures them: each frame's landmarks are aligned (a 2-D similarity: shift, turn in
the image plane, scale) to the clip's median face on points that expressions do not
move (nose, forehead, temples), and the brow and lip landmarks' offsets from that
median face are read in inter-ocular units. The median face is the performer's own
neutral, so a person whose brows sit high at rest reads zero at rest, as the template
does. The calibration (calibration.py) regresses the weights it reads poorly on these
offsets together with the scores.
"""

from __future__ import annotations

import numpy as np

# MediaPipe face-mesh indices. Rigid under expression: nose bridge and tip, forehead,
# temples (not the chin, the jaw moves it; not the eye corners, squints move them).
_ANCHORS = (6, 168, 197, 195, 5, 4, 1, 10, 151, 9, 8, 234, 454, 127, 356, 109, 338)
_EYE_OUTER = (33, 263)
# Both brows, upper and lower rows, right then left (the subject's).
BROWS = (70, 63, 105, 66, 107, 46, 53, 52, 65, 55, 300, 293, 334, 296, 336, 276, 283, 282, 295, 285)
# Lip corners, mid-lines and the points between, outer and inner contours.
LIPS = (61, 291, 0, 17, 13, 14, 37, 267, 84, 314, 40, 270, 91, 321, 78, 308)
FEATURES = len(BROWS) + 2 * len(LIPS)


def _align(points: np.ndarray, rest: np.ndarray) -> np.ndarray:
    """(T, P, 2) frames mapped onto `rest` (P, 2) by the similarity that best fits the
    anchors (least squares; never a reflection)."""
    anchors = list(_ANCHORS)
    centre = points[:, anchors].mean(axis=1, keepdims=True)
    target_centre = rest[anchors].mean(axis=0)
    source = points[:, anchors] - centre
    target = rest[anchors] - target_centre
    u, s, vt = np.linalg.svd(np.einsum("tpi,pj->tij", source, target))
    flip = np.linalg.det(u @ vt) < 0
    u[flip, :, -1] *= -1
    s[flip, -1] *= -1
    rotation = u @ vt
    scale = s.sum(axis=1) / np.maximum((source**2).sum(axis=(1, 2)), 1e-12)
    return (
        np.einsum("tpi,tij->tpj", points - centre, rotation) * scale[:, None, None] + target_centre
    )


def shape_features(landmarks: np.ndarray, valid: np.ndarray, aspect: float = 1.0) -> np.ndarray:
    """(T, 478, 2) normalised landmarks -> (T, FEATURES) offsets from the median face.

    Brow landmarks give their rise (up is positive), lip landmarks their x and y. Frames
    without a face (not `valid`) are zero. `aspect` is the video's width / height, so
    that x and y are in the same units."""
    points = np.asarray(landmarks, np.float64).copy()
    valid = np.asarray(valid, bool) & np.isfinite(points).all(axis=(1, 2))
    out = np.zeros((len(points), FEATURES), np.float32)
    if not valid.any():
        return out
    points = points[valid]
    points[..., 0] *= aspect
    # The median face of frames seen from different places is no face: align to it,
    # take the median of the aligned frames, and again (generalised Procrustes).
    rest = np.median(points, axis=0)
    for _ in range(3):
        aligned = _align(points, rest)
        rest = np.median(aligned, axis=0)
    eyes = max(float(np.linalg.norm(rest[_EYE_OUTER[0]] - rest[_EYE_OUTER[1]])), 1e-9)
    offset = (aligned - rest) / eyes
    brows = -offset[:, list(BROWS), 1]
    lips = offset[:, list(LIPS)].transpose(0, 2, 1).reshape(len(points), -1)
    out[valid] = np.concatenate([brows, lips], axis=1)
    return out
