"""``grokking-audit predict --spectrum powerlaw:ALPHA[:N]`` / ``--dataset digits``: structured inputs from the shell."""

from __future__ import annotations

import argparse
import json
import types

import mpmath
import numpy as np
import pytest
from scipy.optimize import brentq

import numerics
from cli import main
from cli.predict import POWERLAW_N, parse_spectrum, render
from numerics.spectra import power_law


def _run(capsys, *argv):
    assert main(["predict", *argv]) == 0
    return capsys.readouterr().out


def _usage_error(capsys, *argv):
    with pytest.raises(SystemExit) as e:
        main(["predict", *argv])
    assert e.value.code == 2
    return capsys.readouterr().err


def test_parse_spectrum():
    assert parse_spectrum("powerlaw:1") == {"kind": "powerlaw", "alpha": 1.0, "n": POWERLAW_N} and POWERLAW_N == 1000
    assert parse_spectrum("powerlaw:0.5:2000") == {"kind": "powerlaw", "alpha": 0.5, "n": 2000}
    assert parse_spectrum("powerlaw:-1e-1:3")["alpha"] == -0.1
    for bad in ("powerlaw", "powerlaw:", "powerlaw:x", "powerlaw:inf", "powerlaw:1:0", "powerlaw:1:2.5", "pl:1", "1"):
        with pytest.raises(argparse.ArgumentTypeError):
            parse_spectrum(bad)
    with pytest.raises(argparse.ArgumentTypeError, match="--fs-spectrum"):
        parse_spectrum("exact")


def test_powerlaw_numbers_are_the_structured_theory(capsys):
    out = json.loads(_run(capsys, "--lam", "0.5", "--spectrum", "powerlaw:1:20", "--t", "0", "500", "--json"))
    s = power_law(1.0, 20)
    assert out["inputs"]["kind"] == "powerlaw" and out["inputs"]["d"] == 20
    assert out["inputs"]["max"] == pytest.approx(20 / np.sum(1 / np.arange(1, 21)), rel=1e-12)  # mean-1 scaling
    with mpmath.mp.workdps(15):
        g = numerics.grokking_time(0.5, spectrum=s)
        for key, ref in (("t_train", g.t_train), ("t_gen", g.t_gen), ("delta_t", g.delta)):
            assert mpmath.mpf(out[key]) == pytest.approx(ref, rel=1e-13)
        at = out["at"][1]
        assert mpmath.mpf(at["gen_loss"]) == pytest.approx(numerics.gen_loss(500, 0.5, spectrum=s), rel=1e-13)
        assert mpmath.mpf(at["train_acc"]) == pytest.approx(
            numerics.accuracy(numerics.train_loss(500, 0.5, spectrum=s), 1e-3), rel=1e-13
        )
    # independent of numerics' root finder: the float64 losses of numerics.structured cross eps/4 at the printed times
    tr, ge = numerics.structured.losses_float([float(out["t_train"]), float(out["t_gen"])], 0.5, s, eta=0.01)
    assert tr[0] == pytest.approx(2.5e-4, rel=1e-8) and ge[1] == pytest.approx(2.5e-4, rel=1e-8)
    assert out["at"][0]["train_loss"] == out["at"][0]["gen_loss"] and float(out["at"][0]["gen_loss"]) == 1.0
    assert float(out["train_loss_limit"]) == 0 and float(out["gen_loss_limit"]) == 0  # lam < 1, no weight decay


def test_digits_dataset_above_the_interpolation_threshold(capsys):
    pytest.importorskip("sklearn")
    from numerics.datasets import digits_spectrum

    out = json.loads(_run(capsys, "--lam", "2", "--dataset", "digits", "--json"))
    s = digits_spectrum()
    # lam > 1: L_gen -> the atom at 0, q(mu0) with lam mu0 q(mu0) = 1 (numerics.structured), solved here with brentq
    q = lambda m: np.mean(s / (1 + s * m))  # noqa: E731
    mu0 = brentq(lambda m: 2 * m * q(m) - 1, 1e-9, 1e3, xtol=1e-15, rtol=1e-15)
    assert float(out["gen_loss_limit"]) == pytest.approx(q(mu0), rel=1e-10)
    assert out["t_gen"] is None and out["inputs"] == {
        "kind": "dataset",
        "name": "digits",
        "d": 61,
        "mean": pytest.approx(1, rel=1e-12),
        "min": pytest.approx(s[0]),
        "max": pytest.approx(s[-1]),
    }
    text = render(out)  # the text form of the same dict
    assert "spectrum of Sigma: the digits dataset (d = 61" in text and "t_gen*   = never" in text


@pytest.mark.parametrize(
    "argv, needle",
    [
        (("--spectrum", "powerlaw:1", "--dataset", "digits"), "not allowed with"),
        (("--spectrum", "powerlaw:1:0"), "N must be an integer"),
        (("--spectrum", "hybrid"), "--fs-spectrum"),
        (("--dataset", "mnist"), "invalid choice"),
        (("--spectrum", "powerlaw:1:5", "--certify"), "--certify"),
        (("--spectrum", "powerlaw:1:5", "--d-in", "100"), "--d-in"),
        (("--spectrum", "powerlaw:2000:50"), "spectrum must be positive"),  # k^-2000 underflows to 0
    ],
)
def test_usage_errors(capsys, argv, needle):
    err = _usage_error(capsys, "--lam", "0.5", *argv)
    assert needle in err and "Traceback" not in err


def test_not_implemented_in_numerics_is_a_usage_error(capsys, monkeypatch):
    def refuse(*args, **kwargs):
        raise NotImplementedError("spectrum= with this setting is not derived")

    monkeypatch.setattr(numerics, "grokking_time", refuse)
    err = _usage_error(capsys, "--lam", "0.5", "--spectrum", "powerlaw:1:5")
    assert "--spectrum/--dataset: spectrum= with this setting is not derived" in err


@pytest.mark.parametrize(
    "extra, kw", [(("--gamma", "1e-3"), {"gamma": 1e-3}), (("--dynamics", "gd"), {"dynamics": "gd"})]
)
def test_weight_decay_and_gd_are_forwarded_to_numerics(capsys, monkeypatch, extra, kw):
    """The CLI does not refuse gamma > 0 or GD itself: it forwards them with spectrum= and prints what numerics
    returns (numerics decides; its NotImplementedError is the usage error above).  Stubs record the calls."""
    calls = []

    def grokking_time(lam, **k):
        calls.append(("grokking_time", lam, k))
        return types.SimpleNamespace(
            t_train=mpmath.mpf(11), t_gen=mpmath.mpf(22), delta=mpmath.mpf(11), level=mpmath.mpf("0.9"),
            loss_threshold=mpmath.mpf("2.5e-4"),
        )  # fmt: skip

    def loss(name):
        def f(t, lam, **k):
            calls.append((name, lam, k))
            return mpmath.mpf("1e-3")

        return f

    monkeypatch.setattr(numerics, "grokking_time", grokking_time)
    monkeypatch.setattr(numerics, "train_loss", loss("train_loss"))
    monkeypatch.setattr(numerics, "gen_loss", loss("gen_loss"))
    out = json.loads(_run(capsys, "--lam", "0.5", "--spectrum", "powerlaw:1:5", *extra, "--t", "7", "--json"))
    assert [c[0] for c in calls] == ["grokking_time", "train_loss", "gen_loss"]
    for _, lam, k in calls:
        assert lam == 0.5 and all(k[key] == v for key, v in kw.items())
        np.testing.assert_array_equal(k["spectrum"], power_law(1.0, 5))
    assert out["t_train"] == "11.0" and out["at"][0]["gen_loss"] == "0.001"


def test_finite_size_method_is_now_fs_spectrum(capsys):
    out = json.loads(_run(capsys, "--lam", "0.8", "--d-in", "20", "--draws", "5", "--fs-spectrum", "exact", "--json"))
    assert out["finite_size"]["spectrum"] == "exact" and "inputs" not in out
