"""Claims and verdicts: the data model of the audit.

A :class:`Claim` is one checkable statement of the paper, modelled on a Fungrim entry (formula, variables with
their domains, a numeric/symbolic test that can answer true, false or unknown) and on a Lean blueprint node
(it lists the claims it ``uses``, so the audit is a dependency graph).  Its ``check`` computes a
:class:`Verdict`; nothing is declared true by hand.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum


class Status(StrEnum):
    """The possible outcomes of a check."""

    PROVED = "proved"  #: SymPy or exact arithmetic shows it
    CONFIRMED = "confirmed"  #: numerically, to N digits at K points, at two precisions
    REFUTED = "refuted"  #: a counterexample, plus a corrected statement that is itself checked
    ASYMPTOTIC = "asymptotic"  #: a limit relation that holds, with its measured error at the paper's parameters
    UNKNOWN = "unknown"  #: the checks could neither support nor refute it


@dataclass(frozen=True)
class Verdict:
    """What a check found.

    ``detail`` says what was measured or proved (digits, points, errors, counterexample);
    ``corrected`` is the LaTeX of the corrected statement when the printed one is refuted;
    ``evidence`` holds the raw numbers behind ``detail`` (for reports and tests).
    """

    status: Status
    detail: str
    corrected: str | None = None
    evidence: Mapping[str, object] = field(default_factory=dict)

    def __post_init__(self):
        if self.status is Status.REFUTED and not self.corrected:
            raise ValueError("a refuted verdict must carry the corrected statement")


@dataclass(frozen=True)
class Claim:
    """One checkable statement of the paper.

    ``equations``: the paper's equation numbers it covers (empty for statements in the text);
    ``printed``: the formula or sentence as printed (LaTeX), ``reading`` how a garbled print was read;
    ``variables``: symbol -> domain/assumption; ``uses``: ids of the claims its derivation relies on;
    ``statement``: a zero-argument callable returning the SymPy object that the check verifies (used by
    reports, so they show what was checked rather than a retyped copy); ``check``: computes the verdict;
    ``cost``: rough seconds the check takes (a scheduling hint only: the engine starts expensive checks first).
    """

    id: str
    equations: tuple[int, ...]
    title: str
    printed: str
    variables: Mapping[str, str]
    check: Callable[[], Verdict]
    uses: tuple[str, ...] = ()
    statement: Callable[[], object] | None = None
    reading: str | None = None
    section: str = ""
    cost: float = 1.0
