"""sim.sweep serially and on the default process pool (run on demand: ``python benchmarks/bench_sweep.py``).

One linear layer at the paper's size (d_in = 1000, eta = 0.01, eps = 1e-3, d_out = 1), lam in {0.1, 0.3, 0.5, 0.7,
0.9} x gamma in {0, 1e-4, 1e-3} (a slice of the Fig. 4 centre panel), 2 seeds, 200000 steps (spectral engine, 400
recorded points), grokking level 0.95, theory "flow".  The same sweep runs with ``executor="serial"`` and with the
default pool; the script prints both wall times, their ratio, whether the two tables agree, and the relative
difference between the simulated and the predicted Delta t = t_gen* - t_tr* (per run and per point, seed-averaged).

BLAS threads: the pool's workers run single-threaded BLAS.  So that the serial baseline does the same work per core,
this script sets ``OPENBLAS_NUM_THREADS=OMP_NUM_THREADS=MKL_NUM_THREADS=1`` before numpy is imported, unless
``--blas-threads N`` is given (``0``: leave the environment alone).  On a shared, loaded machine a multi-threaded
serial baseline can be several times slower than a single-threaded one (OpenBLAS threads contend for the cores).
"""

from __future__ import annotations

import argparse
import os
import sys


def _parse(argv):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--d-in", type=int, default=1000)
    ap.add_argument("--lams", type=float, nargs="+", default=[0.1, 0.3, 0.5, 0.7, 0.9])
    ap.add_argument("--gammas", type=float, nargs="+", default=[0.0, 1e-4, 1e-3])
    ap.add_argument("--seeds", type=int, default=2)
    ap.add_argument("--steps", type=int, default=200_000)
    ap.add_argument("--theory", choices=["flow", "gd"], default="flow")
    ap.add_argument("--max-workers", type=int, default=None, help="default pool size (default: os.cpu_count())")
    ap.add_argument("--blas-threads", type=int, default=1, help="BLAS threads of this process (0: leave env alone)")
    ap.add_argument("--no-progress", action="store_true")
    return ap.parse_args(argv)


def main(argv=None):
    args = _parse(argv)
    if args.blas_threads:
        if "numpy" in sys.modules:
            print("warning: numpy already imported; --blas-threads has no effect on this process")
        for k in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
            os.environ[k] = str(args.blas_threads)
    import time

    import numpy as np

    import sim
    from sim.sweep import DETERMINISTIC

    grid = {"d_in": args.d_in, "lam": args.lams, "gamma": args.gammas, "steps": args.steps, "eps": 1e-3, "eta": 0.01}
    seeds = range(args.seeds)
    n_runs = len(args.lams) * len(args.gammas) * args.seeds
    env = {k: os.environ.get(k, "unset") for k in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")}
    print(
        f"sweep benchmark: d_in={args.d_in}, lam={args.lams}, gamma={args.gammas}, {args.seeds} seeds ({n_runs} runs)"
    )
    print(f"cpu_count={os.cpu_count()}, this process: {env}, load avg {os.getloadavg()}")
    kw = {"seeds": seeds, "theory": args.theory, "progress": not args.no_progress}

    t0 = time.perf_counter()
    serial = sim.sweep(grid, executor="serial", **kw)
    t_serial = time.perf_counter() - t0
    t0 = time.perf_counter()
    pool = sim.sweep(grid, max_workers=args.max_workers, **kw)
    t_pool = time.perf_counter() - t0
    same = [{k: r[k] for k in DETERMINISTIC} for r in serial] == [{k: r[k] for k in DETERMINISTIC} for r in pool]
    print(f"load avg after: {os.getloadavg()}")
    print(f"serial: {t_serial:7.2f} s  (sum of per-run worker times {np.nansum(serial.column('wall_time')):.2f} s)")
    print(
        f"pool:   {t_pool:7.2f} s  (sum of per-run worker times {np.nansum(pool.column('wall_time')):.2f} s;"
        f" max_workers={args.max_workers or os.cpu_count()}; incl. spawning the workers)"
    )
    print(f"serial / pool wall-time ratio: {t_serial / t_pool:.2f}; tables identical: {same}; errors: {pool.failed}")

    d_sim, d_pred = pool.column("delta"), pool.column("pred_delta")
    rel = d_sim / d_pred - 1
    print(f"\nDelta t sim vs theory ('{args.theory}'), per run ({np.isfinite(rel).sum()} with both finite):")
    print(f"  median |rel diff| {np.nanmedian(np.abs(rel)):.3f}, max {np.nanmax(np.abs(rel)):.3f}")
    print(f"{'lam':>5} {'gamma':>7} {'pred dt':>10} {'sim dt (seeds)':>30} {'rel(mean)':>9}")
    lam, gamma = pool.column("lam"), pool.column("gamma")
    per_point = []
    for a in args.lams:
        for g in args.gammas:
            m = (lam == a) & (gamma == g)
            mean = float(np.mean(d_sim[m]))
            pred = float(d_pred[m][0])
            per_point.append(mean / pred - 1)
            cells = " ".join(f"{x:9.1f}" for x in d_sim[m])
            print(f"{a:5.2f} {g:7.0e} {pred:10.1f} {cells:>30} {per_point[-1]:+9.3f}")
    pp = np.abs(np.array(per_point))
    print(f"per point (seed mean): median |rel diff| {np.nanmedian(pp):.3f}, max {np.nanmax(pp):.3f}")


if __name__ == "__main__":
    main()
