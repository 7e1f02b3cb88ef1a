"""Theory vs simulation at the paper's Fig. 2 and Fig. 3 parameters (run on demand).

``python benchmarks/fig23_agreement.py``: d_in = 1000, lam = 0.9, eta = 0.01, 5 seeds (spectral engine, exact GD).
Fig. 2: d_out in {1, 50, 700} (gamma = 0); Fig. 3: gamma in {1e-5, 1e-3, 1e-2} (d_out = 1).  For t in
{10, 100, 1000, 3000, 10000} it prints the seed mean +- seed SD of ``sim / theory - 1`` for the train loss and the exact
generalisation loss ``||D||^2 / d_out``, against numerics' gradient-flow prediction (the paper's) and against the
exact discrete-time GD prediction (``dynamics="gd"``).
"""

from __future__ import annotations

import numpy as np
from mpmath import mp

import numerics
import sim

D_IN, LAM, ETA, SEEDS = 1000, 0.9, 0.01, 5
TIMES = [10, 100, 1000, 3000, 10000]
CASES = [("Fig. 2", {"d_out": d}) for d in (1, 50, 700)] + [("Fig. 3", {"gamma": g}) for g in (1e-5, 1e-3, 1e-2)]


def main():
    n_train = int(round(D_IN / LAM))
    for fig, kw in CASES:
        runs = [
            sim.train(d_in=D_IN, n_train=n_train, eta=ETA, steps=TIMES[-1], record=TIMES, seed=s, n_gen=500, **kw)
            for s in range(SEEDS)
        ]
        with mp.workdps(15):
            theory = {
                dyn: {
                    "train": np.array([float(numerics.train_loss(t, LAM, eta=ETA, dynamics=dyn, **kw)) for t in TIMES]),
                    "gen": np.array([float(numerics.gen_loss(t, LAM, eta=ETA, dynamics=dyn, **kw)) for t in TIMES]),
                }
                for dyn in ("flow", "gd")
            }
        print(f"{fig} {kw}")
        for dyn in ("flow", "gd"):
            for key, attr in (("train", "train_loss"), ("gen", "gen_loss_exact")):
                err = np.array([getattr(r, attr) / theory[dyn][key] - 1 for r in runs])
                cells = ", ".join(
                    f"t={t}: {m:+.3f}+-{s:.3f}" for t, m, s in zip(TIMES, err.mean(0), err.std(0), strict=True)
                )
                print(f"  {dyn:4s} {key:5s} {cells}")


if __name__ == "__main__":
    main()
