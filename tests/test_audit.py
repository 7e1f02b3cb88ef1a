"""The audit itself: one test per claim, asserting the computed verdict equals the recorded one."""

import json

import pytest

from cli import main
from derivations import all_claims
from derivations.checks import NoValidPoints, compare
from derivations.claim import Status, Verdict

from . import audit_cache
from .expected_verdicts import EXPECTED

CLAIMS = all_claims()


@pytest.mark.parametrize("cid", list(CLAIMS))
def test_claim_verdict(cid):
    result = audit_cache.result(cid)
    assert result.error is None, f"check crashed:\n{result.error}"
    assert cid in EXPECTED, f"claim {cid} has no recorded verdict; computed {result.status}: {result.verdict.detail}"
    assert result.status == EXPECTED[cid], (
        f"{cid}: computed {result.status}, recorded {EXPECTED[cid]}\n{result.verdict.detail}"
    )
    if result.verdict.status is Status.REFUTED:
        assert result.verdict.corrected


def test_every_recorded_claim_exists():
    assert set(EXPECTED) == set(CLAIMS)


@pytest.mark.parametrize("eq", range(1, 41))
def test_every_equation_is_covered(eq):
    assert any(eq in c.equations for c in CLAIMS.values()), f"Eq. {eq} has no claim"


def test_dependency_graph_is_ordered_and_acyclic():
    seen = set()
    for cid, c in CLAIMS.items():  # all_claims() returns a topological order
        assert all(u in seen for u in c.uses), f"{cid} listed before its dependencies {c.uses}"
        seen.add(cid)


def test_claims_have_printed_formula_and_section():
    for c in CLAIMS.values():
        assert c.printed and c.title and c.section, c.id


def test_refuted_verdict_requires_correction():
    with pytest.raises(ValueError):
        Verdict(Status.REFUTED, "x")


def test_compare_with_no_valid_points_is_an_error():
    with pytest.raises(NoValidPoints):
        compare(lambda a: float("nan"), lambda a: 1.0, [{"a": 1}])
    with pytest.raises(NoValidPoints):
        compare(lambda a: 1.0, lambda a: 1.0, [])


def test_compare_detects_disagreement():
    agree = compare(lambda a: a, lambda a: a * (1 + 1e-8), [{"a": 1}, {"a": 2}])
    assert 7.5 < agree.digits < 8.5 and agree.valid == 2


def test_cli_json(capsys):
    code = main(["--json", "--no-progress", "--claim", "eq10-level", "--claim", "eq6-mean-variance"])
    out = json.loads(capsys.readouterr().out)
    assert code == 0
    assert {o["id"] for o in out} == {"eq10-level", "eq6-mean-variance"}
    for o in out:
        assert set(o) >= {"id", "equations", "verdict", "detail", "corrected"}
        assert all(isinstance(e, int) for e in o["equations"])


def test_cli_table(capsys):
    assert main(["--no-progress", "--claim", "eq20-restates-eq9"]) == 0
    out = capsys.readouterr().out
    assert "eq20-restates-eq9" in out and "proved" in out


def test_cli_unknown_claim_is_usage_error():
    with pytest.raises(SystemExit) as e:
        main(["--claim", "no-such-claim"])
    assert e.value.code == 2


def test_cli_fig5_small(capsys):
    assert main(["fig5", "--activation", "linear", "--d-h", "20", "--steps", "200", "--no-progress"]) == 0
    out = capsys.readouterr().out
    assert "corrected" in out and "linear" in out
    assert len(out.strip().splitlines()) == 6  # header + 5 recorded steps


def test_cli_fig5_bad_width_is_usage_error():
    with pytest.raises(SystemExit) as e:
        main(["fig5", "--d-h", "0", "--no-progress"])
    assert e.value.code == 2


def test_statements_show_what_was_checked_not_a_tautology():
    # a statement whose two sides are already evaluated to the same expression prints as "A = A" in the report
    import sympy as sp

    for cid, c in CLAIMS.items():
        if c.statement is not None:
            st = c.statement()
            assert not (isinstance(st, sp.Equality) and st.lhs == st.rhs), cid


def test_marcum_ode_route_can_fail():
    """The proof of gen-loss-marcum distinguishes the closed form from a wrong one: a changed Q-term or Bessel
    weight breaks C' = -Eq. 9 or C(0) = 1."""
    import sympy as sp

    from derivations.checks import is_zero
    from derivations.claims import marcum
    from derivations.claims.mp_limit import r, s

    f_eq9 = sp.exp(-s * (1 + r**2)) * sp.besseli(1, 2 * s * r) / (s * r)
    for lower in (True, False):
        derivative, at_zero = marcum._closed_form_branch(lower)
        assert is_zero(derivative + f_eq9) and is_zero(at_zero - 1)
        assert not is_zero(derivative + 2 * f_eq9)
        assert not is_zero(derivative + f_eq9 + sp.exp(-s) * sp.besseli(0, 2 * s * r))
    assert all(marcum._marcum_derivatives().values())


def test_accuracy_map_verdict_needs_a_shrinking_tail():
    """eq12/24/25/26-accuracy are asymptotic only if the error shrinks towards the smallest eps at every lambda."""
    from derivations.claims.late_time import EPSS, LAMS, _map_verdict

    good = {(lm, ep): 0.5 * (k + 1) ** -1 for lm in LAMS for k, ep in enumerate(EPSS)}
    assert _map_verdict(good, "x").status is Status.ASYMPTOTIC
    tail_up = dict(good)
    tail_up[(LAMS[0], EPSS[-1])] = good[(LAMS[0], EPSS[-2])] * 1.1  # still below the first value
    assert tail_up[(LAMS[0], EPSS[-1])] < good[(LAMS[0], EPSS[0])]
    assert _map_verdict(tail_up, "x").status is Status.UNKNOWN
