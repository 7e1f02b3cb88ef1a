"""The finite-size figure (beyond the paper): how single runs scatter around the MP-limit grokking times.

Three panels, from :mod:`numerics.finite_size` (theory) and :func:`sim.train` (points), at the paper's ``eta = 0.01``,
``eps = 1e-3`` and level Erf(sqrt 2):

* (a) per-run ``t_gen*`` over the MP value against ``d_in`` for ``lam = 0.5, 0.9, 1``: the 10-90 % and 25-75 % bands
  and the median (``lam = 1``: hybrid spectra above ``d_in = 1000``; its ``t_gen*`` is set by the lowest modes);
* (b) ``Delta t`` along ``lam`` at the runs' ``d_in``: the MP curve, the 10-90 % band of runs and simulated runs;
* (c) ``lam = 1``: the distribution of ``t_gen*`` over runs at three sizes against the MP value.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from tqdm.auto import tqdm

from derivations.finite_size_sim import Case, simulate
from numerics.fast import grokking_time_grid
from numerics.finite_size import grokking_time_distribution

from .figures_data import ETA, DeltaBand, Sizes, band_lams, delta_band

__all__ = ["FiniteSizeData", "draw_finite_size", "finite_size_data"]

FAN_QS = (0.1, 0.25, 0.5, 0.75, 0.9)
#: per drawing mode: sizes of panel (a), runs per size, the d_in of panel (b) and its simulated seeds per lam, panel (c)
PLAN = {
    "full": {
        "fan": (100, 200, 500, 1000, 2000, 5000, 10000),
        "draws": 300,
        "d_in": 1000,
        "seeds": 5,
        "lam1": (200, 1000, 5000),
    },  # fmt: skip
    "quick": {"fan": (50, 100, 200), "draws": 50, "d_in": 100, "seeds": 2, "lam1": (50, 100, 200)},
}


@dataclass(frozen=True)
class FiniteSizeData:
    """``fan[lam] = (d_ins, q)``: ``q`` (5, n) quantiles ``FAN_QS`` of ``t_gen* / MP``; ``band``: panel (b);
    ``sim_lams``, ``sim_delta``: simulated runs of panel (b); ``lam1[d_in]``: per-run ``t_gen*`` at ``lam = 1``;
    ``mp_lam1``: the MP-limit ``t_gen*`` at ``lam = 1``; ``draws``: runs per size."""

    fan: dict
    band: DeltaBand
    sim_lams: np.ndarray
    sim_delta: np.ndarray
    lam1: dict
    mp_lam1: float
    draws: int


def _mp_t_gen(lam: float) -> float:
    return float(grokking_time_grid(np.array([lam]), eta=ETA)[1][0])


def finite_size_data(sizes: Sizes, progress: bool = False) -> FiniteSizeData:
    plan = PLAN["quick" if sizes.name == "quick" else "full"]
    draws = plan["draws"]
    fan, lam1 = {}, {}
    jobs = [(lam, d) for lam in (0.5, 0.9, 1.0) for d in plan["fan"]]
    runs = {}
    for lam, d_in in tqdm(jobs, desc="finite-size fan", disable=not progress, leave=False):
        method = "hybrid" if (lam == 1.0 and d_in > 1000) else "auto"
        runs[lam, d_in] = grokking_time_distribution(lam, d_in=d_in, draws=draws, seed=41, spectrum=method).t_gen
    for lam in (0.5, 0.9, 1.0):
        mp = _mp_t_gen(lam)
        d_ins = np.array(plan["fan"], dtype=float)
        fan[lam] = (d_ins, np.array([np.quantile(runs[lam, d] / mp, FAN_QS) for d in plan["fan"]]).T)
    for d_in in plan["lam1"]:
        lam1[d_in] = runs.get((1.0, d_in))
        if lam1[d_in] is None:
            method = "hybrid" if d_in > 1000 else "auto"
            lam1[d_in] = grokking_time_distribution(1.0, d_in=d_in, draws=draws, seed=41, spectrum=method).t_gen
    band = delta_band(band_lams(sizes), d_in=plan["d_in"], draws=draws, level=None, progress=progress)
    sim_lams, sim_delta = [], []
    for lam, mp_delta in zip(band.lams, band.mp, strict=True):
        steps = int(max(1000, 4 * (mp_delta + 3000)))
        sim = simulate(Case(float(lam), plan["d_in"], plan["seeds"]), steps)
        sim_lams += [lam] * plan["seeds"]
        sim_delta += list(sim["delta"])
    return FiniteSizeData(fan, band, np.array(sim_lams), np.array(sim_delta), lam1, _mp_t_gen(1.0), draws)


def draw_finite_size(data: FiniteSizeData, sizes: Sizes):
    """The three panels of the module docstring (a matplotlib Figure on the Agg canvas)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(16.5, 4.6), layout="constrained")
    FigureCanvasAgg(fig)
    ax = fig.subplots(1, 3)
    colors = {0.5: "tab:green", 0.9: "tab:blue", 1.0: "tab:red"}
    a = ax[0]
    for lam, (d_ins, q) in data.fan.items():
        c = colors[lam]
        a.fill_between(d_ins, q[0], q[4], color=c, alpha=0.15, lw=0)
        a.fill_between(d_ins, q[1], q[3], color=c, alpha=0.3, lw=0)
        a.plot(d_ins, q[2], "o-", color=c, lw=1.5, ms=4, label=f"λ = {lam:g}: median, 25–75 %, 10–90 %")
    a.axhline(1.0, color="k", lw=1.0, label="MP limit (d_in → ∞)")
    a.axvline(1000, color="0.5", lw=0.8, ls=":", label="the paper's d_in = 1000")
    a.set_xscale("log")
    a.set_yscale("log")
    a.set_xlabel("d_in  (N_tr = d_in / λ)")
    a.set_ylabel("t_gen* of a run / MP value")
    a.set_title(f"(a) per-run t_gen* around the MP limit ({data.draws} runs per point)", fontsize=10)
    a.legend(fontsize=7.5, loc="lower right")
    b = ax[1]
    band = data.band
    b.plot(band.lams, band.mp, color="k", lw=1.3, label="MP limit")
    b.fill_between(band.lams, band.q[0], np.where(np.isfinite(band.q[2]), band.q[2], np.nan), color="tab:blue",
                   alpha=0.3, lw=0, label=f"10–90 % of {band.draws} runs (theory)")  # fmt: skip
    b.plot(band.lams, band.q[1], color="tab:blue", ls=":", lw=1.2, label="median run (theory)")
    ok = np.isfinite(data.sim_delta)
    b.plot(data.sim_lams[ok], data.sim_delta[ok], "o", mfc="tab:orange", mec="k", ms=5, alpha=0.85, zorder=5,
           label="simulated runs (sim.train)")  # fmt: skip
    b.set_yscale("log")
    b.set_xlabel("λ")
    b.set_ylabel("Δt = t_gen* − t_tr*  (GD steps)")
    b.set_title(f"(b) Δt along λ at d_in = {band.d_in}: theory band and simulated runs", fontsize=10)
    b.legend(fontsize=7.5, loc="upper left")
    c = ax[2]
    allv = np.concatenate([v[np.isfinite(v)] for v in data.lam1.values()])
    bins = np.geomspace(allv.min() / 1.5, allv.max() * 1.5, 40)
    shades = ("tab:orange", "tab:red", "darkred")
    for (d_in, v), col in zip(sorted(data.lam1.items()), shades, strict=False):
        c.hist(v[np.isfinite(v)], bins=bins, histtype="step", lw=1.6, color=col,
               label=f"d_in = {d_in}: median {np.median(v) / data.mp_lam1:.2g} × MP")  # fmt: skip
    c.axvline(data.mp_lam1, color="k", lw=1.3, label=f"MP limit {data.mp_lam1:.3g}")
    c.set_xscale("log")
    c.set_xlabel("t_gen* of a run at λ = 1 (GD steps)")
    c.set_ylabel("runs")
    c.set_title("(c) λ = 1: heavy tail, median far below the MP value", fontsize=10)
    c.legend(fontsize=7.5, loc="upper left")
    fig.suptitle(
        f"Finite size: single runs around the MP-limit predictions (η0 = {ETA}, ε = 1e-3, level Erf(√2);"
        f" numerics.finite_size, {sizes.name})",
        fontsize=11,
    )
    return fig
