"""``grokking-audit sweep``: simulated grokking times over a grid, next to the MP-limit prediction (Fig. 4)."""

from __future__ import annotations

import argparse
import sys

import sim


def add_parser(sub) -> argparse.ArgumentParser:
    """Register the ``sweep`` subcommand on an ``argparse`` subparsers object."""
    p = sub.add_parser(
        "sweep",
        help="simulated vs predicted grokking times over a (lam, gamma, d_out) grid (Fig. 4)",
        description="Run sim.train over the Cartesian product of the given values and seeds, measure t_train*,"
        " t_gen* and Delta t at an accuracy level, and print them next to the MP-limit prediction.",
    )
    p.add_argument("--d-in", type=int, nargs="+", default=[1000], help="input dimension(s) (default 1000)")
    p.add_argument("--lam", type=float, nargs="+", required=True, help="d_in / N_tr value(s)")
    p.add_argument("--gamma", type=float, nargs="+", default=[0.0], help="weight decay value(s) (default 0)")
    p.add_argument("--d-out", type=int, nargs="+", default=[1], help="output dimension(s) (default 1)")
    p.add_argument("--eta", type=float, default=0.01, help="GD step size (default 0.01)")
    p.add_argument("--eps", type=float, default=1e-3, help="accuracy threshold (default 1e-3)")
    p.add_argument("--steps", type=int, default=200_000, help="GD steps per run (default 200000)")
    p.add_argument("--seeds", type=int, default=2, help="number of seeds, 0..N-1 (default 2)")
    p.add_argument("--level", type=float, default=0.95, help="accuracy level of t* (default 0.95, as in Fig. 4)")
    p.add_argument("--theory", choices=["flow", "gd", "none"], default="flow", help="prediction (default flow)")
    p.add_argument("--out", default=None, help="JSON-lines file to stream to / resume from")
    p.add_argument("--csv", default=None, help="also write the table as CSV")
    p.add_argument("--retries", type=int, default=0, help="in-session retries of a failed run (default 0)")
    p.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    how = p.add_mutually_exclusive_group()
    how.add_argument("--workers", type=int, default=None, help="processes of the local pool (default: all CPUs)")
    how.add_argument("--serial", action="store_true", help="run in this process, one run at a time")
    how.add_argument("--dask", metavar="ADDRESS", default=None, help="Dask scheduler address (needs extra 'dask')")
    return p


def main(args) -> int:
    grid = {"d_in": args.d_in, "lam": args.lam, "gamma": args.gamma, "d_out": args.d_out}
    grid |= {"eta": args.eta, "eps": args.eps, "steps": args.steps}
    kw = {
        "seeds": range(args.seeds),
        "out": args.out,
        "level": args.level,
        "theory": None if args.theory == "none" else args.theory,
        "retries": args.retries,
        "progress": not args.no_progress and sys.stderr.isatty(),
    }
    if args.dask:
        from distributed import Client

        with Client(args.dask) as client:
            res = sim.sweep(grid, executor=client.get_executor(), **kw)
    else:
        res = sim.sweep(grid, executor="serial" if args.serial else None, max_workers=args.workers, **kw)
    if args.csv:
        res.to_csv(args.csv)
    print(
        f"{'d_in':>5} {'lam':>6} {'gamma':>8} {'d_out':>5} {'seed':>4} {'t_train':>10} {'t_gen':>10} {'delta':>10}"
        f" {'pred delta':>10} {'status':>6}"
    )

    def f(x):
        return f"{x:10.1f}" if x is not None else f"{'-':>10}"

    for r in res:
        print(
            f"{r['d_in']:5d} {r['lam']:6.3g} {r['gamma']:8.2g} {r['d_out']:5d} {r['seed']:4d} {f(r['t_train'])}"
            f" {f(r['t_gen'])} {f(r['delta'])} {f(r['pred_delta'])} {r['status']:>6}"
        )
    print(f"ran {res.ran}, reused {res.reused} (from --out), failed {res.failed}; {res.wall_time:.1f} s")
    return 1 if res.failed else 0
