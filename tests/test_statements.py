"""Every claim carries the SymPy object of what its check verifies, and that object says something.

Issue 12: the report shows ``sympy.latex(claim.statement())`` as "the identity checked"; a claim without one, or one
that prints as a tautology (``x = x``, ``True``), would show nothing checked.
"""

import pytest
import sympy as sp
from sympy.logic.boolalg import BooleanAtom, BooleanFunction

from derivations import all_claims
from report.texsafe import safe_math

CLAIMS = all_claims()


def _relations(obj):
    """The relations a statement asserts (an ``And`` of relations counts each)."""
    if isinstance(obj, sp.core.relational.Relational):
        return [obj]
    if isinstance(obj, BooleanFunction) and not isinstance(obj, BooleanAtom):
        return [r for a in obj.args for r in _relations(a)]
    raise AssertionError(f"a statement must be a SymPy relation or a conjunction of them, got {type(obj).__name__}")


@pytest.mark.parametrize("cid", list(CLAIMS))
def test_claim_has_a_statement(cid):
    c = CLAIMS[cid]
    assert c.statement is not None, f"{cid} has no statement"
    obj = c.statement()
    assert not isinstance(obj, BooleanAtom), f"{cid}: statement evaluates to {obj}"
    for rel in _relations(obj):
        lhs, rhs = sp.latex(rel.lhs), sp.latex(rel.rhs)
        assert lhs != rhs, f"{cid}: statement prints as a tautology: {sp.latex(rel)}"
        assert lhs.strip() and rhs.strip(), f"{cid}: a side prints empty: {sp.latex(rel)}"


@pytest.mark.parametrize("cid", list(CLAIMS))
def test_statement_prints_without_raw_names(cid):
    """No plain-text placeholders: ``dim(...)``, ``Var(D^T x)`` as a name, or symbols like ``x1_11``."""
    c = CLAIMS[cid]
    if c.statement is None:
        pytest.fail(f"{cid} has no statement")
    tex = sp.latex(c.statement())
    for bad in (r"\dim(\text{", "D^T x", "x_{1 11}", "x1_11", r"\text{eigenvectors"):
        assert bad not in tex, f"{cid}: statement prints {bad!r}: {tex[:200]}"


@pytest.mark.parametrize("cid", list(CLAIMS))
def test_statement_is_typeset_as_math_in_the_report(cid):
    """The report shows the statement as a formula only if the validator accepts its LaTeX (else verbatim text)."""
    c = CLAIMS[cid]
    if c.statement is None:
        pytest.fail(f"{cid} has no statement")
    assert safe_math(sp.latex(c.statement())), f"{cid}: its LaTeX would fall back to verbatim text"
