"""The audit as terminal text: the summary first, then the claims by paper section, wrapped to the terminal.

Layout of :func:`audit_text`:

1. one line of counts (claims, then each verdict);
2. every verdict that is not ``proved``, one line each (verdict, claim id, equations, title), in paper order;
3. the claims grouped by section in the paper's order, each with its detail wrapped to the width; by default a
   detail is cut after :data:`SHORT_LINES` lines, ``verbose=True`` prints it whole together with the corrected
   form, the reading of a garbled print, the claims it uses, the raw evidence and the time the check took.
"""

from __future__ import annotations

import shutil
import textwrap
from collections import Counter
from collections.abc import Mapping, Sequence

from derivations.order import paper_order

#: verdicts in the order the summary counts them
ORDER = ("proved", "confirmed", "asymptotic", "refuted", "unknown", "error")
#: wrapped lines of a claim's detail shown without ``--verbose``
SHORT_LINES = 2


def terminal_width(default: int = 100) -> int:
    """Columns of the terminal (``$COLUMNS`` or ``default`` when not a terminal), at least 60."""
    return max(60, shutil.get_terminal_size((default, 24)).columns)


def _cut(line: str, width: int, tail: str = " ...") -> str:
    """``line`` cut at a word boundary to fit ``width`` (with ``tail`` appended when cut)."""
    if len(line) <= width:
        return line
    head = line[: width - len(tail)]
    return (head.rsplit(" ", 1)[0] if " " in head.strip() else head).rstrip() + tail


def _eqs(equations) -> str:
    eqs = list(equations)
    if not eqs:
        return "text"
    return ("Eq. " if len(eqs) == 1 else "Eqs. ") + ", ".join(map(str, eqs))


def _detail(r) -> str:
    return r.error.strip() if r.verdict is None else r.verdict.detail


def summary_lines(results: Sequence, width: int) -> list[str]:
    """The count line, then one line per verdict that is not ``proved`` (cut to ``width``)."""
    counts = Counter(r.status for r in results)
    parts = [f"{counts[k]} {k}" for k in ORDER if counts[k]]
    parts += [f"{v} {k}" for k, v in counts.items() if k not in ORDER]
    noun = "claim" if len(results) == 1 else "claims"
    out = [f"{len(results)} {noun}: " + ", ".join(parts)]
    rest = [r for r in paper_order(results) if r.status != "proved"]
    if rest:
        w_id = max(len(r.claim.id) for r in rest)
        out.append("")
        out.append("not proved:")
        for r in rest:
            line = f"  {r.status:<10}  {r.claim.id:<{w_id}}  {_eqs(r.claim.equations)}: {r.claim.title}"
            out.append(_cut(line, width))
    return out


def _evidence_lines(evidence: Mapping, width: int, indent: str) -> list[str]:
    out = []
    for k, v in evidence.items():
        out += textwrap.wrap(
            f"{k} = {v!r}", width, initial_indent=indent, subsequent_indent=indent + "    ", break_long_words=True
        )
    return out


def claim_lines(r, width: int, *, verbose: bool = False) -> list[str]:
    """One claim: a head line (verdict, id, equations, title) and its wrapped detail."""
    c = r.claim
    lead = f"  {r.status:<10}  {c.id}  ({_eqs(c.equations)})  "
    indent = " " * 14
    hang = " " * len(lead) if len(lead) < width // 2 else indent + "  "
    out = textwrap.wrap(lead + c.title, width, subsequent_indent=hang) or [lead]
    body = textwrap.wrap(_detail(r), width, initial_indent=indent, subsequent_indent=indent)
    if not verbose and len(body) > SHORT_LINES:
        body = body[:SHORT_LINES]
        body[-1] = _cut(body[-1] + " " * width, width - len(" ... (--verbose)"), "") + " ... (--verbose)"
    out += body
    if verbose:
        v = r.verdict
        extra = []
        if v is not None and v.corrected:
            extra.append(("corrected", v.corrected))
        if c.reading:
            extra.append(("reading", c.reading))
        if c.uses:
            extra.append(("uses", ", ".join(c.uses)))
        extra.append(("time", f"{r.seconds:.2f} s"))
        for label, text in extra:
            out += textwrap.wrap(f"{label}: {text}", width, initial_indent=indent, subsequent_indent=indent + "    ")
        if v is not None and v.evidence:
            out.append(indent + "evidence:")
            out += _evidence_lines(v.evidence, width, indent + "  ")
    return out


def audit_text(results: Sequence, *, width: int | None = None, verbose: bool = False) -> str:
    """The whole audit as text (see the module docstring); ``width`` defaults to the terminal's."""
    width = terminal_width() if width is None else max(40, int(width))
    out = summary_lines(results, width)
    section = None
    for r in paper_order(results):
        if r.claim.section != section:
            section = r.claim.section
            out += ["", section or "Other claims", "-" * min(width, len(section or "Other claims"))]
        out += claim_lines(r, width, verbose=verbose)
    corrected = [r for r in paper_order(results) if r.verdict is not None and r.verdict.corrected]
    if corrected and not verbose:
        out += ["", f"{len(corrected)} refuted statements carry a corrected form: --verbose prints them."]
    return "\n".join(out)
