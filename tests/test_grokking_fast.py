"""numerics.grokking_time (Halley steps on the closed forms, gamma = 0 flow) against an independent reference.

The reference is written out here: the losses of Eqs. (8), (13), (15) as ``mpmath.quad`` of the Marchenko-Pastur
law of Eq. (6) (substitution ``nu = lam_- + w^2``, which removes the ``nu^-1/2`` edge of ``lam = 1``), and the
crossing time by ``mpmath.findroot`` at 25 digits, started from a bracket whose end signs it checks itself.  No timing
asserts here: ``benchmarks/bench_grokking_time.py`` measures the speed.
"""

from __future__ import annotations

import ast
import functools
import importlib
import inspect

import mpmath
import pytest
from mpmath import mp

import numerics
from numerics import _errors, _flow_roots, grokking

REF_DPS = 25
DIGITS = 18


def _ref_loss(t, lam, eta, d_out, gamma, train):
    """``L(t)`` by quadrature of Eq. (6): ``(1/(2 d_out)) E[q (c^2 + r^2)]`` (module doc of numerics.losses), atom
    included; ``c = exp(-(2 eta/d_out)(nu + gamma/2) t)``, ``r = (c nu + gamma/2)/(nu + gamma/2)``; ``t = inf``
    gives the plateau."""
    lam, t = mpmath.mpf(lam), mpmath.mpf(t)
    r = mpmath.sqrt(lam)
    lo, hi = (1 - r) ** 2, (1 + r) ** 2
    k = 2 * mpmath.mpf(eta) / d_out
    g2 = mpmath.mpf(gamma) / 2

    def mode(nu):
        rate = k * (nu + g2)  # 0 for the atom without weight decay: it never decays
        c = (0 if rate else 1) if t == mpmath.inf else mpmath.exp(-rate * t)
        if gamma == 0:
            return c * c
        rr = (c * nu + g2) / (nu + g2)
        return (c * c + rr * rr) / 2

    def integrand(w):  # p(nu) dnu with nu = lo + w^2: w^2 sqrt(hi - nu) / (pi lam nu) dw
        nu = lo + w * w
        return (nu if train else 1) * mode(nu) * w * w * mpmath.sqrt(max(0, hi - nu)) / (mp.pi * lam * nu)

    s = 4 * mpmath.mpf(eta) * t / d_out
    top = mpmath.sqrt(hi - lo)
    fine = [] if t == mpmath.inf else [mpmath.sqrt(c / s) for c in (1, 4, 16, 64) if c / s < top**2]
    pts = [mpmath.mpf(0), *fine, top]
    v = mp.quad(integrand, pts)
    if not train and lam > 1:
        v += (1 - 1 / lam) * mode(mpmath.mpf(0))
    return v / d_out


def _ref_threshold(level, eps, d_out):
    """Eq. (10)/(13) inverted with mpmath's own root finders (the level's loss, independent of numerics.accuracy)."""
    eps = mpmath.mpf(eps)
    lev = mpmath.erf(mpmath.sqrt(2)) if level is None else mpmath.mpf(level)
    if d_out == 1:
        return eps / (2 * mpmath.erfinv(lev) ** 2)
    a = mpmath.mpf(d_out) / 2
    x = mp.findroot(lambda x: mpmath.gammainc(a, 0, x, regularized=True) - lev, a)
    return d_out * eps / (2 * x)


def _ref_crossing(loss, thr, near):
    """The root of ``loss(t) = thr`` inside ``near (1 -+ 1e-12)``, after checking the signs at both ends."""
    loss = functools.cache(loss)  # the secant steps start from the two checked ends
    lo, hi = near * (1 - mpmath.mpf(10) ** -12), near * (1 + mpmath.mpf(10) ** -12)
    assert loss(lo) > thr > loss(hi), "the reference root is not within 1e-12 of the tested time"
    # secant steps from the bracket ends, to 1e-22 relative (the quadrature is good to ~1e-24)
    return mp.findroot(lambda t: mpmath.log(loss(t) / thr), (lo, hi), solver="secant", tol=1e-22, verify=False)


CASES = [  # lam, eta, eps, d_out, level, gamma: both evaluation regimes (Miller z < 150, Hankel above) of both losses
    (0.05, 0.01, 1e-3, 1, None, 0),
    (0.3, 0.05, 1e-6, 1, None, 0),
    (0.5, 0.01, 1e-3, 1, 0.95, 0),
    (0.7, 0.1, 1e-4, 4, None, 0),
    (0.9, 0.01, 1e-3, 26, 0.95, 0),
    (0.99, 0.01, 1e-5, 1, None, 0),
    (1.0, 0.01, 1e-3, 1, None, 0),
    (1.02, 0.01, 0.3, 1, None, 0),  # lam > 1 with a crossing of L_gen above its plateau
    (2.0, 0.01, 1e-3, 3, None, 0),  # plateau above the level: t_gen is None
    (0.5, 0.05, 0.1, 2, None, 1e-3),  # weight decay: the quadrature path, unchanged
]


@pytest.mark.parametrize("lam, eta, eps, d_out, level, gamma", CASES)
def test_grokking_time_matches_quadrature_reference(lam, eta, eps, d_out, level, gamma):
    with mp.workdps(20):
        g = numerics.grokking_time(lam, eta=eta, eps=eps, d_out=d_out, level=level, gamma=gamma)
    with mp.workdps(REF_DPS):
        thr = _ref_threshold(level, eps, d_out)
        assert abs(g.loss_threshold / thr - 1) < mpmath.mpf(10) ** -DIGITS
        for train, got in ((True, g.t_train), (False, g.t_gen)):
            plateau = _ref_loss(mpmath.inf, lam, eta, d_out, gamma, train)
            if plateau >= thr:
                assert got is None
                continue
            ref = _ref_crossing(lambda t, tr=train: _ref_loss(t, lam, eta, d_out, gamma, tr), thr, got)
            assert abs(got / ref - 1) < mpmath.mpf(10) ** -DIGITS, (train, got, ref)


def test_zero_time_when_already_accurate_and_none_above_the_plateau():
    with mp.workdps(20):
        g = numerics.grokking_time(0.5, eps=4.5)  # L(0) = 1 <= eps/4
        assert g.t_train == 0 and g.t_gen == 0 and g.delta == 0
        g = numerics.grokking_time(1.5, eps=1e-3, d_out=2)
        assert g.t_gen is None and g.delta is None and g.t_train > 0


def test_hankel_and_miller_regimes_agree():
    """The two evaluations of (log F, its derivatives) agree where both are valid (z = 2 sqrt(lam) s >= 150)."""
    with mp.workdps(30):
        for lam, s in ((0.5, 120), (0.9, 400), (1.0, 2000), (1.3, 90)):
            for train in (True, False):
                f = _flow_roots._Loss(mpmath.mpf(lam), train=train, exact=True)
                hankel = f(mpmath.mpf(s))
                f._z_min = lambda: float("inf")  # force Miller's recurrence
                miller = f(mpmath.mpf(s))
                assert abs(hankel[0] - miller[0]) < mpmath.mpf(10) ** -28
                assert abs(hankel[1] / miller[1] - 1) < mpmath.mpf(10) ** -25
                assert abs(hankel[2] / miller[2] - 1) < mpmath.mpf(10) ** -20


def test_failed_residual_raises(monkeypatch):
    real_call = _flow_roots._Loss.__call__

    def stalled(self, s):  # a wrong derivative in the exact evaluation: tiny steps, far from the root
        phi, d1, d2 = real_call(self, s)
        return phi, (d1 * mpmath.mpf(10) ** 40 if self.exact else d1), d2

    monkeypatch.setattr(_flow_roots._Loss, "__call__", stalled)
    with mp.workdps(20), pytest.raises(numerics.RootFindingError):
        numerics.grokking_time(0.5)


def test_root_finding_error_has_one_home():
    assert grokking.RootFindingError is _errors.RootFindingError is numerics.RootFindingError
    acc = importlib.import_module("numerics.accuracy")  # the package re-exports the function `accuracy`
    assert acc.RootFindingError is _errors.RootFindingError
    imported = {
        node.module
        for node in ast.walk(ast.parse(inspect.getsource(acc)))
        if isinstance(node, ast.ImportFrom) and node.module
    }
    assert "grokking" not in imported  # no import cycle accuracy <-> grokking
