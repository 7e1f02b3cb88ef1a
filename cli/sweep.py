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
    opt = p.add_argument_group(
        "optimizer (default full-batch GD; PyTorch's update rules, see sim.optimizers)",
        "Keywords apply to the optimizers that use them; with GD only, the run keys are those of older sweeps.",
    )
    opt.add_argument(
        "--optimizer",
        nargs="+",
        choices=["gd", "momentum", "nesterov", "sgd", "adam", "adamw"],
        default=None,
        help="optimizer(s) (default gd); --eta is the learning rate of each",
    )
    opt.add_argument("--momentum", type=float, nargs="+", default=None, help="beta in [0, 1) (momentum, nesterov)")
    opt.add_argument("--batch-size", type=int, nargs="+", default=None, help="mini-batch size(s) (sgd)")
    opt.add_argument("--betas", type=float, nargs=2, default=None, metavar=("B1", "B2"), help="Adam's betas")
    opt.add_argument("--adam-eps", type=float, nargs="+", default=None, help="Adam's eps (default 1e-8)")
    opt.add_argument(
        "--weight-decay",
        type=float,
        nargs="+",
        default=None,
        help="optimizer-side decay of adam (L2) / adamw (decoupled); default 0 / 0.01. --gamma is the loss's",
    )
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
    for key in ("optimizer", "momentum", "batch_size", "adam_eps", "weight_decay"):
        if getattr(args, key) is not None:
            grid[key] = getattr(args, key)
    if args.betas is not None:
        grid["betas"] = [tuple(args.betas)]
    kw = {
        "seeds": range(args.seeds),
        "out": args.out,
        "level": args.level,
        "theory": None if args.theory == "none" else args.theory,
        "retries": args.retries,
        "progress": not args.no_progress and sys.stderr.isatty(),
    }
    res = _sweep(grid, args, kw)  # a bad grid raises ValueError: cli.app turns it into a usage error
    if args.csv:
        res.to_csv(args.csv)
    opt = any(r["optimizer"] != "gd" for r in res)
    opt_head = f" {'optimizer':>25}" if opt else ""
    print(
        f"{'d_in':>5} {'lam':>6} {'gamma':>8} {'d_out':>5}{opt_head} {'seed':>4}"
        f" {'t_train':>10} {'t_gen':>10} {'delta':>10} {'pred delta':>10} {'status':>6}"
    )

    def f(x):
        return f"{x:10.1f}" if x is not None else f"{'-':>10}"

    for r in res:
        print(
            f"{r['d_in']:5d} {r['lam']:6.3g} {r['gamma']:8.2g} {r['d_out']:5d}{f' {_opt(r):>25}' if opt else ''}"
            f" {r['seed']:4d} {f(r['t_train'])} {f(r['t_gen'])} {f(r['delta'])} {f(r['pred_delta'])} {r['status']:>6}"
        )
    print(f"ran {res.ran}, reused {res.reused} (from --out), failed {res.failed}; {res.wall_time:.1f} s")
    return 1 if res.failed else 0


def _opt(r) -> str:
    """The optimizer column: its name and the keyword that tells runs apart (momentum, batch size, weight decay)."""
    name = r["optimizer"]
    if name in ("momentum", "nesterov"):
        return f"{name} b={r['momentum']:g}"
    if name == "sgd":
        return f"sgd B={r['batch_size']}"
    if name in ("adam", "adamw"):
        return f"{name} wd={r['weight_decay']:g}"
    return name


def _sweep(grid, args, kw) -> sim.SweepResult:
    if args.dask:
        from distributed import Client

        with Client(args.dask) as client:
            res = sim.sweep(grid, executor=client.get_executor(), **kw)
    else:
        res = sim.sweep(grid, executor="serial" if args.serial else None, max_workers=args.workers, **kw)
    return res
