"""Spectra of ``Sigma_tr = X^T X / N_tr`` at finite ``(d_in, N_tr)`` without forming ``X`` (Eq. 6 at finite size).

**Exact model.**  For a ``p x q`` matrix ``G`` of iid standard normals with ``p <= q``, the eigenvalues of ``G G^T``
have the law of those of ``B B^T`` with ``B`` the ``p x p`` lower-bidiagonal matrix (Dumitriu & Edelman 2002, the
beta = 1 Laguerre ensemble)

    B[i, i] = chi_{q - i},  i = 0..p-1;        B[i + 1, i] = chi_{p - 1 - i},  i = 0..p-2,

all entries independent.  Here ``p = n = min(d_in, N_tr)`` (the non-zero eigenvalues: ``X^T X`` and ``X X^T`` share
them) and ``q = max(d_in, N_tr)``; for ``d_in > N_tr`` the other ``d_in - N_tr`` eigenvalues are exactly 0.
``T = B B^T / N_tr`` is tridiagonal; its eigenvalues come from LAPACK's ``dsterf`` (all) or ``dstebz`` (selected by
index) through :func:`scipy.linalg.eigvalsh_tridiagonal`, with absolute accuracy ~``1e-16 ||T||``.

**Lowest eigenvalues.**  Near both soft edges the eigenvectors of ``T`` are localised at its top-left corner (the local
band ``[(chi_{q-i} - chi_{p-i})^2, (chi_{q-i} + chi_{p-i})^2] / N`` is lowest at ``i = 0``), so the lowest ``k``
eigenvalues of the leading ``K x K`` block ``B_K B_K^T`` agree with those of ``T`` once ``K`` exceeds their localisation
length.  :func:`lowest_eigenvalues` grows ``K`` until the residual in the full matrix of the highest selected
eigenpair (the least localised), ``|T[K-1, K] y_K|`` with ``y_K`` its last eigenvector component, is below ``rtol``
times the eigenvalue, which bounds its distance to an eigenvalue of ``T``.  At the hard edge (``d_in = N_tr``)
nothing is localised and ``K`` grows to ``n``.

**Classical locations.**  :func:`mp_cdf` is the distribution function of the continuous part of Eq. (6) in closed
form: with ``nu = 1 + lam - 2 sqrt(lam) cos(theta)``,

    F = (2/pi) [ sin(theta) / (2 sqrt(lam)) + (1 + lam) theta / (4 lam)
                 - (|1 - lam| / (2 lam)) arctan( (1 + sqrt(lam)) / |1 - sqrt(lam)| tan(theta / 2) ) ],

from ``p(nu) dnu = (2/pi) sin^2(theta) / nu dtheta`` (:mod:`numerics.mp_law`); ``F(lam_+) = min(1, 1/lam)``.
:func:`classical_locations` inverts it: the ``i``-th smallest non-zero eigenvalue sits near ``F^{-1}((i - 1/2)/d_in)``.
"""

from __future__ import annotations

import numpy as np
from scipy.linalg import eigh_tridiagonal, eigvalsh_tridiagonal

#: factor by which the leading block of :func:`lowest_eigenvalues` grows (bisection costs ~ K k, so overshooting the
#: needed block size by at most 25 % keeps the cost near its minimum)
GROWTH = 1.25

__all__ = [
    "bidiagonal",
    "classical_locations",
    "lowest_eigenvalues",
    "lowest_eigenvalues_block",
    "mp_cdf",
    "nonzero_eigenvalues",
]


def bidiagonal(d_in: int, n_train: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """One draw of the Dumitriu–Edelman bidiagonal ``B`` for ``X`` of shape ``n_train x d_in`` (module docstring).

    Returns ``(a, b)``: the diagonal (``n = min(d_in, n_train)`` entries) and the sub-diagonal (``n - 1``).  Draw
    order: ``a`` then ``b``, each with ``rng.chisquare``.
    """
    n, q = min(d_in, n_train), max(d_in, n_train)
    a = np.sqrt(rng.chisquare(np.arange(q, q - n, -1, dtype=float)))
    b = np.sqrt(rng.chisquare(np.arange(n - 1, 0, -1, dtype=float)))
    return a, b


def _tridiagonal(a: np.ndarray, b: np.ndarray, n_train: int) -> tuple[np.ndarray, np.ndarray]:
    """Diagonal and off-diagonal of ``T = B B^T / n_train``."""
    diag = a * a
    diag[1:] += b * b
    return diag / n_train, a[:-1] * b / n_train


def nonzero_eigenvalues(a: np.ndarray, b: np.ndarray, n_train: int) -> np.ndarray:
    """All ``n`` eigenvalues of ``T = B B^T / n_train`` in ascending order (``dsterf``, O(n^2))."""
    diag, off = _tridiagonal(a, b, n_train)
    if len(diag) == 1:
        return diag.copy()
    return np.clip(eigvalsh_tridiagonal(diag, off, lapack_driver="sterf"), 0.0, None)


def lowest_eigenvalues(
    a: np.ndarray, b: np.ndarray, n_train: int, k: int, *, rtol: float = 1e-12, start: int | None = None
) -> np.ndarray:
    """The ``k`` smallest eigenvalues of ``T = B B^T / n_train`` from leading blocks (module docstring).

    ``K`` starts at ``start`` (default ``32 k``) and grows by ``GROWTH`` until the highest selected eigenpair of the
    block (the least localised) has residual ``|T[K-1, K] y_K| <= rtol * theta`` in the full matrix, or ``K = n``
    (then they are the exact selected eigenvalues).  Returns the eigenvalues in ascending order.
    """
    return lowest_eigenvalues_block(a, b, n_train, k, rtol=rtol, start=start)[0]


def lowest_eigenvalues_block(
    a: np.ndarray, b: np.ndarray, n_train: int, k: int, *, rtol: float = 1e-12, start: int | None = None
) -> tuple[np.ndarray, int]:
    """:func:`lowest_eigenvalues` and the block size ``K`` that sufficed (a start hint for the next draw)."""
    n = len(a)
    k = min(k, n)
    diag, off = _tridiagonal(a, b, n_train)
    size = min(n, start or 32 * k)
    while True:
        if size >= n:
            vals = eigvalsh_tridiagonal(diag, off, select="i", select_range=(0, k - 1))
            return np.clip(vals, 0.0, None), n
        vals = eigvalsh_tridiagonal(diag[:size], off[: size - 1], select="i", select_range=(0, k - 1))
        top, vec = eigh_tridiagonal(diag[:size], off[: size - 1], select="i", select_range=(k - 1, k - 1))
        if abs(off[size - 1] * vec[-1, 0]) <= rtol * abs(top[0]):
            return vals, size
        size = min(n, int(GROWTH * size) + 1)


def mp_cdf(nu, lam: float):
    """``P(0 < nu' <= nu)`` under Eq. (6): the continuous part's distribution function (closed form, float64)."""
    nu = np.asarray(nu, dtype=float)
    cos = np.clip((1 + lam - nu) / (2 * np.sqrt(lam)), -1.0, 1.0)  # theta = 0 at lam_-, pi at lam_+
    return _cdf_theta(np.arccos(cos), lam)


def _cdf_theta(theta, lam: float):
    r = np.sqrt(lam)
    main = np.sin(theta) / (2 * r) + (1 + lam) * theta / (4 * lam)
    if lam != 1:
        with np.errstate(over="ignore"):
            main = main - abs(1 - lam) / (2 * lam) * np.arctan((1 + r) / abs(1 - r) * np.tan(theta / 2))
    return 2 / np.pi * main


def classical_locations(lam: float, d_in: int, index) -> np.ndarray:
    """``F^{-1}((index - 1/2) / d_in)`` for 1-based indices of the non-zero eigenvalues (``index <= n``).

    The MP quantiles at which the ``index``-th smallest non-zero eigenvalue of ``Sigma_tr`` lies in the limit; solved
    in ``theta`` by 60 bisections (``F`` is increasing in ``theta``).
    """
    index = np.asarray(index, dtype=float)
    target = (index - 0.5) / d_in
    if np.any(target >= min(1.0, 1.0 / lam)) or np.any(index < 1):
        raise ValueError("index must lie in [1, n] with n = min(d_in, n_train)")
    lo, hi = np.zeros_like(target), np.full_like(target, np.pi)
    for _ in range(60):
        mid = 0.5 * (lo + hi)
        below = _cdf_theta(mid, lam) < target
        lo, hi = np.where(below, mid, lo), np.where(below, hi, mid)
    theta = 0.5 * (lo + hi)
    return 1 + lam - 2 * np.sqrt(lam) * np.cos(theta)
