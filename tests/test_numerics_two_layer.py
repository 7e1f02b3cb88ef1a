"""numerics.two_layer: the two-layer linear network of Section 4.1 (Eqs. 18, 19) against identities and simulation."""

from __future__ import annotations

import mpmath
import numpy as np
import pytest
from mpmath import mp

import numerics
from derivations.experiments import two_layer_runs
from numerics import marcum
from numerics.two_layer import two_layer_losses


def test_fixed_kernel_is_corrected_eq40():
    # (|D0|^2/d_out) L^{d_out=1}(eta/(2 d_out^2), lam, t): the one-layer function at a rescaled step
    with mp.workdps(30):
        for t, lam, d_out in ((0, 0.5, 5), (1234, 0.5, 5), (3e4, 0.9, 3), (800, 2.0, 1)):
            got = two_layer_losses(t, lam, d_h=200, d_out=d_out, d0_sq=0.0025, eta=mpmath.mpf("0.01"))
            eta1 = mpmath.mpf("0.01") / (2 * d_out**2)
            ref_gen = mpmath.mpf(0.0025) / d_out * numerics.gen_loss(t, lam, eta=eta1)
            ref_tr = mpmath.mpf(0.0025) / d_out * numerics.train_loss(t, lam, eta=eta1)
            assert abs(got.gen - ref_gen) <= mpmath.mpf(10) ** -25 * ref_gen
            assert abs(got.train - ref_tr) <= mpmath.mpf(10) ** -25 * ref_tr


def test_default_norms_follow_the_initialisation():
    # E|D0|^2 = 1/(2 d_h): L_gen(0) = 1/(2 d_h d_out)
    assert two_layer_losses(0, 0.5, d_h=200, d_out=5).gen == mpmath.mpf(1) / 2000


@pytest.mark.parametrize("lam, d_in", [(0.5, 300), (0.9, None), (2.0, 1000)])
def test_coupled_flow_keeps_its_first_integral(lam, d_in):
    # h dh/dtau = -(1 + d_out/d_in) 2 d_out (|D0|^2 F(2 tau) - |T|^2 F(tau)) and G' = -F integrate to
    # h^2/2 = h0^2/2 - (1 + d_out/d_in) 2 d_out (|D0|^2 (1 - G(2 tau))/2 - |T|^2 (1 - G(tau)))
    d_out, d0, tt = 5, 0.02, 0.004  # norms far above the defaults, so that h moves visibly
    r = 0 if d_in is None else d_out / d_in
    with mp.workdps(20):
        for t in (300, 5000, 40000):
            out = two_layer_losses(t, lam, d_h=50, d_out=d_out, kernel="coupled", d_in=d_in, d0_sq=d0, teacher_sq=tt)
            tau, h0 = out.tau, mpmath.mpf(1) / 2 + r / 2
            g = lambda s: marcum.gen_loss_closed(s, lam)  # noqa: E731
            rhs = h0**2 / 2 - (1 + r) * 2 * d_out * (d0 * (1 - g(2 * tau)) / 2 - tt * (1 - g(tau)))
            assert abs(out.h**2 / 2 - rhs) < 1e-9
            assert abs(out.h - h0) > 1e-4  # it did move


def test_coupled_tends_to_fixed_for_wide_layers():
    gaps = []
    for d_h in (50, 500, 5000):
        fixed = two_layer_losses(3000, 0.5, d_h=d_h, d_out=5)
        coupled = two_layer_losses(3000, 0.5, d_h=d_h, d_out=5, kernel="coupled")
        gaps.append(abs(float(coupled.gen / fixed.gen) - 1))
    assert gaps[0] > gaps[1] > gaps[2] and gaps[2] < 1e-3


def test_coupled_flow_against_two_layer_simulation():
    # 300-150-5 linear network, lam = 0.5, 2 seeds: Eq. (18) neglects O(sqrt(d_out/d_h)) anisotropy of S1^T S1 and the
    # S0 S0^T term, and d_in = 300 adds finite-size fluctuations; measured errors are <= 4 %, a wrong rate would be off
    # by a factor (e.g. eta/d_out^2 instead of eta/(2 d_out^2) changes L_gen(5000) by ~40 %).
    lam, d_in, d_h, d_out = 0.5, 300, 150, 5
    errs = []
    for run in two_layer_runs("linear", lam=lam, d_in=d_in, d_h=d_h, d_out=d_out, steps=5000, seeds=(1, 2)):
        d0 = float(run.gen_loss_exact[0]) * d_out
        for i, t in enumerate(run.t):
            pred = two_layer_losses(int(t), lam, d_h=d_h, d_out=d_out, kernel="coupled", d_in=d_in, d0_sq=d0)
            errs.append(float(pred.gen) / run.gen_loss_exact[i] - 1)
    assert len(errs) == 10 and np.max(np.abs(errs)) < 0.08


@pytest.mark.parametrize(
    "kw, match",
    [
        ({"d_h": 0}, "d_h"),
        ({"d_h": 10, "kernel": "ntk"}, "kernel"),
        ({"d_h": 10, "d_in": 0}, "d_in"),
        ({"d_h": 10, "eta": 20.0}, "unstable"),
        ({"d_h": 10, "d0_sq": -1.0}, "d0_sq"),
        ({"d_h": 10, "d_out": 0}, "d_out"),
    ],
)
def test_two_layer_validation(kw, match):
    with pytest.raises(ValueError, match=match):
        two_layer_losses(10, 0.5, **kw)
