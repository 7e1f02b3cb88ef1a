"""Linear stability of full-batch GD on Eq. (3), and the error raised for divergent runs."""

from __future__ import annotations

import numpy as np


class DivergenceError(ValueError):
    """GD with the requested step size diverges (or has diverged, for the two-layer loop)."""


def mode_factors(nu, *, eta: float, gamma: float, d_out: int) -> np.ndarray:
    """Per-step factor ``a(nu) = 1 - (2 eta / d_out) nu - eta gamma / d_out`` of a ``Sigma_tr`` eigenmode (Eq. 3)."""
    return 1.0 - (eta / d_out) * (2.0 * np.asarray(nu, dtype=float) + gamma)


def check_stable(nu, *, eta: float, gamma: float, d_out: int) -> None:
    """Raise :class:`DivergenceError` unless ``|a(nu_max)| < 1`` for the top eigenvalue ``nu_max`` of ``Sigma_tr``.

    ``a(nu)`` decreases in ``nu`` and ``a(nu) <= 1`` for every ``nu >= 0``; at ``nu = 0`` with ``gamma = 0`` it is
    exactly 1 (a flat, *neutral* direction for ``lam > 1``: the mode keeps its initial value, it does not grow), so
    divergence is decided by the top of the spectrum: it happens iff ``(eta / d_out)(2 nu_max + gamma) >= 2``
    (for ``gamma = 0``: ``2 eta nu_max / d_out >= 2``).  Factor exactly 1 (undamped oscillation) is refused too.
    """
    nu_max = float(np.max(nu))
    factor = abs(float(mode_factors(nu_max, eta=eta, gamma=gamma, d_out=d_out)))
    if factor >= 1.0:
        bound = 2 * d_out / (2 * nu_max + gamma)
        raise DivergenceError(
            f"eta={eta:g} diverges: the top eigenvalue of Sigma_tr is nu_max={nu_max:.6g}, d_out={d_out},"
            f" gamma={gamma:g}, so its mode is multiplied by |1 - 2 eta nu_max/d_out - eta gamma/d_out|"
            f" = {factor:.6g} >= 1 per step (Eq. 3); need eta < 2 d_out / (2 nu_max + gamma) = {bound:.6g}"
        )
