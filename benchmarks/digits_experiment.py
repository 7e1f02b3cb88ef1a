"""Grokking on real images (issue 13, item 4): scikit-learn's digits against the structured theory.

Runs :func:`sim.digits.digits_experiment` and prints, per input source (``digits`` = real standardised images,
``gaussian`` = x ~ N(0, Sigma) with the digits' spectrum at the same d and N_tr) and lam = d / N_tr, the mean and
standard error over seeds of the measured crossing times next to ``numerics.grokking_time(lam,
spectrum=digits_spectrum())`` (gradient flow), and the seed-mean losses at the theory's crossing steps.  The
measured table and its discussion are in ``docs/digits.md``.

    python benchmarks/digits_experiment.py                       # 20 seeds, d = 61, lam = 0.5, 0.9 (~1 min)
    python benchmarks/digits_experiment.py --seeds 200           # the table of docs/digits.md
    python benchmarks/digits_experiment.py --min-images 200      # only pixels inked in >= 200 images (d = 48)
    python benchmarks/digits_experiment.py --gd-vs-flow          # also the isotropic GD-vs-flow time shift
"""

from __future__ import annotations

import argparse
import time

import mpmath

import numerics
from sim.digits import digits_experiment

ROWS = (
    ("t_train*  (L_tr = thr)", "train_loss", "t_train"),
    ("t_gen*    (L_ho = thr)", "gen_loss", "t_gen"),
    ("t_gen*    (L_pop = thr)", "gen_loss_pop", "t_gen"),
    ("Delta t   (loss, pop)", "loss_pop", "delta"),
    ("t_train*  (A_tr = level)", "train_acc", "t_train"),
    ("t_gen*    (A_ho = level)", "gen_acc", "t_gen"),
    ("Delta t   (accuracy)", "acc", "delta"),
)


def _fmt_row(label, s, theory):
    if s["n"] == 0:
        return f"  {label:26s} {'never':>10s} {'':>8s}   {_t(theory):>10s}   {'':>17s}  never {s['never']}"
    rel = "" if theory is None else f"{s['mean'] / theory - 1:+7.1%} ± {s['se'] / theory:5.1%}"
    never = f"  never {s['never']}" if s["never"] else ""
    return f"  {label:26s} {s['mean']:10.0f} {s['se']:8.0f}   {_t(theory):>10s}   {rel:>17s}{never}"


def _t(x):
    return "never" if x is None else f"{x:.0f}"


def gd_vs_flow(lams, eta, eps):
    """Relative shift of the isotropic grokking times, exact GD against gradient flow, at the same eta and lam."""
    out = []
    with mpmath.mp.workdps(15):
        for lam in lams:
            f = numerics.grokking_time(lam, eta=eta, eps=eps)
            g = numerics.grokking_time(lam, eta=eta, eps=eps, dynamics="gd")
            out.append((lam, float(g.t_train / f.t_train - 1), float(g.t_gen / f.t_gen - 1)))
    return out


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seeds", type=int, default=20, help="runs per cell (default 20)")
    ap.add_argument("--lams", type=float, nargs="+", default=[0.5, 0.9], help="target d/N_tr (default 0.5 0.9)")
    ap.add_argument("--eta", type=float, default=0.01, help="GD step (default 0.01)")
    ap.add_argument("--eps", type=float, default=1e-3, help="accuracy threshold (default 1e-3)")
    ap.add_argument("--min-images", type=int, default=1, help="keep pixels inked in >= this many images (default 1)")
    ap.add_argument("--points", type=int, default=600, help="recorded steps per run (default 600)")
    ap.add_argument("--gd-vs-flow", action="store_true", help="print the isotropic GD-vs-flow time shift")
    args = ap.parse_args(argv)
    t0 = time.perf_counter()
    e = digits_experiment(
        lams=args.lams,
        seeds=range(args.seeds),
        eta=args.eta,
        eps=args.eps,
        points=args.points,
        min_images=args.min_images,
    )
    d = e.rows[0].d
    print(
        f"digits teacher-student: d = {d} (pixels inked in >= {args.min_images} images), eta = {args.eta},"
        f" eps = {args.eps}, {args.seeds} seeds per cell, {e.rows[0].steps} GD steps;"
        f" spectrum min {e.spectrum[0]:.4f}, max {e.spectrum[-1]:.3f}"
    )
    print("times in GD steps: mean and standard error over seeds; theory = grokking_time(lam, spectrum=...) (flow)")
    for r in e.rows:
        print(f"\n{r.source}  N_tr = {r.n_train}  lam = {r.lam:.4f}")
        print(f"  {'':26s} {'mean':>10s} {'SE':>8s}   {'theory':>10s}   {'mean/theory - 1':>17s}")
        for label, key, th in ROWS:
            if r.source == "gaussian" and key in ("gen_loss",):
                continue  # identical to gen_loss_pop (the exact D^T Sigma D)
            print(_fmt_row(label, r.summary(key), r.theory[th]))
        for k, v in r.loss_at_theory.items():
            print(
                f"  at t = {v['step']:>7d} ({k}* theory): L_tr {v['train_mean']:.3e} ± {v['train_se']:.1e}"
                f" (theory {v['train_theory']:.3e}), L_pop {v['gen_pop_mean']:.3e} ± {v['gen_pop_se']:.1e}"
                f" (theory {v['gen_theory']:.3e})"
            )
    if args.gd_vs_flow:
        print("\nisotropic theory, exact GD against gradient flow at the same eta (relative time shift):")
        for lam, a, b in gd_vs_flow([r.lam for r in e.rows if r.source == e.rows[0].source], args.eta, args.eps):
            print(f"  lam = {lam:.4f}: t_train* {a:+.2e}, t_gen* {b:+.2e}")
    print(f"\n{time.perf_counter() - t0:.0f} s")


if __name__ == "__main__":
    main()
