"""Certified values (extra ``certify``): rigorous Arb enclosures with python-flint.

* :func:`train_loss_ball` — Eq. (9) (proved in :mod:`derivations.claims.mp_limit`), ``0F1`` evaluated in ball
  arithmetic: a rigorous enclosure of the MP-limit train loss (gradient flow, ``gamma = 0``, any ``d_out``).
* :func:`gen_loss_ball` — Eq. (8) by rigorous integration (``acb.integral``) in the angle variable of
  :mod:`numerics.mp_law`, plus the atom ``(1 - 1/lam)^+``.
* :func:`grokking_time_ball` — enclosures of the crossing times: both losses decrease strictly in ``t`` (their
  derivatives are ``-4 eta E[nu^2 e^{-s nu}] < 0`` and ``-4 eta L_tr < 0``), so ``L(lo) > L* > L(hi)`` certified in
  ball arithmetic proves the crossing lies in ``[lo, hi]``.

Inputs are taken as exact binary numbers (a float ``0.01`` is the double nearest to 1/100).  ``prec`` is in bits.
"""

from __future__ import annotations

import mpmath

from ._validate import nonnegative, output_dim, positive, stable_step

__all__ = ["gen_loss_ball", "grokking_time_ball", "train_loss_ball"]


def _flint():
    try:
        import flint
    except ImportError as e:  # pragma: no cover - exercised only without the extra
        raise ImportError("certified values need python-flint: pip install 'grokking-audit[certify]'") from e
    return flint


def _args(t, lam, eta, d_out):
    t, lam, eta = nonnegative("t", t), positive("lam", lam), positive("eta", eta)
    d_out = output_dim(d_out)
    stable_step(eta, lam, d_out)
    return float(t), float(lam), float(eta), d_out


def train_loss_ball(t, lam, *, eta=0.01, d_out=1, prec=128):
    """Rigorous enclosure (``flint.arb``) of the train loss ``exp(-s(1+lam)) 0F1(;2; s^2 lam) / d_out``.

    ``s = 4 eta t / d_out`` (Eqs. 9, 13; gradient flow, ``gamma = 0``).
    """
    flint = _flint()
    t, lam, eta, d_out = _args(t, lam, eta, d_out)
    old = flint.ctx.prec
    flint.ctx.prec = prec
    try:
        s = 4 * flint.arb(eta) * flint.arb(t) / d_out
        la = flint.arb(lam)
        return (-s * (1 + la)).exp() * (s * s * la).hypgeom_0f1(2) / d_out
    finally:
        flint.ctx.prec = old


def gen_loss_ball(t, lam, *, eta=0.01, d_out=1, prec=128):
    """Rigorous enclosure of the generalisation loss ``E_MP[exp(-s nu)] / d_out`` (Eq. 8, atom included)."""
    flint = _flint()
    t, lam, eta, d_out = _args(t, lam, eta, d_out)
    old = flint.ctx.prec
    flint.ctx.prec = prec
    try:
        acb, arb = flint.acb, flint.arb
        s = 4 * arb(eta) * arb(t) / d_out
        la = arb(lam)
        r = la.sqrt()
        lo = (1 - r) ** 2
        exact_one = lam == 1.0

        def f(th, _analytic):
            h = (th / 2).sin()
            c = (th / 2).cos()
            nu = acb(lo) + 4 * acb(r) * h * h
            # sin^2(theta)/nu, written as cos^2(theta/2) at lam = 1 where it is a removable 0/0 at theta = 0
            w = c * c if exact_one else 4 * h * h * c * c / nu
            return w * (-acb(s) * (nu - acb(lo))).exp()

        integral = acb.integral(f, 0, arb.pi()).real
        cont = 2 / arb.pi() * integral * (-s * lo).exp()
        atom = max(0.0, 1 - 1 / lam)
        return (cont + (arb(1) - 1 / la if atom > 0 else 0)) / d_out
    finally:
        flint.ctx.prec = old


def _certify_crossing(ball, thr, t_est, rel):
    lo, hi = float(t_est) * (1 - rel), float(t_est) * (1 + rel)
    if ball(lo) > thr and ball(hi) < thr:  # arb comparisons are True only when certain
        return lo, hi
    return None


def grokking_time_ball(lam, *, eta=0.01, eps=1e-3, prec=128, digits=12):
    """Certified enclosures ``(t_train, t_gen)`` of the Erf(sqrt 2) crossing times (``d_out = 1``, ``gamma = 0``).

    Each is a ``flint.arb`` ``[lo, hi]`` with ``hi/lo - 1 ~ 10^-digits`` (``None`` if the level is never reached).
    Raises ``ValueError`` if the bracket cannot be certified at this precision (raise ``prec``).
    """
    flint = _flint()
    lam, eta, eps = float(positive("lam", lam)), float(positive("eta", eta)), float(positive("eps", eps))
    from .grokking import grokking_time

    with mpmath.mp.workdps(digits + 10):
        est = grokking_time(lam, eta=eta, eps=eps)
    thr = flint.arb(eps) / 4
    out = []
    for t_est, ball in ((est.t_train, train_loss_ball), (est.t_gen, gen_loss_ball)):
        if t_est is None:
            out.append(None)
            continue
        br = _certify_crossing(lambda t, ball=ball: ball(t, lam, eta=eta, prec=prec), thr, t_est, 10.0**-digits)
        if br is None:
            raise ValueError(f"could not certify the crossing near t={float(t_est):.6g} at prec={prec}; raise prec")
        lo, hi = br
        out.append(flint.arb(lo).union(flint.arb(hi)))  # contains [lo, hi] exactly (both ends are exact binary)
    return tuple(out)
