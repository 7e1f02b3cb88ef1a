"""``grokking-audit figures``: the simulated Fig. 4 is drawn below the theory; bad names are refused."""

from __future__ import annotations

import pytest

from cli import main


def test_cli_figures_fig4_with_simulation(tmp_path, capsys):
    assert main(["figures", "-o", str(tmp_path), "--quick", "--which", "fig4", "--no-progress"]) == 0
    out = capsys.readouterr().out
    assert "simulated Fig. 4: 18 runs, 16 with a simulated and a predicted Delta t" in out
    png = tmp_path / "fig4_phase_diagrams.png"
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 20_000
    assert sorted(p.name for p in tmp_path.iterdir()) == ["fig4_phase_diagrams.png"]  # no temporary files left


def test_cli_figures_rejects_unknown_name(tmp_path, capsys):
    with pytest.raises(SystemExit) as e:
        main(["figures", "-o", str(tmp_path), "--which", "fig7", "--no-progress"])
    assert e.value.code == 2 and "fig7" in capsys.readouterr().err
