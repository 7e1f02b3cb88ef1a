"""The structured-input figure (beyond the paper, issue 13): Delta t against lam for power-law input spectra.

Inputs ``x ~ N(0, Sigma)`` with ``Sigma``'s eigenvalues ``sigma_k ~ k^-alpha`` (mean 1,
:func:`numerics.spectra.power_law` with ``n = d_in``), ``alpha = 0`` being the paper's isotropic case.  Two panels:

* (a) ``Delta t = t_gen* - t_tr*`` (GD steps) against ``lam = d_in / N_tr`` for each ``alpha``: the
  proportional-limit theory (:mod:`numerics.structured`, gradient flow; Eq. 10's accuracy of the loss, so the
  crossings of ``L = eps / 4``) as curves, and the mean over seeds of the simulated runs' ``Delta t``
  (:func:`sim.train` with ``input_cov=``) with its standard error as points;
* (b) the simulated mean over the theory, minus 1, with the same error bars.

A run's ``t*`` is the first recorded step (log-spaced records, interpolated in ``log t``;
:func:`sim.sweep_run.first_crossing`) at which the Gaussian-form accuracy (``gen_acc_exact``, from ``D^T Sigma D``;
``train_acc_gauss``, from ``D^T Sigma_tr D``) reaches Erf(sqrt 2), i.e. its loss reaches ``eps / 4``.  The mean of
per-run ``Delta t`` is not the ``Delta t`` of the mean loss: the gap between them is a finite-size effect (it
vanishes as ``d_in -> infinity``), and so is the gap of panel (b).  Every ``alpha`` uses the same seeds, hence the
same standard normal draws (``x = g * sqrt(sigma)``): the points of one ``lam`` move together in panel (b).

The step ``eta = 1e-3`` (not the paper's 0.01, at which GD diverges for ``alpha = 1``: ``sigma_max = d_in / H_{d_in}``
is ~134 at ``d_in = 1000``) keeps ``eta nu_max <= 0.15``; GD then differs from the flow theory by about
``1 / (4 t)`` (relative) at step ``t``, far below the seed error at ``t* >= 10^3``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from tqdm.auto import tqdm

import numerics
from numerics import spectra, structured
from sim import train
from sim.schedule import log_steps
from sim.sweep_run import first_crossing

__all__ = ["Plan", "StructuredDeltaData", "crossing_times", "draw_structured_delta", "structured_delta_data"]

LEVEL = math.erf(math.sqrt(2.0))  #: the paper's accuracy level (Section 3.1.3)


@dataclass(frozen=True)
class Plan:
    """Sizes of one drawing of the figure.

    ``d_in``: input dimension (and length of the power-law spectrum); ``alphas``: exponents; ``curve_lams``: lam of
    the theory curves; ``sim_lams``, ``seeds``: simulated points and runs per point; ``records``: log-spaced
    records per run; ``eta``, ``eps``: step size and accuracy threshold.
    """

    d_in: int
    alphas: tuple[float, ...]
    curve_lams: tuple[float, ...]
    sim_lams: tuple[float, ...]
    seeds: int
    records: int = 300
    eta: float = 1e-3
    eps: float = 1e-3

    def __post_init__(self):
        if not (isinstance(self.d_in, int) and self.d_in >= 2):
            raise ValueError(f"d_in must be an integer >= 2, got {self.d_in!r}")
        if not (isinstance(self.seeds, int) and self.seeds >= 2):
            raise ValueError(f"seeds must be an integer >= 2 (a standard error needs two runs), got {self.seeds!r}")
        if not (isinstance(self.records, int) and self.records >= 10):
            raise ValueError(f"records must be an integer >= 10, got {self.records!r}")
        for name in ("curve_lams", "sim_lams"):
            lams = getattr(self, name)
            if len(lams) == 0 or not all(0 < x < 1 for x in lams):
                raise ValueError(f"{name} must be a non-empty tuple of values in (0, 1), got {lams!r}")
        if len(self.alphas) == 0 or not all(np.isfinite(a) and a >= 0 for a in self.alphas):
            raise ValueError(f"alphas must be a non-empty tuple of finite values >= 0, got {self.alphas!r}")
        for name in ("eta", "eps"):
            if not getattr(self, name) > 0:
                raise ValueError(f"{name} must be > 0, got {getattr(self, name)!r}")


PLANS = {
    "full": Plan(
        d_in=1000, alphas=(0.0, 0.5, 1.0), curve_lams=tuple(np.round(np.linspace(0.1, 0.95, 18), 4)),
        sim_lams=(0.2, 0.4, 0.6, 0.8, 0.9), seeds=10,
    ),
    "quick": Plan(
        d_in=100, alphas=(0.0, 0.5, 1.0), curve_lams=(0.2, 0.5, 0.9), sim_lams=(0.5, 0.9), seeds=4, records=120
    ),
}  # fmt: skip


@dataclass(frozen=True)
class StructuredDeltaData:
    """``curves[alpha] = (lams, t_train, t_gen)`` (theory, float64); ``runs[alpha][lam]``: per-run ``(t_train,
    t_gen)`` rows (NaN: not reached within the run); ``points[alpha] = (lams, mean, se, theory, n)``: mean and
    standard error of the per-run ``Delta t`` over the ``n`` runs that reached both levels, with the theory's
    ``Delta t`` at those ``lams``."""

    plan: Plan
    curves: dict
    runs: dict
    points: dict = field(default_factory=dict)


def crossing_times(lam: float, spectrum, *, eta: float = 1e-3, eps: float = 1e-3) -> tuple[float, float]:
    """``(t_tr*, t_gen*)`` in GD steps, float64: the times at which the proportional-limit flow losses of
    :mod:`numerics.structured` reach ``eps / 4`` (accuracy Erf(sqrt 2), Eq. 10;
    :func:`numerics.structured.crossing_time_float`, about 10 digits).  ``lam`` in ``(0, 1)`` (above, ``L_gen`` may
    stop above the level)."""
    lam = float(lam)
    if not 0 < lam < 1:
        raise ValueError(f"lam must be in (0, 1), got {lam!r}")
    target = float(numerics.loss_at_accuracy(None, eps))
    sp = spectra.validate_spectrum(spectrum)
    t_tr, t_gen = (structured.crossing_time_float(target, lam, sp, eta=eta, train=tr) for tr in (True, False))
    return float(t_tr), float(t_gen)


def _run_times(d_in, lam, sp, seed, steps, plan: Plan):
    r = train(
        d_in=d_in, n_train=round(d_in / lam), eta=plan.eta, eps=plan.eps, steps=steps, seed=seed, input_cov=sp,
        n_gen=1, record=log_steps(steps, plan.records), exact_accuracy=True,
    )  # fmt: skip
    t_tr = first_crossing(r.t, r.train_acc_gauss, LEVEL)
    t_gen = first_crossing(r.t, r.gen_acc_exact, LEVEL)
    return np.nan if t_tr is None else t_tr, np.nan if t_gen is None else t_gen


def structured_delta_data(sizes=None, progress: bool = False, *, plan: Plan | None = None) -> StructuredDeltaData:
    """Theory curves and simulated runs of the figure.  ``plan`` (a :class:`Plan`) overrides the drawing mode's
    (``PLANS[sizes.name]``: ``"quick"`` or ``"full"``; ``sizes`` a :class:`report.figures_data.Sizes`)."""
    if plan is None:
        plan = PLANS["quick" if getattr(sizes, "name", "full") == "quick" else "full"]
    if not isinstance(plan, Plan):
        raise ValueError(f"plan must be a report.structured_figure.Plan, got {type(plan).__name__}")
    curves, runs, points = {}, {}, {}
    jobs = [(a, lam) for a in plan.alphas for lam in sorted(set(plan.curve_lams) | set(plan.sim_lams))]
    theory = {}
    for a, lam in tqdm(jobs, desc="structured theory", disable=not progress, leave=False):
        theory[a, lam] = crossing_times(lam, spectra.power_law(a, plan.d_in), eta=plan.eta, eps=plan.eps)
    for a in plan.alphas:
        lams = np.array(sorted(plan.curve_lams), dtype=float)
        tt = np.array([theory[a, lam] for lam in lams])
        curves[a] = (lams, tt[:, 0], tt[:, 1])
    sim_jobs = [(a, lam, s) for a in plan.alphas for lam in plan.sim_lams for s in range(plan.seeds)]
    raw = {}
    for a, lam, s in tqdm(sim_jobs, desc="structured runs", disable=not progress, leave=False):
        steps = int(math.ceil(4 * theory[a, lam][1])) + 10  # well past the theory's t_gen*
        raw[a, lam, s] = _run_times(plan.d_in, lam, spectra.power_law(a, plan.d_in), s, steps, plan)
    for a in plan.alphas:
        runs[a] = {lam: np.array([raw[a, lam, s] for s in range(plan.seeds)]) for lam in plan.sim_lams}
        lams, mean, se, th, n = [], [], [], [], []
        for lam in sorted(plan.sim_lams):
            r = runs[a][lam]
            delta = r[:, 1] - r[:, 0]
            delta = delta[np.isfinite(delta)]
            lams.append(lam)
            n.append(delta.size)
            mean.append(delta.mean() if delta.size else np.nan)
            se.append(delta.std(ddof=1) / np.sqrt(delta.size) if delta.size > 1 else np.nan)
            th.append(theory[a, lam][1] - theory[a, lam][0])
        points[a] = tuple(np.array(x, dtype=float) for x in (lams, mean, se, th, n))
    return StructuredDeltaData(plan, curves, runs, points)


def draw_structured_delta(data: StructuredDeltaData, sizes=None):
    """The two panels of the module docstring (a matplotlib Figure on the Agg canvas)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D

    plan = data.plan
    fig = Figure(figsize=(13.0, 5.0), layout="constrained")
    FigureCanvasAgg(fig)
    ax_a, ax_b = fig.subplots(1, 2, gridspec_kw={"width_ratios": (1.5, 1.0)})
    colors = ("k", "tab:blue", "tab:red", "tab:green", "tab:purple", "tab:orange")
    offsets = np.linspace(-0.008, 0.008, len(plan.alphas)) if len(plan.alphas) > 1 else [0.0]
    handles = []
    for k, a in enumerate(plan.alphas):
        c = colors[k % len(colors)]
        lams, t_tr, t_gen = data.curves[a]
        ax_a.plot(lams, t_gen - t_tr, "-", color=c, lw=1.6)
        ax_a.plot(lams, t_tr, ":", color=c, lw=1.0, alpha=0.8)
        plam, mean, se, th, n = data.points[a]
        ok = np.isfinite(mean)
        err = {"fmt": "o", "color": c, "mfc": "white", "mew": 1.4, "ms": 5, "capsize": 3, "zorder": 5}
        ax_a.errorbar(plam[ok] + offsets[k], mean[ok], yerr=np.nan_to_num(se[ok]), **err)
        ax_b.errorbar(plam[ok] + offsets[k], mean[ok] / th[ok] - 1, yerr=np.nan_to_num(se[ok] / th[ok]), **err)
        name = "α = 0 (isotropic: the paper)" if a == 0 else f"α = {a:g}"
        handles.append(Line2D([], [], color=c, lw=1.6, marker="o", mfc="white", mew=1.4, label=name))
    handles += [
        Line2D([], [], color="0.3", lw=1.6, label="Δt, theory"),
        Line2D([], [], color="0.3", lw=1.0, ls=":", label="t_tr*, theory"),
        Line2D([], [], color="0.3", ls="none", marker="o", mfc="white", mew=1.4,
               label=f"Δt, simulation: mean ± SE of {plan.seeds} runs"),
    ]  # fmt: skip
    ax_a.set_yscale("log")
    ax_a.set_xlabel("λ = d_in / N_tr")
    ax_a.set_ylabel("GD steps")
    ax_a.set_title(f"(a) Δt = t_gen* − t_tr* against λ, σ_k ∝ k^−α, d_in = {plan.d_in}", fontsize=10)
    ax_a.legend(handles=handles, fontsize=8, loc="upper left")
    ax_b.axhline(0.0, color="0.4", lw=0.8)
    ax_b.set_xlabel("λ")
    ax_b.set_ylabel("mean simulated Δt / theory − 1")
    ax_b.set_title(f"(b) simulation against theory (± 1 SE, {plan.seeds} runs per point)", fontsize=10)
    ax_b.legend(handles=handles[: len(plan.alphas)], fontsize=8)
    mode = getattr(sizes, "name", "custom")
    fig.suptitle(
        f"Structured inputs x ~ N(0, Σ), beyond the paper (η = {plan.eta:g}, ε = {plan.eps:g}, level Erf(√2);"
        f" {mode}):\ntheory numerics.structured (proportional limit, gradient flow) against sim.train",
        fontsize=10.5,
    )
    return fig
