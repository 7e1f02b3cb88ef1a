"""Structured inputs (issue 13, accuracy): simulated mean losses at d_in = 2000 against the proportional-limit theory.

Configurations: power-law spectra ``sigma_k ~ k^-alpha`` (mean 1, :func:`numerics.spectra.power_law`) with
``alpha in {0.5, 1}``, ``lam in {0.5, 0.9}``, ``N_tr = round(d_in / lam)``, one output, no weight decay, no label
noise, ``eps = 1e-3`` (accuracy level Erf(sqrt 2), i.e. the loss ``eps / 4``).

Step size.  The simulator is discrete GD, ``D_{t+1} = (I - 2 eta Sigma_tr) D_t``; the theory
(:mod:`numerics.structured`) is gradient flow, ``e^{-4 eta t Sigma_tr}``.  The paper's ``eta = 0.01`` is unstable
here (``alpha = 1``: ``sigma_max = d / H_d ~ 245``, ``nu_max ~ 250``), so ``eta = 1e-4`` (``eta nu_max <= 0.025``).
Per mode GD / flow ``= exp(2t (log(1 - x) + x)) ~ exp(-(s nu) (eta nu))`` with ``x = 2 eta nu``, ``s = 4 eta t``:
the relative gap is about ``eta nu`` for the modes that dominate at time ``t`` (``s nu ~ 1``), i.e. ``O(1 / (4t))``
in steps.  It is measured exactly below (same draws, both dynamics).

Per seed (the draw of ``sim.train(input_cov=spectrum, seed=seed)``, reproduced from the documented order of
:mod:`sim.problem` -- training inputs, teacher, student -- and eigendecomposed once; losses at 24 log-spaced steps
from 10 to the theory's ``t_gen*``):

* ``sim``: the run's ``train_loss = D^T Sigma_tr D`` and ``gen_loss_exact = D^T Sigma D`` under exact GD,
  ``D_t = V (1 - 2 eta nu)^t V^T D_0`` -- the simulator's spectral engine.  On every ``--sim-every``-th seed
  ``sim.train`` itself is run and must give the same numbers to 1e-8 (measured: <= 7e-12); the other seeds skip it
  to halve the cost (one eigendecomposition instead of two).  The raw observable; its seed spread is large (one
  ``chi^2_1`` per dominant mode: 5-30 %), so the standard error of the mean is the limit.
* ``cond``: the same draw's loss averaged exactly over the initialisation ``D_0`` (``E D_0 D_0^T = I/d``), given the
  training data: ``(1/d) sum_i nu_i f_i^2`` and ``(1/d) sum_i (v_i^T Sigma v_i) f_i^2`` with ``f_i = (1-2 eta
  nu_i)^t`` (GD) or ``e^{-2 eta nu_i t}`` (flow).  A Rao-Blackwellisation: same mean as ``sim``, a much smaller
  spread, so it resolves the theory's finite-size bias; ``cond_gd / cond_flow - 1`` is the GD-vs-flow gap on the
  same draws.

Prints a Markdown table (per configuration and loss: seeds, max relative error and max ``|error| / SE`` over the
times, for ``sim`` against the flow theory, ``cond`` (flow) against the flow theory, and the GD-flow gap; the
theory's ``t_train*``, ``t_gen*``), and with ``--gd-theory`` also ``sim`` and ``cond`` (GD) against the theory's
exact-GD losses (``losses_float(..., dynamics="gd")``, if this ``numerics`` has them).  The per-seed arrays go to
``--npz`` (``--report-only`` reprints the table from it).  About 2 s of CPU per seed and configuration (4 s with
``sim.train``: a 2000 x 2000 eigendecomposition each, one BLAS thread per process); 200 seeds x 4 configurations
with ``--sim-every 5`` take ~35 min of CPU.

    python benchmarks/structured_agreement.py [--seeds 200] [--workers 2] [--sim-every 5] [--npz out.npz] [--quick]
    python benchmarks/structured_agreement.py --scaling [250 500 1000] [--seeds 200]   # finite-size bias vs d_in
"""

from __future__ import annotations

import os

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")  # one BLAS thread per process: much faster than two on a shared 2-core box

import argparse  # noqa: E402
import time  # noqa: E402
from concurrent.futures import ProcessPoolExecutor  # noqa: E402
from dataclasses import dataclass  # noqa: E402

import numpy as np  # noqa: E402

import numerics  # noqa: E402
import sim  # noqa: E402
from numerics import spectra, structured  # noqa: E402

D_IN = 2000
ETA = 1e-4
EPS = 1e-3
N_TIMES = 24
T_FIRST = 10
CONFIGS = ((0.5, 0.5), (0.5, 0.9), (1.0, 0.5), (1.0, 0.9))
KINDS = ("sim_tr", "sim_gen", "cond_tr_flow", "cond_gen_flow", "cond_tr_gd", "cond_gen_gd")


@dataclass(frozen=True)
class Theory:
    alpha: float
    lam: float
    t_train: float
    t_gen: float
    times: np.ndarray  # integer GD steps
    train: np.ndarray  # flow theory at ``times``
    gen: np.ndarray


def theory(alpha: float, lam: float, d_in: int = D_IN, eta: float = ETA) -> Theory:
    sp = spectra.power_law(alpha, d_in)
    g = numerics.grokking_time(lam, eta=eta, eps=EPS, spectrum=sp)
    t_tr, t_gen = float(g.t_train), float(g.t_gen)
    times = np.unique(np.round(np.geomspace(T_FIRST, t_gen, N_TIMES)).astype(np.int64))
    tr, ge = structured.losses_float(times.astype(float), lam, sp, eta=eta)
    return Theory(alpha, lam, t_tr, t_gen, times, tr, ge)


def one_seed(
    alpha: float, lam: float, seed: int, times: np.ndarray, run_sim: bool = True, d_in: int = D_IN, eta: float = ETA
) -> dict:
    """The simulator's losses and the conditional (``D_0``-averaged) GD and flow losses of one seed.

    ``run_sim``: also run :func:`sim.train` and check that the reconstructed draw gives its numbers (``check``, the
    largest relative difference); otherwise ``sim_*`` are the reconstruction's (``check`` is NaN)."""
    sp = spectra.power_law(alpha, d_in)
    n = round(d_in / lam)
    # the same draw (sim.problem's order: training inputs, teacher, student), eigendecomposed here
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, d_in)) * np.sqrt(sp)
    scale = np.sqrt(1.0 / (2.0 * d_in))
    teacher = rng.standard_normal((d_in, 1)) * scale
    student = rng.standard_normal((d_in, 1)) * scale
    nu, v = np.linalg.eigh(x.T @ x / n)
    proj = (v.T @ (student - teacher))[:, 0]
    t = times.astype(float)[None, :]
    gd = np.exp(t * np.log1p(-2.0 * eta * nu)[:, None])  # (1 - 2 eta nu)^t, d x T
    flow = np.exp(-2.0 * eta * nu[:, None] * t)
    # raw GD from this eigendecomposition: must be sim.train's numbers
    y = gd * proj[:, None]
    raw_tr = (nu[:, None] * y**2).sum(axis=0)
    raw_gen = (sp[:, None] * (v @ y) ** 2).sum(axis=0)
    check = np.nan
    if run_sim:
        r = sim.train(
            d_in=d_in, n_train=n, eta=eta, steps=int(times[-1]), record=times, n_gen=1, input_cov=sp, seed=seed,
            exact_accuracy=False,
        )  # fmt: skip
        check = max(np.max(np.abs(raw_tr / r.train_loss - 1)), np.max(np.abs(raw_gen / r.gen_loss_exact - 1)))
        if not check < 1e-8:
            raise RuntimeError(f"reconstructed draw differs from sim.train by {check:.2e} (alpha={alpha}, lam={lam})")
    w = (v**2 * sp[:, None]).sum(axis=0)  # v_i^T Sigma v_i
    return {
        "sim_tr": raw_tr,
        "sim_gen": raw_gen,
        "cond_tr_flow": (nu[:, None] * flow**2).mean(axis=0),
        "cond_gen_flow": (w[:, None] * flow**2).mean(axis=0),
        "cond_tr_gd": (nu[:, None] * gd**2).mean(axis=0),
        "cond_gen_gd": (w[:, None] * gd**2).mean(axis=0),
        "check": check,
    }


def _task(args):
    return one_seed(*args)


def gd_theory(alpha: float, lam: float, times: np.ndarray):
    """The proportional-limit losses under exact GD (``numerics.structured.losses_float(..., dynamics="gd")``,
    float64) at ``times``, or ``None`` if this ``numerics`` has no GD path for structured inputs."""
    sp = spectra.power_law(alpha, D_IN)
    try:
        tr, ge = structured.losses_float(times.astype(float), lam, sp, eta=ETA, dynamics="gd")
    except (TypeError, NotImplementedError):
        return None
    return tr, ge


def compare(samples: np.ndarray, ref: np.ndarray) -> dict:
    """Mean over seeds (rows of ``samples``) against ``ref`` at each time: relative error, error / SE, SE / mean,
    and their maxima over the times."""
    m = samples.mean(axis=0)
    se = samples.std(axis=0, ddof=1) / np.sqrt(samples.shape[0])
    rel, z = m / ref - 1, (m - ref) / se
    return {
        "rel": rel, "z": z, "se_rel": se / m, "max_rel": float(np.max(np.abs(rel))),
        "max_z": float(np.max(np.abs(z))), "max_se_rel": float(np.max(se / m)),
    }  # fmt: skip


def simulate(configs, seeds: int, workers: int, path: str, sim_every: int = 1) -> None:
    """Run every configuration and save the per-seed arrays and the theory to the ``.npz`` file ``path``."""
    data = {}
    with ProcessPoolExecutor(workers) as pool:
        for alpha, lam in configs:
            t0 = time.perf_counter()
            th = theory(alpha, lam)
            t_theory = time.perf_counter() - t0
            res = list(pool.map(_task, [(alpha, lam, s, th.times, s % sim_every == 0) for s in range(seeds)]))
            key = f"a{alpha:g}_l{lam:g}"
            for k in KINDS:
                data[f"{key}/{k}"] = np.array([r[k] for r in res])
            data[f"{key}/check"] = np.array([r["check"] for r in res])
            data[f"{key}/times"] = th.times
            data[f"{key}/theory"] = np.array([th.train, th.gen])
            data[f"{key}/meta"] = np.array([alpha, lam, th.t_train, th.t_gen, time.perf_counter() - t0, t_theory])
            np.savez(path, **data)  # after every configuration
            checks = data[f"{key}/check"]
            print(
                f"alpha={alpha:g} lam={lam:g}: {seeds} seeds in {time.perf_counter() - t0:.0f} s (theory"
                f" {t_theory:.0f} s; largest difference of the reconstructed draw to sim.train, over the"
                f" {np.isfinite(checks).sum()} seeds run through it: {np.nanmax(checks):.1e})",
                flush=True,
            )


def report(path: str, gd: bool = False) -> None:
    """Print the Markdown table of the module docstring from the ``.npz`` file of :func:`simulate`."""
    z = np.load(path)
    keys = sorted({k.split("/")[0] for k in z.files})
    print(
        "| alpha | lam | loss | seeds | sim vs flow: max rel err | max abs(err)/SE | max SE/mean |"
        " cond vs flow: max rel err | max abs(err)/SE | max SE/mean | GD-flow gap (max abs) |"
        " sim vs flow x GD factor: max abs(err)/SE | t_train* | t_gen* |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    extra = []
    for key in keys:
        alpha, lam, t_tr, t_gen = z[f"{key}/meta"][:4]
        theory_ = z[f"{key}/theory"]
        for i, (loss, name) in enumerate((("tr", "train"), ("gen", "gen"))):
            sims, ref = z[f"{key}/sim_{loss}"], theory_[i]
            gap = (z[f"{key}/cond_{loss}_gd"] / z[f"{key}/cond_{loss}_flow"] - 1).mean(axis=0)
            s, c, g = compare(sims, ref), compare(z[f"{key}/cond_{loss}_flow"], ref), compare(sims, ref * (1 + gap))
            print(
                f"| {alpha:g} | {lam:g} | {name} | {sims.shape[0]} | {s['max_rel']:.2%} | {s['max_z']:.2f} |"
                f" {s['max_se_rel']:.2%} | {c['max_rel']:.2%} | {c['max_z']:.2f} | {c['max_se_rel']:.2%} |"
                f" {np.max(np.abs(gap)):.2%} | {g['max_z']:.2f} | {t_tr:.6g} | {t_gen:.6g} |"
            )
        if gd:
            gdt = gd_theory(alpha, lam, z[f"{key}/times"])
            if gdt is None:
                extra.append(f"alpha={alpha:g} lam={lam:g}: numerics has no dynamics='gd' for spectrum= (yet)")
                continue
            parts = []
            for i, loss in enumerate(("tr", "gen")):
                for kind in ("sim", "cond"):
                    col = f"{key}/{kind}_{loss}" if kind == "sim" else f"{key}/cond_{loss}_gd"
                    c = compare(z[col], gdt[i])
                    parts.append(f"{kind} {loss} {c['max_rel']:.2%} (z {c['max_z']:.2f})")
            extra.append(f"alpha={alpha:g} lam={lam:g} against the GD theory: " + ", ".join(parts))
    for line in extra:
        print(line)


def scaling(alpha: float, lam: float, sizes, seeds: int, workers: int) -> None:
    """The finite-size bias of the conditional (``D_0``-averaged) flow losses at ``t_gen*`` against ``d_in``: one
    Markdown row per size (the spectrum is ``power_law(alpha, d_in)`` and the theory that of the same spectrum)."""
    print(f"Finite-size bias at alpha={alpha:g}, lam={lam:g} (cond, flow; {seeds} seeds per size):")
    print("| d_in | train: rel err at t_gen* (+- SE) | gen: rel err at t_gen* (+- SE) | max over t (train, gen) |")
    print("|---|---|---|---|")
    with ProcessPoolExecutor(workers) as pool:
        for d_in in sizes:
            th = theory(alpha, lam, d_in)
            res = list(pool.map(_task, [(alpha, lam, s, th.times, False, d_in) for s in range(seeds)]))
            cells, maxima = [], []
            for loss, ref in (("tr", th.train), ("gen", th.gen)):
                c = compare(np.array([r[f"cond_{loss}_flow"] for r in res]), ref)
                cells.append(f"{c['rel'][-1]:+.3%} +- {c['se_rel'][-1]:.3%}")
                maxima.append(f"{c['max_rel']:.3%}")
            print(f"| {d_in} | {cells[0]} | {cells[1]} | {', '.join(maxima)} |", flush=True)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--seeds", type=int, default=200, help="seeds per configuration (default 200)")
    p.add_argument("--workers", type=int, default=1, help="processes (default 1)")
    p.add_argument(
        "--sim-every", type=int, default=1,
        help="run sim.train (and check the reconstruction against it) on every k-th seed only (default 1: all)",
    )  # fmt: skip
    p.add_argument("--npz", default="structured_agreement.npz", help="per-seed arrays (written, or read)")
    p.add_argument("--report-only", action="store_true", help="only print the table of an existing --npz file")
    p.add_argument("--gd-theory", action="store_true", help="also compare with numerics' dynamics='gd' losses")
    p.add_argument("--quick", action="store_true", help="alpha = 1, lam = 0.9 only, 8 seeds")
    p.add_argument(
        "--scaling", type=int, nargs="*", default=None, metavar="D_IN",
        help="instead: the finite-size bias of cond at alpha = 1, lam = 0.9 for these d_in (default 250 500 1000)",
    )  # fmt: skip
    args = p.parse_args()
    if args.scaling is not None:
        scaling(1.0, 0.9, args.scaling or (250, 500, 1000), args.seeds, args.workers)
        return
    if not args.report_only:
        configs = ((1.0, 0.9),) if args.quick else CONFIGS
        simulate(configs, 8 if args.quick else args.seeds, args.workers, args.npz, args.sim_every)
        print()
    report(args.npz, gd=args.gd_theory)


if __name__ == "__main__":
    main()
