"""The Marcum-Q closed form of L_gen (numerics.marcum) against independent evaluations."""

from __future__ import annotations

import mpmath
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from mpmath import mp
from scipy import stats

import numerics
from numerics import marcum


def _naive_gen(s, lam):
    """E_MP[exp(-s nu)] by plain tanh-sinh quadrature of the density of Eq. (6) in nu, written out here."""
    lo, hi = (1 - mpmath.sqrt(lam)) ** 2, (1 + mpmath.sqrt(lam)) ** 2
    dens = lambda nu: mpmath.sqrt((hi - nu) * (nu - lo)) / (2 * mpmath.pi * lam * nu)  # noqa: E731
    mid = (lo + hi) / 2
    cont = mpmath.quad(lambda nu: mpmath.exp(-s * (nu - lo)) * dens(nu), [lo, lo + (mid - lo) / 8, mid, hi])
    return max(0, 1 - 1 / mpmath.mpf(lam)) + mpmath.exp(-s * lo) * cont


@pytest.mark.parametrize("lam, s", [("0.3", "2"), ("0.9", "37.5"), ("1.7", "0.25"), ("4", "11")])
def test_closed_form_against_naive_quadrature_to_45_digits(lam, s):
    with mp.workdps(50):
        lam, s = mpmath.mpf(lam), mpmath.mpf(s)
        got, ref = marcum.gen_loss_closed(s, lam), _naive_gen(s, lam)
        assert abs(got / ref - 1) < mpmath.mpf(10) ** -45


def test_lambda_one_reduces_to_bessel_pair():
    with mp.workdps(40):
        for s in (mpmath.mpf("0.1"), mpmath.mpf(3), mpmath.mpf(250)):
            ref = mpmath.exp(-2 * s) * (mpmath.besseli(0, 2 * s) + mpmath.besseli(1, 2 * s))
            assert abs(marcum.gen_loss_closed(s, 1) / ref - 1) < mpmath.mpf(10) ** -35


@pytest.mark.parametrize("a, b", [(0.5, 0.7), (2.0, 3.5), (10.0, 12.0), (0.1, 4.0)])
def test_marcum_q1_matches_scipy_noncentral_chi2(a, b):
    # Q_1(a, b) = P(X > b^2) for X ~ noncentral chi^2 with 2 degrees of freedom and noncentrality a^2
    with mp.workdps(20):
        assert float(marcum.marcum_q1(a, b)) == pytest.approx(stats.ncx2.sf(b * b, 2, a * a), rel=1e-9)


def test_recurrence_start_is_enough():
    # doubling the number of backward-recurrence terms must not change any digit
    with mp.workdps(50):
        for z in (mpmath.mpf("0.01"), mpmath.mpf(7), mpmath.mpf(900)):
            m = marcum._start_index(z, mp.prec)
            a = marcum.bessel_neumann(z, mpmath.mpf("0.8"))
            b = marcum.bessel_neumann(z, mpmath.mpf("0.8"), terms=2 * m)
            assert all(abs(x / y - 1) < mpmath.mpf(10) ** -48 for x, y in zip(a, b, strict=True))
            assert abs(a[0] - mpmath.besseli(0, z) * mpmath.exp(-z)) < mpmath.mpf(10) ** -48 * a[0]


def test_tiny_losses_do_not_underflow():
    with mp.workdps(20):
        g = numerics.gen_loss(1e6, 0.1)  # ~1e-8000
        assert 0 < g < mpmath.mpf(10) ** -7000
        with mp.workdps(30):
            g2 = numerics.gen_loss(1e6, 0.1)
        assert abs(g / g2 - 1) < mpmath.mpf(10) ** -18


def test_marcum_rejects_wrong_branch():
    with pytest.raises(ValueError, match="alpha <= beta"):
        marcum.marcum_q1(2, 1)


@settings(max_examples=25, deadline=None)
@given(lam=st.floats(0.02, 6.0), u=st.floats(0.0, 1.0), v=st.floats(0.0, 1.0))
def test_closed_gen_loss_properties(lam, u, v):
    # for lam > 1, L_gen = atom + (continuous part ~ exp(-s lam_-)); resolving the continuous part to 20 digits takes
    # ~ s lam_- / ln 10 extra digits, so times are drawn with s lam_- <= 100 there (<= 5e4 steps otherwise)
    lam_minus = (1 - lam**0.5) ** 2
    t_max = 5e4 if lam <= 1 else min(5e4, 100 / (4 * 0.01 * lam_minus))
    t, dt = u * t_max, 1 + v * t_max / 2
    dps = 20 + int(4 * 0.01 * (t + dt) * lam_minus / 2.3) if lam > 1 else 20
    with mp.workdps(dps):
        g0, g1 = numerics.gen_loss(t, lam), numerics.gen_loss(t + dt, lam)
        atom = max(0, 1 - 1 / mpmath.mpf(lam))
        assert atom < g1 < g0 <= 1
        # L_tr = E[nu e^{-s nu}] <= lam_+ E[e^{-s nu}; continuous part]
        assert numerics.train_loss(t, lam) <= (1 + mpmath.sqrt(lam)) ** 2 * (g0 - atom) * (1 + mpmath.mpf(10) ** -15)
