"""Theory vs simulation at the paper's Fig. 1 parameters (run on demand: ``python benchmarks/fig1_agreement.py``).

d_in = 1000, d_out = 1, gamma = 0, eta = 0.01, lam in {0.1, 0.9, 1.5}, 5 seeds (spectral engine, exact GD).
For t in {10, 100, 1000, 3000, 10000} it prints the seed-mean and seed standard deviation of the relative error
``sim / theory - 1`` for

* ``numerics.train_loss`` / ``numerics.gen_loss`` -- the paper's gradient-flow MP-limit losses (Eq. 8/9);
* the same MP expectation with GD's discrete-time factor, ``E[nu^q (1 - 2 eta nu)^(2t)]`` -- isolating the
  finite-size part of the discrepancy from the gradient-flow approximation (``GF->GD`` column: the gap between the
  two theories).

Also the accuracies: sim vs ``numerics.accuracy`` of the theory loss (absolute difference, eps = 1e-3).
"""

from __future__ import annotations

import mpmath
import numpy as np
from mpmath import mp

import numerics
import sim

D_IN, ETA, EPS, SEEDS = 1000, 0.01, 1e-3, 5
TIMES = [10, 100, 1000, 3000, 10000]
LAMS = (0.1, 0.9, 1.5)


def discrete(lam, t, q):
    eta = mpmath.mpf(ETA)
    return numerics.mp_law.expect(lambda nu: nu**q * (1 - 2 * eta * nu) ** (2 * t), lam, scale=4 * eta * t)


def main():
    with mp.workdps(15):
        for lam in LAMS:
            gf = {
                "train_loss": [float(numerics.train_loss(t, lam, eta=ETA)) for t in TIMES],
                "gen_loss": [float(numerics.gen_loss(t, lam, eta=ETA)) for t in TIMES],
            }
            gd = {"train_loss": [float(discrete(lam, t, 1)) for t in TIMES]}
            gd["gen_loss"] = [float(discrete(lam, t, 0)) for t in TIMES]
            acc = {k: [float(numerics.accuracy(v, EPS)) for v in gf[k]] for k in gf}
            runs = [
                sim.train(d_in=D_IN, n_train=round(D_IN / lam), eta=ETA, eps=EPS, steps=TIMES[-1], record=TIMES, seed=s)
                for s in range(SEEDS)
            ]
            print(f"\nlam = {lam} (n_train = {round(D_IN / lam)}), {SEEDS} seeds; relative error mean +- seed sd")
            print(f"{'quantity':>22} {'t':>6} {'theory':>10} {'vs GF theory':>18} {'vs GD theory':>18} {'GF->GD':>8}")
            for name, theory_key in (
                ("train_loss", "train_loss"),
                ("gen_loss", "gen_loss"),
                ("gen_loss_exact", "gen_loss"),
            ):
                sim_v = np.array([getattr(r, name) for r in runs])
                for i, t in enumerate(TIMES):
                    e1 = sim_v[:, i] / gf[theory_key][i] - 1
                    e2 = sim_v[:, i] / gd[theory_key][i] - 1
                    gap = gd[theory_key][i] / gf[theory_key][i] - 1
                    print(
                        f"{name:>22} {t:>6} {gf[theory_key][i]:10.3e} {e1.mean():+8.3f} +- {e1.std(ddof=1):.3f}"
                        f" {e2.mean():+8.3f} +- {e2.std(ddof=1):.3f} {gap:+8.3f}"
                    )
            for name, key in (("train_acc", "train_loss"), ("gen_acc", "gen_loss")):
                sim_a = np.array([getattr(r, name) for r in runs])
                diffs = " ".join(f"t={t}: {sim_a[:, i].mean():.3f} vs {acc[key][i]:.3f}" for i, t in enumerate(TIMES))
                print(f"{name:>22} sim (seed mean) vs Eq. 10 of theory loss: {diffs}")


if __name__ == "__main__":
    main()
