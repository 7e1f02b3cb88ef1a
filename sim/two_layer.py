"""Two-layer student ``f(x) = S1^T sigma(S0^T x)`` trained by full-batch GD (Eq. 17, Section 4; Appendix E).

Loss: Eq. (17) (mean over samples and outputs) plus weight decay ``gamma/(2 d_out)`` on each weight matrix, as in
Eq. (3).  ``sigma`` is the identity (``"linear"``) or ``tanh``.

* Linear: the loss depends on the data only through ``Sigma_tr`` and ``c = X^T noise / N``.  With ``W = S0 S1`` and
  ``D = W - T`` (``T = T0 T1``), ``dL/dW = G = (2 / d_out)(Sigma_tr D - c)``, so ``dL/dS0 = G S1^T``,
  ``dL/dS1 = S0^T G`` (the discrete form of Eq. 38).  The step loop never touches the ``N x d_in`` data matrix; it is
  used only at recorded steps, for the residuals (losses and accuracies).  The loop runs in the eigenbasis of
  ``Sigma_tr = V diag(nu) V^T``: GD is equivariant under ``S0 -> V^T S0`` (with ``T -> V^T T``, ``c -> V^T c``), and
  there ``Sigma_tr D`` is the row scaling ``nu * D``, so a step costs three thin products instead of four (the
  iterates equal those of the literal loop up to round-off; ``D = V (V^T D)`` is rotated back at recorded steps).
* Tanh: the literal back-propagation through the data matrix at every step (its ``N x d_h`` temporaries live in
  scratch arrays reused from step to step).

Other optimizers (:mod:`sim.optimizers`, beyond the paper) use the same gradients: momentum and Nesterov in the
eigenbasis (their updates are linear in the gradient), Adam/AdamW in the original basis (elementwise updates do not
commute with the rotation), mini-batch SGD by back-propagation through one batch of the data per step.

There is no closed-form stability test for two layers: a run whose losses stop being finite raises
:class:`sim.DivergenceError` (checked at every recorded step and every ``CHECK_EVERY`` steps).
"""

from __future__ import annotations

import numpy as np
from tqdm.auto import tqdm

from .metrics import Recorder
from .optimizers import BLOW_UP, Batches, Optimizer, Spec, blown_up
from .problem import Problem, forward
from .stability import DivergenceError

CHECK_EVERY = 100


def gradients_linear(s0, s1, sigma, teacher, drive, *, gamma: float, out=None):
    """``(dL/dS0, dL/dS1)`` of Eq. (17) with linear activation plus weight decay, from ``Sigma_tr`` alone.

    ``sigma`` is ``Sigma_tr`` (``d_in x d_in``) or, when ``s0``, ``teacher`` and ``drive`` are written in its eigenbasis
    (rows rotated by ``V^T``), the vector of its eigenvalues; the gradients are then in that basis too.  ``out``: an
    optional ``d_in x d_h`` float64 array that receives ``dL/dS0`` (reused across steps).
    """
    d_out = s1.shape[1]
    d = s0 @ s1 - teacher
    sd = sigma[:, None] * d if sigma.ndim == 1 else sigma @ d
    g = (2.0 / d_out) * (sd - drive)
    # d_out = 1: the outer product by broadcasting (the same numbers), sparing a slow K = 1 matmul
    g0 = np.multiply(g, s1.T, out=out) if d_out == 1 else np.matmul(g, s1.T, out=out)
    if not gamma:
        return g0, s0.T @ g
    g0 += (gamma / d_out) * s0
    return g0, s0.T @ g + (gamma / d_out) * s1


def gradients_data(s0, s1, x, y, *, gamma: float, activation: str, work=None):
    """``(residual, dL/dS0, dL/dS1)`` by back-propagation through the data matrix ``x`` (Eq. 17 plus weight decay).

    ``work``: optional scratch arrays ``(a, b, c, g0)``, the first three ``N x d_h`` and ``g0`` ``d_in x d_h`` (float64,
    C-contiguous), reused across calls to spare the large temporaries; ``dL/dS0`` is then written into ``g0``.
    """
    n, d_out = y.shape
    a, b, c, g0 = work if work is not None else (None,) * 4
    pre = np.matmul(x, s0, out=a)
    h = np.tanh(pre, out=pre) if activation == "tanh" else pre
    res = h @ s1 - y
    g_out = (2.0 / (n * d_out)) * res
    g_h = np.matmul(g_out, s1.T, out=b)
    if activation == "tanh":
        dh = np.multiply(h, h, out=c)  # tanh' = 1 - h^2, formed in place
        np.subtract(1.0, dh, out=dh)
        g_h *= dh
    g0 = np.matmul(x.T, g_h, out=g0)
    if not gamma:
        return res, g0, h.T @ g_out
    g0 += (gamma / d_out) * s0
    return res, g0, h.T @ g_out + (gamma / d_out) * s1


def run(
    problem: Problem,
    steps: np.ndarray,
    *,
    eta: float,
    gamma: float,
    eps: float,
    progress: bool = False,
    exact_accuracy: bool = True,
    optimizer: Spec | None = None,
    rng: np.random.Generator | None = None,
) -> Recorder:
    """Literal training loop for two layers (see module docstring); update rule of ``optimizer`` (default GD).

    Linear activation with GD, momentum or Nesterov: the Gram-matrix shortcut in the eigenbasis of ``Sigma_tr``
    (these updates are linear in the gradient, so they commute with the rotation); with Adam/AdamW (elementwise, not
    rotation invariant) the same gradients with ``Sigma_tr`` itself in the original basis.  ``"sgd"``:
    back-propagation through one mini-batch of the data per step (``rng``: :class:`sim.optimizers.Batches`), stopped
    with :class:`sim.DivergenceError` when a mini-batch loss blows up (:func:`sim.optimizers.blown_up`).
    """
    spec = Spec() if optimizer is None else optimizer
    if spec.name == "sgd":
        return _run_batches(problem, steps, eta=eta, gamma=gamma, eps=eps, progress=progress,
                            exact_accuracy=exact_accuracy, spec=spec, rng=rng)  # fmt: skip
    s0, s1 = (w.copy() for w in problem.student)
    linear = problem.activation == "linear"
    t_mat = problem.teacher_matrix
    y_gen = problem.y_gen
    v = None
    if linear and spec.rotation_invariant:
        nu, v = np.linalg.eigh(problem.gram)  # Sigma_tr = v diag(nu) v^T; iterate on v^T S0 (module docstring)
        s0, t_rot, drive, sig = v.T @ s0, v.T @ t_mat, v.T @ problem.noise_drive, nu
        work = np.empty(s0.shape)
    elif linear:  # Adam: elementwise, so the original basis
        t_rot, drive, sig = t_mat, problem.noise_drive, problem.gram
        work = np.empty(s0.shape)
    else:
        y = problem.y
        n_h = (problem.x.shape[0], s0.shape[1])
        work = (np.empty(n_h), np.empty(n_h), np.empty(n_h), np.empty(s0.shape))  # scratch of gradients_data
    opt = Optimizer(spec, eta, (s0, s1))
    rec = Recorder(steps, eps, exact_accuracy, problem.cov_factor)
    where = {int(t): i for i, t in enumerate(steps)}
    last = int(steps[-1])
    with np.errstate(over="ignore", invalid="ignore"):
        for t in tqdm(range(last + 1), disable=not progress, desc=f"{spec.name} (2-layer {problem.activation})"):
            if linear:
                if t in where:
                    d = s0 @ s1 - t_rot
                    d = d if v is None else v @ d
                    rec.put(where[t], problem.x @ d - problem.noise, problem.x_gen @ d, d)
                if t == last:
                    break
                g0, g1 = gradients_linear(s0, s1, sig, t_rot, drive, gamma=gamma, out=work)
            else:
                res, g0, g1 = gradients_data(s0, s1, problem.x, y, gamma=gamma, activation="tanh", work=work)
                if t in where:
                    rec.put(where[t], res, forward((s0, s1), problem.x_gen, "tanh") - y_gen)
                if t == last:
                    break
            if (t in where and not rec.finite(where[t])) or (t % CHECK_EVERY == 0 and not np.isfinite(g0).all()):
                raise DivergenceError(
                    f"two-layer {spec.name} diverged by step {t} (eta={eta:g}, gamma={gamma:g}): losses are no longer"
                    f" finite; lower eta"
                )
            opt.step((s0, s1), (g0, g1))
    if not rec.finite(slice(None)):
        raise DivergenceError(
            f"two-layer {spec.name} diverged (eta={eta:g}, gamma={gamma:g}): non-finite losses; lower eta"
        )
    return rec


def _run_batches(problem, steps, *, eta, gamma, eps, progress, exact_accuracy, spec, rng) -> Recorder:
    """Mini-batch SGD for two layers: per step, back-propagation through one batch of the data matrix."""
    s0, s1 = (w.copy() for w in problem.student)
    act = problem.activation
    x, y, x_gen, y_gen = problem.x, problem.y, problem.x_gen, problem.y_gen
    t_mat = problem.teacher_matrix
    batches = Batches(x.shape[0], spec.batch_size, rng)
    initial = float(np.mean((forward((s0, s1), x, act) - y) ** 2))
    opt = Optimizer(spec, eta, (s0, s1))
    rec = Recorder(steps, eps, exact_accuracy, problem.cov_factor)
    where = {int(t): i for i, t in enumerate(steps)}
    last = int(steps[-1])
    with np.errstate(over="ignore", invalid="ignore"):
        for t in tqdm(range(last + 1), disable=not progress, desc=f"sgd (2-layer {act})"):
            if t in where:
                d = None if t_mat is None else s0 @ s1 - t_mat
                train_res = forward((s0, s1), x, act) - y
                rec.put(where[t], train_res, forward((s0, s1), x_gen, act) - y_gen, d)
                if not rec.finite(where[t]):
                    _diverged(t, eta, gamma, "training loss")
            if t == last:
                break
            idx = batches.next()
            res, g0, g1 = gradients_data(s0, s1, x[idx], y[idx], gamma=gamma, activation=act)
            if blown_up(float(np.mean(res * res)), initial):
                _diverged(t, eta, gamma, "mini-batch loss")
            opt.step((s0, s1), (g0, g1))
    return rec


def _diverged(t, eta, gamma, what):
    raise DivergenceError(
        f"two-layer sgd diverged: the {what} at step {t} is not finite or above {BLOW_UP:g} times its initial value"
        f" (eta={eta:g}, gamma={gamma:g}); lower eta"
    )
