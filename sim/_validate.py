"""Input validation for :func:`sim.train`: every bad value fails early with a ``ValueError`` naming it."""

from __future__ import annotations

import math
import numbers

import numpy as np

from . import optimizers as opt

ACTIVATIONS = ("linear", "tanh")
ENGINES = ("auto", "loop", "spectral")


def integer(name: str, value, *, low: int = 1) -> int:
    """An ``int`` (numpy integers accepted, ``bool`` refused) with ``value >= low``."""
    if isinstance(value, bool | np.bool_) or not isinstance(value, numbers.Integral):
        raise ValueError(f"{name} must be an integer >= {low}, got {value!r}")
    value = int(value)
    if value < low:
        raise ValueError(f"{name} must be an integer >= {low}, got {value!r}")
    return value


def real(name: str, value, *, low: float, strict: bool) -> float:
    """A finite real ``> low`` (``strict``) or ``>= low``; returned as ``float``."""
    op = ">" if strict else ">="
    if isinstance(value, bool | np.bool_) or not isinstance(value, numbers.Real):
        raise ValueError(f"{name} must be a finite real {op} {low}, got {value!r}")
    x = float(value)
    if not math.isfinite(x) or x < low or (strict and x == low):
        raise ValueError(f"{name} must be a finite real {op} {low}, got {value!r}")
    return x


def choice(name: str, value, allowed: tuple[str, ...]) -> str:
    if not isinstance(value, str) or value not in allowed:
        raise ValueError(f"{name} must be one of {allowed}, got {value!r}")
    return value


def seed(value) -> int:
    """A non-negative integer seed for ``np.random.default_rng`` (``None`` refused: runs must be reproducible)."""
    return integer("seed", value, low=0)


def record_steps(record, steps: int) -> np.ndarray:
    """The explicit ``record`` iterable as a sorted array of unique ints in ``[0, steps]``."""
    if isinstance(record, str | bytes) or not hasattr(record, "__iter__"):
        raise ValueError(f"record must be None or an iterable of integers in [0, {steps}], got {record!r}")
    out = []
    for r in record:
        if isinstance(r, bool | np.bool_) or not isinstance(r, numbers.Integral) or not 0 <= int(r) <= steps:
            raise ValueError(f"record must contain integers in [0, steps={steps}], got {r!r}")
        out.append(int(r))
    if not out:
        raise ValueError("record must contain at least one step")
    return np.unique(np.asarray(out, dtype=np.int64))


def input_cov(value, d_in: int) -> tuple[str, np.ndarray]:
    """The population covariance ``Sigma`` of the inputs as ``(kind, factor)`` with ``Sigma = F^T F``.

    ``value`` is a 1-D spectrum (``kind="spectrum"``, ``Sigma = diag(value)``, ``factor = sqrt(value)``, a vector)
    or a ``d_in x d_in`` symmetric positive definite matrix (``kind="matrix"``, ``factor = L^T`` from the Cholesky
    factorisation ``Sigma = L L^T``, upper triangular).  Symmetry is checked to ``1e-10`` of the largest entry; the
    symmetrised matrix ``(Sigma + Sigma^T) / 2`` is used.
    """
    try:
        a = np.array(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(f"input_cov must be a 1-D spectrum or a d_in x d_in matrix of reals, got {value!r}") from None
    if a.ndim == 1:
        if a.shape != (d_in,):
            raise ValueError(f"input_cov as a spectrum must have length d_in={d_in}, got length {a.shape[0]}")
        if not np.all(np.isfinite(a)):
            raise ValueError("input_cov must be finite (the spectrum has NaN or inf entries)")
        if not np.all(a > 0):
            raise ValueError(f"input_cov as a spectrum must be positive, got min {a.min()!r}")
        return "spectrum", np.sqrt(a)
    if a.ndim != 2 or a.shape != (d_in, d_in):
        raise ValueError(
            f"input_cov must be a 1-D spectrum of length d_in={d_in} or a {d_in} x {d_in} matrix, got shape {a.shape}"
        )
    if not np.all(np.isfinite(a)):
        raise ValueError("input_cov must be finite (the matrix has NaN or inf entries)")
    scale = float(np.max(np.abs(a)))
    if np.max(np.abs(a - a.T)) > 1e-10 * scale:
        raise ValueError("input_cov as a matrix must be symmetric (and positive definite)")
    a = 0.5 * (a + a.T)
    try:
        chol = np.linalg.cholesky(a)
    except np.linalg.LinAlgError:
        raise ValueError("input_cov as a matrix must be positive definite (its Cholesky factorisation fails)") from None
    return "matrix", np.ascontiguousarray(chol.T)


def inputs(value, d_in: int, n_train: int) -> np.ndarray:
    """A finite 2-D data matrix (rows = samples) with ``d_in`` columns and at least ``n_train + 1`` rows."""
    try:
        a = np.array(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(f"inputs must be a 2-D array of reals (rows = samples), got {value!r}") from None
    if a.ndim != 2:
        raise ValueError(f"inputs must be a 2-D array (rows = samples, d_in columns), got shape {a.shape}")
    if a.shape[1] != d_in:
        raise ValueError(f"inputs must have d_in={d_in} columns, got {a.shape[1]}")
    if not np.all(np.isfinite(a)):
        raise ValueError("inputs must be finite (the data matrix has NaN or inf entries)")
    if a.shape[0] < n_train + 1:
        raise ValueError(
            f"inputs must have at least n_train + 1 = {n_train + 1} rows (n_train for training, the rest for the"
            f" generalisation loss), got {a.shape[0]}"
        )
    return a


def optimizer(name, *, momentum, batch_size, betas, adam_eps, weight_decay, n_train: int):
    """The validated :class:`sim.optimizers.Spec` of ``sim.train(optimizer=..., ...)``.

    ``momentum`` in ``[0, 1)`` (``"momentum"``, ``"nesterov"``; required), ``batch_size`` an integer in
    ``[1, n_train]`` (``"sgd"``; required), ``betas`` a pair in ``[0, 1)``, ``adam_eps > 0`` and
    ``weight_decay >= 0`` (``"adam"``, ``"adamw"``; PyTorch's defaults when ``None``).  A keyword the optimizer does
    not use must be ``None``.
    """
    name = choice("optimizer", name, opt.OPTIMIZERS)
    given = {"momentum": momentum, "batch_size": batch_size, "betas": betas, "adam_eps": adam_eps}
    given["weight_decay"] = weight_decay
    for key, value in given.items():
        if value is not None and key not in opt.USES[name]:
            users = [o for o in opt.OPTIMIZERS if key in opt.USES[o]]
            hint = " (the loss-side weight decay of every optimizer is gamma)" if key == "weight_decay" else ""
            raise ValueError(
                f"{key}={value!r} does not apply to optimizer={name!r}: it is used by {', '.join(users)} only{hint}"
            )
    if name in ("momentum", "nesterov"):
        if momentum is None:
            raise ValueError(f"optimizer={name!r} needs momentum=<beta, a real in [0, 1)>")
        beta = real("momentum", momentum, low=0.0, strict=False)
        if beta >= 1.0:
            raise ValueError(f"momentum must be a finite real in [0, 1), got {momentum!r}")
        return opt.Spec(name, momentum=beta)
    if name == "sgd":
        if batch_size is None:
            raise ValueError(f"optimizer='sgd' needs batch_size=<an integer in [1, n_train={n_train}]>")
        b = integer("batch_size", batch_size)
        if b > n_train:
            raise ValueError(f"batch_size must be an integer in [1, n_train={n_train}], got {batch_size!r}")
        return opt.Spec(name, batch_size=b)
    if name in ("adam", "adamw"):
        pair = opt.DEFAULT_BETAS if betas is None else betas
        msg = f"betas must be a pair (b1, b2) of finite reals in [0, 1), got {betas!r}"
        if isinstance(pair, str | bytes) or not hasattr(pair, "__len__") or len(pair) != 2:
            raise ValueError(msg)
        bs = []
        for b in pair:
            b = b.item() if isinstance(b, np.generic) else b
            try:
                b = real("betas", b, low=0.0, strict=False)
            except ValueError:
                raise ValueError(msg) from None
            if b >= 1.0:
                raise ValueError(msg)
            bs.append(b)
        eps = opt.DEFAULT_ADAM_EPS if adam_eps is None else real("adam_eps", adam_eps, low=0.0, strict=True)
        wd = opt.DEFAULT_WEIGHT_DECAY[name] if weight_decay is None else weight_decay
        wd = real("weight_decay", wd, low=0.0, strict=False)
        return opt.Spec(name, betas=(bs[0], bs[1]), adam_eps=eps, weight_decay=wd)
    return opt.Spec(name)
