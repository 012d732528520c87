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
    # B=1, T=3, one channel. pred 0, 2, 1 → v = (2, −1), |v| = (2, 1).
    # target 0, 1, 1 → v̂ = (1, 0), |v̂| = (1, 0).
    # MSE(p) = (0 + 1 + 0) / 3 = 1/3; L1(|v|, |v̂|) = (1 + 1) / 2 = 1.
    # L_pose = 1 · 1/3 + 10 · 1 = 10.333…
    value = losses.l_pose(t([[[0.0], [2.0], [1.0]]]), t([[[0.0], [1.0], [1.0]]]))
    assert float(value) == pytest.approx(1 / 3 + 10.0)


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
    # pred (1, 0), target (0, 0): L1 = 1/2; MMD with the default bandwidths Σ_σ (1 − e_σ)/2
    # (each kernel a mean over pairs, as in the one-bandwidth case).
    mmd = sum((1 - math.exp(-1 / (2 * s * s))) / 2 for s in losses.MMD_BANDWIDTHS)
    value = losses.l_eye(t([[1.0, 0.0]]), t([[0.0, 0.0]]))
    assert float(value) == pytest.approx(5 * 0.5 + 1 * mmd)


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
    e = torch.rand(2, 16)
    assert float(losses.l_exp(x, x)) == 0.0
    assert float(losses.l_pose(p, p)) == 0.0
    assert float(losses.l_eye(e, e)) == pytest.approx(0.0, abs=1e-6)
