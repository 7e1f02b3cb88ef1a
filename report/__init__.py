"""Reports of the audit: a LaTeX/PDF document (:mod:`report.latex`) with its dependency graph (:mod:`report.graph`);
the figures live in :mod:`report.figures`.

``write_report(out_dir)`` runs the audit (or takes ``results=``), writes ``audit.tex`` and, when ``pdflatex`` is
on PATH, ``audit.pdf``; ``errata_markdown(results)`` gives the errata table in Markdown (for the README).
"""

from .latex import ErratumRow, ReportError, ReportPaths, errata_markdown, errata_rows, latex_escape, write_report

__all__ = [
    "ErratumRow",
    "ReportError",
    "ReportPaths",
    "errata_markdown",
    "errata_rows",
    "latex_escape",
    "write_report",
]
