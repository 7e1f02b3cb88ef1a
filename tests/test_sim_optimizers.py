"""sim.train(optimizer=...): momentum, Nesterov, mini-batch SGD, Adam and AdamW in PyTorch's conventions (issue 14).

The references below are written from PyTorch's documented algorithms (torch.optim.SGD, Adam, AdamW; the formulas
are quoted in the sim.optimizers docstring), in plain numpy, on the same random problem (sim.problem.draw); nothing
is taken from the optimizer code under test.
"""

import hashlib
import json

import mpmath
import numpy as np
import pytest

import numerics
import sim
from sim.optimizers import step_bound
from sim.problem import draw

ONE = {"d_in": 3, "n_train": 5, "d_out": 2, "gamma": 0.05, "label_noise": 0.3, "n_gen": 7, "seed": 11}
TWO = {"d_in": 4, "n_train": 6, "d_out": 2, "hidden": 3, "gamma": 0.05, "label_noise": 0.2, "n_gen": 9, "seed": 5}
STEPS = 4  # n_train = 5 with batch 2: batches of 2, 2, 1, then a reshuffled epoch
SETTINGS = {
    "gd": {},
    "momentum": {"momentum": 0.7},
    "nesterov": {"momentum": 0.7},
    "sgd": {"batch_size": 2},
    "adam": {"betas": (0.8, 0.95), "adam_eps": 1e-3, "weight_decay": 0.3},
    "adamw": {"betas": (0.8, 0.95), "adam_eps": 1e-3, "weight_decay": 0.3},
}


def problem(kw, activation="linear"):
    return draw(
        d_in=kw["d_in"], n_train=kw["n_train"], d_out=kw["d_out"], hidden=kw.get("hidden"), activation=activation,
        n_gen=kw["n_gen"], label_noise=kw["label_noise"], student_scale=1.0, seed=kw["seed"],
    )  # fmt: skip


class Reference:
    """PyTorch's update rules, one parameter array at a time (``t`` counts from 1)."""

    def __init__(self, name, eta, momentum=None, betas=None, adam_eps=None, weight_decay=None, batch_size=None):
        self.name, self.eta, self.beta = name, eta, momentum
        self.b1, self.b2 = betas or (None, None)
        self.eps, self.wd = adam_eps, weight_decay
        self.state = {}

    def update(self, key, p, g, t):
        eta, st = self.eta, self.state.setdefault(key, {})
        if self.name in ("gd", "sgd"):
            return p - eta * g
        if self.name in ("momentum", "nesterov"):
            st["b"] = g if t == 1 else self.beta * st["b"] + g  # b_1 = g_1, b_t = mu b_{t-1} + g_t
            return p - eta * (g + self.beta * st["b"] if self.name == "nesterov" else st["b"])
        if self.name == "adam" and self.wd:
            g = g + self.wd * p  # g_t <- g_t + lambda theta_{t-1}
        if self.name == "adamw":
            p = p - eta * self.wd * p  # theta_t <- theta_{t-1} - gamma lambda theta_{t-1}
        st["m"] = self.b1 * st.get("m", 0.0) + (1 - self.b1) * g
        st["v"] = self.b2 * st.get("v", 0.0) + (1 - self.b2) * g**2
        m_hat, v_hat = st["m"] / (1 - self.b1**t), st["v"] / (1 - self.b2**t)
        return p - eta * m_hat / (np.sqrt(v_hat) + self.eps)


def batch_rows(n, batch, seed, steps):
    """The documented batch order: per epoch one permutation from default_rng(SeedSequence(seed, spawn_key=(0,)))."""
    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(0,)))
    out = []
    while len(out) < steps:
        perm = rng.permutation(n)
        out += [perm[i : i + batch] for i in range(0, n, batch)]
    return out[:steps]


@pytest.mark.parametrize("name", list(SETTINGS))
def test_one_layer_steps_match_pytorch_rules(name):
    kw, eta = ONE, 0.2
    p = problem(kw)
    x, y, teacher = p.x, p.y, p.teacher[0]
    rows = batch_rows(kw["n_train"], 2, kw["seed"], STEPS) if name == "sgd" else [np.arange(kw["n_train"])] * STEPS
    ref = Reference(name, eta, **SETTINGS[name])
    s, states = p.student[0], [p.student[0]]
    for t in range(1, STEPS + 1):
        xb, yb = x[rows[t - 1]], y[rows[t - 1]]
        g = (
            2 / (len(xb) * kw["d_out"]) * xb.T @ (xb @ s - yb) + kw["gamma"] / kw["d_out"] * s
        )  # MSE + gamma/(2 d_out)|S|^2
        s = ref.update(0, s, g, t)
        states.append(s)
    r = sim.train(**kw, eta=eta, steps=STEPS, record=range(STEPS + 1), optimizer=name, engine="loop", **SETTINGS[name])
    for t, s in enumerate(states):
        np.testing.assert_allclose(r.train_loss[t], np.mean((x @ s - y) ** 2), rtol=1e-12)
        np.testing.assert_allclose(r.gen_loss[t], np.mean((p.x_gen @ (s - teacher)) ** 2), rtol=1e-12)
        np.testing.assert_allclose(r.gen_loss_exact[t], np.sum((s - teacher) ** 2) / kw["d_out"], rtol=1e-12)
    assert r.params["optimizer"] == name and r.params["engine"] == "loop"
    assert {k: r.params[k] for k in SETTINGS[name]} == SETTINGS[name]


@pytest.mark.parametrize(
    "name, activation",
    [("momentum", "linear"), ("nesterov", "tanh"), ("sgd", "linear"), ("sgd", "tanh"), ("adam", "linear"),
     ("adamw", "linear"), ("adamw", "tanh")],
)  # fmt: skip
def test_two_layer_steps_match_pytorch_rules(name, activation):
    kw, eta = TWO, 0.3
    p = problem(kw, activation)
    act = np.tanh if activation == "tanh" else (lambda z: z)
    d_out, gamma = kw["d_out"], kw["gamma"]
    x, y = p.x, p.y
    settings = SETTINGS[name] | ({"batch_size": 4} if name == "sgd" else {})
    rows = batch_rows(kw["n_train"], 4, kw["seed"], STEPS) if name == "sgd" else [np.arange(kw["n_train"])] * STEPS
    ref = Reference(name, eta, **settings)
    s0, s1 = p.student
    states = [(s0, s1)]
    for t in range(1, STEPS + 1):
        xb, yb = x[rows[t - 1]], y[rows[t - 1]]
        h = act(xb @ s0)
        g_out = 2 / (len(xb) * d_out) * (h @ s1 - yb)
        g_h = g_out @ s1.T * (1 - h**2 if activation == "tanh" else 1.0)
        g0, g1 = xb.T @ g_h + gamma / d_out * s0, h.T @ g_out + gamma / d_out * s1
        s0, s1 = ref.update(0, s0, g0, t), ref.update(1, s1, g1, t)
        states.append((s0, s1))
    r = sim.train(
        **kw, eta=eta, steps=STEPS, record=range(STEPS + 1), activation=activation, optimizer=name, **settings
    )
    y_gen = act(p.x_gen @ p.teacher[0]) @ p.teacher[1]
    for t, (s0, s1) in enumerate(states):
        np.testing.assert_allclose(r.train_loss[t], np.mean((act(x @ s0) @ s1 - y) ** 2), rtol=1e-10)
        np.testing.assert_allclose(r.gen_loss[t], np.mean((act(p.x_gen @ s0) @ s1 - y_gen) ** 2), rtol=1e-10)


def _same(a, b):
    fields = (
        "t",
        "train_loss",
        "gen_loss",
        "gen_loss_exact",
        "train_acc",
        "gen_acc",
        "gen_acc_exact",
        "train_acc_gauss",
    )
    return all(np.array_equal(getattr(a, f), getattr(b, f), equal_nan=True) for f in fields)


CASES = {
    "spectral": {"d_in": 20, "n_train": 25, "steps": 150, "gamma": 1e-3},
    "loop": {"d_in": 20, "n_train": 25, "d_out": 2, "steps": 150, "label_noise": 0.1, "engine": "loop"},
    "two-linear": {"d_in": 15, "n_train": 20, "hidden": 6, "d_out": 2, "steps": 100, "gamma": 1e-3},
    "two-tanh": {"d_in": 15, "n_train": 20, "hidden": 6, "d_out": 2, "steps": 100, "activation": "tanh"},
}


@pytest.mark.parametrize("case", list(CASES))
def test_reductions_to_gd(case):
    kw = CASES[case]
    gd = sim.train(**kw)
    assert _same(gd, sim.train(**kw, optimizer="gd")) and gd.params["optimizer"] == "gd"
    if case == "spectral":
        return
    for name in ("momentum", "nesterov"):  # beta = 0: b_t = g_t, and g_t + 0 b_t = g_t, exactly
        assert _same(gd, sim.train(**kw, optimizer=name, momentum=0.0))
    full = sim.train(**kw, optimizer="sgd", batch_size=kw["n_train"])  # one batch = the data in a shuffled order
    for f in ("train_loss", "gen_loss", "gen_loss_exact"):
        np.testing.assert_allclose(getattr(full, f), getattr(gd, f), rtol=1e-10)
    adam = {"optimizer": "adam", "eta": 1e-3, "betas": (0.9, 0.99)}
    assert _same(
        sim.train(**kw | adam, weight_decay=0.0), sim.train(**kw | adam | {"optimizer": "adamw"}, weight_decay=0.0)
    )


def test_weight_decay_adam_coupled_adamw_decoupled():
    kw = CASES["loop"] | {"optimizer": "adam", "eta": 1e-2, "steps": 60}
    wd, d_out = 0.5, kw["d_out"]
    coupled = sim.train(**kw, weight_decay=wd)
    # Adam's L2 term wd p is the loss's gamma/d_out p: (gamma, wd) = (gamma + d_out wd, 0) in exact arithmetic
    same = sim.train(**kw | {"gamma": kw.get("gamma", 0.0) + d_out * wd}, weight_decay=0.0)
    np.testing.assert_allclose(coupled.gen_loss_exact, same.gen_loss_exact, rtol=1e-9)
    decoupled = sim.train(**kw | {"optimizer": "adamw"}, weight_decay=wd)
    assert abs(decoupled.gen_loss_exact[-1] / coupled.gen_loss_exact[-1] - 1) > 0.05


@pytest.mark.parametrize("name", ["momentum", "nesterov"])
def test_eigenmodes_follow_two_term_recurrence(name):
    """Per Sigma_tr eigenmode, with h = eta (2 nu + gamma)/d_out and y = x - x* (x* the fixed point):
    momentum y_{t+1} = (1 + beta - h) y_t - beta y_{t-1}, y_1 = (1 - h) y_0 (b_1 = g_1);
    Nesterov y_{t+1} = (1 + beta)(1 - h) y_t - beta (1 - h) y_{t-1}, y_1 = (1 - (1 + beta) h) y_0."""
    kw = {"d_in": 60, "n_train": 80, "d_out": 2, "gamma": 0.02, "n_gen": 60, "seed": 3}
    beta, eta, steps = 0.9, 0.4, 300  # h in ~(0.01, 1.2): most modes underdamped (complex roots)
    p = problem(kw | {"label_noise": 0.0})
    d_out, gamma = kw["d_out"], kw["gamma"]
    nu, v = np.linalg.eigh(p.x.T @ p.x / kw["n_train"])
    teacher = v.T @ p.teacher[0]
    a = (2 * nu + gamma) / d_out
    h = (eta * a)[:, None]
    x_star = -(gamma / d_out) * teacher / a[:, None]  # g = a x + (gamma/d_out) T = 0
    y = [v.T @ (p.student[0] - p.teacher[0]) - x_star]
    y.append((1 - h) * y[0] if name == "momentum" else (1 - (1 + beta) * h) * y[0])
    for _ in range(steps - 1):
        if name == "momentum":
            y.append((1 + beta - h) * y[-1] - beta * y[-2])
        else:
            y.append((1 + beta) * (1 - h) * y[-1] - beta * (1 - h) * y[-2])
    dbar = np.array(y) + x_star  # (steps + 1) x d_in x d_out, in the eigenbasis
    record = [0, 1, 2, 5, 20, 60, 150, 300]
    r = sim.train(**kw, eta=eta, steps=steps, record=record, optimizer=name, momentum=beta)
    gen = np.sum(dbar[record] ** 2, axis=(1, 2)) / d_out
    train = np.sum(nu[None, :, None] * dbar[record] ** 2, axis=(1, 2)) / d_out
    np.testing.assert_allclose(r.gen_loss_exact, gen, rtol=1e-9)
    np.testing.assert_allclose(r.train_loss, train, rtol=1e-9)
    assert gen[-1] < 1e-2 * gen[0]


@pytest.mark.parametrize("name", ["momentum", "nesterov"])
def test_stable_range(name):
    for beta in (0.0, 0.5, 0.9):
        bound = step_bound(sim.optimizers.Spec(name, momentum=beta))
        for h, stable in ((bound * (1 - 1e-6), True), (bound * (1 + 1e-6), False)):
            c1, c0 = (1 + beta - h, beta) if name == "momentum" else ((1 + beta) * (1 - h), beta * (1 - h))
            radius = max(abs(np.roots([1.0, -c1, c0])))  # the companion of y_{t+1} = c1 y_t - c0 y_{t-1}
            assert (radius < 1) == stable, (beta, h, radius)
    kw = {"d_in": 10, "n_train": 20, "d_out": 1, "gamma": 0.01, "steps": 20, "engine": "loop"}
    p = problem(kw | {"n_gen": 100, "label_noise": 0.0, "seed": 0})
    nu_max = np.linalg.eigvalsh(p.x.T @ p.x / 20).max()
    eta_c = step_bound(sim.optimizers.Spec(name, momentum=0.5)) / (2 * nu_max + 0.01)
    assert np.all(np.isfinite(sim.train(**kw, eta=0.999 * eta_c, optimizer=name, momentum=0.5).train_loss))
    with pytest.raises(sim.DivergenceError, match="momentum=0.5"):
        sim.train(**kw, eta=1.001 * eta_c, optimizer=name, momentum=0.5)


@pytest.mark.parametrize(
    "kw, match",
    [
        ({"optimizer": "sgd", "batch_size": 4, "eta": 50.0}, r"sgd diverged: the mini-batch loss at step \d+"),
        ({"optimizer": "adamw", "eta": 1.0, "weight_decay": 5.0}, r"adamw diverged: the training loss at step \d+"),
        ({"optimizer": "sgd", "batch_size": 4, "eta": 50.0, "hidden": 5}, r"sgd diverged: the .* at step \d+"),
    ],
)
def test_divergence_names_the_step(kw, match):
    with pytest.raises(sim.DivergenceError, match=match):
        sim.train(d_in=10, n_train=20, steps=3000, **kw)


@pytest.mark.parametrize(
    "kw, match",
    [
        ({"optimizer": "rmsprop"}, r"optimizer must be one of"),
        ({"optimizer": "momentum"}, r"needs momentum=.*\[0, 1\)"),
        ({"optimizer": "nesterov", "momentum": 1.0}, r"momentum must be a finite real in \[0, 1\)"),
        ({"optimizer": "momentum", "momentum": -0.1}, r"momentum must be a finite real >= 0"),
        ({"optimizer": "sgd"}, r"needs batch_size=<an integer in \[1, n_train=10\]>"),
        ({"optimizer": "sgd", "batch_size": 0}, r"batch_size must be an integer >= 1"),
        ({"optimizer": "sgd", "batch_size": 11}, r"batch_size must be an integer in \[1, n_train=10\]"),
        ({"optimizer": "adam", "betas": (0.9, 1.0)}, r"betas must be a pair .* in \[0, 1\)"),
        ({"optimizer": "adamw", "betas": (0.9,)}, r"betas must be a pair"),
        ({"optimizer": "adam", "adam_eps": 0.0}, r"adam_eps must be a finite real > 0"),
        ({"optimizer": "adamw", "weight_decay": -1.0}, r"weight_decay must be a finite real >= 0"),
        ({"momentum": 0.9}, r"momentum=0.9 does not apply to optimizer='gd'"),
        ({"optimizer": "sgd", "batch_size": 2, "weight_decay": 0.1}, r"does not apply to optimizer='sgd'.*gamma"),
        ({"optimizer": "adam", "batch_size": 2}, r"batch_size=2 does not apply to optimizer='adam'"),
        ({"optimizer": "adam", "momentum": 0.9}, r"momentum=0.9 does not apply"),
        ({"optimizer": "adam", "engine": "spectral"}, r"engine='spectral' needs optimizer='gd'"),
    ],
)
def test_invalid_optimizer_settings(kw, match):
    with pytest.raises(ValueError, match=match):
        sim.train(d_in=5, n_train=10, steps=3, **kw)


def test_auto_engine_and_recorded_settings():
    r = sim.train(d_in=5, n_train=10, steps=3, optimizer="adamw")
    assert r.params["engine"] == "loop" and r.params["engine_requested"] == "auto"
    assert r.params["betas"] == (0.9, 0.999) and r.params["adam_eps"] == 1e-8 and r.params["weight_decay"] == 0.01
    assert r.params["momentum"] is None and r.params["batch_size"] is None
    assert sim.train(d_in=5, n_train=10, steps=3, optimizer="adam").params["weight_decay"] == 0.0


def test_sweep_and_cli_accept_optimizers(tmp_path, capsys):
    from cli import main

    grid = {"d_in": 12, "lam": 0.5, "steps": 3000, "optimizer": ["gd", "momentum", "sgd"], "momentum": [0.5]}
    grid["batch_size"] = [6, 24]  # 24 = n_train: full-batch SGD, GD up to round-off
    res = sim.sweep(grid, seeds=[0], executor="serial", points=60, progress=False, theory="gd")
    rows = {(r["optimizer"], r["batch_size"], r["momentum"]): r for r in res}
    assert set(rows) == {("gd", None, None), ("momentum", None, 0.5), ("sgd", 6, None), ("sgd", 24, None)}
    gd, full = rows[("gd", None, None)], rows[("sgd", 24, None)]
    assert gd["pred_t_train"] is not None and full["pred_t_train"] is None and "optimizer='sgd'" in full["pred_note"]
    with mpmath.mp.workdps(15):  # momentum points: the exact heavy-ball theory of numerics
        g = numerics.grokking_time(0.5, eta=0.01, eps=1e-3, level=0.95, dynamics="momentum", momentum=0.5)
    assert rows[("momentum", None, 0.5)]["pred_t_gen"] == pytest.approx(float(g.t_gen), rel=1e-12)
    assert full["t_train"] == pytest.approx(gd["t_train"], rel=1e-6) and full["t_gen"] == pytest.approx(gd["t_gen"])
    assert rows[("momentum", None, 0.5)]["t_train"] < 0.6 * gd["t_train"]  # heavy ball: ~ rate eta / (1 - beta)
    # a GD run's key is the one a sweep made before optimizers existed (sim.sweep_log: the hash of its identity)
    legacy = {"d_in": 12, "n_train": 24, "d_out": 1, "eta": 0.01, "gamma": 0.0, "steps": 3000, "eps": 1e-3}
    legacy |= {"hidden": None, "activation": "linear", "n_gen": None, "label_noise": 0.0, "student_scale": 1.0}
    ident = {"format": 1, "params": legacy | {"engine": "auto"}, "lam": 0.5, "seed": 0, "level": 0.95, "points": 60}
    assert gd["key"] == hashlib.sha256(json.dumps(ident | {"theory": "gd"}, sort_keys=True).encode()).hexdigest()[:20]

    out = tmp_path / "s.jsonl"
    argv = ["sweep", "--d-in", "12", "--lam", "0.5", "--steps", "3000", "--seeds", "1", "--serial", "--no-progress"]
    argv += ["--optimizer", "gd", "adamw", "--weight-decay", "1.0", "--eta", "1e-3", "--out", str(out)]
    assert main(argv) == 0
    text = capsys.readouterr().out
    assert "adamw wd=1" in text and "ran 2, reused 0" in text
    runs = [json.loads(line) for line in out.read_text().splitlines() if '"run"' in line]
    assert {(r["optimizer"], r["weight_decay"]) for r in runs} == {("gd", None), ("adamw", 1.0)}
    with pytest.raises(SystemExit):
        main(["sweep", "--lam", "0.5", "--serial", "--no-progress", "--batch-size", "4"])  # no optimizer uses it
