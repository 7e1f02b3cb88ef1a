"""Train and generalisation losses for structured inputs ``x ~ N(0, Sigma)`` in the proportional limit.

Setting (first part of issue 13): ``Sigma`` has the population spectrum ``sigma_k`` (equal weights,
:mod:`numerics.spectra`), ``lam = d / N``, ``Sigma_tr = (1/N) sum_i x_i x_i^T``, one output, gradient flow with step
``eta`` and no weight decay from an isotropic ``D0`` (``E[D0 D0^T] = I/d``).  Averaging over ``D0``, with
``s = 4 eta t``,

    L_tr(t) = (1/d) tr(Sigma_tr e^{-s Sigma_tr}) -> int nu e^{-s nu} dF(nu),
    L_gen(t) = (1/d) tr(Sigma e^{-s Sigma_tr})   -> int e^{-s nu} dG(nu),

``F`` the generalised Marchenko–Pastur law of ``Sigma_tr`` and ``G`` its ``Sigma``-weighted version (the limit of
``(1/d) sum_i (v_i^T Sigma v_i) delta(nu - nu_i)``).

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

Evaluation.  ``int f dmu = (1/pi) Im int_0^inf f(z(u)) S(z(u)) z'(u) du`` on the parabola
``z(u) = c + a (u^2 + 2 i u)`` that crosses the real axis once, at ``c`` left of the support, and encloses it
(``f = e^{-s z}`` decays along it; the paper's Laplace-transform structure).  With ``a = kappa / s`` and
``c = nu_lo - a`` (``nu_lo`` the left edge of the measure: the MP-type edge of ``F``, or 0 for ``G`` when
``lam > 1``), the integrand is analytic in the strip ``|Im u| < 1`` of the ``u`` plane, so the trapezoidal rule
converges geometrically (Weideman & Trefethen, Math. Comp. 76 (2007)); ``kappa`` trades cancellation
(``e^{kappa}``, absorbed by guard digits) against the number of nodes.  At every node ``mu`` is found by Newton's
method on ``z(mu) - z`` (float64 continuation from far away in the upper half plane, keeping ``Im mu > 0``, then
polished at the working precision); every root's residual is checked.
"""

from __future__ import annotations

import math

import mpmath
import numpy as np
from mpmath import mp

from ._validate import nonnegative, positive
from .spectra import validate_spectrum

__all__ = [
    "StructuredError",
    "atom",
    "crossing_time",
    "gen_loss",
    "gen_loss_rate",
    "left_edge",
    "losses_float",
    "train_loss",
]


class StructuredError(ArithmeticError):
    """A root find of Silverstein's equation did not converge or failed its residual check."""


def _counts(spectrum):
    """Distinct eigenvalues, their integer multiplicities and ``d`` (exact weights ``count_j / d`` for the mpmath
    paths)."""
    sig = validate_spectrum(spectrum)
    vals, counts = np.unique(sig, return_counts=True)
    return vals, [int(c) for c in counts], int(sig.size)


def _exact_moment(spectrum, power=1):
    """``(1/d) sum_k sigma_k^power`` at the working precision."""
    vals, counts, d = _counts(spectrum)
    return mpmath.fsum(c * mpmath.mpf(float(v)) ** power for c, v in zip(counts, vals, strict=True)) / d


def _unique(spectrum):
    """Distinct eigenvalues and their weights (fractions of ``d``)."""
    sig = validate_spectrum(spectrum)
    vals, counts = np.unique(sig, return_counts=True)
    return vals, counts / sig.size


# ---------------------------------------------------------------------------------------------------------------
# real-axis analysis (float64): left edge of the support, atom of G
# ---------------------------------------------------------------------------------------------------------------


def _zprime_real(x, sig, w, lam):
    return 1 / x**2 - lam * np.sum(w * sig**2 / (1 + sig * x) ** 2)


def _z_real(x, sig, w, lam):
    return -1 / x + lam * np.sum(w * sig / (1 + sig * x))


def _bisect_log(f, lo, hi, n=200):
    """Root of ``f(exp(y))`` for ``y`` in ``[lo, hi]`` by bisection, or ``None`` without a sign change."""
    flo, fhi = f(math.exp(lo)), f(math.exp(hi))
    if flo == 0:
        return math.exp(lo)
    if np.sign(flo) == np.sign(fhi):
        return None
    for _ in range(n):
        mid = (lo + hi) / 2
        fm = f(math.exp(mid))
        if np.sign(fm) == np.sign(flo):
            lo, flo = mid, fm
        else:
            hi = mid
    return math.exp((lo + hi) / 2)


def left_edge(lam, spectrum) -> float:
    """Left edge ``nu_-`` of the continuous part of ``F`` (float64; ``0`` if the support reaches 0, as at
    ``lam = 1``): the maximum of ``z(mu)`` on ``mu < -1/sigma_min`` (``lam < 1``) or ``mu > 0`` (``lam > 1``)."""
    lam = float(positive("lam", lam))
    sig, w = _unique(spectrum)
    smin = sig[0]
    if lam < 1:
        # mu = -(1 + e^y) / sigma_min: z' < 0 near the pole (y -> -inf), > 0 as mu -> -inf
        def f(e):
            return _zprime_real(-(1 + e) / smin, sig, w, lam)

        e = _bisect_log(f, -30.0, 60.0)
        if e is None:
            return 0.0
        return max(0.0, float(_z_real(-(1 + e) / smin, sig, w, lam)))
    if lam == 1:
        return 0.0

    def g(x):
        return _zprime_real(x, sig, w, lam)

    x = _bisect_log(g, -60.0, 60.0)
    if x is None:
        return 0.0
    return max(0.0, float(_z_real(x, sig, w, lam)))


def atom(lam, spectrum):
    """Mass of the atom of ``G`` at ``nu = 0`` (at the working precision): ``q(mu_0)`` with ``z(mu_0) = 0``,
    ``mu_0 > 0``, for ``lam > 1``; ``0`` for ``lam <= 1``.  Isotropic case: ``1 - 1/lam``."""
    lam = positive("lam", lam)
    if lam <= 1:
        return mpmath.mpf(0)
    sig, counts, d = _counts(spectrum)
    with mp.workprec(mp.prec + 20):
        ms = [mpmath.mpf(float(v)) for v in sig]

        def q(x):
            return mpmath.fsum(c * sj / (1 + sj * x) for sj, c in zip(ms, counts, strict=True)) / d

        # x q(x) increases from 0 to 1 on (0, inf): the root of lam x q(x) = 1 is bracketed
        lo, hi = mpmath.mpf(0), mpmath.mpf(1)
        while lam * hi * q(hi) < 1:
            hi *= 2
        x = mpmath.findroot(lambda x: lam * x * q(x) - 1, (lo, hi), solver="anderson")
        if abs(lam * x * q(x) - 1) > mpmath.mpf(2) ** (-mp.prec + 30):
            raise StructuredError(f"atom: residual {mpmath.nstr(lam * x * q(x) - 1, 3)} at lam={lam}")
        v = q(x)
    return +v


# ---------------------------------------------------------------------------------------------------------------
# the companion transform mu(z) by Newton's method
# ---------------------------------------------------------------------------------------------------------------


def _newton_float(z, m, sig, w, lam, tol=1e-14, maxit=40):
    """Newton on ``z(mu) = z`` from ``m`` in complex128; ``None`` if it does not converge or leaves ``Im mu >= 0``
    (a divergent step overflows harmlessly: it is caught by the finiteness test, so numpy's warnings are muted)."""
    with np.errstate(all="ignore"):
        return _newton_steps(z, m, sig, w, lam, tol, maxit)


def _newton_steps(z, m, sig, w, lam, tol, maxit):
    for _ in range(maxit):
        t = sig / (1 + sig * m)
        f = -1 / m + lam * np.dot(w, t) - z
        fp = 1 / m**2 - lam * np.dot(w, t * t)
        dm = f / fp
        if not np.isfinite(dm):
            return None
        m = m - dm
        if z.imag > 0 and m.imag < 0:
            return None
        if abs(dm) <= tol * abs(m):
            return m
    return None


def _track_float(path, m0, sig, w, lam, depth=0):
    """Follow the root ``mu(z)`` along the points ``path`` (complex) from the root ``m0`` at ``path[0]``."""
    out = [m0]
    m = m0
    for z0, z1 in zip(path[:-1], path[1:], strict=True):
        m1 = _newton_float(z1, m, sig, w, lam)
        if m1 is None:
            if depth > 30:
                raise StructuredError(f"Newton continuation failed near z={z1}")
            sub = np.linspace(z0, z1, 5)
            m1 = _track_float(sub, m, sig, w, lam, depth + 1)[-1]
        out.append(m1)
        m = m1
    return out


def _mu_float(zs, sig, w, lam):
    """``mu(z)`` (float64) at the contour nodes ``zs`` (ordered from the far end to the real axis)."""
    top = float(np.max(sig)) * (1 + math.sqrt(lam)) ** 2
    z_start = zs[0]
    y_far = 1e3 * (top + abs(z_start))
    far = complex(z_start.real, z_start.imag + y_far)
    m_far = _newton_float(far, -1 / far, sig, w, lam)
    if m_far is None:
        raise StructuredError(f"Newton failed far from the support at z={far}")
    # descend vertically (geometric in the distance) to the first node, then along the contour
    ys = z_start.imag + y_far * np.geomspace(1, 1e-8, 60)
    vert = [complex(z_start.real, y) for y in ys] + [z_start]
    ms = _track_float(np.array(vert), m_far, sig, w, lam)
    return _track_float(np.asarray(zs), ms[-1], sig, w, lam)


# ---------------------------------------------------------------------------------------------------------------
# contour quadrature
# ---------------------------------------------------------------------------------------------------------------


def _plan(digits, kappa_frac=0.25):
    """``(kappa, h, K)`` for ``digits`` correct digits of the trapezoidal sum relative to ``e^{-s nu_lo}``."""
    big = digits * math.log(10)
    kappa = kappa_frac * big
    umax = math.sqrt((big + 5) / kappa + 1)
    strip = 0.8  # half-width used in the strip (< 1, the distance to the edge singularity)
    h = 2 * math.pi * strip / (big + kappa * (strip**2 + 2 * strip) + 5)
    return kappa, h, int(math.ceil(umax / h))


def _nodes(s, nu_lo, kappa, h, k_max):
    a = kappa / s
    c = nu_lo - a
    u = h * np.arange(k_max, -1, -1, dtype=float)  # far end first
    return a, c, u


def _loss_mp(t, lam, spectrum, eta, kind):
    t = nonnegative("t", t)
    lam = positive("lam", lam)
    eta = positive("eta", eta)
    sig, w = _unique(spectrum)
    if t == 0:
        with mp.workprec(mp.prec + 20):
            v = _exact_moment(spectrum, 2 if kind == "rate" else 1)
        return +v
    target = mp.dps
    s = 4 * eta * t
    edge = left_edge(lam, spectrum)
    gen_atom = kind == "gen" and lam > 1
    nu_lo = 0.0 if gen_atom else edge * (1 - 1e-9)
    # guard digits: cancellation e^kappa (kappa = digits ln10 / 4), the algebraic prefactor of e^{-s nu_lo}, and
    # the size of the contour (|z| ~ kappa / s) for small s
    extra = 1.5 * math.log10(1 + float(s) * float(np.max(sig))) + math.log10(1 + 100 / float(s)) + 10
    digits = int(math.ceil((target + extra) / 0.75))
    kappa, h, k_max = _plan(digits)
    a_f, c_f, u = _nodes(float(s), nu_lo, kappa, h, k_max)
    zs_f = c_f + a_f * (u**2 + 2j * u)
    lam_f = float(lam)
    ms_f = _mu_float(zs_f, sig, w, lam_f)
    fps = [1 / m**2 - lam_f * np.dot(w, (sig / (1 + sig * m)) ** 2) for m in ms_f]
    if not fps[-1].real > 0:  # the contour must cross the real axis in a gap, where z'(mu) > 0
        raise StructuredError(f"contour crossing z={c_f} is not left of the support (z'(mu) = {fps[-1]})")
    with mp.workdps(digits + 5):
        fq = _FixedQ(spectrum, mp.prec)
        mean = _exact_moment(spectrum)
        lam_m, s_m = +lam, +s
        a = kappa / s_m
        c = mpmath.mpf(nu_lo) - a
        hm = mpmath.mpf(h)
        tol = mpmath.mpf(2) ** (-mp.prec + 12)
        total = mpmath.mpc(0)
        for k_idx, m_f, fp in zip(range(k_max, -1, -1), ms_f, fps, strict=True):
            uk = k_idx * hm
            z = c + a * mpmath.mpc(uk * uk, 2 * uk) if k_idx else c
            m, q = _polish(z, m_f, fq, lam_m, tol, fp)
            val = {"train": m * q, "gen": -q / z, "rate": mean - q}[kind]
            # e^{-s z} = e^{-s nu_lo} e^{-kappa (u^2 + 2 i u - 1)}
            e = mpmath.exp(-kappa * mpmath.mpc(uk * uk - 1, 2 * uk))
            term = e * val * a * mpmath.mpc(2 * uk, 2)
            total += term / 2 if k_idx == 0 else term
        v = hm / mp.pi * total.imag * mpmath.exp(-s_m * nu_lo)
    return +v


class _FixedQ:
    """``q(mu) = sum_j w_j sigma_j / (1 + sigma_j mu)`` for complex ``mu`` in exact binary fixed point (numpy object
    arrays of Python integers scaled by ``2^bits``): about ten times faster than an ``mpmath`` loop.  ``sigma_j`` and
    ``w_j`` are float64 numbers, hence exact dyadic rationals; ``bits`` includes guard bits for the smallest
    ``sigma_j`` and for cancellation in ``1 + sigma_j mu``."""

    def __init__(self, spectrum, prec):
        sig, counts, d = _counts(spectrum)
        self.d = d
        small = max(0, -math.frexp(float(np.min(sig)))[1])
        self.bits = bits = prec + 40 + small
        one = 1 << bits
        self.one = one
        # sigma_j and count_j sigma_j scaled by 2^bits: exact integers (float64 sigma_j has a 53-bit mantissa)
        self.s = np.array([int(mpmath.ldexp(mpmath.mpf(float(v)), bits)) for v in sig], dtype=object)
        self.ws = np.array([c * int(v) for c, v in zip(counts, self.s, strict=True)], dtype=object)

    def __call__(self, m):
        b = self.bits
        x = int(mpmath.ldexp(mpmath.re(m), b))
        y = int(mpmath.ldexp(mpmath.im(m), b))
        dr = ((self.s * x) >> b) + self.one
        di = (self.s * y) >> b
        den = dr * dr + di * di  # scale 2^(2b)
        tr = ((self.ws * dr) << b) // den
        ti = ((self.ws * di) << b) // den
        re = mpmath.ldexp(mpmath.mpf(int(tr.sum())), -b) / self.d
        im = mpmath.ldexp(mpmath.mpf(-int(ti.sum())), -b) / self.d
        return mpmath.mpc(re, im) if y else re


def _polish(z, m_f, fq, lam, tol, fp, maxit=12):
    """Simplified Newton on ``z(mu) = z`` at the working precision from the float64 root ``m_f`` (derivative ``fp``
    from float64: each step gains ~13 digits); returns ``(mu, q(mu))`` once the residual passes
    ``|z(mu) - z| <= tol (|z| + 1/|mu|)``, checked at the returned ``mu``."""
    m = mpmath.mpc(m_f) if isinstance(z, mpmath.mpc) else mpmath.mpf(m_f.real)
    fp = mpmath.mpc(fp) if isinstance(z, mpmath.mpc) else mpmath.mpf(fp.real)
    for _ in range(maxit):
        q = fq(m)
        f = -1 / m + lam * q - z
        if abs(f) <= tol * (abs(z) + 1 / abs(m)):
            return m, q
        m = m - f / fp
    raise StructuredError(f"Newton polish did not converge at z={mpmath.nstr(z, 8)} (residual {mpmath.nstr(f, 3)})")


def train_loss(t, lam, spectrum, *, eta=0.01):
    """``L_tr(t) = int nu e^{-4 eta t nu} dF(nu)`` for inputs with population spectrum ``spectrum`` (module doc), at
    the working precision of ``mpmath.mp``.  ``L_tr(0)`` is the mean of ``spectrum``; for ``spectrum = ones`` it is
    :func:`numerics.train_loss` (Eq. 8/9).  Raises ``ValueError`` for ``t < 0``, ``lam <= 0``, ``eta <= 0`` or a bad
    spectrum, :class:`StructuredError` if a root find fails its residual check."""
    return _loss_mp(t, lam, spectrum, eta, "train")


def gen_loss(t, lam, spectrum, *, eta=0.01):
    """``L_gen(t) = int e^{-4 eta t nu} dG(nu)`` (module doc), atom included for ``lam > 1``, at the working
    precision.  ``L_gen(0)`` is the mean of ``spectrum``; its time derivative is :func:`gen_loss_rate`, which is
    ``-4 eta L_tr`` (Eq. 21) only for isotropic inputs."""
    return _loss_mp(t, lam, spectrum, eta, "gen")


def gen_loss_rate(t, lam, spectrum, *, eta=0.01):
    """``dL_gen/dt = -4 eta int nu e^{-s nu} dG(nu)``, the limit of ``-(4 eta/d) tr(Sigma Sigma_tr e^{-s Sigma_tr})``,
    at the working precision (Stieltjes transform of ``nu dG``: ``mean(sigma) - q(mu)``).

    For isotropic inputs this is Eq. 21, ``-4 eta L_tr``; for a general spectrum it is *not*: gradient flow gives
    ``dL_gen/dt = -4 eta D^T Sigma Sigma_tr D`` while ``L_tr = D^T Sigma_tr D`` (at ``t = 0``: ``-4 eta mean(sigma^2)``
    against ``-4 eta mean(sigma)``)."""
    return -4 * positive("eta", eta) * _loss_mp(t, lam, spectrum, eta, "rate")


def losses_float(times, lam, spectrum, *, eta=0.01):
    """``(L_tr, L_gen)`` as float64 arrays over ``times`` (same formulas as :func:`train_loss`, :func:`gen_loss`;
    about 10 correct digits)."""
    lam = float(positive("lam", lam))
    eta = float(positive("eta", eta))
    times = np.atleast_1d(np.asarray(times, dtype=float))
    if times.ndim != 1 or not np.all(np.isfinite(times)) or np.any(times < 0):
        raise ValueError("times must be a 1-D array of finite reals >= 0")
    sig, w = _unique(spectrum)
    mean = float(np.dot(sig, w))
    edge = left_edge(lam, spectrum)
    kappa, h, k_max = _plan(12, kappa_frac=0.15)
    out_tr = np.empty(times.size)
    out_gen = np.empty(times.size)
    for i, t in enumerate(times):
        if t == 0:
            out_tr[i] = out_gen[i] = mean
            continue
        s = 4 * eta * t
        nu_tr = edge * (1 - 1e-9)
        nu_gen = 0.0 if lam > 1 else nu_tr
        cache = {}
        for train, out, nu_lo in ((True, out_tr, nu_tr), (False, out_gen, nu_gen)):
            a, c, u = _nodes(s, nu_lo, kappa, h, k_max)
            if nu_lo not in cache:
                zs = c + a * (u**2 + 2j * u)
                ms = np.array(_mu_float(zs, sig, w, lam))
                ms[-1] = ms[-1].real
                qs = (w * sig) @ (1 / (1 + np.outer(sig, ms)))
                cache[nu_lo] = zs, ms, qs
            zs, ms, qs = cache[nu_lo]
            val = ms * qs if train else -qs / zs
            terms = np.exp(-kappa * (u**2 + 2j * u - 1)) * val * a * (2 * u + 2j)
            terms[-1] /= 2
            out[i] = h / math.pi * terms.sum().imag * math.exp(-s * nu_lo)
    return out_tr, out_gen


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


def crossing_time(target, lam, spectrum, *, eta=0.01, train=True):
    """First ``t`` with ``L(t) = target`` (``L`` = :func:`train_loss` or :func:`gen_loss`), at the working precision.

    ``0`` if ``target >= L(0)`` (the mean of ``spectrum``); ``None`` if the loss never gets there (``L_gen`` tends to
    the atom of ``G`` for ``lam > 1``).  Both losses decrease in ``t`` (a non-negative mixture of decaying
    exponentials), so the root is unique: bracketed by decades on the float64 path, solved there by the Illinois
    method in ``log t``, then Newton steps in ``log t`` at the working precision with a float64 central-difference
    slope, and residual-checked (:class:`StructuredError`)."""
    target = positive("target", target)
    lam = positive("lam", lam)
    eta = positive("eta", eta)
    mean = _exact_moment(spectrum)
    if target >= mean:
        return mpmath.mpf(0)
    if not train and lam > 1 and atom(lam, spectrum) >= target:
        return None
    which = 0 if train else 1

    def f_float(log_t):
        return math.log(losses_float([math.exp(log_t)], lam, spectrum, eta=float(eta))[which][0]) - math.log(target)

    lo, hi = math.log(1e-12 / float(eta)), math.log(1e-3 / float(eta))  # L(lo) ~ mean > target
    f_lo, f_hi = f_float(lo), f_float(hi)
    while f_hi > 0:  # grow the bracket by decades
        lo, f_lo, hi = hi, f_hi, hi + math.log(10)
        if hi > math.log(1e300):
            raise StructuredError(f"no crossing of {target} below t = 1e300")
        f_hi = f_float(hi)
    y = _illinois(f_float, lo, f_lo, hi, f_hi)
    slope = (f_float(y + 1e-4) - f_float(y - 1e-4)) / 2e-4  # d log L / d log t, ~1e-6 relative
    loss = train_loss if train else gen_loss
    tol = mpmath.mpf(2) ** (-mp.prec + 12)
    with mp.workprec(mp.prec + 10):
        target_mp, y = mpmath.mpf(target), mpmath.mpf(y)
        for _ in range(4 + mp.dps // 5):  # Newton in log t with the float64 slope: each step gains ~6 digits
            t = mpmath.exp(y)
            res = mpmath.log(loss(t, lam, spectrum, eta=eta) / target_mp)
            if abs(res) <= tol:
                break
            y -= res / slope
        resid = abs(loss(t, lam, spectrum, eta=eta) / target_mp - 1)
    if not resid <= tol:
        raise StructuredError(f"crossing time residual {mpmath.nstr(resid, 3)} at t = {mpmath.nstr(t, 10)}")
    return +t
