"""Two-layer linear networks in the Marchenko–Pastur limit (Section 4.1, Eqs. 17–19; Appendix E, Eqs. 37–40).

Student ``f(x) = S1^T S0^T x`` (``d_in - d_h - d_out``), teacher likewise, ``D = S0 S1 - T``, all weights
initialised as in Section 4.1 (``S0, T0 ~ N(0, 1/(2 d_in d_h))``, ``S1, T1 ~ N(0, 1/(2 d_out d_h))``), so that
``E|T|^2 = 1/(4 d_h)`` and ``E|D_0|^2 = 1/(2 d_h)``.

The exact flow (claim ``eq39-D-flow``) is ``dD/dt = -(2 eta/d_out)(S0 S0^T Sigma D + Sigma D S1^T S1)``.  Replacing
``S0 S0^T`` by ``(|S0|^2/d_in) I`` and ``S1^T S1`` by ``(|S1|^2/d_out) I`` gives Eq. (18),
``dD/dt = -(2 eta h / d_out^2) Sigma D`` with ``h = d_out |S0|^2/d_in + |S1|^2`` (``~ 1/2`` at initialisation, the
paper's ``h_0``; claim ``eq39-h-hessian`` shows the printed ``h = Tr[H]/2`` is not this quantity).  Every mode then
decays as ``exp(-nu tau)`` with ``tau' = 2 eta h / d_out^2``, and

    L_tr = (|D_0|^2 / d_out) F(2 tau),   L_gen = (|D_0|^2 / d_out) G(2 tau),

with ``F(s) = E_MP[nu e^{-s nu}]`` (Eq. 9) and ``G(s) = E_MP[e^{-s nu}]`` (:mod:`numerics.marcum`).

``kernel="fixed"``: ``h = 1/2`` for all ``t`` — the corrected Eq. (19)/(40),
``L = (|D_0|^2/d_out) L^{d_out=1}(eta/(2 d_out^2), lam, t)`` (claim ``eq40-two-layer-losses``).

``kernel="coupled"``: the coupled flow of Eq. (18) with the corrected ``h``-equation.  ``L`` depends on ``S0 S1`` only,
so ``S0^T S0 - S1 S1^T`` is conserved and ``d|S0|^2/dt = d|S1|^2/dt = -(4 eta/d_out) Tr[(T + D)^T Sigma D]`` (claim
``eq39-h-dot``); averaged over the initialisation in the MP limit,
``E Tr[(T + D)^T Sigma D] = |D_0|^2 F(2 tau) - |T|^2 F(tau)``, hence

    h' = -(1 + d_out/d_in) (4 eta / d_out) (|D_0|^2 F(2 tau) - |T|^2 F(tau)),   tau' = 2 eta h / d_out^2,

integrated with :func:`scipy.integrate.solve_ivp` (float64, ``rtol = 1e-11``); the losses are then evaluated at that
``tau`` at the working precision.  Since ``|T|^2, |D_0|^2 = O(1/d_h)``, the kernel moves by ``O(1/d_h)``.
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass

import mpmath
import numpy as np
from mpmath import mp
from scipy import integrate, special

from . import marcum
from ._validate import nonnegative, output_dim, positive

__all__ = ["KERNELS", "TwoLayerLosses", "two_layer_losses"]

#: ``"fixed"``: ``h = h_0`` (the paper's Eq. 19, corrected); ``"coupled"``: Eq. (18) integrated.
KERNELS = ("fixed", "coupled")


@dataclass(frozen=True)
class TwoLayerLosses:
    """Result of :func:`two_layer_losses`: the losses, the decay variable ``tau`` and the kernel ``h`` at ``t``."""

    train: mpmath.mpf
    gen: mpmath.mpf
    tau: mpmath.mpf
    h: mpmath.mpf
    kernel: str


def _width(name, value):
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
        raise ValueError(f"{name} must be an integer >= 1, got {value!r}")
    return int(value)


def _f64(s, lam):
    """``F(s) = E_MP[nu exp(-s nu)]`` in float64 (Eq. 9 in Bessel form, exponentially scaled)."""
    if s <= 0:
        return 1.0
    r = np.sqrt(lam)
    return float(np.exp(-s * (1 - r) ** 2) * special.ive(1, 2 * s * r) / (s * r))


def two_layer_losses(
    t, lam, *, d_h, d_out=1, eta=0.01, kernel="fixed", d_in=None, d0_sq=None, teacher_sq=None, h0=None
) -> TwoLayerLosses:
    """Train and generalisation losses of a two-layer linear network after ``t`` steps (Eqs. 18, 19; module doc).

    ``lam = d_in / N_tr``; ``d_h`` the hidden width (sets the default norms ``|D_0|^2 = 1/(2 d_h)``,
    ``|T|^2 = 1/(4 d_h)``; pass ``d0_sq``/``teacher_sq`` to use measured ones); ``kernel`` ``"fixed"`` or
    ``"coupled"``; ``d_in`` enters the coupled flow through ``1 + d_out/d_in`` and ``h_0 = 1/2 + d_out/(2 d_in)``
    (``None``: the ``d_in -> inf`` limit); ``h0`` overrides the initial kernel (default ``1/2`` for ``"fixed"``, as in
    the paper).  Raises ``ValueError`` for invalid input or a step ``eta`` at which GD on Eq. (18) would diverge
    (``eta h_0 lam_+ / d_out^2 >= 1``).
    """
    t = nonnegative("t", t)
    lam = positive("lam", lam)
    eta = positive("eta", eta)
    d_out = output_dim(d_out)
    d_h = _width("d_h", d_h)
    if kernel not in KERNELS:
        raise ValueError(f"kernel must be one of {KERNELS}, got {kernel!r}")
    d_in = None if d_in is None else _width("d_in", d_in)
    d0_sq = mpmath.mpf(1) / (2 * d_h) if d0_sq is None else positive("d0_sq", d0_sq)
    teacher_sq = mpmath.mpf(1) / (4 * d_h) if teacher_sq is None else nonnegative("teacher_sq", teacher_sq)
    if h0 is None:
        h0 = mpmath.mpf(1) / 2 + (0 if kernel == "fixed" or d_in is None else mpmath.mpf(d_out) / (2 * d_in))
    h0 = positive("h0", h0)
    lam_plus = (1 + mpmath.sqrt(lam)) ** 2
    bound = d_out**2 / (h0 * lam_plus)
    if eta >= bound:
        raise ValueError(
            f"eta={mpmath.nstr(eta, 6)} is an unstable GD step for the two-layer flow (Eq. 18) at"
            f" lam={mpmath.nstr(lam, 6)}, d_out={d_out}: need 0 < eta < d_out^2/(h0 lam_+) = {mpmath.nstr(bound, 6)}"
        )
    if kernel == "fixed":
        tau, h = 2 * eta * h0 * t / d_out**2, h0
    else:
        tau, h = _coupled(float(t), float(lam), d_out, float(eta), d_in, float(d0_sq), float(teacher_sq), float(h0))
        tau, h = mpmath.mpf(tau), mpmath.mpf(h)
    with mp.workprec(mp.prec + 10):
        train = d0_sq / d_out * marcum.train_loss_closed(2 * tau, lam)
        gen = d0_sq / d_out * marcum.gen_loss_closed(2 * tau, lam)
    return TwoLayerLosses(+train, +gen, tau, h, kernel)


def _coupled(t, lam, d_out, eta, d_in, d0_sq, teacher_sq, h0):
    """``(tau(t), h(t))`` from the coupled flow (module docstring), float64."""
    if t == 0:
        return 0.0, h0
    growth = 1 + (0 if d_in is None else d_out / d_in)

    def rhs(_, y):
        tau, h = y
        drive = d0_sq * _f64(2 * tau, lam) - teacher_sq * _f64(tau, lam)
        return [2 * eta * h / d_out**2, -growth * (4 * eta / d_out) * drive]

    sol = integrate.solve_ivp(rhs, (0.0, t), [0.0, h0], method="DOP853", rtol=1e-11, atol=1e-14)
    if not sol.success:  # pragma: no cover - smooth, non-stiff system
        raise RuntimeError(f"coupled two-layer flow failed to integrate: {sol.message}")
    return float(sol.y[0, -1]), float(sol.y[1, -1])
