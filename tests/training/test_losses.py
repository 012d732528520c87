"""Each loss of the paper against a value worked out by hand on a tiny input."""

from __future__ import annotations

import math

import pytest
import torch

from training import losses


def t(values: list) -> torch.Tensor:
    return torch.tensor(values, dtype=torch.float32)


def test_l_exp() -> None:
    # B=1, T=3, K=1. pred 0, 1, 1; target 0, 0, 0.
    # MSE = (0 + 1 + 1) / 3 = 2/3. Velocities: pred (1, 0), target (0, 0) → MSE = 1/2.
    # L_exp = 5 · 2/3 + 50 · 1/2 = 28.333…
    value = losses.l_exp(t([[[0.0], [1.0], [1.0]]]), t([[[0.0], [0.0], [0.0]]]))
    assert float(value) == pytest.approx(5 * 2 / 3 + 50 * 0.5)


def test_l_pose() -> None:
    # B=1, T=3, one channel. pred 0, 2, 1 → v = (2, −1), ‖v‖ = (2, 1).
    # target 0, 1, 1 → v̂ = (1, 0), ‖v̂‖ = (1, 0).
    # MSE(p) = (0 + 1 + 0) / 3 = 1/3; L1(‖v‖, ‖v̂‖) = (1 + 1) / 2 = 1.
    # L_pose = 0.1 · 1/3 + 10 · 1 = 10.0333…
    value = losses.l_pose(t([[[0.0], [2.0], [1.0]]]), t([[[0.0], [1.0], [1.0]]]))
    assert float(value) == pytest.approx(0.1 / 3 + 10.0, rel=1e-5)


def test_pose_speed_is_the_norm_over_channels() -> None:
    # The same speed split differently over two channels costs nothing in the speed
    # term: (3, 4) and (5, 0) both move 5 a frame; only MSE(p) sees the difference.
    pred = t([[[0.0, 0.0], [3.0, 4.0]]])
    target = t([[[0.0, 0.0], [5.0, 0.0]]])
    assert float(losses.l_pose(pred, target)) == pytest.approx(0.1 * (4 + 16) / 4, rel=1e-5)
    # A zero velocity has a finite gradient.
    rest = torch.zeros(1, 3, 6, requires_grad=True)
    losses.l_pose(rest, torch.zeros(1, 3, 6)).backward()
    assert torch.isfinite(rest.grad).all()


def test_mmd_one_bandwidth() -> None:
    # x = {0, 1}, y = {0, 0}, one kernel k(a, b) = exp(−(a − b)² / 2) (σ = 1), e = exp(−1/2).
    # mean k(x, x) = (1 + e + e + 1) / 4 = (1 + e) / 2; mean k(y, y) = 1;
    # mean k(x, y) = (1 + 1 + e + e) / 4 = (1 + e) / 2.
    # MMD² = (1 + e)/2 + 1 − (1 + e) = (1 − e) / 2.
    e = math.exp(-0.5)
    value = losses.mmd(t([0.0, 1.0]), t([0.0, 0.0]), bandwidths=(1.0,))
    assert float(value) == pytest.approx((1 - e) / 2)
    assert float(losses.mmd(t([0.3, 0.7]), t([0.7, 0.3]))) == pytest.approx(0.0, abs=1e-6)


def test_l_eye() -> None:
    # pred (0.9, 0), target (0, 0): cross-entropy (−ln 0.1 + 0) / 2; MMD with the default
    # bandwidths Σ_σ (1 − e_σ)/2 (each kernel a mean over pairs, as in the one-bandwidth case).
    mmd = sum((1 - math.exp(-0.81 / (2 * s * s))) / 2 for s in losses.MMD_BANDWIDTHS)
    value = losses.l_eye(t([[0.9, 0.0]]), t([[0.0, 0.0]]))
    assert float(value) == pytest.approx(-math.log(0.1) / 2 + mmd, rel=1e-5)


def test_l_eye_weighs_closed_frames_more() -> None:
    # pred 0.9 on a closed (weight 3) and an open (weight 1) frame, normalised by the
    # mean weight 2: (3 · −ln 0.9 + 1 · −ln 0.1) / 2 / 2. The two frames swap roles
    # in the second call: the miss on the closed frame now costs three times as much.
    pred, target = t([[0.9, 0.9]]), t([[1.0, 0.0]])
    mmd = float(losses.mmd(pred, target))
    expected = (3 * -math.log(0.9) - math.log(0.1)) / 4
    assert float(losses.l_eye(pred, target)) - mmd == pytest.approx(expected, rel=1e-5)
    missed = float(losses.l_eye(t([[0.1, 0.1]]), target)) - float(
        losses.mmd(t([[0.1, 0.1]]), target)
    )
    assert missed == pytest.approx((3 * -math.log(0.1) - math.log(0.9)) / 4, rel=1e-5)


def test_l_att() -> None:
    # Two tasks: mean |att| = 0.5 and 0.25 → L_att = 0.01 · 0.75; no ATM → 0.
    attention = {"expression": t([[[0.0, 1.0]]]), "pose": t([[[0.25, 0.25]]])}
    assert float(losses.l_att(attention)) == pytest.approx(0.0075)
    assert losses.l_att(None) == 0.0


def test_adversarial_and_total() -> None:
    # LSGAN. Generator: mean((0.5 − 1)²) = 0.25.
    d_fake, d_real = t([0.5, 0.5]), t([1.0, 0.0])
    assert float(losses.l_adv_generator(d_fake)) == pytest.approx(0.25)
    # Discriminator: real (1, 0) → mean((1 − 1)², (0 − 1)²) = 0.5; fake mean(0.5²) = 0.25.
    assert float(losses.l_adv_discriminator(d_real, d_fake)) == pytest.approx(0.75)
    # L = 1 · L_reg + 0.1 · L_adv.
    assert float(losses.l_total(t(2.0), t(3.0))) == pytest.approx(2.3)
    assert float(losses.l_reg(t(1.0), t(2.0), t(3.0), 0.5)) == pytest.approx(6.5)


def test_losses_are_zero_on_a_perfect_prediction() -> None:
    x = torch.rand(2, 16, 52)
    p = torch.randn(2, 16, 6)
    e = (torch.rand(2, 16) > 0.8).float()  # eye states are closed or open
    assert float(losses.l_exp(x, x)) == 0.0
    assert float(losses.l_pose(p, p)) == 0.0
    assert float(losses.l_eye(e, e)) == pytest.approx(0.0, abs=1e-6)
