"""Wall time of sim.train's engines on the paper's Fig. 1 run (run on demand: ``python benchmarks/bench_sim.py``).

Fig. 1: d_in = 1000, d_out = 1, lam in {0.1, 0.9, 1.5}, eta = 0.01, eps = 1e-3, 10^4 GD steps; here 5 seeds and
500 log-spaced recorded steps.  The spectral engine runs all of it.  The loop engine (literal GD with the data
matrix, ~ steps x N x d_in flops) runs the full 10^4 steps for ``--loop-seeds`` seeds per lam (default 1) and its
5-seed time is *extrapolated* as (seeds / loop_seeds) x the measured time: the cost of a run does not depend on the
seed (same shapes, same number of steps and records).  ``--loop-seeds 5`` measures everything.
The loop runs are also compared with the spectral ones, loss by loss.
Timings are wall-clock; other processes on the machine inflate them (OpenBLAS threads are very sensitive to it).
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np

import sim

D_IN, ETA, EPS, STEPS, POINTS = 1000, 0.01, 1e-3, 10_000, 500
LAMS = (0.1, 0.9, 1.5)
FLOORS = (1e-12, 1e-20)  # the loop cannot resolve |D| below ~1e-16 |T|, i.e. losses below ~1e-32


def run(engine: str, lam: float, seed: int, grid: np.ndarray):
    t0 = time.perf_counter()
    r = sim.train(
        d_in=D_IN, n_train=round(D_IN / lam), eta=ETA, eps=EPS, steps=STEPS, record=grid, seed=seed, engine=engine
    )
    return time.perf_counter() - t0, r


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=5)
    ap.add_argument("--loop-seeds", type=int, default=1, help="seeds per lam actually run with the loop engine")
    args = ap.parse_args(argv)
    loop_seeds = min(args.loop_seeds, args.seeds)
    grid = sim.log_steps(STEPS, POINTS)
    print(f"Fig. 1 benchmark: d_in={D_IN}, lam={LAMS}, {args.seeds} seeds, {STEPS} steps, {len(grid)} recorded steps")
    print(f"OPENBLAS_NUM_THREADS={os.environ.get('OPENBLAS_NUM_THREADS', 'unset')}, load avg {os.getloadavg()}")

    spectral, t_spec = {}, 0.0
    for lam in LAMS:
        times = []
        for seed in range(args.seeds):
            dt, spectral[lam, seed] = run("spectral", lam, seed, grid)
            times.append(dt)
        print(f"  spectral lam={lam}: {sum(times):7.2f} s for {args.seeds} runs (per run {np.round(times, 2)})")
        t_spec += sum(times)
    print(f"spectral total: {t_spec:.2f} s")

    t_loop, worst = 0.0, dict.fromkeys(FLOORS, 0.0)
    for lam in LAMS:
        times = []
        for seed in range(loop_seeds):
            dt, r = run("loop", lam, seed, grid)
            times.append(dt)
            ref = spectral[lam, seed]
            for name in ("train_loss", "gen_loss", "gen_loss_exact"):
                a, b = getattr(ref, name), getattr(r, name)
                for floor in FLOORS:
                    big = b > floor
                    worst[floor] = max(worst[floor], float(np.max(np.abs(a[big] / b[big] - 1))))
        total = sum(times) * args.seeds / loop_seeds
        how = "measured" if loop_seeds == args.seeds else f"{loop_seeds} measured, x{args.seeds / loop_seeds:g}"
        print(f"  loop     lam={lam}: {total:7.2f} s for {args.seeds} runs ({how}; per run {np.round(times, 2)})")
        t_loop += total
    print(f"loop total: {t_loop:.2f} s ({'measured' if loop_seeds == args.seeds else 'extrapolated over seeds'})")
    print(f"loop / spectral wall-time ratio: {t_loop / t_spec:.1f}")
    for floor, w in worst.items():
        print(f"max relative loop-vs-spectral difference of the losses where loss > {floor:g}: {w:.2e}")


if __name__ == "__main__":
    main()
