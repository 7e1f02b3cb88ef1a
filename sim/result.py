"""The value returned by :func:`sim.train`."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

_ARRAYS = (
    "t",
    "train_loss",
    "gen_loss",
    "gen_loss_exact",
    "train_acc",
    "gen_acc",
    "gen_acc_exact",
    "train_acc_gauss",
)


@dataclass(frozen=True)
class TrainResult:
    """Losses and accuracies of one training run, one entry per recorded step.

    * ``t`` -- the recorded steps (``int64``, ascending): the number of optimizer updates so far (GD steps by
      default; mini-batch updates for ``optimizer="sgd"``).
    * ``train_loss`` -- Eq. (1) (Eq. 17 for two layers): mean over the ``n_train`` training samples *and* the
      ``d_out`` outputs of the squared residual against the (possibly noisy) training labels.
    * ``gen_loss`` -- the same mean over a held-out set of ``n_gen`` fresh Gaussian inputs with noise-free
      teacher labels (the "empirical average" of Eq. 2); with ``sim.train(inputs=...)`` the rows not used for
      training.
    * ``gen_loss_exact`` -- the expectation value of Eq. (2), ``||D||_F^2 / d_out``, where the end-to-end map is
      linear (``D = S - T``, or ``D = S0 S1 - T`` for a two-layer linear net); all NaN for tanh.  With an input
      covariance ``Sigma`` (``sim.train(input_cov=...)``, beyond the paper) it is ``tr(D^T Sigma D) / d_out``; with
      ``inputs=...`` the same with the empirical covariance of the held-out rows (their mean of ``||D^T x||^2 /
      d_out``).
    * ``train_acc``, ``gen_acc`` -- fraction of samples whose mean over outputs of the squared error,
      ``||f_S(x) - y||^2 / d_out``, is below ``eps`` (Section 3.1.2; for ``d_out > 1`` the chi-square
      reading of Eq. 13).
    * ``gen_acc_exact`` -- the generalisation accuracy exact given ``D`` (no held-out sampling error):
      ``P(||D^T x||^2 / d_out < eps)`` for ``x ~ N(0, I)``, i.e. ``erf(sqrt(eps / (2 ||D||^2)))`` for ``d_out = 1`` and
      the weighted chi-square law with the eigenvalues of ``D^T D`` in general (:mod:`numerics.quadform`); for
      ``x ~ N(0, Sigma)`` the same with ``D^T Sigma D`` in place of ``D^T D`` (Eq. 10 with variance ``D^T Sigma D``
      for ``d_out = 1``; Eq. 13 only when ``D^T Sigma D`` is a multiple of the identity); all NaN
      where ``gen_loss_exact`` is, and when not recorded (``sim.train(exact_accuracy=...)``: by default for
      ``d_out > 64``).
    * ``train_acc_gauss`` -- the Gaussian form of the train accuracy that Eqs. (10), (13) use: ``P(||z||^2 / d_out <
      eps)`` for ``z ~ N(0, M)``, ``M`` the second-moment matrix of the training residuals (``D^T Sigma_tr D``
      without label noise), whereas ``train_acc`` is the empirical fraction over the ``n_train`` samples; NaN when not
      recorded, as ``gen_acc_exact``.
    * ``params`` -- every setting of the run, including ``seed``, the resolved ``n_gen`` and the ``engine`` used;
      ``input_cov`` and ``inputs`` are recorded compactly (``None``, ``"spectrum(n=d_in)"``/``"matrix(n=d_in)"``,
      ``"matrix(rows x cols)"``), not as arrays; ``optimizer`` and its settings ``momentum``, ``batch_size``,
      ``betas``, ``adam_eps``, ``weight_decay`` (resolved defaults; ``None`` for keywords the optimizer does not
      use).

    The arrays are read-only.
    """

    t: np.ndarray
    train_loss: np.ndarray
    gen_loss: np.ndarray
    gen_loss_exact: np.ndarray
    train_acc: np.ndarray
    gen_acc: np.ndarray
    gen_acc_exact: np.ndarray
    train_acc_gauss: np.ndarray
    params: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self):
        n = len(self.t)
        for name in _ARRAYS:
            a = np.array(getattr(self, name), dtype=np.int64 if name == "t" else np.float64)
            if a.shape != (n,):
                raise ValueError(f"{name} must have shape ({n},), got {a.shape}")
            a.setflags(write=False)
            object.__setattr__(self, name, a)
        object.__setattr__(self, "params", dict(self.params))

    def __len__(self) -> int:
        return len(self.t)

    def at(self, step: int) -> dict[str, float]:
        """All recorded quantities at GD step ``step`` (which must have been recorded)."""
        idx = np.flatnonzero(self.t == step)
        if idx.size == 0:
            raise KeyError(f"step {step} was not recorded")
        return {name: getattr(self, name)[idx[0]].item() for name in _ARRAYS}
