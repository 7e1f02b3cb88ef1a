"""Train and generalisation losses for structured inputs ``x ~ N(0, Sigma)`` in the proportional limit.

Setting (issue 13): ``Sigma`` has the population spectrum ``sigma_k`` (equal weights, :mod:`numerics.spectra`),
``lam = d / N``, ``Sigma_tr = (1/N) sum_i x_i x_i^T``, one output (``d_out`` enters through
:func:`numerics.train_loss` by Eq. 13's rescaling), isotropic teacher and student initialisation
(``S_0, T`` iid ``N(0, 1/(2d))``), and Eq. (3)'s update with weight decay ``gamma``: each eigenmode ``nu`` of
``Sigma_tr`` has the factor ``c(nu) = e^{-2 eta (nu + g) t}`` (gradient flow) or ``(1 - 2 eta (nu + g))^t`` (GD),
``g = gamma/2``, towards ``r(nu) = (c nu + g)/(nu + g)`` of the teacher (as :mod:`numerics.losses`).  Averaging
over the initialisation, ``E[D D^T] = h(Sigma_tr)/d`` with ``h = (c^2 + r^2)/2``, so

    L_tr(t) = (1/d) tr(Sigma_tr h(Sigma_tr)) -> int nu h(nu) dF(nu),
    L_gen(t) = (1/d) tr(Sigma h(Sigma_tr))   -> int h(nu) dG(nu),

``F`` the generalised Marchenko–Pastur law of ``Sigma_tr`` and ``G`` its ``Sigma``-weighted version (the limit of
``(1/d) sum_i (v_i^T Sigma v_i) delta(nu - nu_i)``).  For ``gamma = 0`` under gradient flow, ``h = e^{-s nu}``,
``s = 4 eta t``.  With ``y = nu + g``, ``2h = c^2 (2 - 2g/y + g^2/y^2) + 2c (g/y - g^2/y^2) + g^2/y^2``: decaying
exponentials times rational functions with a pole at ``nu = -g``, left of the support, plus the plateau
``int g^2/(2 y^2) dM = (g^2/2) S'(-g)`` (:func:`loss_limit`).

Resolvents.  The companion Stieltjes transform ``mu(z)`` (of the ``N x N`` matrix ``Z^T Sigma Z / N``) solves
Silverstein's equation, explicit in its inverse,

    z(mu) = -1/mu + lam q(mu),   q(mu) = (1/d) sum_k sigma_k / (1 + sigma_k mu),

and the deterministic equivalent ``(Sigma_tr - z)^{-1} ~ -(1/z)(I + mu Sigma)^{-1}`` (Bai & Silverstein,
*Spectral Analysis of Large Dimensional Random Matrices*, Thm 4.3 / Silverstein 1995; Couillet & Liao, *Random Matrix
Methods for Machine Learning*, Thm 2.6 with ``1 - lam - lam z m = -z mu``) gives

    m(z) = (1/d) tr(Sigma_tr - z)^{-1}           -> -(1/z)(1/d) sum_k 1/(1 + sigma_k mu),
    g(z) = (1/d) tr Sigma (Sigma_tr - z)^{-1}    -> -(1/z) q(mu),
    S_tr(z) = int nu dF(nu)/(nu - z) = 1 + z m   -> mu q(mu).

For ``sigma_k = 1``, ``mu`` solves ``lam z mu^2 + (z + lam - 1) mu + 1 = 0`` and these reduce to the MP law (Eq. 6).
For ``lam > 1`` the atom of ``G`` at 0 is ``q(mu_0)``, ``mu_0 > 0`` the root of ``z(mu_0) = 0`` (``1 - 1/lam`` in
the isotropic case); ``S_tr`` has no atom.

Evaluation (``gamma = 0``, flow; the general case below).  ``int f dmu = (1/pi) Im int_0^inf f(z(u)) S(z(u)) z'(u)
du`` on the parabola
``z(u) = c + a (u^2 + 2 i u)`` that crosses the real axis once, at ``c`` left of the support, and encloses it
(``f = e^{-s z}`` decays along it; the paper's Laplace-transform structure).  With ``a = kappa / s`` and
``c = nu_lo - a`` (``nu_lo`` the left edge of the measure: the MP-type edge of ``F``, or 0 for ``G`` when
``lam > 1``), the integrand is analytic in the strip ``|Im u| < 1`` of the ``u`` plane, so the trapezoidal rule
converges geometrically (Weideman & Trefethen, Math. Comp. 76 (2007)); ``kappa`` trades cancellation
(``e^{kappa}``, absorbed by guard digits) against the number of nodes.  At every node ``mu`` is found by Newton's
method on ``z(mu) - z`` (float64 continuation from far away in the upper half plane, keeping ``Im mu > 0``, then
polished at the working precision); every root's residual is checked.

General case.  The parabola lives in the decay variable ``w``, ``c = e^{-t w}``: ``w = 2 eta y`` (flow) or
``w = -log(1 - 2 eta y)`` (GD, which needs every factor ``1 - 2 eta y`` positive on the support), mapped back by
``z = (1 - e^{-w})/(2 eta) - g`` (:func:`_contour` for the limits on ``a``: the ``2 pi i``-periodic copies of the
support under GD, the pole at ``y = 0`` whose residue is added when the contour passes left of it).  For GD with
fewer than a few steps a Bernstein ellipse around the support replaces the parabola (:func:`_ellipse_sum`).  The
isotropic spectrum reproduces :mod:`numerics.losses` (Eqs. 8, 9, 15 and exact GD) to 25 digits
(``tests/test_structured_decay.py``).
"""

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
    atom,
    left_edge,
    real_point,
    right_edge,
)
from ._validate import nonnegative, positive
from .spectra import validate_spectrum

__all__ = [
    "StructuredError",
    "atom",
    "crossing_time",
    "gen_loss",
    "gen_loss_rate",
    "left_edge",
    "loss_limit",
    "losses_float",
    "right_edge",
    "stable_step",
    "train_loss",
]


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


def _contour(tau, w_lo, w_hi, pole, gd, digits, kappa_frac):
    """Parabola ``w(u) = w_lo - a + a (u^2 + 2 i u)`` in the decay variable and its trapezoidal plan: returns
    ``(a, kappa, h, K, inside)``, or ``None`` where the ellipse of :func:`_ellipse_sum` is used instead.

    ``a = kappa / tau`` balances the cancellation ``e^kappa`` against the node count, with two limits.  GD: the
    integrand is ``2 pi i``-periodic in ``w`` (``z = (1 - e^{-w})/k - g``), so the copies of the support at
    ``Im w = 2 pi`` must stay outside the strip ``|Im u| < 0.8`` used by the plan: ``pi^2/(3.24 a) > W + 3.24 a``,
    ``W = w_hi - w_lo``.  Weight decay: the factors ``1/y, 1/y^2`` have a pole at ``w = 0``, which the line
    ``Im u = v`` meets at ``v = r - 1``, ``r = sqrt(w_lo / a)``: ``a`` is lowered out of ``0.5 < r < 1.5`` and the
    strip narrowed to ``0.8 |r - 1|``; for ``r < 1`` the pole is inside the contour and the caller adds its residue
    (``inside = True``)."""
    big = digits * math.log(10)
    kappa = kappa_frac * big
    a = kappa / tau
    if gd:
        width = w_hi - w_lo
        a = min(a, 0.9 * (math.sqrt(width * width + 4 * math.pi**2) - width) / 6.48)
        if tau * a < 1:  # (1 - k y)^tau hardly decays (tau below a few steps): the ellipse of _ellipse_sum
            return None
    strip, inside = 0.8, False  # half-width of the strip (< 1, the distance to the edge singularity)
    if pole:
        r = math.sqrt(w_lo / a)
        if 0.5 < r < 1.5:
            a, r = w_lo / 2.25, 1.5
        inside = r < 1
        strip = min(strip, 0.8 * abs(r - 1))
    keff = tau * a
    umax = math.sqrt((big + 5) / keff + 1)
    h = 2 * math.pi * strip / (big + keff * (strip**2 + 2 * strip) + 5)
    k_max = int(math.ceil(umax / h))
    if k_max > 200_000:
        raise StructuredError(f"contour needs {k_max} nodes (tau={tau:.3g}, w_lo={w_lo:.3g}, a={a:.3g})")
    return a, keff, h, k_max, inside


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
            f"eta={st.kf / 2:.6g} (per output: eta/d_out) is an unstable GD step for this spectrum: need"
            f" 0 < eta/d_out < 1/(nu_+ + gamma/2) ="
            f" {1 / (nu_hi + st.gf):.6g} (nu_+ = {nu_hi:.6g}, the right edge of the spectrum of Sigma_tr)"
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
        for mult, a0, a1, a2 in _rational_terms(st.g):
            tau = mult * t
            plan = _contour(float(tau), w_lo, w_hi, st.g > 0, st.gd, digits, 0.25)
            if plan is None:
                total += _ellipse_sum(tau, (a0, a1, a2), st, kind, lam, spectrum, (nu_lo, nu_hi), digits, mean)
            else:
                total += _contour_sum(plan, tau, w_lo, (a0, a1, a2), st, kind, lam, spectrum, sig, w, mean)
            if plan is None or plan[4]:  # residue of e^{-tau w} (A1/y + A2/y^2) S at y = 0 (dw/dy = k there)
                total += a1 * s0 + a2 * (s1 - tau * st.k * s0)
        v = total / 2
    return +v


def _contour_sum(plan, tau, w_lo, coeffs, st, kind, lam, spectrum, sig, w, mean):
    """Trapezoidal sum of ``(1/pi) Im int e^{-tau w} R(y) S(z) dz`` on the parabola of ``plan`` (working
    precision; the roots ``mu`` are tracked in float64 and polished)."""
    a_f, kappa, h, k_max, _ = plan
    u = h * np.arange(k_max, -1, -1, dtype=float)  # far end first
    zs_f, _ = st.z_of_w((w_lo - a_f) + a_f * (u**2 + 2j * u), np.exp)
    lam_f = float(lam)
    ms_f = _mu_float(zs_f, sig, w, lam_f)
    fps = [1 / m**2 - lam_f * np.dot(w, (sig / (1 + sig * m)) ** 2) for m in ms_f]
    if not fps[-1].real > 0:  # the contour must cross the real axis in a gap, where z'(mu) > 0
        raise StructuredError(f"contour crossing z={zs_f[-1]} is not left of the support (z'(mu) = {fps[-1]})")
    fq = _FixedQ(spectrum, mp.prec)
    tol = mpmath.mpf(2) ** (-mp.prec + 12)
    a = mpmath.mpf(kappa) / tau
    c = mpmath.mpf(w_lo) - a
    hm = mpmath.mpf(h)
    a0, a1, a2 = coeffs
    total = mpmath.mpc(0)
    for k_idx, m_f, fp in zip(range(k_max, -1, -1), ms_f, fps, strict=True):
        uk = k_idx * hm
        wk = c + a * mpmath.mpc(uk * uk, 2 * uk) if k_idx else c
        z, dz = st.z_of_w(wk, mpmath.exp)
        m, q = _polish(z, m_f, fq, lam, tol, fp)
        y = z + st.g
        r = a0 + (a1 + a2 / y) / y if st.g > 0 else a0
        # e^{-tau w} = e^{-tau w_lo} e^{-kappa (u^2 + 2 i u - 1)}
        e = mpmath.exp(-kappa * mpmath.mpc(uk * uk - 1, 2 * uk))
        term = e * r * _stieltjes(kind, z, m, q, mean) * dz * a * mpmath.mpc(2 * uk, 2)
        total += term / 2 if k_idx == 0 else term
    return hm / mp.pi * total.imag * mpmath.exp(-tau * mpmath.mpf(w_lo))


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
    for mult, a0, a1, a2 in _rational_terms(st.gf):
        tau = mult * t
        plan = _contour(tau, w_lo, w_hi, st.gf > 0, st.gd, 12, 0.15)
        if plan is None:
            total += _ellipse_sum(tau, (a0, a1, a2), st, kind, lam, spectrum, edges, None, None)
            total += a1 * s0 + a2 * (s1 - tau * st.kf * s0)
            continue
        a, kappa, h, k_max, inside = plan
        u = h * np.arange(k_max, -1, -1, dtype=float)
        zs, dz = st.z_of_w((w_lo - a) + a * (u**2 + 2j * u), np.exp)
        ms = np.array(_mu_float(zs, sig, w, lam))
        ms[-1] = ms[-1].real
        qs = (w * sig) @ (1 / (1 + np.outer(sig, ms)))
        y = zs + st.gf
        r = a0 + (a1 + a2 / y) / y if st.gf > 0 else a0
        terms = np.exp(-kappa * (u**2 + 2j * u - 1)) * r * _stieltjes(kind, zs, ms, qs, None) * dz * a * (2 * u + 2j)
        terms[-1] /= 2
        total += h / math.pi * terms.sum().imag * math.exp(-tau * w_lo)
        if inside:
            total += a1 * s0 + a2 * (s1 - tau * st.kf * s0)
    return total / 2


# ---------------------------------------------------------------------------------------------------------------
# public functions
# ---------------------------------------------------------------------------------------------------------------


def stable_step(lam, spectrum, *, eta, gamma=0):
    """Refuse a step ``eta`` for which GD on this spectrum diverges: every mode factor ``1 - 2 eta (nu + gamma/2)``
    must lie in ``(-1, 1)`` on the support of ``Sigma_tr``'s law, i.e. ``eta < 1/(nu_+ + gamma/2)`` with ``nu_+``
    its right edge (:func:`right_edge`; the structured form of :func:`numerics._validate.stable_step`, which
    :func:`numerics.train_loss` applies under gradient flow as well).  Raises ``ValueError`` naming ``eta``."""
    eta = float(positive("eta", eta))
    _check_gd(
        _Setting(eta, nonnegative("gamma", gamma), "gd"), right_edge(lam, spectrum) * (1 + 1e-9), need_positive=False
    )


def train_loss(t, lam, spectrum, *, eta=0.01, gamma=0, dynamics="flow"):
    """``L_tr(t) = int nu (c^2 + r^2)/2 dF(nu)`` for inputs with population spectrum ``spectrum`` (module doc; for
    ``gamma = 0`` under gradient flow ``int nu e^{-4 eta t nu} dF``), at the working precision of ``mpmath.mp``.
    ``L_tr(0)`` is the mean of ``spectrum``; for ``spectrum = ones`` it is :func:`numerics.train_loss` (Eqs. 8, 9,
    15).  ``dynamics="gd"`` (integer ``t``) needs every mode factor ``1 - 2 eta (nu + gamma/2)`` positive on the
    support (else ``NotImplementedError``).  Raises ``ValueError`` for ``t < 0``, ``lam <= 0``, ``eta <= 0``,
    ``gamma < 0`` or a bad spectrum, :class:`StructuredError` if a root find fails its residual check."""
    return _loss_mp(t, lam, spectrum, eta, "train", gamma, dynamics)


def gen_loss(t, lam, spectrum, *, eta=0.01, gamma=0, dynamics="flow"):
    """``L_gen(t) = int (c^2 + r^2)/2 dG(nu)`` (module doc; ``int e^{-4 eta t nu} dG`` for ``gamma = 0`` under gradient
    flow), atom included for ``lam > 1``, at the working precision; arguments as :func:`train_loss`.  ``L_gen(0)`` is
    the mean of ``spectrum``; under gradient flow with ``gamma = 0`` its time derivative is :func:`gen_loss_rate`,
    which is ``-4 eta L_tr`` (Eq. 21) only for isotropic inputs."""
    return _loss_mp(t, lam, spectrum, eta, "gen", gamma, dynamics)


def loss_limit(lam, spectrum, *, gamma, train=False):
    """``t -> inf`` limit of :func:`train_loss` / :func:`gen_loss` (either dynamics): ``(g^2/2) S'(-g)``, ``g =
    gamma/2``, ``S`` the Stieltjes transform of ``nu dF`` / ``G`` (for ``gamma = 0``: ``0`` / the atom)."""
    lam = positive("lam", lam)
    g = nonnegative("gamma", gamma) / 2
    if g == 0:
        return mpmath.mpf(0) if train else atom(lam, spectrum)
    with mp.workprec(mp.prec + 20):
        v = g * g * _real_stieltjes("train" if train else "gen", -g, lam, spectrum)[1] / 2
    return +v


def gen_loss_rate(t, lam, spectrum, *, eta=0.01):
    """``dL_gen/dt = -4 eta int nu e^{-s nu} dG(nu)``, the limit of ``-(4 eta/d) tr(Sigma Sigma_tr e^{-s Sigma_tr})``,
    at the working precision (gradient flow, ``gamma = 0``; Stieltjes transform of ``nu dG``: ``mean(sigma) - q(mu)``).

    For isotropic inputs this is Eq. 21, ``-4 eta L_tr``; for a general spectrum it is *not*: gradient flow gives
    ``dL_gen/dt = -4 eta D^T Sigma Sigma_tr D`` while ``L_tr = D^T Sigma_tr D`` (at ``t = 0``: ``-4 eta mean(sigma^2)``
    against ``-4 eta mean(sigma)``)."""
    return -4 * positive("eta", eta) * _loss_mp(t, lam, spectrum, eta, "rate")


def losses_float(times, lam, spectrum, *, eta=0.01, gamma=0, dynamics="flow", which="both"):
    """``(L_tr, L_gen)`` as float64 arrays over ``times`` (same formulas as :func:`train_loss`, :func:`gen_loss`;
    about 10 correct digits); ``which="train"`` or ``"gen"`` returns only that array."""
    lam = float(positive("lam", lam))
    eta = float(positive("eta", eta))
    times = np.atleast_1d(np.asarray(times, dtype=float))
    if times.ndim != 1 or not np.all(np.isfinite(times)) or np.any(times < 0):
        raise ValueError("times must be a 1-D array of finite reals >= 0")
    if which not in ("both", "train", "gen"):
        raise ValueError(f"which must be 'both', 'train' or 'gen', got {which!r}")
    st = _Setting(eta, nonnegative("gamma", gamma), dynamics)
    cache = {}
    kinds = ("train", "gen") if which == "both" else (which,)
    out = [np.array([_loss_float(float(t), lam, spectrum, st, kind, cache) for t in times]) for kind in kinds]
    return tuple(out) if which == "both" else out[0]


def _illinois(f, a, fa, b, fb, tol=1e-10, maxit=60):
    """Root ``y`` of the decreasing ``f`` in ``[a, b]`` (``fa > 0 >= fb``) by the Illinois method, ``|f(y)| <= tol``
    (float64)."""
    side = 0
    for _ in range(maxit):
        y = b - fb * (b - a) / (fb - fa)
        fy = f(y)
        if abs(fy) <= tol:
            return y
        if fy > 0:
            a, fa = y, fy
            if side == 1:
                fb /= 2
            side = 1
        else:
            b, fb = y, fy
            if side == -1:
                fa /= 2
            side = -1
    raise StructuredError("float64 crossing did not converge")


def crossing_time(target, lam, spectrum, *, eta=0.01, train=True, gamma=0, dynamics="flow"):
    """First ``t`` with ``L(t) = target`` (``L`` = :func:`train_loss` or :func:`gen_loss`, GD continued to real
    ``t``), at the working precision.

    ``0`` if ``target >= L(0)`` (the mean of ``spectrum``); ``None`` if the loss never gets there (its limit
    :func:`loss_limit` is ``>= target``: the atom of ``G`` for ``lam > 1``, or the weight-decay plateau).  Every mode
    loss decreases in ``t`` (``c`` and ``r`` do), so the root is unique: bracketed by decades on the float64 path,
    solved there by the Illinois method in ``log t``, then Newton steps in ``log t`` at the working precision with a
    float64 central-difference slope, and residual-checked (:class:`StructuredError`)."""
    target = positive("target", target)
    lam = positive("lam", lam)
    eta = positive("eta", eta)
    mean = _exact_moment(spectrum)
    if target >= mean:
        return mpmath.mpf(0)
    if loss_limit(lam, spectrum, gamma=gamma, train=train) >= target:
        return None
    st = _Setting(eta, nonnegative("gamma", gamma), dynamics)
    kind = "train" if train else "gen"
    cache = {}
    log_target = math.log(target)

    def f_float(log_t):
        return math.log(_loss_float(math.exp(log_t), float(lam), spectrum, st, kind, cache)) - log_target

    lo, hi = math.log(1e-12 / float(eta)), math.log(1e-3 / float(eta))  # L(lo) ~ mean > target
    f_lo, f_hi = f_float(lo), f_float(hi)
    while f_hi > 0:  # grow the bracket by decades
        lo, f_lo, hi = hi, f_hi, hi + math.log(10)
        if hi > math.log(1e300):
            raise StructuredError(f"no crossing of {target} below t = 1e300")
        f_hi = f_float(hi)
    y = _illinois(f_float, lo, f_lo, hi, f_hi)
    slope = (f_float(y + 1e-4) - f_float(y - 1e-4)) / 2e-4  # d log L / d log t, ~1e-6 relative
    tol = mpmath.mpf(2) ** (-mp.prec + 12)

    def loss(t):
        return _loss_mp(t, lam, spectrum, eta, kind, gamma, dynamics, whole_steps=False)

    with mp.workprec(mp.prec + 10):
        target_mp, y = mpmath.mpf(target), mpmath.mpf(y)
        for _ in range(5 + mp.dps // 5):  # Newton in log t with the float64 slope: each step gains ~6 digits
            t = mpmath.exp(y)
            res = mpmath.log(loss(t) / target_mp)  # the residual of the returned t once it passes
            if abs(res) <= tol:
                break
            y -= res / slope
    if not abs(res) <= tol:
        raise StructuredError(f"crossing time residual {mpmath.nstr(res, 3)} (log) at t = {mpmath.nstr(t, 10)}")
    return +t
