"""The Marchenko–Pastur law, Eq. (6) of the paper.

For ``Sigma_tr = X^T X / N_tr`` with ``X`` an ``N_tr x d_in`` matrix of iid standard normals and
``lam = d_in / N_tr`` fixed as both grow, the eigenvalue distribution of ``Sigma_tr`` converges to

    p(nu) = (1 - 1/lam)^+ delta_0 + sqrt((lam_+ - nu)(nu - lam_-)) / (2 pi lam nu) 1[lam_-, lam_+],

with ``lam_pm = (1 +- sqrt(lam))^2``.  All functions work at the current ``mpmath.mp`` precision.

Numerical representation.  With ``r = sqrt(lam)`` and the substitution
``nu(theta) = (1 - r)^2 + 4 r sin^2(theta / 2)``, ``theta in [0, pi]`` (so ``nu(0) = lam_-``), the
continuous part becomes ``p(nu) dnu = (2/pi) sin^2(theta) / nu(theta) dtheta``: a smooth, bounded
integrand, without the square-root endpoint singularities of the density.
"""

from __future__ import annotations

from collections.abc import Callable

import mpmath
from mpmath import mp

from ._validate import positive
from .quadrature import quad_relative

__all__ = ["atom", "density", "edges", "expect", "moment", "resolvent"]


def edges(lam):
    """Support edges ``(lam_-, lam_+) = ((1 - sqrt(lam))^2, (1 + sqrt(lam))^2)`` of Eq. (6)."""
    lam = positive("lam", lam)
    r = mpmath.sqrt(lam)
    return (1 - r) ** 2, (1 + r) ** 2


def atom(lam):
    """Mass ``(1 - 1/lam)^+`` of the Dirac atom at ``nu = 0`` in Eq. (6) (zero for ``lam <= 1``)."""
    lam = positive("lam", lam)
    return max(mpmath.mpf(0), 1 - 1 / lam)


def density(nu, lam):
    """Density of the continuous part of Eq. (6) at ``nu`` (zero outside ``[lam_-, lam_+]``)."""
    lam = positive("lam", lam)
    nu = mpmath.mpf(nu)
    lo, hi = edges(lam)
    if nu <= lo or nu >= hi or nu <= 0:
        return mpmath.mpf(0)
    return mpmath.sqrt((hi - nu) * (nu - lo)) / (2 * mpmath.pi * lam * nu)


def moment(k: int, lam):
    """``E[nu^k]`` under Eq. (6), exactly, via the Narayana polynomials.

    ``E[nu^k] = sum_{j=1}^{k} (1/k) C(k, j) C(k, j-1) lam^(j-1)`` for ``k >= 1`` and 1 for ``k = 0``
    (the atom at zero contributes only to ``k = 0``).  Accepts SymPy symbols for ``lam`` too.
    """
    if not isinstance(k, int) or k < 0:
        raise ValueError(f"k must be a non-negative integer, got {k!r}")
    if k == 0:
        return 1
    from math import comb

    return sum(mpmath.mpf(comb(k, j) * comb(k, j - 1)) / k * lam ** (j - 1) for j in range(1, k + 1))


def _theta_breaks(lam, scale):
    """Quadrature breakpoints in theta where the integrand has structure.

    ``exp(-s nu)`` concentrates within ``theta ~ 1/sqrt(s r)`` of ``theta = 0``; near ``lam = 1`` the
    weight ``sin^2 / nu`` varies on the scale ``|1 - r| / sqrt(r)``.
    """
    r = mpmath.sqrt(lam)
    pts = {mpmath.mpf(0), +mp.pi}
    widths = []
    if scale:
        widths.append(1 / mpmath.sqrt(scale * r))
    if r != 1:
        widths.append(abs(1 - r) / mpmath.sqrt(r))
    for w in widths:
        for c in (1, 4, 16, 64):
            if c * w < mp.pi:
                pts.add(c * w)
    return sorted(pts)


def expect(f: Callable, lam, *, scale=None, error: bool = False):
    """``E_{nu ~ MP(lam)}[f(nu)]`` (Eq. 6), atom included, by tanh-sinh quadrature.

    ``f`` maps an ``mpf`` to an ``mpf``.  ``scale`` hints that ``f`` varies like ``exp(-scale nu)``
    (it places breakpoints; it does not change the value).  With ``error=True`` also returns
    mpmath's estimate of the quadrature error of the continuous part.
    """
    lam = positive("lam", lam)
    r = mpmath.sqrt(lam)
    lo = (1 - r) ** 2

    def integrand(theta):
        c, h = mpmath.cos_sin(theta / 2)
        nu = lo + 4 * r * h * h
        # sin^2(theta) / nu with sin^2(theta) = 4 sin^2(theta/2) cos^2(theta/2): no cancellation at lam = 1
        return 2 / mp.pi * (4 * h * h * c * c / nu) * f(nu)

    breaks = _theta_breaks(lam, scale)
    # relative error target: scale by |f| at the breakpoints (the weight sin^2 vanishes at both ends of [0, pi])
    norm = max(abs(f(lo + 4 * r * mpmath.sin(b / 2) ** 2)) for b in breaks)
    value, err = quad_relative(integrand, breaks, magnitude=norm, error=True)
    a = atom(lam)
    if a:
        value += a * f(mpmath.mpf(0))
    return (value, err) if error else value


def resolvent(x, lam):
    """``(E[1/(nu + x)], E[1/(nu + x)^2], E[nu/(nu + x)^2])`` under Eq. (6), atom included, in closed form (``x > 0``).

    The Stieltjes transform ``m = E[1/(nu + x)]`` of the MP law solves ``lam x m^2 + (x + 1 - lam) m - 1 = 0``
    (positive root); differentiating in ``x`` gives ``E[1/(nu + x)^2] = -dm/dx = m (1 + lam m) / S`` with
    ``S = sqrt(b^2 + 4 lam x)``, ``b = x + 1 - lam``, and ``E[nu/(nu + x)^2] = m - x E[1/(nu + x)^2] = m K / (2 S)``
    with ``K = S + c``, ``c = 1 - lam - x`` (``= 4x / (S - c)`` when ``c < 0``, since ``S^2 - c^2 = 4x``).  Each form
    is chosen so that nothing cancels: ``m = 2 / (b + S)`` for ``b >= 0``, ``(S - b) / (2 lam x)`` otherwise (where the
    atom's ``(1 - 1/lam)/x`` dominates).  Evaluated with 10 guard bits.
    """
    lam = positive("lam", lam)
    x = positive("x", x)
    with mp.workprec(mp.prec + 10):
        b = x + 1 - lam
        s = mpmath.sqrt(b * b + 4 * lam * x)
        m = 2 / (b + s) if b >= 0 else (s - b) / (2 * lam * x)
        m2 = m * (1 + lam * m) / s
        c = 1 - lam - x
        k = s + c if c >= 0 else 4 * x / (s - c)
        m_nu = m * k / (2 * s)
    return +m, +m2, +m_nu
