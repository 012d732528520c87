"""Feature and pose normalisation, computed on the training set and stored in checkpoints.

MFCCs are standardised per coefficient and per stream. Poses are divided by
their per-channel RMS around the rest pose (no mean: 0 stays the rest pose,
where the PGN starts), so radians and metres weigh alike in the losses.
Expression errors are measured in units of each ARKit column's standard
deviation (floored), so that expression and pose losses share one scale and
neither task drowns the other's gradients in the shared encoders.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from core.errors import BadInput
from core.streams import ACCOMPANIMENT, MIXTURE, VOCALS

STREAMS: tuple[str, ...] = (VOCALS, ACCOMPANIMENT, MIXTURE)
# How checkpoints written before core/streams.py spelled the streams.
_LEGACY_NAMES = {ACCOMPANIMENT: "accomp", MIXTURE: "mix"}
_EPS = 1e-5
EXPRESSION_FLOOR = 0.05


@dataclass(frozen=True)
class Normalization:
    mfcc_mean: dict[str, np.ndarray]  # stream → (26,)
    mfcc_std: dict[str, np.ndarray]  # stream → (26,)
    pose_scale: np.ndarray  # (6,)
    expression_scale: np.ndarray  # (52,), used by the training losses only

    def mfcc(self, stream: str, values: np.ndarray) -> np.ndarray:
        """Standardise (N, 26) MFCCs of one stream."""
        return ((values - self.mfcc_mean[stream]) / self.mfcc_std[stream]).astype(np.float32)

    def to_dict(self) -> dict[str, torch.Tensor]:
        """Tensors only, so `torch.load(weights_only=True)` reads it back."""
        out = {
            "pose_scale": torch.from_numpy(self.pose_scale.astype(np.float32)),
            "expression_scale": torch.from_numpy(self.expression_scale.astype(np.float32)),
        }
        for stream in STREAMS:
            out[f"{stream}_mean"] = torch.from_numpy(self.mfcc_mean[stream].astype(np.float32))
            out[f"{stream}_std"] = torch.from_numpy(self.mfcc_std[stream].astype(np.float32))
        return out

    @classmethod
    def from_dict(cls, data: dict[str, object]) -> Normalization:
        try:
            arrays = {k: np.asarray(torch.as_tensor(v), dtype=np.float32) for k, v in data.items()}
            for stream, legacy in _LEGACY_NAMES.items():
                for stat in ("mean", "std"):
                    if f"{legacy}_{stat}" in arrays:
                        arrays.setdefault(f"{stream}_{stat}", arrays[f"{legacy}_{stat}"])
            norm = cls(
                mfcc_mean={s: arrays[f"{s}_mean"] for s in STREAMS},
                mfcc_std={s: arrays[f"{s}_std"] for s in STREAMS},
                pose_scale=arrays["pose_scale"],
                expression_scale=arrays["expression_scale"],
            )
        except (KeyError, TypeError, ValueError) as err:
            raise BadInput(f"checkpoint normalisation is incomplete: {err}") from err
        return norm

    @classmethod
    def identity(cls, n_mfcc: int = 26, pose_dim: int = 6, n_expression: int = 52) -> Normalization:
        zeros, ones = np.zeros(n_mfcc, np.float32), np.ones(n_mfcc, np.float32)
        return cls(
            mfcc_mean={s: zeros for s in STREAMS},
            mfcc_std={s: ones for s in STREAMS},
            pose_scale=np.ones(pose_dim, np.float32),
            expression_scale=np.ones(n_expression, np.float32),
        )

    @classmethod
    def fit(
        cls,
        mfccs: dict[str, list[np.ndarray]],
        poses: list[np.ndarray],
        expressions: list[np.ndarray],
    ) -> Normalization:
        """Training-clip statistics: MFCCs (N_i, 26) per stream, poses (T_i, 6), expressions."""
        mean, std = {}, {}
        for stream in STREAMS:
            stacked = np.concatenate(mfccs[stream], axis=0).astype(np.float64)
            mean[stream] = stacked.mean(axis=0).astype(np.float32)
            std[stream] = np.maximum(stacked.std(axis=0), _EPS).astype(np.float32)
        pose = np.concatenate(poses, axis=0).astype(np.float64)
        # RMS around the rest pose; a channel that never moves keeps scale 1e-3.
        scale = np.maximum(np.sqrt((pose**2).mean(axis=0)), 1e-3).astype(np.float32)
        expression = np.concatenate(expressions, axis=0).astype(np.float64)
        # A column that barely moves still counts: its error is measured against 0.05.
        expression_scale = np.maximum(expression.std(axis=0), EXPRESSION_FLOOR).astype(np.float32)
        return cls(
            mfcc_mean=mean, mfcc_std=std, pose_scale=scale, expression_scale=expression_scale
        )
