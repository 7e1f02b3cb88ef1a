"""First-crossing times for many runs at once (vectorised over runs and over several observables).

``f(t)`` maps per-run times ``t`` (shape ``(n,)``, ``inf`` allowed) to an array ``(m, n)``: ``m`` observables (train,
generalisation) for ``n`` runs; an observable has *crossed* when its value is ``<= 0`` (e.g. ``log L - log L*``).  The
first crossing of each is found in two stages:

1. a geometric grid in ``t`` (``per_decade`` points per decade, common to all runs) locates the first grid point at
   which each observable has crossed, starting at ``t = 0`` and extending decade by decade until every observable
   whose ``t -> inf`` value is negative has crossed (those with a non-negative limit that never crossed get
   ``inf``).  A crossing that is undone within one grid cell is missed (possible only for non-monotone observables:
   weight decay; make the grid finer with ``per_decade``);
2. inside that cell, Illinois regula falsi in ``t`` (bisection for non-finite values, and from the 30th step on)
   until the bracket is below ``tol`` relative to ``t``.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

__all__ = ["first_crossings"]

#: relative bracket width below which a crossing counts as converged (relative precision of the returned times)
TOL = 1e-11


def first_crossings(
    f: Callable[[np.ndarray], np.ndarray],
    n: int,
    *,
    t_first: float,
    t_min_end: float = 0.0,
    per_decade: int = 4,
    t_max: float = 1e200,
    tol: float = TOL,
) -> np.ndarray:
    """First times ``t >= 0`` at which each row of ``f(t)`` is ``<= 0``; ``inf`` where it never is (module docstring).

    ``t_first``: first positive grid point (crossings in ``(0, t_first]`` are found by the refinement);
    ``t_min_end``: the grid runs at least this far (set it past the last time at which a non-monotone observable can
    still cross).  Returns an array ``(m, n)``.  Raises ``RuntimeError`` if an observable with a negative limit has
    not crossed by ``t_max``.
    """
    f0 = np.asarray(f(np.zeros(n)))
    m = f0.shape[0]
    f_inf = np.asarray(f(np.full(n, np.inf)))
    out = np.full((m, n), np.inf)
    out[f0 <= 0] = 0.0
    pending = f0 > 0
    lo, f_lo = np.zeros((m, n)), f0.copy()  # last grid time with f > 0, per observable and run
    hi, f_hi = np.full((m, n), np.nan), np.full((m, n), np.nan)
    factor = 10 ** (1 / per_decade)
    t = t_first
    while True:
        ft = np.asarray(f(np.full(n, t)))
        hit = pending & (ft <= 0)
        hi[hit], f_hi[hit] = t, ft[hit]
        pending &= ~hit
        lo, f_lo = np.where(pending, t, lo), np.where(pending, ft, f_lo)
        if t >= t_min_end and not np.any(pending & (f_inf < 0)):
            break
        if t > t_max:
            raise RuntimeError(f"{int(np.sum(pending & (f_inf < 0)))} crossings not found below t = {t_max:g}")
        t *= factor
    for j in range(m):
        sel = np.flatnonzero(~np.isnan(hi[j]))
        if sel.size:
            g = lambda tt, sel=sel, j=j: _row(f, tt, sel, n, j)  # noqa: E731
            out[j, sel] = _refine(g, lo[j, sel], hi[j, sel], f_lo[j, sel], f_hi[j, sel], tol)
    return out


def _row(f, t_sel, sel, n, j):
    """``f`` of observable ``j`` for the runs ``sel`` at times ``t_sel`` (the others evaluated at ``t = 0``, unused)."""
    t = np.zeros(n)
    t[sel] = t_sel
    return np.asarray(f(t))[j, sel]


def _refine(g, lo, hi, f_lo, f_hi, tol):
    """Illinois regula falsi in ``t`` on ``[lo, hi]`` with ``g(lo) > 0 >= g(hi)``, vectorised over runs.

    Stops when ``hi - lo <= tol * hi``; returns ``hi`` (where the observable has crossed).  Inside one grid cell
    (``hi / lo = 10^(1/per_decade)``) a late-time ``log L`` is close to linear in ``t``, so the secant converges fast.
    """
    lo, hi, f_lo, f_hi = (np.array(a, dtype=float) for a in (lo, hi, f_lo, f_hi))
    side = np.zeros(len(lo))
    for it in range(200):
        active = (hi - lo) > tol * hi
        if not np.any(active):
            break
        ok = np.isfinite(f_lo) & np.isfinite(f_hi) & (f_lo != f_hi) & (it < 30)  # then bisection (guaranteed)
        with np.errstate(invalid="ignore", divide="ignore"):
            x = np.where(ok, hi - f_hi * (hi - lo) / (f_hi - f_lo), 0.5 * (lo + hi))
        x = np.where(active & (x > lo) & (x < hi), x, np.where(active, 0.5 * (lo + hi), hi))
        fx = g(x)
        above = active & (fx > 0)
        below = active & ~(fx > 0)
        # Illinois: an end kept twice in a row has its function value halved, so the next secant overshoots it
        f_hi = np.where(above & (side == -1), 0.5 * f_hi, f_hi)
        f_lo = np.where(below & (side == +1), 0.5 * f_lo, f_lo)
        lo, f_lo = np.where(above, x, lo), np.where(above, fx, f_lo)
        hi, f_hi = np.where(below, x, hi), np.where(below, fx, f_hi)
        side = np.where(above, -1, np.where(below, +1, side))
        lo = np.where(below & (fx == 0), x, lo)  # an exact root closes the bracket
    else:  # pragma: no cover - bisection from iteration 30 on halves every bracket
        raise RuntimeError("crossing refinement did not converge")
    return hi
