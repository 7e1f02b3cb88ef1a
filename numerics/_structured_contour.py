"""Contour quadrature of the structured-input losses (the machinery of :mod:`numerics.structured`; see its module
docstring for the formulas): the decay variable, the parabola and ellipse plans, and the working-precision and
float64 sums."""

from __future__ import annotations

import functools
import math

import mpmath
import numpy as np
from mpmath import mp

from ._silverstein import (
    StructuredError,
    _exact_moment,
    _FixedQ,
    _mu_float,
    _polish,
    _unique,
    left_edge,
    real_point,
    right_edge,
)
from ._validate import nonnegative, positive
from .spectra import validate_spectrum

# ---------------------------------------------------------------------------------------------------------------
# the setting: decay variable w(y), y = nu + g, and the rational factors of the mode loss
# ---------------------------------------------------------------------------------------------------------------


class _Setting:
    """Mode factor ``c(nu) = e^{-t w}`` with ``y = nu + g``: gradient flow ``w = k y`` or GD ``w = -log(1 - k y)``
    (``k = 2 eta``, ``g = gamma / 2``; module doc).  Holds float64 and working-precision copies."""

    def __init__(self, eta, gamma, dynamics):
        if dynamics not in ("flow", "gd"):
            raise ValueError(f"dynamics must be 'flow' or 'gd', got {dynamics!r}")
        self.gd = dynamics == "gd"
        self.k, self.g = 2 * mpmath.mpf(eta), mpmath.mpf(gamma) / 2
        self.kf, self.gf = float(self.k), float(self.g)

    def w_float(self, y):
        return -math.log1p(-self.kf * y) if self.gd else self.kf * y

    def z_of_w(self, w, exp):
        """``(z, dz/dw)`` at ``w`` (``exp`` is ``numpy.exp`` or ``mpmath.exp``)."""
        k, g = (self.kf, self.gf) if exp is np.exp else (self.k, self.g)
        if self.gd:
            e = exp(-w)
            return (1 - e) / k - g, e / k
        return w / k - g, 1 / k + 0 * w


def _rational_terms(g):
    """``[(m, A0, A1, A2)]``: the mode loss times 2 is ``sum_m c^m (A0 + A1/y + A2/y^2)`` plus ``g^2 / y^2`` (the
    plateau), from ``c^2 + r^2`` with ``r = (c nu + g)/y``, ``nu = y - g``."""
    if g == 0:
        return [(2, 2, 0, 0)]
    return [(2, 2, -2 * g, g * g), (1, 0, 2 * g, -2 * g * g)]


# ---------------------------------------------------------------------------------------------------------------
# contour quadrature
# ---------------------------------------------------------------------------------------------------------------


def _contour(taus, w_lo, w_hi, pole, gd, digits, kappa_frac):
    """Parabola ``w(u) = w_lo - a + a (u^2 + 2 i u)`` in the decay variable, shared by the terms ``e^{-tau w}``,
    ``tau`` in ``taus``, and its trapezoidal plan: returns ``(a, h, K, inside)``, or ``None`` where the ellipse of
    :func:`_ellipse_sum` is used instead.

    ``a = kappa / max(taus)`` balances the cancellation ``e^kappa`` against the node count (the nodes reach far enough
    for the slowest decay ``e^{-min(taus) a u^2}``), with two limits.  GD: the
    integrand is ``2 pi i``-periodic in ``w`` (``z = (1 - e^{-w})/k - g``), so the copies of the support at
    ``Im w = 2 pi`` must stay outside the strip ``|Im u| < 0.8`` used by the plan: ``pi^2/(3.24 a) > W + 3.24 a``,
    ``W = w_hi - w_lo``.  Weight decay: the factors ``1/y, 1/y^2`` have a pole at ``w = 0``, which the line
    ``Im u = v`` meets at ``v = r - 1``, ``r = sqrt(w_lo / a)``: ``a`` is lowered out of ``0.5 < r < 1.5`` and the
    strip narrowed to ``0.8 |r - 1|``; for ``r < 1`` the pole is inside the contour and the caller adds its residue
    (``inside = True``)."""
    big = digits * math.log(10)
    kappa = kappa_frac * big
    a = kappa / max(taus)
    if gd:
        width = w_hi - w_lo
        a = min(a, 0.9 * (math.sqrt(width * width + 4 * math.pi**2) - width) / 6.48)
        if min(taus) * a < 1:  # (1 - k y)^tau hardly decays (tau below a few steps): the ellipse of _ellipse_sum
            return None
    strip, inside = 0.8, False  # half-width of the strip (< 1, the distance to the edge singularity)
    if pole:
        r = math.sqrt(w_lo / a)
        if 0.5 < r < 1.5:
            a, r = w_lo / 2.25, 1.5
        inside = r < 1
        strip = min(strip, 0.8 * abs(r - 1))
    umax = math.sqrt((big + 5) / (min(taus) * a) + 1)
    keff = max(taus) * a
    h = 2 * math.pi * strip / (big + keff * (strip**2 + 2 * strip) + 5)
    k_max = int(math.ceil(umax / h))
    if k_max > 200_000:
        raise StructuredError(f"contour needs {k_max} nodes (taus={taus}, w_lo={w_lo:.3g}, a={a:.3g})")
    return a, h, k_max, inside


def _edges(lam, spectrum, kind):
    """Float64 ``(nu_lo, nu_hi)`` of the measure: ``nu dF`` (train) or ``G`` (gen, ``rate``; down to the atom at 0
    for ``lam > 1``), slightly widened."""
    nu_hi = right_edge(lam, spectrum) * (1 + 1e-9)
    if kind != "train" and lam > 1:
        return 0.0, nu_hi
    return left_edge(lam, spectrum) * (1 - 1e-9), nu_hi


def _stieltjes(kind, z, m, q, mean):
    """``S(z) = int dM(nu)/(nu - z)`` from ``mu(z)`` and ``q(mu)``: ``M = nu dF`` (train: ``mu q``), ``G`` (gen:
    ``-q/z``) or ``nu dG`` (rate: ``mean - q``)."""
    if kind == "train":
        return m * q
    if kind == "gen":
        return -q / z
    return mean - q


def _real_stieltjes(kind, z, lam, spectrum):
    """``(S(z), S'(z))`` at a real ``z < 0`` at the working precision (implicit differentiation of Silverstein's
    equation: ``dmu/dz = 1/z'(mu)``, ``dq/dmu = -q2``)."""
    sig = validate_spectrum(spectrum)
    m, q, q2, zp = _real_point_cached(mpmath.mpf(z), mpmath.mpf(lam), sig.tobytes(), mp.prec)
    if kind == "train":
        return m * q, (q - m * q2) / zp
    return -q / z, q / z**2 + q2 / (z * zp)


@functools.lru_cache(maxsize=64)
def _real_point_cached(z, lam, spectrum_bytes, prec):
    """:func:`numerics._silverstein.real_point` memoised per working precision (a crossing-time search evaluates the
    plateau's Stieltjes values at every step)."""
    with mp.workprec(prec):
        return real_point(z, lam, np.frombuffer(spectrum_bytes, dtype=float))


def _check_gd(st, nu_hi, need_positive=True):
    """GD: every mode factor ``1 - k (nu + g)`` must lie in ``(-1, 1)`` (``ValueError`` naming ``eta``) and, for the
    decay variable ``w = -log(1 - k y)``, be positive (``NotImplementedError``)."""
    if st.gd and not st.kf * (nu_hi + st.gf) < 2:
        raise ValueError(
            f"eta is an unstable GD step for this spectrum: eta/d_out = {st.kf / 2:.6g}, need"
            f" 0 < eta/d_out < 1/(nu_+ + gamma/2) = {1 / (nu_hi + st.gf):.6g}"
            f" (nu_+ = {nu_hi:.6g}, the right edge of the spectrum of Sigma_tr)"
        )
    if need_positive and st.gd and not st.kf * (nu_hi + st.gf) < 1:
        raise NotImplementedError(
            "dynamics='gd' with spectrum= needs every mode factor 1 - 2 eta (nu + gamma/2) positive on the support"
            f" (2 eta (nu_+ + gamma/2) = {st.kf * (nu_hi + st.gf):.4g} >= 1); use a smaller eta or dynamics='flow'"
        )


def _loss_mp(t, lam, spectrum, eta, kind, gamma=0, dynamics="flow", whole_steps=True):
    """``int (c^2 + r^2)/2 dM`` (module doc) at the working precision; ``whole_steps=False`` continues GD to real
    ``t`` (``c = a(nu)^t``, for crossing times)."""
    t = nonnegative("t", t)
    lam = positive("lam", lam)
    eta = positive("eta", eta)
    gamma = nonnegative("gamma", gamma)
    st = _Setting(eta, gamma, dynamics)
    if st.gd and whole_steps and t != int(t):
        raise ValueError(f"t must be a whole number of GD steps with dynamics='gd', got {t}")
    if t == 0:
        with mp.workprec(mp.prec + 20):
            v = _exact_moment(spectrum, 2 if kind == "rate" else 1)
        return +v
    sig, w = _unique(spectrum)
    nu_lo, nu_hi = _edges(float(lam), spectrum, kind)
    _check_gd(st, nu_hi)
    w_lo, w_hi = st.w_float(nu_lo + st.gf), st.w_float(nu_hi + st.gf)
    # guard digits: cancellation e^kappa (kappa = digits ln10 / 4), the algebraic prefactor of e^{-s nu_lo}, and
    # the size of the contour (|z| ~ kappa / s) for small s
    s = 4 * float(eta) * float(t)
    extra = 1.5 * math.log10(1 + s * float(np.max(sig))) + math.log10(1 + 100 / s) + 12
    digits = int(math.ceil((mp.dps + extra) / 0.75))
    with mp.workdps(digits + 5):
        mean = _exact_moment(spectrum)
        total = mpmath.mpf(0)
        if st.g > 0:
            s0, s1 = _real_stieltjes(kind, -st.g, lam, spectrum)
            total += st.g**2 * s1  # the plateau, int g^2/y^2 dM
        terms = [(mult * t, coeffs) for mult, *coeffs in _rational_terms(st.g)]
        plan = _contour([float(tau) for tau, _ in terms], w_lo, w_hi, st.g > 0, st.gd, digits, 0.25)
        if plan is None:
            for tau, coeffs in terms:
                total += _ellipse_sum(tau, coeffs, st, kind, lam, spectrum, (nu_lo, nu_hi), digits, mean)
        else:
            total += _contour_sum(plan, terms, w_lo, st, kind, lam, spectrum, sig, w, mean)
        if plan is None or plan[3]:  # residue of e^{-tau w} (A1/y + A2/y^2) S at y = 0 (dw/dy = k there)
            total += sum(a1 * s0 + a2 * (s1 - tau * st.k * s0) for tau, (_, a1, a2) in terms)
        v = total / 2
    return +v


def _parabola(plan, w_lo, st, sig, w, lam):
    """Float64 nodes of the parabola of ``plan``, far end first: ``(u, z, dz/dw, mu, z'(mu))``, the roots ``mu``
    tracked by :func:`numerics._silverstein._mu_float` (real at the crossing ``u = 0``).  Raises
    :class:`StructuredError` unless the crossing lies in a gap left of the support (``z'(mu) > 0`` there)."""
    a, h, k_max, _ = plan
    u = h * np.arange(k_max, -1, -1, dtype=float)
    zs, dz = st.z_of_w((w_lo - a) + a * (u**2 + 2j * u), np.exp)
    ms = np.array(_mu_float(zs, sig, w, float(lam)))
    ms[-1] = ms[-1].real
    fps = 1 / ms**2 - float(lam) * ((sig / (1 + np.outer(ms, sig))) ** 2) @ w
    if not fps[-1].real > 0:
        raise StructuredError(f"contour crossing z={zs[-1]} is not left of the support (z'(mu) = {fps[-1]})")
    return u, zs, dz, ms, fps


def _contour_sum(plan, terms, w_lo, st, kind, lam, spectrum, sig, w, mean):
    """Trapezoidal sums of ``(1/pi) Im int e^{-tau w} R(y) S(z) dz`` on the parabola of ``plan``, one per
    ``(tau, (A0, A1, A2))`` in ``terms`` (``R = A0 + A1/y + A2/y^2``), added (working precision; the roots ``mu``
    are tracked in float64 and polished once for all terms)."""
    a_f, h, k_max, _ = plan
    _, _, _, ms_f, fps = _parabola(plan, w_lo, st, sig, w, lam)
    fq = _FixedQ(spectrum, mp.prec)
    tol = mpmath.mpf(2) ** (-mp.prec + 12)
    a = mpmath.mpf(a_f)
    c = mpmath.mpf(w_lo) - a
    hm = mpmath.mpf(h)
    totals = [mpmath.mpc(0) for _ in terms]
    for k_idx, m_f, fp in zip(range(k_max, -1, -1), ms_f, fps, strict=True):
        uk = k_idx * hm
        wk = c + a * mpmath.mpc(uk * uk, 2 * uk) if k_idx else c
        z, dz = st.z_of_w(wk, mpmath.exp)
        m, q = _polish(z, m_f, fq, lam, tol, fp)
        y = z + st.g
        common = _stieltjes(kind, z, m, q, mean) * dz * a * mpmath.mpc(2 * uk, 2) / (2 if k_idx == 0 else 1)
        phase = mpmath.mpc(uk * uk - 1, 2 * uk)
        for j, (tau, (a0, a1, a2)) in enumerate(terms):
            r = a0 + (a1 + a2 / y) / y if st.g > 0 else a0
            # e^{-tau w} = e^{-tau w_lo} e^{-tau a (u^2 + 2 i u - 1)}
            totals[j] += mpmath.exp(-tau * a * phase) * r * common
    return mpmath.fsum(
        hm / mp.pi * tot.imag * mpmath.exp(-tau * mpmath.mpf(w_lo)) for tot, (tau, _) in zip(totals, terms, strict=True)
    )


def _ellipse_sum(tau, coeffs, st, kind, lam, spectrum, edges, digits, mean):
    """GD with small ``tau``: ``-(1/2 pi i) oint (1 - k y)^tau R(y) S(z) dz`` on the Bernstein ellipse of the focal
    segment ``[A, B] = [min(nu_lo, -g), nu_+]`` (support, atom and the pole ``y = 0`` on it; the pole's residue is
    added by the caller) through ``rho = sqrt(rho*)``, ``rho*`` the ellipse parameter of the branch point
    ``z* = 1/k - g``: the trapezoidal error is ``~ 2 rho*^{-N/2}``.  ``digits=None``: float64."""
    nu_lo, nu_hi = edges
    lo, hi = min(nu_lo, -st.gf), nu_hi
    center, half = (lo + hi) / 2, (hi - lo) / 2
    x = (1 / st.kf - st.gf - center) / half
    rho_out = x + math.sqrt(x * x - 1)
    n = 2 * int(math.ceil((2 * (digits or 16) * math.log(10) + 10) / math.log(rho_out) / 2))
    if n > 100_000:
        raise StructuredError(f"ellipse needs {n} nodes (2 eta nu_+ too close to 1)")
    rho = math.sqrt(rho_out)
    th = math.pi / 2 + 2 * math.pi * np.arange(n) / n  # from the top, counter-clockwise
    zs_f = center + half * (rho * np.exp(1j * th) + np.exp(-1j * th) / rho) / 2
    sig, w = _unique(spectrum)
    ms_f = np.array(_mu_float(zs_f, sig, w, float(lam)))
    a0, a1, a2 = coeffs
    if digits is None:
        qs = (w * sig) @ (1 / (1 + np.outer(sig, ms_f)))
        dz = half * 1j * (rho * np.exp(1j * th) - np.exp(-1j * th) / rho) / 2
        y = zs_f + st.gf
        r = a0 + (a1 + a2 / y) / y if st.gf > 0 else a0
        f = np.exp(tau * np.log(1 - st.kf * y))
        return float((-(f * r * _stieltjes(kind, zs_f, ms_f, qs, None) * dz).sum() / (1j * n)).real)
    fq = _FixedQ(spectrum, mp.prec)
    tol = mpmath.mpf(2) ** (-mp.prec + 12)
    center, half, rho = (lo + hi) / mpmath.mpf(2), (hi - lo) / mpmath.mpf(2), mpmath.sqrt(rho_out)
    total = mpmath.mpc(0)
    for j, m_f in enumerate(ms_f):
        e = mpmath.expjpi(mpmath.mpf(1) / 2 + mpmath.mpf(2 * j) / n)
        z = center + half * (rho * e + 1 / (rho * e)) / 2
        fp = 1 / m_f**2 - float(lam) * np.dot(w, (sig / (1 + sig * m_f)) ** 2)
        m, q = _polish(z, m_f, fq, lam, tol, fp)
        y = z + st.g
        r = a0 + (a1 + a2 / y) / y if st.g > 0 else a0
        dz = half * 1j * (rho * e - 1 / (rho * e)) / 2
        total += mpmath.exp(tau * mpmath.log(1 - st.k * y)) * r * _stieltjes(kind, z, m, q, mean) * dz
    return (-total / (1j * n)).real


def _loss_float(t, lam, spectrum, st, kind, cache):
    """Float64 version of :func:`_loss_mp` (about 10 digits); ``cache`` keeps per-kind edges and plateaus."""
    if t == 0:
        return float(np.mean(validate_spectrum(spectrum)))
    if kind not in cache:
        nu_lo, nu_hi = _edges(lam, spectrum, kind)
        _check_gd(st, nu_hi)
        plateau = 0.0
        s0 = s1 = 0.0
        if st.gf > 0:
            with mp.workdps(20):
                s0, s1 = (float(v) for v in _real_stieltjes(kind, -st.g, lam, spectrum))
            plateau = st.gf**2 * s1
        cache[kind] = (st.w_float(nu_lo + st.gf), st.w_float(nu_hi + st.gf), plateau, s0, s1, (nu_lo, nu_hi))
    w_lo, w_hi, total, s0, s1, edges = cache[kind]
    sig, w = cache.setdefault("spectrum", _unique(spectrum))
    terms = [(mult * t, coeffs) for mult, *coeffs in _rational_terms(st.gf)]
    plan = _contour([tau for tau, _ in terms], w_lo, w_hi, st.gf > 0, st.gd, 12, 0.15)
    if plan is None:
        for tau, (a0, a1, a2) in terms:
            total += _ellipse_sum(tau, (a0, a1, a2), st, kind, lam, spectrum, edges, None, None)
            total += a1 * s0 + a2 * (s1 - tau * st.kf * s0)
        return total / 2
    a, h, k_max, inside = plan
    u, zs, dz, ms, _ = _parabola(plan, w_lo, st, sig, w, lam)
    qs = (w * sig) @ (1 / (1 + np.outer(sig, ms)))
    y = zs + st.gf
    common = _stieltjes(kind, zs, ms, qs, None) * dz * a * (2 * u + 2j)
    common[-1] /= 2
    for tau, (a0, a1, a2) in terms:
        r = a0 + (a1 + a2 / y) / y if st.gf > 0 else a0
        total += h / math.pi * (np.exp(-tau * a * (u**2 + 2j * u - 1)) * r * common).sum().imag * math.exp(-tau * w_lo)
        if inside:
            total += a1 * s0 + a2 * (s1 - tau * st.kf * s0)
    return total / 2
