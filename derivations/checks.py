"""Reusable checking procedures: symbolic zero tests, two-precision numeric agreement, asymptotic error series.

The numeric procedures follow the three-valued discipline of the audit: agreement *supports* a claim (reported
as "confirmed to N digits at K points"), disagreement at points where both sides are numerically stable
*refutes* it, anything else is unknown.  A comparison that evaluated zero valid points raises
:class:`NoValidPoints` instead of passing.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

import mpmath
import sympy as sp
from mpmath import mp

from numerics.quadrature import quad_relative  # re-exported for the claims

#: Working precisions of a numeric comparison: values at the first are confirmed by a recomputation at the second.
DPS = (30, 50)


__all__ = ["DPS", "Agreement", "NoValidPoints", "compare", "is_zero", "quad_relative", "sample_points"]


class NoValidPoints(RuntimeError):
    """A numeric check evaluated no valid point: an error, never a pass."""


def is_zero(expr) -> bool:
    """True if SymPy reduces ``expr`` to exactly 0 (simplify, then hyperexpand/expand/trigsimp fallbacks)."""
    for f in (
        sp.simplify,
        lambda e: sp.simplify(sp.hyperexpand(e)),
        lambda e: sp.expand(sp.expand_func(e)),
        sp.trigsimp,
    ):
        try:
            if f(expr) == 0:
                return True
        except (NotImplementedError, TypeError, ValueError):  # pragma: no cover - depends on SymPy internals
            continue
    return False


def sample_points(domain: Mapping[str, tuple[float, float, str]], k: int, *, seed: int = 2023) -> list[dict]:
    """``k`` reproducible points: ``domain`` maps a name to ``(low, high, "lin"|"log")``."""
    rng = random.Random(seed)
    pts = []
    for _ in range(k):
        p = {}
        for name, (lo, hi, kind) in domain.items():
            u = rng.random()
            p[name] = lo + (hi - lo) * u if kind == "lin" else lo * (hi / lo) ** u
        pts.append(p)
    return pts


@dataclass(frozen=True)
class Agreement:
    """Outcome of :func:`compare`: agreement digits at the worst valid point, and the counts."""

    digits: float  #: min over valid points of -log10(relative difference), capped at the working precision
    valid: int
    total: int
    worst: dict  #: the point where the two sides differ most
    worst_values: tuple  #: (lhs, rhs) there, as strings
    dps: tuple[int, int]

    def summary(self) -> str:
        return (
            f"agree to {self.digits:.1f} digits at {self.valid} of {self.total} points "
            f"(computed at {self.dps[0]} and {self.dps[1]} digits)"
        )


def _rel(a, b):
    scale = max(abs(a), abs(b))
    return mpmath.mpf(0) if scale == 0 else abs(a - b) / scale


def _digits(rel, cap):
    return float(cap) if rel == 0 else min(float(cap), float(-mpmath.log10(rel)))


def compare(
    lhs: Callable[..., object],
    rhs: Callable[..., object],
    points: Iterable[Mapping],
    *,
    dps: tuple[int, int] = DPS,
) -> Agreement:
    """Compare two numeric expressions of keyword parameters at ``points``, at two precisions.

    Each side is evaluated at ``dps[0]`` and ``dps[1]`` digits; a point is *valid* when both sides are finite
    and each agrees with itself across the two precisions to at least ``dps[0] - 10`` digits (so its value is
    known).  The agreement at a valid point is measured with the higher-precision values.
    """
    lo, hi = dps
    best = None
    valid = total = 0
    for p in points:
        total += 1
        vals = []
        for d in (lo, hi):
            with mp.workdps(d):
                vals.append((mpmath.mpf(lhs(**p)), mpmath.mpf(rhs(**p))))
        (l1, r1), (l2, r2) = vals
        if not all(mpmath.isfinite(v) for v in (l1, r1, l2, r2)):
            continue
        with mp.workdps(hi):
            if _digits(_rel(l1, l2), hi) < lo - 10 or _digits(_rel(r1, r2), hi) < lo - 10:
                continue
            valid += 1
            dig = _digits(_rel(l2, r2), hi)
        if best is None or dig < best[0]:
            best = (dig, dict(p), (mpmath.nstr(l2, 15), mpmath.nstr(r2, 15)))
    if valid == 0:
        raise NoValidPoints(f"no valid point among {total}")
    return Agreement(best[0], valid, total, best[1], best[2], dps)


def fmt_point(p: Mapping) -> str:
    return ", ".join(f"{k}={mpmath.nstr(mpmath.mpf(v), 6)}" for k, v in p.items())


def relative_error(approx, exact):
    """``|approx / exact - 1|`` as a float (NaN if ``approx`` is NaN, i.e. the approximation is undefined there)."""
    approx = mpmath.mpf(approx)
    if mpmath.isnan(approx):
        return float("nan")
    return float(abs(approx / mpmath.mpf(exact) - 1))


def error_series(approx: Callable, exact: Callable, values: Iterable) -> list[tuple[float, float]]:
    """Relative errors of ``approx(v)`` against ``exact(v)`` along ``values`` (evaluated at ``DPS[0]`` digits)."""
    out = []
    with mp.workdps(DPS[0]):
        for v in values:
            out.append((float(v), relative_error(approx(v), exact(v))))
    return out


def decays_to_zero(series: list[tuple[float, float]], *, factor: float = 0.8) -> bool:
    """True if the errors decrease strictly along ``series`` and the last is below ``factor`` times the first."""
    errs = [e for _, e in series]
    return all(b < a for a, b in zip(errs, errs[1:], strict=False)) and errs[-1] < factor * errs[0]


def fit_power(series: list[tuple[float, float]]) -> float:
    """Least-squares slope of log(error) against log(value): the measured order of convergence."""
    import math

    xs = [math.log(v) for v, _ in series]
    ys = [math.log(e) for _, e in series]
    n = len(xs)
    mx, my = sum(xs) / n, sum(ys) / n
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / sum((x - mx) ** 2 for x in xs)
