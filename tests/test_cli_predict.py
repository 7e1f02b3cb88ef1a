"""``grokking-audit predict``: wiring, certified output and input errors."""

from __future__ import annotations

import json

import mpmath
import pytest

from cli import main


def _run(capsys, *argv):
    assert main(["predict", *argv]) == 0
    return capsys.readouterr().out


def test_predict_json_matches_the_defining_equations(capsys):
    out = json.loads(_run(capsys, "--lam", "0.5", "--t", "0", "1000", "--dps", "20", "--json"))
    with mpmath.mp.workdps(20):
        # the crossing is where the loss equals eps/4 (Eq. 10 at the Erf(sqrt 2) level): check the printed t_gen* there
        t_gen = mpmath.mpf(out["t_gen"])
        lo, hi = (1 - mpmath.sqrt(0.5)) ** 2, (1 + mpmath.sqrt(0.5)) ** 2
        dens = lambda nu: mpmath.sqrt((hi - nu) * (nu - lo)) / (2 * mpmath.pi * 0.5 * nu)  # noqa: E731
        gen = mpmath.quad(lambda nu: mpmath.exp(-0.04 * nu * t_gen) * dens(nu), [lo, hi])
        assert abs(gen / (mpmath.mpf(1e-3) / 4) - 1) < 1e-12
    assert out["at"][0]["gen_loss"] == "1.0" and out["at"][0]["train_acc"] == out["at"][0]["gen_acc"]
    assert float(out["delta_t"]) == pytest.approx(float(out["t_gen"]) - float(out["t_train"]), rel=1e-15)


def test_predict_certified_balls_contain_the_estimates(capsys):
    import flint

    out = json.loads(_run(capsys, "--lam", "0.3", "--t", "500", "--certify", "--json"))
    for key in ("t_train", "t_gen"):
        ball = flint.arb(out["certified"][key])
        assert ball.rad() < 1e-6 and ball.contains(flint.arb(out[key]).mid())
    assert flint.arb(out["certified"]["at"][0]["gen_loss"]).overlaps(flint.arb(out["at"][0]["gen_loss"]))


def test_predict_text_and_never(capsys):
    text = _run(capsys, "--lam", "2.0", "--eps", "1e-3")  # lam > 1: L_gen plateaus at 1/2 > eps/4
    assert "t_gen*   = never" in text and "L_gen -> 0.5" in text


@pytest.mark.parametrize(
    "argv, match",
    [
        (["--lam", "-1"], "lam"),
        (["--lam", "0.5", "--eta", "2"], "unstable"),
        (["--lam", "0.5", "--eps", "0"], "eps"),
        (["--lam", "0.5", "--d-out", "0"], "d_out"),
        (["--lam", "0.5", "--gamma", "1e-3", "--certify"], "certify"),
        (["--lam", "nan"], "lam"),
    ],
)
def test_predict_rejects_bad_input(capsys, argv, match):
    with pytest.raises(SystemExit) as e:
        main(["predict", *argv])
    assert e.value.code == 2 and match in capsys.readouterr().err


def test_output_into_a_closed_pipe_ends_quietly():
    import subprocess
    import sys

    cmd = [sys.executable, "-m", "derivations", "predict", "--lam", "0.5", "--t", *map(str, range(1, 3001))]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout.readline().startswith(b"parameters:")
    proc.stdout.close()  # like `| head -1`
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=120) == 1 and "Traceback" not in err, err


def test_predict_finite_size_band_is_the_library_result(capsys):
    import numpy as np

    from numerics.finite_size import grokking_time_distribution

    args = ("--lam", "0.8", "--d-in", "60", "--draws", "40", "--seed", "3", "--t-max", "5000", "--t", "100")
    out = json.loads(_run(capsys, *args, "--json"))["finite_size"]
    g = grokking_time_distribution(0.8, d_in=60, draws=40, seed=3)
    q = g.quantiles((0.1, 0.5, 0.9))
    np.testing.assert_allclose(out["t_gen"], q["t_gen"], rtol=1e-5)
    assert out["n_train"] == 75 and out["fraction_never"] == g.fraction_never
    assert out["fraction_not_grokked_by_t_max"] == g.fraction_not_grokked_by(5000)
    assert len(out["at"]) == 1 and out["at"][0]["gen_loss"][0] <= out["at"][0]["gen_loss"][2]
    text = _run(capsys, *args)
    assert "finite size: d_in = 60, N_tr = 75, 40 runs" in text and "runs not grokked by t = 5000" in text


@pytest.mark.parametrize(
    "argv,needle",
    [(("--lam", "0.5", "--t-max", "100"), "--d-in"), (("--lam", "0.5", "--d-in", "0"), "d_in")],
)
def test_predict_finite_size_usage_errors(capsys, argv, needle):
    with pytest.raises(SystemExit) as e:
        main(["predict", *argv])
    assert e.value.code == 2 and needle in capsys.readouterr().err


def test_predict_momentum_matches_a_direct_iteration(capsys):
    # --dynamics momentum: the printed L_gen(t) against the heavy-ball recursion of torch.optim.SGD (buffer b_1 = g_1)
    # iterated mode by mode and averaged over the MP law of Eq. 6 by mpmath.quad (independent of numerics.momentum)
    out = json.loads(
        _run(
            capsys, "--lam", "0.5", "--dynamics", "momentum", "--momentum", "0.6", "--t", "40", "--dps", "20", "--json"
        )
    )
    assert out["parameters"]["momentum"] == 0.6 and out["parameters"]["dynamics"] == "momentum"

    def mode(nu):
        eta, beta = mpmath.mpf(0.01), mpmath.mpf(0.6)  # the binary doubles the command line parses
        x, b = mpmath.mpf(1), None
        for _ in range(40):
            g = 2 * nu * x
            b = g if b is None else beta * b + g
            x -= eta * b
        return x * x

    with mpmath.mp.workdps(20):
        lo, hi = (1 - mpmath.sqrt(0.5)) ** 2, (1 + mpmath.sqrt(0.5)) ** 2
        dens = lambda nu: mpmath.sqrt((hi - nu) * (nu - lo)) / (2 * mpmath.pi * 0.5 * nu)  # noqa: E731
        ref = mpmath.quad(lambda nu: mode(nu) * dens(nu), [lo, hi])
        assert abs(mpmath.mpf(out["at"][0]["gen_loss"]) / ref - 1) < 1e-15


def test_predict_momentum_usage_errors():
    with pytest.raises(SystemExit) as exc:
        main(["predict", "--lam", "0.5", "--momentum", "0.5"])
    assert exc.value.code == 2
    with pytest.raises(SystemExit) as exc:
        main(["predict", "--lam", "0.5", "--dynamics", "momentum", "--momentum", "0.5", "--d-in", "100"])
    assert exc.value.code == 2
