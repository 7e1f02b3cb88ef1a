"""The LaTeX/PDF report (report.latex): one entry per claim, errata, links, escaping, atomic writes, compilation.

The full audit takes minutes, so the results are built once per module: every registered claim gets an entry,
a few fast claims are really checked, the others get their recorded verdict (tests/expected_verdicts.py) with a
hostile detail text, one is turned into a crashed check and two get statements that cannot be typeset.
"""

from __future__ import annotations

import dataclasses
import os
import re
import shutil
import subprocess
import unicodedata

import pytest
import sympy as sp
from hypothesis import given
from hypothesis import strategies as st

from derivations.claim import Status, Verdict
from derivations.engine import Result, run_claim
from derivations.registry import all_claims
from report import graph as rgraph
from report import latex as rl

from .expected_verdicts import EXPECTED

PDFLATEX = shutil.which("pdflatex")
needs_pdflatex = pytest.mark.skipif(PDFLATEX is None, reason="pdflatex not on PATH (CI installs texlive)")

#: claims whose real check takes well under a second (several of them refuted)
FAST_REAL = ("text-eigvec-space", "text-wd-shift", "eq22-regime", "text-init-norms", "eq10-level", "eq14-update")
HOSTILE = (
    '50% & $5 #1 a_b {x} ~^ back\\slash \\\\ \\par \\end{document} <>| "q" ?` !` -- '
    "\u03bb\u22480.9 \u2208 [0,1] \u00b1 1e\u22128 \u00b2 caf\u00e9 \u4e2d \U0001f600 "
    "\u00a7\u00b6\u00a9\u2022\u2026\u00b0\u00df\u00f8\u0142\u2032\u00bd\u2070\u2081\n\n[second paragraph]"
)


class _NoLatex:
    """A statement object that sympy.latex cannot print."""

    def _latex(self, printer):
        raise RuntimeError("no LaTeX for you")

    def __str__(self):
        return "NoLatex{$_%&#}"


def _raising():
    raise ValueError("statement exploded {#}")


@pytest.fixture(scope="module")
def claims():
    return all_claims()


@pytest.fixture(scope="module")
def results(claims):
    real = [cid for cid in FAST_REAL if cid in claims]
    proved = [cid for cid in claims if EXPECTED.get(cid) == "proved" and cid not in real]
    crashed, no_latex, raising = proved[0], proved[1], proved[2]
    out = []
    for cid, c in claims.items():
        if cid in real:
            out.append(run_claim(c))
            continue
        if cid == crashed:
            out.append(Result(c, None, 0.0, "Traceback (most recent call last):\n[frame] {x}\nValueError: boom_%$"))
            continue
        if cid == no_latex:
            c = dataclasses.replace(c, statement=_NoLatex)
        elif cid == raising:
            c = dataclasses.replace(c, statement=_raising)
        status = Status(EXPECTED.get(cid, "proved"))
        corrected = rf"\text{{corrected {cid}}}\ x_{{\rm ok}}^2 = 1" if status is Status.REFUTED else None
        out.append(Result(c, Verdict(status, f"{HOSTILE} ({cid})", corrected), 0.01))
    assert any(r.status == "refuted" for r in out if r.claim.id in real), "no really-checked refuted claim"
    return out


@pytest.fixture(scope="module")
def small(results):
    """A dozen results (the last in dependency order, and the crashed check) for tests of files and
    compilation; some of the claims they use are not among them."""
    return [r for r in results[:-11] if r.verdict is None] + results[-11:]


@pytest.fixture(scope="module")
def tex(results):
    return rl.build_latex(results, graph_file=None)


def _section(tex: str, name: str) -> str:
    start = tex.index(rf"\section{{{name}}}")
    end = tex.find(r"\section{", start + 1)
    return tex[start : end if end >= 0 else len(tex)]


def _entries(tex: str) -> dict[str, str]:
    """claim id -> the LaTeX of its entry (from its label to the next heading)."""
    out = {}
    for m in re.finditer(r"\\label\{claim:([^}]*)\}", tex):
        ends = [tex.find(h, m.end()) for h in (r"\subsubsection", r"\subsection", r"\end{document}")]
        out[m.group(1)] = tex[m.end() : min(i for i in ends if i >= 0)]
    return out


# ------------------------------------------------------------------------------------------------ structure


def test_one_label_per_registered_claim(tex, claims):
    labels = re.findall(r"\\label\{claim:([^}]*)\}", tex)
    assert sorted(labels) == sorted(claims), "each registered claim needs exactly one \\label{claim:<id>}"
    assert len(labels) == len(set(labels))


def test_entries_show_equations_statement_verdict_and_detail(tex, results):
    entries = _entries(tex)
    for r in results:
        entry = entries[r.claim.id]
        if r.claim.equations:
            assert "Eq.~(" + ", ".join(map(str, r.claim.equations)) + ")" in entry, r.claim.id
        assert r"\auditmath{As printed}" in entry or r"\auditrow{As printed}" in entry, r.claim.id
        if r.verdict is not None:
            assert rl.latex_escape(r.verdict.detail) in entry, r.claim.id
            assert rf"\textbf{{{r.status}}}" in entry, r.claim.id
        if r.claim.reading:
            assert rl.latex_escape(r.claim.reading) in entry, r.claim.id


def test_checked_formula_is_sympy_latex_of_the_statement(tex, claims, results):
    entries = _entries(tex)
    checked = [r for r in results if r.claim.statement is claims[r.claim.id].statement and r.claim.statement]
    assert checked, "no claim with a statement"
    for r in checked:
        src = sp.latex(r.claim.statement())
        lines = rl.break_math(src)
        assert rf"\auditmath{{As checked}}{{{lines[0]}}}" in entries[r.claim.id], r.claim.id


def test_statement_failures_fall_back_to_escaped_text(tex, results, claims):
    entries = _entries(tex)
    replaced = {r.claim.id: r for r in results if r.claim.statement in (_NoLatex, _raising)}
    assert len(replaced) == 2
    for cid, r in replaced.items():
        entry = entries[cid]
        if r.claim.statement is _NoLatex:
            assert r"\auditrow{As checked}{\texttt{NoLatex\{\ensuremath{\$}\_\%\&\#\}}}" in entry
        else:
            assert r"\textit{statement() raised}" in entry and "statement exploded" in entry


def test_crashed_check_is_reported_with_its_traceback(tex, results):
    crashed = [r for r in results if r.verdict is None]
    assert len(crashed) == 1
    entry = _entries(tex)[crashed[0].claim.id]
    assert "the check crashed" in entry and r"ValueError:\ boom\_\%\ensuremath{\$}" in entry


def test_summary_counts_every_verdict(tex, results):
    summary = _section(tex, "Summary")
    counts: dict[str, int] = {}
    for r in results:
        counts[r.status] = counts.get(r.status, 0) + 1
    for status, n in counts.items():
        assert rf"\verdictbadge{{{status}}} & {n} &" in summary
    assert rf"total & {len(results)} &" in summary


def test_every_refuted_claim_is_in_the_errata_with_its_corrected_form(tex, results):
    errata = _section(tex, "Errata")
    refuted = [r for r in results if r.status == "refuted"]
    assert refuted
    for r in refuted:
        assert rf"\hyperref[claim:{r.claim.id}]" in errata, r.claim.id
        lines = rl.break_math(r.verdict.corrected)
        assert rf"\auditmath{{Corrected}}{{{lines[0]}}}" in errata, r.claim.id
        assert all(ln in errata for ln in lines[1:]), r.claim.id
    listed = re.findall(r"\\label\{erratum:([^}]*)\}", errata)
    assert sorted(listed) == sorted(r.claim.id for r in refuted)
    for r in results:
        if r.claim.reading:
            assert rl.latex_escape(r.claim.reading) in errata, r.claim.id


def test_dependency_links_point_to_existing_labels(tex, results):
    labels = set(re.findall(r"\\label\{([^}]*)\}", tex))
    targets = re.findall(r"\\hyperref\[([^\]]*)\]", tex) + re.findall(r"\\ref\{([^}]*)\}", tex)
    assert targets
    assert set(targets) <= labels, sorted(set(targets) - labels)
    entries = _entries(tex)
    for r in results:
        uses_row = re.search(r"\\auditraggedrow\{Uses\}\{(.*)\}\n", entries[r.claim.id])
        linked = re.findall(r"\\hyperref\[claim:([^\]]*)\]", uses_row.group(1)) if uses_row else []
        assert linked == list(r.claim.uses), r.claim.id


def test_graph_covers_every_claim_and_edge(results):
    nodes = {r.claim.id: (r.status, r.claim.uses) for r in results}
    dot = rgraph.to_dot(nodes)
    for cid, (status, uses) in nodes.items():
        fill, _ = rgraph.colours(status)
        assert re.search(rf'"{re.escape(cid)}" \[label="[^"]*", fillcolor="#{fill}"', dot), cid
        for u in uses:
            assert f'"{u}" -> "{cid}";' in dot
    tikz = rgraph.to_tikz(nodes)
    assert tikz.count(r"\node[claimnode") == len(nodes)
    assert tikz.count(r"\draw[->") == sum(len(u) for _, u in nodes.values())
    lay = rgraph.layers({cid: uses for cid, (_, uses) in nodes.items()})
    assert all(lay[u] < lay[cid] for cid, (_, uses) in nodes.items() for u in uses)


def test_errata_markdown(results):
    md = rl.errata_markdown(results)
    rows = md.strip().splitlines()[2:]
    refuted = [r for r in results if r.status == "refuted"]
    assert len(rows) == len(refuted)
    for row, r in zip(rows, rl.errata_rows(results), strict=True):
        assert row.startswith(f"| `{r.id}` |")
        assert row.count("|") == 5, row  # pipes inside the math would split the cell
        assert r.corrected.replace("|", r"\vert ") in row or "Vert" in row


# ------------------------------------------------------------------------------------------------ escaping

_ESCAPES = re.compile(
    r"\\(?:textbackslash|textasciitilde|textasciicircum|textless|textgreater|textbar|dots|"
    r"nobreakspace|ss|ae|AE|o|O|l|L)\{\}"
    r"|\\ensuremath\{(?:\\[A-Za-z]+|\\\$|[_^']\{?[0-9'\\a-z]*\}?|\\tfrac\d\d|'+)\}"
    r"|\\textsuperscript\{[0-9+-]\}|\\texttt\{\[U\+[0-9A-F]{4,6}\]\}|\\[{}&#%_,]|\\par |\\['`\"^~=c]\{[A-Za-z]\}"
)


def _unescaped_specials(escaped: str) -> list[str]:
    rest = _ESCAPES.sub("", escaped).replace("{}`", "`")
    return [ch for ch in rest if ch in "\\{}$&#%_~^<>|" or not ch.isascii()]


@pytest.mark.parametrize(
    "text",
    [
        HOSTILE,
        r"\end{document}",
        r"\input{/etc/passwd}",
        "}}}{{{",
        "100%",
        "a_b^c",
        "~~~",
        "\\",
        "$$",
        "#",
        "&&",
        "\u00e9\u00e8\u00ea\u00eb\u00e7\u00f1",
        "\u0000\u0007\t\r",
        "x\u00a0y\u2009z\u2013w\u2014v",
    ],
)
def test_escape_leaves_no_active_character(text):
    esc = rl.latex_escape(text)
    assert _unescaped_specials(esc) == [], esc
    assert "\n" not in esc


@given(st.text(max_size=60))
def test_escape_property(text):
    assert _unescaped_specials(rl.latex_escape(text)) == []


def test_texttt_and_verbatim_are_escaped():
    assert _unescaped_specials(rl.latex_texttt("a_b{%}$#")[len(r"\texttt{") : -1].replace(r"\allowbreak{}", "")) == []
    block = rl.latex_verbatim_block("  [x] a_b\n\\end{document}")
    assert r"\end{document}" not in block and r"\textbackslash{}end\{document\}" in block


# ------------------------------------------------------------------------------------------------ math


@pytest.mark.parametrize(
    "bad",
    [
        r"\frac{1}{2",
        r"x^",
        r"x_{}^",
        r"a \\ b",
        r"\left( x",
        r"x \right)",
        r"\begin{document}",
        r"\begin{matrix} a \end{pmatrix}",
        r"\input{/etc/passwd}",
        r"\def\x{1}",
        "\u03bb",
        "50%",
        "$x$",
        "a & b",
        "x\\",
        "#1",
        "",
    ],
)
def test_safe_math_rejects(bad):
    assert not rl.safe_math(bad)
    assert r"\auditrow{}{\texttt{" in rl.math_block(bad)


@pytest.mark.parametrize(
    "good",
    [r"\frac{1}{2}", r"\left[\begin{matrix}1 & 2\\3 & 4\end{matrix}\right]", r"95\%", r"\|D\|_F^2", r"x\ \text{y}"],
)
def test_safe_math_accepts(good):
    assert rl.safe_math(good)


def test_every_printed_and_corrected_formula_is_typeset(results):
    """A formula that fails the validator is shown verbatim: acceptable, but flag it (extend the whitelist)."""
    for r in results:
        assert rl.safe_math(r.claim.printed), (r.claim.id, r.claim.printed)
        if r.verdict is not None and r.verdict.corrected:
            assert rl.safe_math(r.verdict.corrected), (r.claim.id, r.verdict.corrected)


def _norm(s: str) -> str:
    return re.sub(r"\\ |\s", "", s)


def test_break_math_lines_are_balanced_and_lossless(results, claims):
    sources = [r.claim.printed for r in results]
    sources += [sp.latex(c.statement()) for c in claims.values() if c.statement is not None]
    sources.append(" + ".join(rf"\frac{{a_{{{i}}}}}{{b_{{{i}}}}}\left(x - {i}\right)" for i in range(40)) + " = 0")
    broken = 0
    for src in sources:
        lines = rl.break_math(src)
        broken += len(lines) > 1
        assert all(rl.safe_math(ln.removeprefix("{} ")) for ln in lines), lines
        assert _norm("".join(ln.removeprefix("{} ") for ln in lines)) == _norm(src)
    assert broken >= 3
    long_sum = rl.break_math(sources[-1])
    assert len(long_sum) > 3 and all(rl.visible_length(ln) <= 1.25 * rl.LINE_CHARS for ln in long_sum)


def test_sympy_latex_falls_back():
    assert rl.sympy_latex(_NoLatex()) == (None, "NoLatex{$_%&#}")
    src, text = rl.sympy_latex(sp.Eq(sp.Symbol("x"), 1))
    assert src == "x = 1" and text == "Eq(x, 1)"
    assert rl.sympy_latex((sp.Symbol("a"), sp.Symbol("b")))[0] == r"a,\quad b"


# ------------------------------------------------------------------------------------------------ files


def _listing(d):
    return sorted(p.name for p in d.iterdir())


def test_write_without_compiling_is_atomic(tmp_path, small):
    paths = rl.write_report(tmp_path, results=small, compile=False, graph="tikz")
    assert not paths.compiled and paths.pdf is None and "compile=False" in paths.message
    assert paths.tex.read_text(encoding="utf-8").rstrip().endswith(r"\end{document}")
    assert _listing(tmp_path) == ["audit.tex"]
    assert oct(paths.tex.stat().st_mode & 0o777) == oct(0o666 & ~_umask())


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def test_interrupted_write_keeps_the_old_file(tmp_path, monkeypatch):
    target = tmp_path / "audit.tex"
    target.write_text("old")

    def boom(fd):
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "fsync", boom)
    with pytest.raises(KeyboardInterrupt):
        rl.atomic_write(target, "new" * 1000)
    assert target.read_text() == "old"
    assert _listing(tmp_path) == ["audit.tex"]


def test_no_tex_engine_writes_tex_only(tmp_path, small, monkeypatch):
    real_which = shutil.which
    monkeypatch.setattr(shutil, "which", lambda name, *a, **k: None if name == "pdflatex" else real_which(name))
    paths = rl.write_report(tmp_path, results=small, graph="tikz")
    assert not paths.compiled and paths.pdf is None and "pdflatex not found" in paths.message
    assert _listing(tmp_path) == ["audit.tex"]


def test_missing_dot_falls_back_to_tikz(tmp_path, small, monkeypatch):
    real_which = shutil.which
    monkeypatch.setattr(shutil, "which", lambda name, *a, **k: None if name == "dot" else real_which(name))
    paths = rl.write_report(tmp_path, results=small, compile=False)
    assert paths.graph is None
    assert r"\begin{tikzpicture}" in paths.tex.read_text(encoding="utf-8")
    with pytest.raises(rl.ReportError):
        rl.write_report(tmp_path, results=small, compile=False, graph="dot")


def test_ci_has_pdflatex():
    """CI must compile the report: without pdflatex the PDF tests would only skip."""
    if os.environ.get("CI") and PDFLATEX is None:
        pytest.fail("CI is set but pdflatex is not on PATH: install texlive-latex-base/-recommended/-pictures")


@needs_pdflatex
def test_pdf_is_compiled(tmp_path, results):
    paths = rl.write_report(tmp_path, results=results)
    assert paths.compiled and paths.pdf == tmp_path / "audit.pdf"
    data = paths.pdf.read_bytes()
    assert len(data) > 10_000 and data.startswith(b"%PDF")
    log = paths.log.read_text(encoding="latin-1")
    assert "undefined references" not in log and "Reference `" not in log
    assert "Overfull \\hbox" not in log, re.findall(r"Overfull \\hbox.*", log)
    assert "pk>" not in log, "a bitmap (PK) font was needed: " + ", ".join(re.findall(r"[\w/.-]+pk>", log))
    expected = {"audit.tex", "audit.pdf", "audit.log"} | ({"audit-graph.pdf"} if shutil.which("dot") else set())
    assert set(_listing(tmp_path)) == expected, "temporary files left behind"
    if shutil.which("pdftotext"):
        text = subprocess.run(["pdftotext", str(paths.pdf), "-"], capture_output=True, text=True, check=True).stdout
        # the hostile detail comes out as typed (pdftotext reads the underscore rule of OT1 as a space)
        assert "50% & $5 #1 a b {x}" in text and "back\\slash \\\\ \\par \\end{document} <>|" in text
        text = unicodedata.normalize("NFC", text)  # pdftotext writes the accent of \\'{e} as a combining mark
        assert "\u03bb\u22480.9 \u2208" in text and "caf\u00e9 [U+4E2D] [U+1F600]" in text


@needs_pdflatex
def test_pdf_with_tikz_graph(tmp_path, small):
    paths = rl.write_report(tmp_path, results=small, graph="tikz")
    assert paths.compiled and paths.graph is None and paths.pdf.read_bytes().startswith(b"%PDF")
    assert _listing(tmp_path) == ["audit.log", "audit.pdf", "audit.tex"]
    tex = paths.tex.read_text(encoding="utf-8")
    assert r"\begin{tikzpicture}" in tex and "(not in this report)" in tex
    assert "undefined references" not in paths.log.read_text(encoding="latin-1")


@needs_pdflatex
def test_latex_failure_raises_with_log_tail(tmp_path):
    tex = tmp_path / "audit.tex"
    tex.write_text("\\documentclass{article}\\begin{document}\\undefinedmacro\\end{document}\n")
    with pytest.raises(rl.ReportError) as err:
        rl.compile_pdf(tex)
    assert "Undefined control sequence" in str(err.value) and "undefinedmacro" in err.value.log_tail
    assert _listing(tmp_path) == ["audit.log", "audit.tex"]


def test_runs_the_audit_when_no_results_are_given(tmp_path, small, monkeypatch):
    import derivations.engine

    calls = []
    monkeypatch.setattr(derivations.engine, "run", lambda *a, **k: calls.append(k) or small)
    paths = rl.write_report(tmp_path, compile=False, progress=False, graph="tikz")
    assert calls == [{"progress": False}]
    assert len(re.findall(r"\\label\{claim:", paths.tex.read_text(encoding="utf-8"))) == len(small)


# ------------------------------------------------------------------------------------------------ the real audit


@needs_pdflatex
def test_real_audit_compiles_with_every_claim_and_erratum(tmp_path, monkeypatch, capsys):
    """``grokking-audit report`` on the real results (shared with test_audit, so the audit runs once per session)."""
    from cli import app as cli

    from . import audit_cache

    results = audit_cache.all_results()
    monkeypatch.setattr(cli, "run", lambda *a, **k: results)
    assert cli.main(["report", "-o", str(tmp_path), "--no-progress", "--errata-markdown"]) == 0
    pdf, tex = tmp_path / "audit.pdf", (tmp_path / "audit.tex").read_text()
    assert pdf.read_bytes().startswith(b"%PDF") and pdf.stat().st_size > 50_000
    assert sorted(re.findall(r"\\label\{claim:([^}]*)\}", tex)) == sorted(audit_cache.CLAIMS)
    assert "no symbolic statement attached" not in tex and "statement() raised" not in tex
    # a checked formula, typeset as mathematics, in every entry (a text row would mean a missing or unsafe one)
    assert tex.count(r"\auditmath{As checked}") >= len(audit_cache.CLAIMS) and r"\auditrow{As checked}" not in tex
    errata = _section(tex, "Errata")
    refuted = [r for r in results if r.status == "refuted"]
    assert len(refuted) >= 10
    for r in refuted:
        assert r.claim.id.replace("_", r"\_") in errata or r.claim.id in errata, r.claim.id
    markdown = capsys.readouterr().out
    assert sum(line.startswith("| `") for line in markdown.splitlines()) == len(refuted)
