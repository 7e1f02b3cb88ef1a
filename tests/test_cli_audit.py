"""The audit on the terminal (summary first, paper order, wrapping, --verbose, no bar residue) and the engine's
process pool (same verdicts as one process)."""

import dataclasses
import subprocess
import sys

import pytest

from cli import main
from cli.audit_text import audit_text
from derivations import all_claims
from derivations.claim import Status, Verdict
from derivations.engine import Result, run, run_claim

CLAIMS = all_claims()
FAST = ["eq10-level", "eq6-mean-variance", "eq12-leading", "eq10-variance", "eq3-update"]


def _fake(cid, status, detail="x " * 200, **kw):
    return Result(CLAIMS[cid], Verdict(Status(status), detail, **kw), 0.5)


@pytest.fixture
def results():
    # deliberately in dependency order, not paper order: the text must reorder by section
    return [
        _fake("eq12-leading", "proved"),
        _fake("eq10-variance", "refuted", corrected=r"z \sim N(0, \mathcal L)", evidence={"variance": "D_1**2"}),
        _fake("eq6-mean-variance", "confirmed"),
        Result(CLAIMS["eq10-level"], None, 0.1, "Traceback ...\nZeroDivisionError: boom"),
    ]


def test_summary_first_then_non_proved_one_line_each(results):
    lines = audit_text(results, width=80).splitlines()
    assert lines[0] == "4 claims: 1 proved, 1 confirmed, 1 refuted, 1 error"
    listed = lines[lines.index("not proved:") + 1 : lines.index("not proved:") + 4]
    assert [ln.split()[1] for ln in listed] == ["eq6-mean-variance", "eq10-variance", "eq10-level"]  # paper order
    assert all(ln.split()[0] in {"confirmed", "refuted", "error"} for ln in listed)


def test_sections_in_paper_order_and_wrapped(results):
    text = audit_text(results, width=72)
    heads = [s for s in ("3.1.1 Losses", "3.1.2 Accuracy", "3.1.3 Grokking time") if s in text]
    assert heads == ["3.1.1 Losses", "3.1.2 Accuracy", "3.1.3 Grokking time"]
    assert [text.index(h) for h in heads] == sorted(text.index(h) for h in heads)
    assert max(len(ln) for ln in text.splitlines()) <= 72
    assert "(--verbose)" in text and "evidence:" not in text


def test_verbose_prints_full_detail_corrected_and_evidence(results):
    text = audit_text(results, width=100, verbose=True)
    assert "(--verbose)" not in text
    assert "evidence:" in text and "variance = 'D_1**2'" in text
    assert r"corrected: z \sim N(0, \mathcal L)" in text
    assert text.count("x x x") > 10  # the whole 200-word detail


def test_cli_text_has_no_progress_residue(capsys):
    # stderr is captured here (not a terminal): no bar is drawn even without --no-progress
    assert main(["--claim", "eq10-level", "--claim", "eq3-update", "--width", "80", "--workers", "1"]) == 0
    out, err = capsys.readouterr()
    assert err == ""
    assert out.splitlines()[0] == "2 claims: 2 proved"


def test_cli_rejects_bad_width_and_workers():
    for argv in (["--width", "10"], ["--workers", "0"]):
        with pytest.raises(SystemExit) as e:
            main([*argv, "--claim", "eq10-level"])
        assert e.value.code == 2


def test_engine_pool_gives_the_verdicts_of_one_process():
    one = run(FAST, workers=1, progress=False)
    two = run(FAST, workers=2, progress=False)
    assert [r.claim.id for r in two] == [r.claim.id for r in one] == [c for c in CLAIMS if c in FAST]
    assert [(r.status, r.verdict.detail) for r in two] == [(r.status, r.verdict.detail) for r in one]


def test_engine_reports_a_crash_as_an_error_result():
    crashing = dataclasses.replace(CLAIMS["eq10-level"], check=lambda: 1 / 0)
    r = run_claim(crashing)
    assert r.verdict is None and r.status == "error" and "ZeroDivisionError" in r.error


@pytest.mark.parametrize("workers", [0, -1, 1.5, True])
def test_engine_rejects_bad_workers(workers):
    with pytest.raises(ValueError, match="workers"):
        run(["eq10-level"], workers=workers)


@pytest.mark.parametrize("module", ["cli", "derivations"])
def test_python_dash_m_entry_points(module):
    out = subprocess.run(
        [sys.executable, "-m", module, "--claim", "eq10-level", "--width", "80"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("1 claim: 1 proved") and out.stderr == ""
