"""The MP average of the momentum losses (:mod:`numerics.momentum`): the float64 geometry in the angle variable of
:mod:`numerics.mp_law` (panel breakpoints: pole widths, boundary layers of the slowest decay, oscillations), the
nested Clenshaw–Curtis panels at the working precision (``_Average``: the decaying part of ``d_out L`` and its
``t``-derivative), and the float64 Gauss–Legendre panel sums (``_log_dec_float``) that seed the crossing times.
"""

from __future__ import annotations

import functools
import math

import mpmath
import numpy as np
from mpmath import mp
from numpy.polynomial.legendre import leggauss

from . import _mode_quad
from ._momentum_modes import (
    MomentumQuadratureError,
    _disc,
    _guard,
    _kappa_f,
    _log_xbound,
    _mode,
    _modes_np,
    _x,
    _x_scaled_np,
)

_LN2 = math.log(2)
_MULTIPLES = (1, 4, 16, 64)
_LAYER = (1, 4, *range(16, 4000, 16))  # boundary-layer levels y = (kappa - kappa_min) t
_START = 2  # first refinement level: n = 4 * 2^level intervals
_MAX_LEVEL = 8  # n = 1024
_MAX_PANELS = 20000
_GL = 24  # Gauss-Legendre nodes per panel of the float64 path

# ---------------------------------------------------------------------------------------------------------------
# float64 geometry (panel breakpoints)
# ---------------------------------------------------------------------------------------------------------------


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
