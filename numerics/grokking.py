"""Grokking times (Section 3.1.3): when train and generalisation accuracy reach a level.

With the accuracy an explicit function of the loss (Eq. 10), accuracy ``level`` is reached when the loss
falls to ``L* = eps / (2 erfinv(level)^2)`` (``eps / 4`` for the paper's Erf(sqrt 2)).  Both losses of
Eq. (8) decrease monotonically in ``t`` (their derivatives are ``-4 eta E[nu^2 e^{-s nu}]`` and
``-4 eta L_tr``), so each crossing time is unique.  For ``gamma = 0`` under gradient flow it is found by Halley steps
on ``log L - log L*`` with the closed forms of the losses and of their derivatives (``dL_gen/dt = -(4 eta/d_out) L_tr``,
Eq. 21), from a float64 seed (:mod:`numerics._flow_roots`); otherwise (weight decay, discrete GD) by Halley steps on
the logarithm of the decaying part of the loss, whose two exact ``t``-derivatives are MP expectations like the loss
itself (:mod:`numerics._mode_quad`), from the same float64 seed.  Either way the residual is checked before a time is
returned (:class:`RootFindingError`, defined in :mod:`numerics._errors` and re-exported here).  The bracketing root
finder on ``mpmath.quad`` (:func:`crossing_time`) remains the fallback.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import mpmath
from mpmath import mp

from . import _mode_quad, losses, mp_law, structured
from . import momentum as _momentum
from ._errors import RootFindingError
from ._flow_roots import flow_crossing
from ._validate import positive
from .accuracy import level_value, loss_at_accuracy
from .fast import grokking_time_point

__all__ = ["GrokkingTime", "RootFindingError", "crossing_time", "grokking_time"]

_MAX_DOUBLINGS = 400


@dataclass(frozen=True)
class GrokkingTime:
    """Result of :func:`grokking_time`.

    ``t_train`` / ``t_gen``: GD steps at which train / generalisation accuracy reaches ``level``
    (``None`` if it never does); ``delta = t_gen - t_train`` (``None`` if either is ``None``).
    """

    t_train: mpmath.mpf | None
    t_gen: mpmath.mpf | None
    delta: mpmath.mpf | None
    level: mpmath.mpf
    loss_threshold: mpmath.mpf
    lam: mpmath.mpf
    eta: mpmath.mpf
    eps: mpmath.mpf
    d_out: int = 1
    gamma: mpmath.mpf = mpmath.mpf(0)
    dynamics: str = "flow"
    momentum: mpmath.mpf | None = None
    nesterov: bool = False


def _bracket_near(loss, threshold, guess):
    """A bracket ``[lo, hi]`` around ``guess`` with ``loss(lo) > threshold > loss(hi)``, or ``None``."""
    for rel in (1e-9, 1e-6, 1e-3, 1e-2):
        lo, hi = mpmath.mpf(guess) * (1 - rel), mpmath.mpf(guess) * (1 + rel)
        if lo > 0 and loss(lo) > threshold > loss(hi):
            return lo, hi
    return None


def crossing_time(loss: Callable, threshold, *, limit, t0, guess=None):
    """First ``t >= 0`` with ``loss(t) = threshold`` for a decreasing ``loss`` with ``loss(inf) = limit``.

    Returns 0 if ``loss(0) <= threshold`` and ``None`` if ``limit >= threshold`` (never reached).
    ``t0`` sets the scale of the initial bracket; an optional ``guess`` (e.g. from the float64 path) is tried first
    with a tight bracket that must verifiably contain the root.  Raises :class:`RootFindingError` if the root
    fails its residual check.
    """
    if loss(mpmath.mpf(0)) <= threshold:
        return mpmath.mpf(0)
    if limit >= threshold:
        return None
    near = None if guess is None or not (guess > 0) else _bracket_near(loss, threshold, guess)
    if near is not None:
        lo, hi = near
    else:
        lo, hi = mpmath.mpf(0), mpmath.mpf(t0)
        for _ in range(_MAX_DOUBLINGS):
            if loss(hi) < threshold:
                break
            lo, hi = hi, 2 * hi
        else:  # pragma: no cover - would need a loss that decays slower than any power of 2^-400
            raise RootFindingError(f"no bracket found up to t = {mpmath.nstr(hi, 5)}")
    log_thr = mpmath.log(threshold)

    def g(t):
        return mpmath.log(loss(t)) - log_thr

    root = mp.findroot(g, (lo, hi), solver="anderson")
    residual = abs(g(root))
    # the loss carries ~20 guard bits beyond the caller's precision; allow 16 of them in the residual of log L
    tol = mpmath.ldexp(max(1, abs(log_thr)), -mp.prec + 16)
    if not (lo <= root <= hi) or residual > tol:
        raise RootFindingError(
            f"root t={mpmath.nstr(root, 8)} fails its check: residual {mpmath.nstr(residual, 3)}"
            f" (tolerance {mpmath.nstr(tol, 3)}), bracket [{mpmath.nstr(lo, 5)}, {mpmath.nstr(hi, 5)}]"
        )
    return root


def grokking_time(
    lam,
    *,
    eta=0.01,
    eps=1e-3,
    level=None,
    d_out=1,
    gamma=0,
    dynamics="flow",
    spectrum=None,
    momentum=None,
    nesterov=False,
) -> GrokkingTime:
    """Times at which train and generalisation accuracy reach ``level`` (Section 3.1.3; Eqs. 13, 15 in general).

    ``level`` defaults to the paper's Erf(sqrt 2) ~ 95.45 % (reached when ``L = eps / 4`` for ``d_out = 1``); any level
    in (0, 1) is accepted (Fig. 4 uses 0.95).  Uses the exact MP-limit losses (:func:`numerics.train_loss`), not the
    approximations of Eqs. (11)-(12) and (24)-(26).  With ``dynamics="gd"`` the crossing time is that of the exact
    discrete-time losses continued to real ``t`` (``a(nu)^t``), which requires every mode factor
    ``a(nu) = 1 - (2 eta/d_out)(nu + gamma/2)`` to be non-negative, i.e. ``eta <= d_out / (2 (lam_+ + gamma/2))``.
    Raises ``ValueError`` for invalid input (see :func:`numerics.train_loss`).

    ``spectrum``: the eigenvalues of the input covariance for ``x ~ N(0, Sigma)`` (beyond the paper; gradient flow
    or GD with weight decay), :func:`numerics.structured.crossing_time` on the losses of :mod:`numerics.structured`
    with Eq. (10)/(13)'s accuracy of the loss (``z = D^T x`` is still Gaussian, with variance the loss).

    ``dynamics="momentum"`` (beyond the paper; ``momentum=beta`` required, ``nesterov``): PyTorch's heavy-ball or
    Nesterov momentum, :func:`numerics.momentum.crossing_times`: the crossing of the losses continued to real ``t``
    in the first whole step where they reach the level.  The continuation needs every mode's roots to have
    non-negative real part, ``eta < d_out (1 + beta)/(2 lam_+ + gamma)`` (Nesterov: ``d_out/(2 lam_+ + gamma)``;
    GD's condition at ``beta = 0``), else ``ValueError``.
    """
    lam, eta, d_out, gamma = losses._common(lam, eta, d_out, gamma, dynamics, momentum, nesterov, spectrum)
    eps = positive("eps", eps)
    if dynamics == "gd" and spectrum is None and 2 * eta * ((1 + mpmath.sqrt(lam)) ** 2 + gamma / 2) > d_out:
        raise ValueError(
            f"eta={mpmath.nstr(eta, 6)} makes some GD mode factors negative (oscillating losses) for lam={lam}:"
            f" grokking_time with dynamics='gd' needs eta <= d_out/(2 (lam_+ + gamma/2))"
        )
    lev = level_value(level)
    caller_prec = mp.prec
    with mp.workprec(mp.prec + 20):
        thr = loss_at_accuracy(level, eps, d_out=d_out)
        if spectrum is not None:
            t_tr, t_gen = _structured_times(lam, eta, d_out, gamma, dynamics, thr, spectrum)
        elif dynamics == "momentum":
            beta = mpmath.mpf(momentum)
            t_tr, t_gen = _momentum.crossing_times(lam, eta, beta, nesterov, d_out, gamma, thr, caller_prec)
        elif gamma == 0 and dynamics == "flow":
            t_tr, t_gen = _flow_times(lam, eta, d_out, thr, caller_prec)
        else:
            t_tr, t_gen = _decay_times(lam, eta, eps, level, lev, d_out, gamma, dynamics, thr, caller_prec)
        delta = None if t_tr is None or t_gen is None else t_gen - t_tr

    def rnd(x):  # round to the caller's precision
        return None if x is None else +x

    beta = None if dynamics != "momentum" else mpmath.mpf(momentum)
    return GrokkingTime(
        rnd(t_tr), rnd(t_gen), rnd(delta), +lev, +thr, lam, eta, eps, d_out, gamma, dynamics, beta, nesterov
    )


def _structured_times(lam, eta, d_out, gamma, dynamics, thr, spectrum):
    """``(t_train, t_gen)`` for inputs ``x ~ N(0, Sigma)``: the one-output crossings of ``d_out * thr`` with
    ``eta / d_out`` (Eq. 13's rescaling)."""
    y, rate = d_out * thr, eta / d_out
    structured.stable_step(lam, spectrum, eta=rate, gamma=gamma)
    return tuple(
        structured.crossing_time(y, lam, spectrum, eta=rate, train=train, gamma=gamma, dynamics=dynamics)
        for train in (True, False)
    )


def _flow_times(lam, eta, d_out, thr, caller_prec):
    """``(t_train, t_gen)`` for ``gamma = 0`` under gradient flow: Halley steps on the closed forms of ``d_out L`` as
    functions of ``s = 4 eta t / d_out`` (:mod:`numerics._flow_roots`, which uses ``dL_gen/dt = -(4 eta / d_out) L_tr``,
    Eq. 21), seeded in float64, residual-checked.  ``L(0) = 1 / d_out`` for both losses and ``L_gen(inf)`` is the
    atom ``(1 - 1/lam)^+ / d_out``."""
    y = d_out * thr
    if y >= 1:
        return mpmath.mpf(0), mpmath.mpf(0)
    scale = d_out / (4 * eta)
    t_tr = flow_crossing(lam, y, train=True, caller_prec=caller_prec) * scale
    if mp_law.atom(lam) >= y:
        return t_tr, None
    return t_tr, flow_crossing(lam, y, train=False, caller_prec=caller_prec) * scale


def _float_seeds(lam, eta, eps, level, lev, d_out, gamma):
    """Float64 gradient-flow estimates of ``(t_train, t_gen)`` (``None`` where NaN), :mod:`numerics.fast`."""
    est = grokking_time_point(
        float(lam),
        eta=float(eta),
        eps=float(eps),
        d_out=d_out,
        gamma=float(gamma),
        level=None if level is None else float(lev),
    )
    return tuple(float(e) if e == e else None for e in est[:2])


def _decay_times(lam, eta, eps, level, lev, d_out, gamma, dynamics, thr, caller_prec):
    """``(t_train, t_gen)`` with weight decay or under GD: Halley steps on the decaying part of the losses and its two
    exact ``t``-derivatives (MP expectations by the fixed-point quadrature of :mod:`numerics._mode_quad`), seeded by
    the float64 gradient-flow path of :mod:`numerics.fast`, residual-checked.  ``L(0) = 1/d_out`` and the plateau
    (closed form) decide ``0`` and ``None`` first, as in :func:`crossing_time`.  Falls back to
    :func:`_bracketed_times` where that quadrature does not apply.  Called at the working precision."""
    guesses = _float_seeds(lam, eta, eps, level, lev, d_out, gamma)
    y = d_out * thr
    out = []
    try:
        for train, guess in zip((True, False), guesses, strict=True):
            if y >= 1:  # d_out L(0) = E[q] = 1 for both losses
                out.append(mpmath.mpf(0))
            elif _mode_quad.plateau(lam, gamma / 2, train) >= y:
                out.append(None)
            else:
                out.append(_mode_quad.crossing(lam, eta, d_out, gamma, dynamics, train, y, guess, caller_prec))
    except _mode_quad.QuadratureError:
        return _bracketed_times(lam, eta, eps, level, lev, d_out, gamma, dynamics, thr)
    return tuple(out)


def _bracketed_times(lam, eta, eps, level, lev, d_out, gamma, dynamics, thr):
    """``(t_train, t_gen)`` by :func:`crossing_time` on the exact losses (quadrature for ``gamma > 0`` or GD; the
    closed forms for ``gamma = 0`` under gradient flow), each seeded by the float64 path of :mod:`numerics.fast`.
    Called at the working precision (caller's + 20 bits)."""
    t0 = d_out / (4 * eta)

    def loss(train):
        if gamma == 0 and dynamics == "flow":  # Eq. (9) and the Marcum-Q form of numerics.marcum
            closed = losses._closed_train if train else losses._closed_gen
            return lambda t: closed(t, lam, eta, d_out)
        return lambda t: losses._quad_loss(t, lam, eta, d_out, gamma, dynamics, train)

    kw = {"d_out": d_out, "gamma": gamma, "eta": eta}
    # float64 gradient-flow estimates (~1e-14 relative) seed a tight, verified bracket; for GD they are within
    # ~0.2 % (claim text-gradient-flow), inside the widest trial bracket of _bracket_near
    guesses = _float_seeds(lam, eta, eps, level, lev, d_out, gamma)
    t_tr = crossing_time(loss(True), thr, limit=losses.loss_limit(lam, which="train", **kw), t0=t0, guess=guesses[0])
    t_gen = crossing_time(loss(False), thr, limit=losses.loss_limit(lam, which="gen", **kw), t0=t0, guess=guesses[1])
    return t_tr, t_gen
