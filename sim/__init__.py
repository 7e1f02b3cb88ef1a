"""Numpy ground truth for the teacher-student experiments of the paper (Sections 3-4, Appendix A).

* :func:`train` -- full-batch GD of a one-layer (Eqs. 1-3) or two-layer (Eq. 17) student, returning a
  :class:`TrainResult` of recorded losses and accuracies.  One linear layer has two engines: ``"loop"`` (literal GD)
  and ``"spectral"`` (closed form of Eq. 3 in the eigenbasis of ``Sigma_tr``).  Inputs are ``N(0, I)`` as in the
  paper, or (beyond it) ``N(0, Sigma)`` via ``input_cov=`` or rows of a data matrix via ``inputs=``.  Beyond the
  paper, ``optimizer=`` runs momentum, Nesterov, mini-batch SGD, Adam or AdamW with PyTorch's update rules
  (:mod:`sim.optimizers`, loop engine).
* :class:`DivergenceError` -- a ``ValueError`` for step sizes at which GD diverges.
* :func:`train_gram`, :func:`gram_spectrum` -- the training Gram matrix and its spectrum (used by the audit of Eq. 8).
* :func:`sweep` -- grokking times of simulated runs over a parameter grid and seeds, next to the MP-limit
  prediction (Fig. 4), on any ``concurrent.futures`` executor, streamed to a resumable JSON-lines file; returns a
  :class:`SweepResult` table.

Modules: :mod:`sim.problem` (random draws), :mod:`sim.linear`, :mod:`sim.two_layer` (engines),
:mod:`sim.optimizers` (update rules), :mod:`sim.metrics`, :mod:`sim.schedule`, :mod:`sim.stability`,
:mod:`sim.result`, :mod:`sim.runner`,
:mod:`sim.sweep` (its module docstring documents the measurement, the prediction and the output file; note that the
attribute ``sim.sweep`` is the function -- reach the module with ``from sim.sweep import ...``).
"""

from .data import gram_spectrum, train_gram
from .optimizers import OPTIMIZERS
from .result import TrainResult
from .runner import train
from .schedule import log_steps
from .stability import DivergenceError
from .sweep import SweepResult, sweep

__all__ = [
    "DivergenceError",
    "OPTIMIZERS",
    "SweepResult",
    "TrainResult",
    "gram_spectrum",
    "log_steps",
    "sweep",
    "train",
    "train_gram",
]
