"""The audit engine: run every claim's check in dependency order and collect the results."""

from __future__ import annotations

import time
import traceback
from dataclasses import dataclass

from tqdm import tqdm

from .claim import Claim, Verdict
from .registry import all_claims


@dataclass(frozen=True)
class Result:
    """A claim with its computed verdict; ``error`` holds the traceback if the check itself crashed."""

    claim: Claim
    verdict: Verdict | None
    seconds: float
    error: str | None = None

    @property
    def status(self) -> str:
        return "error" if self.verdict is None else self.verdict.status.value

    def as_json(self) -> dict:
        return {
            "id": self.claim.id,
            "equations": list(self.claim.equations),
            "verdict": self.status,
            "detail": self.error if self.verdict is None else self.verdict.detail,
            "corrected": None if self.verdict is None else self.verdict.corrected,
            "uses": list(self.claim.uses),
            "reading": self.claim.reading,
        }


def run_claim(c: Claim) -> Result:
    """Run one claim's check, capturing a crash as an ``error`` result rather than raising."""
    t0 = time.perf_counter()
    try:
        v = c.check()
        if not isinstance(v, Verdict):
            raise TypeError(f"check of {c.id!r} returned {type(v).__name__}, not a Verdict")
        return Result(c, v, time.perf_counter() - t0)
    except Exception:  # noqa: BLE001 - a crashing check is reported, never hidden
        return Result(c, None, time.perf_counter() - t0, traceback.format_exc())


def run(ids=None, *, progress: bool = True) -> list[Result]:
    """Run the claims (all, or those in ``ids``) in dependency order, with a progress bar on stderr."""
    claims = all_claims()
    if ids is not None:
        unknown = set(ids) - set(claims)
        if unknown:
            raise ValueError(f"unknown claim ids: {sorted(unknown)}")
        claims = {k: v for k, v in claims.items() if k in set(ids)}
    results = []
    bar = tqdm(claims.values(), desc="auditing", unit="claim", disable=not progress, leave=False)
    for c in bar:
        bar.set_postfix_str(c.id)
        results.append(run_claim(c))
    return results
