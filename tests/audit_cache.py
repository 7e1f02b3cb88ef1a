"""One audit per test session: ``result(cid)`` runs a claim's check once and keeps the result.

``test_audit`` fills the cache claim by claim; ``test_report`` renders and compiles the real results from it, so the
full suite checks every claim once while the report is tested on the real verdicts.
"""

from __future__ import annotations

import functools

from derivations import all_claims
from derivations.engine import run_claim

CLAIMS = all_claims()


@functools.cache
def result(cid: str):
    """The engine result of claim ``cid`` (computed on first use)."""
    return run_claim(CLAIMS[cid])


def all_results() -> list:
    """Results of every registered claim, in dependency order."""
    return [result(cid) for cid in CLAIMS]
