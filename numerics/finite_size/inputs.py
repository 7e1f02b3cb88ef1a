"""Validated settings shared by :func:`~numerics.finite_size.grokking_time_distribution` and
:func:`~numerics.finite_size.loss_bands`."""

from __future__ import annotations

from dataclasses import asdict, dataclass

import mpmath
import numpy as np

from .. import losses
from .._validate import integer, positive, real, stable_step
from ..accuracy import level_value, loss_at_accuracy
from .sampling import DEFAULT_EXACT_MODES, resolve_method

ACCURACY_FORMS = ("exact", "eq13")


@dataclass(frozen=True)
class Settings:
    """One finite-size question: model, training, accuracy and sampling settings (all validated)."""

    lam: float
    d_in: int
    n_train: int
    eta: float
    eps: float
    d_out: int
    gamma: float
    level: float
    loss_threshold: float  #: the loss at which Eq. (10)/(13) gives ``level`` (used for d_out = 1 or ``eq13``)
    dynamics: str
    draws: int
    seed: int
    spectrum: str  #: resolved method, ``"exact"`` or ``"hybrid"``
    exact_modes: int
    accuracy: str

    def as_dict(self) -> dict:
        return asdict(self)

    @property
    def on_loss(self) -> bool:
        """Whether the accuracy is a function of the loss alone (``d_out = 1`` or Eq. 13's form)."""
        return self.d_out == 1 or self.accuracy == "eq13"

    def sampling(self) -> dict:
        """Keyword arguments of :func:`numerics.finite_size.sampling.draw_ensemble`."""
        return {
            "d_in": self.d_in,
            "n_train": self.n_train,
            "d_out": self.d_out,
            "eta": self.eta,
            "gamma": self.gamma,
            "dynamics": self.dynamics,
            "seed": self.seed,
            "method": self.spectrum,
            "exact_modes": self.exact_modes,
        }


def settings(
    lam, *, d_in, eta, eps, d_out, gamma, level, dynamics, draws, seed, spectrum, exact_modes, accuracy
) -> Settings:
    """Validate every input (``ValueError`` naming the parameter and its allowed range) and resolve the defaults.

    ``n_train = round(d_in / lam)`` must be >= 1; the step must be stable at the upper MP edge,
    ``eta < d_out / (lam_+ + gamma/2)`` (as everywhere in :mod:`numerics`); with ``dynamics="gd"`` every run's mode
    factors must also be positive (checked per run once its spectrum is drawn).
    """
    lam_mp = positive("lam", lam)
    d_in = integer("d_in", d_in)
    eta_mp = positive("eta", eta)
    eps_mp = positive("eps", eps)
    d_out = integer("d_out", d_out)
    gamma_mp = real("gamma", gamma, low=0, low_open=False)
    draws = integer("draws", draws)
    seed = integer("seed", seed, low=0)
    if dynamics not in losses.DYNAMICS:
        raise ValueError(f"dynamics must be one of {losses.DYNAMICS}, got {dynamics!r}")
    if accuracy not in ACCURACY_FORMS:
        raise ValueError(f"accuracy must be one of {ACCURACY_FORMS}, got {accuracy!r}")
    n_train = int(round(d_in / float(lam_mp)))
    if n_train < 1:
        raise ValueError(f"lam={lam!r} is too large for d_in={d_in}: n_train = round(d_in / lam) must be >= 1")
    stable_step(eta_mp, lam_mp, d_out, gamma_mp)
    n_nonzero = min(d_in, n_train)
    exact_modes = DEFAULT_EXACT_MODES if exact_modes is None else integer("exact_modes", exact_modes)
    with mpmath.mp.workdps(20):
        lev = float(level_value(level))
        thr = float(loss_at_accuracy(level, eps_mp, d_out=d_out))
    return Settings(
        lam=float(lam_mp),
        d_in=d_in,
        n_train=n_train,
        eta=float(eta_mp),
        eps=float(eps_mp),
        d_out=d_out,
        gamma=float(gamma_mp),
        level=lev,
        loss_threshold=thr,
        dynamics=dynamics,
        draws=draws,
        seed=seed,
        spectrum=resolve_method(spectrum, n_nonzero),
        exact_modes=exact_modes,
        accuracy=accuracy,
    )


def check_gd_factors(ens, s: Settings) -> None:
    """With ``dynamics="gd"`` refuse runs whose top mode factor ``1 - (2 eta/d_out)(nu_max + gamma/2)`` is <= 0."""
    if s.dynamics != "gd":
        return
    top = float(np.max(ens.nu))
    if 1 - (2 * s.eta / s.d_out) * (top + s.gamma / 2) <= 0:
        bound = s.d_out / (2 * (top + s.gamma / 2))
        raise ValueError(
            f"eta={s.eta:g} makes the top GD mode factor of a drawn run non-positive (nu_max = {top:.6g}): with"
            f" dynamics='gd' the finite-size times need 0 < eta < d_out / (2 (nu_max + gamma/2)) = {bound:.6g}"
        )
