"""Time of the two-layer claims' checks (run on demand: ``python benchmarks/bench_two_layer_claims.py``).

Each claim of ``derivations/claims/two_layer.py`` is checked in a fresh interpreter (as the engine's workers do: no
cache is shared between claims), ``--repeat`` times; the best wall-clock and CPU times are printed, with the status.
``--root DIR`` times another checkout; ``--compare DIR`` times this one and ``DIR`` (e.g. an older version) in turn,
claim by claim, so that both see the same load.  The machine may be shared: prefer CPU time and the best of several
repeats; ``OPENBLAS_NUM_THREADS=1`` makes timings steadier (OpenBLAS threads spin, and are slowed down a lot by other
processes).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

CLAIMS = (
    "eq38-gradient-flow",
    "eq39-D-flow",
    "eq39-h-hessian",
    "eq39-h-dot",
    "text-h0-half",
    "eq40-two-layer-losses",
    "text-tanh",
    "text-two-layer-any-lambda",
)

CHILD = """
import json, sys, time
from derivations import all_claims
claim = all_claims()[sys.argv[1]]
w, c = time.perf_counter(), time.process_time()
v = claim.check()
print(json.dumps({"wall": time.perf_counter() - w, "cpu": time.process_time() - c, "status": str(v.status)}))
"""


def time_claim(root: Path, cid: str) -> dict:
    out = subprocess.run(
        [sys.executable, "-c", CHILD, cid], cwd=root, capture_output=True, text=True, check=True
    ).stdout.strip()
    return json.loads(out.splitlines()[-1])


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("claims", nargs="*", default=CLAIMS)
    ap.add_argument("--root", type=Path, default=Path(__file__).resolve().parents[1])
    ap.add_argument("--compare", type=Path, default=None, help="another checkout, timed in turn with --root")
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args(argv)
    roots = [args.root] + ([args.compare] if args.compare else [])
    print(f"roots {[str(r) for r in roots]}, OPENBLAS_NUM_THREADS={os.environ.get('OPENBLAS_NUM_THREADS', 'unset')}")
    totals = {r: [0.0, 0.0] for r in roots}
    for cid in args.claims:
        runs = {r: [] for r in roots}
        for _ in range(args.repeat):
            for r in roots:
                runs[r].append(time_claim(r, cid))
        for r in roots:
            wall, cpu = min(x["wall"] for x in runs[r]), min(x["cpu"] for x in runs[r])
            totals[r][0] += wall
            totals[r][1] += cpu
            tag = f"[{roots.index(r)}] " if len(roots) > 1 else ""
            print(f"  {tag}{cid:28s} {runs[r][0]['status']:10s} wall {wall:6.2f} s  cpu {cpu:6.2f} s", flush=True)
    for r in roots:
        tag = f"[{roots.index(r)}] " if len(roots) > 1 else ""
        print(f"  {tag}{'total':28s} {'':10s} wall {totals[r][0]:6.2f} s  cpu {totals[r][1]:6.2f} s")
    print(f"load avg {os.getloadavg()}")


if __name__ == "__main__":
    main()
