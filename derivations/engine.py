"""The audit engine: run every claim's check and collect the results, in parallel over processes.

Checks are independent computations (``uses`` records which claims a derivation relies on, not data passed between
checks), so the engine runs them in a process pool and returns the results in the registry's dependency order.
Each check is deterministic (fixed seeds, explicit precisions), so the verdicts do not depend on the number of
workers or on which worker ran a claim.
"""

from __future__ import annotations

import math
import multiprocessing
import os
import sys
import time
import traceback
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass

from threadpoolctl import threadpool_limits
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
            "seconds": None if math.isnan(self.seconds) else round(self.seconds, 3),  # NaN: the worker died
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


def _run_by_id(cid: str) -> tuple[Verdict | None, float, str | None]:
    """Worker side: run claim ``cid`` and return what pickles (claims hold lambdas, so only the outcome travels)."""
    r = run_claim(all_claims()[cid])
    return r.verdict, r.seconds, r.error


def _init_worker() -> None:
    """One BLAS thread per worker: the pool already fills the CPUs, and multithreaded BLAS competing with the other
    workers runs several times slower (a 1000 x 1000 ``eigvalsh`` took 0.4-0.6 s instead of 0.12 s)."""
    threadpool_limits(limits=1)


def default_workers() -> int:
    """The CPUs this process may use (``os.sched_getaffinity`` where available)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not on Linux
        return max(1, os.cpu_count() or 1)


def _check_workers(workers) -> int:
    if workers is None:
        return default_workers()
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise ValueError(f"workers must be a positive integer (or None for all CPUs), got {workers!r}")
    return workers


def _show_progress(progress) -> bool:
    """``progress=None``: a bar only when stderr is a terminal (no bar residue in logs or pipes)."""
    if progress is None:
        return bool(getattr(sys.stderr, "isatty", lambda: False)())
    return bool(progress)


def run(ids=None, *, progress: bool | None = None, workers: int | None = None) -> list[Result]:
    """Run the claims (all, or those in ``ids``) and return their results in dependency order.

    ``workers``: processes (default: every CPU this process may use; ``1`` runs in this process).  Claims are
    submitted most expensive first (their ``cost`` hint), so the slowest check does not start last.
    ``progress``: a bar on stderr; ``None`` (default) shows it only when stderr is a terminal.
    Raises ``ValueError`` for an unknown claim id or a bad ``workers``.
    """
    workers = _check_workers(workers)
    claims = all_claims()
    if ids is not None:
        ids = list(ids)
        unknown = set(ids) - set(claims)
        if unknown:
            raise ValueError(f"unknown claim ids: {sorted(unknown)}")
        claims = {k: v for k, v in claims.items() if k in set(ids)}
    show = _show_progress(progress)
    workers = min(workers, len(claims)) or 1
    if workers == 1:
        results = []
        bar = tqdm(claims.values(), desc="auditing", unit="claim", disable=not show, leave=False)
        for c in bar:
            bar.set_postfix_str(c.id)
            results.append(run_claim(c))
        return results
    done: dict[str, Result] = {}
    order = sorted(claims, key=lambda cid: -claims[cid].cost)
    ctx = multiprocessing.get_context("fork" if "fork" in multiprocessing.get_all_start_methods() else None)
    with ProcessPoolExecutor(max_workers=workers, mp_context=ctx, initializer=_init_worker) as pool:
        futures = {pool.submit(_run_by_id, cid): cid for cid in order}
        with tqdm(total=len(futures), desc="auditing", unit="claim", disable=not show, leave=False) as bar:
            for fut in as_completed(futures):
                cid = futures[fut]
                try:
                    verdict, seconds, error = fut.result()
                    done[cid] = Result(claims[cid], verdict, seconds, error)
                except Exception:  # noqa: BLE001 - a worker that died or a verdict that did not pickle
                    done[cid] = Result(claims[cid], None, math.nan, traceback.format_exc())
                bar.set_postfix_str(cid)
                bar.update()
    return [done[cid] for cid in claims]
