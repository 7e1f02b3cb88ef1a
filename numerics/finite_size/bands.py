"""Bands of the losses and accuracies over runs at finite size: the scatter around Eqs. (8), (10), (13), (15)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from tqdm.auto import tqdm

from .distribution import _chunks, quantile
from .inputs import check_gd_factors, settings
from .sampling import draw_ensemble

__all__ = ["LossBands", "loss_bands"]

_FIELDS = ("train_loss", "gen_loss", "train_acc", "gen_acc")


@dataclass(frozen=True)
class LossBands:
    """Quantiles over runs (result of :func:`loss_bands`).

    ``t``: the requested steps, shape ``(m,)``; ``q``: the quantile levels, ``(k,)``; ``train_loss``, ``gen_loss``,
    ``train_acc``, ``gen_acc``: arrays ``(k, m)``, row ``i`` the ``q[i]`` quantile over runs at each step.
    ``params``: every setting (as in :class:`~numerics.finite_size.GrokkingTimeDistribution`).
    """

    t: np.ndarray
    q: np.ndarray
    train_loss: np.ndarray
    gen_loss: np.ndarray
    train_acc: np.ndarray
    gen_acc: np.ndarray
    params: dict = field(default_factory=dict)

    def __post_init__(self):
        for name in ("t", "q", *_FIELDS):
            a = np.array(getattr(self, name), dtype=float)
            a.setflags(write=False)
            object.__setattr__(self, name, a)


def loss_bands(
    t,
    lam,
    *,
    d_in,
    eta=0.01,
    eps=1e-3,
    d_out=1,
    gamma=0.0,
    dynamics="flow",
    draws=1000,
    seed=0,
    q=(0.1, 0.5, 0.9),
    spectrum="auto",
    exact_modes=None,
    accuracy="exact",
    progress=False,
) -> LossBands:
    """Quantiles ``q`` over ``draws`` runs of the train/generalisation losses and accuracies at steps ``t``.

    Same model, runs (same ``seed`` -> same runs) and validation as
    :func:`~numerics.finite_size.grokking_time_distribution`; ``t`` is a 1-d array of steps ``>= 0`` (whole numbers
    with ``dynamics="gd"``).  Losses are ``tr(D^T Q D)/d_out`` (Eqs. 1, 2); accuracies are Eq. (10) for ``d_out = 1``
    and, for ``d_out > 1``, the exact accuracy given ``D`` (``accuracy="exact"``) or Eq. (13) (``"eq13"``).
    """
    s = settings(
        lam,
        d_in=d_in,
        eta=eta,
        eps=eps,
        d_out=d_out,
        gamma=gamma,
        level=None,
        dynamics=dynamics,
        draws=draws,
        seed=seed,
        spectrum=spectrum,
        exact_modes=exact_modes,
        accuracy=accuracy,
    )
    t = np.asarray(t, dtype=float)
    if t.ndim != 1 or t.size == 0 or not np.all(np.isfinite(t)) or np.any(t < 0):
        raise ValueError(f"t must be a non-empty 1-d array of finite steps >= 0, got {t!r}")
    if dynamics == "gd" and np.any(t != np.round(t)):
        raise ValueError("t must hold whole numbers of GD steps with dynamics='gd'")
    qs = np.asarray(q, dtype=float)
    if qs.ndim != 1 or qs.size == 0 or np.any((qs < 0) | (qs > 1)):
        raise ValueError(f"q must be a non-empty 1-d sequence of levels in [0, 1], got {q!r}")
    values = {name: np.empty((s.draws, t.size)) for name in _FIELDS}
    for ch in tqdm(_chunks(s), desc="finite-size runs", unit="chunk", disable=not progress):
        ens = draw_ensemble(ch, **s.sampling())
        check_gd_factors(ens, s)
        for j, tj in enumerate(t):
            rows = slice(ch.start, ch.stop)
            values["train_loss"][rows, j], values["gen_loss"][rows, j] = ens.losses(tj)
            values["train_acc"][rows, j], values["gen_acc"][rows, j] = ens.accuracies(
                tj, s.eps, exact=s.accuracy == "exact"
            )
    bands = {name: np.array([quantile(values[name][:, j], qs) for j in range(t.size)]).T for name in _FIELDS}
    return LossBands(t=t, q=qs, params=s.as_dict(), **bands)
