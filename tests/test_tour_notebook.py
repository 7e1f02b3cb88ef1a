"""docs/tour.ipynb runs from a fresh kernel and shows what its markdown says it shows.

The notebook is stored without outputs; this test executes it with nbclient in a kernel started from this very
interpreter (``sys.executable -m ipykernel_launcher``, not whatever ``python3`` kernelspec a user may have installed),
then reads the outputs of its tagged cells: ``prediction`` (a finite MP-limit Delta t), ``errata`` (a table of claims
that tests/expected_verdicts.py records as refuted), ``figure`` (a PNG) and ``certified`` (Arb balls that contain the
mpmath values).
"""

from __future__ import annotations

import math
import re
import sys
from fractions import Fraction
from pathlib import Path

import nbclient
import nbformat
import pytest
from jupyter_client.kernelspec import KernelSpec, KernelSpecManager
from jupyter_client.manager import AsyncKernelManager

from .expected_verdicts import EXPECTED

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "docs" / "tour.ipynb"
CELL_TIMEOUT = 300  # seconds per cell; the audit cell is the slow one (~20-60 s on 2 cores)


class _ThisInterpreter(KernelSpecManager):
    """Every kernel name resolves to an IPython kernel of the interpreter running the tests."""

    def get_kernel_spec(self, kernel_name):
        return KernelSpec(
            argv=[sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
            display_name=f"Python {sys.version_info.major} (tests)",
            language="python",
        )


@pytest.fixture(scope="module")
def executed():
    nb = nbformat.read(NOTEBOOK, as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell("import sys\nprint(sys.executable)", metadata={"tags": ["interpreter"]}))
    km = AsyncKernelManager(kernel_name="python3", kernel_spec_manager=_ThisInterpreter())
    client = nbclient.NotebookClient(
        nb, km=km, timeout=CELL_TIMEOUT, allow_errors=False, resources={"metadata": {"path": str(ROOT)}}
    )
    client.execute()
    return nb


def _cell(nb, tag: str):
    cells = [c for c in nb.cells if tag in c.metadata.get("tags", [])]
    assert len(cells) == 1, f"expected one cell tagged {tag!r}, found {len(cells)}"
    return cells[0]


def _stdout(cell) -> str:
    return "".join(o.text for o in cell.outputs if o.output_type == "stream" and o.name == "stdout")


def test_stored_without_outputs():
    nb = nbformat.read(NOTEBOOK, as_version=4)
    nbformat.validate(nb)
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, "store the notebook with outputs cleared"


def test_runs_in_this_interpreter_without_errors(executed):
    assert Path(_stdout(_cell(executed, "interpreter")).strip()) == Path(sys.executable)
    for cell in executed.cells:
        if cell.cell_type == "code":
            assert cell.execution_count is not None
            assert not [o for o in cell.outputs if o.output_type == "error"], cell.source


def test_prediction_prints_finite_grokking_times(executed):
    out = _stdout(_cell(executed, "prediction"))
    values = {}
    for name in ("t_train*", "t_gen*", "Delta t"):
        m = re.search(rf"{re.escape(name)}\s*=\s*([0-9.eE+-]+) steps", out)
        assert m, f"{name} not printed:\n{out}"
        values[name] = float(m.group(1))
    assert all(math.isfinite(v) and v > 0 for v in values.values()), values
    assert values["Delta t"] == pytest.approx(values["t_gen*"] - values["t_train*"], rel=1e-4)


def test_finite_size_quantiles(executed):
    out = _stdout(_cell(executed, "finite-size"))
    rows = dict(re.findall(r"^\s*(t_train|t_gen|delta)\s+(.+)$", out, flags=re.M))
    assert set(rows) == {"t_train", "t_gen", "delta"}, out
    for name, row in rows.items():
        q10, q50, q90, mp_limit = (float(x) for x in row.split())
        assert 0 < q10 <= q50 <= q90, (name, row)
        assert q10 < mp_limit < q90, (name, row)  # the MP limit is the centre of the runs (lam = 0.9, d_in = 200)


def test_errata_table_lists_refuted_claims(executed):
    cell = _cell(executed, "errata")
    tables = [o.data["text/markdown"] for o in cell.outputs if "text/markdown" in o.get("data", {})]
    assert len(tables) == 1, cell.outputs
    listed = re.findall(r"^\| `([a-z0-9/-]+)` \|", tables[0], flags=re.M)
    refuted = {cid for cid, verdict in EXPECTED.items() if verdict == "refuted"}
    assert listed, tables[0]
    assert set(listed) <= refuted, set(listed) - refuted
    assert {"eq10-accuracy", "text-lambda1-divergence"} <= set(listed)
    counts = re.search(r"(\d+) claims audited: (.*)", _stdout(cell))
    assert counts, _stdout(cell)
    by_status = {s: int(n) for n, s in re.findall(r"(\d+) (\w+)", counts.group(2))}
    assert by_status.get("refuted") == len(listed)
    assert sum(by_status.values()) == int(counts.group(1))
    assert "error" not in by_status and "unknown" not in by_status


def test_figure_is_a_png(executed):
    cell = _cell(executed, "figure")
    pngs = [o.data["image/png"] for o in cell.outputs if "image/png" in o.get("data", {})]
    assert len(pngs) == 1, [o.output_type for o in cell.outputs]
    assert len(pngs[0]) > 10_000  # base64 of a two-panel figure, not an empty canvas


def test_certified_balls_contain_mpmath_values(executed):
    out = _stdout(_cell(executed, "certified"))
    lines = re.findall(
        r"^(\S+)\s+certified \[([0-9.eE+-]+) \+/- ([0-9.eE+-]+)\]\s+mpmath ([0-9.eE+-]+)\s+inside: (\w+)$",
        out,
        flags=re.M,
    )
    assert {name for name, *_ in lines} >= {"t_train*", "t_gen*"}, out
    for name, mid, rad, value, inside in lines:
        # flint prints a decimal ball that contains the binary one; mpmath's value is printed to 25 digits
        mid, rad, value = Fraction(mid), Fraction(rad), Fraction(value)
        assert 0 < rad < abs(mid) * Fraction(1, 10**8), (name, rad)
        assert abs(value - mid) <= rad, (name, float(value - mid), float(rad))
        assert inside == "True", name
