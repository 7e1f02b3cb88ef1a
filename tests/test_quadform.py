"""numerics.quadform: the exact accuracy given D (weighted chi-square CDF), against independent references."""

import mpmath
import numpy as np
import pytest
from scipy import special

import numerics
from numerics.quadform import accuracy_given_gram, chi2_mixture_cdf


def imhof_mp(weights, x, dps=18):
    """Imhof's (1961) integral at ``dps`` digits with mpmath's oscillatory quadrature (independent of the library)."""
    with mpmath.mp.workdps(dps):
        w = [mpmath.mpf(v) / x for v in weights if v > 0]

        def f(u):
            theta = sum(mpmath.atan(v * u) for v in w) / 2 - u / 2
            return mpmath.sin(theta) / (u * mpmath.fprod((1 + (v * u) ** 2) ** 0.25 for v in w))

        return float(mpmath.mpf(0.5) - mpmath.quadosc(f, [0, mpmath.inf], omega=0.5) / mpmath.pi)


CASES = [  # spread over 5 decades; one dominant weight (nearly rank one); near-equal; low accuracy
    ([0.2, 0.1, 0.05, 0.01, 1e-4], 0.5),
    ([1e-3, 1e-8], 5e-3),
    ([3e-4, 3e-4, 3e-4, 1e-4, 1e-4], 5e-3),
    ([10.0, 1.0], 1.0),
]


@pytest.mark.parametrize("weights,x", CASES)
def test_talbot_inversion_matches_imhof_integral(weights, x):
    assert abs(chi2_mixture_cdf(weights, x) - imhof_mp(weights, x)) < 1e-10


def test_closed_forms():
    # one weight: erf; equal weights: the chi-square CDF of Eq. 13; zero weights drop out
    assert chi2_mixture_cdf([0.2], 1.0) == pytest.approx(special.erf(np.sqrt(1 / 0.4)), abs=1e-15)
    assert chi2_mixture_cdf([0.1] * 4, 1.0) == pytest.approx(special.gammainc(2, 5.0), abs=1e-15)
    assert chi2_mixture_cdf([0.0, 0.2, 0.0], 1.0) == chi2_mixture_cdf([0.2], 1.0)
    assert chi2_mixture_cdf([0.0, 0.0], 1.0) == 1.0 and chi2_mixture_cdf([1.0, 2.0], 0.0) == 0.0


def test_monte_carlo_with_standard_error():
    rng = np.random.default_rng(11)
    w = np.array([0.3, 0.1, 0.02])
    n = 400_000
    hits = (rng.standard_normal((n, 3)) ** 2 @ w) <= 0.5
    p = hits.mean()
    assert abs(chi2_mixture_cdf(w, 0.5) - p) < 5 * np.sqrt(p * (1 - p) / n)


def test_vectorised_over_leading_axes():
    w = np.random.default_rng(0).random((4, 3, 5)) * 1e-3
    out = chi2_mixture_cdf(w, 5e-3)
    assert out.shape == (4, 3)
    assert out[2, 1] == pytest.approx(chi2_mixture_cdf(w[2, 1], 5e-3), abs=1e-14)
    both = chi2_mixture_cdf(w[0], np.array([1e-3, 2e-3, 3e-3]))
    assert both[1] == pytest.approx(chi2_mixture_cdf(w[0, 1], 2e-3), abs=1e-14)


def test_accuracy_given_gram_reduces_to_eq10_and_eq13():
    eps = 1e-3
    with mpmath.mp.workdps(20):
        # d_out = 1: Eq. 10; M = L I: Eq. 13 (both from the mpmath implementation in numerics.accuracy)
        assert accuracy_given_gram([[2.5e-4]], eps) == pytest.approx(float(numerics.accuracy(2.5e-4, eps)), abs=1e-14)
        for d_out in (2, 5):
            ref = float(numerics.accuracy(3e-4, eps, d_out=d_out))
            assert accuracy_given_gram(3e-4 * np.eye(d_out), eps) == pytest.approx(ref, abs=1e-11)
    # rank one M = mu v v^T: ||z||^2 = mu chi2_1, so A = erf(sqrt(d_out eps / (2 mu)))
    v = np.array([1.0, 2.0, -1.0]) / np.sqrt(6)
    assert accuracy_given_gram(4e-3 * np.outer(v, v), eps) == pytest.approx(
        special.erf(np.sqrt(3 * eps / 8e-3)), abs=1e-12
    )


def test_unequal_weights_differ_from_eq13():
    # same trace, unequal eigenvalues: the upper tail is heavier, so the accuracy is lower than Eq. 13's
    eps, d_out = 1e-3, 5
    m = np.diag([9e-4, 3e-4, 1e-4, 1e-4, 1e-4])
    eq13 = special.gammainc(d_out / 2, d_out * eps / (2 * np.trace(m) / d_out))
    assert accuracy_given_gram(m, eps) < eq13 - 0.01  # 0.971 vs 0.995


@pytest.mark.parametrize(
    "weights,x", [([-1.0, 1.0], 1.0), ([1.0, np.nan], 1.0), ([1.0], -1.0), ([1.0], np.inf), (1.0, 1.0)]
)
def test_bad_input(weights, x):
    with pytest.raises(ValueError):
        chi2_mixture_cdf(weights, x)


def test_bad_gram_input():
    with pytest.raises(ValueError, match="eps"):
        accuracy_given_gram(np.eye(2), 0.0)
    with pytest.raises(ValueError, match="shape"):
        accuracy_given_gram(np.ones(3), 1e-3)
