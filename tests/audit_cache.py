"""One audit per test session, run by the engine's process pool on first use.

``test_audit`` reads the verdicts claim by claim; ``test_report`` renders and compiles the same results, so the full
suite checks every claim once (in parallel, as ``grokking-audit`` does) while the report is tested on the real
verdicts.
"""

from __future__ import annotations

import functools

from derivations import all_claims
from derivations.engine import run

CLAIMS = all_claims()


@functools.cache
def _all() -> dict:
    return {r.claim.id: r for r in run(progress=False)}


def result(cid: str):
    """The engine result of claim ``cid`` (the whole audit runs on the first call)."""
    return _all()[cid]


def all_results() -> list:
    """Results of every registered claim, in dependency order."""
    return [result(cid) for cid in CLAIMS]
