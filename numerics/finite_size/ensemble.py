"""The exact finite-size representation of a run (one linear layer, isotropic Gaussian inputs, Eqs. 1-3, 14, 31).

**Derivation** (claim ``finite-size-representation``).  Write ``Sigma_tr = V diag(nu) V^T``.  Given the data ``X``,
``V`` is a fixed orthogonal matrix, and ``S_0``, ``T`` are independent of ``X`` with iid ``N(0, 1/(2 d_in d_out))``
entries, a law invariant under ``Y -> V^T Y``.  So, conditionally on ``X``, the coordinates ``s = V^T S_0`` and
``tau = V^T T`` are again iid ``N(0, 1/(2 d_in d_out))``: the triple ``(nu, s, tau)`` has the product law
``law(nu) x N x N``, with the coordinates independent of the spectrum.  In the eigenbasis the update of Eq. (3) with
weight decay, ``D_{t+1} = (I - (2 eta/d_out)(Sigma_tr + gamma/2)) D_t - (eta gamma/d_out) T``, acts row by row, with
fixed point ``-rho_i tau_i`` (Eq. 31), so

    Dbar_i(t) = c_i(t) s_i - h_i(t) tau_i,     h_i = rho_i + c_i (1 - rho_i),     rho_i = (gamma/2) / (nu_i + gamma/2),

with ``c_i(t) = exp(-(2 eta/d_out)(nu_i + gamma/2) t)`` under gradient flow and
``(1 - (2 eta/d_out)(nu_i + gamma/2))^t`` under GD (``rho_i = 0`` when ``gamma = 0``; a zero mode then keeps
``s_i - tau_i``).  Every observable of the paper is a function of

    M_Q(t) = D^T Q D = sum_i q_i Dbar_i(t) Dbar_i(t)^T,      q_i = nu_i (Q = Sigma_tr) or 1 (Q = I):

``L_Q = tr(M_Q) / d_out`` (Eqs. 1, 2) and the accuracy given ``D`` (:mod:`numerics.quadform`).  Nothing here is
averaged: one draw of ``(nu, s, tau)`` is one run, with the law of the simulator's.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..quadform import accuracy_given_gram

__all__ = ["CUTOFF", "Ensemble"]

#: modes with ``(g_i - g_min) t`` above this are left out of the ``gamma = 0`` losses (their share < e^-60)
CUTOFF = 30.0


@dataclass(frozen=True)
class Ensemble:
    """``B`` runs in the representation of the module docstring.

    ``nu``: ``(B, d_in)`` eigenvalues of ``Sigma_tr`` (zero modes included; each run's modes are put in ascending
    order on construction, with their coordinates); ``s``, ``tau``: ``(B, d_in, d_out)`` coordinates of ``S_0`` and
    ``T`` in the eigenbasis.  ``dynamics``: ``"flow"`` or ``"gd"``.

    Without weight decay a mode's share of the loss decays like ``exp(-2 (g_i - g_min) t)`` against the slowest
    positive mode (``c_i = exp(-g_i t)``), so :meth:`losses` sums only the modes with ``(g_i - g_min) t <= CUTOFF``:
    the rest contribute less than ``e^{-2 CUTOFF}`` of it (times the ratio of the coordinate weights).
    """

    nu: np.ndarray
    s: np.ndarray
    tau: np.ndarray
    eta: float
    gamma: float
    dynamics: str

    def __post_init__(self):
        if not np.all(np.diff(self.nu, axis=1) >= 0):
            order = np.argsort(self.nu, axis=1, kind="stable")
            rows = np.arange(self.nu.shape[0])[:, None]
            for name in ("nu", "s", "tau"):
                object.__setattr__(self, name, getattr(self, name)[rows, order])

    @property
    def d_out(self) -> int:
        return self.s.shape[-1]

    def _decay_rate(self) -> np.ndarray:
        """``g`` with ``c = exp(-g t)``: ``(2 eta/d_out)(nu + gamma/2)`` (flow) or ``-log(1 - that)`` (GD); cached."""
        cached = self.__dict__.get("_g_cache")
        if cached is None:
            x = (2 * self.eta / self.d_out) * (self.nu + self.gamma / 2)
            cached = x if self.dynamics == "flow" else -np.log1p(-x)
            object.__setattr__(self, "_g_cache", cached)
        return cached

    def coefficients(self, t) -> tuple[np.ndarray, np.ndarray]:
        """``(c, h)`` of shape ``(B, d_in)`` at per-run times ``t`` (shape ``(B,)`` or scalar; ``inf`` allowed)."""
        t = np.broadcast_to(np.asarray(t, dtype=float), self.nu.shape[:1])[:, None]
        g = self._decay_rate()
        with np.errstate(invalid="ignore"):
            c = np.where(g == 0, 1.0, np.exp(-g * t))  # g = 0: a zero mode without weight decay never moves
        if self.gamma == 0:
            return c, c
        rho = (self.gamma / 2) / (self.nu + self.gamma / 2)
        return c, rho + c * (1 - rho)

    def _dbar(self, t) -> np.ndarray:
        """``Dbar_i(t) = c_i s_i - h_i tau_i`` per run and mode, shape ``(B, d_in, d_out)``."""
        c, h = self.coefficients(t)
        return c[..., None] * self.s - h[..., None] * self.tau

    def losses(self, t) -> tuple[np.ndarray, np.ndarray]:
        """``(L_tr, L_gen)`` per run at times ``t`` (shape ``(B,)`` or scalar): ``tr(M_Q) / d_out`` (Eqs. 1, 2)."""
        if self.gamma == 0:
            return self._losses_no_decay(t)
        dbar = self._dbar(t)
        norms = np.einsum("bij,bij->bi", dbar, dbar)
        d_out = self.d_out
        return np.sum(self.nu * norms, axis=1) / d_out, np.sum(norms, axis=1) / d_out

    def _losses_no_decay(self, t):
        """``gamma = 0``: ``||Dbar_i||^2 = c_i^2 ||s_i - tau_i||^2``, summed over the modes that still matter."""
        t = np.broadcast_to(np.asarray(t, dtype=float), self.nu.shape[:1])
        g = self._decay_rate()
        g_min = np.where(g > 0, g, np.inf).min(axis=1)  # slowest positive mode of each run
        with np.errstate(divide="ignore"):
            limit = g_min + CUTOFF / t  # inf at t = 0: every mode
        stop = max(int(np.searchsorted(row, lim, side="right")) for row, lim in zip(g, limit, strict=True))
        g, t_col = g[:, :stop], t[:, None]
        with np.errstate(invalid="ignore"):
            c2 = np.where(g == 0, 1.0, np.exp(-2 * g * t_col))
        norms = c2 * self._initial_norms[:, :stop]
        d_out = self.d_out
        return np.sum(self.nu[:, :stop] * norms, axis=1) / d_out, np.sum(norms, axis=1) / d_out

    @property
    def _initial_norms(self) -> np.ndarray:
        """``||s_i - tau_i||^2`` per run and mode (cached)."""
        cached = self.__dict__.get("_d0_cache")
        if cached is None:
            d0 = self.s - self.tau
            cached = np.einsum("bij,bij->bi", d0, d0)
            object.__setattr__(self, "_d0_cache", cached)
        return cached

    def grams(self, t) -> tuple[np.ndarray, np.ndarray]:
        """``(M_tr, M_gen)`` per run, shape ``(B, d_out, d_out)``: ``sum_i q_i Dbar_i Dbar_i^T`` (module docstring)."""
        dbar = self._dbar(t)
        dbar_t = dbar.transpose(0, 2, 1)
        m_gen = dbar_t @ dbar  # batched BLAS products (a three-operand einsum loops in C without BLAS)
        m_tr = (dbar_t * self.nu[:, None, :]) @ dbar
        return m_tr, m_gen

    def accuracies(self, t, eps: float, *, exact: bool = True) -> tuple[np.ndarray, np.ndarray]:
        """``(A_tr, A_gen)`` per run at times ``t``, Gaussian inputs with the training / population covariance.

        ``exact=True``: the accuracy given ``D`` (weighted chi-square with the eigenvalues of ``M_Q``,
        :func:`numerics.quadform.accuracy_given_gram`); ``exact=False``: Eq. (13)'s chi-square with ``d_out`` degrees
        of freedom applied to the run's loss.  They coincide for ``d_out = 1``.
        """
        from scipy import special

        d_out = self.d_out
        if d_out == 1 or not exact:
            out = []
            for loss in self.losses(t):
                with np.errstate(divide="ignore", over="ignore"):
                    x = d_out * eps / (2 * loss)
                out.append(special.gammainc(d_out / 2, x) if d_out > 1 else special.erf(np.sqrt(x)))
            return out[0], out[1]
        m_tr, m_gen = self.grams(t)
        return accuracy_given_gram(m_tr, eps), accuracy_given_gram(m_gen, eps)
