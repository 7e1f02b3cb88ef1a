"""The numbers behind :mod:`report.figures`: simulations and MP-limit predictions for Figs. 1-6 and the validity maps.

Nothing here imports matplotlib: every ``*_data`` function returns the arrays a panel plots, so tests can check the
plotted numbers (simulation against theory, the position of a computed maximum) without drawing.

Conventions (the paper's, Figs. 1-4 and Appendix A): ``eta = eta_0 = 0.01``, ``eps = 1e-3`` (Fig. 5: ``1e-4``),
markers at accuracy ``LEVEL = 0.95`` (Fig. 4's ``A(t*) = 0.95``; the text's Erf(sqrt 2) ~ 95.45 % differs by a
negligible shift of ``t*``).  Theory = the paper's gradient-flow MP-limit losses (Eqs. 8, 13, 15) through
:mod:`numerics.fast` (float64, tested against the 20-digit path to 1e-6) and the accuracy-loss law (Eq. 10,
corrected reading, and Eq. 13).  Simulation = :func:`sim.train` (exact discrete GD, spectral engine for one layer)
with fixed seeds (run ``i`` of a figure uses seed ``i + 1``; Fig. 5 seed 1), so every figure is reproducible (up to
floating-point summation order in multithreaded BLAS).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import mpmath
import numpy as np
from mpmath import mp
from scipy.special import erfinv, gammainc, gammaincinv
from tqdm.auto import tqdm

import sim
from derivations.experiments import eq40_predictions, two_layer_runs
from numerics import approximations as ap
from numerics.fast import grokking_time_grid, log_losses
from numerics.finite_size import LossBands, grokking_time_distribution, loss_bands, quantile
from numerics.validity import APPROXIMATIONS, ValidityMap, validity_map

__all__ = [
    "EPS",
    "ETA",
    "FULL",
    "LEVEL",
    "QUICK",
    "GammaCurves",
    "LambdaCurves",
    "OutputCurves",
    "PhaseData",
    "RunPanel",
    "Sizes",
    "TwoLayerPanel",
    "DeltaBand",
    "LateTimeData",
    "SweepFigure",
    "accuracy_of_loss",
    "band_lams",
    "delta_band",
    "first_crossing",
    "fig1_data",
    "fig2_data",
    "fig3_data",
    "fig4_data",
    "fig5_data",
    "fig6_data",
    "gamma_critical",
    "loss_at_level",
    "sizes_for",
    "dout_peak",
    "eq40_crossings",
    "run_panel",
    "theory_crossings",
    "theory_losses",
    "validity_data",
]

ETA = 0.01  #: eta_0 of Figs. 1-6
EPS = 1e-3  #: epsilon of Figs. 1-4
LEVEL = 0.95  #: accuracy level of the diamonds/stars (Figs. 1-3, 5) and of Fig. 4


@dataclass(frozen=True)
class Sizes:
    """Problem sizes and grid resolutions of one drawing mode (:data:`FULL`: the paper's; :data:`QUICK`: a smoke run).

    ``records``: recorded (log-spaced) steps per one-layer run; ``dense``: points of each theory curve;
    ``lam_points``, ``gamma_points``, ``dout_points``: points of the grokking-time curves (Figs. 1-3, right);
    ``phase_points``: grid points per axis of each Fig. 4 panel; ``fig5_*``: the two-layer runs; ``validity_*``: the
    ``(lam, eps)`` grid of the validity maps (one exact crossing-time computation, ~0.6 s, per grid point).
    """

    name: str
    d_in: int
    records: int
    dense: int
    lam_points: int
    gamma_points: int
    dout_points: int
    dout_range: int
    phase_points: int
    fig5_d_in: int
    fig5_d_hs: tuple[int, ...]
    fig5_steps: int
    fig5_records: int
    fig5_n_gen: int
    fig6_points: int
    validity_lams: tuple[float, ...]
    validity_epss: tuple[float, ...]
    band_draws: int = 200  #: runs per finite-size band (Figs. 1, 4; numerics.finite_size)
    band_points: int = 10  #: lam values of the Delta t band


FULL = Sizes(
    name="full",
    d_in=1000,
    records=200,
    dense=400,
    lam_points=240,
    gamma_points=160,
    dout_points=120,
    dout_range=1000,
    phase_points=48,
    fig5_d_in=1000,
    fig5_d_hs=(50, 200),
    fig5_steps=20000,
    fig5_records=60,
    fig5_n_gen=2000,
    fig6_points=160,
    validity_lams=tuple(np.round(np.linspace(0.05, 0.95, 10), 2).tolist()),
    validity_epss=tuple(10.0**k for k in range(-9, -1)),
)
QUICK = Sizes(
    name="quick",
    d_in=200,
    records=60,
    dense=120,
    lam_points=50,
    gamma_points=40,
    dout_points=30,
    dout_range=1000,
    phase_points=14,
    fig5_d_in=80,
    fig5_d_hs=(20, 40),
    fig5_steps=1500,
    fig5_records=15,
    fig5_n_gen=1000,
    fig6_points=40,
    validity_lams=(0.2, 0.8),
    validity_epss=(1e-4, 1e-2),
    band_draws=50,
    band_points=5,
)


# --------------------------------------------------------------------------------------------------- theory helpers
def theory_losses(t, lam, *, d_out=1, gamma=0.0, eta=ETA):
    """``(L_tr, L_gen)`` of the MP limit under gradient flow (Eqs. 8, 13, 15) at steps ``t`` (float64 arrays)."""
    log_tr, log_gen = log_losses(np.asarray(t, dtype=float), lam, eta=eta, d_out=d_out, gamma=gamma)
    return np.exp(log_tr), np.exp(log_gen)


def accuracy_of_loss(loss, eps, d_out=1):
    """Eq. (10) (corrected reading) and Eq. (13): ``P(d_out/2, d_out eps / (2 L))`` (``erf(sqrt(eps/2L))`` at 1).

    Vectorised float64 version of :func:`numerics.accuracy` (``A = 1`` where ``L = 0``).
    """
    loss = np.asarray(loss, dtype=float)
    with np.errstate(divide="ignore", over="ignore"):
        x = np.where(loss > 0, d_out * eps / (2 * np.where(loss > 0, loss, 1.0)), np.inf)
    return gammainc(d_out / 2, x)


def loss_at_level(eps, d_out=1, level=LEVEL) -> float:
    """The loss at which Eq. (10)/(13) gives accuracy ``level`` (float64 :func:`numerics.loss_at_accuracy`)."""
    return float(d_out * eps / (2 * gammaincinv(d_out / 2, level)))


def theory_crossings(lam, *, d_out=1, gamma=0.0, eps=EPS, level=LEVEL, eta=ETA):
    """``(t_tr*, t_gen*)`` where train / generalisation accuracy reaches ``level`` (Sec. 3.1.3); NaN if never."""
    t_tr, t_gen, _ = grokking_time_grid(lam, eta=eta, eps=eps, d_out=d_out, gamma=gamma, level=level)
    return float(t_tr), float(t_gen)


def first_crossing(t, acc, level=LEVEL) -> float:
    """First time a recorded accuracy reaches ``level`` (NaN if never), interpolated in ``log t``.

    Same definition as ``sim.sweep.first_crossing``: the first record ``k`` with ``acc[k] >= level`` is interpolated
    linearly against record ``k - 1`` in ``log t`` (in ``t`` if ``t[k-1] == 0``); ``t[0]`` if ``acc[0] >= level``.
    """
    t = np.asarray(t, dtype=float)
    acc = np.asarray(acc, dtype=float)
    hit = np.flatnonzero(acc >= level)
    if hit.size == 0:
        return math.nan
    k = int(hit[0])
    if k == 0:
        return float(t[0])
    t0, t1, a0, a1 = t[k - 1], t[k], acc[k - 1], acc[k]
    frac = min(1.0, (level - a0) / (a1 - a0))
    if t0 > 0:
        return float(math.exp(math.log(t0) + frac * (math.log(t1) - math.log(t0))))
    return float(t0 + frac * (t1 - t0))


# ------------------------------------------------------------------------------------------ Figs. 1-3: left, center
@dataclass(frozen=True)
class RunPanel:
    """One simulated setting against its theory (one colour of Figs. 1-3, left and center panels).

    ``t``: recorded steps (> 0); ``sim_*``: :func:`sim.train` records there; ``theory_train``/``theory_gen``: the
    MP-limit losses at the same ``t`` (for comparisons); ``t_dense`` and ``dense_*``: the theory curves as drawn;
    ``t_star``: theory ``(t_tr*, t_gen*)``; ``t_star_sim``: the simulated crossing times (NaN if not reached).
    """

    label: str
    lam: float
    d_out: int
    gamma: float
    eps: float
    d_in: int
    seed: int
    t: np.ndarray
    sim_train: np.ndarray
    sim_gen: np.ndarray
    sim_train_acc: np.ndarray
    sim_gen_acc: np.ndarray
    theory_train: np.ndarray
    theory_gen: np.ndarray
    t_dense: np.ndarray
    dense_train: np.ndarray
    dense_gen: np.ndarray
    dense_train_acc: np.ndarray
    dense_gen_acc: np.ndarray
    t_star: tuple[float, float]
    t_star_sim: tuple[float, float]
    band: LossBands | None = None  #: 10/50/90 % over runs at the same d_in (finite size), on ``t_dense``[::4]


def run_panel(label, *, lam, sizes: Sizes, steps: int, seed: int, d_out=1, gamma=0.0, eps=EPS, band=False) -> RunPanel:
    """Simulate one linear layer (``d_in = sizes.d_in``, ``n_train = round(d_in/lam)``) and evaluate its theory.

    The held-out set has ``max(500, 10 d_in / d_out)`` samples (the per-sample error of a ``d_out``-output student
    averages ``d_out`` components, so fewer samples give the same precision; this keeps ``d_out = 700`` affordable).
    ``band``: also the finite-size 10/50/90 % band of ``sizes.band_draws`` runs
    (:func:`numerics.finite_size.loss_bands`).
    """
    d_in = sizes.d_in
    n_gen = max(500, 10 * d_in // d_out)
    record = sim.log_steps(steps, sizes.records)
    r = sim.train(
        d_in=d_in,
        n_train=int(round(d_in / lam)),
        d_out=d_out,
        eta=ETA,
        gamma=gamma,
        steps=steps,
        record=record,
        eps=eps,
        seed=seed,
        n_gen=n_gen,
        engine="spectral",
    )
    keep = r.t > 0  # log time axis
    t = r.t[keep].astype(float)
    th_tr, th_gen = theory_losses(t, lam, d_out=d_out, gamma=gamma)
    t_dense = np.geomspace(1.0, steps, sizes.dense)
    d_tr, d_gen = theory_losses(t_dense, lam, d_out=d_out, gamma=gamma)
    return RunPanel(
        label=label,
        lam=lam,
        d_out=d_out,
        gamma=gamma,
        eps=eps,
        d_in=d_in,
        seed=seed,
        t=t,
        sim_train=r.train_loss[keep],
        sim_gen=r.gen_loss[keep],
        sim_train_acc=r.train_acc[keep],
        sim_gen_acc=r.gen_acc[keep],
        theory_train=th_tr,
        theory_gen=th_gen,
        t_dense=t_dense,
        dense_train=d_tr,
        dense_gen=d_gen,
        dense_train_acc=accuracy_of_loss(d_tr, eps, d_out),
        dense_gen_acc=accuracy_of_loss(d_gen, eps, d_out),
        t_star=theory_crossings(lam, d_out=d_out, gamma=gamma, eps=eps),
        t_star_sim=(first_crossing(r.t, r.train_acc), first_crossing(r.t, r.gen_acc)),
        band=None
        if not band
        else loss_bands(
            t_dense[::4], lam, d_in=d_in, eta=ETA, eps=eps, d_out=d_out, gamma=gamma, draws=sizes.band_draws, seed=seed
        ),
    )


# ------------------------------------------------------------------------------------------------- Figs. 1-3 right
@dataclass(frozen=True)
class LambdaCurves:
    """Fig. 1 right: exact ``Delta t(lam)`` per ``eps`` (rows; NaN: no grokking) and Eq. (12) (NaN for lam >= 1)."""

    lams: np.ndarray
    epss: tuple[float, ...]
    delta: np.ndarray
    eq12: np.ndarray


@dataclass(frozen=True)
class OutputCurves:
    """Fig. 2 right: exact ``Delta t(d_out)`` per ``lam`` (rows) and each curve's maximum over the integers.

    ``peak[i] = (d_out^max, Delta t_max)`` for ``lams[i]``, found on all integers around the coarse maximum
    (:func:`dout_peak`); ``d_outs`` is the plotted (log-spaced, integer) grid.
    """

    lams: tuple[float, ...]
    d_outs: np.ndarray
    delta: np.ndarray
    peak: tuple[tuple[int, float], ...]


@dataclass(frozen=True)
class GammaCurves:
    """Fig. 3 right: exact ``Delta t(gamma)`` per ``lam`` (rows) and ``gamma_c(lam)``, above which the
    generalisation accuracy never reaches ``LEVEL`` (the weight-decay plateau of Eq. 15 exceeds ``L*``)."""

    lams: tuple[float, ...]
    gammas: np.ndarray
    delta: np.ndarray
    gamma_c: np.ndarray


def _lam_grid(n):
    """``lam`` in [0.01, 1.1]: uniform below 0.9, geometrically denser towards 1 (where Delta t varies fastest)."""
    low = np.linspace(0.01, 0.9, n // 2, endpoint=False)
    near = 1 - np.geomspace(0.1, 1e-4, n // 3)
    above = np.linspace(1.0, 1.1, max(2, n - len(low) - len(near)))
    return np.unique(np.concatenate([low, near, above]))


def lambda_curves(sizes: Sizes, epss=(1e-2, 1e-3, 1e-4, 1e-5)) -> LambdaCurves:
    """Grokking time against ``lam`` for several ``eps`` (Fig. 1 right), exact and Eq. (12)."""
    lams = _lam_grid(sizes.lam_points)
    lam_g, eps_g = np.meshgrid(lams, np.asarray(epss, dtype=float))
    _, _, delta = grokking_time_grid(lam_g, eta=ETA, eps=eps_g, level=LEVEL)
    q = 1 - np.sqrt(lams)
    with np.errstate(divide="ignore", invalid="ignore"):
        eq12 = np.where(lams < 1, np.log(1 / q) / (2 * ETA * q**2), np.nan)  # numerics.approximations.delta_t_eq12
    return LambdaCurves(lams, tuple(epss), delta, eq12)


def _int_grid(lo, hi, n):
    return np.unique(np.rint(np.geomspace(lo, hi, n)).astype(int))


def dout_peak(lam, d_outs=None, delta=None, *, hi=1000, n=120, eps=EPS, level=LEVEL) -> tuple[int, float]:
    """``(d_out^max, Delta t_max)``: the integer ``d_out`` in ``[1, hi]`` at which the exact grokking time is maximal.

    Coarse pass on ``d_outs`` (default: ``n`` log-spaced integers; ``delta`` their grokking times if already known),
    then every integer between the neighbours of the coarse maximum (exact for a unimodal curve, as Sec. 3.2 argues
    and the coarse grid shows).  The paper reads ``d_out^max ~ 50`` off Fig. 2 (lam = 0.9, eps = 1e-3).
    """
    if d_outs is None:
        d_outs = _int_grid(1, hi, n)
    d_outs = np.asarray(d_outs, dtype=int)
    if delta is None:
        delta = grokking_time_grid(lam, eta=ETA, eps=eps, d_out=d_outs, level=level)[2]
    i = int(np.nanargmax(delta))
    lo, up = int(d_outs[max(i - 1, 0)]), int(d_outs[min(i + 1, len(d_outs) - 1)])
    fine = np.arange(lo, up + 1)
    fd = grokking_time_grid(lam, eta=ETA, eps=eps, d_out=fine, level=level)[2]
    j = int(np.nanargmax(fd))
    return int(fine[j]), float(fd[j])


def dout_curves(sizes: Sizes, lams=(0.5, 0.7, 0.9, 0.95)) -> OutputCurves:
    """Grokking time against ``d_out`` for several ``lam`` (Fig. 2 right) and the computed ``d_out^max`` of each."""
    d_outs = _int_grid(1, sizes.dout_range, sizes.dout_points)
    lam_g, d_g = np.meshgrid(np.asarray(lams, dtype=float), d_outs, indexing="ij")
    delta = grokking_time_grid(lam_g, eta=ETA, eps=EPS, d_out=d_g, level=LEVEL)[2]
    peaks = tuple(dout_peak(lam, d_outs, delta[i]) for i, lam in enumerate(lams))
    return OutputCurves(tuple(lams), d_outs, delta, peaks)


def gamma_critical(lams, *, eps=EPS, level=LEVEL, lo=1e-9, hi=1.0, iters=40) -> np.ndarray:
    """Smallest weight decay at which generalisation accuracy never reaches ``level`` (Eq. 15's plateau), per ``lam``.

    Bisection in ``log gamma`` on whether :func:`numerics.fast.grokking_time_grid` finds a finite ``t_gen*``
    (relative precision ``(hi/lo)^(2^-iters)``, ~2e-11 with the defaults); NaN if the level is reached at ``hi``.
    Only the finiteness of ``t_gen*`` is used, which the grid decides from the ``t -> inf`` plateau before its own
    bisection, so that bisection is cut to one halving.
    """
    lams = np.asarray(lams, dtype=float)

    def reached(log_gamma):
        t_gen = grokking_time_grid(lams, eta=ETA, eps=eps, gamma=np.exp(log_gamma), level=level, halvings=1)[1]
        return np.isfinite(t_gen)

    a, b = np.full(lams.shape, math.log(lo)), np.full(lams.shape, math.log(hi))
    reach_hi = reached(b)
    for _ in range(iters):
        mid = (a + b) / 2
        ok = reached(mid)
        a, b = np.where(ok, mid, a), np.where(ok, b, mid)
    return np.where(reach_hi, np.nan, np.exp(b))


def gamma_curves(sizes: Sizes, lams=(0.5, 0.7, 0.9)) -> GammaCurves:
    """Grokking time against ``gamma`` for several ``lam`` (Fig. 3 right) and ``gamma_c(lam)``."""
    gammas = np.geomspace(1e-6, 1e-1, sizes.gamma_points)
    gc = gamma_critical(lams)
    grid = np.unique(np.concatenate([gammas, gc * (1 - 1e-6)]))  # resolve the divergence just below gamma_c
    lam_g, g_g = np.meshgrid(np.asarray(lams, dtype=float), grid, indexing="ij")
    delta = grokking_time_grid(lam_g, eta=ETA, eps=EPS, gamma=g_g, level=LEVEL)[2]
    return GammaCurves(tuple(lams), grid, delta, gc)


# ---------------------------------------------------------------------------------------------- figure data bundles
@dataclass(frozen=True)
class SweepFigure:
    """Data of Fig. 1, 2 or 3: the simulated runs (left, center) and the grokking-time curves (right)."""

    runs: tuple[RunPanel, ...]
    curves: LambdaCurves | OutputCurves | GammaCurves
    band: DeltaBand | None = None  #: Fig. 1 right: finite-size band of Delta t at the runs' d_in


def _runs(specs, sizes, steps, progress, desc, band=False):
    out = []
    for i, (label, kw) in enumerate(tqdm(specs, desc=desc, disable=not progress, leave=False)):
        out.append(run_panel(label, sizes=sizes, steps=steps, seed=1 + i, band=band, **kw))
    return tuple(out)


# ----------------------------------------------------------------------------------------------- finite-size bands
@dataclass(frozen=True)
class DeltaBand:
    """The per-run band of ``Delta t`` along ``lam`` at finite ``d_in`` (:mod:`numerics.finite_size`).

    ``mp``: the MP-limit ``Delta t`` (NaN: no grokking); ``q``: ``(3, len(lams))``, the 10/50/90 % quantiles over
    ``draws`` runs (``inf``: more than that fraction never grok); ``d_in``, ``draws``, ``eps``, ``level`` as used.
    """

    lams: np.ndarray
    mp: np.ndarray
    q: np.ndarray
    d_in: int
    draws: int
    eps: float
    level: float


def delta_band(lams, *, d_in: int, draws: int, eps=EPS, level=LEVEL, seed=0, progress=False) -> DeltaBand:
    """Finite-size band of ``Delta t(lam)`` (``d_out = 1``, ``gamma = 0``, gradient flow, ``A(t*) = level``)."""
    lams = np.asarray(lams, dtype=float)
    _, _, mp_delta = grokking_time_grid(lams, eta=ETA, eps=eps, level=level)
    q = np.empty((3, lams.size))
    for j, lam in enumerate(tqdm(lams, desc="Delta t band", disable=not progress, leave=False)):
        g = grokking_time_distribution(lam, d_in=d_in, eta=ETA, eps=eps, level=level, draws=draws, seed=seed)
        q[:, j] = quantile(g.delta, (0.1, 0.5, 0.9))
    return DeltaBand(lams, mp_delta, q, d_in, draws, eps, level)


def band_lams(sizes: Sizes) -> np.ndarray:
    """``lam`` values of a Delta t band: denser towards 1, where the band widens."""
    return np.round(1 - np.geomspace(0.9, 0.05, sizes.band_points), 3)


def fig1_data(sizes: Sizes = FULL, progress=False) -> SweepFigure:
    """Fig. 1: ``lam = 0.1, 0.9, 1.5`` (``d_out = 1``, ``gamma = 0``, 1e5 steps); ``Delta t(lam)`` for four ``eps``;
    the finite-size 10-90 % bands of the runs' losses/accuracies and of ``Delta t`` at ``eps = 1e-3``."""
    specs = [(f"λ = {lam}", {"lam": lam}) for lam in (0.1, 0.9, 1.5)]
    runs = _runs(specs, sizes, 100_000, progress, "Fig. 1 runs", band=True)
    band = delta_band(band_lams(sizes), d_in=sizes.d_in, draws=sizes.band_draws, progress=progress)
    return SweepFigure(runs, lambda_curves(sizes), band)


def fig2_data(sizes: Sizes = FULL, progress=False) -> SweepFigure:
    """Fig. 2: ``d_out = 1, 50, 700`` at ``lam = 0.9`` (3e5 steps) and ``Delta t(d_out)`` with its computed maximum."""
    specs = [(f"d_out = {d}", {"lam": 0.9, "d_out": d}) for d in (1, 50, 700)]
    return SweepFigure(_runs(specs, sizes, 300_000, progress, "Fig. 2 runs"), dout_curves(sizes))


def fig3_data(sizes: Sizes = FULL, progress=False) -> SweepFigure:
    """Fig. 3: ``gamma = 1e-5, 1e-3, 1e-2`` at ``lam = 0.9`` (1e5 steps) and ``Delta t(gamma)`` with ``gamma_c``."""
    specs = [(f"γ = {g:g}", {"lam": 0.9, "gamma": g}) for g in (1e-5, 1e-3, 1e-2)]
    return SweepFigure(_runs(specs, sizes, 100_000, progress, "Fig. 3 runs"), gamma_curves(sizes))


# ------------------------------------------------------------------------------------------------------------ Fig. 4
@dataclass(frozen=True)
class PhaseData:
    """One phase-diagram panel: ``dt[i, j]`` is ``Delta t`` at ``(x[j], y[i])``; NaN (or <= 0) = no grokking.

    Simulated panels (e.g. from a ``sim.sweep`` table) use the same class, so they can be drawn by
    :func:`report.figures.phase_panel` on the theory's colour scale.
    """

    title: str
    x: np.ndarray
    y: np.ndarray
    dt: np.ndarray
    xlabel: str
    ylabel: str
    xlog: bool = False
    ylog: bool = False
    fixed: dict = field(default_factory=dict)


def fig4_data(sizes: Sizes = FULL, progress=False, *, lam_fixed=0.9) -> tuple[PhaseData, ...]:
    """Fig. 4 (theory): ``Delta t`` over ``(gamma, d_out)`` at ``lam = lam_fixed``, ``(gamma, lam)`` at ``d_out = 1``
    and ``(d_out, lam)`` at ``gamma = 0``; ``A(t*) = 0.95``, ``eta_0 = 0.01``, ``eps = 1e-3`` (float64 fast path).

    The paper does not state the ``lam`` of its left panel; ``lam_fixed = 0.9`` is the value of Figs. 2-3.
    """
    n = sizes.phase_points
    gammas = np.geomspace(1e-6, 1e-1, n)
    d_outs = _int_grid(1, 1000, n).astype(float)
    lams = np.linspace(0.05, 1.2, n)
    axes = {"gamma": (gammas, "γ", True), "d_out": (d_outs, "d_out", True), "lam": (lams, "λ", False)}
    panels = []
    for xname, yname, fixed in tqdm(
        (("gamma", "d_out", {"lam": lam_fixed}), ("gamma", "lam", {"d_out": 1}), ("d_out", "lam", {"gamma": 0.0})),
        desc="Fig. 4 panels",
        disable=not progress,
        leave=False,
    ):
        (x, xl, xlog), (y, yl, ylog) = axes[xname], axes[yname]
        xg, yg = np.meshgrid(x, y)
        kw = fixed | {xname: xg, yname: yg}
        lam = kw.pop("lam")
        dt = grokking_time_grid(lam, eta=ETA, eps=EPS, level=LEVEL, **kw)[2]
        panels.append(PhaseData(f"({xl}, {yl})", x, y, dt, xl, yl, xlog, ylog, fixed))
    return tuple(panels)


# ------------------------------------------------------------------------------------------------------------ Fig. 5
FIG5_LAM, FIG5_D_OUT, FIG5_EPS = 0.5, 5, 1e-4


@dataclass(frozen=True)
class TwoLayerPanel:
    """One two-layer run (``d_in - d_h - 5``) against the corrected Eq. (40) (claim ``eq40-two-layer-losses``).

    Prediction: ``L_tr/gen = (|D0|^2 / d_out) L^{d_out=1}_tr/gen(eta_0/(2 d_out^2), lam, t)``, accuracy by Eq. (13);
    ``|D0|^2 = d_out L_gen(0)`` of the run (exact ``||D_0||^2`` for linear nets, the held-out estimate for tanh).
    ``theory_gen`` at the recorded ``t`` comes from :func:`derivations.experiments.eq40_predictions` (mpmath); the
    dense curves use the same formula in float64.
    """

    activation: str
    d_h: int
    d_in: int
    seed: int
    d0sq: float
    t: np.ndarray
    sim_train: np.ndarray
    sim_gen: np.ndarray
    sim_train_acc: np.ndarray
    sim_gen_acc: np.ndarray
    theory_gen: np.ndarray
    t_dense: np.ndarray
    dense_train: np.ndarray
    dense_gen: np.ndarray
    dense_train_acc: np.ndarray
    dense_gen_acc: np.ndarray
    t_star: tuple[float, float]
    t_star_sim: tuple[float, float]


def eq40_crossings(d0sq, *, lam=FIG5_LAM, d_out=FIG5_D_OUT, eps=FIG5_EPS, level=LEVEL) -> tuple[float, float]:
    """``(t_tr*, t_gen*)`` of the corrected Eq. (40): ``(|D0|^2/d_out) L^{d_out=1}(eta_0/(2 d_out^2), t)`` falls to
    the Eq. (13) threshold ``L*(eps, d_out)``, i.e. ``L^{d_out=1}`` to ``L* d_out/|D0|^2`` -- a one-output crossing
    at ``eps_1 = 2 erfinv(level)^2 L* d_out / |D0|^2`` (float64 fast path, exact bisection)."""
    target = loss_at_level(eps, d_out, level) * d_out / d0sq
    eps_1 = 2 * float(erfinv(level)) ** 2 * target
    return theory_crossings(lam, eps=eps_1, level=level, eta=ETA / (2 * d_out**2))


def fig5_data(sizes: Sizes = FULL, progress=False) -> tuple[TwoLayerPanel, ...]:
    """Fig. 5: two-layer linear and tanh MLPs (``d_in - d_h - 5``, ``eps = 1e-4``, ``lam = 0.5``) against Eq. (40).

    Runs come from :func:`derivations.experiments.two_layer_runs` (seed 1, ``sizes.fig5_steps`` GD steps).  ``lam``
    is not stated in the paper; 0.5 is the value of :mod:`derivations.experiments`.
    """
    etap = ETA / (2 * FIG5_D_OUT**2)
    steps = sizes.fig5_steps
    record = [int(s) for s in sim.log_steps(steps, sizes.fig5_records)]
    t_dense = np.geomspace(1.0, steps, sizes.dense)
    one_tr, one_gen = theory_losses(t_dense, FIG5_LAM, eta=etap)
    out = []
    specs = [(act, d_h) for act in ("linear", "tanh") for d_h in sizes.fig5_d_hs]
    for act, d_h in tqdm(specs, desc="Fig. 5 runs", disable=not progress, leave=False):
        (r,) = two_layer_runs(
            act,
            lam=FIG5_LAM,
            d_in=sizes.fig5_d_in,
            d_h=d_h,
            d_out=FIG5_D_OUT,
            steps=steps,
            seeds=(1,),
            record=record,
            eps=FIG5_EPS,
            n_gen=sizes.fig5_n_gen,
            progress=progress,
        )
        exact0 = float(r.gen_loss_exact[0])
        d0sq = FIG5_D_OUT * (exact0 if math.isfinite(exact0) else float(r.gen_loss[0]))
        keep = r.t > 0
        t = r.t[keep].astype(float)
        theory_gen = np.array([eq40_predictions(d0sq, int(s), FIG5_LAM, FIG5_D_OUT)[2] for s in t])
        d_tr, d_gen = d0sq / FIG5_D_OUT * one_tr, d0sq / FIG5_D_OUT * one_gen
        acc_tr, acc_gen = accuracy_of_loss(d_tr, FIG5_EPS, FIG5_D_OUT), accuracy_of_loss(d_gen, FIG5_EPS, FIG5_D_OUT)
        out.append(
            TwoLayerPanel(
                activation=act,
                d_h=d_h,
                d_in=sizes.fig5_d_in,
                seed=1,
                d0sq=d0sq,
                t=t,
                sim_train=r.train_loss[keep],
                sim_gen=r.gen_loss[keep],
                sim_train_acc=r.train_acc[keep],
                sim_gen_acc=r.gen_acc[keep],
                theory_gen=theory_gen,
                t_dense=t_dense,
                dense_train=d_tr,
                dense_gen=d_gen,
                dense_train_acc=acc_tr,
                dense_gen_acc=acc_gen,
                t_star=eq40_crossings(d0sq),
                t_star_sim=(first_crossing(r.t, r.train_acc), first_crossing(r.t, r.gen_acc)),
            )
        )
    return tuple(out)


# ------------------------------------------------------------------------------------------------------------ Fig. 6
@dataclass(frozen=True)
class LateTimeData:
    """Fig. 6: exact losses (Eq. 8 / Eq. 9) and the late-time approximations Eqs. (22), (23), (11) at ``lam``."""

    lam: float
    t: np.ndarray
    exact_train: np.ndarray
    exact_gen: np.ndarray
    eq22: np.ndarray
    eq23: np.ndarray
    eq11: np.ndarray
    t_star: tuple[float, float]


def fig6_data(sizes: Sizes = FULL, progress=False, *, lam=0.9) -> LateTimeData:
    """Fig. 6 (Appendix B): exact train/gen losses at ``lam = 0.9`` against Eqs. (22), (23) and (11), ``t`` in [1, 1e5].

    Exact: :mod:`numerics.fast`; approximations: :mod:`numerics.approximations` as printed, at 30 digits (Eq. 23 is
    a difference of two nearly equal terms at late times).
    """
    t = np.geomspace(1.0, 1e5, sizes.fig6_points)
    tr, gen = theory_losses(t, lam)
    with mp.workdps(30):
        eq22 = np.array([float(ap.train_loss_eq22(mpmath.mpf(float(s)), lam, eta=ETA)) for s in t])
        eq23 = np.array([float(ap.gen_loss_eq23(mpmath.mpf(float(s)), lam, eta=ETA)) for s in t])
        eq11 = np.array([float(ap.gen_loss_eq11(mpmath.mpf(float(s)), lam, eta=ETA)) for s in t])
    return LateTimeData(lam, t, tr, gen, eq22, eq23, eq11, theory_crossings(lam))


# ---------------------------------------------------------------------------------------------------- validity maps
def validity_data(sizes: Sizes = FULL, progress=False) -> tuple[ValidityMap, ...]:
    """:func:`numerics.validity.validity_map` of every approximation in :data:`numerics.validity.APPROXIMATIONS`
    (Eqs. 11, 12, 22-26 and the ``lam -> 1`` law) on the ``sizes.validity_lams x sizes.validity_epss`` grid."""
    lams, epss = list(sizes.validity_lams), list(sizes.validity_epss)
    return tuple(
        validity_map(name, lams, epss, eta=ETA, progress=progress)
        for name in tqdm(APPROXIMATIONS, desc="validity maps", disable=not progress, leave=False)
    )


def sizes_for(quick: bool) -> Sizes:
    """:data:`QUICK` or :data:`FULL`."""
    return QUICK if quick else FULL
