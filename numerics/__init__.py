"""Exact Marchenko–Pastur-limit predictions of Levi, Beck & Bar-Sinai (2023), "Grokking in Linear Estimators".

Public API (``t`` in GD steps of size ``eta``; keyword arguments ``d_out`` (Eq. 13), ``gamma`` (weight decay, Eqs. 3,
15) and ``dynamics`` (``"flow"``, the paper's gradient flow, or ``"gd"``, exact discrete-time GD)):

* :func:`train_loss`, :func:`gen_loss` — Eqs. (8), (13), (15) (closed form Eq. (9) for the train loss when
  ``gamma = 0``); :func:`loss_limit` their ``t -> inf`` limits;
* :func:`accuracy` — Eq. (10) (corrected reading) and Eq. (13), :func:`loss_at_accuracy` its inverse;
* :func:`grokking_time` — exact crossing times of an accuracy level (Section 3.1.3);
* :mod:`numerics.mp_law` — the Marchenko–Pastur law of Eq. (6);
* :mod:`numerics.marcum` — closed form of ``L_gen`` through the Marcum Q-function (the paper found none);
* :mod:`numerics.approximations` — the paper's closed-form approximations, Eqs. (11), (12), (22)–(26);
* :mod:`numerics.certify` — rigorous Arb enclosures (python-flint, extra ``certify``) of the losses and
  grokking times;
* :func:`two_layer_losses` — two-layer linear networks, Eqs. (18), (19) (corrected), fixed or coupled kernel;
* :mod:`numerics.fast` — float64 vectorised losses and grokking times for phase diagrams (Fig. 4);
* :mod:`numerics.validity` — validity maps: their relative error against the exact results over a (lam, eps) grid;
* :mod:`numerics.finite_size` — beyond the MP limit: the distribution over runs at finite ``(d_in, N_tr)`` of the
  grokking times (:func:`~numerics.finite_size.grokking_time_distribution`) and of the losses and accuracies
  (:func:`~numerics.finite_size.loss_bands`);
* :mod:`numerics.quadform` — the exact accuracy given ``D`` for ``d_out > 1`` (a weighted chi-square law, Eq. 13 at
  finite size);
* :mod:`numerics.momentum` — heavy-ball and Nesterov momentum (PyTorch's ``torch.optim.SGD``), exact in the MP
  limit; also through ``dynamics="momentum"`` with ``momentum=``, ``nesterov=``;
* :mod:`numerics.structured` — structured inputs ``x ~ N(0, Sigma)``: train and generalisation losses in the
  proportional limit (generalised Marchenko–Pastur law) for a population spectrum from :mod:`numerics.spectra`.

Everything is evaluated at the working precision of ``mpmath.mp``; use ``mpmath.mp.workdps(n)``.
"""

from . import (
    approximations,
    datasets,
    fast,
    finite_size,
    marcum,
    momentum,
    mp_law,
    quadform,
    spectra,
    structured,
    two_layer,
    validity,
)
from .accuracy import DEFAULT_LEVEL, accuracy, loss_at_accuracy
from .grokking import GrokkingTime, RootFindingError, crossing_time, grokking_time
from .losses import DYNAMICS, gen_loss, gen_loss_quad, loss_limit, train_loss, train_loss_quad, train_loss_rate
from .two_layer import two_layer_losses

__all__ = [
    "DEFAULT_LEVEL",
    "DYNAMICS",
    "loss_limit",
    "GrokkingTime",
    "RootFindingError",
    "accuracy",
    "approximations",
    "datasets",
    "fast",
    "finite_size",
    "crossing_time",
    "gen_loss",
    "gen_loss_quad",
    "grokking_time",
    "loss_at_accuracy",
    "marcum",
    "momentum",
    "mp_law",
    "quadform",
    "spectra",
    "structured",
    "validity",
    "train_loss",
    "two_layer",
    "two_layer_losses",
    "train_loss_quad",
    "train_loss_rate",
]
