"""The MP-limit losses with weight decay or under discrete GD, and their first two ``t``-derivatives, by a
Clenshaw–Curtis quadrature in fixed-point arithmetic; crossing times by Halley steps on them.

Model (:mod:`numerics.losses`): per mode ``nu`` the initialisation-averaged loss is ``m = (c^2 + r^2) / 2`` with
``c = e^{-rho(nu) t}``, ``r = c (1 - u) + u``, ``u = (gamma/2) / (nu + gamma/2)`` and the rate
``rho = (2 eta / d_out)(nu + gamma/2)`` (gradient flow) or ``-log(1 - (2 eta / d_out)(nu + gamma/2))`` (GD, mode
factors ``a(nu) = e^{-rho} >= 0``).  Its limit is ``m_inf = u^2 / 2``, and

    m - m_inf = (A c^2 + 2 B c) / 2,   A = 1 + (1 - u)^2,  B = u (1 - u),
    dm/dt = -rho (A c^2 + B c),        d^2m/dt^2 = rho^2 (2 A c^2 + B c),

sums of non-negative terms (``0 <= u <= 1``), so ``d_out L = d_out L_inf + E[q (m - m_inf)]`` (``q = nu`` or 1) is
computed without cancellation, and ``E[q (m - m_inf)]`` is a positive mixture of decaying exponentials in ``t``: its
logarithm is convex, each level is crossed once.  The plateau ``d_out L_inf = E[q u^2] / 2`` has a closed form
(:func:`numerics.mp_law.resolvent`), as has ``L(0) = 1 / d_out``.  The atom of Eq. (6) (gen loss, ``lam > 1``) has
``u = 1``: it contributes ``(1 - 1/lam) c_0^2 / 2`` with ``c_0 = e^{-rho(0) t}``.

Quadrature of the continuous part: in the angle of :mod:`numerics.mp_law`, ``nu = lam_- + 4 r sin^2(theta/2)``,
``p(nu) dnu = (2/pi) sin^2(theta) / nu dtheta`` on ``[0, pi]``, split into panels where the integrand has structure
near ``theta = 0``: multiples ``1, 4, 16, 64`` of the widths of the pole of ``1/nu`` (``sqrt(lam_- / r)``) and of
that of ``u`` at ``nu = -gamma/2`` (``sqrt((lam_- + gamma/2) / r)``), and in the boundary layer of the decay the
angles where ``y = (rho - rho_min) t`` passes ``1, 4, 16, 32, 48, ...`` (so that no panel spans more than a factor
``e^16`` of decay).  On each panel nested Clenshaw–Curtis rules (``n = 4, 8, 16, ...`` intervals) are summed in
fixed point (Python integers with ``P`` fractional bits); ``c = e^{-rho_min t} e^{-(rho - rho_min) t}`` keeps the
first factor as an ``mpf`` (no underflow) and the second in fixed point, where nodes with
``(rho - rho_min) t > (P + 4) log 2`` are exactly 0 (and panels beyond that are skipped).  A panel is accepted when
the error estimate of ``mpmath.quad`` for nested rules (:meth:`mpmath.calculus.quadrature.QuadratureRule.
estimate_error`), made more conservative (:func:`_estimate`), is below ``2^-(prec + 3) / (number of panels)``
relative to the target (the loss, or its decaying part for root finding), and refined otherwise; ``P`` is checked a
posteriori against the size of the result (rounding of every fixed-point operation bounded).  Anything unusual (no
convergence by ``n = 2048``, a GD mode factor ``a(nu) < 0``) raises :class:`QuadratureError`, on which the callers
use the plain ``mpmath.quad`` path.
"""

from __future__ import annotations

import functools
import math
from operator import mul

import mpmath
from mpmath import mp
from mpmath.libmp import to_fixed
from mpmath.libmp.libelefun import cos_sin_fixed, exp_fixed, ln2_fixed
from mpmath.libmp.libelefun import pi_fixed as le_pi_fixed

from . import mp_law
from ._errors import RootFindingError

__all__ = ["ModeLoss", "QuadratureError", "crossing", "loss", "plateau"]

_LN2 = math.log(2)
_N0 = 4  # coarsest Clenshaw–Curtis rule: n = _N0 2^level intervals
_START_LEVEL = 2
_MAX_LEVEL = 9  # n = 2048
_MULTIPLES = (1, 4, 16, 64)
_MERGE = 1.5  # breakpoints closer than this factor are merged
_LAYER_STEP = 16  # the boundary-layer panels span this much of the decay exponent (beyond y = 16)
_T_BITS = 64  # (rho - rho_min) is stored with this many extra bits, for t < 2^(_T_BITS - 8)
_MAX_HALLEY_STEPS = 60
#: initial fractional bits beyond the working precision (the a posteriori check adds more when the decaying part is
#: small against e^{-rho_min t}, the scale of the fixed-point values)
_GUARD = 48


class QuadratureError(ArithmeticError):
    """The fixed-point quadrature does not apply or did not converge (callers fall back to ``mpmath.quad``)."""


@functools.lru_cache(maxsize=32)
def _cc_rule(n: int, prec: int):
    """Clenshaw–Curtis nodes ``cos(i pi / n)`` and weights on ``[-1, 1]``, ``i = 0..n`` (``n`` even), as fixed-point
    integers with ``prec`` fractional bits:
    ``w_i = (c_i / n)(1 - sum_{k=1}^{n/2} b_k cos(2 k i pi / n) / (4k^2 - 1))``, ``c_0 = c_n = 1``, ``c_i = 2``,
    ``b_{n/2} = 1``, ``b_k = 2``."""
    g = prec + 16
    with mp.workprec(g + 10):
        x = [to_fixed(mpmath.cospi(mpmath.mpf(i) / n)._mpf_, g) for i in range(n + 1)]
    one = 1 << g
    coef = [((1 if k == n // 2 else 2) << g) // (4 * k * k - 1) for k in range(n // 2 + 1)]
    half = []
    for i in range(n // 2 + 1):
        acc = 0
        for k in range(1, n // 2 + 1):
            m = (2 * k * i) % (2 * n)
            acc += coef[k] * (x[m] if m <= n else x[2 * n - m])
        w = (one - (acc >> g)) * (1 if i in (0, n) else 2) // n
        half.append(w)
    w = half + half[:-1][::-1]  # w_{n-i} = w_i
    return tuple(v >> 16 for v in x), tuple(v >> 16 for v in w)


@functools.lru_cache(maxsize=64)
def _cc(n: int, prec: int):
    """:func:`_cc_rule` at ``prec`` bits, from a cached rule at a multiple of 64 bits."""
    top = -(-prec // 64) * 64
    x, w = _cc_rule(n, top)
    if top == prec:
        return x, w
    sh = top - prec
    return tuple(v >> sh for v in x), tuple(v >> sh for v in w)


def _estimate(values, scale, prec):
    """Error estimate for the last of ``values`` (nested rules), on the values divided by ``scale``: mpmath's
    (``QuadratureRule.estimate_error``: ``|I_2 - I_1|`` for two levels, else ``10^int(min(0, max(D1^2/D2, 2 D1,
    -prec)))`` with ``D1 = log10|I_k - I_{k-1}|``, ``D2 = log10|I_k - I_{k-2}|``), made more conservative by the term
    ``2 D1 - D2`` (the digits gained per level stay constant, instead of doubling: Clenshaw–Curtis gains digits like
    Gauss at small ``n`` and half as fast beyond, where mpmath's extrapolation was measured to be 100x optimistic)."""
    v = [x / scale for x in values]
    if len(v) == 2:
        return abs(v[1] - v[0])
    if v[-1] == v[-2] == v[-3]:
        return mpmath.mpf(0)
    d1, d2 = abs(v[-1] - v[-2]), abs(v[-1] - v[-3])
    if d1 == 0 or d2 == 0:
        return mpmath.ldexp(1, -prec - 3)  # mpmath returns epsilon here (log of zero)
    d1, d2 = _log10(d1), _log10(d2)
    d4 = min(0, max(d1 * d1 / d2, 2 * d1, 2 * d1 - d2, -prec))
    return mpmath.mpf(10) ** int(d4)


def _log10(x) -> float:
    """``log10`` of a positive ``mpf`` as a float (no underflow: via the binary exponent)."""
    m, e = mpmath.frexp(x)
    return math.log10(float(m)) + e * math.log10(2)


def plateau(lam, g2, train: bool):
    """``d_out L_inf = E[q u^2] / 2``, ``u = g2 / (nu + g2)``, atom included (closed form; 0 or the atom if
    ``g2 = 0``)."""
    if g2 == 0:
        return mpmath.mpf(0) if train else mp_law.atom(lam)
    m, m2, m_nu = mp_law.resolvent(g2, lam)
    return g2 * g2 * (m_nu if train else m2) / 2


class _Panel:
    """One panel ``[a, b]`` in theta: t-independent data of the nodes of the finest rule computed so far."""

    __slots__ = ("a", "b", "dl_a", "level", "wa", "wb", "rho", "dl", "dlf")

    def __init__(self, a, b, dl_a):
        self.a, self.b, self.dl_a = a, b, dl_a  # dl_a: float (rho - rho_min) at theta = a (the panel's smallest)
        self.level = -1
        self.wa = self.wb = self.rho = self.dl = self.dlf = ()


class ModeLoss:
    """``E[q (m - m_inf)]`` (the decaying part of ``d_out L``) and its first two ``t``-derivatives, at the working
    precision of ``mpmath.mp`` when constructed.

    ``rel="total"``: quadrature error below ``2^-prec`` relative to ``d_out L``; ``rel="dec"``: relative to the
    decaying part itself (root finding, where that part fixes the crossing).  ``t_hint`` places the breakpoints
    of the boundary layer (any ``t`` can be evaluated; the error control holds regardless).
    """

    def __init__(self, lam, eta, d_out, gamma, dynamics, train, *, t_hint, rel="total", extra_bits=0):
        self.prec = mp.prec
        self.train, self.rel, self.flow = train, rel, dynamics == "flow"
        self.lam = lam
        with mp.workprec(self.prec + 32):  # constants with guard bits: t rho_min may be large
            self.k = 2 * mpmath.mpf(eta) / d_out
            self.g2 = mpmath.mpf(gamma) / 2
            self.r = mpmath.sqrt(lam)
            self.lo = ((1 - lam) / (1 + self.r)) ** 2  # lam_- without the cancellation in 1 - r near lam = 1
            top = self.k * ((1 + self.r) ** 2 + self.g2)
            if not self.flow and top > 1:
                raise QuadratureError("some GD mode factors a(nu) are negative: the losses are not mixtures of decays")
            self.rho_min = self._rate(self.lo)
            self.rho0 = self._rate(mpmath.mpf(0))
        self.linf = plateau(lam, self.g2, train)
        self.atom = mpmath.mpf(0) if train or self.g2 == 0 else mp_law.atom(lam)
        self.P = self.prec + _GUARD + extra_bits
        self.t_hint = mpmath.mpf(t_hint)
        self._set_geometry()
        pts = self._breaks()
        dls = [self._dl_float(p) for p in pts]
        self.panels = [_Panel(a, b, d) for a, b, d in zip(pts[:-1], pts[1:], dls[:-1], strict=True)]

    def _rate(self, nu):
        w = nu + self.g2
        if self.flow:
            return self.k * w
        return mpmath.inf if self.k * w == 1 else -mpmath.log1p(-self.k * w)

    def _dl_float(self, theta) -> float:
        """``rho(nu(theta)) - rho_min`` in float64 (panel bookkeeping only)."""
        k, r, lo, g2 = float(self.k), float(self.r), float(self.lo), float(self.g2)
        dnu = 4 * r * math.sin(float(theta) / 2) ** 2
        if self.flow:
            return k * dnu
        a = 1 - k * (lo + dnu + g2)
        return math.inf if a <= 0 else math.log1p(k * dnu / a)

    def _breaks(self):
        """``0 < ... < pi``: multiples 1, 4, 16, 64 of the pole widths, merged when closer than a factor 1.5; then the
        boundary layer, where ``y = (rho - rho_min) t`` (flow form ``4 k t r sin^2(theta/2)``) passes 1, 4, 16, 32,
        48, ... up to the fixed-point cut-off ``(P + 4) log 2``, beyond which every node is exactly 0."""
        r = self.r
        widths = []
        if self.lo > 0:
            widths.append(mpmath.sqrt(self.lo / r))
        if self.g2 > 0:
            widths.append(mpmath.sqrt((self.lo + self.g2) / r))
        pts = sorted({c * w for w in widths for c in _MULTIPLES if c * w < mp.pi})
        kept = []
        for p in pts:
            if not kept or p > _MERGE * kept[-1]:
                kept.append(p)
        layer = []
        if self.t_hint > 0:
            scale = 4 * self.k * self.t_hint * r
            y_cut = (self.P + 4) * _LN2
            ys = [1, 4, *range(_LAYER_STEP, int(y_cut) + _LAYER_STEP, _LAYER_STEP)]
            for y in ys:
                if y >= scale:
                    break
                layer.append(2 * mpmath.asin(mpmath.sqrt(y / scale)))
            # pole points inside the layer are dropped when a layer point is near
            kept = [p for p in kept if not layer or p > layer[-1] or min(abs(p / q - 1) for q in layer) > 0.25]
        inner = sorted({*kept, *layer})
        if inner and mp.pi < _MERGE * inner[-1] and inner[-1] not in layer:
            inner.pop()
        return [mpmath.mpf(0), *inner, +mp.pi]

    def _set_geometry(self):
        """Fixed-point constants of the node geometry: ``G`` fractional bits, with guard bits for the divisions by
        ``nu`` and ``nu + gamma/2`` (at least ``lam_- + gamma/2`` where they occur)."""
        P = self.P
        low = self.lo + self.g2
        guard = 24 + (max(0, -int(mpmath.floor(mpmath.log(low, 2)))) if low > 0 else 0)
        self.G = G = P + _T_BITS + guard
        with mp.workprec(G + 10):
            f = {"r": self.r, "lo": self.lo, "g2": self.g2, "k": self.k, "rho_min": self.rho_min}
            self._fx = {key: to_fixed(mpmath.mpf(v)._mpf_, G) for key, v in f.items()}
            self._fx["2/pi"] = to_fixed((2 / mp.pi)._mpf_, G)
            self._pi2 = le_pi_fixed(G - 1)

    def _nodes(self, thetas, hw):
        """t-independent fixed-point data of the nodes at ``thetas`` (fixed point, ``G`` bits) on a panel of
        half-width ``hw`` (fixed point): ``(W A, W B)`` at ``P`` bits with ``W = (2/pi) hw q sin^2(theta)/nu``,
        ``rho`` at ``P`` bits, ``rho - rho_min`` at ``P + _T_BITS`` bits and as a float."""
        G, P = self.G, self.P
        fx = self._fx
        r, lo, g2, k = fx["r"], fx["lo"], fx["g2"], fx["k"]
        one = 1 << G
        scale = fx["2/pi"] * hw >> G
        out = []
        sh_p, sh_t = G - P, G - P - _T_BITS
        for th in thetas:
            c, s = cos_sin_fixed(th >> 1, G, self._pi2)
            h2 = s * s >> G
            c2 = c * c >> G
            dnu = 4 * r * h2 >> G
            nu = lo + dnu
            if lo == 0:  # lam = 1: sin^2(theta) / nu = c^2 / r exactly
                wt = (c2 << G) // r
            else:
                wt = ((4 * h2 * c2 >> G) << G) // nu
            wt = wt * scale >> G
            if self.train:
                wt = wt * nu >> G
            if g2:
                u = (g2 << G) // (nu + g2)
                v = one - u
                aa, bb = one + (v * v >> G), u * v >> G
            else:
                aa, bb = 2 * one, 0
            if self.flow:
                dl = k * dnu >> G
            else:
                with mp.workprec(G + 10):
                    a = 1 - self.k * (mpmath.mpf((nu, -G)) + self.g2)
                    dl = None if a <= 0 else to_fixed(mpmath.log1p(self.k * mpmath.mpf((dnu, -G)) / a)._mpf_, G)
            wa, wb = (wt * aa >> G) >> sh_p, (wt * bb >> G) >> sh_p
            if dl is None:
                out.append((wa, wb, None, None, math.inf))
            else:
                out.append((wa, wb, (fx["rho_min"] + dl) >> sh_p, dl >> sh_t, math.ldexp(float(dl >> (G - 60)), -60)))
        return out

    def _refine(self, p: _Panel):
        """Add the nodes of the next finer rule on panel ``p``."""
        level = p.level + 1
        if level > _MAX_LEVEL:
            raise QuadratureError(f"no convergence with {_N0 << _MAX_LEVEL} intervals on panel [{p.a}, {p.b}]")
        n = _N0 << level
        G = self.G
        x, _ = _cc(n, G)
        with mp.workprec(G + 10):
            mid, hw = to_fixed(((p.a + p.b) / 2)._mpf_, G), to_fixed(((p.b - p.a) / 2)._mpf_, G)
        idx = range(n + 1) if p.level < 0 else range(1, n, 2)
        new = dict(zip(idx, self._nodes([mid + (hw * x[i] >> G) for i in idx], hw), strict=True))
        old = list(zip(p.wa, p.wb, p.rho, p.dl, p.dlf, strict=True))
        data = [new[i] if i in new else old[i // 2] for i in range(n + 1)]
        p.wa, p.wb, p.rho, p.dl, p.dlf = (tuple(col) for col in zip(*data, strict=True))
        p.level = level

    def __call__(self, t, *, derivs=True):
        """``(D, D', D'')``: ``D = E[q (m - m_inf)]`` (atom included) and its ``t``-derivatives (``None`` unless
        ``derivs``), at the working precision of construction."""
        t = mpmath.mpf(t)
        if t >= mpmath.ldexp(1, _T_BITS - 8):
            raise QuadratureError("t too large for the fixed-point exponent")
        for _ in range(4):
            try:
                return self._evaluate(t, derivs)
            except _MorePrecision as e:  # rebuild the nodes with more fractional bits
                self.P += e.bits
                self._set_geometry()
                for p in self.panels:
                    p.level, p.wa, p.wb, p.rho, p.dl, p.dlf = -1, (), (), (), (), ()
        raise QuadratureError("fixed-point precision did not suffice")

    def _evaluate(self, t, derivs):
        P, prec = self.P, self.prec
        with mp.workprec(prec + 10):
            c0 = mpmath.exp(-self.rho_min * t) if t else mpmath.mpf(1)
            atom_c = (mpmath.exp(-2 * self.rho0 * t) if t else mpmath.mpf(1)) * self.atom
        tf = float(t)
        cut = (P + 4) * _LN2
        tq = to_fixed(t._mpf_, P)
        ln2 = ln2_fixed(P)
        one = 1 << P
        live = [p for p in self.panels if not p.dl_a * tf > cut]  # the others are exactly 0 in fixed point
        vals = []  # per live panel: (vA, vB) nodal values at its finest level
        for p in live:
            while p.level < _START_LEVEL:
                self._refine(p)
            vals.append(self._nodal(p, tf, tq, cut, ln2, one, derivs))
        while True:
            sums = [self._level_sums(p, v, c0) for p, v in zip(live, vals, strict=True)]
            with mp.workprec(prec + 10):
                dec = sum(s[-1] for s in sums) + atom_c / 2
                target = dec + (self.linf if self.rel == "total" else 0)
                if not target > 0:
                    raise QuadratureError("the loss evaluates to zero")
                tol = mpmath.ldexp(1, -prec - 3) / len(self.panels)
                bad = [i for i, s in enumerate(sums) if _estimate(s[-3:], target, prec) > tol]
            if not bad:
                break
            for i in bad:
                self._refine(live[i])
                vals[i] = self._nodal(live[i], tf, tq, cut, ln2, one, derivs)
        # a posteriori check of the fixed-point resolution.  Per node: W A, W B within 2 units of 2^-P, c within
        # (3 + (rho - rho_min) c) units (exp_fixed, and the rounding of t in the exponent; (rho - rho_min) c is at
        # most 1/(e t)), so W A c^2 and W B c within (2 + 2 (1 + max W)(3 + min(max dl, 1/(e t)))) units; the rule's
        # weights are positive with sum 2 per panel, and each is within one unit.  Nodes cut off (and panels beyond
        # the cut-off) are below 2^-(P + 4) (1 + max W) each.  All that must stay below 2^-(prec + 4) of the target.
        nodes = sum(len(p.wa) for p in self.panels) + 64
        wmax = (max((max(p.wa, default=0) for p in self.panels), default=0) >> P) + 1
        dlmax = max((max((d for d in p.dlf if d < math.inf), default=0) for p in live), default=0)
        per_node = 2 + 2 * wmax * (3 + min(dlmax, 1 / (math.e * tf) if tf else dlmax))
        with mp.workprec(prec + 10):
            err = mpmath.ldexp(int(2 * len(self.panels) * per_node + nodes * wmax) + 1, -P) * (c0 * c0 + c0)
            if err > mpmath.ldexp(target, -prec - 4):
                need = int(mpmath.log(err / target, 2)) + prec + 8
                raise _MorePrecision(max(8, need))
        if not derivs:
            return dec, None, None
        return (dec, *self._derivatives(live, vals, c0, atom_c))

    def _nodal(self, p: _Panel, tf, tq, cut, ln2, one, derivs):
        """Nodal ``(W A c^2, W B c)`` with ``c = e^{-(rho - rho_min) t}`` in fixed point."""
        P = self.P
        va, vb = [], []
        sh = P + _T_BITS
        for wa, wb, dl, dlf in zip(p.wa, p.wb, p.dl, p.dlf, strict=True):
            if tf == 0:
                c = one
            elif dlf * tf > cut:
                va.append(0)
                vb.append(0)
                continue
            else:
                c = exp_fixed(-((dl * tq) >> sh), P, ln2)
            va.append((wa * c >> P) * c >> P)
            vb.append(wb * c >> P)
        if derivs and tf == 0 and None in p.rho:
            raise QuadratureError("infinite rate at t = 0")
        return va, vb

    def _level_sums(self, p: _Panel, v, c0):
        """``D`` on panel ``p`` for its three finest nested rules, as ``mpf``: ``c0^2 SA / 2 + c0 SB``."""
        va, vb = v
        P = self.P
        out = []
        for level in range(max(0, p.level - 2), p.level + 1):
            n = _N0 << level
            stride = 1 << (p.level - level)
            _, w = _cc(n, P)
            sa = sum(map(mul, w, va[::stride]))
            sb = sum(map(mul, w, vb[::stride]))
            with mp.workprec(self.prec + 10):
                sa, sb = mpmath.mpf((sa, -2 * P)), mpmath.mpf((sb, -2 * P))
                out.append(c0 * (c0 * sa / 2 + sb))
        return out

    def _derivatives(self, live, vals, c0, atom_c):
        P = self.P
        a1 = b1 = a2 = b2 = 0
        for p, (va, vb) in zip(live, vals, strict=True):
            _, w = _cc(_N0 << p.level, P)
            for wi, x, y, rho in zip(w, va, vb, p.rho, strict=True):
                if x or y:
                    rx, ry = rho * x >> P, rho * y >> P
                    a1 += wi * rx
                    b1 += wi * ry
                    a2 += wi * (rho * rx >> P)
                    b2 += wi * (rho * ry >> P)
        with mp.workprec(self.prec + 10):
            e = -2 * P
            a1, b1, a2, b2 = (mpmath.mpf((v, e)) for v in (a1, b1, a2, b2))
            r0 = self.rho0
            d1 = -c0 * (c0 * a1 + b1) - r0 * atom_c
            d2 = c0 * (2 * c0 * a2 + b2) + 2 * r0 * r0 * atom_c
        return d1, d2


class _MorePrecision(Exception):
    def __init__(self, bits: int):
        super().__init__(bits)
        self.bits = bits


def loss(t, lam, eta, d_out, gamma, dynamics, train: bool):
    """``L(t)`` (train or gen) at the working precision (the caller adds guard bits); :class:`QuadratureError` if
    the fixed-point quadrature does not apply."""
    f = ModeLoss(lam, eta, d_out, gamma, dynamics, train, t_hint=t, rel="total")
    dec = f(t, derivs=False)[0]
    return (f.linf + dec) / d_out


def crossing(lam, eta, d_out, gamma, dynamics, train: bool, y, guess, caller_prec: int):
    """``t > 0`` with ``d_out L(t) = y`` for ``d_out L_inf < y < 1``, by Halley steps on ``log D(t) - log(y - d_out
    L_inf)`` (``D`` the decaying part, log-convex and decreasing), from ``guess`` (float, or ``None``: from
    ``t = d_out / (4 eta)``), safeguarded by the bracket the signs give.  Converged when a step is below
    ``2^-(caller_prec + 8) t``; the residual ``|log L - log L*|`` must then be below ``2^(16 - prec) max(1, |log L*|)``
    (the check of :func:`numerics.crossing_time`), else :class:`RootFindingError`."""
    t = mpmath.mpf(guess) if guess is not None and guess > 0 and math.isfinite(guess) else d_out / (4 * mpmath.mpf(eta))
    f = ModeLoss(lam, eta, d_out, gamma, dynamics, train, t_hint=t, rel="dec")
    log_y = mpmath.log(y)
    log_target = mpmath.log(y - f.linf)
    tol = mpmath.ldexp(max(1, abs(log_y)), -mp.prec + 16)
    lo, hi = mpmath.mpf(0), mpmath.inf
    phi = None
    for _ in range(_MAX_HALLEY_STEPS):
        if not (f.t_hint / 4 < t < 4 * f.t_hint):  # far from the breakpoints' scale: new panels
            f = ModeLoss(lam, eta, d_out, gamma, dynamics, train, t_hint=t, rel="dec", extra_bits=f.P - f.prec - _GUARD)
        dec, d1, d2 = f(t)
        psi = mpmath.log(dec) - log_target
        if psi > 0:
            lo = t
        else:
            hi = t
        p1 = d1 / dec
        p2 = d2 / dec - p1 * p1
        newton = psi / p1
        den = 1 - newton * p2 / (2 * p1)
        step = -newton / den if den > mpmath.mpf(1) / 2 else -newton
        if abs(step) <= mpmath.ldexp(t, -caller_prec - 8):
            phi = mpmath.log(f.linf + dec) - log_y
            if abs(phi) > tol:
                break
            return t
        new = t + step
        if not lo < new < hi:
            new = t - newton if lo < t - newton < hi else (2 * t if hi == mpmath.inf else (lo + hi) / 2)
        t = new
    raise RootFindingError(
        f"{'train' if train else 'gen'} crossing for lam={mpmath.nstr(lam, 8)}, gamma={mpmath.nstr(gamma, 8)},"
        f" dynamics={dynamics}: no converged root with residual below {mpmath.nstr(tol, 3)}"
        f" (last t={mpmath.nstr(t, 10)}" + ("" if phi is None else f", residual {mpmath.nstr(phi, 3)}") + ")"
    )
