"""Unit tests of numerics against values derived independently here (series, Bessel forms, asymptotics)."""

from math import comb, factorial

import mpmath
import pytest
from mpmath import mp

import numerics
from numerics import approximations as ap
from numerics import mp_law

ETA = 0.01


def narayana_moment(k, lam):
    """E[nu^k] of MP(lam): written out here independently of numerics.mp_law.moment."""
    if k == 0:
        return mpmath.mpf(1)
    return sum(mpmath.mpf(comb(k, j)) * comb(k, j - 1) / k * mpmath.mpf(lam) ** (j - 1) for j in range(1, k + 1))


def series(lam, s, shift):
    """sum_k (-s)^k / k! E[nu^(k+shift)]: Taylor series of E[nu^shift e^{-s nu}] (entire in s)."""
    return mpmath.fsum((-s) ** k / factorial(k) * narayana_moment(k + shift, lam) for k in range(120))


@pytest.mark.parametrize("lam", [0.2, 1.0, 2.5])
@pytest.mark.parametrize("t", [1.0, 10.0])
def test_losses_match_moment_series(lam, t):
    with mp.workdps(40):
        s = 4 * mpmath.mpf(ETA) * t
        assert abs(numerics.train_loss(t, lam) / series(lam, s, 1) - 1) < mpmath.mpf(10) ** -35
        assert abs(numerics.gen_loss(t, lam) / series(lam, s, 0) - 1) < mpmath.mpf(10) ** -35


@pytest.mark.parametrize("t", [10.0, 1e3, 1e6])
def test_gen_loss_at_lambda_one_bessel_form(t):
    # lam = 1: nu = 2 + 2 cos(theta), p dnu = (1/pi)(1 - cos theta) dtheta, so E[e^{-s nu}] = e^{-2s}(I0(2s) + I1(2s))
    with mp.workdps(30):
        s = 4 * mpmath.mpf(ETA) * t
        expected = mpmath.exp(-2 * s) * (mpmath.besseli(0, 2 * s) + mpmath.besseli(1, 2 * s))
        assert abs(numerics.gen_loss(t, 1) / expected - 1) < mpmath.mpf(10) ** -25


def test_initial_values():
    for lam in (0.3, 1, 3):
        assert numerics.train_loss(0, lam) == 1
        assert abs(numerics.gen_loss(0, lam) - 1) < 1e-14


@pytest.mark.parametrize("lam,t", [(0.1, 1e5), (0.5, 1e6), (2.0, 1e6)])
def test_tiny_losses_are_right_not_zero(lam, t):
    # far below double precision: compare with the asymptotic Bessel form, whose error is ~3/(8z), z = 8 eta t sqrt(lam)
    with mp.workdps(30):
        exact = numerics.train_loss(t, lam)
        assert 0 < exact < 1e-80
        z = 8 * mpmath.mpf(ETA) * t * mpmath.sqrt(lam)
        s = 4 * mpmath.mpf(ETA) * t
        asym = mpmath.exp(-s * (1 + lam) + z) / mpmath.sqrt(2 * mpmath.pi * z) / (s * mpmath.sqrt(lam))
        assert abs(exact / asym - 1) < 1 / z
        assert abs(numerics.train_loss_quad(t, lam) / exact - 1) < mpmath.mpf(10) ** -25


def test_gen_loss_plateau_for_lam_above_one():
    with mp.workdps(20):
        assert abs(numerics.gen_loss(1e7, 4) - mpmath.mpf(3) / 4) < mpmath.mpf(10) ** -18


def test_train_loss_rate_is_derivative():
    with mp.workdps(30):
        for lam, t in ((0.4, 50.0), (1.7, 800.0)):
            d = mpmath.diff(lambda u, lam=lam: numerics.train_loss(u, lam), t)
            assert abs(numerics.train_loss_rate(t, lam) / d - 1) < mpmath.mpf(10) ** -15


def test_accuracy_values():
    with mp.workdps(30):
        assert numerics.accuracy(0, 1e-3) == 1
        assert abs(numerics.accuracy(mpmath.mpf("1e-3") / 4, mpmath.mpf("1e-3")) - mpmath.erf(mpmath.sqrt(2))) < 1e-28
        # z ~ N(0, L): P(|z| <= sqrt(eps)) = 2 Phi(sqrt(eps/L)) - 1
        L, e = mpmath.mpf("0.3"), mpmath.mpf("0.1")
        assert abs(numerics.accuracy(L, e) - (2 * mpmath.ncdf(mpmath.sqrt(e / L)) - 1)) < 1e-28


def test_loss_at_accuracy_inverts_accuracy():
    with mp.workdps(30):
        assert numerics.loss_at_accuracy(None, 1e-3) == mpmath.mpf(1e-3) / 4
        L = numerics.loss_at_accuracy(0.95, 1e-3)
        assert abs(numerics.accuracy(L, 1e-3) - mpmath.mpf(0.95)) < 1e-25


def test_grokking_time_residuals_and_precision():
    with mp.workdps(30):
        g = numerics.grokking_time(0.5)
        thr = mpmath.mpf(1e-3) / 4
        assert abs(numerics.train_loss(g.t_train, 0.5) / thr - 1) < mpmath.mpf(10) ** -25
        assert abs(numerics.gen_loss(g.t_gen, 0.5) / thr - 1) < mpmath.mpf(10) ** -25
        assert g.delta == g.t_gen - g.t_train and g.delta > 0
    with mp.workdps(45):
        g2 = numerics.grokking_time(0.5)
    assert abs(g2.t_gen / g.t_gen - 1) < mpmath.mpf(10) ** -28  # digits at 30 confirmed at 45


def test_grokking_time_lam_one_matches_power_law():
    # lam = 1: L_gen ~ 1/(2 sqrt(pi eta t)) at late times, so t_gen ~ 4/(pi eta eps^2)
    with mp.workdps(20):
        g = numerics.grokking_time(1, eps=1e-4)
        assert abs(g.t_gen / (4 / (mpmath.pi * ETA * mpmath.mpf(1e-4) ** 2)) - 1) < 1e-3


def test_grokking_time_never_generalises_above_plateau():
    g = numerics.grokking_time(1.5, eps=1e-3)  # plateau 1/3 > eps/4
    assert g.t_gen is None and g.delta is None and g.t_train > 0


def test_grokking_time_zero_when_already_accurate():
    g = numerics.grokking_time(0.5, eps=10.0)  # L(0) = 1 <= eps/4
    assert g.t_train == 0 and g.t_gen == 0


def test_approximation_eq24_matches_asymptotic_solution():
    with mp.workdps(30):
        t = ap.t_train_eq24(0.5, eps=1e-12)
        assert abs(ap.train_loss_eq22(t, 0.5) / (mpmath.mpf(1e-12) / 4) - 1) < mpmath.mpf(10) ** -25


def test_mp_law_moments_and_density():
    with mp.workdps(30):
        for k in range(5):
            assert abs(mp_law.expect(lambda x, k=k: x**k, 0.7) - narayana_moment(k, 0.7)) < 1e-25
        lo, hi = mp_law.edges(0.25)
        assert (lo, hi) == (mpmath.mpf(0.25), mpmath.mpf(2.25))
        assert mp_law.density(0.1, 0.25) == 0 and mp_law.density(1, 0.25) > 0
        assert mp_law.atom(4) == mpmath.mpf(3) / 4 and mp_law.atom(0.5) == 0


def test_crossing_time_falls_back_when_the_guess_is_wrong():
    from numerics.grokking import crossing_time

    with mp.workdps(25):
        thr = mpmath.mpf(1e-3) / 4

        def loss(t):
            return numerics.gen_loss(t, 0.5)

        good = crossing_time(loss, thr, limit=0, t0=25)
        for guess in (None, 3.0, 1e9, float(good) * 1.01):
            t = crossing_time(loss, thr, limit=0, t0=25, guess=guess)
            assert abs(t / good - 1) < mpmath.mpf(10) ** -20
