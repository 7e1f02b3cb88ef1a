"""Closed form of the generalisation loss of Eq. (8) through the Marcum Q-function (``gamma = 0``, gradient flow).

The paper (below Eq. 9) "could not find a closed form expression for L_gen".  There is one.  With
``s = 4 eta t / d_out``, ``a = 1 + lam``, ``b = 2 sqrt(lam)`` and the substitution ``nu = a + b cos(theta)`` of
the Marchenko–Pastur law (Eq. 6), ``p(nu) dnu = b^2 sin^2(theta) / (2 pi lam nu) dtheta`` and
``b^2 sin^2(theta) / nu = 2a - nu - (1 - lam)^2 / nu``.  The first two terms integrate to Bessel functions
(``(1/pi) int_0^pi exp(-z cos theta) dtheta = I_0(z)``); the last, by the Fourier series
``1/(a + b cos theta) = (1/|1 - lam|) (1 + 2 sum_n (-rho)^n cos(n theta))``, ``rho = min(1, lam)/sqrt(lam)``, and
the Jacobi–Anger expansion, to a Neumann series ``sum_n rho^n I_n(z)``, which is the Marcum Q-function
``Q_1(alpha, beta) = exp(-(alpha^2 + beta^2)/2) sum_{n >= 0} (alpha/beta)^n I_n(alpha beta)``.  Altogether

    d_out L_gen = (1 - 1/lam)^+ + exp(-s (1 + lam)) [ (max(1, lam)/lam) I_0(z) + I_1(z)/sqrt(lam) ]
                  - (|1 - lam| / lam) Q_1( sqrt(2 s min(1, lam)), sqrt(2 s max(1, lam)) ),    z = 2 s sqrt(lam),

and, from the same Bessel functions, ``d_out L_tr = exp(-s (1 + lam)) I_1(z) / (s sqrt(lam))`` (Eq. 9).  At
``lam = 1`` the Q-term drops out: ``L_gen = exp(-2 s) (I_0(2 s) + I_1(2 s))``.  The derivation is checked by the
claim ``gen-loss-marcum`` of :mod:`derivations.claims.marcum`, which proves the result with SymPy by another route
(the closed form and the MP integral solve the same initial-value problem, ``C' = -Eq. 9``, ``C(0) = 1``) and
compares its values with quadrature.

All three functions ``exp(-z) I_n(z)`` and the Neumann sum come from one backward (Miller) recurrence for
``I_n(z)``, normalised by ``I_0 + 2 sum_{n >= 1} I_n = exp(z)``: a few hundred multiplications instead of an
adaptive quadrature.
"""

from __future__ import annotations

import mpmath
from mpmath import mp

__all__ = ["bessel_neumann", "gen_loss_closed", "marcum_q1", "train_loss_closed"]


def _start_index(z, bits: int) -> int:
    """Backward-recurrence start ``M`` with ``I_M(z) / I_0(z) < 2^-bits`` (``~exp(-M^2 / 2z)`` for ``M < z``,
    ``~(z/2)^M / M!`` beyond), which also bounds the admixture ``exp(-M^2/z)`` of the ``K_n`` solution."""
    L = (bits + 10) * mpmath.ln(2)
    return int(mpmath.sqrt(2 * z * L) + L) + 10


def bessel_neumann(z, rho, *, terms: int | None = None):
    """``(exp(-z) I_0(z), exp(-z) I_1(z), exp(-z) sum_{n>=0} rho^n I_n(z))`` for ``z > 0``, ``0 <= rho <= 1``.

    Miller's backward recurrence ``f_{n-1} = (2n/z) f_n + f_{n+1}`` from ``n = terms`` (default: enough for the
    working precision) with the Neumann sum accumulated by Horner's rule, normalised by ``exp(z)``.
    """
    z, rho = mpmath.mpf(z), mpmath.mpf(rho)
    if not z > 0 or not 0 <= rho <= 1:
        raise ValueError(f"bessel_neumann needs z > 0 and 0 <= rho <= 1, got z={z}, rho={rho}")
    m = _start_index(z, mp.prec) if terms is None else int(terms)
    f_next, f = mpmath.mpf(0), mpmath.mpf(1)  # f_{m+1}, f_m
    norm = mpmath.mpf(0)
    horner = mpmath.mpf(0)
    two_over_z = 2 / z
    for n in range(m, 0, -1):
        norm += 2 * f
        horner = f + rho * horner
        f, f_next = n * two_over_z * f + f_next, f  # f_{n-1}, f_n
    norm += f
    horner = f + rho * horner
    return f / norm, f_next / norm, horner / norm


def marcum_q1(alpha, beta):
    """Marcum Q-function ``Q_1(alpha, beta) = int_beta^inf x exp(-(x^2 + alpha^2)/2) I_0(alpha x) dx`` for
    ``0 <= alpha <= beta`` (the branch the losses need), via its Neumann series."""
    alpha, beta = mpmath.mpf(alpha), mpmath.mpf(beta)
    if not 0 <= alpha <= beta:
        raise ValueError(f"marcum_q1 is implemented for 0 <= alpha <= beta, got alpha={alpha}, beta={beta}")
    if alpha == 0:
        return mpmath.exp(-beta * beta / 2)
    with mp.workprec(mp.prec + 10):
        _, _, s = bessel_neumann(alpha * beta, alpha / beta)
        v = mpmath.exp(-((alpha - beta) ** 2) / 2) * s
    return +v


def _guard_bits(s) -> int:
    # the three terms of L_gen are each ~ s^(-1/2) exp(-s lam_-) while their sum is ~ s^(-3/2) exp(-s lam_-)
    return 20 + 2 * int(mpmath.log(1 + abs(s), 2))


def gen_loss_closed(s, lam):
    """``d_out L_gen`` as a function of ``s = 4 eta t / d_out`` (module docstring; ``gamma = 0``, gradient flow)."""
    s, lam = mpmath.mpf(s), mpmath.mpf(lam)
    atom = max(mpmath.mpf(0), 1 - 1 / lam)
    if s == 0:
        return mpmath.mpf(1)
    with mp.workprec(mp.prec + _guard_bits(s)):
        r = mpmath.sqrt(lam)
        lo, hi = min(1, lam), max(1, lam)
        i0, i1, q = bessel_neumann(2 * s * r, lo / r)
        v = atom + mpmath.exp(-s * (1 - r) ** 2) * (hi / lam * i0 + i1 / r - abs(1 - lam) / lam * q)
    return +v


def train_loss_closed(s, lam):
    """``d_out L_tr = exp(-s (1 + lam)) I_1(2 s sqrt(lam)) / (s sqrt(lam))`` (Eq. 9 in Bessel form), ``s > 0``."""
    s, lam = mpmath.mpf(s), mpmath.mpf(lam)
    if s == 0:
        return mpmath.mpf(1)
    with mp.workprec(mp.prec + 20):
        r = mpmath.sqrt(lam)
        _, i1, _ = bessel_neumann(2 * s * r, 0)
        v = mpmath.exp(-s * (1 - r) ** 2) * i1 / (s * r)
    return +v
