"""Population spectra ``sigma_k`` of the input covariance ``Sigma`` for structured inputs ``x ~ N(0, Sigma)``.

A spectrum is a 1-D array of positive eigenvalues with equal weights (the empirical spectral law of ``Sigma`` at
``d = len(spectrum)``); :mod:`numerics.structured` turns it into train and generalisation losses.  The paper's
isotropic setting is ``np.ones(n)``.
"""

from __future__ import annotations

import numpy as np

__all__ = ["from_covariance", "power_law", "validate_spectrum"]


def validate_spectrum(spectrum) -> np.ndarray:
    """``spectrum`` as a 1-D float64 array after checking it is non-empty, finite and positive.

    Raises ``ValueError`` naming ``spectrum`` otherwise.
    """
    try:
        arr = np.asarray(spectrum, dtype=float)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"spectrum must be a 1-D array of positive reals, got {spectrum!r}") from exc
    if arr.ndim != 1 or arr.size == 0:
        raise ValueError(f"spectrum must be a non-empty 1-D array, got shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise ValueError("spectrum must be finite")
    if not np.all(arr > 0):
        raise ValueError(f"spectrum must be positive, got min {arr.min()!r}")
    return arr


def power_law(alpha, n: int) -> np.ndarray:
    """``sigma_k = k^(-alpha)``, ``k = 1..n``, rescaled to mean 1 (so ``tr Sigma / d = 1`` as in the paper).

    ``alpha`` a finite real (``0`` gives the isotropic spectrum), ``n`` an integer ``>= 1``.
    """
    if isinstance(n, bool) or not isinstance(n, int | np.integer) or n < 1:
        raise ValueError(f"n must be an integer >= 1, got {n!r}")
    if isinstance(alpha, bool) or not np.isfinite(float(alpha)):
        raise ValueError(f"alpha must be a finite real, got {alpha!r}")
    k = np.arange(1, int(n) + 1, dtype=float)
    s = k ** (-float(alpha))
    return s / s.mean()


def from_covariance(input_cov) -> np.ndarray:
    """Eigenvalues (ascending) of a symmetric positive definite matrix ``input_cov``.

    Raises ``ValueError`` naming ``input_cov`` if it is not a finite, square, symmetric, positive definite matrix.
    """
    try:
        c = np.asarray(input_cov, dtype=float)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"input_cov must be a real square matrix, got {input_cov!r}") from exc
    if c.ndim != 2 or c.shape[0] != c.shape[1] or c.shape[0] == 0:
        raise ValueError(f"input_cov must be a non-empty square matrix, got shape {c.shape}")
    if not np.all(np.isfinite(c)):
        raise ValueError("input_cov must be finite")
    scale = np.max(np.abs(c))
    if not np.allclose(c, c.T, rtol=0, atol=1e-12 * scale):
        raise ValueError("input_cov must be symmetric")
    ev = np.linalg.eigvalsh((c + c.T) / 2)
    if not ev[0] > 1e-12 * ev[-1] or not ev[0] > 0:
        raise ValueError(f"input_cov must be positive definite, got smallest eigenvalue {ev[0]!r}")
    return ev
