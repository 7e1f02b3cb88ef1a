"""The audit of Levi, Beck & Bar-Sinai (2023): every equation of the paper as a checked claim.

``derivations.registry.all_claims()`` returns the claims (a dependency graph, in topological order);
``derivations.engine.run()`` computes their verdicts; ``grokking-audit`` prints them.
"""

from .claim import Claim, Status, Verdict
from .engine import Result, run
from .registry import all_claims

__all__ = ["Claim", "Result", "Status", "Verdict", "all_claims", "run"]
