"""Heavy-ball and Nesterov momentum (PyTorch's ``torch.optim.SGD``) on the one-layer model of Eq. (3): exact
MP-limit losses and grokking times (beyond the paper, which uses full-batch GD and gradient flow).

Update rule (``torch.optim.SGD(momentum=beta, dampening=0, nesterov=...)``; ``g_t`` the gradient of the loss of
Eq. (3), MSE plus ``gamma/(2 d_out) ||S||^2``, at the parameters ``S_{t-1}``, steps counted from ``t = 1``)::

    b_1 = g_1,   b_t = beta b_{t-1} + g_t,     S_t = S_{t-1} - eta b_t               (heavy ball)
                                               S_t = S_{t-1} - eta (g_t + beta b_t)   (nesterov=True)

Per eigenmode ``nu`` of ``Sigma_tr`` and output column, ``g = (2/d_out)(nu D + (gamma/2)(D + T)) = (h/eta) x`` with
``h = (eta/d_out)(2 nu + gamma)`` and ``x = D - D_inf``, ``D_inf = -(gamma/2)/(nu + gamma/2) T`` (the fixed point of
GD, unchanged by momentum).  Normalising ``x_0 = 1``, eliminating the buffer gives the two-term recurrence (claim
``momentum-recurrence``)::

    x_{t+1} = p x_t - q x_{t-1}  (t >= 1),   x_1 = p - beta,
    heavy ball:  p = 1 + beta - h,           q = beta,
    Nesterov:    p = (1 + beta)(1 - h),      q = beta (1 - h),

so that ``x_1 = 1 - h`` (heavy ball) or ``1 - (1 + beta) h`` (Nesterov): the first step is a GD step (of size
``eta`` resp. ``(1 + beta) eta``).  With ``z_{1,2}`` the roots of ``z^2 - p z + q`` and ``H_n = (z_1^{n+1} -
z_2^{n+1}) / (z_1 - z_2)``, ``x_t = H_t - beta H_{t-1}``; evaluated without cancellation as (claim
``momentum-closed-form``):

* overdamped (``disc = p^2 - 4 q > 0``, ``p, q > 0``; ``z_{1,2} = rho e^{+-phi}``, ``rho = sqrt q``):
  ``x_t = z_1^t [c (1 - e^{-2 phi t}) / (1 - e^{-2 phi}) + e^{-2 phi t}]``, ``c = 1 - beta / z_1 > 0``, a sum of
  positive terms; ``log z_1 = log1p(-h / (1 - z_2))`` from ``(1 - z_1)(1 - z_2) = h``;
* critically damped (``disc = 0``, double root ``rho``): ``x_t = rho^t (1 + c t)``;
* underdamped (``disc < 0``; ``z_{1,2} = rho e^{+-i theta}``): ``x_t = rho^t (R / sin theta) sin(t theta + psi)``
  (Chebyshev: ``H_t = rho^t U_t(cos theta)``), with ``R^2 = h`` (heavy ball) or ``beta h / (1 - h)`` (Nesterov)
  and ``psi = atan2(sqrt(-disc), p - 2 beta)``; no difference of nearly equal terms, also as ``theta -> 0``;
* ``beta = 0``: ``x_t = (1 - h)^t``, plain GD (``dynamics="gd"``);
* roots with negative real part (heavy ball ``p < 0``; Nesterov ``h >= 1``): ``x_t = A_1 z_1^t + A_2 z_2^t``,
  whole ``t`` only.

The discriminants factor: ``disc = (h - h_1)(h - (1 + sqrt beta)^2)``, ``h_1 = (1 - sqrt beta)^2`` (heavy ball), and
``disc = (1 + beta)^2 (1 - h)(h_1 - h)``, ``h_1 = ((1 - beta)/(1 + beta))^2`` (Nesterov): modes with ``h < h_1`` are
overdamped and decay monotonically, the others oscillate, heavy-ball ones all with modulus ``sqrt beta``.

Stability (Jury: ``|q| < 1``, ``1 - p + q = h > 0``, ``1 + p + q > 0``): ``0 <= beta < 1`` and
``h < 2 (1 + beta)`` (heavy ball) or ``h < 2 (1 + beta)/(1 + 2 beta)`` (Nesterov) for the top mode
``h_max = (eta/d_out)(2 lam_+ + gamma)``; ``h = 0`` (the atom of Eq. 6 for ``lam > 1``, ``gamma = 0``) is neutral.

Losses: with ``S_0, T`` iid ``N(0, 1/(2 d_in d_out))`` the initialisation average is that of
:mod:`numerics.losses` with ``c(nu) = x_t(nu)``: ``L = (1/(2 d_out)) E_MP[q(nu)(x^2 + (x(1 - u) + u)^2)]``,
``u = (gamma/2)/(nu + gamma/2)``, ``q = nu`` (train) or ``1`` (gen), atom included; its ``t -> inf`` limit is the
plateau of GD (:func:`numerics.loss_limit`).  The MP average is a Clenshaw–Curtis quadrature in the angle variable
of :mod:`numerics.mp_law` on panels (pole widths of ``1/nu`` and ``u``, the boundary layer of the slowest decay,
one panel per two oscillations in the underdamped range), nested rules refined until the error estimate of
:mod:`numerics._mode_quad` is below ``2^-prec`` of the loss; panels whose rigorous bound ``|x_t| <= m^t (2 + pi t)
+ beta (t + 1) m^(t-1) (1 + pi/2)`` (``m`` the largest root modulus on the panel) is negligible are skipped.
A float64 version (:func:`losses_float`) seeds the crossing times.
"""

from __future__ import annotations

import functools
import math

import mpmath
import numpy as np
from mpmath import mp
from numpy.polynomial.legendre import leggauss

from . import _mode_quad
from ._errors import RootFindingError
from ._validate import momentum_value, nonnegative, output_dim, positive, real, stable_momentum_step

__all__ = [
    "MomentumQuadratureError",
    "continuation_bound",
    "crossing_times",
    "gen_loss",
    "grokking_time",
    "grokking_time_float",
    "loss_limit",
    "losses_float",
    "mode_factor",
    "mode_factors_float",
    "recurrence",
    "step_bound",
    "train_loss",
]

_LN2 = math.log(2)
_MULTIPLES = (1, 4, 16, 64)
_LAYER = (1, 4, *range(16, 4000, 16))  # boundary-layer levels y = (kappa - kappa_min) t
_START = 2  # first refinement level: n = 4 * 2^level intervals
_MAX_LEVEL = 8  # n = 1024
_MAX_PANELS = 20000
_GL = 24  # Gauss-Legendre nodes per panel of the float64 path


class MomentumQuadratureError(ArithmeticError):
    """The quadrature of the momentum losses did not converge (or would need too many panels)."""


# ---------------------------------------------------------------------------------------------------------------
# one mode
# ---------------------------------------------------------------------------------------------------------------


def recurrence(h, beta, nesterov=False):
    """``(p, q, x_1)`` of the mode recurrence ``x_{t+1} = p x_t - q x_{t-1}``, ``x_0 = 1`` (module docstring)."""
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
    """``x_t`` of one mode (module docstring): ``D_t - D_inf = x_t (D_0 - D_inf)`` for the mode with
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
    real-``t`` continuation :func:`grokking_time` needs: ``1 + beta`` (heavy ball) or ``1`` (Nesterov); 1 for GD,
    where ``(1 - h)^t`` needs ``h <= 1``."""
    beta = momentum_value(momentum)
    return mpmath.mpf(1) if _flag(nesterov) else 1 + beta


def _flag(nesterov) -> bool:
    if not isinstance(nesterov, bool | np.bool_):
        raise ValueError(f"nesterov must be True or False, got {nesterov!r}")
    return bool(nesterov)


# ---------------------------------------------------------------------------------------------------------------
# float64 mode data and geometry (panel breakpoints)
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
    panel whose smallest decay rate is ``kappa`` (module docstring; for whole ``t`` and the continuation)."""
    if t == 0:
        return 0.0
    if kappa == math.inf:
        return -math.inf if t > 1 else math.log(beta + 1e-300)
    a = math.log(2 + math.pi * t) - kappa * t
    if beta == 0:
        return a
    b = math.log(beta * (t + 1) * (1 + math.pi / 2)) - kappa * (t - 1)
    return max(a, b) + math.log1p(math.exp(-abs(a - b)))


class _Geometry:
    """Float64 geometry of the MP average in the angle ``theta``: ``nu = lam_- + 4 r sin^2(theta/2)``."""

    def __init__(self, lam, k, g2, beta, nesterov):
        self.lam, self.k, self.g2, self.beta, self.nest = float(lam), float(k), float(g2), float(beta), nesterov
        self.r = math.sqrt(self.lam)
        self.lo = ((1 - self.lam) / (1 + self.r)) ** 2
        # regime boundaries in h: critical damping, and (Nesterov) h = 1, (heavy ball) the negative double root
        b = self.beta
        if b == 0:
            hs = [1.0]
        elif nesterov:
            hs = [((1 - b) / (1 + b)) ** 2, 1.0]
        else:
            hs = [((1 - b) / (1 + math.sqrt(b))) ** 2, (1 + math.sqrt(b)) ** 2]
        self.seg = [0.0, *sorted(th for th in (self.theta_of_h(x) for x in hs) if th is not None), math.pi]
        self.kap_ends = [self.kappa(th) for th in self.seg]
        self.kmin = min(self.kap_ends)

    def h(self, th: float) -> float:
        return self.k * (self.lo + 4 * self.r * math.sin(th / 2) ** 2 + self.g2)

    def theta_of_h(self, h: float):
        s2 = (h / self.k - self.g2 - self.lo) / (4 * self.r)
        if not 0 < s2 < 1:
            return None
        return 2 * math.asin(math.sqrt(s2))

    def kappa(self, th: float) -> float:
        return _kappa_f(self.h(th), self.beta, self.nest)

    def osc_phase(self, th: float) -> float:
        """The argument ``theta`` of the complex roots at angle ``th`` (underdamped modes)."""
        h, b = self.h(th), self.beta
        p = (1 + b) * (1 - h) if self.nest else 1 + b - h
        disc, _ = _disc(h, b, self.nest)
        return math.atan2(math.sqrt(max(-disc, 0.0)), p)

    def h_of_phase(self, phase: float) -> float:
        """Inverse of :meth:`osc_phase` in ``h``: ``cos(theta) = p / (2 sqrt(q))``."""
        b, c = self.beta, math.cos(phase)
        if self.nest:
            return 1 - 4 * b * c * c / (1 + b) ** 2
        return 1 + b - 2 * math.sqrt(b) * c

    def _solve(self, f, a, b, target):
        """``th`` in ``[a, b]`` with ``f(th) = target`` for monotone ``f`` (bisection)."""
        fa = f(a)
        for _ in range(60):
            m = (a + b) / 2
            if (f(m) < target) == (fa < target):
                a = m
            else:
                b = m
        return (a + b) / 2

    def breaks(self, t: float, bits: int, t_min: float | None = None) -> list[float]:
        """Panel breakpoints for the times ``[t_min, t]`` (default ``t_min = t``): segment ends, pole widths,
        boundary layers (placed for ``t``, continued to where they are negligible at ``t_min``), oscillations (for
        ``t``, where they are not negligible at ``t_min``)."""
        t_min = t if t_min is None else t_min
        pts = set(self.seg)
        widths = []
        if self.lo > 0:
            widths.append(math.sqrt(self.lo / self.r))
        if self.g2 > 0:
            widths.append(math.sqrt((self.lo + self.g2) / self.r))
        for w in widths:
            pts.update(c * w for c in _MULTIPLES if c * w < math.pi)
        y_cut = (bits + 8) * _LN2 + 2 * math.log(t + 2)
        y_cut_t = y_cut * t / t_min if t_min > 0 else math.inf  # the same cut at t_min, in units of t
        for (a, b), (ka, kb) in zip(
            zip(self.seg[:-1], self.seg[1:], strict=True),
            zip(self.kap_ends[:-1], self.kap_ends[1:], strict=True),
            strict=True,
        ):
            if t > 0 and math.isfinite(ka) and math.isfinite(kb) and ka != kb:
                lo_k, hi_k = min(ka, kb), max(ka, kb)
                for y in _LAYER:
                    kk = self.kmin + y / t
                    if kk >= hi_k or y > y_cut_t:
                        break
                    if kk > lo_k:
                        pts.add(self._solve(self.kappa, a, b, kk))
            if self.beta > 0 and t > 0:
                mid = (a + b) / 2
                disc, _ = _disc(self.h(mid), self.beta, self.nest)
                if disc < 0 and (min(ka, kb) - self.kmin) * t_min < y_cut:
                    pa, pb = self.osc_phase(a), self.osc_phase(b)
                    n = int(abs(pb - pa) * t / (2 * math.pi))
                    if n > _MAX_PANELS:
                        raise MomentumQuadratureError(
                            f"t={t:g} needs {n} panels for the underdamped modes (more than {_MAX_PANELS})"
                        )
                    for j in range(1, n + 1):
                        th = self.theta_of_h(self.h_of_phase(pa + (pb - pa) * j / (n + 1)))
                        if th is not None:
                            pts.add(th)
        pts = sorted(pts)
        out = [pts[0]]
        for p in pts[1:]:
            if p - out[-1] > 1e-12 * max(1.0, p):
                out.append(p)
        if out[-1] != math.pi:
            out[-1] = math.pi
        return out


# ---------------------------------------------------------------------------------------------------------------
# arbitrary precision: nested Clenshaw-Curtis panels
# ---------------------------------------------------------------------------------------------------------------


class _Panel:
    __slots__ = ("a", "b", "kap", "level", "nodes", "f", "ft", "live")

    def __init__(self, a, b, kap):
        self.a, self.b, self.kap = a, b, kap  # kap: smallest decay rate on the panel (float)
        self.level = -1
        self.nodes = []  # per node of the finest rule: (W, A, B, mode)
        self.f = self.ft = None  # nodal values at the evaluator's current t
        self.live = False


@functools.lru_cache(maxsize=64)
def _cc_mpf(n: int, prec: int):
    x, w = _mode_quad._cc(n, prec)
    return tuple(mpmath.mpf((v, -prec)) for v in x), tuple(mpmath.mpf((v, -prec)) for v in w)


class _Average:
    """``D(t) = E[q (m - m_inf)]`` (the decaying part of ``d_out L``, atom included) and ``dD/dt`` for one setting,
    at the working precision of construction (``rel``: error relative to ``d_out L`` (``"total"``) or to ``D``)."""

    def __init__(self, lam, k, g2, beta, nesterov, train, *, t_hint, t_min=None, rel="total"):
        self.prec = mp.prec
        self.lam, self.k, self.g2, self.beta, self.nest, self.train, self.rel = lam, k, g2, beta, nesterov, train, rel
        self.t_hint = mpmath.mpf(t_hint)
        self.P = self.prec + _guard(4 * self.t_hint)
        with mp.workprec(self.P):
            self.r = mpmath.sqrt(lam)
            self.lo = ((1 - lam) / (1 + self.r)) ** 2
            self.two_pi = 2 / mp.pi
        self.linf = _mode_quad.plateau(lam, g2, train)
        self.atom = mpmath.mpf(0) if train or g2 == 0 else (1 - 1 / lam if lam > 1 else mpmath.mpf(0))
        if self.atom:
            with mp.workprec(self.P):
                self.atom_mode = _mode(k * g2, beta, nesterov)
        self.geo = _Geometry(lam, k, g2, beta, nesterov)
        self.wbound = (2 / math.pi) * (1 if train else (1 + float(self.r)) ** 2 / (4 * float(lam)))
        pts = self.geo.breaks(float(self.t_hint), self.prec + 30, None if t_min is None else float(t_min))
        with mp.workprec(self.P):
            mpts = [mpmath.mpf(p) for p in pts]
            mpts[-1] = +mp.pi
        self.panels = []
        for i in range(len(pts) - 1):
            ka, kb = self.geo.kappa(pts[i]), self.geo.kappa(pts[i + 1])
            self.panels.append(_Panel(mpts[i], mpts[i + 1], min(ka, kb)))
        self.t = None
        self.deriv = False

    def _node(self, th):
        """``(W, A, B, mode)`` at angle ``th``: ``W = (2/pi) q sin^2(th)/nu`` (the MP weight times ``q``)."""
        c, s = mpmath.cos_sin(th / 2)
        s2, c2 = s * s, c * c
        nu = self.lo + 4 * self.r * s2
        if self.train:
            w = 4 * s2 * c2
        elif self.lo == 0:
            w = c2 / self.r
        else:
            w = 4 * s2 * c2 / nu
        w = self.two_pi * w
        if self.g2:
            u = self.g2 / (nu + self.g2)
            aa, bb = 1 + (1 - u) ** 2, u * (1 - u)
        else:
            aa, bb = 2, 0
        return w, aa, bb, _mode(self.k * (nu + self.g2), self.beta, self.nest)

    def _value(self, node):
        """``(f, f_t)`` of one node at the current ``t``: ``f = W (A x^2 + 2 B x)/2``, ``f_t = W (A x + B) x'``."""
        w, aa, bb, mode = node
        x, dx = _x(mode, self.t, self.deriv)
        if bb:
            return w * x * (aa * x / 2 + bb), (w * (aa * x + bb) * dx if self.deriv else None)
        return w * x * x * (aa / 2), (w * aa * x * dx if self.deriv else None)

    def _refine(self, p: _Panel):
        """Add the nodes of the next nested rule (and their values at the current ``t``)."""
        level = p.level + 1
        if level > _MAX_LEVEL:
            raise MomentumQuadratureError(f"no convergence with {4 << _MAX_LEVEL} intervals on [{p.a}, {p.b}]")
        n = 4 << level
        x, _ = _cc_mpf(n, self.P + 8)
        mid, hw = (p.a + p.b) / 2, (p.b - p.a) / 2
        idx = range(n + 1) if p.level < 0 else range(1, n, 2)
        new = {i: self._node(mid + hw * x[i]) for i in idx}
        vals = {i: self._value(nd) for i, nd in new.items()}
        if p.level < 0:
            p.nodes = [new[i] for i in range(n + 1)]
            p.f = [vals[i][0] for i in range(n + 1)]
            p.ft = [vals[i][1] for i in range(n + 1)]
        else:
            p.nodes = [new[i] if i % 2 else p.nodes[i // 2] for i in range(n + 1)]
            p.f = [vals[i][0] if i % 2 else p.f[i // 2] for i in range(n + 1)]
            p.ft = [vals[i][1] if i % 2 else p.ft[i // 2] for i in range(n + 1)]
        p.level = level

    def _sums(self, p: _Panel):
        """The panel integral for its three finest nested rules."""
        hw = (p.b - p.a) / 2
        out = []
        for level in range(max(0, p.level - 2), p.level + 1):
            stride = 1 << (p.level - level)
            _, w = _cc_mpf(4 << level, self.P + 8)
            out.append(hw * mpmath.fdot(w, p.f[::stride]))
        return out

    def _log_bound(self, p: _Panel, t: float) -> float:
        lx = _log_xbound(t, p.kap, float(self.beta))
        lf = max(2 * lx, lx - math.log(4)) + math.log(2)  # x^2 + |x|/4 (A <= 2, B <= 1/4)
        return math.log(self.wbound) + math.log(float(p.b - p.a)) + lf

    def _set_time(self, t, deriv):
        if t == self.t and (self.deriv or not deriv):
            return
        self.t, self.deriv = t, deriv
        for p in self.panels:
            if p.level >= 0:
                vals = [self._value(nd) for nd in p.nodes]
                p.f = [v[0] for v in vals]
                p.ft = [v[1] for v in vals]

    def __call__(self, t, *, deriv=False):
        """``(D, dD/dt)`` at ``t`` (``dD/dt`` is ``None`` unless ``deriv``)."""
        t = mpmath.mpf(t)
        if _guard(t) > self.P - self.prec:
            raise MomentumQuadratureError("t too large for the guard bits of this evaluator")
        tf = float(t)
        with mp.workprec(self.P):
            self._set_time(t, deriv)
            atom_x, atom_dx = _x(self.atom_mode, t, deriv) if self.atom else (0, 0)
            atom_d = self.atom * atom_x * atom_x / 2
            bounds = [self._log_bound(p, tf) for p in self.panels]
            top = max(bounds)
            n_pan = len(self.panels)
            slack = (self.prec + 12) * _LN2 + math.log(n_pan) + 2 * math.log(tf + 2)
            for p, b in zip(self.panels, bounds, strict=True):
                p.live = p.live or b > top - slack
            tol = mpmath.ldexp(1, -self.prec - 3) / n_pan
            while True:
                for p in self.panels:
                    while p.live and p.level < _START:
                        self._refine(p)
                live = [p for p in self.panels if p.live]
                sums = [self._sums(p) for p in live]
                dec = mpmath.fsum(s[-1] for s in sums) + atom_d
                target = abs(dec) + (self.linf if self.rel == "total" else 0)
                if not target > 0:
                    raise MomentumQuadratureError("the loss evaluates to zero")
                # skipped panels: their bounds must be negligible against the target
                skipped = [i for i, p in enumerate(self.panels) if not p.live]
                cut = float(mpmath.log(target)) - (self.prec + 6) * _LN2 - math.log(max(1, len(skipped)))
                wake = [i for i in skipped if bounds[i] > cut]
                for i in wake:
                    self.panels[i].live = True
                bad = [p for p, s in zip(live, sums, strict=True) if _mode_quad._estimate(s, target, self.prec) > tol]
                if not wake and not bad:
                    break
                for p in bad:
                    self._refine(p)
            if not deriv:
                return dec, None
            d1 = self.atom * atom_x * atom_dx
            for p in live:
                _, w = _cc_mpf(4 << p.level, self.P + 8)
                d1 += (p.b - p.a) / 2 * mpmath.fdot(w, p.ft)
            return dec, d1


# ---------------------------------------------------------------------------------------------------------------
# float64 path
# ---------------------------------------------------------------------------------------------------------------


@functools.cache
def _gl():
    return leggauss(_GL)


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
    """``x_t`` (module docstring) for whole steps ``ts`` and modes ``h`` in float64, shape ``(len(ts), len(h))``:
    the closed forms of :func:`mode_factor` (two real roots ``A_1 z_1^t + A_2 z_2^t`` for roots with negative real
    part).  For finite-size predictions: a run's ``D_t - D_inf`` is ``V diag(x_t(h_i)) V^T (D_0 - D_inf)`` in the
    eigenbasis ``V`` of its ``Sigma_tr`` (claim ``finite-size-representation``)."""
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


def _float_panels(lam, k, g2, beta, nesterov, t_max, t_min, train):
    geo = _Geometry(lam, k, g2, beta, nesterov)
    pts = np.array(geo.breaks(float(t_max), 60, float(t_min)))
    xg, wg = _gl()
    a, b = pts[:-1, None], pts[1:, None]
    th = ((a + b) / 2 + (b - a) / 2 * xg).ravel()
    wt = ((b - a) / 2 * wg).ravel()
    r, lo = geo.r, geo.lo
    s2, c2 = np.sin(th / 2) ** 2, np.cos(th / 2) ** 2
    nu = lo + 4 * r * s2
    if train:
        w = 4 * s2 * c2
    elif lo == 0:
        w = c2 / r
    else:
        w = 4 * s2 * c2 / nu
    w = wt * 2 * w / np.pi
    if g2:
        u = g2 / (nu + g2)
        aa, bb = 1 + (1 - u) ** 2, u * (1 - u)
    else:
        aa, bb = np.full_like(nu, 2.0), np.zeros_like(nu)
    modes = _modes_np(k * (nu + g2), float(beta), nesterov)
    if np.any(modes[0] == 4):
        raise ValueError("the float64 path needs continuable modes (roots with non-negative real part)")
    return geo, w, aa, bb, modes


def _log_dec_float(ts, lam, k, g2, beta, nesterov, train):
    """``log(d_out L)`` at the times ``ts`` (float64; one geometry per octave of ``t``)."""
    ts = np.atleast_1d(np.asarray(ts, dtype=float))
    octave = np.floor(np.log2(np.maximum(ts, 0.5)))
    out = np.empty_like(ts)
    for o in np.unique(octave):
        sel = octave == o
        out[sel] = _log_dec_octave(ts[sel], lam, k, g2, beta, nesterov, train)
    return out


def _log_dec_octave(ts, lam, k, g2, beta, nesterov, train):
    geo, w, aa, bb, modes = _float_panels(lam, k, g2, beta, nesterov, ts.max(), ts.min(), train)
    kmin = geo.kmin
    x = _x_scaled_np(modes, ts, kmin)  # x e^{kmin t}
    s2 = np.sum(w * aa * x * x / 2, axis=-1)  # times e^{-2 kmin t}
    s1 = np.sum(w * bb * x, axis=-1)  # times e^{-kmin t}
    linf = float(_mode_quad.plateau(mpmath.mpf(lam), mpmath.mpf(g2), train))
    atom = 0.0 if train or g2 == 0 else max(0.0, 1 - 1 / lam)
    if atom:
        am = _modes_np(np.array([k * g2]), float(beta), nesterov)
        ax = _x_scaled_np(am, ts, 0.0)[:, 0]
        atom_d = atom * ax * ax / 2
    else:
        atom_d = np.zeros_like(ts)
    with np.errstate(all="ignore"):
        # log(linf + atom_d + s2 e^{-2 kmin t} + s1 e^{-kmin t}), scaled by the largest exponent
        lead = np.where(linf + atom_d > 0, 0.0, -kmin * ts * (1 if g2 else 2))
        tot = (linf + atom_d) * np.exp(-lead) + s2 * np.exp(-2 * kmin * ts - lead) + s1 * np.exp(-kmin * ts - lead)
        return np.log(tot) + lead


def losses_float(ts, lam, *, eta=0.01, momentum, nesterov=False, d_out=1, gamma=0.0):
    """``(L_tr, L_gen)`` at the times ``ts`` in float64 (the continuation in ``t``; same model as
    :func:`train_loss`), for scans and seeds.  Needs ``eta <= d_out (1 + beta)/(2 lam_+ + gamma)`` (heavy ball) or
    ``d_out/(2 lam_+ + gamma)`` (Nesterov), where every mode has the continuation."""
    lam, eta, beta, nesterov, d_out, gamma = _validated(lam, eta, momentum, nesterov, d_out, gamma)
    _check_continuable(lam, eta, beta, nesterov, d_out, gamma)
    k, g2 = 2 * float(eta) / d_out, float(gamma) / 2
    ts = np.asarray(ts, dtype=float)
    out = []
    for train in (True, False):
        out.append(np.exp(_log_dec_float(ts.ravel(), float(lam), k, g2, float(beta), nesterov, train)) / d_out)
    return out[0].reshape(ts.shape), out[1].reshape(ts.shape)


# ---------------------------------------------------------------------------------------------------------------
# public losses
# ---------------------------------------------------------------------------------------------------------------


def _validated(lam, eta, momentum, nesterov, d_out, gamma):
    lam = positive("lam", lam)
    eta = positive("eta", eta)
    beta = momentum_value(momentum)
    nesterov = _flag(nesterov)
    d_out = output_dim(d_out)
    gamma = real("gamma", gamma, low=0, low_open=False)
    stable_momentum_step(eta, beta, nesterov, lam, d_out, gamma)
    return lam, eta, beta, nesterov, d_out, gamma


def _check_continuable(lam, eta, beta, nesterov, d_out, gamma):
    """Refuse settings with top modes whose roots have negative real part (``h_max >= continuation_bound``)."""
    top = 2 * ((1 + mpmath.sqrt(lam)) ** 2 + gamma / 2) / d_out  # h_max / eta
    bound = continuation_bound(beta, nesterov=nesterov)
    if eta * top >= bound:
        form = "d_out/(2 lam_+ + gamma)" if nesterov else "d_out (1 + momentum)/(2 lam_+ + gamma)"
        raise ValueError(
            f"eta={mpmath.nstr(eta, 6)} with momentum={mpmath.nstr(beta, 6)} gives top modes with roots of negative"
            f" real part (no continuation in t between steps) for lam={mpmath.nstr(lam, 6)}: real-t losses and"
            f" grokking times need eta < {form} = {mpmath.nstr(bound / top, 6)}"
        )


def _loss(t, lam, eta, beta, nesterov, d_out, gamma, train):
    """``L(t)`` at the working precision (the caller adds guard bits)."""
    avg = _Average(lam, 2 * eta / d_out, gamma / 2, beta, nesterov, train, t_hint=t, rel="total")
    dec = avg(t)[0]
    return (avg.linf + dec) / d_out


def _public_loss(t, lam, eta, momentum, nesterov, d_out, gamma, train):
    t = nonnegative("t", t)
    if t != int(t):
        raise ValueError(f"t must be a whole number of steps with momentum, got {t}")
    lam, eta, beta, nesterov, d_out, gamma = _validated(lam, eta, momentum, nesterov, d_out, gamma)
    with mp.workprec(mp.prec + 20):
        v = _loss(t, lam, eta, beta, nesterov, d_out, gamma, train)
    return +v


def train_loss(t, lam, *, eta=0.01, momentum, nesterov=False, d_out=1, gamma=0):
    """Training loss after ``t`` steps (whole) of heavy-ball or Nesterov momentum ``momentum`` with learning rate
    ``eta`` (PyTorch's ``torch.optim.SGD``) on the loss of Eq. (3), in the MP limit (Eq. 6; Eqs. 8, 13, 15 with
    ``c(nu) = x_t(nu)``, module docstring).  ``momentum = 0`` is ``dynamics="gd"``.  Raises ``ValueError`` for
    ``t`` not a whole number ``>= 0``, ``lam <= 0``, ``eta <= 0``, ``momentum`` outside ``[0, 1)``, ``d_out < 1``,
    ``gamma < 0``, or an unstable step (:func:`numerics._validate.stable_momentum_step`)."""
    return _public_loss(t, lam, eta, momentum, nesterov, d_out, gamma, True)


def gen_loss(t, lam, *, eta=0.01, momentum, nesterov=False, d_out=1, gamma=0):
    """Generalisation loss ``||D_t||^2 / d_out`` after ``t`` momentum steps in the MP limit (atom of Eq. 6
    included); same arguments and validation as :func:`train_loss`."""
    return _public_loss(t, lam, eta, momentum, nesterov, d_out, gamma, False)


def loss_limit(lam, *, which="gen", eta=0.01, momentum, nesterov=False, d_out=1, gamma=0):
    """``lim_{t -> inf}`` of the train or gen loss: the fixed point ``D_inf`` does not depend on the optimizer, so
    this is GD's plateau (:func:`numerics.loss_limit`), once the step is checked to be stable."""
    lam, eta, beta, nesterov, d_out, gamma = _validated(lam, eta, momentum, nesterov, d_out, gamma)
    if which not in ("train", "gen"):
        raise ValueError(f"which must be 'train' or 'gen', got {which!r}")
    with mp.workprec(mp.prec + 20):
        v = _mode_quad.plateau(lam, gamma / 2, which == "train") / d_out
    return +v


# ---------------------------------------------------------------------------------------------------------------
# crossing times
# ---------------------------------------------------------------------------------------------------------------

#: whole steps scanned one by one before the geometric grid (ratio 2^(1/16)) takes over
SCAN_STEPS = 32
_RATIO = 2 ** (1 / 16)
_MAX_T = 2.0**52


def _float_bracket(lam, k, g2, beta, nesterov, train, log_y):
    """``(t_a, t_b, t_f)``: the first grid interval where the float64 ``log(d_out L)`` falls below ``log_y`` (whole
    steps ``0..SCAN_STEPS``, then the geometric grid ``t_{j+1} = ceil(2^(1/16) t_j)``), and the float64 crossing
    ``t_f`` inside it (Brent's method on the continuation)."""
    from scipy.optimize import brentq

    prev = 0.0
    grid = [float(i) for i in range(1, SCAN_STEPS + 1)]
    while True:
        vals = _log_dec_float(grid, lam, k, g2, beta, nesterov, train)
        below = np.nonzero(vals <= log_y)[0]
        if below.size:
            j = int(below[0])
            t_a, t_b = (grid[j - 1] if j else prev), grid[j]
            break
        prev = grid[-1]
        if prev > _MAX_T:
            raise RootFindingError(f"no crossing of the level below t = {prev:g}")
        grid = []
        t = prev
        for _ in range(16):
            t = float(math.ceil(t * _RATIO))
            grid.append(t)

    def f(tt):
        return float(_log_dec_float([tt], lam, k, g2, beta, nesterov, train)[0]) - log_y

    fa = f(t_a) if t_a > 0 else 1.0
    if fa <= 0:  # the float value at t_a disagrees with the scan (round-off): take the bracket end
        return t_a, t_b, t_a
    t_f = brentq(f, t_a, t_b, xtol=1e-13 * t_b, rtol=1e-15) if t_b > t_a else t_b
    return t_a, t_b, t_f


def _mp_crossing(lam, eta, beta, nesterov, d_out, gamma, train, y, bracket, caller_prec):
    """Newton steps on ``log(d_out L) - log y`` (exact ``t``-derivative from the same quadrature), from the float64
    crossing, kept inside its bracket; residual-checked like :func:`numerics._mode_quad.crossing`."""
    t_a, t_b, t_f = bracket
    lo, hi = mpmath.mpf(t_a), mpmath.mpf(t_b)
    t = mpmath.mpf(t_f)
    avg = _Average(lam, 2 * eta / d_out, gamma / 2, beta, nesterov, train, t_hint=max(t_b, 1), t_min=t_a, rel="dec")
    log_y = mpmath.log(y)
    tol = mpmath.ldexp(max(1, abs(log_y)), -mp.prec + 16)
    phi = None
    for _ in range(60):
        dec, d1 = avg(t, deriv=True)
        val = avg.linf + dec
        f = mpmath.log(val) - log_y
        if f > 0:
            lo = t
        else:
            hi = t
        step = -f * val / d1 if d1 != 0 else mpmath.inf
        if abs(step) <= mpmath.ldexp(max(t, 1), -caller_prec - 8):
            phi = f
            if abs(phi) > tol:
                break
            return t
        new = t + step
        if not lo < new < hi:
            new = (lo + hi) / 2
        t = new
    raise RootFindingError(
        f"momentum {'train' if train else 'gen'} crossing for lam={mpmath.nstr(lam, 8)}, beta={mpmath.nstr(beta, 8)}:"
        f" no converged root with residual below {mpmath.nstr(tol, 3)} (last t={mpmath.nstr(t, 10)}"
        + ("" if phi is None else f", residual {mpmath.nstr(phi, 3)}")
        + ")"
    )


def crossing_times(lam, eta, beta, nesterov, d_out, gamma, thr, caller_prec):
    """``(t_train, t_gen)``: the first crossings of the loss level ``thr`` (``None`` where the plateau is above it,
    0 where ``L(0) = 1/d_out`` is not above it), at the working precision (validated arguments; the caller adds
    guard bits).  The first whole step ``n`` with ``L(n) <= thr`` is located in float64 (every step up to
    ``SCAN_STEPS``, then a geometric grid of ratio ``2^(1/16)``), the crossing of the continued loss in the grid
    interval found by Brent's method, then refined by Newton steps at the working precision.  With every mode
    overdamped (``h_max <= h_1``) each mode and hence the loss decreases monotonically, and the crossing is unique;
    in the underdamped range the loss may oscillate, and a dip below ``thr`` that ends inside one grid interval
    (beyond ``SCAN_STEPS``) would not be seen."""
    _check_continuable(lam, eta, beta, nesterov, d_out, gamma)
    y = d_out * thr
    k, g2 = 2 * float(eta) / d_out, float(gamma) / 2
    out = []
    for train in (True, False):
        if y >= 1:
            out.append(mpmath.mpf(0))
        elif _mode_quad.plateau(lam, gamma / 2, train) >= y:
            out.append(None)
        else:
            bracket = _float_bracket(float(lam), k, g2, float(beta), nesterov, train, math.log(float(y)))
            out.append(_mp_crossing(lam, eta, beta, nesterov, d_out, gamma, train, y, bracket, caller_prec))
    return tuple(out)


def grokking_time_float(lam, *, eta=0.01, momentum, nesterov=False, eps=1e-3, level=None, d_out=1, gamma=0.0):
    """``(t_train, t_gen, delta)`` as floats (NaN where the level is never reached): the float64 crossings of
    :func:`crossing_times` without the refinement at the working precision (relative error ~1e-12; for scans)."""
    from .accuracy import loss_at_accuracy

    lam, eta, beta, nesterov, d_out, gamma = _validated(lam, eta, momentum, nesterov, d_out, gamma)
    _check_continuable(lam, eta, beta, nesterov, d_out, gamma)
    eps = positive("eps", eps)
    with mp.workdps(20):
        y = float(d_out * loss_at_accuracy(level, eps, d_out=d_out))
    k, g2 = 2 * float(eta) / d_out, float(gamma) / 2
    out = []
    for train in (True, False):
        if y >= 1:
            out.append(0.0)
        elif float(_mode_quad.plateau(lam, gamma / 2, train)) >= y:
            out.append(math.nan)
        else:
            out.append(_float_bracket(float(lam), k, g2, float(beta), nesterov, train, math.log(y))[2])
    return out[0], out[1], out[1] - out[0]


def grokking_time(lam, *, eta=0.01, momentum, nesterov=False, eps=1e-3, level=None, d_out=1, gamma=0):
    """:func:`numerics.grokking_time` with ``dynamics="momentum"``: the steps at which train and generalisation
    accuracy reach ``level`` under heavy-ball or Nesterov momentum (:func:`crossing_times`)."""
    from .grokking import grokking_time as _gt

    return _gt(
        lam, eta=eta, eps=eps, level=level, d_out=d_out, gamma=gamma, dynamics="momentum",
        momentum=momentum, nesterov=nesterov,
    )  # fmt: skip
