"""On-demand: where each of the paper's approximations holds within 10 % (validity-map headlines for the README/issue).

python benchmarks/validity_headlines.py  (about 10 s)
"""

import time

import numpy as np

from numerics.validity import APPROXIMATIONS, WD_APPROXIMATIONS, validity_map, validity_map_wd

lams = np.round(np.linspace(0.1, 0.9, 9), 3)
epss = np.logspace(-9, -2, 8)
t0 = time.time()
for name in APPROXIMATIONS:
    m = validity_map(name, lams, epss)
    w = m.within(0.10)
    ok = m.region(0.10)
    lam_ok = sorted({l for l, e in ok})
    print(
        f"{name:12s} within 10%: {w.sum()}/{w.size} cells; undefined {np.isnan(m.rel_error).sum()};"
        f" median err {np.nanmedian(m.rel_error):.3g}; max {np.nanmax(m.rel_error):.3g}; lams ok {lam_ok}"
    )
    # per eps: lams within
    for j, e in enumerate(epss):
        row = [f"{l:.1f}" for i, l in enumerate(lams) if w[i, j]]
        print(f"    eps={e:.0e}: {' '.join(row) if row else '-'}")
print("time", time.time() - t0)
gam = np.logspace(-6, -1, 11)
for name in WD_APPROXIMATIONS:
    m = validity_map_wd(name, lams, gam)
    w = m.within(0.10)
    print(f"{name}: within 10% at {w.sum()}/{w.size}; min err {np.nanmin(m.rel_error):.3g}; region {m.region(0.10)}")
