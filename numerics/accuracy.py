"""Accuracy as a function of the loss (Eq. 10, corrected reading; Eq. 13 for ``d_out > 1``).

A sample is correct when its mean squared error over outputs, ``||z||^2 / d_out`` with ``z = D^T x``, is below ``eps``.
With ``z ~ N(0, L I_{d_out})`` (per-component variance ``L``; the paper writes "standard deviation" for ``d_out = 1``),
``||z||^2 / L`` is chi-square with ``d_out`` degrees of freedom and

    A = P(d_out/2, d_out eps / (2 L)) = 1 - Gamma(d_out/2, d_out eps/(2L)) / Gamma(d_out/2)        (Eq. 13),

which for ``d_out = 1`` is ``P(|z| <= sqrt(eps)) = erf(sqrt(eps / (2 L)))`` (Eq. 10; the paper prints
``2 P(|z| <= sqrt(eps))`` on the left, which would exceed 1: see claim ``eq10-accuracy``).
"""

from __future__ import annotations

import math

import mpmath
from mpmath import mp

from ._errors import RootFindingError
from ._validate import nonnegative, output_dim, positive, real

__all__ = ["DEFAULT_LEVEL", "accuracy", "loss_at_accuracy"]

#: The paper's accuracy level Erf(sqrt 2) ~ 0.9545, reached at L = eps / 4 when d_out = 1 (Section 3.1.3).
DEFAULT_LEVEL = "erf(sqrt(2))"


def accuracy(loss, eps, *, d_out=1):
    """Fraction of samples with mean squared error below ``eps`` when the loss is ``loss`` (Eqs. 10, 13).

    ``A = erf(sqrt(eps / (2 loss)))`` for ``d_out = 1``, the regularised lower incomplete gamma function
    ``P(d_out/2, d_out eps / (2 loss))`` in general; ``A = 1`` at ``loss = 0``.  Raises ``ValueError`` for
    ``loss < 0``, ``eps <= 0``, ``d_out < 1`` or non-finite input.
    """
    loss = nonnegative("loss", loss)
    eps = positive("eps", eps)
    d_out = output_dim(d_out)
    if loss == 0:
        return mpmath.mpf(1)
    with mp.workprec(mp.prec + 10):
        if d_out == 1:
            v = mpmath.erf(mpmath.sqrt(eps / (2 * loss)))
        else:
            v = mpmath.gammainc(mpmath.mpf(d_out) / 2, 0, d_out * eps / (2 * loss), regularized=True)
    return +v


def level_value(level):
    """The accuracy level as an ``mpf`` in (0, 1); ``None`` means the paper's Erf(sqrt 2)."""
    if level is None or level == DEFAULT_LEVEL:
        return mpmath.erf(mpmath.sqrt(2))
    return real("level", level, low=0, high=1)


def loss_at_accuracy(level, eps, *, d_out=1):
    """The loss ``L*`` at which Eq. (10)/(13) gives accuracy ``level`` (``None``: the paper's Erf(sqrt 2)).

    ``d_out = 1``: ``L* = eps / (2 erfinv(level)^2)``, exactly ``eps / 4`` for Erf(sqrt 2).  ``d_out > 1``:
    ``L* = d_out eps / (2 x)`` with ``P(d_out/2, x) = level``.  Both quantiles are found by Halley steps from their
    float64 values (scipy) and residual-checked; mpmath's root finders are the fallback.
    """
    eps = positive("eps", eps)
    d_out = output_dim(d_out)
    lev = level_value(level)
    with mp.workprec(mp.prec + 10):
        if d_out == 1:
            if level is None or level == DEFAULT_LEVEL:
                return +(eps / 4)
            from scipy.special import erfinv

            c = mpmath.log(2 / mpmath.sqrt(mp.pi))
            x, resid = _invert_cdf(mpmath.erf, lambda x: c - x * x, lambda x: -2 * x, lev, erfinv(float(lev)))
            if x is None:
                x = mpmath.erfinv(lev)
                resid = mpmath.erf(x) - lev
            _check_quantile(resid, "normal", lev)
            v = eps / (2 * x**2)
        else:
            from scipy.special import gammaincinv

            a = mpmath.mpf(d_out) / 2
            lg = mpmath.loggamma(a)

            def cdf(x):
                return mpmath.gammainc(a, 0, x, regularized=True)

            x0 = float(gammaincinv(float(a), float(lev)))
            x, resid = _invert_cdf(cdf, lambda x: (a - 1) * mpmath.log(x) - x - lg, lambda x: (a - 1) / x - 1, lev, x0)
            if x is None:
                x = mp.findroot(lambda x: cdf(x) - lev, mpmath.mpf(x0))
                resid = cdf(x) - lev
            _check_quantile(resid, "chi-square", lev)
            v = d_out * eps / (2 * x)
    return +v


def _invert_cdf(cdf, log_density, dlog_density, lev, x0):
    """``(x, cdf(x) - lev)`` with ``x > 0`` the root of ``cdf(x) = lev``, by Halley steps from the float ``x0``
    (``cdf' = e^{log_density}``, ``cdf''/cdf' = dlog_density``), converged when a step is below ``2^(4 - prec) x``;
    ``(None, None)`` if the seed is not finite and positive or the steps do not converge (the caller then uses
    mpmath's root finder)."""
    tail = 1 - float(lev)
    if not (0 < x0 < math.inf and tail > 0):
        return None, None
    prec = mp.prec
    # near level 1 the cdf is ~ 1 - tail: its rounding error is ~ 2^-prec / tail relative to the tail, which fixes x
    with mp.workprec(prec + 4 + max(0, int(-math.log2(tail)))):
        x = mpmath.mpf(x0)
        for _ in range(12):
            resid = cdf(x) - lev
            newton = resid / mpmath.exp(log_density(x))
            den = 1 - newton * dlog_density(x) / 2
            step = newton / den if den > 0.5 else newton
            if abs(step) <= mpmath.ldexp(x, -prec + 4):
                return x, resid
            x -= step
            if not x > 0:
                break
    return None, None


def _check_quantile(residual, law, lev):
    if abs(residual) > mpmath.ldexp(1, -mp.prec + 8):
        raise RootFindingError(f"{law} quantile for level {lev} failed its residual check ({abs(residual)})")
