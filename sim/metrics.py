"""Loss and accuracy of residuals, and the per-step record of a run (Eqs. 1, 2, 10, 13).

The exact quantities given ``D`` use the input covariance ``Sigma = F^T F`` (``Sigma = I`` in the paper; any
``Sigma`` goes beyond it): ``gen_loss_exact = tr(D^T Sigma D) / d_out`` (Eq. 2 in expectation) and ``gen_acc_exact``
the law of ``z = D^T x ~ N(0, D^T Sigma D)`` (Eq. 10 for ``d_out = 1``, the weighted chi-square law generalising
Eq. 13 otherwise).
"""

from __future__ import annotations

import numpy as np

from numerics.quadform import accuracy_given_gram


def loss_and_accuracy(residual: np.ndarray, eps: float) -> tuple[np.ndarray, np.ndarray]:
    """MSE and accuracy of residuals ``f_S(x) - y`` of shape ``(n_samples, ..., d_out)``.

    The loss is PyTorch's ``MSELoss``: mean over samples *and* outputs (Eq. 1).  A sample is correct when the mean
    over its outputs of the squared error is below ``eps`` (Section 3.1.2; the ``||z||^2 < d_out eps`` event whose
    chi-square law gives Eq. 13).  Middle axes (e.g. several recorded steps at once) are kept.
    """
    per_sample = np.mean(residual * residual, axis=-1)
    return per_sample.mean(axis=0), (per_sample < eps).mean(axis=0)


def _accuracy(gram: np.ndarray, eps: float) -> np.ndarray:
    """:func:`numerics.quadform.accuracy_given_gram` of ``(..., d_out, d_out)`` matrices; NaN where one is not finite
    (a diverged run has no accuracy)."""
    finite = np.all(np.isfinite(gram), axis=(-2, -1))
    acc = np.full(finite.shape, np.nan)
    acc[finite] = accuracy_given_gram(gram[finite], eps)
    return acc


class Recorder:
    """Fills the arrays of a :class:`sim.TrainResult`, one recorded step at a time (or a block of them)."""

    def __init__(self, steps: np.ndarray, eps: float, exact: bool = True, cov_factor: np.ndarray | None = None):
        self.t = np.asarray(steps, dtype=np.int64)
        self.eps = eps
        #: ``F`` with input covariance ``Sigma = F^T F`` (``None``: ``Sigma = I``; a vector: ``sqrt`` of a diagonal)
        self.cov_factor = cov_factor
        self.exact = exact  #: compute gen_acc_exact / train_acc_gauss (a d_out x d_out eigenproblem per record)
        n = len(self.t)
        self.train_loss, self.gen_loss, self.train_acc, self.gen_acc = (np.full(n, np.nan) for _ in range(4))
        self.gen_loss_exact = np.full(n, np.nan)
        self.gen_acc_exact = np.full(n, np.nan)
        self.train_acc_gauss = np.full(n, np.nan)

    def put(self, idx, train_residual, gen_residual, d=None) -> None:
        """Record index/slice ``idx`` from residuals (and end-to-end ``D``, ``d_in x [R x] d_out``, if linear)."""
        self.train_loss[idx], self.train_acc[idx] = loss_and_accuracy(train_residual, self.eps)
        self.gen_loss[idx], self.gen_acc[idx] = loss_and_accuracy(gen_residual, self.eps)
        if d is not None:
            # Eq. (2) in expectation over x ~ N(0, Sigma): tr(D^T Sigma D) / d_out = ||F D||_F^2 / d_out
            d = self.whiten(d)
            self.gen_loss_exact[idx] = np.sum(d * d, axis=(0, -1)) / d.shape[-1]
        if not self.exact:
            return
        # Gaussian form of the train accuracy: z ~ N(0, M) with M the residuals' second-moment matrix over the N_tr
        # samples (M = D^T Sigma_tr D without label noise), the law behind Eqs. 10 and 13
        self.train_acc_gauss[idx] = _accuracy(np.einsum("n...j,n...k->...jk", train_residual, train_residual)
                                              / train_residual.shape[0], self.eps)  # fmt: skip
        if d is not None:
            # exact accuracy given D for x ~ N(0, Sigma): z = D^T x ~ N(0, (F D)^T (F D)) (numerics.quadform);
            # d is already F D here
            self.gen_acc_exact[idx] = _accuracy(np.einsum("i...j,i...k->...jk", d, d), self.eps)

    def whiten(self, d: np.ndarray) -> np.ndarray:
        """``F D`` for ``D`` of shape ``(d_in, ..., d_out)``, so that ``(F D)^T (F D) = D^T Sigma D``."""
        f = self.cov_factor
        if f is None:
            return d
        if f.ndim == 1:
            return f.reshape(f.shape + (1,) * (d.ndim - 1)) * d
        return (f @ d.reshape(d.shape[0], -1)).reshape((f.shape[0],) + d.shape[1:])

    def finite(self, idx) -> bool:
        return bool(np.all(np.isfinite(self.train_loss[idx])) and np.all(np.isfinite(self.gen_loss[idx])))
