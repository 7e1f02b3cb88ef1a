"""Speed of the finite-size distribution (issue 11, item 5); ratios from one run, on demand (not in the tests).

1. ``d_in = 1000``, ``lam = 0.9``: 1000 draws of :func:`numerics.finite_size.grokking_time_distribution` against
   ``sim.train`` runs that give the same times (full data, full GD, the spectral engine; crossings read from 400
   log-spaced records as :mod:`derivations.finite_size_sim` does).  ``--sim-seeds`` runs are timed and the cost of
   1000 is extrapolated linearly (each seed is an independent run of the same cost).
2. ``d_in = 10^5``, ``lam = 0.9``: 1000 draws with ``workers=2`` (the hybrid spectrum), default ``exact_modes`` (16)
   and 32.

    python benchmarks/bench_finite_size.py [--sim-seeds 40]
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np

from derivations.finite_size_sim import Case, simulate
from numerics.finite_size import grokking_time_distribution


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--sim-seeds", type=int, default=40, help="simulated runs timed at d_in = 1000 (default 40)")
    args = p.parse_args()
    print(f"machine: {os.cpu_count()} cores")

    t0 = time.perf_counter()
    g = grokking_time_distribution(0.9, d_in=1000, draws=1000, seed=0)
    theory = time.perf_counter() - t0
    steps = int(1.5 * np.quantile(g.t_gen, 0.995))
    t0 = time.perf_counter()
    sim = simulate(Case(0.9, 1000, args.sim_seeds), steps)
    per_seed = (time.perf_counter() - t0) / args.sim_seeds
    print(
        f"d_in = 1000, lam = 0.9: theory 1000 draws {theory:.1f} s; sim.train {per_seed:.2f} s per seed"
        f" ({args.sim_seeds} timed, horizon {steps} steps) -> 1000 seeds ~{1000 * per_seed:.0f} s;"
        f" ratio {1000 * per_seed / theory:.0f}x"
    )
    med_sim, med_th = np.median(sim["t_gen"]), np.median(g.t_gen)
    print(f"  (same times: median t_gen* theory {med_th:.5g}, {args.sim_seeds} simulated {med_sim:.5g})")

    for modes in (None, 32):
        t0 = time.perf_counter()
        big = grokking_time_distribution(0.9, d_in=100_000, draws=1000, seed=0, workers=2, exact_modes=modes)
        wall = time.perf_counter() - t0
        q = big.quantiles((0.1, 0.5, 0.9))["t_gen"]
        print(
            f"d_in = 1e5, lam = 0.9, 1000 draws, 2 workers, exact_modes = {big.params['exact_modes']}:"
            f" {wall:.1f} s; t_gen* 10/50/90 % = {q[0]:.5g} / {q[1]:.5g} / {q[2]:.5g}"
        )


if __name__ == "__main__":
    main()
