"""Finite-size predictions: the distribution over runs at finite ``(d_in, N_tr)`` (beyond the paper's MP limit).

Every prediction elsewhere in :mod:`numerics` is the ``d_in -> inf`` Marchenko–Pastur limit.  At finite size one run of
one linear layer with isotropic Gaussian inputs and the paper's initialisation is fixed exactly by the spectrum of
``Sigma_tr`` and the Gaussian coordinates of ``S_0`` and ``T`` in its eigenbasis, which are independent of the
spectrum (:mod:`~numerics.finite_size.ensemble`, claim ``finite-size-representation``).  Spectra are drawn from the
Dumitriu–Edelman bidiagonal model without forming the data (:mod:`~numerics.finite_size.spectrum`).

* :func:`grokking_time_distribution` -- per-run ``t_train``, ``t_gen``, ``delta`` (``inf``: never), with
  ``.quantiles(qs)``, ``.mean()`` and ``.fraction_never``;
* :func:`loss_bands` -- quantiles over runs of the losses and accuracies at given steps;
* :mod:`~numerics.finite_size.spectrum` -- the bidiagonal model, lowest eigenvalues, the MP distribution function and
  classical locations (the ``"hybrid"`` spectrum for large ``d_in``).
"""

from . import ensemble, spectrum
from .bands import LossBands, loss_bands
from .distribution import GrokkingTimeDistribution, grokking_time_distribution, quantile

__all__ = [
    "GrokkingTimeDistribution",
    "LossBands",
    "ensemble",
    "grokking_time_distribution",
    "loss_bands",
    "quantile",
    "spectrum",
]
