"""``grokking-audit sweep``: a tiny serial sweep from the shell, streamed to a file and resumed."""

from __future__ import annotations

import json

import pytest

from cli import main


def test_cli_sweep_runs_streams_and_resumes(tmp_path, capsys):
    out, csv = tmp_path / "s.jsonl", tmp_path / "s.csv"
    argv = ["sweep", "--d-in", "100", "--lam", "0.5", "--steps", "20000", "--seeds", "2", "--serial"]
    argv += ["--out", str(out), "--csv", str(csv), "--no-progress"]
    assert main(argv) == 0
    first = capsys.readouterr().out
    assert "ran 2, reused 0" in first
    runs = [json.loads(line) for line in out.read_text().splitlines()]
    assert sum(r.get("status") == "ok" for r in runs) == 2
    assert len(csv.read_text().splitlines()) == 3  # header + one row per seed
    assert main(argv) == 0
    assert "ran 0, reused 2" in capsys.readouterr().out


def test_cli_sweep_rejects_bad_grid(capsys):
    with pytest.raises(SystemExit) as e:
        main(["sweep", "--lam", "-0.5", "--serial", "--no-progress"])
    assert e.value.code == 2 and "lam" in capsys.readouterr().err
