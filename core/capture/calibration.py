"""Map MediaPipe's blendshape scores and head angles onto the template head's scale.

MediaPipe's scores are its own: its jawOpen rarely passes ~0.6 on a wide-open mouth,
its eyeBlink rests near 0.1 with open eyes. The calibration is fitted on video of the
template head itself, rendered with known ARKit curves and pose
(scripts/calibrate_capture.py), so a captured take drives the template (and any ARKit
head) as far as the performer moved. Per ARKit channel a monotone piecewise-linear
map from score to weight; per rotation axis a gain. Stored as JSON (no pickle).

Brows and smiles MediaPipe scores poorly on the template (its browInnerUp rests near
0.5 and barely rises; its smile is mixed up with dimples and presses), so those
channels are read by a ridge regression on all scores, on the brow and lip landmarks'
offsets from the performer's own median face (face_shape.py), and on the head pose
(MediaPipe's scores, and the landmarks' 2-D offsets, shift as the head turns and
steps back).

The performer's own neutral: a real face at rest does not score what the template at
rest scores (brows that sit high read as raised). `expression(..., performer_rest=)`
moves each score by the performer's rest (its `REST_QUANTILE` over the clip) minus the
template's, so that only what the performer does, not how their face is, drives the
head.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from core.atomic_write import atomic_write
from core.capture.face_shape import FEATURES
from core.capture.head_pose import DEFAULT_PIVOT_OFFSET
from core.errors import BadInput
from core.face.arkit import ARKIT_NAMES

DEFAULT_PATH = Path(__file__).resolve().parents[1] / "assets" / "capture_calibration.json"
VERSION = 2
_VERSIONS = (1, 2)  # a version-1 file (knots and gains only) still loads
# Read by regression on scores and landmark offsets (see the module's docstring).
LINEAR_CHANNELS = (
    "browDownLeft", "browDownRight", "browInnerUp", "browOuterUpLeft", "browOuterUpRight",
    "mouthSmileLeft", "mouthSmileRight",
)  # fmt: skip
# On standardised inputs. 10 to 300 gave the same round trip within 0.02 (on the
# held-out take and the test's), so the middle.
_RIDGE = 100.0
# Most frames of a take are at rest: a low quantile of a score is its value at rest.
REST_QUANTILE = 0.25
LINEAR_INPUTS = len(ARKIT_NAMES) + FEATURES + 6
# Per input: scores, landmark offsets (inter-ocular units), rotation (rad), metres.
_SCALE_FLOOR = np.concatenate([
    np.full(len(ARKIT_NAMES), 0.05), np.full(FEATURES, 0.005), np.full(3, 0.02), np.full(3, 0.02)
])  # fmt: skip
_KNOTS = 8
# A channel the fit saw too little of keeps MediaPipe's own scale.
_MIN_TRUTH_STD = 0.03
_MIN_CORRELATION = 0.5


def _partner(name: str) -> str | None:
    for side, other in (("Left", "Right"), ("Right", "Left")):
        if name.endswith(side):
            return name[: -len(side)] + other
    return None


@dataclass(frozen=True)
class LinearMap:
    """weight = bias + sum(coefficients * (inputs - mean) / scale), clipped to [0, 1]."""

    mean: tuple[float, ...]
    scale: tuple[float, ...]
    coefficients: tuple[float, ...]
    bias: float

    def __call__(self, inputs: np.ndarray) -> np.ndarray:
        standard = (inputs - np.asarray(self.mean)) / np.asarray(self.scale)
        return np.clip(self.bias + standard @ np.asarray(self.coefficients), 0.0, 1.0)

    def to_json(self) -> dict[str, Any]:
        return {
            "mean": [float(v) for v in self.mean],
            "scale": [float(v) for v in self.scale],
            "coefficients": [float(v) for v in self.coefficients],
            "bias": float(self.bias),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> LinearMap:
        parts = [tuple(float(v) for v in data[k]) for k in ("mean", "scale", "coefficients")]
        if {len(p) for p in parts} != {LINEAR_INPUTS}:
            raise ValueError("a linear map of the wrong size")
        return cls(parts[0], parts[1], parts[2], float(data["bias"]))

    @classmethod
    def fit(cls, inputs: np.ndarray, target: np.ndarray, ridge: float = _RIDGE) -> LinearMap:
        mean = inputs.mean(axis=0)
        # Standardised, but never by less than a unit a real face moves: a score that
        # hardly moved on the template (browDown: std 0.003) would otherwise get a
        # weight that turns a real face's jitter of 0.02 into a frown.
        scale = np.maximum(inputs.std(axis=0), _SCALE_FLOOR)
        standard = (inputs - mean) / scale
        gram = standard.T @ standard + ridge * np.eye(standard.shape[1])
        coefficients = np.linalg.solve(gram, standard.T @ (target - target.mean()))
        return cls(tuple(mean), tuple(scale), tuple(coefficients), float(target.mean()))


def _linear_inputs(scores: np.ndarray, shape: np.ndarray, pose: np.ndarray) -> np.ndarray:
    return np.concatenate([scores, shape, pose], axis=1).astype(np.float64)


def rest_scores(scores: np.ndarray) -> np.ndarray:
    """(52,) a take's scores at rest: each channel's REST_QUANTILE over its frames."""
    return np.quantile(np.asarray(scores, np.float64), REST_QUANTILE, axis=0)


@dataclass
class Calibration:
    # ARKit name -> (scores, weights): monotone knots of a piecewise-linear map.
    knots: dict[str, tuple[list[float], list[float]]] = field(default_factory=dict)
    # ARKit name -> the MediaPipe channel that feeds it (its own, or its mirror image).
    sources: dict[str, str] = field(default_factory=dict)
    rotation_gain: tuple[float, float, float] = (1.0, 1.0, 1.0)
    # MediaPipe assumes its own focal length: depth (and so sway) comes out scaled.
    translation_gain: tuple[float, float, float] = (1.0, 1.0, 1.0)
    pivot_offset: tuple[float, float, float] = DEFAULT_PIVOT_OFFSET
    # ARKit name -> a ridge map from [scores (52), shape features (FEATURES), pose (6)].
    linear: dict[str, LinearMap] = field(default_factory=dict)
    # (52,) the template's scores at rest (REST_QUANTILE of the fitting takes).
    rest: tuple[float, ...] | None = None
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return str(self.meta.get("name", "identity" if not self.knots else "custom"))

    def expression(
        self,
        scores: np.ndarray,
        shape: np.ndarray | None = None,
        pose: np.ndarray | None = None,
        performer_rest: np.ndarray | None = None,
    ) -> np.ndarray:
        """(T, 52) MediaPipe scores in Apple order -> (T, 52) template weights in [0, 1].

        `shape` (T, FEATURES) and `pose` (T, 6, before `self.pose`) let the regressed
        channels read the landmarks (without them they use their knots);
        `performer_rest` (52,) moves the scores from the performer's rest to the
        template's."""
        scores = np.asarray(scores, dtype=np.float64)
        # A channel the calibration does not map keeps MediaPipe's scale; with the
        # performer's neutral it reads what they do from their own rest, from 0 (the
        # template's rest weight), not from what MediaPipe scores the template at rest.
        unmapped_rest = np.zeros(len(ARKIT_NAMES))
        if performer_rest is not None and self.rest is not None:
            unmapped_rest = np.asarray(self.rest)
            shift = unmapped_rest - np.asarray(performer_rest, np.float64)
            scores = np.clip(scores + shift, 0.0, 1.0)
        out = scores.copy()
        for column, name in enumerate(ARKIT_NAMES):
            source = ARKIT_NAMES.index(self.sources.get(name, name))
            if name in self.knots:
                x, y = self.knots[name]
                out[:, column] = np.interp(scores[:, source], x, y)
            else:
                out[:, column] = scores[:, source] - unmapped_rest[source]
        if shape is not None and pose is not None and self.linear:
            inputs = _linear_inputs(scores, shape, pose)
            for name, linear in self.linear.items():
                out[:, ARKIT_NAMES.index(name)] = linear(inputs)
        return np.clip(out, 0.0, 1.0).astype(np.float32)

    def pose(self, pose: np.ndarray) -> np.ndarray:
        out = np.asarray(pose, dtype=np.float64).copy()
        out[:, :3] *= np.asarray(self.rotation_gain)
        out[:, 3:] *= np.asarray(self.translation_gain)
        return out.astype(np.float32)

    def to_json(self) -> dict[str, Any]:
        return {
            "version": VERSION,
            "knots": {
                k: [list(map(float, x)), list(map(float, y))] for k, (x, y) in self.knots.items()
            },
            "sources": dict(self.sources),
            "rotation_gain": [float(g) for g in self.rotation_gain],
            "translation_gain": [float(g) for g in self.translation_gain],
            "pivot_offset": [float(v) for v in self.pivot_offset],
            "linear": {k: m.to_json() for k, m in self.linear.items()},
            "rest": None if self.rest is None else [float(v) for v in self.rest],
            "meta": self.meta,
        }

    def save(self, path: str | Path) -> Path:
        path = Path(path)
        with atomic_write(path) as handle:
            handle.write(json.dumps(self.to_json(), indent=1, sort_keys=True).encode())
        return path

    @classmethod
    def load(cls, path: str | Path | None = None) -> Calibration:
        """The shipped calibration (or `path`); identity when none ships."""
        path = Path(path) if path is not None else DEFAULT_PATH
        if not path.is_file():
            if path == DEFAULT_PATH:
                return cls(meta={"name": "identity"})
            raise BadInput(f"calibration file not found: {path}")
        try:
            data = json.loads(path.read_text())
            knots = {k: (list(x), list(y)) for k, (x, y) in data["knots"].items()}
            linear = {k: LinearMap.from_json(v) for k, v in data.get("linear", {}).items()}
            names = set(knots) | set(data["sources"].values()) | set(linear)
            unknown = names - set(ARKIT_NAMES)
            if unknown or data.get("version") not in _VERSIONS:
                raise ValueError(f"unknown channels {sorted(unknown)} or version")
            rest = data.get("rest")
            if rest is not None and len(rest) != len(ARKIT_NAMES):
                raise ValueError(f"rest has {len(rest)} scores, not {len(ARKIT_NAMES)}")
            return cls(
                knots=knots,
                sources=dict(data["sources"]),
                rotation_gain=tuple(float(g) for g in data["rotation_gain"]),  # type: ignore[arg-type]
                translation_gain=tuple(float(g) for g in data["translation_gain"]),  # type: ignore[arg-type]
                pivot_offset=tuple(float(v) for v in data["pivot_offset"]),  # type: ignore[arg-type]
                linear=linear,
                rest=None if rest is None else tuple(float(v) for v in rest),
                meta=dict(data.get("meta", {})),
            )
        except (OSError, ValueError, KeyError, TypeError) as err:
            raise BadInput(f"{path.name} is not a capture calibration: {err}") from err


def _monotone_knots(x: np.ndarray, y: np.ndarray) -> tuple[list[float], list[float]]:
    """A least-squares linear spline from score to weight, made non-decreasing.

    Knots at quantiles of the scores where the channel is active (most frames are at
    rest, and a map that is right only there is no use), plus the lowest score. Past
    the highest score seen the last slope goes on up to a score of 1, so a performer
    who opens wider than the fit's take still opens wider on the head."""
    active = x[x > np.quantile(x, 0.5)]
    inner = np.quantile(active, np.linspace(0.0, 1.0, _KNOTS)) if active.size else []
    knots = np.unique(np.round(np.concatenate([[x.min()], inner, [x.max()]]), 6))
    if knots.size < 2:
        return [0.0, 1.0], [0.0, 1.0]
    basis = np.stack([np.interp(x, knots, np.eye(knots.size)[j]) for j in range(knots.size)], 1)
    values = np.linalg.lstsq(basis, y, rcond=None)[0]
    values = np.maximum.accumulate(np.clip(values, 0.0, 1.0))
    xs, ys = knots.tolist(), values.tolist()
    if xs[-1] < 1.0:
        slope = max((ys[-1] - ys[-2]) / max(xs[-1] - xs[-2], 1e-6), 0.0)
        xs.append(1.0)
        ys.append(min(1.0, ys[-1] + slope * (1.0 - xs[-2])))
    if xs[0] > 0.0:
        xs.insert(0, 0.0)
        ys.insert(0, ys[0])
    return xs, ys


def _correlation(a: np.ndarray, b: np.ndarray) -> float:
    if a.std() < 1e-9 or b.std() < 1e-9:
        return 0.0
    return float(np.corrcoef(a, b)[0, 1])


def _gains(captured: np.ndarray, true: np.ndarray) -> tuple[float, float, float]:
    """Least-squares gain per axis; 1 for an axis the fit did not see move."""
    gains = []
    for axis in range(3):
        a = np.asarray(captured, np.float64)[:, axis]
        b = np.asarray(true, np.float64)[:, axis]
        moved = b.std() > 1e-4 and _correlation(a, b) > _MIN_CORRELATION
        gains.append(float(np.dot(a, b) / np.dot(a, a)) if moved else 1.0)
    return (gains[0], gains[1], gains[2])


def fit_calibration(
    scores: np.ndarray,
    truth: np.ndarray,
    captured_pose: np.ndarray,
    true_pose: np.ndarray,
    meta: dict[str, Any] | None = None,
    shape: np.ndarray | None = None,
) -> Calibration:
    """Fit from captured (T, 52) scores and (T, 6) pose against what was rendered;
    with `shape` (T, FEATURES), LINEAR_CHANNELS are also regressed on the landmarks."""
    scores = np.asarray(scores, np.float64)
    truth = np.asarray(truth, np.float64)
    knots: dict[str, tuple[list[float], list[float]]] = {}
    sources: dict[str, str] = {}
    report: dict[str, float] = {}
    for column, name in enumerate(ARKIT_NAMES):
        target = truth[:, column]
        if target.std() < _MIN_TRUTH_STD:
            continue
        candidates = [name] + ([_partner(name)] if _partner(name) else [])
        best = max(
            candidates,
            key=lambda c: _correlation(scores[:, ARKIT_NAMES.index(c or name)], target),
        )
        assert best is not None
        x = scores[:, ARKIT_NAMES.index(best)]
        r = _correlation(x, target)
        report[name] = round(r, 3)
        if r < _MIN_CORRELATION:
            continue
        if best != name:
            sources[name] = best
        knots[name] = _monotone_knots(x, target)
    captured_pose = np.asarray(captured_pose, np.float64)
    linear: dict[str, LinearMap] = {}
    if shape is not None:
        inputs = _linear_inputs(scores, shape, captured_pose)
        for name in LINEAR_CHANNELS:
            target = truth[:, ARKIT_NAMES.index(name)]
            if target.std() >= _MIN_TRUTH_STD:
                linear[name] = LinearMap.fit(inputs, target)
                report[name + " (linear)"] = round(_correlation(linear[name](inputs), target), 3)
    info = {"name": "template", "fit_correlation": report, **(meta or {})}
    captured_pose = np.asarray(captured_pose, np.float64)
    true_pose = np.asarray(true_pose, np.float64)
    # Gains from the motion about the clip's rest (the median), as capture measures it.
    true_pose = true_pose - np.median(true_pose, axis=0)
    return Calibration(
        knots=knots,
        sources=sources,
        rotation_gain=_gains(captured_pose[:, :3], true_pose[:, :3]),
        translation_gain=_gains(captured_pose[:, 3:], true_pose[:, 3:]),
        linear=linear,
        rest=tuple(float(v) for v in rest_scores(scores)),
        meta=info,
    )
