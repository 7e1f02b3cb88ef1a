"""Command line: ``grokking-audit`` (also ``python -m derivations``) prints the audit of the paper."""

from __future__ import annotations

import argparse
import json
import sys
import textwrap

from .engine import run


def _table(results) -> str:
    rows = []
    for r in results:
        eqs = ",".join(map(str, r.claim.equations)) or "text"
        detail = r.error.strip().splitlines()[-1] if r.error else r.verdict.detail
        rows.append((r.claim.id, eqs, r.status, detail))
    w_id = max(len(r[0]) for r in rows)
    w_eq = max(4, max(len(r[1]) for r in rows))
    out = [f"{'claim':<{w_id}}  {'eqs':<{w_eq}}  {'verdict':<10}  detail", "-" * (w_id + w_eq + 40)]
    for cid, eqs, st, det in rows:
        wrapped = textwrap.wrap(det, 100) or [""]
        out.append(f"{cid:<{w_id}}  {eqs:<{w_eq}}  {st:<10}  {wrapped[0]}")
        out += [" " * (w_id + w_eq + 16) + line for line in wrapped[1:]]
    counts = {}
    for r in results:
        counts[r.status] = counts.get(r.status, 0) + 1
    out.append("")
    out.append("summary: " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())))
    for r in results:
        if r.verdict is not None and r.verdict.corrected:
            out.append(f"corrected [{r.claim.id}]: {r.verdict.corrected}")
    return "\n".join(out)


def main(argv=None) -> int:
    """Entry point.  Exit status 0 unless a check itself crashed (status ``error``)."""
    p = argparse.ArgumentParser(
        prog="grokking-audit",
        description="Audit the equations of Levi, Beck & Bar-Sinai"
        " (2023), 'Grokking in Linear Estimators', symbolically and numerically.",
    )
    p.add_argument(
        "--json",
        action="store_true",
        help="print a JSON list of {id, equations, verdict, detail, corrected, uses, reading}",
    )
    p.add_argument("--claim", action="append", metavar="ID", help="run only this claim (repeatable)")
    p.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    args = p.parse_args(argv)
    try:
        results = run(args.claim, progress=not args.no_progress)
    except ValueError as e:
        p.error(str(e))
    if args.json:
        json.dump([r.as_json() for r in results], sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        print(_table(results))
    return 1 if any(r.verdict is None for r in results) else 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
