"""Figures 1-6 of Levi, Beck & Bar-Sinai (2023) and the validity maps, redrawn from simulation and exact theory.

``draw_figures(out_dir)`` writes one PNG per figure (and a PDF with ``pdf=True``):

=========== ============================== =============================================================================
name        file                           content
=========== ============================== =============================================================================
fig1        ``fig1_lambda.png``            Fig. 1: losses / accuracies vs t for lam = 0.1, 0.9, 1.5 (sim against Eqs. 8,
                                           10), and Delta t(lam) for several eps, exact against Eq. (12)
fig2        ``fig2_dout.png``              Fig. 2: the same for d_out = 1, 50, 700 at lam = 0.9 (Eq. 13), and
                                           Delta t(d_out) with the computed d_out^max of each curve
fig3        ``fig3_weight_decay.png``      Fig. 3: the same for gamma = 1e-5, 1e-3, 1e-2 at lam = 0.9 (Eq. 15), and
                                           Delta t(gamma), shaded where generalisation accuracy never reaches 95 %
fig4        ``fig4_phase_diagrams.png``    Fig. 4: Delta t over (gamma, d_out), (gamma, lam), (d_out, lam) (theory);
                                           white where there is no grokking; optional simulated panels below
fig5        ``fig5_two_layer.png``         Fig. 5: two-layer linear / tanh MLPs (d_in-d_h-5) vs corrected Eq. (40)
fig6        ``fig6_late_time.png``         Fig. 6: exact losses at lam = 0.9 against Eqs. (22), (23), (11)
validity    ``validity_maps.png``          relative error of each closed-form approximation (Eqs. 11, 12, 22-26) over
                                           (lam, eps), with its 10 % contour (:mod:`numerics.validity`)
finite_size ``fig_finite_size.png``        beyond the paper: per-run scatter of the grokking times around the MP limit
                                           against d_in, Delta t band with simulated runs, lam = 1
                                           (:mod:`report.finite_size_figure`)
=========== ============================== =============================================================================

Beyond the paper, ``structured_delta`` (``fig_structured_delta.png``, :mod:`report.structured_figure`): Delta t
against lam for power-law input spectra (alpha = 0, 0.5, 1), the structured theory against simulation.

Conventions: in the loss and accuracy panels colour = simulation (:func:`sim.train`, dashed train, solid
generalisation), black = theory; diamonds / stars mark where train / generalisation accuracy reaches 95 %, filled
for theory and open for simulation.  The numbers come from :mod:`report.figures_data` (no matplotlib there);
``collect=`` returns them.  Matplotlib is used through its Agg canvas only (no pyplot, no screen, no global state).
Files are written atomically: each is saved to a temporary file in ``out_dir`` and moved into place with
``os.replace``, so an interrupted run leaves either the previous file or the new one, never half a PNG.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import BoundaryNorm, LogNorm
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch, Rectangle
from tqdm.auto import tqdm

from . import figures_data as fd
from .figures_data import LEVEL, PhaseData
from .finite_size_figure import draw_finite_size, finite_size_data
from .structured_figure import draw_structured_delta, structured_delta_data

__all__ = ["FIGURES", "PhaseData", "draw_figures", "make_figure", "phase_panel", "save_atomic"]

DPI = 150
_RUN_COLORS = {
    "fig1": ("tab:red", "tab:blue", "tab:purple"),  # the paper's red, blue, violet
    "fig2": ("tab:blue", "tab:red", "tab:purple"),
    "fig3": ("tab:blue", "tab:red", "tab:purple"),
}
_CURVE_CMAP = "viridis"


# ------------------------------------------------------------------------------------------------------ file output
def save_atomic(fig: Figure, path, fmt: str = "png") -> Path:
    """Save ``fig`` to ``path`` atomically: write a temporary file in the same directory, then ``os.replace``.

    The temporary file (``.<name>.<random>.tmp``) is removed if saving fails or is interrupted.
    """
    path = Path(path)
    FigureCanvasAgg(fig)
    fd_, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd_, "wb") as fh:
            fig.savefig(fh, format=fmt, dpi=DPI)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    return path


# -------------------------------------------------------------------------------------------------- shared helpers
def _interp_loglog(x, xs, ys):
    """``y(x)`` by linear interpolation of ``log y`` against ``log x`` (NaN outside ``xs`` or for NaN ``x``)."""
    if not np.isfinite(x) or x <= 0 or x < xs[0] or x > xs[-1]:
        return np.nan
    with np.errstate(divide="ignore"):
        ly = np.log(np.maximum(ys, 1e-300))
    return float(np.exp(np.interp(np.log(x), np.log(xs), ly)))


def _markers(ax_loss, ax_acc, run, color, *, level=LEVEL):
    """Diamonds (train) and stars (generalisation) where accuracy reaches ``level``: filled = theory, open = sim.

    A theory marker sits at ``(t*, L*)``: the predicted loss at ``t*`` is exactly the loss at which Eq. (10)/(13)
    gives ``level``.
    """
    styles = (("D", 7), ("*", 13))
    l_star = fd.loss_at_level(run.eps, run.d_out, level)
    for k, (marker, size) in enumerate(styles):
        t_th = run.t_star[k]
        if np.isfinite(t_th):
            kw = {"marker": marker, "ms": size, "mfc": color, "mec": "k", "mew": 0.8, "ls": "none", "zorder": 6}
            ax_loss.plot([t_th], [l_star], **kw)
            ax_acc.plot([t_th], [level], **kw)
        t_sim = run.t_star_sim[k]
        simv = (run.sim_train, run.sim_gen)[k]
        if np.isfinite(t_sim):
            kw = {"marker": marker, "ms": size + 3, "mfc": "none", "mec": color, "mew": 1.6, "ls": "none", "zorder": 7}
            ax_loss.plot([t_sim], [_interp_loglog(t_sim, run.t, simv)], **kw)
            ax_acc.plot([t_sim], [level], **kw)


def _curve_panels(ax_loss, ax_acc, runs, colors, *, theory_label="theory (MP limit)", level=LEVEL):
    """Figs. 1-3 and 5 (left, center): simulated losses / accuracies (colour) against theory (black)."""
    floor = []
    for run, c in zip(runs, colors, strict=True):
        b = getattr(run, "band", None)  # finite-size 10-90 % of runs around the MP curves (numerics.finite_size)
        if b is not None:
            for ax, lo, hi in (
                (ax_loss, b.train_loss[0], b.train_loss[-1]),
                (ax_loss, b.gen_loss[0], b.gen_loss[-1]),
                (ax_acc, b.train_acc[0], b.train_acc[-1]),
                (ax_acc, b.gen_acc[0], b.gen_acc[-1]),
            ):
                ax.fill_between(b.t, lo, hi, color=c, alpha=0.18, lw=0, zorder=1)
        for ax, simv, dense, ls in (
            (ax_loss, run.sim_train, run.dense_train, "--"),
            (ax_loss, run.sim_gen, run.dense_gen, "-"),
            (ax_acc, run.sim_train_acc, run.dense_train_acc, "--"),
            (ax_acc, run.sim_gen_acc, run.dense_gen_acc, "-"),
        ):
            ax.plot(run.t, simv, color=c, ls=ls, lw=2.4, alpha=0.6, zorder=2)
            ax.plot(run.t_dense, dense, color="k", ls=ls, lw=0.9, zorder=4)
        _markers(ax_loss, ax_acc, run, c, level=level)
        floor.append(np.nanmin(run.dense_gen[run.dense_gen > 0]))
        floor.append(fd.loss_at_level(run.eps, run.d_out))
    ax_loss.set_xscale("log")
    ax_loss.set_yscale("log")
    top = max(max(np.nanmax(r.dense_train), np.nanmax(r.dense_gen)) for r in runs)
    ax_loss.set_ylim(max(min(floor) / 20, top * 1e-9), top * 2)
    ax_loss.set_xlim(1, runs[0].t_dense[-1])
    ax_loss.set_xlabel("t (GD steps)")
    ax_loss.set_ylabel("loss")
    ax_acc.set_xscale("log")
    ax_acc.set_ylim(-0.02, 1.02)
    ax_acc.set_xlim(1, runs[0].t_dense[-1])
    ax_acc.axhline(level, color="0.5", lw=0.7, ls=":", zorder=1)
    ax_acc.set_xlabel("t (GD steps)")
    ax_acc.set_ylabel("accuracy")
    labels = [Line2D([], [], color=c, lw=2.4, alpha=0.7, label=r.label) for r, c in zip(runs, colors, strict=True)]
    styles = [
        Line2D([], [], color="0.3", ls="--", lw=1.5, label="train"),
        Line2D([], [], color="0.3", ls="-", lw=1.5, label="generalisation"),
        Line2D([], [], color="k", lw=0.9, label=theory_label),
    ]
    if getattr(runs[0], "band", None) is not None:
        n = int(runs[0].band.params["draws"])
        styles.append(Patch(color="0.5", alpha=0.3, lw=0, label=f"10–90 % of {n} runs, d_in = {runs[0].d_in}"))
    ax_loss.legend(handles=labels + styles, fontsize=8, loc="lower left", framealpha=0.9)
    marks = [
        Line2D([], [], marker="D", ls="none", mfc="0.6", mec="k", label=f"train acc. = {LEVEL:.0%} (theory)"),
        Line2D([], [], marker="*", ms=11, ls="none", mfc="0.6", mec="k", label=f"gen. acc. = {LEVEL:.0%} (theory)"),
        Line2D([], [], marker="D", ms=9, ls="none", mfc="none", mec="0.3", mew=1.5, label="… simulation"),
        Line2D([], [], marker="*", ms=14, ls="none", mfc="none", mec="0.3", mew=1.5, label="… simulation"),
    ]
    ax_acc.legend(handles=marks, fontsize=8, loc="upper left", framealpha=0.9)


def _sim_delta(run):
    return run.t_star_sim[1] - run.t_star_sim[0]


def _new_figure(ncols, nrows=1, *, width=5.0, height=4.3):
    fig = Figure(figsize=(width * ncols, height * nrows), layout="constrained")
    FigureCanvasAgg(fig)
    axes = fig.subplots(nrows, ncols, squeeze=False)
    return fig, axes


def _sizes_note(sizes, runs):
    r = runs[0]
    return f"d_in = {r.d_in}, η0 = {fd.ETA}, ε = {r.eps:g}, seeds {', '.join(str(x.seed) for x in runs)} ({sizes.name})"


# ---------------------------------------------------------------------------------------------------------- Fig. 1
def _delta_band(ax, band: fd.DeltaBand, *, color) -> None:
    """The finite-size 10-90 % band of Delta t over runs (and its median, dotted) on a Delta t (lam) axis."""
    hi = np.where(np.isfinite(band.q[2]), band.q[2], np.nan)
    ax.fill_between(band.lams, band.q[0], hi, color=color, alpha=0.35, lw=0, zorder=1,
                    label=f"10–90 % of {band.draws} runs, d_in = {band.d_in}, ε = {band.eps:g}")  # fmt: skip
    ax.plot(band.lams, band.q[1], color=color, ls=":", lw=1.2, zorder=3, label="median run")


def draw_fig1(data: fd.SweepFigure, sizes: fd.Sizes) -> Figure:
    """Fig. 1: grokking as a function of ``lam`` (Eqs. 8-10, 12; Section 3.1)."""
    fig, ax = _new_figure(3)
    colors = _RUN_COLORS["fig1"]
    _curve_panels(ax[0, 0], ax[0, 1], data.runs, colors)
    ax[0, 0].set_title("Fig. 1 left: losses (Eq. 8)")
    ax[0, 1].set_title("Fig. 1 center: accuracies (Eq. 10)")
    cur: fd.LambdaCurves = data.curves
    a = ax[0, 2]
    cmap = _cmap(_CURVE_CMAP)
    for i, eps in enumerate(cur.epss):
        a.plot(cur.lams, cur.delta[i], color=cmap(i / max(1, len(cur.epss) - 1) * 0.85), lw=1.6, label=f"ε = {eps:g}")
    a.plot(cur.lams, cur.eq12, "k--", lw=1.2, label="Eq. (12)")
    if data.band is not None:
        _delta_band(a, data.band, color=cmap(cur.epss.index(data.band.eps) / max(1, len(cur.epss) - 1) * 0.85))
    for run, c in zip(data.runs, colors, strict=True):
        dt = _sim_delta(run)
        if np.isfinite(dt):
            a.plot([run.lam], [dt], "o", mfc=c, mec="k", ms=7, zorder=6)
    a.plot([], [], "o", mfc="0.6", mec="k", label=f"simulation, ε = {fd.EPS:g}")
    last = cur.lams[np.isfinite(cur.delta).any(axis=0)].max()
    if last < cur.lams[-1]:
        a.axvspan(last, cur.lams[-1], color="0.5", alpha=0.2, lw=0, label="no grokking for any ε shown (λ > 1 plateau)")
    a.axvline(1.0, color="0.6", lw=0.7, ls=":")
    a.set_yscale("log")
    a.set_xlabel("λ = d_in / N_tr")
    a.set_ylabel("Δt = t_gen* − t_tr*  (GD steps)")
    a.set_title("Fig. 1 right: grokking time, exact (solid) vs Eq. (12)")
    a.set_xlim(0, cur.lams[-1])
    finite = cur.delta[np.isfinite(cur.delta) & (cur.delta > 0)]
    a.set_ylim(max(finite.min() / 2, 1e-1), min(finite.max() * 3, 1e8))
    a.legend(fontsize=8, loc="upper left")
    at1 = [np.interp(1.0, cur.lams, row) for row in cur.delta]
    a.text(
        0.98,
        0.03,
        "exact Δt at λ = 1: " + ", ".join(f"{v:.2g}" for v in at1) + "\n(ε as listed; Eq. (12) diverges there)",
        transform=a.transAxes,
        ha="right",
        va="bottom",
        fontsize=7.5,
    )
    fig.suptitle(f"Grokking as a function of λ (Fig. 1) — {_sizes_note(sizes, data.runs)}, d_out = 1", fontsize=11)
    return fig


# ---------------------------------------------------------------------------------------------------------- Fig. 2
def draw_fig2(data: fd.SweepFigure, sizes: fd.Sizes) -> Figure:
    """Fig. 2: effect of the output dimension (Eq. 13; Section 3.2), with the computed ``d_out^max``."""
    fig, ax = _new_figure(3)
    colors = _RUN_COLORS["fig2"]
    _curve_panels(ax[0, 0], ax[0, 1], data.runs, colors)
    ax[0, 0].set_title("Fig. 2 left: losses (Eq. 13), λ = 0.9")
    ax[0, 1].set_title("Fig. 2 center: accuracies (Eq. 13), λ = 0.9")
    cur: fd.OutputCurves = data.curves
    a = ax[0, 2]
    cmap = _cmap(_CURVE_CMAP)
    for i, lam in enumerate(cur.lams):
        c = cmap(i / max(1, len(cur.lams) - 1) * 0.85)
        a.plot(cur.d_outs, cur.delta[i], color=c, lw=1.6, label=f"λ = {lam:g}")
        d_max, dt_max = cur.peak[i]
        a.plot([d_max], [dt_max], "o", mfc=c, mec="k", ms=7, zorder=6)
        a.annotate(
            f"{d_max}", (d_max, dt_max), textcoords="offset points", xytext=(0, 7), ha="center", fontsize=8, color=c
        )
    a.plot([], [], "o", mfc="0.6", mec="k", label="computed d_out^max (label)")
    a.axvline(50, color="0.4", ls=":", lw=1.0, label="paper: d_out^max ≃ 50 (λ = 0.9)")
    for run, c in zip(data.runs, colors, strict=True):
        dt = _sim_delta(run)
        if np.isfinite(dt):
            a.plot([run.d_out], [dt], "s", mfc=c, mec="k", ms=6, zorder=7)
    a.plot([], [], "s", mfc="0.6", mec="k", label=f"simulation, λ = 0.9 (d_in = {data.runs[0].d_in})")
    a.set_xscale("log")
    a.set_yscale("log")
    lo, hi = np.nanmin(cur.delta[cur.delta > 0]), np.nanmax(cur.delta)
    a.set_ylim(lo / 40, hi * 4)
    a.set_xlabel("d_out")
    a.set_ylabel("Δt = t_gen* − t_tr*  (GD steps)")
    a.set_title(f"Fig. 2 right: grokking time vs d_out (ε = {fd.EPS:g})")
    a.legend(fontsize=7.5, loc="lower left", ncol=2)
    fig.suptitle(f"Effect of the output dimension (Fig. 2) — {_sizes_note(sizes, data.runs)}", fontsize=11)
    return fig


# ---------------------------------------------------------------------------------------------------------- Fig. 3
def draw_fig3(data: fd.SweepFigure, sizes: fd.Sizes) -> Figure:
    """Fig. 3: effect of weight decay (Eq. 15; Section 3.3), shaded where gen. accuracy never reaches the level."""
    fig, ax = _new_figure(3)
    colors = _RUN_COLORS["fig3"]
    _curve_panels(ax[0, 0], ax[0, 1], data.runs, colors)
    ax[0, 0].set_title("Fig. 3 left: losses (Eq. 15), λ = 0.9")
    ax[0, 1].set_title("Fig. 3 center: accuracies (Eq. 10), λ = 0.9")
    cur: fd.GammaCurves = data.curves
    a = ax[0, 2]
    cmap = _cmap(_CURVE_CMAP)
    g_max = cur.gammas[-1]
    for i, lam in enumerate(cur.lams):
        c = cmap(i / max(1, len(cur.lams) - 1) * 0.85)
        a.plot(cur.gammas, cur.delta[i], color=c, lw=1.6, label=f"λ = {lam:g}")
        gc = cur.gamma_c[i]
        if np.isfinite(gc) and gc < g_max:
            a.axvspan(gc, g_max, color="0.5", alpha=0.13, lw=0)
            a.axvline(gc, color=c, ls=":", lw=1.2)
    a.add_artist(a.legend(fontsize=8, loc="upper left"))
    for run, c in zip(data.runs, colors, strict=True):
        dt = _sim_delta(run)
        if np.isfinite(dt):
            a.plot([run.gamma], [dt], "s", mfc=c, mec="k", ms=6, zorder=7)
    a.set_xscale("log")
    a.set_yscale("log")
    a.set_xlim(cur.gammas[0], g_max)
    finite = cur.delta[np.isfinite(cur.delta) & (cur.delta > 0)]
    a.set_ylim(finite.min() / 30, finite.max() * 3)  # room for the legend below the curves
    a.set_xlabel("γ (weight decay)")
    a.set_ylabel("Δt = t_gen* − t_tr*  (GD steps)")
    a.set_title(f"Fig. 3 right: grokking time vs γ (ε = {fd.EPS:g})")
    a.legend(
        handles=[
            Patch(color="0.5", alpha=0.3, label=f"γ > γ_c(λ): gen. accuracy never reaches {LEVEL:.0%}"),
            Line2D([], [], color="0.3", ls=":", label="γ_c(λ) (computed)"),
            Line2D([], [], marker="s", ls="none", mfc="0.6", mec="k", label="simulation, λ = 0.9"),
        ],
        fontsize=8,
        loc="lower right",
    )
    fig.suptitle(f"Effect of weight decay (Fig. 3) — {_sizes_note(sizes, data.runs)}, d_out = 1", fontsize=11)
    return fig


# ---------------------------------------------------------------------------------------------------------- Fig. 4
def _edges(v, log):
    """Cell edges around the centres ``v`` (geometric midpoints on a log axis)."""
    v = np.asarray(v, dtype=float)
    w = np.log(v) if log else v
    mid = (w[1:] + w[:-1]) / 2
    e = np.concatenate([[w[0] - (mid[0] - w[0])], mid, [w[-1] + (w[-1] - mid[-1])]])
    return np.exp(e) if log else e


def _cmap(name, bad=None):
    from matplotlib import colormaps

    cm = colormaps[name]
    return cm if bad is None else cm.with_extremes(bad=bad)


def phase_norm(panels: Iterable[PhaseData]) -> LogNorm:
    """A common logarithmic colour scale for the finite, positive ``Delta t`` of ``panels``."""
    vals = np.concatenate([p.dt[np.isfinite(p.dt) & (p.dt > 0)].ravel() for p in panels])
    return LogNorm(vmin=float(vals.min()), vmax=float(vals.max()))


def phase_panel(ax, x, y, dt, *, norm=None, xlog=False, ylog=False, xlabel="", ylabel="", title="", cmap="RdYlBu"):
    """Draw one Fig. 4 phase diagram: ``Delta t`` (``dt[i, j]`` at ``(x[j], y[i])``) on a log colour scale.

    Red = short, blue = long grokking time (the paper's scheme; the pale middle of the map is yellow, not white);
    white, hatched = no grokking (NaN: an accuracy never reaches the level; ``<= 0``: both reached together, e.g. at
    ``t = 0``).  Works for theory and simulated panels alike (pass the same ``norm``, e.g. :func:`phase_norm` of all
    panels, to compare them).  Returns the mesh.
    """
    dt = np.ma.masked_where(~np.isfinite(dt) | (np.asarray(dt) <= 0), dt)
    ax.add_patch(
        Rectangle(
            (0, 0), 1, 1, transform=ax.transAxes, facecolor="white", edgecolor="0.75", hatch="///", lw=0, zorder=0
        )
    )
    mesh = ax.pcolormesh(
        _edges(x, xlog), _edges(y, ylog), dt, cmap=_cmap(cmap), norm=norm or LogNorm(), shading="flat", zorder=1
    )
    if xlog:
        ax.set_xscale("log")
    if ylog:
        ax.set_yscale("log")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title, fontsize=10)
    return mesh


def draw_fig4(
    panels: Sequence[PhaseData], sizes: fd.Sizes, simulated: Sequence[PhaseData] = (), band: fd.DeltaBand | None = None
) -> Figure:
    """Fig. 4: grokking-time phase diagrams (theory, ``A(t*) = 0.95``), optionally with simulated panels below.

    ``band``: the finite-size band of Delta t along lam (``d_out = 1``, ``gamma = 0``), drawn in an extra panel with
    the MP-limit curve and, where the simulated ``(d_out, lam)`` panel has ``d_out = 1``, its measured points.
    """
    nrows = 2 if simulated else 1
    ncols = max(len(panels) + (band is not None), len(simulated))
    fig, ax = _new_figure(ncols, nrows, width=5.2, height=4.4)
    norm = phase_norm(list(panels) + list(simulated))
    mesh = None
    for row, group, kind in ((0, panels, "theory"), (1, simulated, "simulation"))[:nrows]:
        for j, p in enumerate(group):
            fixed = ", ".join(
                f"{'λ' if k == 'lam' else 'γ' if k == 'gamma' else k} = {v:g}" for k, v in p.fixed.items()
            )
            mesh = phase_panel(
                ax[row, j],
                p.x,
                p.y,
                p.dt,
                norm=norm,
                xlog=p.xlog,
                ylog=p.ylog,
                xlabel=p.xlabel,
                ylabel=p.ylabel,
                title=f"{kind}: Δt over {p.title}, {fixed}",
            )
        for j in range(len(group), ncols):
            ax[row, j].set_visible(row == 0 and band is not None and j == len(group))
    if band is not None:
        _fig4_band_panel(ax[0, len(panels)], band, simulated)
    cb = fig.colorbar(mesh, ax=ax.ravel().tolist(), shrink=0.9, pad=0.01)
    cb.set_label("Δt = t_gen* − t_tr*  (GD steps)")
    ax[0, 0].legend(
        handles=[
            Patch(
                facecolor="white", edgecolor="0.6", hatch="///", label=f"no grokking (gen. acc. < {LEVEL:.0%} forever)"
            )
        ],
        fontsize=8,
        loc="lower left",
    )
    fig.suptitle(
        f"Grokking-time phase diagrams (Fig. 4): exact MP limit, A(t*) = {LEVEL}, η0 = {fd.ETA}, ε = {fd.EPS:g}"
        f" ({sizes.phase_points}² grid, {sizes.name})",
        fontsize=11,
    )
    return fig


def _fig4_band_panel(a, band: fd.DeltaBand, simulated: Sequence[PhaseData]) -> None:
    """Delta t along lam at d_out = 1, gamma = 0: MP limit, the runs' 10-90 % band, simulated seed means."""
    a.plot(band.lams, band.mp, color="k", lw=1.2, label="MP limit")
    _delta_band(a, band, color="tab:blue")
    for p in simulated:
        if p.fixed.get("gamma") == 0.0 and p.xlabel == "d_out" and np.any(p.x == 1):
            col = p.dt[:, int(np.flatnonzero(p.x == 1)[0])]
            ok = np.isfinite(col)
            d_in = p.fixed.get("d_in", "?")
            a.plot(p.y[ok], col[ok], "o", mfc="tab:orange", mec="k", ms=7, zorder=6,
                   label=f"simulation (seed mean), d_in = {d_in}")  # fmt: skip
    a.set_yscale("log")
    a.set_xlabel("λ")
    a.set_ylabel("Δt  (GD steps)")
    a.set_title(f"Δt along λ (d_out = 1, γ = 0): finite size, A(t*) = {band.level}", fontsize=10)
    a.legend(fontsize=8, loc="upper left")


# ---------------------------------------------------------------------------------------------------------- Fig. 5
def draw_fig5(panels: Sequence[fd.TwoLayerPanel], sizes: fd.Sizes) -> Figure:
    """Fig. 5: two-layer MLPs (linear / tanh hidden layer) against the corrected Eq. (40) (Section 4, Appendix E)."""
    fig, ax = _new_figure(2, 2, width=6.0, height=4.3)
    colors = ("tab:blue", "tab:red")
    for row, act in enumerate(("linear", "tanh")):
        runs = [p for p in panels if p.activation == act]
        shim = [_TwoLayerRun(p) for p in runs]
        _curve_panels(ax[row, 0], ax[row, 1], shim, colors[: len(shim)], theory_label="corrected Eq. (40)")
        ax[row, 0].set_title(f"{act} hidden layer: losses vs corrected Eq. (40)")
        ax[row, 1].set_title(f"{act} hidden layer: accuracies (Eq. 13, d_out = 5)")
    p0 = panels[0]
    fig.suptitle(
        f"Two-layer networks (Fig. 5): {p0.d_in}-d_h-{fd.FIG5_D_OUT}, λ = {fd.FIG5_LAM}, η0 = {fd.ETA},"
        f" ε = {fd.FIG5_EPS:g}, seed {p0.seed} ({sizes.name}); theory: (|D0|²/d_out) L^(d_out=1)(η0/(2 d_out²), λ, t)",
        fontsize=11,
    )
    return fig


class _TwoLayerRun:
    """Adapter: a :class:`~report.figures_data.TwoLayerPanel` seen as a run of :func:`_curve_panels`."""

    def __init__(self, p: fd.TwoLayerPanel):
        self.__dict__.update(p.__dict__)
        self.label = f"d_h = {p.d_h}"
        self.eps = fd.FIG5_EPS
        self.d_out = fd.FIG5_D_OUT


# ---------------------------------------------------------------------------------------------------------- Fig. 6
def draw_fig6(d: fd.LateTimeData, sizes: fd.Sizes) -> Figure:
    """Fig. 6 (Appendix B): exact losses (Eq. 8) against the late-time forms Eqs. (22), (23) and (11)."""
    fig, ax = _new_figure(2, width=6.2, height=4.5)
    a, b = ax[0, 0], ax[0, 1]
    a.plot(d.t, d.exact_train, color="hotpink", lw=4, alpha=0.7, label="exact L_tr (Eq. 8 / 9)")
    a.plot(d.t, d.exact_gen, color="lightskyblue", lw=4, alpha=0.9, label="exact L_gen (Eq. 8)")
    a.plot(d.t, d.eq22, "--", color="tab:red", lw=1.3, label="Eq. (22): L_tr")
    a.plot(d.t, d.eq23, "--", color="tab:blue", lw=1.3, label="Eq. (23): L_gen")
    a.plot(d.t, d.eq11, "-.", color="tab:blue", lw=1.3, label="Eq. (11): L_gen = L_tr^(22)/(1−√λ)²")
    for k, (marker, size) in enumerate((("D", 7), ("*", 13))):
        ts = d.t_star[k]
        if np.isfinite(ts):
            a.plot(
                [ts], [_interp_loglog(ts, d.t, (d.exact_train, d.exact_gen)[k])], marker, ms=size, mfc="0.6", mec="k"
            )
    a.set_xscale("log")
    a.set_yscale("log")
    top = max(d.exact_train.max(), d.exact_gen.max())
    a.set_ylim(max(d.exact_train.min(), top * 1e-12) / 3, top * 3)
    a.set_xlabel("t (GD steps)")
    a.set_ylabel("loss")
    a.set_title(f"Fig. 6: late-time approximations, λ = {d.lam}, η0 = {fd.ETA}, d_out = 1")
    a.legend(fontsize=8, loc="lower left")
    for y, ref, style, color, label in (
        (d.eq22, d.exact_train, "--", "tab:red", "Eq. (22) vs exact L_tr"),
        (d.eq23, d.exact_gen, "--", "tab:blue", "Eq. (23) vs exact L_gen"),
        (d.eq11, d.exact_gen, "-.", "tab:blue", "Eq. (11) vs exact L_gen"),
    ):
        b.plot(d.t, np.abs(y / ref - 1), style, color=color, lw=1.4, label=label)
    b.axhline(0.1, color="0.5", ls=":", lw=1, label="10 %")
    for k, name in enumerate(("t_tr*", "t_gen*")):
        if np.isfinite(d.t_star[k]):
            b.axvline(d.t_star[k], color="0.3", lw=0.8, ls=(0, (4, 2)))
            b.annotate(name, (d.t_star[k], 0.97), xycoords=("data", "axes fraction"), fontsize=8, ha="right")
    b.set_xscale("log")
    b.set_yscale("log")
    b.set_xlabel("t (GD steps)")
    b.set_ylabel("|approximation / exact − 1|")
    b.set_title("relative error of the approximations")
    b.legend(fontsize=8, loc="lower left")
    fig.suptitle(f"Exact losses vs late-time approximations (Fig. 6, Appendix B) ({sizes.name})", fontsize=11)
    return fig


# --------------------------------------------------------------------------------------------------- validity maps
#: colour bins of the validity maps: four below and four above the 10 % level
_VALIDITY_BOUNDS = (0.0, 1e-3, 1e-2, 3e-2, 0.1, 0.3, 1.0, 3.0, 1e6)


def draw_validity(maps, sizes: fd.Sizes) -> Figure:
    """Validity maps (:mod:`numerics.validity`): relative error of Eqs. 11, 12, 22-26 over ``(lam, eps)``.

    Grey cells: the printed formula is undefined there (e.g. Eq. 26's logarithm of a negative number).  The black
    contour is the 10 % error level; the dotted line the paper's ``eps = 1e-3``.
    """
    ncols = 4
    nrows = int(np.ceil(len(maps) / ncols))
    fig, ax = _new_figure(ncols, nrows, width=4.2, height=3.6)
    bounds = np.array(_VALIDITY_BOUNDS)
    cmap = _cmap("RdYlGn_r").resampled(len(bounds) - 1)
    norm = BoundaryNorm(bounds, cmap.N)
    mesh = None
    for k, m in enumerate(maps):
        a = ax.ravel()[k]
        a.set_facecolor("0.82")
        err = np.ma.masked_invalid(m.rel_error)
        shown = np.ma.clip(err, bounds[0], bounds[-1] * 0.999)
        mesh = a.pcolormesh(_edges(m.epss, True), _edges(m.lams, False), shown, cmap=cmap, norm=norm)
        a.set_xscale("log")
        finite = m.rel_error[np.isfinite(m.rel_error)]
        if finite.size and finite.min() < 0.1 < finite.max() and min(m.rel_error.shape) >= 2:
            a.contour(m.epss, m.lams, err, levels=[0.1], colors="k", linewidths=1.6)
        note = (
            "no data"
            if not finite.size
            else "within 10 % everywhere"
            if finite.max() <= 0.1
            else "never within 10 %"
            if finite.min() > 0.1
            else "black: 10 % contour"
        )
        if m.rel_error.size <= 40:
            for i, lam in enumerate(m.lams):
                for j, eps in enumerate(m.epss):
                    v = m.rel_error[i, j]
                    txt = "undef." if not np.isfinite(v) else f"{v:.0%}" if v >= 0.01 else f"{v:.1%}"
                    a.text(eps, lam, txt, ha="center", va="center", fontsize=7)
        a.axvline(fd.EPS, color="k", ls=":", lw=1)
        a.set_title(f"{m.description}\n({m.name}; {note})", fontsize=9)
        a.set_xlabel("ε")
        a.set_ylabel("λ")
    for k in range(len(maps), nrows * ncols):
        ax.ravel()[k].set_visible(False)
    cb = fig.colorbar(mesh, ax=ax.ravel().tolist(), shrink=0.8, pad=0.01, spacing="uniform")
    cb.set_ticks(bounds)
    cb.set_ticklabels([f"{b:.1%}" if b < 0.01 else f"{b:.0%}" for b in bounds[:-1]] + [f"≥ {bounds[-2]:.0%}"])
    cb.set_label("|approximation / exact − 1|  (green: within 10 %)")
    fig.suptitle(
        f"Validity maps of the closed-form approximations (η0 = {fd.ETA}; grey: formula undefined or no exact"
        f" value; dotted: ε = {fd.EPS:g}) ({len(maps[0].lams)}×{len(maps[0].epss)} grid, {sizes.name})",
        fontsize=11,
    )
    return fig


# ------------------------------------------------------------------------------------------------------------- API
#: figure name -> (file stem, data function, drawing function)
FIGURES: dict[str, tuple[str, Callable, Callable]] = {
    "fig1": ("fig1_lambda", fd.fig1_data, draw_fig1),
    "fig2": ("fig2_dout", fd.fig2_data, draw_fig2),
    "fig3": ("fig3_weight_decay", fd.fig3_data, draw_fig3),
    "fig4": ("fig4_phase_diagrams", fd.fig4_data, draw_fig4),
    "fig5": ("fig5_two_layer", fd.fig5_data, draw_fig5),
    "fig6": ("fig6_late_time", fd.fig6_data, draw_fig6),
    "validity": ("validity_maps", fd.validity_data, draw_validity),
    "finite_size": ("fig_finite_size", finite_size_data, draw_finite_size),
    "structured_delta": ("fig_structured_delta", structured_delta_data, draw_structured_delta),
}


def _names(which) -> list[str]:
    allowed = ", ".join(FIGURES)
    if which is None:
        return list(FIGURES)
    if isinstance(which, str):
        which = [which]
    try:
        names = list(which)
    except TypeError:
        raise ValueError(f"which must be None, a figure name or a list of them ({allowed}), got {which!r}") from None
    bad = [n for n in names if not isinstance(n, str) or n not in FIGURES]
    if bad:
        raise ValueError(f"unknown figure name(s) {bad!r}; allowed: {allowed}")
    if not names:
        raise ValueError(f"which must name at least one figure ({allowed})")
    return list(dict.fromkeys(names))


def make_figure(name: str, *, quick: bool = False, progress: bool = False, fig4_simulated=(), collect=None) -> Figure:
    """Compute the data of figure ``name`` (a key of :data:`FIGURES`) and draw it; returns the matplotlib Figure."""
    (name,) = _names([name])
    sizes = fd.sizes_for(quick)
    _, data_fn, draw_fn = FIGURES[name]
    data = data_fn(sizes, progress)
    if collect is not None:
        collect[name] = data
    if name == "fig4":
        from .figure4_sim import SIM_GRIDS

        d_in = SIM_GRIDS["quick" if quick else "full"].d_in  # the simulated panels' size
        band = fd.delta_band(fd.band_lams(sizes), d_in=d_in, draws=sizes.band_draws, progress=progress)
        if collect is not None:
            collect["fig4_band"] = band
        return draw_fn(data, sizes, simulated=tuple(fig4_simulated), band=band)
    return draw_fn(data, sizes)


def draw_figures(
    out_dir,
    *,
    quick: bool = False,
    progress: bool = True,
    which=None,
    pdf: bool = False,
    fig4_simulated: Sequence[PhaseData] = (),
    collect: dict | None = None,
) -> list[Path]:
    """Draw the paper's Figs. 1-6 and the validity maps into ``out_dir`` (created if missing); return the paths.

    ``quick=True``: small sizes (``d_in = 200``, coarse grids, short two-layer runs; all figures in well under a
    minute); ``quick=False``: the paper's sizes (``d_in = 1000``; Fig. 5's 1000-d_h-5 MLPs for 20000 steps, the
    slow part).  ``which``: ``None`` (all), a name or a list of names from :data:`FIGURES` (``ValueError`` listing
    the allowed names otherwise).  ``pdf``: also write a PDF next to each PNG.  ``fig4_simulated``: extra
    :class:`~report.figures_data.PhaseData` panels (e.g. from a simulated sweep) drawn below the theory of Fig. 4
    on the same colour scale.  ``collect``: if a dict, filled with ``{name: data drawn}`` (see
    :mod:`report.figures_data`; Fig. 4 also adds ``"fig4_band"``, its finite-size band of Delta t).  ``progress``
    shows tqdm bars (figures, runs, validity maps).  Every file is written atomically (temporary file +
    ``os.replace``).
    """
    names = _names(which)
    for flag, value in (("quick", quick), ("progress", progress), ("pdf", pdf)):
        if not isinstance(value, bool | np.bool_):
            raise ValueError(f"{flag} must be a bool, got {value!r}")
    if collect is not None and not isinstance(collect, dict):
        raise ValueError(f"collect must be a dict or None, got {type(collect).__name__}")
    sim_panels = tuple(fig4_simulated)
    if any(not isinstance(p, PhaseData) for p in sim_panels):
        raise ValueError("fig4_simulated must be a sequence of report.figures_data.PhaseData")
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise ValueError(f"out_dir {str(out)!r} exists and is not a directory")
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    bar = tqdm(names, desc="figures", disable=not progress)
    for name in bar:
        bar.set_postfix_str(name)
        t0 = time.perf_counter()
        fig = make_figure(name, quick=quick, progress=progress, fig4_simulated=sim_panels, collect=collect)
        stem = FIGURES[name][0]
        paths.append(save_atomic(fig, out / f"{stem}.png", "png"))
        if pdf:
            paths.append(save_atomic(fig, out / f"{stem}.pdf", "pdf"))
        if progress:
            bar.write(f"{name}: {stem}.png in {time.perf_counter() - t0:.1f} s")
    return paths
