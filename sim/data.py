"""Training data of the teacher-student setup: Gaussian inputs and their Gram matrix (Section 3, Eq. 1)."""

from __future__ import annotations

import numpy as np


def _check_dims(d_in, n_train):
    for name, v in (("d_in", d_in), ("n_train", n_train)):
        if isinstance(v, bool) or not isinstance(v, int | np.integer) or v < 1:
            raise ValueError(f"{name} must be a positive integer, got {v!r}")


def train_gram(d_in: int, n_train: int, *, seed: int | None = 0) -> np.ndarray:
    """``Sigma_tr = (1/N_tr) sum_i x_i x_i^T`` for ``N_tr = n_train`` iid ``x_i ~ N(0, I_{d_in})`` (Eq. 1).

    Reproducible: the same ``seed`` gives the same matrix with the same numpy.
    """
    _check_dims(d_in, n_train)
    x = np.random.default_rng(seed).standard_normal((n_train, d_in))
    return x.T @ x / n_train


def gram_spectrum(d_in: int, n_train: int, *, seed: int | None = 0) -> np.ndarray:
    """Eigenvalues of :func:`train_gram` (ascending); for ``lam = d_in / n_train`` they follow Eq. (6) as d_in grows."""
    return np.linalg.eigvalsh(train_gram(d_in, n_train, seed=seed))
