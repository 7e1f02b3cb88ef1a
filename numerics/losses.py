"""Train and generalisation losses in the Marchenko–Pastur limit (Section 3.1, Eqs. 8, 9, 21).

Setting: ``d_out = 1``, no weight decay, gradient flow with ``t`` counted in GD steps of size
``eta`` (the paper's ``eta_0``).  With ``s = 4 eta t``:

* ``L_tr(t) = E[nu exp(-s nu)] = exp(-s (1 + lam)) 0F1(; 2; s^2 lam)``  (Eqs. 8 and 9; Eq. 9 is proved
  in :mod:`derivations.claims.mp_limit`), valid for every ``lam > 0``;
* ``L_gen(t) = E[exp(-s nu)]`` (Eq. 8), evaluated by quadrature of the MP law, atom included;
* ``dL_gen/dt = -4 eta L_tr`` (Eq. 21).

All results are correct to the working precision of ``mpmath.mp`` (computed with 20 guard bits).
"""

from __future__ import annotations

import mpmath
from mpmath import mp

from . import mp_law
from ._validate import nonnegative, positive, stable_step

__all__ = ["gen_loss", "train_loss", "train_loss_rate", "train_loss_quad"]


def _args(t, lam, eta):
    t = nonnegative("t", t)
    lam = positive("lam", lam)
    eta = positive("eta", eta)
    stable_step(eta, lam)
    return t, lam, eta


def _train(s, lam):
    return mpmath.exp(-s * (1 + lam)) * mpmath.hyp0f1(2, s * s * lam)


def train_loss(t, lam, *, eta=0.01):
    """Training loss ``L_tr`` after ``t`` GD steps of size ``eta`` (Eq. 8, closed form Eq. 9).

    ``L_tr = exp(-4 eta (1 + lam) t) 0F1(; 2; 16 eta^2 t^2 lam)``; ``L_tr(0) = E[nu] = 1``.
    Raises ``ValueError`` for ``t < 0``, ``lam <= 0``, ``eta <= 0``, non-finite input, or an unstable
    step ``eta >= 1 / lam_+``.
    """
    t, lam, eta = _args(t, lam, eta)
    with mp.workprec(mp.prec + 20):
        v = _train(4 * eta * t, lam)
    return +v


def train_loss_quad(t, lam, *, eta=0.01):
    """``L_tr`` by direct quadrature of Eq. (8) (independent of the closed form Eq. 9)."""
    t, lam, eta = _args(t, lam, eta)
    s = 4 * eta * t
    with mp.workprec(mp.prec + 20):
        v = mp_law.expect(lambda nu: nu * mpmath.exp(-s * nu), lam, scale=s)
    return +v


def train_loss_rate(t, lam, *, eta=0.01):
    """``dL_tr/dt = -4 eta E[nu^2 exp(-s nu)]`` in closed form.

    From Eq. 9 and ``d/dz 0F1(;2;z) = 0F1(;3;z)/2``:
    ``dL_tr/dt = 4 eta exp(-s(1+lam)) [-(1+lam) 0F1(;2;z) + s lam 0F1(;3;z)]``, ``z = s^2 lam``.
    """
    t, lam, eta = _args(t, lam, eta)
    with mp.workprec(mp.prec + 20):
        s = 4 * eta * t
        z = s * s * lam
        v = 4 * eta * mpmath.exp(-s * (1 + lam)) * (-(1 + lam) * mpmath.hyp0f1(2, z) + s * lam * mpmath.hyp0f1(3, z))
    return +v


def gen_loss(t, lam, *, eta=0.01):
    """Generalisation loss ``L_gen = E[exp(-4 eta nu t)]`` after ``t`` GD steps (Eq. 8).

    Includes the atom of Eq. (6): ``L_gen -> (1 - 1/lam)^+`` as ``t -> inf``.  Same validation as
    :func:`train_loss`.
    """
    t, lam, eta = _args(t, lam, eta)
    s = 4 * eta * t
    with mp.workprec(mp.prec + 20):
        v = mp_law.expect(lambda nu: mpmath.exp(-s * nu), lam, scale=s)
    return +v
