"""Validity maps: where the paper's closed-form approximations agree with the exact MP-limit results.

``validity_map(name, lams, epss)`` evaluates the approximation ``name`` (see :data:`APPROXIMATIONS`) and the exact
quantity it approximates on the grid ``lams x epss`` and returns a :class:`ValidityMap` of relative errors that a
user can plot or query (``m.region(0.10)``: the grid points where it is within 10 %).  NaN marks points where the
printed formula is undefined (e.g. Eq. 26's logarithm of a negative number) or the exact quantity does not exist
(no generalisation).  Exact grokking times are cached per ``(lam, eps, eta, dps)``.

``validity_map_wd(name, lams, gammas, eps=...)`` does the same for the weight-decay formulas of Eq. (16) on a
``(lam, gamma)`` grid (:data:`WD_APPROXIMATIONS`), against the float64 exact path of :mod:`numerics.fast` (agrees with
the mpmath path to 1e-6, far below the percent-level errors mapped).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import mpmath
import numpy as np
from mpmath import mp

from . import approximations as ap
from .grokking import grokking_time
from .losses import gen_loss, train_loss

__all__ = [
    "APPROXIMATIONS",
    "WD_APPROXIMATIONS",
    "ValidityMap",
    "WeightDecayMap",
    "exact_times",
    "validity_map",
    "validity_map_wd",
]


@functools.cache
def exact_times(lam: float, eps: float, eta: float = 0.01, dps: int = 20):
    """Exact ``(t_train, t_gen, delta)`` of :func:`numerics.grokking_time` as floats (``None`` if not reached)."""
    with mp.workdps(dps):
        g = grokking_time(lam, eta=eta, eps=eps)
    return tuple(None if v is None else float(v) for v in (g.t_train, g.t_gen, g.delta))


def _time(idx):
    return lambda lam, eps, eta: exact_times(lam, eps, eta)[idx]


def _loss_at(idx, loss):
    def exact(lam, eps, eta):
        t = exact_times(lam, eps, eta)[idx]
        return None if t is None else loss(t, lam, eta=eta)

    return exact


def _approx_loss_at(idx, approx):
    def f(lam, eps, eta):
        t = exact_times(lam, eps, eta)[idx]
        return None if t is None else approx(t, lam, eta=eta)

    return f


#: name -> (description, approximation(lam, eps, eta), exact(lam, eps, eta))
APPROXIMATIONS: dict[str, tuple[str, Callable, Callable]] = {
    "eq12": ("Eq. 12, grokking time", lambda lam, eps, eta: ap.delta_t_eq12(lam, eta=eta), _time(2)),
    "eq26": ("Eq. 26, grokking time", lambda lam, eps, eta: ap.delta_t_eq26(lam, eta=eta, eps=eps), _time(2)),
    "eq24": ("Eq. 24, train crossing time", lambda lam, eps, eta: ap.t_train_eq24(lam, eta=eta, eps=eps), _time(0)),
    "eq25": ("Eq. 25, gen crossing time", lambda lam, eps, eta: ap.t_gen_eq25(lam, eta=eta, eps=eps), _time(1)),
    "lambda1_law": (
        "lam -> 1 law after Eq. 12, grokking time",
        lambda lam, eps, eta: ap.delta_t_lambda1_law(lam, eta=eta),
        _time(2),
    ),
    "eq22": ("Eq. 22, L_tr at t_tr*", _approx_loss_at(0, ap.train_loss_eq22), _loss_at(0, train_loss)),
    "eq11_gen": ("Eq. 11, L_gen at t_gen*", _approx_loss_at(1, ap.gen_loss_eq11), _loss_at(1, gen_loss)),
    "eq23": ("Eq. 23, L_gen at t_gen*", _approx_loss_at(1, ap.gen_loss_eq23), _loss_at(1, gen_loss)),
}


@dataclass(frozen=True)
class ValidityMap:
    """Relative error ``|approx/exact - 1|`` of one approximation on a ``(lam, eps)`` grid (rows: lam, columns: eps)."""

    name: str
    description: str
    lams: np.ndarray
    epss: np.ndarray
    rel_error: np.ndarray  #: NaN where undefined
    eta: float

    def within(self, tol: float) -> np.ndarray:
        """Boolean mask of the grid points where the relative error is at most ``tol`` (False where undefined)."""
        return _within(self.rel_error, tol)

    def region(self, tol: float) -> list[tuple[float, float]]:
        """The ``(lam, eps)`` points where the approximation is within ``tol``."""
        return _points(self.lams, self.epss, self.within(tol))

    def undefined(self) -> list[tuple[float, float]]:
        """The ``(lam, eps)`` points where the printed formula or the exact quantity is undefined."""
        return _points(self.lams, self.epss, np.isnan(self.rel_error))


def _grid(lams, other, other_name: str, domain: str):
    """Validated float arrays: ``lams`` in (0, 1) (the approximations' domain) and ``other`` (eps or gamma) > 0."""
    lams = np.asarray(lams, dtype=float)
    other = np.asarray(other, dtype=float)
    if lams.ndim != 1 or other.ndim != 1 or lams.size == 0 or other.size == 0:
        raise ValueError(f"lams and {other_name} must be non-empty 1-d sequences")
    if np.any(~np.isfinite(lams)) or np.any((lams <= 0) | (lams >= 1)):
        raise ValueError(f"lams must lie in (0, 1) ({domain}'s domain), got {lams.tolist()}")
    if np.any(~np.isfinite(other)) or np.any(other <= 0):
        raise ValueError(f"{other_name} must be > 0, got {other.tolist()}")
    return lams, other


def _within(rel_error, tol: float) -> np.ndarray:
    return np.nan_to_num(rel_error, nan=np.inf) <= tol


def _points(rows, cols, mask) -> list[tuple[float, float]]:
    """The ``(rows[i], cols[j])`` pairs where ``mask[i, j]``."""
    return [(float(rows[i]), float(cols[j])) for i, j in zip(*np.nonzero(mask), strict=True)]


def validity_map(
    name: str, lams: Sequence[float], epss: Sequence[float], *, eta: float = 0.01, progress: bool = False
) -> ValidityMap:
    """Relative error of the approximation ``name`` (a key of :data:`APPROXIMATIONS`) on the grid ``lams x epss``.

    The paper's approximations (Appendix B) assume ``0 < lam < 1``; other values raise ``ValueError``.  With
    ``progress=True`` a tqdm bar tracks the exact crossing-time computations (about a second each at 20 digits).
    """
    if name not in APPROXIMATIONS:
        raise ValueError(f"name must be one of {sorted(APPROXIMATIONS)}, got {name!r}")
    lams, epss = _grid(lams, epss, "epss", "Appendix B")
    desc, approx, exact = APPROXIMATIONS[name]
    err = np.full((lams.size, epss.size), np.nan)
    from tqdm import tqdm

    cells = [(i, j) for i in range(lams.size) for j in range(epss.size)]
    for i, j in tqdm(cells, desc=f"validity {name}", disable=not progress, leave=False):
        lam, eps = float(lams[i]), float(epss[j])
        with mp.workdps(20):
            ex = exact(lam, eps, eta)
            ax = approx(lam, eps, eta)
            if ex is None or ax is None:
                continue
            ax = mpmath.mpf(ax)
            if mpmath.isnan(ax):
                continue
            err[i, j] = float(abs(ax / mpmath.mpf(ex) - 1))
    return ValidityMap(name, desc, lams, epss, err, float(eta))


#: Eq. (16) formulas: name -> (description, index into (train plateau, gen plateau, Delta t))
WD_APPROXIMATIONS: dict[str, tuple[str, int]] = {
    "eq16_train": ("Eq. 16, train-loss plateau gamma^2/(4(1-lam))", 0),
    "eq16_gen": ("Eq. 16, gen-loss plateau gamma^2/(4(1-lam)^3)", 1),
    "eq16_time": ("Eq. 16, grokking time with weight decay", 2),
}


@dataclass(frozen=True)
class WeightDecayMap:
    """Relative error of one Eq. (16) formula on a ``(lam, gamma)`` grid (rows: lam, columns: gamma) at fixed eps."""

    name: str
    description: str
    lams: np.ndarray
    gammas: np.ndarray
    rel_error: np.ndarray  #: NaN where the exact quantity does not exist (no grokking)
    eps: float
    eta: float

    def within(self, tol: float) -> np.ndarray:
        """Boolean mask of the grid points where the relative error is at most ``tol`` (False where undefined)."""
        return _within(self.rel_error, tol)

    def region(self, tol: float) -> list[tuple[float, float]]:
        """The ``(lam, gamma)`` points where the formula is within ``tol``."""
        return _points(self.lams, self.gammas, self.within(tol))


def validity_map_wd(
    name: str, lams: Sequence[float], gammas: Sequence[float], *, eps: float = 1e-3, eta: float = 0.01
) -> WeightDecayMap:
    """Relative error of the Eq. (16) formula ``name`` (a key of :data:`WD_APPROXIMATIONS`) on ``lams x gammas``.

    Exact values: the ``t -> inf`` plateaus and the grokking time ``Delta t`` (level Erf(sqrt 2)) of the weight-decay
    losses (Eq. 15), float64 (:func:`numerics.fast.grokking_time_grid`).  ``0 < lam < 1``, ``gamma > 0``.
    """
    from . import fast

    if name not in WD_APPROXIMATIONS:
        raise ValueError(f"name must be one of {sorted(WD_APPROXIMATIONS)}, got {name!r}")
    lams, gammas = _grid(lams, gammas, "gammas", "Eq. 16")
    desc, idx = WD_APPROXIMATIONS[name]
    lam, gam = np.meshgrid(lams, gammas, indexing="ij")
    if idx < 2:
        exact = np.exp(fast._log_limits(lam, np.ones_like(lam), gam)[idx])
        approx = np.vectorize(lambda a, g: float(ap.plateaus_eq16(a, g)[idx]))(lam, gam)
    else:
        exact = fast.grokking_time_grid(lam, eta=eta, eps=eps, gamma=gam)[2]
        approx = np.vectorize(lambda a: float(ap.delta_t_eq16(a, eta=eta)))(lam)
    err = np.abs(approx / exact - 1)
    return WeightDecayMap(name, desc, lams, gammas, err, float(eps), float(eta))
