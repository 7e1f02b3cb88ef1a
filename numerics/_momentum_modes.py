"""One eigenmode of heavy-ball / Nesterov momentum (:mod:`numerics.momentum`, whose docstring has the derivation):
the two-term recurrence, its factored discriminant, the closed form ``x_t`` at the working precision (``_mode``,
``_x``) and in float64 (``_modes_np``, ``_x_scaled_np``), the public :func:`mode_factor`,
:func:`mode_factors_float`, :func:`step_bound`, :func:`continuation_bound`, and the per-mode decay rate and bound
on ``|x_t|`` that place and skip the quadrature panels of :mod:`numerics._momentum_average`.
"""

from __future__ import annotations

import math

import mpmath
import numpy as np
from mpmath import mp

from ._validate import momentum_value, nonnegative, real


class MomentumQuadratureError(ArithmeticError):
    """The quadrature of the momentum losses did not converge (or would need too many panels)."""


# ---------------------------------------------------------------------------------------------------------------
# one mode
# ---------------------------------------------------------------------------------------------------------------


def recurrence(h, beta, nesterov=False):
    """``(p, q, x_1)`` of the mode recurrence ``x_{t+1} = p x_t - q x_{t-1}``, ``x_0 = 1``
    (:mod:`numerics.momentum`)."""
    if nesterov:
        p, q = (1 + beta) * (1 - h), beta * (1 - h)
    else:
        p, q = 1 + beta - h, beta
    return p, q, p - beta


def _disc(h, beta, nesterov):
    """``(p^2 - 4 q, p - 2 beta)`` in factored form (no cancellation away from the critical points)."""
    if nesterov:
        h1 = ((1 - beta) / (1 + beta)) ** 2
        return (1 + beta) ** 2 * (1 - h) * (h1 - h), (1 - beta) - (1 + beta) * h
    sb = mpmath.sqrt(beta) if isinstance(beta, mpmath.mpf) else math.sqrt(beta)
    h1 = ((1 - beta) / (1 + sb)) ** 2
    return (h - h1) * (h - (1 + sb) ** 2), 1 - beta - h


def _mode(h, beta, nesterov):
    """t-independent data of ``x_t`` for one mode, at the working precision (``h``, ``beta`` as ``mpf``)."""
    p, q, x1 = recurrence(h, beta, nesterov)
    if beta == 0 or q == 0:  # x_t = H_t with z_2 = 0 (GD), or Nesterov at h = 1 (x_1 = -beta, then 0)
        if q == 0 and beta != 0:
            return ("int2", mpmath.mpf(0), x1)
        a = 1 - h
        if a > 0:
            return ("pow", mpmath.log1p(-h))
        return ("intpow", a)
    disc, pm2b = _disc(h, beta, nesterov)
    if disc < 0:
        s = mpmath.sqrt(-disc)
        # 2 rho R / s = R / sin(theta), rho R = sqrt(beta h) (heavy ball: rho = sqrt(beta), R = sqrt(h); Nesterov:
        # rho = sqrt(beta (1 - h)), R = sqrt(beta h / (1 - h)), so rho R = beta sqrt(h))
        rho_r = mpmath.sqrt(beta * h) if not nesterov else beta * mpmath.sqrt(h)
        return ("osc", mpmath.log(q) / 2, mpmath.atan2(s, p), mpmath.atan2(s, pm2b), 2 * rho_r / s)
    if q > 0 and p > 0:
        rho = mpmath.sqrt(q)
        if disc == 0:
            return ("crit", mpmath.log(rho), 1 - beta / rho)
        s = mpmath.sqrt(disc)
        z1 = (p + s) / 2
        phi = mpmath.asinh(s / (2 * rho))
        # e^{-2 phi} = z_2 / z_1, so expm1(-2 phi) = -s / z_1 exactly
        # log z_1 to absolute accuracy (its error enters as t * error, covered by the guard bits of _guard)
        return ("over", mpmath.log(z1), phi, (pm2b + s) / (2 * z1), -s / z1)
    # roots with negative real part (or of opposite signs): whole t only
    if disc == 0:
        return ("int2", p / 2, x1 - p / 2)
    s = mpmath.sqrt(disc)
    z1, z2 = (p + s) / 2, (p - s) / 2
    return ("int", z1, z2, (x1 - z2) / s, (z1 - x1) / s)


def _expm1(x):
    """``e^x - 1`` (``mpmath.expm1`` only where the difference cancels: it is 4x slower than ``exp``)."""
    if abs(x) < 0.25:
        return mpmath.expm1(x)
    return mpmath.exp(x) - 1


def _whole(t):
    n = int(t)
    if n != t:
        raise ValueError("this mode has roots with negative real part: x_t is defined at whole t only")
    return n


def _x(mode, t, deriv=False):
    """``(x_t, dx_t/dt)`` of one mode (the derivative of the continuation in ``t``; ``None`` unless ``deriv``)."""
    kind = mode[0]
    if kind == "pow":
        lz = mode[1]
        x = mpmath.exp(t * lz)
        return x, (lz * x if deriv else None)
    if kind == "over":
        _, lz1, phi, c, em = mode
        z1t = mpmath.exp(t * lz1)
        e2 = _expm1(-2 * phi * t)
        x = z1t * (c * e2 / em + e2 + 1)
        if not deriv:
            return x, None
        return x, lz1 * x - 2 * phi * z1t * (e2 + 1) * (c / em + 1)
    if kind == "osc":
        _, lrho, theta, psi, amp = mode
        rt = mpmath.exp(t * lrho) * amp
        cos_, sin_ = mpmath.cos_sin(t * theta + psi)
        x = rt * sin_
        return x, ((lrho * x + rt * theta * cos_) if deriv else None)
    if kind == "crit":
        _, lz, c = mode
        zt = mpmath.exp(t * lz)
        x = zt * (1 + c * t)
        return x, ((lz * x + zt * c) if deriv else None)
    if deriv:
        raise ValueError("this mode has roots with negative real part: no continuation in t")
    n = _whole(t)
    if kind == "intpow":
        return mode[1] ** n, None
    if kind == "int2":  # double root z: x_t = z^t + t z^(t-1) (x_1 - z)
        _, z, d = mode
        if n == 0:
            return mpmath.mpf(1), None
        return z**n + n * z ** (n - 1) * d, None
    _, z1, z2, a1, a2 = mode
    return a1 * z1**n + a2 * z2**n, None


def _guard(t) -> int:
    """Guard bits for ``x_t``: the phase ``t theta`` and the exponent ``t log rho`` magnify relative errors ~t, the
    near-critical forms ~t^2."""
    return 16 + 2 * max(1, int(t) + 2).bit_length()


def mode_factor(t, h, *, momentum, nesterov=False):
    """``x_t`` of one mode (:mod:`numerics.momentum`): ``D_t - D_inf = x_t (D_0 - D_inf)`` for the mode with
    ``h = (eta/d_out)(2 nu + gamma)`` after ``t`` steps of heavy-ball (``nesterov=False``) or Nesterov momentum
    ``momentum`` (PyTorch's convention, Eq. 3's loss).  ``t``: a whole number of steps, or a real ``t >= 0`` where
    the continuation exists (both roots with non-negative real part).  ``h`` must be ``>= 0``."""
    t = nonnegative("t", t)
    h = real("h", h, low=0, low_open=False)
    beta = momentum_value(momentum)
    nesterov = _flag(nesterov)
    with mp.workprec(mp.prec + _guard(t)):
        m = _mode(h, beta, nesterov)
        if m[0] in ("int", "int2", "intpow") and t != int(t):
            raise ValueError(f"t must be a whole number of steps for h={mpmath.nstr(h, 6)} (no continuation), got {t}")
        v = _x(m, t)[0]
    return +v


def step_bound(momentum, *, nesterov=False):
    """The supremum of stable ``h = (eta/d_out)(2 nu + gamma)``: ``2 (1 + beta)`` (heavy ball) or
    ``2 (1 + beta)/(1 + 2 beta)`` (Nesterov), both 2 at ``beta = 0`` (GD)."""
    beta = momentum_value(momentum)
    return 2 * (1 + beta) / (1 + 2 * beta) if _flag(nesterov) else 2 * (1 + beta)


def continuation_bound(momentum, *, nesterov=False):
    """The largest ``h`` for which the roots have non-negative real part (``p >= 0``), so that ``x_t`` has the
    real-``t`` continuation :func:`numerics.grokking_time` needs: ``1 + beta`` (heavy ball) or ``1`` (Nesterov); 1
    for GD, where ``(1 - h)^t`` needs ``h <= 1``."""
    beta = momentum_value(momentum)
    return mpmath.mpf(1) if _flag(nesterov) else 1 + beta


def _flag(nesterov) -> bool:
    if not isinstance(nesterov, bool | np.bool_):
        raise ValueError(f"nesterov must be True or False, got {nesterov!r}")
    return bool(nesterov)


# ---------------------------------------------------------------------------------------------------------------
# float64 mode data
# ---------------------------------------------------------------------------------------------------------------


def _kappa_f(h: float, beta: float, nesterov: bool) -> float:
    """``-log`` of the largest root modulus (decay per step of ``|x_t|``), float64."""
    if nesterov:
        p, q = (1 + beta) * (1 - h), beta * (1 - h)
    else:
        p, q = 1 + beta - h, beta
    if beta == 0 or q == 0:
        m = abs(p)
        return -math.log1p(-h) if 0 <= h < 1 else (math.inf if m == 0 else -math.log(m))
    disc, _ = _disc(h, beta, nesterov)
    if disc < 0:
        return -0.5 * math.log(q)
    s = math.sqrt(disc)
    if q > 0 and p > 0:
        z1 = (p + s) / 2
        return -math.log1p(-h / (1 - q / z1))
    m = max(abs(p + s), abs(p - s)) / 2
    return math.inf if m == 0 else -math.log(m)


def _log_xbound(t: float, kappa: float, beta: float) -> float:
    """``log`` of ``m^t (2 + pi t) + beta (t + 1) m^(t-1) (1 + pi/2)``, ``m = e^-kappa``: a bound on ``|x_t|`` on a
    panel whose smallest decay rate is ``kappa`` (:mod:`numerics.momentum`; for whole ``t`` and the
    continuation)."""
    if t == 0:
        return 0.0
    if kappa == math.inf:
        return -math.inf if t > 1 else math.log(beta + 1e-300)
    a = math.log(2 + math.pi * t) - kappa * t
    if beta == 0:
        return a
    b = math.log(beta * (t + 1) * (1 + math.pi / 2)) - kappa * (t - 1)
    return max(a, b) + math.log1p(math.exp(-abs(a - b)))


def _modes_np(h, beta, nesterov):
    """Vectorised float64 version of :func:`_mode` for continuable modes: kind codes 0 pow, 1 over, 2 osc, 3 crit,
    4 whole-t only; parameter columns ``(lz, phi or theta, c or psi, em or amp)``; ``kappa``."""
    h = np.asarray(h, dtype=float)
    n = h.shape
    kind = np.full(n, 4)
    c1, c2, c3, c4 = (np.zeros(n) for _ in range(4))
    if nesterov:
        p, q = (1 + beta) * (1 - h), beta * (1 - h)
    else:
        p, q = 1 + beta - h, np.full(n, beta)
    with np.errstate(all="ignore"):
        if beta == 0:
            m = h < 1
            kind[m], c1[m] = 0, np.log1p(-h[m])
            kap = np.where(m, -c1, -np.log(np.abs(1 - h)))
            return kind, c1, c2, c3, c4, kap, p, q
        disc, pm2b = _disc(h, beta, nesterov)
        osc = disc < 0
        s = np.sqrt(np.abs(disc))
        rho = np.sqrt(np.abs(q))
        r2 = h if not nesterov else beta * h / (1 - h)
        kind[osc] = 2
        c1[osc] = 0.5 * np.log(q[osc])
        c2[osc] = np.arctan2(s[osc], p[osc])
        c3[osc] = np.arctan2(s[osc], pm2b[osc])
        c4[osc] = 2 * rho[osc] * np.sqrt(r2[osc]) / s[osc]
        over = (~osc) & (q > 0) & (p > 0) & (disc > 0)
        z1 = (p + s) / 2
        z2 = q / z1
        phi = np.arcsinh(s / (2 * rho))
        kind[over] = 1
        c1[over] = np.log1p(-h[over] / (1 - z2[over]))
        c2[over] = phi[over]
        c3[over] = (pm2b[over] + s[over]) / (2 * z1[over])
        c4[over] = np.expm1(-2 * phi[over])
        crit = (~osc) & (q > 0) & (p > 0) & (disc == 0)
        kind[crit] = 3
        c1[crit] = np.log(rho[crit])
        c3[crit] = 1 - beta / rho[crit]
        mmax = np.maximum(np.abs(p + s), np.abs(p - s)) / 2
        kap = np.where(osc, -c1, np.where(over | crit, -c1, -np.log(mmax)))
    return kind, c1, c2, c3, c4, kap, p, q


def _x_scaled_np(modes, t, shift):
    """``x_t e^{shift t}`` for the continuable modes (``shift <= kappa``), float64, ``t`` broadcast as ``(T, 1)``."""
    kind, c1, c2, c3, c4 = modes[:5]
    t = np.asarray(t, dtype=float)[:, None]
    with np.errstate(all="ignore"):
        base = np.exp(t * (c1 + shift))
        e2 = np.expm1(-2 * c2 * t)
        over = base * (c3 * e2 / np.where(c4 == 0, 1, c4) + e2 + 1)
        osc = base * c4 * np.sin(t * c2 + c3)
        crit = base * (1 + c3 * t)
        x = np.select([kind == 0, kind == 1, kind == 2, kind == 3], [base, over, osc, crit], np.nan)
    return x


def mode_factors_float(ts, h, *, momentum, nesterov=False):
    """``x_t`` (:mod:`numerics.momentum`) for whole steps ``ts`` and modes ``h`` in float64, shape
    ``(len(ts), len(h))``: the closed forms of :func:`mode_factor` (two real roots ``A_1 z_1^t + A_2 z_2^t`` for
    roots with negative real part).  For finite-size predictions: a run's ``D_t - D_inf`` is
    ``V diag(x_t(h_i)) V^T (D_0 - D_inf)`` in the eigenbasis ``V`` of its ``Sigma_tr`` (claim
    ``finite-size-representation``)."""
    beta = float(momentum_value(momentum))
    nesterov = _flag(nesterov)
    ts = np.atleast_1d(np.asarray(ts, dtype=float))
    if np.any(ts < 0) or np.any(ts != np.round(ts)):
        raise ValueError("ts must be whole numbers of steps >= 0")
    h = np.atleast_1d(np.asarray(h, dtype=float))
    if np.any(h < 0) or not np.all(np.isfinite(h)):
        raise ValueError("h must be finite and >= 0")
    modes = _modes_np(h, beta, nesterov)
    x = _x_scaled_np(modes, ts, 0.0)
    bad = modes[0] == 4
    if np.any(bad):
        p, q = modes[6][bad], modes[7][bad]
        t = ts[:, None]
        with np.errstate(all="ignore"):
            s = np.sqrt(np.maximum(p * p - 4 * q, 0.0))
            z1, z2 = (p + s) / 2, (p - s) / 2
            x1 = p - beta
            two = ((x1 - z2) * z1**t + (z1 - x1) * z2**t) / np.where(s == 0, 1, s)
            dbl = z1**t + t * np.where(t > 0, z1 ** (t - 1), 0.0) * (x1 - z1)
        x[:, bad] = np.where(s == 0, dbl, two)
    return x
