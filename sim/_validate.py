"""Input validation for :func:`sim.train`: every bad value fails early with a ``ValueError`` naming it."""

from __future__ import annotations

import math
import numbers

import numpy as np

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
