"""Grokking under the optimizers people use, against the full-batch GD theory (issue 14, item 3; docs/optimizers.md).

Parts (``--part``, default all; every run is ``sim.train(..., engine="loop")``, one linear layer, d_out = 1):

``sgd``
    Fig. 1's parameters (d_in = 1000, eta = 0.01, eps = 1e-3, lam in {0.1, 0.5, 0.9}), mini-batch SGD with several
    batch sizes against the GD theory (``numerics.grokking_time(..., dynamics="gd")``, isotropic MP limit) and the GD
    run of the same seed (same data, teacher and student; the batch order is an independent stream).  Beside the
    ratio t_gen(SGD)/t_gen(GD, same seed) it prints ``1/kappa``, the random-reshuffling rescaling of time derived in
    docs/optimizers.md, ``kappa = 1 + (eta/d_out) d_in (N - B)/(B (N - 1))`` (valid when t_gen spans many epochs).
``adamw``
    The same points under AdamW with PyTorch's defaults (betas (0.9, 0.999), eps 1e-8, weight_decay 0.01), lr 1e-3
    and 1e-2.
``replication``
    The replication scenario: AdamW, lr 1e-3, weight_decay 1.0, the paper's sizes (d_in = 1000, d_out = 1,
    eps = 1e-3), lam in {0.5, 0.9, 1.5}: grokking times and the plateau, against the weight-decay theory
    (``numerics.loss_limit(lam, which="gen", gamma=...)``) with the gamma derived for AdamW's decoupled decay,
    ``gamma_inf = d_out wd adam_eps``, and with the naive ``gamma = d_out wd``.  For one seed it also traces
    ``gamma_eff(t) = d_out wd (sqrt(vhat) + adam_eps)`` (median over weights) with the engine's own
    :class:`sim.optimizers.Optimizer`, and one seed runs 1e5 steps.
``gamma``
    The check of that derivation where Adam's fixed point is stable (adam_eps = 1e-2, so lr/adam_eps x 2 nu_max < 2):
    the simulated plateau against the exact nonlinear AdamW fixed point ``g_i = -wd p_i (|g_i| + adam_eps)``, the
    GD + gamma_eff fixed point ``D = -(gamma/2)(Sigma_tr + gamma/2)^{-1} T`` on the same data, and the MP limit.

t_train* is the first crossing of 95 % by ``train_acc_gauss`` (the Gaussian form Eq. 10 uses, with the run's
``D^T Sigma_tr D``), t_gen* by ``gen_acc_exact`` (exact given D), both interpolated in log t between 300 log-spaced
records (:func:`sim.sweep.first_crossing`); steps are optimizer updates (one mini-batch each for SGD).

Usage: ``python benchmarks/optimizer_measurements.py [--part sgd adamw replication gamma] [--seeds 3] [--quick]
[--json out.json]``.  ``--quick``: d_in = 200 and one seed (a smoke run, under a minute).  The full run took
19 min on one core (OMP_NUM_THREADS=1, on a shared 2-core machine); each part prints its table when done.
"""

from __future__ import annotations

import argparse
import json
import math
import time

import mpmath
import numpy as np
from scipy.optimize import fsolve
from scipy.special import erfinv

import numerics
import sim
from sim.optimizers import Optimizer, Spec
from sim.problem import draw
from sim.sweep import first_crossing

EPS, LEVEL = 1e-3, 0.95
#: the loss at which the Gaussian accuracy erf(sqrt(eps / (2 L))) is 95 % (Eq. 10, corrected reading)
L_STAR = EPS / (2 * erfinv(LEVEL) ** 2)


def times(r) -> tuple[float | None, float | None]:
    return first_crossing(r.t, r.train_acc_gauss, LEVEL), first_crossing(r.t, r.gen_acc_exact, LEVEL)


def gd_theory(lam: float, eta: float) -> tuple[float, float]:
    with mpmath.mp.workdps(15):
        g = numerics.grokking_time(lam, eta=eta, eps=EPS, dynamics="gd")
    return float(g.t_train), float(g.t_gen)


def run(d_in, lam, seed, steps, **kw):
    """One ``sim.train`` run (loop engine unless GD, which gets the exact spectral engine: the same dynamics)."""
    n = round(d_in / lam)
    start = time.perf_counter()
    engine = "auto" if kw.get("optimizer", "gd") == "gd" else "loop"
    try:
        r = sim.train(d_in=d_in, n_train=n, steps=steps, eps=EPS, seed=seed, n_gen=100, engine=engine,
                      record=sim.log_steps(steps, 300), **kw)  # fmt: skip
    except sim.DivergenceError as exc:
        return {"diverged": str(exc), "seconds": time.perf_counter() - start}
    t_tr, t_gen = times(r)
    tail = r.gen_loss_exact[r.t >= r.t[-1] // 2]  # the second half of the run: the plateau
    return {
        "t_train": t_tr,
        "t_gen": t_gen,
        "final_gen": float(r.gen_loss_exact[-1]),
        "tail_median_gen": float(np.median(tail)),
        "tail_max_gen": float(np.max(tail)),
        "seconds": time.perf_counter() - start,
    }


def kappa(d_in, n, batch, eta, d_out=1):
    """Random reshuffling at O(eta^2) per epoch: slow modes decay like GD with time multiplied by kappa."""
    return 1 + (eta / d_out) * d_in * (n - batch) / (batch * (n - 1))


def fmt(x, spec=".0f"):
    return "-" if x is None else format(x, spec)


def part_sgd(d_in, seeds, lams=(0.1, 0.5, 0.9), batches=(256, 64, 16, 12, 8), eta=0.01):
    out = []
    print(f"\n## SGD, d_in = {d_in}, eta = {eta}, eps = {EPS}: t* in steps (one step = one mini-batch)")
    print("| lam | B | epoch (steps) | seed | t_train* | t_gen* | GD run t_gen* | ratio | 1/kappa |", end="")
    print(" theory t_tr*, t_gen* |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for lam in lams:
        n = round(d_in / lam)
        th = gd_theory(lam, eta)
        steps = max(1000, int(1.5 * th[1]))
        for seed in seeds:
            gd = run(d_in, lam, seed, steps, eta=eta)
            row = {"part": "sgd", "lam": lam, "d_in": d_in, "seed": seed, "batch": None, "theory": th, **gd}
            out.append(row)
            print(f"| {lam} | GD | - | {seed} | {fmt(gd['t_train'])} | {fmt(gd['t_gen'])} | | | |", end="")
            print(f" {th[0]:.0f}, {th[1]:.0f} |")
            for b in batches:
                if b >= n:
                    continue
                s = run(d_in, lam, seed, steps, eta=eta, optimizer="sgd", batch_size=b)
                k = kappa(d_in, n, b, eta)
                ratio = None if s.get("t_gen") is None or gd["t_gen"] is None else s["t_gen"] / gd["t_gen"]
                out.append({"part": "sgd", "lam": lam, "d_in": d_in, "seed": seed, "batch": b, "kappa": k,
                            "gd_t_gen": gd["t_gen"], "ratio": ratio, **s})  # fmt: skip
                if "diverged" in s:
                    print(f"| {lam} | {b} | {math.ceil(n / b)} | {seed} | diverged: {s['diverged'].split(':')[1]} |")
                    continue
                print(f"| {lam} | {b} | {math.ceil(n / b)} | {seed} | {fmt(s['t_train'])} | {fmt(s['t_gen'])} |"
                      f" {fmt(gd['t_gen'])} | {fmt(ratio, '.3f')} | {1 / k:.3f} | |")  # fmt: skip
    return out


def part_adamw(d_in, seeds, lams=(0.1, 0.5, 0.9), lrs=(1e-3, 1e-2)):
    out = []
    print(f"\n## AdamW (PyTorch defaults: betas (0.9, 0.999), eps 1e-8, weight_decay 0.01), d_in = {d_in}")
    print("| lam | lr | seed | t_train* | t_gen* | Delta t | plateau L_gen (median, 2nd half) | GD theory eta=0.01 |")
    print("|---|---|---|---|---|---|---|---|")
    for lam in lams:
        th = gd_theory(lam, 0.01)
        for lr in lrs:
            steps = {0.1: 1500, 0.5: 8000, 0.9: 15000}.get(lam, 15000)
            for seed in seeds:
                r = run(d_in, lam, seed, steps, eta=lr, optimizer="adamw")
                out.append({"part": "adamw", "lam": lam, "lr": lr, "d_in": d_in, "seed": seed, "theory": th, **r})
                dt = None if r.get("t_gen") is None or r.get("t_train") is None else r["t_gen"] - r["t_train"]
                plateau = r.get("tail_median_gen", float("nan"))
                print(f"| {lam} | {lr:g} | {seed} | {fmt(r.get('t_train'))} | {fmt(r.get('t_gen'))} | {fmt(dt)} |"
                      f" {plateau:.2e} | {th[0]:.0f}, {th[1]:.0f} (Delta {th[1] - th[0]:.0f}) |")  # fmt: skip
    return out


def gamma_trace(d_in, lam, seed, steps, checkpoints, lr=1e-3, wd=1.0, adam_eps=1e-8):
    """AdamW with the engine's own update rule and gradient (the numbers of ``sim.train``), recording
    ``gamma_eff(t) = d_out wd (sqrt(vhat) + adam_eps)`` over the weights and the GD weight-decay plateau
    ``numerics.loss_limit(lam, gamma=median gamma_eff)`` that a frozen gamma would give."""
    n = round(d_in / lam)
    p = draw(d_in=d_in, n_train=n, d_out=1, hidden=None, activation="linear", n_gen=1, label_noise=0.0,
             student_scale=1.0, seed=seed)  # fmt: skip
    x, y, teacher = p.x, p.y, p.teacher[0]
    s = p.student[0].copy()
    spec = Spec("adamw", betas=(0.9, 0.999), adam_eps=adam_eps, weight_decay=wd)
    opt = Optimizer(spec, lr, (s,))
    rows = []
    for t in range(1, steps + 1):
        grad = (2.0 / n) * (x.T @ (x @ s - y))  # sim.linear.run_loop's gradient (gamma = 0, d_out = 1)
        opt.step((s,), (grad,))
        if t in checkpoints:
            g = wd * (np.sqrt(opt.v[0] / (1 - 0.999**t)) + adam_eps)
            with mpmath.mp.workdps(15):
                plateau = float(numerics.loss_limit(lam, which="gen", gamma=float(np.median(g))))
            rows.append({"t": t, "gamma_median": float(np.median(g)), "gamma_p90": float(np.quantile(g, 0.9)),
                         "gen": float(np.sum((s - teacher) ** 2)), "plateau_if_frozen": plateau})  # fmt: skip
    ref = sim.train(d_in=d_in, n_train=n, steps=steps, seed=seed, n_gen=1, engine="loop", optimizer="adamw",
                    eta=lr, weight_decay=wd, adam_eps=adam_eps, record=sorted(checkpoints))  # fmt: skip
    same = np.array_equal(ref.gen_loss_exact, [row["gen"] for row in rows])
    return rows, same


def part_replication(d_in, seeds, lams=(0.5, 0.9, 1.5), steps=20_000, long_steps=100_000, lr=1e-3, wd=1.0):
    out = []
    print(f"\n## Replication scenario: AdamW lr {lr}, weight_decay {wd}, d_in = {d_in}, eps = {EPS}")
    with mpmath.mp.workdps(15):
        lim = {lam: (float(numerics.loss_limit(lam, which="gen", gamma=wd * 1e-8)),
                     float(numerics.loss_limit(lam, which="gen", gamma=wd))) for lam in lams}  # fmt: skip
    print(f"95 % accuracy <=> L < {L_STAR:.3g}")
    print(
        "| lam | seed | steps | t_train* | t_gen* | L_gen plateau (median / max, 2nd half) | theory plateau,"
        " gamma = d_out wd eps_adam | naive gamma = d_out wd | GD theory (eta = lr) t_tr*, t_gen* |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for lam in lams:
        th = gd_theory(lam, lr) if lam < 1 else (None, None)
        for i, seed in enumerate(seeds):
            st = long_steps if (i == 0 and lam == 0.9) else steps
            r = run(d_in, lam, seed, st, eta=lr, optimizer="adamw", weight_decay=wd)
            out.append({"part": "replication", "lam": lam, "d_in": d_in, "seed": seed, "steps": st, "theory": th,
                        "limit_derived": lim[lam][0], "limit_naive": lim[lam][1], **r})  # fmt: skip
            print(f"| {lam} | {seed} | {st} | {fmt(r.get('t_train'))} | {fmt(r.get('t_gen'))} |"
                  f" {r.get('tail_median_gen', float('nan')):.2e} / {r.get('tail_max_gen', float('nan')):.2e} |"
                  f" {lim[lam][0]:.2e} | {lim[lam][1]:.3f} | {fmt(th[0])}, {fmt(th[1])} |")  # fmt: skip
    checkpoints = {100, 300, 1000, 2000, 3000, 5000, 7000, 10000, 20000}
    gc = {lam: math.sqrt(2 * EPS * (1 - lam) ** 3) if lam < 1 else None for lam in lams}
    print(
        f"\ngamma_eff(t) = d_out wd (sqrt(vhat) + eps_adam) over the weights, seed {seeds[0]}; gamma_c ~ sqrt(2 eps"
        f" (1 - lam)^3) (README) = {gc}; plateau: numerics.loss_limit(lam, gamma=median)"
    )
    print("| lam | t | median gamma_eff | 90 % | L_gen(t) | GD+gamma plateau at the median |")
    print("|---|---|---|---|---|---|")
    for lam in lams:
        trace, same = gamma_trace(d_in, lam, seeds[0], max(checkpoints), checkpoints, lr=lr, wd=wd)
        out.append({"part": "gamma_trace", "lam": lam, "d_in": d_in, "seed": seeds[0], "rows": trace,
                    "bit_identical_to_sim_train": same})  # fmt: skip
        for row in trace:
            print(
                f"| {lam} | {row['t']} | {row['gamma_median']:.2e} | {row['gamma_p90']:.2e} | {row['gen']:.2e} |"
                f" {row['plateau_if_frozen']:.2e} |"
            )
        print(f"(lam = {lam}: trace loop bit-identical to sim.train: {same})")
    return out


def part_gamma(d_in, seed=0, lams=(0.5, 0.9), wd=1.0, adam_eps=1e-2, lr=1e-3, steps=30_000):
    out = []
    g_eff = wd * adam_eps  # d_out = 1
    print(
        f"\n## AdamW plateau vs weight-decay theory, adam_eps = {adam_eps} (stable fixed point), wd = {wd},"
        f" lr = {lr}, d_in = {d_in}, gamma_eff = d_out wd adam_eps = {g_eff:g}"
    )
    print(
        "| lam | simulated L_gen (end) | exact AdamW fixed point | GD + gamma_eff, same data | MP limit"
        " loss_limit(gamma_eff) |"
    )
    print("|---|---|---|---|---|")
    for lam in lams:
        n = round(d_in / lam)
        r = sim.train(d_in=d_in, n_train=n, steps=steps, seed=seed, n_gen=1, engine="loop", optimizer="adamw",
                      eta=lr, weight_decay=wd, adam_eps=adam_eps, record=[0, steps // 2, steps])  # fmt: skip
        p = draw(d_in=d_in, n_train=n, d_out=1, hidden=None, activation="linear", n_gen=1, label_noise=0.0,
                 student_scale=1.0, seed=seed)  # fmt: skip
        sig, teacher = p.x.T @ p.x / n, p.teacher[0]
        d_gd = -(g_eff / 2) * np.linalg.solve(sig + g_eff / 2 * np.eye(d_in), teacher)

        def f(dv, sig=sig, teacher=teacher):  # AdamW stationarity with mhat = g, vhat = g^2: g + wd p (|g| + eps) = 0
            dv = dv.reshape(-1, 1)
            g = 2 * sig @ dv
            return (g + wd * (dv + teacher) * (np.abs(g) + adam_eps)).ravel()

        d_fix = fsolve(f, d_gd.ravel(), xtol=1e-13).reshape(-1, 1)
        with mpmath.mp.workdps(15):
            mp_lim = float(numerics.loss_limit(lam, which="gen", gamma=g_eff))
        row = {"part": "gamma", "lam": lam, "d_in": d_in, "sim_start_half_end": r.gen_loss_exact.tolist(),
               "fixed_point": float(np.sum(d_fix**2)), "fixed_point_residual": float(np.abs(f(d_fix.ravel())).max()),
               "gd_gamma_eff": float(np.sum(d_gd**2)), "mp_limit": mp_lim}  # fmt: skip
        out.append(row)
        print(
            f"| {lam} | {r.gen_loss_exact[-1]:.6e} (half-way {r.gen_loss_exact[1]:.6e}) | {row['fixed_point']:.6e}"
            f" (residual {row['fixed_point_residual']:.0e}) | {row['gd_gamma_eff']:.4e} | {mp_lim:.4e} |"
        )
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--part", nargs="+", default=["sgd", "adamw", "replication", "gamma"],
                    choices=["sgd", "adamw", "replication", "gamma"])  # fmt: skip
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--quick", action="store_true", help="d_in = 200, one seed, short runs")
    ap.add_argument("--json", default=None, help="write every measured row to this file")
    args = ap.parse_args()
    d_in = 200 if args.quick else 1000
    seeds = list(range(1 if args.quick else args.seeds))
    rows = []
    start = time.perf_counter()
    for part in args.part:
        if part == "sgd":
            rows += part_sgd(d_in, seeds)
        elif part == "adamw":
            rows += part_adamw(d_in, seeds)
        elif part == "replication":
            rows += part_replication(d_in, seeds, long_steps=20_000 if args.quick else 100_000)
        else:
            rows += part_gamma(d_in)
        if args.json:
            with open(args.json, "w") as fh:
                json.dump(rows, fh, indent=1)
    print(f"\n{time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main()
