"""Claim titles in the report: mathematical words typeset as math, the rest escaped text, never a TeX error."""

import pytest

from derivations import all_claims
from report.mathtext import title_latex
from report.texsafe import safe_math


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("grokking time as d_out grows", r"grokking time as $d_{\rm out}$ grows"),
        ("plateaus L_tr ~ gamma^2/(4(1-lam))", r"plateaus $\mathcal{L}_{\rm tr} \sim  \gamma ^{2}/(4(1-\lambda ))$"),
        ("The grokking time vanishes as lambda -> 0", r"The grokking time vanishes as $\lambda  \to  0$"),
        ("see Eq. 12 and Fig. 2", "see Eq. 12 and Fig. 2"),
        ("A tanh network", "A tanh network"),
    ],
)
def test_examples(title, expected):
    assert title_latex(title) == expected


def test_unbalanced_or_unsafe_runs_stay_text():
    out = title_latex("odd (x_1 = 2")  # the bracket never closes: no math around it
    assert "$" not in out.split("(")[0] + "(" and r"\_" in out


@pytest.mark.parametrize("cid", list(all_claims()))
def test_every_title_has_only_safe_math(cid):
    tex = title_latex(all_claims()[cid].title)
    pieces = tex.split("$")
    assert len(pieces) % 2 == 1, tex  # dollars pair up
    for formula in pieces[1::2]:
        assert safe_math(formula), formula
