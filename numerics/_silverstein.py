"""Silverstein's equation for the generalised Marchenko–Pastur law: roots ``mu(z)``, edges and atom (float64 and
mpmath), shared by :mod:`numerics.structured`.

The companion Stieltjes transform ``mu(z)`` solves ``z(mu) = -1/mu + lam q(mu)``, ``q(mu) = (1/d) sum_k sigma_k /
(1 + sigma_k mu)`` (see :mod:`numerics.structured` for the setting and references).  On the real axis off the support
``z(mu)`` is increasing; on ``mu < 0`` between ``-1/sigma_max`` and ``0`` it is convex with its minimum at the right
edge of the support, and for ``lam < 1`` its maximum on ``mu < -1/sigma_min`` is the left edge.
"""

from __future__ import annotations

import math

import mpmath
import numpy as np
from mpmath import mp

from ._validate import positive
from .spectra import validate_spectrum


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
    for it in range(maxit):
        t = sig / (1 + sig * m)
        f = -1 / m + lam * np.dot(w, t) - z
        # near an edge of the support z'(mu) -> 0 and the step stalls at round-off: accept a residual at the
        # round-off level of the terms of z(mu) (the working-precision polish refines the root)
        if it and abs(f) <= 1e-14 * (abs(1 / m) + abs(z) + lam * np.dot(w, np.abs(t))):
            return m
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


def right_edge(lam, spectrum) -> float:
    """Right edge ``nu_+`` of the support of ``F`` (float64): the minimum of ``z(mu)``, convex on
    ``(-1/sigma_max, 0)`` (``-1/mu`` and every ``sigma/(1 + sigma mu)`` are convex there), found by bisection on
    ``z'(mu)`` in ``mu = -s/sigma_max``.  Isotropic case: ``(1 + sqrt(lam))^2``."""
    lam = float(positive("lam", lam))
    sig, w = _unique(spectrum)
    smax = float(sig[-1])
    lo, hi = 0.0, 1.0  # z' > 0 as s -> 0 (the 1/mu^2 term), z' < 0 as s -> 1 (the pole of sigma_max)
    for _ in range(200):
        mid = (lo + hi) / 2
        if mid in (lo, hi):
            break
        if _zprime_real(-mid / smax, sig, w, lam) > 0:
            lo = mid
        else:
            hi = mid
    return float(_z_real(-(lo + hi) / (2 * smax), sig, w, lam))


def real_point(z, lam, spectrum):
    """``(mu, q(mu), q2(mu), z'(mu))`` at a real ``z < 0`` (working precision), where ``mu > 0`` is the root of
    ``z(mu) = z`` (``z(mu)`` increases from ``-inf`` on ``(0, mu_0)``, ``z(mu_0) = 0`` or ``mu_0 = inf``);
    ``q2 = (1/d) sum sigma^2/(1 + sigma mu)^2``.  Raises :class:`StructuredError` if the residual check fails."""
    sig, counts, d = _counts(spectrum)
    with mp.workprec(mp.prec + 20):
        z, lam = mpmath.mpf(z), mpmath.mpf(lam)
        ms = [mpmath.mpf(float(v)) for v in sig]

        def q(x, p=1):
            return mpmath.fsum(c * sj**p / (1 + sj * x) ** p for sj, c in zip(ms, counts, strict=True)) / d

        def f(x):
            return -1 / x + lam * q(x) - z

        hi = -2 / z  # f(-1/z) <= 0 < f(hi) for some hi >= -1/z: grow it
        while f(hi) <= 0:
            hi *= 2
        lo = hi / 2
        while f(lo) >= 0:
            lo /= 2
        x = mpmath.findroot(f, (lo, hi), solver="anderson")
        if not abs(f(x)) <= mpmath.mpf(2) ** (-mp.prec + 30) * (abs(z) + 1 / x):
            raise StructuredError(f"real_point: residual {mpmath.nstr(f(x), 3)} at z={mpmath.nstr(z, 8)}")
        q1, q2 = q(x), q(x, 2)
        out = (x, q1, q2, 1 / x**2 - lam * q2)
    return tuple(+v for v in out)
