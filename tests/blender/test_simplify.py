"""The keyframe simplifier (pure numpy): error bound, end keys, and how many keys it saves."""

from __future__ import annotations

import numpy as np
import pytest

from musicface_blender.simplify import max_linear_error, simplify_curve, simplify_curves
from tests.blender.conftest import make_performance


@pytest.mark.parametrize("max_error", [0.001, 0.005, 0.02, 0.1])
def test_the_kept_keys_stay_within_the_error_at_every_frame(max_error):
    rng = np.random.default_rng(1)
    values = np.cumsum(rng.normal(0, 0.02, 3000))
    keep = simplify_curve(values, max_error)
    assert keep[0] == 0 and keep[-1] == len(values) - 1
    assert np.all(np.diff(keep) > 0)
    assert max_linear_error(values, keep) <= max_error + 1e-12


def test_straight_and_constant_curves_need_two_keys():
    assert simplify_curve(np.full(500, 0.3), 0.01).tolist() == [0, 499]
    assert simplify_curve(np.linspace(0, 1, 500), 0.01).tolist() == [0, 499]
    assert simplify_curve(np.array([0.2]), 0.01).tolist() == [0]


def test_a_singing_face_needs_five_times_fewer_keys_at_0_02():
    # Most ARKit channels move slowly and little; a few (jaw, lips) move fast.
    performance = make_performance(seconds=60.0, seed=3)
    rng = np.random.default_rng(3)
    amplitude = np.where(rng.random(52) < 0.2, 0.25, 0.05)  # a fifth of the channels are lively
    slow = 0.3 + amplitude * (performance.expression - 0.5)
    kept = simplify_curves(slow, 0.02)
    total = sum(len(k) for k in kept)
    assert slow.size / total >= 5
    assert max(max_linear_error(slow[:, c], k) for c, k in enumerate(kept)) <= 0.02
