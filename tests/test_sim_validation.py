"""sim.train refuses bad input with a ValueError naming the parameter, and divergent step sizes with the numbers."""

import math
import re

import numpy as np
import pytest

import sim

BASE = dict(d_in=5, n_train=8, steps=3)


@pytest.mark.parametrize(
    "name,value",
    [
        ("d_in", 0),
        ("d_in", 2.0),
        ("d_in", True),
        ("n_train", -1),
        ("n_train", "8"),
        ("d_out", 0),
        ("steps", 0),
        ("steps", 1.5),
        ("eta", 0.0),
        ("eta", -0.1),
        ("eta", math.nan),
        ("eta", math.inf),
        ("eta", "0.1"),
        ("gamma", -1e-3),
        ("gamma", math.nan),
        ("eps", 0.0),
        ("eps", math.inf),
        ("seed", -1),
        ("seed", None),
        ("seed", 1.0),
        ("hidden", 0),
        ("hidden", 3.5),
        ("activation", "relu"),
        ("activation", None),
        ("n_gen", 0),
        ("label_noise", -0.1),
        ("label_noise", math.inf),
        ("student_scale", -1.0),
        ("student_scale", math.nan),
        ("engine", "torch"),
        ("progress", "yes"),
        ("record", [0, 4]),
        ("record", [-1]),
        ("record", [1.5]),
        ("record", []),
        ("record", 3),
        ("record", "0"),
    ],
)
def test_bad_value_names_parameter(name, value):
    kw = dict(BASE)
    kw[name] = value
    with pytest.raises(ValueError, match=rf"\b{name}\b"):
        sim.train(**kw)


def test_numpy_scalars_accepted():
    r = sim.train(d_in=np.int64(5), n_train=np.int32(8), steps=np.int64(3), eta=np.float32(0.01), seed=np.uint8(3))
    assert r.params["d_in"] == 5 and isinstance(r.params["d_in"], int) and r.params["seed"] == 3


def test_incompatible_options():
    with pytest.raises(ValueError, match="activation"):
        sim.train(activation="tanh", **BASE)
    with pytest.raises(ValueError, match="spectral"):
        sim.train(engine="spectral", hidden=4, **BASE)


@pytest.mark.parametrize("engine", ["spectral", "loop"])
@pytest.mark.parametrize("d_out,gamma", [(1, 0.0), (3, 0.1)])
def test_divergent_eta_refused_with_numbers(engine, d_out, gamma):
    d_in, n, seed = 40, 30, 4
    nu_max = sim.gram_spectrum(d_in, n, seed=seed)[-1]
    edge = 2 * d_out / (2 * nu_max + gamma)  # |1 - (eta/d_out)(2 nu_max + gamma)| = 1 here
    kw = dict(d_in=d_in, n_train=n, d_out=d_out, gamma=gamma, steps=5, seed=seed, engine=engine)
    with pytest.raises(sim.DivergenceError) as info:
        sim.train(eta=1.001 * edge, **kw)
    msg = str(info.value)
    assert isinstance(info.value, ValueError)
    nums = {k: float(v) for k, v in re.findall(r"\b(eta|nu_max)=([-+0-9.e]+)", msg)}
    assert math.isclose(nums["nu_max"], nu_max, rel_tol=1e-5) and math.isclose(nums["eta"], 1.001 * edge, rel_tol=1e-5)
    assert f"d_out={d_out}" in msg and ">= 1" in msg
    factor = float(re.search(r"= ([0-9.e+-]+) >= 1", msg).group(1))
    assert math.isclose(factor, 1.001 * (2 * nu_max + gamma) * edge / d_out - 1, rel_tol=1e-4)
    r = sim.train(eta=0.999 * edge, **kw)  # just inside: runs, and the top mode shrinks (slowly)
    assert np.all(np.isfinite(r.train_loss))


def test_zero_modes_are_not_divergent():
    # lam > 1, gamma = 0: Sigma_tr has null directions with factor exactly 1 -- neutral, must not be refused
    r = sim.train(d_in=30, n_train=10, steps=2000, eta=0.05, record=[0, 2000])
    assert r.gen_loss_exact[-1] > 0.3 and r.train_loss[-1] < 1e-6


def test_two_layer_divergence_detected():
    with pytest.raises(sim.DivergenceError, match="diverged"):
        sim.train(d_in=10, n_train=20, d_out=2, hidden=5, eta=1e4, steps=500)


def test_exact_accuracies_are_recorded_up_to_d_out_64_by_default():
    small = sim.train(d_in=20, n_train=40, d_out=3, steps=5, record=[0, 5])
    assert np.all(np.isfinite(small.gen_acc_exact)) and np.all(np.isfinite(small.train_acc_gauss))
    big = sim.train(d_in=20, n_train=40, d_out=70, steps=5, record=[0, 5])
    assert np.all(np.isnan(big.gen_acc_exact)) and not big.params["exact_accuracy"]
    assert np.all(np.isfinite(big.gen_loss_exact))
    forced = sim.train(d_in=20, n_train=40, d_out=70, steps=5, record=[0, 5], exact_accuracy=True)
    assert np.all(np.isfinite(forced.gen_acc_exact))
    off = sim.train(d_in=20, n_train=40, d_out=3, steps=5, record=[0, 5], exact_accuracy=False)
    assert np.all(np.isnan(off.train_acc_gauss)) and off.train_loss[0] == small.train_loss[0]
    with pytest.raises(ValueError, match="exact_accuracy"):
        sim.train(d_in=20, n_train=40, steps=5, exact_accuracy="yes")
