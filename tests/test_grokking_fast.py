"""numerics.grokking_time against an independent reference: Halley steps on the closed forms (gamma = 0 flow,
numerics._flow_roots) and on the fixed-point quadrature of the decaying part (weight decay, discrete GD,
numerics._mode_quad), and the losses and plateaus that quadrature and its closed forms give.

The reference is written out here: the losses of Eqs. (8), (13), (15) (and their GD form, mode factor ``a(nu)^t``) as
``mpmath.quad`` of the Marchenko-Pastur law of Eq. (6) (substitution ``nu = lam_- + w^2``, which removes the
``nu^-1/2`` edge of ``lam = 1``), and the crossing time by ``mpmath.findroot`` at 25 digits, started from a bracket
whose end signs it checks itself.  No timing asserts here: ``benchmarks/bench_grokking_time.py`` measures the speed.
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
from numerics import _errors, _flow_roots, _mode_quad, grokking

REF_DPS = 25
DIGITS = 18


def _ref_loss(t, lam, eta, d_out, gamma, train, dynamics="flow"):
    """``L(t)`` by quadrature of Eq. (6): ``(1/(2 d_out)) E[q (c^2 + r^2)]`` (module doc of numerics.losses), atom
    included; ``c = exp(-(2 eta/d_out)(nu + gamma/2) t)`` (flow) or ``(1 - (2 eta/d_out)(nu + gamma/2))^t`` (GD, the
    discrete update of Eq. 3 continued to real t), ``r = (c nu + gamma/2)/(nu + gamma/2)``; ``t = inf`` gives the
    plateau."""
    lam, t = mpmath.mpf(lam), mpmath.mpf(t)
    r = mpmath.sqrt(lam)
    lo, hi = (1 - r) ** 2, (1 + r) ** 2
    k = 2 * mpmath.mpf(eta) / d_out
    g2 = mpmath.mpf(gamma) / 2

    def mode(nu):
        rate = k * (nu + g2)  # 0 for the atom without weight decay: it never decays
        if t == mpmath.inf:
            c = 0 if rate else 1
        else:
            c = mpmath.exp(-rate * t) if dynamics == "flow" else (1 - rate) ** t
        if gamma == 0:
            return c * c
        rr = (c * nu + g2) / (nu + g2)
        return (c * c + rr * rr) / 2

    def integrand(w):  # p(nu) dnu with nu = lo + w^2: w^2 sqrt(hi - nu) / (pi lam nu) dw
        nu = lo + w * w
        return (nu if train else 1) * mode(nu) * w * w * mpmath.sqrt(max(0, hi - nu)) / (mp.pi * lam * nu)

    s = 4 * mpmath.mpf(eta) * t / d_out
    top = mpmath.sqrt(hi - lo)
    fine = [] if t in (0, mpmath.inf) else [mpmath.sqrt(c / s) for c in (1, 4, 16, 64) if c / s < top**2]
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


DECAY_CASES = [  # lam, eta, eps, d_out, level, gamma, dynamics: weight decay and discrete GD (numerics._mode_quad)
    (0.7, 0.01, 1e-3, 1, None, 0.0078, "flow"),  # gamma = 0.99 gamma_c: L_gen crosses just above its plateau
    (1.5, 0.02, 0.3, 2, 0.95, 1e-3, "flow"),  # lam > 1: the atom decays too; d_out = 2, level 0.95
    (0.5, 0.01, 1e-3, 1, None, 0, "gd"),
    (0.9, 0.02, 1e-4, 3, None, 2e-4, "gd"),
]


@pytest.mark.parametrize("lam, eta, eps, d_out, level, gamma, dynamics", DECAY_CASES)
def test_decay_grokking_time_matches_quadrature_reference(lam, eta, eps, d_out, level, gamma, dynamics):
    """Halley steps on the fixed-point quadrature against mpmath.quad + findroot at 25 digits, to 18 digits."""
    with mp.workdps(20):
        g = numerics.grokking_time(lam, eta=eta, eps=eps, d_out=d_out, level=level, gamma=gamma, dynamics=dynamics)
    with mp.workdps(REF_DPS):
        thr = _ref_threshold(level, eps, d_out)
        for train, got in ((True, g.t_train), (False, g.t_gen)):
            assert got is not None and got > 0
            ref = _ref_crossing(lambda t, tr=train: _ref_loss(t, lam, eta, d_out, gamma, tr, dynamics), thr, got)
            assert abs(got / ref - 1) < mpmath.mpf(10) ** -DIGITS, (train, got, ref)


@pytest.mark.parametrize("lam", [0.3, 0.99, 1.0, 1.7])
@pytest.mark.parametrize("gamma", [1e-6, 0.03])
def test_plateau_closed_form_matches_quadrature(lam, gamma):
    """numerics.loss_limit (Stieltjes transform of the MP law, numerics.mp_law.resolvent) against mpmath.quad."""
    with mp.workdps(30):
        for which in ("train", "gen"):
            got = numerics.loss_limit(lam, which=which, d_out=3, gamma=gamma)
            with mp.workdps(40):
                ref = _ref_loss(mpmath.inf, lam, 0.01, 3, gamma, which == "train")
            assert abs(got / ref - 1) < mpmath.mpf(10) ** -28, (which, got, ref)


LOSS_POINTS = [  # t, lam, eta, d_out, gamma, dynamics
    (0, 0.4, 0.01, 2, 1e-4, "flow"),
    (63.8, 0.57, 0.01, 1, 6.6e-4, "flow"),
    (7000, 0.7, 0.01, 1, 0.0078, "flow"),
    (2.5, 1.0, 0.19, 1, 2, "flow"),  # lam = 1: lam_- = 0; eta near the stability bound
    (300, 1.0, 0.01, 1, 1e-3, "flow"),
    (800, 1.4, 0.01, 1, 1e-40, "flow"),  # vanishing weight decay: the gamma = 0 loss
    (26891.9, 0.17, 0.01, 1, 1.2e-5, "flow"),  # on the plateau
    (20000, 0.9, 0.01, 1, 0, "gd"),
    (3000, 1.3, 0.01, 3, 1e-3, "gd"),
    (40, 0.5, 0.3, 1, 0, "gd"),  # negative mode factors 1 - 2 eta nu: mpmath.quad fallback
]


@pytest.mark.parametrize("t, lam, eta, d_out, gamma, dynamics", LOSS_POINTS)
def test_decay_losses_match_quadrature(t, lam, eta, d_out, gamma, dynamics):
    """train_loss / gen_loss (fixed-point Clenshaw-Curtis plus closed plateau) against mpmath.quad at 45 digits."""
    for dps in (20, 30):
        with mp.workdps(dps):
            got = [
                fn(t, lam, eta=eta, d_out=d_out, gamma=gamma, dynamics=dynamics)
                for fn in (numerics.train_loss, numerics.gen_loss)
            ]
        with mp.workdps(45):
            for train, v in zip((True, False), got, strict=True):
                ref = _ref_loss(t, lam, eta, d_out, gamma, train, dynamics)
                assert abs(v / ref - 1) < mpmath.mpf(10) ** (2 - dps), (dps, train, v, ref)


def test_decay_crossing_derivatives_and_fallback(monkeypatch):
    """The two t-derivatives of the decaying part agree with finite differences of its value; a failing quadrature
    falls back to the bracketing root finder on mpmath.quad (same result)."""
    with mp.workdps(30):
        lam, eta, gamma = mpmath.mpf(0.6), mpmath.mpf(0.01), mpmath.mpf(3e-3)
        for dynamics in ("flow", "gd"):
            f = _mode_quad.ModeLoss(lam, eta, 1, gamma, dynamics, False, t_hint=900, rel="dec")
            h = mpmath.mpf(10) ** -6
            d, d1, d2 = f(900)
            lo, hi = f(900 - h)[0], f(900 + h)[0]
            assert abs((hi - lo) / (2 * h) / d1 - 1) < 1e-10
            assert abs((hi - 2 * d + lo) / h**2 / d2 - 1) < 1e-5
    with mp.workdps(15):
        fast = numerics.grokking_time(0.6, gamma=3e-3)

        def fail(*args, **kwargs):
            raise _mode_quad.QuadratureError("forced")

        monkeypatch.setattr(_mode_quad, "crossing", fail)
        slow = numerics.grokking_time(0.6, gamma=3e-3)
        assert fast.t_train == slow.t_train and fast.t_gen == slow.t_gen
