"""One-layer linear student: full-batch GD on Eq. (1) with weight decay and label noise (Eq. 3), two engines.

With ``D = S - T``, label noise ``y_i = T^T x_i + noise_i`` and ``c = X^T noise / N`` (``d_in x d_out``), GD on
``L_tr + gamma/(2 d_out) ||S||_F^2`` reads (Eq. 3, plus the noise term)::

    D_{t+1} = A D_t + b,   A = I - (2 eta / d_out) Sigma_tr - (eta gamma / d_out) I,   b = (eta / d_out)(2 c - gamma T).

PyTorch's ``SGD(weight_decay=w)`` is this with ``w = gamma / d_out``.  In the eigenbasis ``Sigma_tr = V diag(nu) V^T``
every mode evolves independently with factor ``a_k = 1 - r_k``, ``r_k = (eta / d_out)(2 nu_k + gamma)``::

    Dbar_t = a^t Dbar_0 + (1 - a^t) / r * bbar          (the geometric sum; equal to t * bbar when r = 0)
           = a^t (Dbar_0 - Dbar_inf) + Dbar_inf,        Dbar_inf = bbar / r  (when every r_k > 0),

i.e. ``D_inf = (Sigma + gamma/2 I)^{-1} (c - gamma/2 T)``, which for ``c = 0`` is Appendix D's
``D_inf = -(gamma/2)(Sigma + gamma/2 I)^{-1} T`` (Eq. 31).  The geometric-sum form needs no inverse, so it also
covers ``gamma = 0`` with zero eigenvalues (``lam > 1``): those modes keep ``Dbar_0`` (``bbar`` vanishes there, since
``c`` lies in the range of ``X^T``).

Nothing here assumes isotropic inputs: with ``x ~ N(0, Sigma)`` (``sim.train(input_cov=...)``, beyond the paper)
``Sigma_tr`` is anisotropic and the same eigendecomposition gives exact GD.

``engine="loop"`` runs the literal PyTorch-style loop on ``S`` with the data matrix; ``engine="spectral"`` evaluates
the closed form at the recorded steps only.  Both compute the losses from residuals at the recorded steps.  The loop
engine also runs the other optimizers of :mod:`sim.optimizers` (momentum, Nesterov, mini-batch SGD, Adam, AdamW;
beyond the paper) with the same gradient; the closed form above is GD's only.
"""

from __future__ import annotations

import numpy as np
from tqdm.auto import tqdm

from .metrics import Recorder
from .optimizers import BLOW_UP, Batches, Optimizer, Spec, blown_up
from .optimizers import check_stable as check_stable_opt
from .problem import Problem
from .stability import DivergenceError, check_stable

#: Bytes allowed for one block of residuals in the spectral engine (records are processed in blocks).
BLOCK_BYTES = 64 * 2**20


def forcing(teacher: np.ndarray, drive: np.ndarray, *, eta: float, gamma: float, d_out: int) -> np.ndarray:
    """The constant term ``b = (eta / d_out)(2 c - gamma T)`` of the recursion (Eq. 3 plus label noise)."""
    return (eta / d_out) * (2.0 * drive - gamma * teacher)


def step(d: np.ndarray, sigma: np.ndarray, b: np.ndarray, *, eta: float, gamma: float, d_out: int) -> np.ndarray:
    """One GD step of the recursion on ``D``: ``A D + b`` (Eq. 3)."""
    return d - (eta / d_out) * (2.0 * sigma @ d + gamma * d) + b


def fixed_point(sigma: np.ndarray, teacher: np.ndarray, gamma: float, drive: np.ndarray | None = None) -> np.ndarray:
    """``D_inf = (Sigma + gamma/2 I)^{-1} (c - gamma/2 T)`` (Eq. 31 of Appendix D for ``c = 0``).

    The fixed point of :func:`step`; needs ``Sigma + gamma/2 I`` invertible (``gamma > 0``, or ``lam < 1``).
    """
    drive = np.zeros_like(teacher) if drive is None else drive
    return np.linalg.solve(sigma + 0.5 * gamma * np.eye(sigma.shape[0]), drive - 0.5 * gamma * teacher)


def mode_powers(nu: np.ndarray, t, *, eta: float, gamma: float, d_out: int) -> tuple[np.ndarray, np.ndarray]:
    """``(a^t, (1 - a^t)/r)`` per eigenmode (rows) and step (columns), accurate also for ``r -> 0``.

    ``a = 1 - r``; for ``0 <= |r| < 1/2`` use ``a^t = exp(t log1p(-r))`` and ``(1 - a^t)/r = -expm1(t log1p(-r))/r``
    (``= t`` at ``r = 0``), so flat modes lose no digits; otherwise the plain power (``a`` may be negative).
    """
    r = ((eta / d_out) * (2.0 * np.asarray(nu, dtype=float) + gamma))[:, None]
    t = np.asarray(t, dtype=float)[None, :]
    small = np.abs(r) < 0.5
    with np.errstate(divide="ignore", invalid="ignore"):
        lg = t * np.log1p(-np.where(small, r, 0.0))
        at = np.where(small, np.exp(lg), np.power(1.0 - r, t))
        geo = np.where(small, -np.expm1(lg) / r, (1.0 - at) / r)
    geo = np.where(r == 0.0, t, geo)
    return at, geo


def closed_form(
    t, d0: np.ndarray, b: np.ndarray, nu: np.ndarray, v: np.ndarray, *, eta: float, gamma: float, d_out: int
) -> np.ndarray:
    """``D_t`` for every step in ``t`` at once, shape ``(d_in, len(t), d_out)`` (closed form of Eq. 3).

    ``Sigma_tr = v diag(nu) v^T``; ``b`` is :func:`forcing`.  See the module docstring for the formula.
    """
    at, geo = mode_powers(nu, t, eta=eta, gamma=gamma, d_out=d_out)
    d0b, bb = v.T @ d0, v.T @ b  # d_in x d_out
    dbar = at[:, :, None] * d0b[:, None, :] + geo[:, :, None] * bb[:, None, :]
    n_in, n_t, n_out = dbar.shape
    return (v @ dbar.reshape(n_in, n_t * n_out)).reshape(n_in, n_t, n_out)


def run_spectral(
    problem: Problem, steps: np.ndarray, *, eta: float, gamma: float, eps: float, exact_accuracy: bool = True
) -> Recorder:
    """Spectral engine: eigendecompose ``Sigma_tr`` once and evaluate :func:`closed_form` at the recorded steps."""
    (teacher,) = problem.teacher
    (s0,) = problem.student
    d_out = teacher.shape[1]
    nu, v = np.linalg.eigh(problem.gram)
    check_stable(nu, eta=eta, gamma=gamma, d_out=d_out)
    b = forcing(teacher, problem.noise_drive, eta=eta, gamma=gamma, d_out=d_out)
    rec = Recorder(steps, eps, exact_accuracy, problem.cov_factor)
    n_max = max(problem.x.shape[0], problem.x_gen.shape[0])
    block = max(1, BLOCK_BYTES // (8 * n_max * d_out))
    for lo in range(0, len(steps), block):
        sl = slice(lo, min(lo + block, len(steps)))
        d = closed_form(steps[sl], s0 - teacher, b, nu, v, eta=eta, gamma=gamma, d_out=d_out)
        flat = d.reshape(d.shape[0], -1)
        train_res = (problem.x @ flat).reshape(-1, d.shape[1], d_out) - problem.noise[:, None, :]
        gen_res = (problem.x_gen @ flat).reshape(-1, d.shape[1], d_out)
        rec.put(sl, train_res, gen_res, d)
    return rec


def run_loop(
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
    """Loop engine: the literal training loop on ``S`` with the data matrix, as PyTorch does it.

    Per step: ``R = X S - Y``; ``grad = (2 / (N d_out)) X^T R + (gamma / d_out) S``; then the update rule of
    ``optimizer`` (:mod:`sim.optimizers`; default GD: ``S <- S - eta grad``).  For ``"sgd"`` the step uses one
    mini-batch ``B`` of the rows (``N -> |B|``, batches from :class:`sim.optimizers.Batches` with ``rng``); losses
    and accuracies are always recorded on the whole training and held-out sets.

    GD, momentum and Nesterov are checked for stability before the loop (:func:`sim.stability.check_stable`,
    :func:`sim.optimizers.check_stable`); for every optimizer but GD a (mini-batch) loss at step ``t`` that is not
    finite or exceeds ``1e12`` times the initial training loss (:func:`sim.optimizers.blown_up`) raises
    :class:`sim.DivergenceError` naming ``t``.
    """
    spec = Spec() if optimizer is None else optimizer
    (teacher,) = problem.teacher
    (s,) = problem.student
    s = s.copy()
    x, y, x_gen = problem.x, problem.y, problem.x_gen
    y_gen = x_gen @ teacher
    n, d_out = y.shape
    if spec.name == "gd":
        check_stable(np.linalg.eigvalsh(problem.gram), eta=eta, gamma=gamma, d_out=d_out)
    elif spec.name in ("momentum", "nesterov"):
        check_stable_opt(spec, np.linalg.eigvalsh(problem.gram), eta=eta, gamma=gamma, d_out=d_out)
    opt = Optimizer(spec, eta, (s,))
    batches = None if spec.name != "sgd" else Batches(n, spec.batch_size, rng)
    watch = spec.name != "gd"
    initial = float(np.mean((x @ s - y) ** 2))
    rec = Recorder(steps, eps, exact_accuracy, problem.cov_factor)
    where = {int(t): i for i, t in enumerate(steps)}
    last = int(steps[-1])
    with np.errstate(over="ignore", invalid="ignore"):
        for t in tqdm(range(last + 1), disable=not progress, desc=f"{spec.name} (1-layer loop)"):
            if batches is None or t in where:
                res = x @ s - y
                if t in where:
                    rec.put(where[t], res, x_gen @ s - y_gen, s - teacher)
            if t == last:
                break
            if batches is None:
                xb, rb, nb = x, res, n
            else:
                idx = batches.next()
                xb = x[idx]
                rb, nb = xb @ s - y[idx], len(idx)
            if watch and blown_up(float(np.mean(rb * rb)), initial):
                _diverged(spec, t, eta=eta, gamma=gamma, batch=batches is not None)
            grad = (2.0 / (nb * d_out)) * (xb.T @ rb) + (gamma / d_out) * s
            opt.step((s,), (grad,))
    if watch and not rec.finite(slice(None)):
        _diverged(spec, last, eta=eta, gamma=gamma, batch=False)
    return rec


def _diverged(spec: Spec, t: int, *, eta: float, gamma: float, batch: bool) -> None:
    what = "mini-batch loss" if batch else "training loss"
    raise DivergenceError(
        f"{spec.name} diverged: the {what} at step {t} is not finite or above {BLOW_UP:g} times its initial value"
        f" (eta={eta:g}, gamma={gamma:g},"
        f" {', '.join(f'{k}={v}' for k, v in spec.params().items() if v is not None and k != 'optimizer')});"
        f" lower eta"
    )
