"""Exact accuracy given ``D``: the distribution of a Gaussian quadratic form (Section 3.1.2, Eq. 13 at finite size).

A sample ``x ~ N(0, Q)`` (``Q = I`` for the generalisation set) gives the error ``z = D^T x ~ N(0, M)`` with
``M = D^T Q D`` (``d_out x d_out``); it counts as correct when ``||z||^2 / d_out < eps``.  With ``mu_1 .. mu_d`` the
eigenvalues of ``M``, ``||z||^2 = sum_j mu_j g_j^2`` for iid standard normal ``g_j``, so the exact accuracy given ``D``
is the CDF of a weighted sum of chi-square(1) variables,

    A = P(sum_j mu_j chi2_1 <= d_out eps).

Eq. (13) replaces every ``mu_j`` by their mean ``L = tr(M) / d_out``, which gives ``P(d_out/2, d_out eps / (2L))``; the
two agree when ``M`` is a multiple of the identity (always for ``d_out = 1``, where ``A = erf(sqrt(eps/(2L)))``).

General weights: ``E[exp(-s Q)] = prod_j (1 + 2 mu_j s)^(-1/2)``, so ``P(Q <= x)`` is the inverse Laplace transform of
``F(s) = prod_j (1 + 2 mu_j s)^(-1/2) / s`` at ``x``.  Its singularities (a pole at 0, branch cuts from
``-1/(2 mu_j)`` to ``-inf``) all lie on the non-positive real axis, so the transform is inverted on Talbot's contour
``s(theta) = r theta (cot theta + i)``, which encloses them, with the fixed-Talbot rule of Abate & Valko (2004):
geometric convergence in the number of nodes, vectorised over many weight sets.  In float64 the factor ``e^{r x}``
limits it to ~1e-11 absolute error (tested against Imhof's integral evaluated with mpmath).
"""

from __future__ import annotations

import numpy as np
from scipy import special

__all__ = ["accuracy_given_gram", "chi2_mixture_cdf"]

#: nodes of the fixed-Talbot rule (accuracy ~1e-11; more nodes lose digits to cancellation in float64)
TALBOT_NODES = 28


def _talbot(w: np.ndarray) -> np.ndarray:
    """``P(sum_j w_j chi2_1 <= 1)`` for each row of ``w`` (``(B, k)``, entries >= 0): fixed Talbot inversion."""
    m = TALBOT_NODES
    r = 2 * m / 5  # contour scale for x = 1 (Abate & Valko)
    theta = np.arange(1, m) * np.pi / m
    cot = 1 / np.tan(theta)
    s = r * theta * (cot + 1j)  # nodes on the contour, upper half (the lower half gives the complex conjugate)
    ds = 1 + 1j * (theta + (theta * cot - 1) * cot)  # s'(theta) / (i r)
    log_phi = -0.5 * np.sum(np.log1p(2 * w[:, None, :] * s[None, :, None]), axis=-1)  # (B, m-1)
    terms = np.real(np.exp(s + log_phi) / s * ds)
    at_r = 0.5 * np.exp(r - 0.5 * np.sum(np.log1p(2 * w * r), axis=-1)) / r
    return np.clip(r / m * (at_r + terms.sum(axis=-1)), 0.0, 1.0)


def chi2_mixture_cdf(weights, x):
    """``P(sum_j weights_j chi2_1 <= x)`` for non-negative weights; vectorised over leading axes.

    ``weights`` has shape ``(..., k)`` and ``x`` broadcasts against ``(...)``.  One positive weight ``w``:
    ``erf(sqrt(x / (2 w)))``; all positive weights equal: the regularised gamma function ``P(k'/2, x / (2 w))`` (Eq. 13,
    ``k'`` positive weights); otherwise the fixed-Talbot inversion of the module docstring (absolute error ~1e-11).
    Zero weights do not contribute.  Raises ``ValueError`` for negative or non-finite input.
    """
    w = np.asarray(weights, dtype=float)
    if w.ndim == 0:
        raise ValueError("weights must have at least one axis (the weights of one sum)")
    x = np.asarray(x, dtype=float)
    if not (np.all(np.isfinite(w)) and np.all(np.isfinite(x))):
        raise ValueError("weights and x must be finite")
    if np.any(w < 0) or np.any(x < 0):
        raise ValueError("weights and x must be >= 0")
    shape = np.broadcast_shapes(w.shape[:-1], x.shape)
    w = np.broadcast_to(w, (*shape, w.shape[-1])).reshape(-1, w.shape[-1])
    x = np.broadcast_to(x, shape).ravel()
    out = np.empty(len(x))
    positive = x > 0
    out[~positive] = 0.0
    with np.errstate(divide="ignore", invalid="ignore"):
        ws = np.where(positive[:, None], w / np.where(positive, x, 1.0)[:, None], 0.0)  # scale to x = 1
    n_pos = np.sum(ws > 0, axis=-1)
    top = ws.max(axis=-1)
    low = np.where(ws > 0, ws, np.inf).min(axis=-1)
    none = positive & (n_pos == 0)
    equal = positive & (n_pos >= 1) & (top - low <= 1e-12 * top)
    general = positive & ~none & ~equal
    out[none] = 1.0
    if np.any(equal):
        out[equal] = special.gammainc(n_pos[equal] / 2, 0.5 / top[equal])
    if np.any(general):
        out[general] = _talbot(ws[general])
    return out.reshape(shape) if shape else float(out[0])


def accuracy_given_gram(m, eps):
    """Exact accuracy given ``D``: ``P(||z||^2 / d_out < eps)`` for ``z ~ N(0, m)``, ``m = D^T Q D``.

    ``m`` has shape ``(..., d_out, d_out)`` (symmetric positive semi-definite).  For ``d_out = 1`` this is Eq. (10),
    ``erf(sqrt(eps / (2 m)))``; for ``d_out > 1`` the weighted chi-square law with weights the eigenvalues of ``m``
    (module docstring), which equals Eq. (13) only when ``m`` is a multiple of the identity.
    """
    m = np.asarray(m, dtype=float)
    if m.ndim < 2 or m.shape[-1] != m.shape[-2]:
        raise ValueError(f"m must have shape (..., d_out, d_out), got {m.shape}")
    eps = np.asarray(eps, dtype=float)
    if not (np.all(np.isfinite(eps)) and np.all(eps > 0)):
        raise ValueError(f"eps must be finite and > 0, got {eps!r}")
    d_out = m.shape[-1]
    if d_out == 1:
        loss = np.clip(m[..., 0, 0], 0.0, None)
        with np.errstate(divide="ignore", over="ignore"):  # loss 0 or subnormal: accuracy 1
            return special.erf(np.sqrt(eps / (2 * loss)))
    mu = np.clip(np.linalg.eigvalsh(0.5 * (m + np.swapaxes(m, -1, -2))), 0.0, None)  # rounding-level negatives
    return chi2_mixture_cdf(mu, d_out * eps)
