"""Update rules of the optimizers :func:`sim.train` runs (``optimizer=``), in PyTorch's conventions (no PyTorch).

The paper trains by full-batch gradient descent (Eq. 3).  People reproducing it use momentum, mini-batch SGD and
AdamW; this module holds their update rules, written from PyTorch's documented algorithms:

* ``torch.optim.SGD`` -- https://docs.pytorch.org/docs/stable/generated/torch.optim.SGD.html (``dampening = 0``,
  ``weight_decay = 0``: the L2 term is the loss's ``gamma``, see below);
* ``torch.optim.Adam`` -- https://docs.pytorch.org/docs/stable/generated/torch.optim.Adam.html (``amsgrad=False``);
* ``torch.optim.AdamW`` -- https://docs.pytorch.org/docs/stable/generated/torch.optim.AdamW.html (``amsgrad=False``).

With ``g_t`` the gradient of the loss (MSE plus ``gamma/(2 d_out) ||W||^2``, the ``sim.train`` loss) at the
parameters ``p_{t-1}``, learning rate ``eta``, and steps counted from ``t = 1``:

``"gd"`` and ``"sgd"``
    ``p_t = p_{t-1} - eta g_t``; for ``"sgd"`` ``g_t`` is the gradient of the loss of one mini-batch.
``"momentum"`` (``torch.optim.SGD(momentum=beta)``, heavy ball)
    ``b_1 = g_1``, ``b_t = beta b_{t-1} + g_t`` (the buffer starts as the first gradient, not at zero);
    ``p_t = p_{t-1} - eta b_t``.
``"nesterov"`` (``torch.optim.SGD(momentum=beta, nesterov=True)``)
    the same buffer; ``p_t = p_{t-1} - eta (g_t + beta b_t)``.  (PyTorch refuses ``nesterov`` with
    ``momentum = 0``; here ``beta = 0`` is allowed and is plain GD.)
``"adam"`` (``torch.optim.Adam(betas=(b1, b2), eps=adam_eps, weight_decay=wd)``)
    ``g_t <- g_t + wd p_{t-1}`` (L2 coupled into the moments); ``m_t = b1 m_{t-1} + (1 - b1) g_t``,
    ``v_t = b2 v_{t-1} + (1 - b2) g_t^2`` (``m_0 = v_0 = 0``, elementwise); ``mhat = m_t/(1 - b1^t)``,
    ``vhat = v_t/(1 - b2^t)``; ``p_t = p_{t-1} - eta mhat/(sqrt(vhat) + adam_eps)`` (``adam_eps`` added after the
    square root of the bias-corrected second moment).
``"adamw"`` (``torch.optim.AdamW``)
    ``p <- p_{t-1} (1 - eta wd)`` first (decoupled: ``wd`` never enters ``m`` or ``v``), then the Adam step above
    with the raw ``g_t``.

PyTorch implements ``m`` with ``lerp`` and divides by ``sqrt(1 - b2^t)`` after the square root; these are the same
numbers up to round-off, and the documented formulas above are the ones used here (in float64).

Defaults are PyTorch's: ``betas = (0.9, 0.999)``, ``adam_eps = 1e-8``, ``weight_decay = 0`` for ``"adam"`` and
``1e-2`` for ``"adamw"``.  ``momentum`` (``"momentum"``, ``"nesterov"``) and ``batch_size`` (``"sgd"``) have no
default.

``gamma`` and ``weight_decay``
    ``gamma`` is part of the loss (Eq. 3) for every optimizer, so ``(gamma/d_out) p`` is part of ``g_t``: for SGD
    this is PyTorch's ``weight_decay = gamma/d_out`` (so ``weight_decay`` is refused there: use ``gamma``).  For
    ``"adam"`` both add to the gradient: ``(gamma, wd)`` is ``(gamma + d_out wd, 0)`` in exact arithmetic.  For
    ``"adamw"`` they differ: ``gamma`` passes through the moments and is normalised like the loss gradient,
    ``wd`` shrinks ``p`` directly; both may be > 0.

Stability on a quadratic (one linear layer, Eq. 3)
    A ``Sigma_tr`` eigenmode with curvature ``a = (2 nu + gamma)/d_out`` follows, with ``h = eta a``,
    ``x_{t+1} = (1 - h) x_t`` (GD), ``x_{t+1} = (1 + beta - h) x_t - beta x_{t-1}`` (momentum; from
    ``x_t - x_{t+1} = eta b_t = beta (x_{t-1} - x_t) + h x_t``) and
    ``x_{t+1} = (1 + beta)(1 - h) x_t - beta (1 - h) x_{t-1}`` (Nesterov), each from ``t = 1`` on.  Both roots of
    ``r^2 - c_1 r + c_0`` lie in the unit disc iff ``|c_0| < 1`` and ``1 -+ c_1 + c_0 > 0`` (Jury), which gives
    ``0 < h < 2 (1 + beta)`` for momentum and ``0 < h < 2 (1 + beta)/(1 + 2 beta)`` for Nesterov
    (:func:`step_bound`); ``h = 0`` (a flat mode, ``lam > 1`` with ``gamma = 0``) is neutral, as for GD.  SGD and
    Adam have no such a-priori test: the engines stop a run whose loss blows up (:func:`blown_up`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .stability import DivergenceError

OPTIMIZERS = ("gd", "momentum", "nesterov", "sgd", "adam", "adamw")
#: the optimizer-specific keywords each optimizer uses (any other one given to it is an error)
USES = {
    "gd": (),
    "momentum": ("momentum",),
    "nesterov": ("momentum",),
    "sgd": ("batch_size",),
    "adam": ("betas", "adam_eps", "weight_decay"),
    "adamw": ("betas", "adam_eps", "weight_decay"),
}
KEYWORDS = ("momentum", "batch_size", "betas", "adam_eps", "weight_decay")
#: PyTorch's defaults (``weight_decay``: per optimizer)
DEFAULT_BETAS = (0.9, 0.999)
DEFAULT_ADAM_EPS = 1e-8
DEFAULT_WEIGHT_DECAY = {"adam": 0.0, "adamw": 1e-2}


@dataclass(frozen=True)
class Spec:
    """A validated optimizer and its settings (``None`` for the keywords it does not use)."""

    name: str = "gd"
    momentum: float | None = None
    batch_size: int | None = None
    betas: tuple[float, float] | None = None
    adam_eps: float | None = None
    weight_decay: float | None = None

    @property
    def rotation_invariant(self) -> bool:
        """Whether the update commutes with a rotation of the parameters' rows (not Adam: it is elementwise)."""
        return self.name in ("gd", "momentum", "nesterov", "sgd")

    def params(self) -> dict:
        """The settings as ``TrainResult.params`` entries (``betas`` as a tuple)."""
        return {"optimizer": self.name, **{k: getattr(self, k) for k in KEYWORDS}}


def step_bound(spec: Spec) -> float | None:
    """Sup of the stable ``h = eta a`` for a quadratic mode of curvature ``a`` (module docstring), or ``None``.

    ``2`` (GD), ``2 (1 + beta)`` (momentum), ``2 (1 + beta)/(1 + 2 beta)`` (Nesterov); ``None`` for SGD and Adam.
    """
    if spec.name == "gd":
        return 2.0
    if spec.name == "momentum":
        return 2.0 * (1.0 + spec.momentum)
    if spec.name == "nesterov":
        return 2.0 * (1.0 + spec.momentum) / (1.0 + 2.0 * spec.momentum)
    return None


def check_stable(spec: Spec, nu, *, eta: float, gamma: float, d_out: int) -> None:
    """Raise :class:`sim.DivergenceError` if the top ``Sigma_tr`` mode is unstable under momentum or Nesterov.

    The mode of ``nu_max`` has ``h = eta (2 nu_max + gamma)/d_out``; it must satisfy ``h < step_bound(spec)``
    (module docstring).  Other optimizers: nothing to check here.
    """
    if spec.name not in ("momentum", "nesterov"):
        return
    nu_max = float(np.max(nu))
    h = eta * (2.0 * nu_max + gamma) / d_out
    bound = step_bound(spec)
    if h >= bound:
        form = "2 (1 + beta)" if spec.name == "momentum" else "2 (1 + beta)/(1 + 2 beta)"
        raise DivergenceError(
            f"eta={eta:g} with momentum={spec.momentum:g} ({spec.name}) diverges: the top eigenvalue of Sigma_tr is"
            f" nu_max={nu_max:.6g}, d_out={d_out}, gamma={gamma:g}, so eta (2 nu_max + gamma)/d_out = {h:.6g}, which"
            f" must be < {form} = {bound:.6g}; need eta < {bound * d_out / (2.0 * nu_max + gamma):.6g}"
        )


#: a (mini-batch) loss above this multiple of the initial training loss counts as divergence (:func:`blown_up`)
BLOW_UP = 1e12


def blown_up(loss: float, initial: float) -> bool:
    """Whether a (mini-batch) training loss means divergence: not finite, or above ``BLOW_UP`` times ``initial``.

    A run that diverges grows geometrically and would take thousands of steps to overflow to ``inf`` (mini-batch SGD
    just above its stable batch size: ~1e100 after 3e4 steps at ``d_in = 1000``); no convergent run of these
    quadratic-like losses comes near ``1e12`` times its start (the threshold is not applied when ``initial = 0``).
    """
    return not math.isfinite(loss) or (initial > 0 and loss > BLOW_UP * initial)


def shuffle_rng(seed: int) -> np.random.Generator:
    """The generator of the mini-batch order of run ``seed``: ``default_rng(SeedSequence(seed, spawn_key=(0,)))``.

    This is the first child of the run's ``SeedSequence(seed)`` (the one :func:`sim.problem.draw` uses), an
    independent stream: data, teacher and student of an SGD run are those of every other run with the same seed.
    """
    return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(0,)))


class Batches:
    """Mini-batch indices: each epoch one ``rng.permutation(n)``, cut into consecutive slices of ``batch_size``.

    As PyTorch's ``DataLoader(shuffle=True, drop_last=False)``: the last batch of an epoch is smaller when
    ``batch_size`` does not divide ``n``.  One call of :meth:`next` is one optimizer step.
    """

    def __init__(self, n: int, batch_size: int, rng: np.random.Generator):
        self.n, self.batch_size, self.rng = n, batch_size, rng
        self.order, self.pos = None, n

    def next(self) -> np.ndarray:
        if self.pos >= self.n:
            self.order, self.pos = self.rng.permutation(self.n), 0
        idx = self.order[self.pos : self.pos + self.batch_size]
        self.pos += self.batch_size
        return idx


class Optimizer:
    """The state of one optimizer over a tuple of parameter arrays; :meth:`step` updates them in place."""

    def __init__(self, spec: Spec, eta: float, params: tuple[np.ndarray, ...]):
        self.spec, self.eta, self.t = spec, eta, 0
        if spec.name in ("momentum", "nesterov"):
            self.buf = [None] * len(params)
        elif spec.name in ("adam", "adamw"):
            self.m = [np.zeros_like(p) for p in params]
            self.v = [np.zeros_like(p) for p in params]

    def step(self, params: tuple[np.ndarray, ...], grads: tuple[np.ndarray, ...]) -> None:
        """One update of every ``params[i]`` (in place) from ``grads[i]``, which may be overwritten."""
        self.t += 1
        name, eta = self.spec.name, self.eta
        for i, (p, g) in enumerate(zip(params, grads, strict=True)):
            if name in ("gd", "sgd"):
                g *= eta
                p -= g
            elif name in ("momentum", "nesterov"):
                beta = self.spec.momentum
                if self.buf[i] is None:
                    self.buf[i] = g.copy()  # b_1 = g_1
                else:
                    self.buf[i] *= beta
                    self.buf[i] += g  # b_t = beta b_{t-1} + g_t
                d = g + beta * self.buf[i] if name == "nesterov" else self.buf[i]
                p -= eta * d
            else:
                self._adam(i, p, g)

    def _adam(self, i: int, p: np.ndarray, g: np.ndarray) -> None:
        (b1, b2), eps, wd, t = self.spec.betas, self.spec.adam_eps, self.spec.weight_decay, self.t
        if self.spec.name == "adamw":
            if wd:
                p *= 1.0 - self.eta * wd  # decoupled decay, before the Adam step
        elif wd:
            g += wd * p  # Adam: L2 coupled into the gradient
        m, v = self.m[i], self.v[i]
        m *= b1
        m += (1.0 - b1) * g
        v *= b2
        v += (1.0 - b2) * (g * g)
        mhat = m / (1.0 - b1**t)
        vhat = v / (1.0 - b2**t)
        p -= self.eta * mhat / (np.sqrt(vhat) + eps)
