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

This module holds the public losses, their limit, the crossing times behind ``numerics.grokking_time(...,
dynamics="momentum")`` and :func:`grokking_time_float`; one mode (recurrence, closed form, float64 mode factors,
stability bounds) is in :mod:`numerics._momentum_modes`, the MP average (geometry, panels) in
:mod:`numerics._momentum_average`; their public names are re-exported here.
"""

from __future__ import annotations

import math

import mpmath
import numpy as np
from mpmath import mp

from . import _mode_quad
from ._errors import RootFindingError
from ._momentum_average import _Average, _log_dec_float
from ._momentum_modes import (
    MomentumQuadratureError,
    _flag,
    continuation_bound,
    mode_factor,
    mode_factors_float,
    recurrence,
    step_bound,
)
from ._validate import momentum_value, nonnegative, output_dim, positive, real, stable_momentum_step

__all__ = [
    "MomentumQuadratureError",
    "continuation_bound",
    "crossing_times",
    "gen_loss",
    "grokking_time_float",
    "loss_limit",
    "losses_float",
    "mode_factor",
    "mode_factors_float",
    "recurrence",
    "step_bound",
    "train_loss",
]


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
