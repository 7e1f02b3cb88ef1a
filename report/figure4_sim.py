"""Simulated Fig. 4: grokking-time phase diagrams measured on GD runs by :func:`sim.sweep`, for drawing beside the
theory panels of :func:`report.figures.draw_fig4`.

Two panels, each the seed-average of the measured ``Delta t = t_gen* - t_tr*`` (``A(t*) = 0.95``, ``eta_0 = 0.01``,
``eps = 1e-3``, Section 3.1.3) on a coarse grid: ``(gamma, lam)`` at ``d_out = 1`` and ``(d_out, lam)`` at
``gamma = 0`` — the centre and right panels of the paper's Fig. 4.  The sweep table (with the MP-limit prediction
of every point beside the measurement) is returned too, so the agreement can be quoted.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

import sim

from .figures_data import EPS, ETA, LEVEL, PhaseData

__all__ = ["SIM_GRIDS", "SimGrid", "agreement", "fig4_simulated"]


@dataclass(frozen=True)
class SimGrid:
    """Sizes of a simulated Fig. 4: input dimension, steps per run, seeds and the axes of the two panels."""

    d_in: int
    steps: int
    seeds: tuple[int, ...]
    lams: tuple[float, ...]
    gammas: tuple[float, ...]
    d_outs: tuple[int, ...]


SIM_GRIDS = {
    "quick": SimGrid(100, 60_000, (0,), (0.3, 0.6, 0.9), (1e-5, 1e-3, 1e-2), (1, 4, 16)),
    "full": SimGrid(
        1000,
        400_000,
        (0, 1),
        (0.1, 0.3, 0.5, 0.7, 0.85, 0.95),
        (1e-6, 1e-5, 1e-4, 1e-3, 3e-3, 1e-2),
        (1, 3, 10, 30, 100),
    ),
}


def _panel(res, xname, xs, lams, xlabel, xlog, fixed) -> PhaseData:
    dt = np.full((len(lams), len(xs)), np.nan)
    for i, lam in enumerate(lams):
        for j, x in enumerate(xs):
            vals = [
                r["delta"]
                for r in res.rows
                if r["status"] == "ok" and np.isclose(r["lam"], lam) and np.isclose(r[xname], x)
            ]
            # a point grokks only if every seed reached the level in both accuracies
            if vals and all(v is not None for v in vals):
                dt[i, j] = float(np.mean(vals))
    return PhaseData(
        f"({xlabel}, λ)", np.asarray(xs, float), np.asarray(lams, float), dt, xlabel, "λ", xlog, False, fixed
    )


def fig4_simulated(*, quick: bool = False, progress: bool = True, executor=None, out=None):
    """Run the sweeps of the simulated Fig. 4 and return ``(panels, results)``.

    ``panels``: two :class:`~report.figures_data.PhaseData` (``(gamma, lam)`` at ``d_out = 1``, ``(d_out, lam)`` at
    ``gamma = 0``); ``results``: the two :class:`sim.SweepResult` tables.  ``quick``: ``d_in = 100``, 3 x 3 grids,
    one seed (seconds); otherwise ``d_in = 1000``, 6 x 6 and 6 x 5 grids, two seeds (minutes on the default process
    pool).  ``executor`` and ``out`` (a path prefix: ``<out>-gamma.jsonl``, ``<out>-dout.jsonl``, resumable) are
    passed to :func:`sim.sweep`.
    """
    g = SIM_GRIDS["quick" if quick else "full"]
    common = {"d_in": g.d_in, "lam": list(g.lams), "steps": g.steps, "eta": ETA, "eps": EPS}
    kw = {"seeds": g.seeds, "level": LEVEL, "progress": progress, "executor": executor}
    res_g = sim.sweep(common | {"gamma": list(g.gammas)}, out=None if out is None else f"{out}-gamma.jsonl", **kw)
    res_d = sim.sweep(common | {"d_out": list(g.d_outs)}, out=None if out is None else f"{out}-dout.jsonl", **kw)
    panels = (
        _panel(res_g, "gamma", g.gammas, g.lams, "γ", True, {"d_out": 1, "d_in": g.d_in}),
        _panel(res_d, "d_out", g.d_outs, g.lams, "d_out", True, {"gamma": 0.0, "d_in": g.d_in}),
    )
    return panels, (res_g, res_d)


def agreement(results) -> dict:
    """Relative differences ``|sim/pred - 1|`` of ``Delta t`` over the ok runs of sweep tables where both exist:
    ``{"runs": used, "total": all rows, "median": ..., "p90": ...}``."""
    rel = [
        abs(r["delta"] / r["pred_delta"] - 1)
        for res in results
        for r in res.rows
        if r["status"] == "ok" and r["delta"] and r["pred_delta"]
    ]
    if not rel:
        raise ValueError("no run with both a simulated and a predicted Delta t")
    rel = np.asarray(rel)
    total = sum(len(res.rows) for res in results)
    return {"runs": int(rel.size), "total": total, "median": float(np.median(rel)), "p90": float(np.quantile(rel, 0.9))}
