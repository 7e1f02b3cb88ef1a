"""The finite-size validation table: theory quantiles vs simulated quantiles and KS p-values (issue 11, item 2).

Cases: lam in {0.5, 0.9, 1.0}, one gamma > 0 case and one d_out > 1 case, each at d_in = 200 (200 seeds) and
d_in = 1000 (50 seeds); full data, full GD (sim's spectral engine), eta = 0.01, eps = 1e-3, level Erf(sqrt 2).
Prints a Markdown table (10/50/90 % quantiles of t_train, t_gen, Delta t: theory, then simulation +- bootstrap error;
KS p-value) and the gap between the empirical train accuracy and its Gaussian form.  Takes ~10 minutes.

    python benchmarks/finite_size_validation.py [--quick]
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from derivations.finite_size_sim import Case, validate


def cases(quick: bool) -> list[Case]:
    sizes = ((200, 200),) if quick else ((200, 200), (1000, 50))
    out = []
    for d_in, seeds in sizes:
        out += [Case(lam, d_in, seeds) for lam in (0.5, 0.9, 1.0)]
        out += [Case(0.9, d_in, seeds, gamma=1e-3), Case(0.9, d_in, seeds, d_out=5)]
    return out


def fmt(x: float) -> str:
    return "never/censored" if not np.isfinite(x) else f"{x:.4g}"


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="d_in = 200 only")
    args = p.parse_args()
    print("| case | observable | theory q10 / q50 / q90 | simulation q10 / q50 / q90 (+- bootstrap se) | KS p |")
    print("|---|---|---|---|---|")
    gaps = []
    for case in cases(args.quick):
        t0 = time.perf_counter()
        r = validate(case, theory_draws=1000 if case.d_out > 1 else 2000)
        for name in ("t_train", "t_gen", "delta", "t_train_empirical"):
            c = r.comparisons[name]
            th = " / ".join(fmt(v) for v in c.theory_q)
            sm = " / ".join(f"{fmt(v)} +- {fmt(e)}" for v, e in zip(c.sim_q, c.sim_se, strict=True))
            print(f"| {case.label} ({case.seeds} seeds) | {name} | {th} | {sm} | {c.ks_p:.3f} |", flush=True)
        gaps.append((case, r.train_gap, r.steps, time.perf_counter() - t0))
    print("\nEmpirical train accuracy (fraction of N_tr samples) vs its Gaussian form (per-run t_train ratio - 1):")
    for case, g, steps, sec in gaps:
        print(
            f"  {case.label}: mean {g['mean']:+.2%}, sd {g['sd']:.2%}, 90th percentile of |gap| {g['abs_q90']:.2%}"
            f"  (horizon {steps} steps, {sec:.0f} s)"
        )


if __name__ == "__main__":
    main()
