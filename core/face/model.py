"""FaceModel: Anny's head as neutral vertices plus 52 linear ARKit deltas and a neck pivot.

    face = FaceModel.load()                       # cached arrays, no Anny rebuild
    verts = face.vertices(expression, pose)       # (T, 52), (T, 6) -> (T, V, 3) metres

Frame: metres, Blender axes (Z up, the face looks along -Y, the character's left at
+X), the neck pivot (base of the neck) at the origin. Anny's facial actions are exactly
linear (its forward pass equals neutral + sum of deltas to ~1e-14 m), so a matmul
reproduces it; the pose is the Performance contract's Euler XYZ rotation about the neck
pivot followed by a translation, the same as the template's pivot empty.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from core.errors import BadInput
from core.face.arkit import ARKIT_NAMES
from core.face.cache import cache_path, read_arrays, write_arrays
from core.face.pose import pose_planes
from core.face.regions import REGION_NAMES

_ARRAY_KEYS = (
    "neutral",
    "deltas",
    "triangles",
    "corner_uvs",
    "face_parts",
    "neck_pivot",
    "head_joint",
    "jaw_joint",
    "eye_center_left",
    "eye_center_right",
)


@dataclass(frozen=True, eq=False)
class FaceModel:
    """The head: neutral (V, 3), deltas (52, V, 3) in ARKit order, triangles (F, 3),
    corner_uvs (F, 3, 2) (one UV per triangle corner, Blender loop order), face_parts
    (F,) int8 codes into PART_NAMES (skin, mouth cavity, tongue, eye sockets, eyeballs),
    the neck pivot and a few joints (3,), and named vertex sets in `regions`
    (REGION_NAMES):

    - `lips`, `lips_upper`, `lips_lower`: the red of the lips (MPFB2 lip mask).
    - `lip_line_upper`, `lip_line_lower`: the inner lip line, where lips meet the mouth.
    - `eyelid_{left,right}_{upper,lower}`: the eyelid rims around each eye opening.
    - `eye_left`, `eye_right`: eyeballs; `tongue`, `mouth_cavity`, `skin`.
    Left/right are the character's (ARKit's) sides; left is +X.
    """

    neutral: np.ndarray
    deltas: np.ndarray
    triangles: np.ndarray
    corner_uvs: np.ndarray
    face_parts: np.ndarray
    neck_pivot: np.ndarray
    head_joint: np.ndarray
    jaw_joint: np.ndarray
    eye_center_left: np.ndarray
    eye_center_right: np.ndarray
    regions: dict[str, np.ndarray]
    names: tuple[str, ...] = ARKIT_NAMES
    _planes: tuple[np.ndarray, ...] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        # Per-axis (52, V) delta planes and pivot-centred neutral planes for vertices().
        planes = tuple(np.ascontiguousarray(self.deltas[:, :, axis]) for axis in range(3))
        centred = tuple(
            np.ascontiguousarray(self.neutral[:, axis] - self.neck_pivot[axis]) for axis in range(3)
        )
        object.__setattr__(self, "_planes", planes + centred)

    @classmethod
    def from_arrays(cls, arrays: dict[str, np.ndarray]) -> FaceModel:
        missing = [k for k in _ARRAY_KEYS if k not in arrays]
        missing += [f"region_{r}" for r in REGION_NAMES if f"region_{r}" not in arrays]
        if missing:
            raise ValueError(f"face arrays lack {missing}")
        values: dict[str, Any] = {key: np.asarray(arrays[key]) for key in _ARRAY_KEYS}
        values["regions"] = {name: np.asarray(arrays[f"region_{name}"]) for name in REGION_NAMES}
        return cls(**values)

    def to_arrays(self) -> dict[str, np.ndarray]:
        arrays = {key: getattr(self, key) for key in _ARRAY_KEYS}
        arrays.update({f"region_{name}": index for name, index in self.regions.items()})
        return arrays

    @classmethod
    def load(cls, rebuild: bool = False) -> FaceModel:
        """The head from the cache ($MUSICFACE_CACHE or ~/.cache/musicface), building it
        from Anny (and writing the cache) when absent, stale or `rebuild` is set."""
        from core.face.anny_head import anny_version

        path = cache_path(anny_version())
        arrays = None if rebuild else read_arrays(path)
        if arrays is not None:
            try:
                return cls.from_arrays(arrays)
            except ValueError:
                pass  # A cache from an older layout: rebuild it below.
        from core.face.anny_head import extract_head_arrays

        arrays = extract_head_arrays()
        write_arrays(path, arrays)
        return cls.from_arrays(arrays)

    @property
    def n_vertices(self) -> int:
        return int(self.neutral.shape[0])

    def delta(self, name: str) -> np.ndarray:
        """The (V, 3) delta of one ARKit expression at value 1."""
        return self.deltas[self.names.index(name)]

    def vertices(self, expression: np.ndarray, pose: np.ndarray | None = None) -> np.ndarray:
        """Vertices (T, V, 3) float32 for expression (T, 52) and head pose (T, 6).

        pose rows are (rx, ry, rz, tx, ty, tz): Euler XYZ radians about the neck pivot,
        then metres; None means the rest pose.
        """
        expression = np.asarray(expression, dtype=np.float32)
        if expression.ndim != 2 or expression.shape[1] != len(self.names):
            raise BadInput(f"expression must be (T, {len(self.names)}), got {expression.shape}")
        frames = expression.shape[0]
        dx, dy, dz, nx, ny, nz = self._planes
        centred = (expression @ dx + nx, expression @ dy + ny, expression @ dz + nz)
        if pose is None:
            out = np.empty((frames, self.n_vertices, 3), dtype=np.float32)
            for axis in range(3):
                out[:, :, axis] = centred[axis] + self.neck_pivot[axis]
            return out
        pose = np.asarray(pose, dtype=np.float64)
        if pose.shape != (frames, 6):
            raise BadInput(f"pose must be ({frames}, 6), got {pose.shape}")
        return pose_planes(centred, pose, self.neck_pivot)

    def eyelid_gap(self, vertices: np.ndarray, side: str) -> np.ndarray:
        """Opening (T,) in metres between the upper and lower eyelid rim in the middle of
        the eye (`side` 'left' or 'right'); about 9 mm open, <= 0 closed. Vertices must be
        unposed (pose None), as the gap is measured along Z."""
        return self._rim_gap(vertices, f"eyelid_{side}_upper", f"eyelid_{side}_lower")

    def mouth_opening(self, vertices: np.ndarray) -> np.ndarray:
        """Opening (T,) in metres between the inner lip lines at the middle of the mouth
        (unposed vertices)."""
        return self._rim_gap(vertices, "lip_line_upper", "lip_line_lower")

    def _rim_gap(self, vertices: np.ndarray, upper: str, lower: str) -> np.ndarray:
        vertices = np.asarray(vertices).reshape(-1, self.n_vertices, 3)
        middle = self._middle_vertices(upper), self._middle_vertices(lower)
        return vertices[:, middle[0], 2].mean(axis=1) - vertices[:, middle[1], 2].mean(axis=1)

    def _middle_vertices(self, region: str, count: int = 2) -> np.ndarray:
        """The `count` rim vertices closest (in X) to the rim's middle."""
        rim = self.regions[region]
        x = self.neutral[rim, 0]
        middle = 0.5 * (x.min() + x.max())
        return rim[np.argsort(np.abs(x - middle))[:count]]
