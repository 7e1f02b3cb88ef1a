"""Crossing times of the exact losses for ``gamma = 0`` under gradient flow, by Halley steps on their closed forms.

For ``gamma = 0`` under gradient flow both losses depend on ``t`` only through ``s = 4 eta t / d_out``:
``d_out L_tr = T(s) = E[nu e^{-s nu}]`` and ``d_out L_gen = G(s) = E[e^{-s nu}]`` (MP law of Eq. 6, atom included;
Eqs. 8, 13).  Hence ``G' = -T`` -- Eq. (21), ``dL_gen/dt = -4 eta L_tr``, with ``eta -> eta / d_out`` and the
``1 / d_out`` of Eq. (13) -- and ``G'' = -T'``.  With ``r = sqrt(lam)``, ``a = 1 + lam``, ``b = 2 r``, ``z = b s``,
``u = e^{-a s} I_0(z)`` and ``v = e^{-a s} I_1(z)`` (``I_0' = I_1``, ``I_1'(x) = I_0 - I_1 / x``):

    T = v / (r s),   T' = (b u - (a + 2/s) v) / (r s),   T'' = (-(2ab + 3b/s) u + (a^2 + b^2 + 4a/s + 6/s^2) v) / (r s),

and ``G - atom`` is the Marcum-Q closed form of :mod:`numerics.marcum`.  ``log T`` and ``log(G - atom)`` are convex,
decreasing functions of ``s`` (logarithms of Laplace transforms of positive measures), so each level is crossed once.

Evaluation (all three functions share the factor ``e^{-kappa s}``, ``kappa = a - b = (1 - r)^2 = lam_-``, kept in log
form; ``kappa`` is computed as ``((1 - lam) / (1 + r))^2`` and ``T', T''`` through ``u - v``, so that nothing cancels
near ``lam = 1``, where ``u ~ v`` and ``a ~ b``):

* ``z < z_c``: the backward (Miller) recurrence of :mod:`numerics.marcum` -- same start index, same normalisation
  ``I_0 + 2 sum I_n = e^z``, same Neumann sum -- run in fixed-point integer arithmetic (Python ints, a few times
  cheaper than ``mpf`` operations), with guard bits for the cancellation between the three terms of ``G``;
* ``z >= z_c``: Hankel's expansion ``e^{-z} I_nu(z) ~ (2 pi z)^{-1/2} sum_k (-1)^k a_k(nu) z^{-k}`` (DLMF 10.40.1),
  and ``G - atom = int_s^inf T(w) dw`` integrated term by term:

      G - atom = e^{-x} (4 pi r^3 s)^{-1/2} sum_k (-1)^k a_k(1) z^{-k} e^x E_{3/2+k}(x),    x = kappa s,

  with ``e^x E_{3/2}(x) = 2 - 2 sqrt(pi x) e^x erfc(sqrt x)`` and ``p e^x E_{p+1}(x) = 1 - x e^x E_p(x)``.  The series
  is summed until its terms fall below the working precision; ``z_c`` keeps the exponentially small part of the
  expansion (``~ e^{-2z}``) and the divergence of the series (terms shrink while ``k < 2z``) far below it.  (An
  independent quadrature checks both regimes in ``tests/test_grokking_fast.py``.)

Root finding: a float64 seed (the same evaluation at 53 bits; from ``s = 0``, steps to the root of the local model
``A - k s - p log s`` fitted to ``log F`` and its two derivatives, else Newton, else bisection, inside a bracket), then
Halley steps on ``log F(s) - log F*`` at the working precision until a step is below the caller's precision (two
evaluations from a good seed); the residual at the returned root is checked (:class:`RootFindingError` otherwise).
"""

from __future__ import annotations

import math

import mpmath
from mpmath import mp
from scipy.special import erfcx

from ._errors import RootFindingError

__all__ = ["flow_crossing"]

_LN2 = math.log(2)
#: above this z the Hankel expansion replaces the Miller recurrence: at 87 bits both take ~0.3 ms per evaluation at
#: z = 150 (measured); beyond, Hankel's cost stays flat while Miller's grows like sqrt(z).  Never below the validity
#: bound of :meth:`_Loss._z_min`.
_Z_HANKEL = 150.0
_MAX_SEED_STEPS = 200
_MAX_HALLEY_STEPS = 10


def _fixed(x, bits: int) -> int:
    """``x`` (float or mpf) as a fixed-point integer ``round_down(x 2^bits)``."""
    if isinstance(x, float):
        return int(math.ldexp(x, bits))
    return int(mpmath.ldexp(x, bits))


def _e32_float(x: float) -> float:
    """``e^x E_{3/2}(x)`` in float64: ``2 - 2 sqrt(pi x) erfcx(sqrt x)`` (which loses ``log2(2x)`` bits to cancellation)
    up to ``x = 40``, the asymptotic series ``(1/x) sum_k (-1)^k (3/2)_k / x^k`` (smallest term ``< 1e-16``) above."""
    if x <= 40:
        return 2 - 2 * math.sqrt(math.pi * x) * float(erfcx(math.sqrt(x)))
    term = total = 1 / x
    for k in range(60):
        term *= -(1.5 + k) / x
        total += term
        if abs(term) < 1e-17 * total:
            break
    return total


def _miller_start(z: float, bits: int) -> int:
    """Start index of :func:`numerics.marcum.bessel_neumann` for relative accuracy ``2^-bits``."""
    L = (bits + 10) * _LN2
    return int(math.sqrt(2 * z * L) + L) + 10


def _miller(c: int, rho: int, P: int, M: int, neumann: bool):
    """Miller's recurrence ``f_{n-1} = (2n/z) f_n + f_{n+1}`` from ``n = M`` in fixed point (``c = 2/z``, ``rho``
    scaled by ``2^P``).  Returns ``(f_0, f_1, h, norm)``: ``e^{-z} I_0 = f_0 / norm``, ``e^{-z} I_1 = f_1 / norm``,
    ``e^{-z} sum_n rho^n I_n = h / norm`` (``h = 0`` unless ``neumann``)."""
    f_next, f = 0, 1 << P
    norm = h = 0
    if neumann:
        for n in range(M, 0, -1):
            norm += f
            h = f + (rho * h >> P)
            f, f_next = (n * c * f >> P) + f_next, f
        h = f + (rho * h >> P)
    else:
        for n in range(M, 0, -1):
            norm += f
            f, f_next = (n * c * f >> P) + f_next, f
    return f, f_next, h, 2 * norm + f


def _hankel(w: int, x: int, e: int, P: int, kmax: int, gen: bool):
    """Hankel sums in fixed point (``w = 1/(8z)``, ``x``, ``e = e^x E_{3/2}(x)`` scaled by ``2^P``): returns
    ``(S_0, S_1, S_g)`` with ``S_nu = sum (-1)^k a_k(nu) z^{-k}`` and ``S_g = sum (-1)^k a_k(1) z^{-k} e^x E_{3/2+k}``,
    or ``None`` if the terms do not fall below ``2^-P`` before ``k = kmax``."""
    one = 1 << P
    t0 = t1 = s0 = s1 = one
    sg = e
    tiny = 4
    for k in range(1, kmax):
        m = (2 * k - 1) ** 2  # (-1)^k a_k(nu) z^{-k} = previous * ((2k-1)^2 - 4 nu^2) / (8 k z)
        t0 = (t0 * m * w >> P) // k
        t1 = (t1 * (m - 4) * w >> P) // k
        s0 += t0
        s1 += t1
        if gen:
            e = 2 * (one - (x * e >> P)) // (2 * k + 1)  # e^x E_{3/2+k} = (1 - x e^x E_{1/2+k}) / (k + 1/2)
            sg += t1 * e >> P
        if abs(t0) < tiny and abs(t1) < tiny:
            return s0, s1, sg
    return None


class _Loss:
    """``log F`` and its first two ``s``-derivatives, ``F = T`` (train) or ``G - atom`` (gen), in float64 (seed) or
    at the working precision of ``mpmath.mp`` (``exact=True``)."""

    def __init__(self, lam, *, train: bool, exact: bool):
        self.lam, self.train, self.exact = lam, train, exact
        self.bits = mp.prec if exact else 53
        self._consts: dict[int, tuple] = {}
        self.mid = self.consts(mp.prec + 10 if exact else 0)

    def consts(self, prec: int):
        """``(r, kappa, a, b, hi/lam, 1/r, |1 - lam|/lam, rho)`` at ``prec`` bits (floats if not exact)."""
        if prec in self._consts:
            return self._consts[prec]
        if self.exact:
            with mp.workprec(prec):
                lam = self.lam
                r = mpmath.sqrt(lam)
                lo, hi = min(lam, 1), max(lam, 1)
                kappa = ((1 - lam) / (1 + r)) ** 2  # (1 - r)^2 without the cancellation in 1 - r near lam = 1
                v = (r, kappa, 1 + lam, 2 * r, hi / lam, 1 / r, abs(1 - lam) / lam, lo / r)
        else:
            lam = float(self.lam)
            r = math.sqrt(lam)
            kappa = ((1 - lam) / (1 + r)) ** 2
            v = (r, kappa, 1 + lam, 2 * r, max(lam, 1) / lam, 1 / r, abs(1 - lam) / lam, min(lam, 1) / r)
        self._consts[prec] = v
        return v

    def _z_min(self) -> float:
        # Stokes part of Hankel's expansion ~ e^{-2z} < 2^-(bits + 40); the terms shrink for k < 2z
        return max(_Z_HANKEL, (self.bits + 40) * _LN2 / 2)

    def _ratio(self, p: int, q: int):
        return mpmath.mpf(p) / q if self.exact else p / q

    def __call__(self, s):
        """``(log F(s), (log F)'(s), (log F)''(s))`` for ``s > 0``."""
        r, kappa, a, b, _, _, cq, _ = self.mid
        zf = 2 * float(r) * float(s)
        gen = not self.train
        sf = float(s)
        if zf >= self._z_min() and float(kappa) <= 2 * float(r):
            xf = float(kappa) * sf
            # guard: log2 of the cancellation in e^x E_{3/2}, of the number of terms, and 2 log2(z) for the relative
            # accuracy of e^{-z}(I_0 - I_1) ~ (2 pi z)^{-1/2} / (2z), which the derivatives need
            P = self.bits + 16 + int(math.log2(2 + xf) + math.log2(2 + self.bits) + 2 * math.log2(2 + zf))
            with mp.workprec(P + 10):
                r, kappa = self.consts(P + 10)[:2]
                z = 2 * r * s
                x = kappa * s
                if self.exact:
                    e32 = 2 - 2 * mpmath.sqrt(mp.pi * x) * mpmath.exp(x) * mpmath.erfc(mpmath.sqrt(x))
                    pre = 1 / mpmath.sqrt(2 * mp.pi * z)
                    pre_g = 1 / mpmath.sqrt(4 * mp.pi * r**3 * s)
                else:
                    e32 = _e32_float(x)
                    pre = 1 / math.sqrt(2 * math.pi * z)
                    pre_g = 1 / math.sqrt(4 * math.pi * r**3 * s)
                sums = _hankel(_fixed(1 / (8 * z), P), _fixed(x, P), _fixed(e32, P), P, int(zf), gen)
            if sums is not None:
                one = 1 << P
                u = self._ratio(sums[0], one) * pre
                v = self._ratio(sums[1], one) * pre
                g = self._ratio(sums[2], one) * pre_g if gen else None
                return self._derivs(s, u, v, self._ratio(sums[0] - sums[1], one) * pre, g)
        # Miller: guard bits for the cancellation between the three terms of G (~ s^-1/2 each, G ~ s^-3/2)
        cancel = int(2 * math.log2(2 + sf) + math.log2(1 + 1 / float(self.lam))) + 10 if gen else 0
        M = _miller_start(zf, self.bits + cancel)
        P = self.bits + cancel + M.bit_length() + 12
        neumann = gen and cq != 0
        with mp.workprec(P + 10):
            r, _, _, _, hl, ir, cq, rho = self.consts(P + 10)
            c = _fixed(1 / (r * s), P)  # 2/z
            rho_c = _fixed(rho, P) if neumann else 0
            f0, f1, h, norm = _miller(c, rho_c, P, M, neumann)
            if gen:
                gi = (_fixed(hl, P) * f0 + _fixed(ir, P) * f1 - (_fixed(cq, P) * h if neumann else 0)) >> P
        u, v = self._ratio(f0, norm), self._ratio(f1, norm)
        return self._derivs(s, u, v, self._ratio(f0 - f1, norm), self._ratio(gi, norm) if gen else None)

    def _derivs(self, s, u, v, d, g):
        """From ``e^{kappa s} (u, v, u - v, G - atom)`` (module docstring) to ``log F`` and its derivatives.

        ``T'`` and ``T''`` are written with ``u - v`` and ``kappa = a - b`` so that nothing cancels
        near ``lam = 1`` at large ``s`` (``u ~ v`` and ``a ~ b`` there):
        ``b u - (a + 2/s) v = b d - (kappa + 2/s) v`` and, with ``4a - 3b = 4 kappa + 2r``,
        ``-(2ab + 3b/s) u + (a^2 + b^2 + 4a/s + 6/s^2) v = -(2ab + 3b/s) d + (kappa^2 + (4 kappa + 2r)/s + 6/s^2) v``.
        """
        r, kappa, a, b = self.mid[:4]
        log = mpmath.log if self.exact else math.log
        rs = r * s
        n1 = b * d - (kappa + 2 / s) * v  # e^{kappa s} r s T'
        if self.train:
            d1 = n1 / v
            n2 = -(2 * a * b + 3 * b / s) * d + (kappa * kappa + (4 * kappa + 2 * r) / s + 6 / (s * s)) * v
            return -kappa * s + log(v / rs), d1, n2 / v - d1 * d1
        d1 = -v / (rs * g)
        return -kappa * s + log(g), d1, -n1 / (rs * g) - d1 * d1


def _seed(f: _Loss, log_y: float, phi0: float, dphi0: float) -> float:
    """Float64 root of ``log F(s) = log_y`` from ``phi(0) = phi0 > 0``, ``phi'(0) = dphi0 < 0``.

    Steps: the root of the local model ``A - k s - p log s`` matching ``phi, phi', phi''`` (exact for both the
    exponential and the power-law decay of the losses), else Newton, else bisection, always inside the bracket
    ``[lo, hi]`` kept from the signs of ``phi``.  Returns NaN if it does not converge.
    """
    lo, hi = 0.0, math.inf
    s = -phi0 / dphi0  # Newton from s = 0: left of the root, since phi is convex
    for _ in range(_MAX_SEED_STEPS):
        phi, d1, d2 = f(s)
        phi -= log_y
        if not math.isfinite(phi):
            return math.nan
        if phi > 0:
            lo = s
        else:
            hi = s
        if phi == 0:
            return s
        usable = math.isfinite(phi) and d1 < 0 and math.isfinite(d1) and math.isfinite(d2)
        step = _model_step(s, phi, d1, d2) if usable else None
        new = s + step if step is not None else math.nan
        if not lo < new < hi:
            new = s - phi / d1 if usable else math.nan
            if not lo < new < hi:
                new = 2 * lo if hi == math.inf else (math.sqrt(lo * hi) if lo > 0 else hi / 2)
        if abs(new - s) <= 1e-13 * s:
            return new
        s = new
    return math.nan


def _model_step(s: float, phi: float, d1: float, d2: float):
    """Step to the root of ``m(w) = phi + k (s - w) + p log(s / w)`` with ``m' = d1``, ``m'' = d2`` at ``w = s``."""
    p = d2 * s * s
    k = -d1 - p / s
    if not (p >= 0 and k >= 0) or p + k * s == 0:
        return None
    # solve k (w - s) + p log(w / s) = phi for w = s e^y: Newton in y on a convex increasing function
    y = phi / (p + k * s)
    for _ in range(60):
        if not abs(y) < 40:  # the model root is more than e^40 away: let Newton or bisection move first
            return None
        ey = math.exp(y)
        g = k * s * (ey - 1) + p * y - phi
        dy = g / (k * s * ey + p)
        y -= dy
        if abs(dy) < 1e-15 * max(1.0, abs(y)):
            break
    return s * math.expm1(y)


def flow_crossing(lam, y, *, train: bool, caller_prec: int):
    """``s > 0`` with ``T(s) = y`` (``train``) or ``G(s) = y``, at the working precision of ``mpmath.mp``.

    ``y`` is ``d_out`` times the loss threshold; the caller has checked ``y < 1`` (and ``y > atom`` for the gen loss).
    Converged when a Halley step is below ``2^-(caller_prec + 8)`` relative; raises :class:`RootFindingError` if the
    residual ``|log F(s) - log F*|`` at the returned ``s`` exceeds ``2^(16 - prec) max(1, |log F*|)`` or the iteration
    does not converge.
    """
    atom = max(mpmath.mpf(0), 1 - 1 / lam)
    target = y if train else y - atom
    log_y = mpmath.log(target)
    # phi(0) and phi'(0): T(0) = E[nu] = 1, T'(0)/T(0) = -E[nu^2] = -(1 + lam); G(0) - atom = 1 - atom, G'(0) = -1
    if train:
        phi0, dphi0 = -float(log_y), -(1 + float(lam))
    else:
        phi0, dphi0 = float(mpmath.log(1 - atom)) - float(log_y), -1 / float(1 - atom)
    s0 = _seed(_Loss(lam, train=train, exact=False), float(log_y), phi0, dphi0)
    f = _Loss(lam, train=train, exact=True)
    tol = mpmath.ldexp(max(1, abs(log_y)), -mp.prec + 16)
    s = mpmath.mpf(s0) if math.isfinite(s0) and s0 > 0 else mpmath.mpf(-phi0 / dphi0)
    lo, hi = mpmath.mpf(0), mpmath.inf
    for _ in range(_MAX_HALLEY_STEPS):
        phi, d1, d2 = f(s)
        phi -= log_y
        if phi > 0:
            lo = s
        else:
            hi = s
        newton = phi / d1
        den = 1 - newton * d2 / (2 * d1)
        step = -newton / den if den > mpmath.mpf(1) / 2 else -newton
        if abs(step) <= mpmath.ldexp(s, -caller_prec - 8) or abs(phi) <= tol / 256:
            if abs(phi) > tol:
                break
            return s
        new = s + step
        if not lo < new < hi:  # never for a float64 seed; safeguard for the convex-Newton fallback
            new = s - newton if lo < s - newton < hi else (2 * lo if hi == mpmath.inf else (lo + hi) / 2)
        s = new
    raise RootFindingError(
        f"{'train' if train else 'gen'} crossing for lam={mpmath.nstr(lam, 8)}, level {mpmath.nstr(y, 8)}: no"
        f" converged root with residual below {mpmath.nstr(tol, 3)} after {_MAX_HALLEY_STEPS} Halley steps"
        f" (last s={mpmath.nstr(s, 8)}, residual {mpmath.nstr(phi, 3)})"
    )
