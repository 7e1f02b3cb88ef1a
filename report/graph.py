"""The dependency graph of the claims, coloured by verdict: Graphviz ``dot`` source and a TikZ fallback.

Edges point from a claim to the claims that use it (a dependency above its dependents).  ``render_dot``
turns the dot source into a PDF when Graphviz is installed; without it :func:`to_tikz` draws the same graph
with a simple layered layout (layer = longest chain of dependencies, order inside a layer by barycentre
sweeps), so the report never depends on Graphviz being present.
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path

#: verdict -> (fill, border) colours, hex RGB; shared by the dot graph, the TikZ graph and the LaTeX badges
VERDICT_COLOURS: dict[str, tuple[str, str]] = {
    "proved": ("C8E6C9", "1B5E20"),
    "confirmed": ("BBDEFB", "0D47A1"),
    "asymptotic": ("FFE0B2", "E65100"),
    "refuted": ("FFCDD2", "B71C1C"),
    "unknown": ("E0E0E0", "424242"),
    "error": ("E1BEE7", "4A148C"),
}
#: display order of verdicts (summary, legend)
VERDICT_ORDER = ("proved", "confirmed", "asymptotic", "refuted", "unknown", "error")


def colours(status: str) -> tuple[str, str]:
    """Fill and border colour of a verdict (grey for anything unexpected)."""
    return VERDICT_COLOURS.get(status, VERDICT_COLOURS["unknown"])


def layers(uses: Mapping[str, Sequence[str]]) -> dict[str, int]:
    """Layer of each node: 0 for claims using nothing, else 1 + the deepest layer among the claims it uses.

    Dependencies outside ``uses`` (claims not in the report) are ignored.
    """
    out: dict[str, int] = {}

    def depth(n: str, stack: tuple[str, ...] = ()) -> int:
        if n in out:
            return out[n]
        if n in stack:
            raise ValueError(f"dependency cycle through {n!r}")
        deps = [u for u in uses[n] if u in uses]
        out[n] = 1 + max((depth(u, (*stack, n)) for u in deps), default=-1)
        return out[n]

    for n in uses:
        depth(n)
    return out


def ordered_layers(uses: Mapping[str, Sequence[str]], sweeps: int = 8) -> list[list[str]]:
    """Nodes grouped by :func:`layers`, each layer ordered to reduce edge crossings (barycentre heuristic)."""
    lay = layers(uses)
    rows: list[list[str]] = [[] for _ in range(1 + max(lay.values(), default=-1))]
    for n in uses:  # keep the input order as the initial order
        rows[lay[n]].append(n)
    users: dict[str, list[str]] = {n: [] for n in uses}
    for n, deps in uses.items():
        for u in deps:
            if u in users:
                users[u].append(n)

    def reorder(row: list[str], neighbours, ref: list[str]) -> list[str]:
        pos = {n: i for i, n in enumerate(ref)}
        keyed = []
        for i, n in enumerate(row):
            ps = [pos[m] for m in neighbours(n) if m in pos]
            keyed.append((sum(ps) / len(ps) if ps else i * max(1, len(ref)) / max(1, len(row)), i, n))
        return [n for *_, n in sorted(keyed)]

    for sweep in range(sweeps):
        if sweep % 2 == 0:  # downwards: order by the positions of the dependencies
            for k in range(1, len(rows)):
                rows[k] = reorder(rows[k], lambda n: uses[n], rows[k - 1])
        else:  # upwards: order by the positions of the users
            for k in range(len(rows) - 2, -1, -1):
                rows[k] = reorder(rows[k], lambda n: users[n], rows[k + 1])
    return rows


def new_temp_file(directory: Path, name: str) -> Path:
    """Create an empty, unique, hidden temporary file ``.<name>.<random>.tmp`` in ``directory`` (mode 0666
    minus the umask, like an ordinary file) and return its path."""
    while True:
        tmp = Path(directory) / f".{name}.{secrets.token_hex(4)}.tmp"
        try:
            os.close(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
        except FileExistsError:
            continue
        return tmp


def _dot_id(s: str) -> str:
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def wrap_id(cid: str, width: int = 14) -> list[str]:
    """Split a claim id at hyphens into lines of about ``width`` characters (for node labels)."""
    lines: list[str] = []
    for part in cid.split("-"):
        if lines and len(lines[-1]) + 1 + len(part) <= width:
            lines[-1] += "-" + part
        else:
            if lines:
                lines[-1] += "-"
            lines.append(part)
    return lines or [cid]


def to_dot(nodes: Mapping[str, tuple[str, Sequence[str]]]) -> str:
    """Graphviz source: ``nodes`` maps claim id -> (status, ids it uses)."""
    lines = [
        "digraph audit {",
        '  graph [rankdir=TB, ranksep=0.32, nodesep=0.12, margin=0, fontname="Helvetica"];',
        '  node [shape=box, style="rounded,filled", fontname="Helvetica", fontsize=11, margin="0.06,0.03",'
        " height=0.3, penwidth=1.2];",
        '  edge [arrowsize=0.5, color="#00000080", penwidth=0.7];',
    ]
    for cid, (status, _) in nodes.items():
        fill, border = colours(status)
        label = "\\n".join(line.replace("\\", "\\\\").replace('"', '\\"') for line in wrap_id(cid))
        lines.append(f'  {_dot_id(cid)} [label="{label}", fillcolor="#{fill}", color="#{border}"];')
    for cid, (_, uses) in nodes.items():
        for u in uses:
            if u in nodes:
                lines.append(f"  {_dot_id(u)} -> {_dot_id(cid)};")
    lines.append("}")
    return "\n".join(lines) + "\n"


def render_dot(source: str, out_pdf: Path, *, timeout: float = 60) -> bool:
    """Render dot ``source`` to ``out_pdf`` atomically; False (and no file) if Graphviz is missing or fails."""
    exe = shutil.which("dot")
    if exe is None:
        return False
    out_pdf = Path(out_pdf)
    tmp = str(new_temp_file(out_pdf.parent, out_pdf.name))
    try:
        proc = subprocess.run(
            [exe, "-Tpdf", "-o", tmp], input=source, text=True, capture_output=True, timeout=timeout, check=False
        )
        if proc.returncode != 0 or os.path.getsize(tmp) == 0:
            return False
        os.replace(tmp, out_pdf)
        return True
    except (OSError, subprocess.SubprocessError):
        return False
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def pdf_size(path: Path) -> tuple[float, float] | None:
    """Width and height (pt) of the first ``/MediaBox`` of a PDF, or ``None`` if it cannot be read."""
    try:
        data = Path(path).read_bytes()
    except OSError:
        return None
    m = re.search(rb"/MediaBox\s*\[\s*([-\d.]+)\s+([-\d.]+)\s+([-\d.]+)\s+([-\d.]+)\s*\]", data)
    if not m:
        return None
    x0, y0, x1, y1 = (float(v) for v in m.groups())
    return abs(x1 - x0), abs(y1 - y0)


TIKZ_XSEP, TIKZ_YSEP = 1.85, 1.35  # cm between node centres


def tikz_size(nodes: Mapping[str, tuple[str, Sequence[str]]]) -> tuple[float, float]:
    """Approximate width and height (cm) of :func:`to_tikz`'s drawing."""
    uses = {cid: [u for u in deps if u in nodes] for cid, (_, deps) in nodes.items()}
    rows = ordered_layers(uses, sweeps=0)
    return max((len(r) for r in rows), default=1) * TIKZ_XSEP, max(1, len(rows)) * TIKZ_YSEP


def to_tikz(nodes: Mapping[str, tuple[str, Sequence[str]]], *, colour_name=lambda status: f"v{status}") -> str:
    """A ``tikzpicture`` of the graph (layered top-down layout), nodes hyperlinked to ``claim:<id>`` labels.

    ``colour_name(status)`` gives the xcolor names defined by the document: ``<name>fill``, ``<name>line``.
    Node labels are claim ids, which contain only letters, digits and hyphens (checked by the caller).
    """
    uses = {cid: [u for u in deps if u in nodes] for cid, (_, deps) in nodes.items()}
    rows = ordered_layers(uses)
    width = max((len(r) for r in rows), default=1)
    xsep, ysep = TIKZ_XSEP, TIKZ_YSEP
    out = [
        r"\begin{tikzpicture}[x=1cm,y=1cm,>=stealth,",
        r"  claimnode/.style={draw,rounded corners=2pt,inner sep=1.5pt,align=center,font=\tiny\sffamily,"
        r"line width=0.6pt,text width=1.4cm}]",
    ]
    names = {}
    for k, row in enumerate(rows):
        offset = (width - len(row)) / 2
        for i, cid in enumerate(row):
            names[cid] = f"n{k}x{i}"
            status = nodes[cid][0]
            label = r"\\".join(wrap_id(cid, 12))
            out.append(
                rf"\node[claimnode,fill={colour_name(status)}fill,draw={colour_name(status)}line] ({names[cid]})"
                rf" at ({(offset + i) * xsep:.3f},{-k * ysep:.3f})"
                rf" {{\hyperref[claim:{cid}]{{\color{{black}}{label}}}}};"
            )
    for cid, deps in uses.items():
        for u in deps:
            out.append(rf"\draw[->,black!35,line width=0.4pt] ({names[u]}.south) -- ({names[cid]}.north);")
    out.append(r"\end{tikzpicture}")
    return "\n".join(out)
