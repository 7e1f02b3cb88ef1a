"""The audit as a LaTeX document (and PDF, when ``pdflatex`` is installed).

``write_report(out_dir)`` writes ``audit.tex``: a summary of the verdicts, an overview table, the errata (every
refuted statement with its corrected form, and the readings chosen for garbled prints), the dependency graph of
the claims coloured by verdict, and one entry per claim (``\\label{claim:<id>}``) with the formula as printed,
the formula as checked (``sympy.latex`` of ``claim.statement()``), the verdict with how it was obtained, the
corrected form and links to the claims it uses.  Every file is written atomically (temporary file in the same
directory, then ``os.replace``); the PDF is compiled in a temporary directory and moved into place only once
``pdflatex`` succeeded.

Only packages of texlive-latex-base/-recommended and texlive-pictures are used (amsmath, amssymb, graphicx,
xcolor, longtable, booktabs, array, geometry, hyperref; tikz for the graph when Graphviz is missing).

Formulas go through :mod:`report.texsafe` (validated, or shown verbatim; long ones broken into lines).
"""

from __future__ import annotations

import datetime as _dt
import os
import re
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from derivations.order import paper_order

from . import graph as _graph
from .mathtext import title_latex
from .texsafe import (  # noqa: F401 - re-exported: the report's public helpers lived here
    LINE_CHARS,
    break_math,
    latex_escape,
    latex_texttt,
    latex_verbatim_block,
    math_block,
    safe_math,
    sympy_latex,
    text_row,
    visible_length,
)

TEX_NAME = "audit.tex"
PDF_NAME = "audit.pdf"
LOG_NAME = "audit.log"
GRAPH_NAME = "audit-graph.pdf"
# ------------------------------------------------------------------------------------------------ data model


@dataclass(frozen=True)
class ReportPaths:
    """What :func:`write_report` produced.

    ``tex``: the LaTeX source; ``pdf``: the compiled PDF, or ``None`` when not compiled; ``graph``: the
    Graphviz drawing included by the document, or ``None`` when the graph is drawn with TikZ; ``log``: the
    pdflatex log of the last run (``None`` when not compiled); ``compiled``: whether a PDF was made;
    ``message``: a one-line account (e.g. that no TeX engine was found); ``seconds``: compilation time.
    """

    tex: Path
    pdf: Path | None
    graph: Path | None
    log: Path | None
    compiled: bool
    message: str
    seconds: float = 0.0


class ReportError(RuntimeError):
    """pdflatex failed; ``log_tail`` holds the end of its log (also in the message)."""

    def __init__(self, message: str, log_tail: str = ""):
        super().__init__(message + ("\n--- end of the pdflatex log ---\n" + log_tail if log_tail else ""))
        self.log_tail = log_tail


@dataclass(frozen=True)
class ErratumRow:
    """One erratum: a refuted claim, with the formula as printed, as checked (SymPy LaTeX, if the claim has a
    statement) and the corrected form (LaTeX); ``reading`` is how a garbled print was read."""

    id: str
    equations: tuple[int, ...]
    title: str
    printed: str
    checked: str | None
    corrected: str
    reading: str | None
    detail: str


def _status(r) -> str:
    return r.status if isinstance(r.status, str) else str(r.status)


def _eqs(equations: Iterable[int]) -> str:
    eqs = list(equations)
    if not eqs:
        return "text"
    return ", ".join(map(str, eqs))


def _checked_latex(claim) -> str | None:
    if claim.statement is None:
        return None
    try:
        src, _ = sympy_latex(claim.statement())
    except Exception:  # noqa: BLE001
        return None
    return src


def errata_rows(results: Sequence) -> list[ErratumRow]:
    """The errata of the audit: every refuted claim, in paper order."""
    rows = []
    for r in paper_order(results):
        if r.verdict is None or _status(r) != "refuted":
            continue
        c = r.claim
        rows.append(
            ErratumRow(
                id=c.id,
                equations=tuple(c.equations),
                title=c.title,
                printed=c.printed,
                checked=_checked_latex(c),
                corrected=r.verdict.corrected or "",
                reading=c.reading,
                detail=r.verdict.detail,
            )
        )
    return rows


def _md_math(src: str) -> str:
    """Inline Markdown math for a table cell: ``$...$`` with pipes rewritten (a bare ``|`` ends a cell)."""
    s = " ".join(src.split())
    s = s.replace(r"\|", r"\Vert ").replace("|", r"\vert ")
    s = s.replace("$", r"\$")
    return f"${s}$"


def errata_markdown(results: Sequence) -> str:
    """The errata as a GitHub Markdown table: claim, equations, as printed, corrected (LaTeX in ``$...$``)."""
    lines = ["| Claim | Eq. | As printed | Corrected |", "|---|---|---|---|"]
    for row in errata_rows(results):
        eqs = ", ".join(map(str, row.equations)) or "text"
        lines.append(f"| `{row.id}` | {eqs} | {_md_math(row.printed)} | {_md_math(row.corrected)} |")
    return "\n".join(lines) + "\n"


# ------------------------------------------------------------------------------------------------ the document

_ID_OK = re.compile(r"[A-Za-z0-9][A-Za-z0-9.:-]*")


def _label(cid: str) -> str:
    """``claim:<id>``, with any character outside letters, digits, ``.:-`` hex-encoded (labels must be safe)."""
    safe = "".join(ch if ch.isascii() and (ch.isalnum() or ch in ".:-") else f"x{ord(ch):x}" for ch in cid)
    return f"claim:{safe}"


def _link(cid: str) -> str:
    return rf"\hyperref[{_label(cid)}]{{\texttt{{{latex_escape(cid)}}}}}"


_PREAMBLE = r"""\documentclass[10pt,a4paper]{article}
\usepackage[margin=2cm]{geometry}
\usepackage{amsmath,amssymb}
\usepackage{graphicx}
\usepackage{xcolor}
\usepackage{array,longtable,booktabs}
\usepackage{pdflscape}
%TIKZ%
\usepackage[colorlinks=true,linkcolor=blue!60!black,urlcolor=blue!60!black,pdfborder={0 0 0}]{hyperref}
%COLOURS%
\newcommand\verdictbadge[1]{{\setlength{\fboxsep}{1.5pt}\fcolorbox{v#1line}{v#1fill}{\strut\textsf{\small #1}}}}
\newcommand\verdicttext[1]{\textcolor{v#1line}{\textbf{#1}}}
\newsavebox\auditbox
% a formula, shrunk to the available width if wider
\newcommand\auditfit[2]{\sbox\auditbox{$\displaystyle #2$}%
  \ifdim\wd\auditbox>#1\relax\resizebox{#1}{!}{\usebox\auditbox}\else\usebox\auditbox\fi}
% labelled rows: the label in a column of width \auditlab, text or formula lines to its right
\newlength\auditlab\setlength\auditlab{6.6em}
\newcommand\auditlabel[1]{\makebox[\auditlab][l]{\textit{#1}}}
\newcommand\auditrow[2]{\par\noindent\hangindent=\auditlab\hangafter=1\auditlabel{#1}\ignorespaces#2\par}
\newcommand\auditraggedrow[2]{{\raggedright\auditrow{#1}{#2}}}
\newcommand\auditmath[2]{\par\addvspace{0.4ex}\noindent\auditlabel{#1}%
  \auditfit{\dimexpr\linewidth-\auditlab\relax}{#2}\par}
\newcommand\auditmathcont[1]{\noindent\hspace*{\dimexpr\auditlab+2em\relax}%
  \auditfit{\dimexpr\linewidth-\auditlab-2em\relax}{#1}\par}
\newcommand\auditmathend{\addvspace{0.4ex}}
\setlength{\lineskip}{3pt}
% a picture, shrunk to the line width and to 0.8 of the text height if larger
\newcommand\auditfitpage[1]{\sbox\auditbox{#1}%
  \ifdim\wd\auditbox>\linewidth\sbox\auditbox{\resizebox{\linewidth}{!}{\usebox\auditbox}}\fi
  \ifdim\dimexpr\ht\auditbox+\dp\auditbox\relax>0.8\textheight
    \sbox\auditbox{\resizebox*{!}{0.8\textheight}{\usebox\auditbox}}\fi
  \usebox\auditbox}
\renewcommand{\labelitemi}{\ensuremath{\bullet}}  % \textbullet is TS1: a bitmap font without cm-super
\setlength{\emergencystretch}{3em}
\hfuzz=1pt
\sloppy
\setlength{\parindent}{0pt}
\setlength{\parskip}{0.4ex}
\setcounter{tocdepth}{2}
\renewcommand{\arraystretch}{1.15}
\hypersetup{pdftitle={Audit of Grokking in Linear Estimators},pdfauthor={grokking-audit}}
"""

_VERDICT_TEXT = {
    "proved": "shown symbolically (SymPy) or by exact arithmetic",
    "confirmed": "confirmed numerically: N digits at K points, at two working precisions",
    "asymptotic": "a limit relation that holds, with its error measured at the paper's parameters",
    "refuted": "a counterexample, together with a corrected statement that is itself checked",
    "unknown": "the checks could neither support nor refute it",
    "error": "the check itself crashed (a bug in the audit, not a verdict on the paper)",
}


def _colour_defs() -> str:
    out = []
    for status, (fill, line) in _graph.VERDICT_COLOURS.items():
        out.append(rf"\definecolor{{v{status}fill}}{{HTML}}{{{fill}}}\definecolor{{v{status}line}}{{HTML}}{{{line}}}")
    return "\n".join(out)


def _badge(status: str) -> str:
    status = status if status in _graph.VERDICT_COLOURS else "unknown"
    return rf"\verdictbadge{{{status}}}"


def _verdict_text(status: str) -> str:
    """The verdict as coloured bold text (for running text, where a framed badge would spread the lines)."""
    colour = status if status in _graph.VERDICT_COLOURS else "unknown"
    return rf"\textcolor{{v{colour}line}}{{\textbf{{{latex_escape(status)}}}}}"


def _section_title(section: str) -> str:
    if not section:
        return "Other claims"
    head = section.split(" ", 1)[0]
    kind = "Appendix" if re.fullmatch(r"[A-Z](\.\d+)*", head) else "Section"
    return f"{kind} {latex_escape(section)}"


def _claim_entry(r, users: dict[str, list[str]], known: set[str]) -> str:
    c = r.claim
    status = _status(r)
    out = [
        rf"\subsubsection[{latex_escape(c.id)}]{{\texorpdfstring{{\texttt{{{latex_escape(c.id)}}}}}"
        rf"{{{latex_escape(c.id)}}}}}\label{{{_label(c.id)}}}",
        rf"{_badge(status)}\quad "
        + (rf"Eq.~({latex_escape(_eqs(c.equations))})" if c.equations else "statement in the text")
        + rf"\quad\textit{{{title_latex(c.title)}}}",
        math_block(c.printed, "As printed"),
    ]
    if c.reading:
        out.append(text_row("Reading", latex_escape(c.reading)))
    if c.variables:
        out.append(
            text_row("Variables", "; ".join(f"{latex_escape(k)}: {latex_escape(v)}" for k, v in c.variables.items()))
        )
    if c.statement is None:
        out.append(
            text_row("As checked", r"\textit{no symbolic statement attached (the check tests the printed form)}")
        )
    else:
        try:
            obj = c.statement()
        except Exception as e:  # noqa: BLE001 - the report never crashes on a statement
            out.append(
                text_row("As checked", r"\textit{statement() raised} " + latex_texttt(f"{type(e).__name__}: {e}"))
            )
        else:
            src, text = sympy_latex(obj)
            out.append(math_block(src, "As checked", fallback=text))
    if r.verdict is None:
        out.append(text_row("Verdict", _verdict_text("error") + ": the check crashed:"))
        out.append(latex_verbatim_block(r.error or ""))
    else:
        out.append(text_row("Verdict", rf"{_verdict_text(status)}: {latex_escape(r.verdict.detail)}"))
        if r.verdict.corrected:
            out.append(math_block(r.verdict.corrected, "Corrected"))
    if c.uses:
        links = ", ".join(_link(u) if u in known else latex_texttt(u) + " (not in this report)" for u in c.uses)
        out.append(text_row("Uses", links, ragged=True))
    if users.get(c.id):
        out.append(text_row("Used by", ", ".join(_link(u) for u in users[c.id]), ragged=True))
    seconds = getattr(r, "seconds", None)
    if isinstance(seconds, int | float):
        out.append(text_row("Check time", rf"{seconds:.2f}\,s"))
    return "\n".join(out)


def _summary(results: Sequence) -> str:
    counts: dict[str, int] = {}
    for r in results:
        counts[_status(r)] = counts.get(_status(r), 0) + 1
    order = [s for s in _graph.VERDICT_ORDER if s in counts] + sorted(set(counts) - set(_graph.VERDICT_ORDER))
    eqs = sorted({e for r in results for e in r.claim.equations})
    rows = [rf"{_badge(s)} & {counts[s]} & {latex_escape(_VERDICT_TEXT.get(s, ''))}\\" for s in order]
    return "\n".join(
        [
            r"\section{Summary}",
            rf"The audit restates the paper as {len(results)} claims covering {len(eqs)} numbered equations"
            r" (and statements in the text). Every verdict is computed by the claim's check; none is declared by"
            r" hand. Each claim has an entry in Section~\ref{sec:claims} with the formula as printed, the formula"
            r" as checked (the SymPy object the check verifies, when the claim has one), the verdict with how it"
            r" was obtained, and links to the claims its derivation uses.",
            r"\begin{center}\begin{tabular}{@{}l r >{\raggedright\arraybackslash}p{0.62\linewidth}@{}}\toprule",
            r"Verdict & Claims & Meaning\\\midrule",
            *rows,
            r"\midrule",
            rf"total & {len(results)} & \\\bottomrule",
            r"\end{tabular}\end{center}",
        ]
    )


def _overview(results: Sequence) -> str:
    rows = []
    for r in paper_order(results):
        c = r.claim
        rows.append(
            rf"{_link(c.id)} & {latex_escape(_eqs(c.equations))} & {_badge(_status(r))} & {title_latex(c.title)}\\"
        )
    return "\n".join(
        [
            r"\section{Overview}",
            r"{\small",
            r"\begin{longtable}{@{}l l l >{\raggedright\arraybackslash}p{0.41\linewidth}@{}}",
            r"\toprule Claim & Eq. & Verdict & Title\\\midrule\endhead",
            r"\bottomrule\endfoot",
            *rows,
            r"\end{longtable}}",
        ]
    )


def _errata(results: Sequence) -> str:
    out = [
        r"\section{Errata}\label{sec:errata}",
        r"Every statement of the paper that the audit refutes, with the corrected form (itself checked; see the"
        r" claim's entry for the counterexample and the evidence).",
    ]
    rows = errata_rows(results)
    if not rows:
        out.append(r"\par\textit{No statement was refuted.}")
    else:
        out.append(r"\begin{enumerate}")
        for row in rows:
            eqs = rf"Eq.~({latex_escape(_eqs(row.equations))})" if row.equations else "text"
            out += [
                rf"\item {_link(row.id)} ({eqs}): {title_latex(row.title)}\label{{erratum:{_label(row.id)[6:]}}}",
                math_block(row.printed, "Printed"),
            ]
            if row.checked is not None:
                out.append(math_block(row.checked, "As checked"))
            if row.reading:
                out.append(text_row("Reading", latex_escape(row.reading)))
            out.append(math_block(row.corrected, "Corrected"))
        out.append(r"\end{enumerate}")
    readings = [r for r in paper_order(results) if r.claim.reading]
    if readings:
        out += [
            r"\subsection*{Readings of ambiguous or garbled prints}",
            r"Where the printed formula is ambiguous or garbled, the audit checks the reading below (the verdict is"
            r" that of the reading).",
            r"\begin{itemize}",
        ]
        for r in readings:
            eqs = rf"Eq.~({latex_escape(_eqs(r.claim.equations))})" if r.claim.equations else "text"
            out.append(
                rf"\item {_link(r.claim.id)} ({eqs}, {_verdict_text(_status(r))}): {latex_escape(r.claim.reading)}"
            )
        out.append(r"\end{itemize}")
    return "\n".join(out)


def _legend(statuses: Iterable[str]) -> str:
    present = set(statuses)
    shown = [s for s in _graph.VERDICT_ORDER if s in present] + sorted(present - set(_graph.VERDICT_ORDER))
    return r"\quad ".join(_badge(s) for s in shown)


def _graph_section(nodes, graph_file: str | None, aspect: float) -> str:
    """The graph on its own page, in landscape (``pdflscape``: the viewer shows the page turned) when the
    drawing is wider than tall; ``aspect`` = width / height of the drawing."""
    landscape = aspect > 1.15
    out = [r"\clearpage", r"\begin{landscape}" if landscape else ""]
    out += [
        r"\section{Dependency graph}\label{sec:graph}",
        r"An arrow from claim $A$ to claim $B$ means that the derivation checked in $B$ uses $A$."
        r" Colours give the verdicts: " + _legend(st for st, _ in nodes.values()) + ".",
        r"\par\medskip",
        r"\begin{center}",
    ]
    if graph_file is not None:
        out.append(
            rf"\includegraphics[width=\linewidth,height=0.8\textheight,keepaspectratio]{{{graph_file}}}"
            r"\par\smallskip{\small (drawn by Graphviz \texttt{dot}; the claim entries are in"
            r" Section~\ref{sec:claims})}"
        )
    else:
        out.append(
            r"\auditfitpage{%"
            + "\n"
            + _graph.to_tikz(nodes)
            + "}"
            + r"\par\smallskip{\small (drawn with TikZ; the nodes link to the claims)}"
        )
    out.append(r"\end{center}")
    if landscape:
        out.append(r"\end{landscape}")
    return "\n".join(x for x in out if x)


def build_latex(
    results: Sequence,
    *,
    graph_file: str | None = None,
    graph_aspect: float | None = None,
    generated: str | None = None,
) -> str:
    """The complete LaTeX document for ``results`` (engine results); ``graph_file``: a PDF of the dependency
    graph to include (``graph_aspect``: its width / height), or ``None`` to draw it with TikZ."""
    results = list(results)
    ids = [r.claim.id for r in results]
    if len(set(ids)) != len(ids):
        raise ValueError("duplicate claim ids in the results")
    known = set(ids)
    users: dict[str, list[str]] = {cid: [] for cid in ids}
    for r in results:
        for u in r.claim.uses:
            if u in users:
                users[u].append(r.claim.id)
    nodes = {r.claim.id: (_status(r), tuple(r.claim.uses)) for r in results}
    if graph_file is None and not all(_ID_OK.fullmatch(cid) for cid in ids):
        graph_tikz_ok = False
    else:
        graph_tikz_ok = True
    generated = generated or _dt.datetime.now(_dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    preamble = _PREAMBLE.replace("%COLOURS%", _colour_defs()).replace(
        "%TIKZ%", r"\usepackage{tikz}" if graph_file is None and graph_tikz_ok else ""
    )
    body = [
        preamble,
        r"\title{Audit of Levi, Beck \& Bar-Sinai (2023),\\ ``Grokking in Linear Estimators --- A Solvable Model"
        r" that Groks without Understanding''}",
        r"\author{generated by \texttt{grokking-audit} (\texttt{report.latex})}",
        rf"\date{{{latex_escape(generated)}}}",
        r"\begin{document}",
        r"\maketitle",
        r"\tableofcontents",
        r"\clearpage",  # the summary starts on page 2 in every run: later pages do not move when the contents appear
        _summary(results),
        _overview(results),
        _errata(results),
    ]
    if graph_file is not None or graph_tikz_ok:
        if graph_aspect is None:
            w, h = _graph.tikz_size(nodes) if graph_file is None else (1.0, 1.0)
            graph_aspect = w / h
        body.append(_graph_section(nodes, graph_file, graph_aspect))
    else:
        body.append(r"\section{Dependency graph}\label{sec:graph}See the ``Uses'' of each claim.")
    body += [r"\clearpage", r"\section{Claims}\label{sec:claims}"]
    current = None
    for r in paper_order(results):
        if r.claim.section != current:
            current = r.claim.section
            body.append(rf"\subsection{{{_section_title(current)}}}")
        body.append(_claim_entry(r, users, known))
    body.append(r"\end{document}")
    return "\n\n".join(body) + "\n"


# ------------------------------------------------------------------------------------------------ files


def atomic_write(path: Path, data: str | bytes) -> None:
    """Write ``data`` to ``path`` via a temporary file in the same directory and ``os.replace``: readers see
    the old file or the complete new one, never a partial one; no temporary file survives an exception."""
    path = Path(path)
    tmp = _graph.new_temp_file(path.parent, path.name)
    try:
        with open(tmp, "wb") as f:
            f.write(data.encode("utf-8") if isinstance(data, str) else data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


def _log_tail(log: Path, lines: int = 40) -> str:
    try:
        text = log.read_text(encoding="latin-1")
    except OSError:
        return "(no log)"
    tail = text.splitlines()[-lines:]
    errors = [ln for ln in text.splitlines() if ln.startswith("!") or re.match(r"^[^:\s]+:\d+: ", ln)]
    head = ("first error: " + errors[0] + "\n") if errors else ""
    return head + "\n".join(tail)


def compile_pdf(tex: Path, *, extra_files: Sequence[Path] = (), timeout: float = 300, runs: int = 3) -> tuple:
    """Run ``pdflatex`` on ``tex`` in a temporary directory next to it (up to ``runs`` times, until the
    cross-references settle; at least twice), then move ``audit.pdf`` and the log into place atomically.

    Returns ``(pdf, log, seconds)``; raises :class:`ReportError` with the tail of the log on failure and
    ``FileNotFoundError`` if ``pdflatex`` is not on PATH.
    """
    exe = shutil.which("pdflatex")
    if exe is None:
        raise FileNotFoundError("pdflatex is not on PATH")
    tex = Path(tex)
    out_dir = tex.parent
    build = Path(tempfile.mkdtemp(dir=out_dir, prefix=".audit-build-"))
    t0 = time.perf_counter()
    env = dict(os.environ, max_print_line="1000", error_line="254", half_error_line="238")
    try:
        shutil.copy2(tex, build / tex.name)
        for f in extra_files:
            shutil.copy2(f, build / Path(f).name)
        log = build / (tex.stem + ".log")
        for n in range(max(2, runs)):
            try:
                proc = subprocess.run(
                    [exe, "-interaction=nonstopmode", "-halt-on-error", "-file-line-error", tex.name],
                    cwd=build,
                    stdin=subprocess.DEVNULL,
                    capture_output=True,
                    timeout=timeout,
                    env=env,
                    check=False,
                )
            except subprocess.TimeoutExpired as e:
                raise ReportError(f"pdflatex timed out after {timeout:.0f} s on {tex}", _log_tail(log)) from e
            if proc.returncode != 0:
                tail = _log_tail(log)
                if log.exists():
                    atomic_write(out_dir / (tex.stem + ".log"), log.read_bytes())
                raise ReportError(
                    f"pdflatex failed (exit {proc.returncode}) on {tex}; full log in {out_dir / (tex.stem + '.log')}",
                    tail,
                )
            text = log.read_text(encoding="latin-1") if log.exists() else ""
            if n >= 1 and "Rerun to get" not in text and "Label(s) may have changed" not in text:
                break
        pdf = build / (tex.stem + ".pdf")
        if not pdf.exists() or pdf.stat().st_size == 0:
            raise ReportError(f"pdflatex produced no PDF for {tex}", _log_tail(log))
        final_pdf, final_log = out_dir / (tex.stem + ".pdf"), out_dir / (tex.stem + ".log")
        os.replace(pdf, final_pdf)
        os.replace(log, final_log)
        return final_pdf, final_log, time.perf_counter() - t0
    finally:
        shutil.rmtree(build, ignore_errors=True)


def write_report(
    out_dir,
    *,
    results=None,
    compile: bool = True,
    progress: bool = False,
    graph: str = "auto",
    timeout: float = 300,
) -> ReportPaths:
    """Write ``audit.tex`` (and ``audit.pdf`` when ``compile`` and ``pdflatex`` is on PATH) into ``out_dir``.

    ``results``: engine results (``derivations.engine.run()``); run the whole audit when ``None`` (with a
    progress bar if ``progress``).  ``graph``: ``"auto"`` (Graphviz ``dot`` if on PATH, else TikZ), ``"dot"``
    or ``"tikz"``.  Raises :class:`ReportError` if pdflatex fails (with the tail of its log).
    """
    if graph not in ("auto", "dot", "tikz"):
        raise ValueError(f"graph must be 'auto', 'dot' or 'tikz', not {graph!r}")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    if results is None:
        from derivations.engine import run

        results = run(progress=progress)
    results = list(results)
    graph_path: Path | None = None
    if graph in ("auto", "dot"):
        nodes = {r.claim.id: (_status(r), tuple(r.claim.uses)) for r in results}
        if _graph.render_dot(_graph.to_dot(nodes), out_dir / GRAPH_NAME):
            graph_path = out_dir / GRAPH_NAME
        elif graph == "dot":
            raise ReportError("graph='dot' but Graphviz dot is missing or failed")
    if graph_path is None and (out_dir / GRAPH_NAME).exists():
        (out_dir / GRAPH_NAME).unlink()  # a stale drawing of an earlier report; this one draws with TikZ
    tex = out_dir / TEX_NAME
    aspect = None
    if graph_path is not None:
        size = _graph.pdf_size(graph_path)
        aspect = size[0] / size[1] if size and size[1] > 0 else 1.0
    atomic_write(tex, build_latex(results, graph_file=GRAPH_NAME if graph_path else None, graph_aspect=aspect))
    if not compile:
        return ReportPaths(tex, None, graph_path, None, False, f"wrote {tex} (compile=False)")
    if shutil.which("pdflatex") is None:
        return ReportPaths(tex, None, graph_path, None, False, f"pdflatex not found on PATH: wrote {tex} only")
    if progress:
        import sys

        print(f"compiling {tex} with pdflatex ...", file=sys.stderr)
    pdf, log, seconds = compile_pdf(tex, extra_files=[graph_path] if graph_path else (), timeout=timeout)
    return ReportPaths(tex, pdf, graph_path, log, True, f"wrote {tex} and {pdf} ({seconds:.1f} s)", seconds)
