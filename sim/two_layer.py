"""Two-layer student ``f(x) = S1^T sigma(S0^T x)`` trained by full-batch GD (Eq. 17, Section 4; Appendix E).

Loss: Eq. (17) (mean over samples and outputs) plus weight decay ``gamma/(2 d_out)`` on each weight matrix, as in
Eq. (3).  ``sigma`` is the identity (``"linear"``) or ``tanh``.

* Linear: the loss depends on the data only through ``Sigma_tr`` and ``c = X^T noise / N``.  With ``W = S0 S1`` and
  ``D = W - T`` (``T = T0 T1``), ``dL/dW = G = (2 / d_out)(Sigma_tr D - c)``, so ``dL/dS0 = G S1^T``,
  ``dL/dS1 = S0^T G`` (the discrete form of Eq. 38).  The step loop never touches the ``N x d_in`` data matrix; it is
  used only at recorded steps, for the residuals (losses and accuracies).
* Tanh: the literal back-propagation through the data matrix at every step.

There is no closed-form stability test for two layers: a run whose losses stop being finite raises
:class:`sim.DivergenceError` (checked at every recorded step and every ``CHECK_EVERY`` steps).
"""

from __future__ import annotations

import numpy as np
from tqdm.auto import tqdm

from .metrics import Recorder
from .problem import Problem, forward
from .stability import DivergenceError

CHECK_EVERY = 100


def gradients_linear(s0, s1, sigma, teacher, drive, *, gamma: float):
    """``(dL/dS0, dL/dS1)`` of Eq. (17) with linear activation plus weight decay, from ``Sigma_tr`` alone."""
    d_out = s1.shape[1]
    g = (2.0 / d_out) * (sigma @ (s0 @ s1 - teacher) - drive)
    return g @ s1.T + (gamma / d_out) * s0, s0.T @ g + (gamma / d_out) * s1


def gradients_data(s0, s1, x, y, *, gamma: float, activation: str):
    """``(residual, dL/dS0, dL/dS1)`` by back-propagation through the data matrix ``x`` (Eq. 17 plus weight decay)."""
    n, d_out = y.shape
    pre = x @ s0
    h = np.tanh(pre) if activation == "tanh" else pre
    res = h @ s1 - y
    g_out = (2.0 / (n * d_out)) * res
    g_h = g_out @ s1.T
    if activation == "tanh":
        g_h = g_h * (1.0 - h * h)
    return res, x.T @ g_h + (gamma / d_out) * s0, h.T @ g_out + (gamma / d_out) * s1


def run(
    problem: Problem,
    steps: np.ndarray,
    *,
    eta: float,
    gamma: float,
    eps: float,
    progress: bool = False,
    exact_accuracy: bool = True,
) -> Recorder:
    """Literal GD loop for two layers; linear activation uses the Gram-matrix shortcut (see module docstring)."""
    s0, s1 = (w.copy() for w in problem.student)
    linear = problem.activation == "linear"
    t_mat = problem.teacher_matrix
    y_gen = problem.y_gen
    if linear:
        sigma, drive = problem.gram, problem.noise_drive
    else:
        y = problem.y
    rec = Recorder(steps, eps, exact_accuracy)
    where = {int(t): i for i, t in enumerate(steps)}
    last = int(steps[-1])
    with np.errstate(over="ignore", invalid="ignore"):
        for t in tqdm(range(last + 1), disable=not progress, desc=f"GD (2-layer {problem.activation})"):
            if linear:
                if t in where:
                    d = s0 @ s1 - t_mat
                    rec.put(where[t], problem.x @ d - problem.noise, problem.x_gen @ d, d)
                if t == last:
                    break
                g0, g1 = gradients_linear(s0, s1, sigma, t_mat, drive, gamma=gamma)
            else:
                res, g0, g1 = gradients_data(s0, s1, problem.x, y, gamma=gamma, activation="tanh")
                if t in where:
                    rec.put(where[t], res, forward((s0, s1), problem.x_gen, "tanh") - y_gen)
                if t == last:
                    break
            if (t in where and not rec.finite(where[t])) or (t % CHECK_EVERY == 0 and not np.isfinite(g0).all()):
                raise DivergenceError(
                    f"two-layer GD diverged by step {t} (eta={eta:g}, gamma={gamma:g}): losses are no longer finite;"
                    f" lower eta"
                )
            s0 -= eta * g0
            s1 -= eta * g1
    if not rec.finite(slice(None)):
        raise DivergenceError(f"two-layer GD diverged (eta={eta:g}, gamma={gamma:g}): non-finite losses; lower eta")
    return rec
