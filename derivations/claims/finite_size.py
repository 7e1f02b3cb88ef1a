"""Beyond the paper: finite size.  The exact finite-(d_in, N_tr) representation of a run and the spectral model it
uses; the claims on the paper's figures are in :mod:`derivations.claims.finite_size_figures`.

The theory is :mod:`numerics.finite_size`; it is held against the simulator in ``tests/test_finite_size_sim.py`` and
``benchmarks/finite_size_validation.py`` (:mod:`derivations.finite_size_sim`).
"""

from __future__ import annotations

import numpy as np
import sympy as sp
from scipy import stats

import sim
from numerics.finite_size import spectrum as spec
from numerics.finite_size.ensemble import Ensemble
from sim.problem import draw

from ..checks import is_zero
from ..claim import Status, Verdict
from ..registry import claim

SEC = "Beyond the paper: finite size"

nu, eta, gam, d_o, t = sp.symbols("nu eta gamma d_out t", positive=True)
s_i, tau_i = sp.symbols("s_i tau_i", real=True)


A, RHO = sp.symbols("A rho", positive=True)  # the GD mode factor a_i (0 < a_i < 1 for a stable step) and rho_i


def _mode_closed_form(tt):
    """``Dbar_i(t)`` for GD: ``A^t s - (A^t (1 - rho) + rho) tau`` (module :mod:`numerics.finite_size.ensemble`)."""
    return A**tt * s_i - (A**tt * (1 - RHO) + RHO) * tau_i


def _representation_statement():
    c = sp.Function("c_i")(t)
    rho = sp.Symbol("rho_i")
    return sp.Eq(sp.Function(r"\bar{D}_i")(t), c * s_i - (rho + c * (1 - rho)) * tau_i)


@claim(
    id="finite-size-representation",
    equations=(1, 2, 3, 14, 31),
    section=SEC,
    uses=("eq3-update", "eq31-solution", "eq1-init-scale", "eq5-losses"),
    title="At finite size one run is fixed by the spectrum of Sigma_tr and Gaussian eigenbasis coordinates of S_0 and"
    " T, independent of the spectrum (weight decay and d_out > 1 included)",
    printed=r"\text{(new) }\bar D_i(t)=c_i(t)\,s_i-\big(\rho_i+c_i(t)(1-\rho_i)\big)\tau_i,\ (s,\tau)=V^T(S_0,T)\perp\nu",
    variables={
        "nu_i": "eigenvalues of Sigma_tr = V diag(nu) V^T",
        "s, tau": "V^T S_0, V^T T: iid N(0, 1/(2 d_in d_out)), independent of nu",
        "c_i": "exp(-(2 eta/d_out)(nu_i + gamma/2) t) (flow) or (1 - (2 eta/d_out)(nu_i + gamma/2))^t (GD)",
        "rho_i": "(gamma/2) / (nu_i + gamma/2)",
    },
    statement=_representation_statement,
)
def _representation():
    # (a) invariance: for any orthogonal V (Cayley form of a generic 3 x 3 rotation) ||V^T x||^2 = ||x||^2 and
    #     |det V| = 1, so the iid Gaussian density of S_0 (and T) is unchanged: given X, V^T S_0 ~ S_0 and V^T T ~ T
    p, q, r = sp.symbols("p q r", real=True)
    skew = sp.Matrix([[0, -r, q], [r, 0, -p], [-q, p, 0]])
    eye = sp.eye(3)
    v = ((eye - skew) * (eye + skew).inv()).applyfunc(sp.cancel)  # rational entries: cancel is a canonical form
    x = sp.Matrix(sp.symbols("x1:4", real=True))
    orthogonal = all(e == 0 for e in (v.T * v - eye).applyfunc(sp.cancel))
    norm_kept = sp.cancel((v.T * x).dot(v.T * x) - x.dot(x)) == 0
    unit_det = sp.cancel(v.det() - 1) == 0
    # (b) the mode-wise closed form solves Eq. 3 with weight decay: Dbar(t+1) = a Dbar(t) - (eta gamma/d_out) tau,
    #     Dbar(0) = s - tau; and the flow: dDbar/dt = -(2 eta/d_out)(nu + gamma/2) Dbar - (eta gamma/d_out) tau
    #     (the forcing eta gamma / d_out equals (1 - a) rho for a = 1 - (2 eta/d_out)(nu + gamma/2))
    n = sp.Symbol("n", integer=True, nonnegative=True)
    a = 1 - 2 * eta / d_o * (nu + gam / 2)
    forcing_ok = is_zero(eta * gam / d_o - (1 - a) * (gam / 2) / (nu + gam / 2))
    gd_ok = forcing_ok and is_zero(_mode_closed_form(n + 1) - (A * _mode_closed_form(n) - (1 - A) * RHO * tau_i))
    gd_ok = gd_ok and is_zero(_mode_closed_form(0) - (s_i - tau_i))
    kappa = 2 * eta / d_o * (nu + gam / 2)
    rho = (gam / 2) / (nu + gam / 2)
    c = sp.exp(-kappa * t)
    flow = c * s_i - (c * (1 - rho) + rho) * tau_i
    flow_ok = is_zero(sp.diff(flow, t) - (-kappa * flow - eta * gam / d_o * tau_i))
    flow_ok = flow_ok and is_zero(flow.subs(t, 0) - (s_i - tau_i))
    # (c) D = V Dbar: tr(D^T Sigma D) = sum_i nu_i ||Dbar_i||^2 (2 x 2 rotation, symbolic spectrum and rows)
    phi = sp.Symbol("phi", real=True)
    rot = sp.Matrix([[sp.cos(phi), -sp.sin(phi)], [sp.sin(phi), sp.cos(phi)]])
    n1, n2 = sp.symbols("nu1 nu2", positive=True)
    dbar = sp.Matrix(2, 2, sp.symbols("e11 e12 e21 e22", real=True))
    dmat = rot * dbar
    trace_ok = is_zero(
        sp.simplify(
            (dmat.T * rot * sp.diag(n1, n2) * rot.T * dmat).trace()
            - (n1 * (dbar[0, 0] ** 2 + dbar[0, 1] ** 2) + n2 * (dbar[1, 0] ** 2 + dbar[1, 1] ** 2))
        )
    )
    # (d) numbers: the representation built from one simulated run's own draw reproduces that run (GD, gamma > 0,
    #     d_out = 3): losses and the exact generalisation accuracy at every recorded step
    worst = _reproduce_run()
    ok = orthogonal and norm_kept and unit_det and gd_ok and flow_ok and trace_ok and worst < 1e-9
    return Verdict(
        Status.PROVED if ok else Status.UNKNOWN,
        "proved with SymPy: (a) a generic orthogonal V (Cayley form, 3 x 3) keeps ||x||^2 and has det 1, so the iid"
        " Gaussian law of S_0 and T is invariant and, given the data, s = V^T S_0, tau = V^T T are again iid"
        " N(0, 1/(2 d_in d_out)), independent of the spectrum; (b) Dbar_i = a^t s_i - (a^t(1-rho_i) + rho_i) tau_i"
        " solves Eq. 3/14 with weight decay, Dbar(t+1) = a Dbar(t) - (1 - a) rho_i tau_i, whose forcing (1 - a) rho_i"
        " is eta gamma/d_out (a = 1 - (2 eta/d_out)(nu_i + gamma/2), rho_i = (gamma/2)/(nu_i + gamma/2), the fixed"
        " point of Eq. 31), and its flow analogue the ODE of Eq. 30; (c) D = V Dbar gives"
        " tr(D^T Sigma D) = sum_i nu_i ||Dbar_i||^2 (so every loss and accuracy is a function of"
        " M_Q = sum_i q_i Dbar_i Dbar_i^T). No average over modes is taken (Eq. 7's step is not needed). Check: the"
        " representation built from a simulated run's own eigenbasis (d_in = 40, N_tr = 60, gamma = 0.05,"
        f" d_out = 3, 6 recorded steps) reproduces its losses and exact accuracy to {worst:.1e} (relative)",
        evidence={"reproduction_error": worst},
    )


def _reproduce_run() -> float:
    d_in, n_train, d_out, eta_, gamma, eps, seed = 40, 60, 3, 0.05, 5e-2, 1e-2, 4
    steps = [0, 1, 7, 50, 400, 3000]
    kw = {"d_in": d_in, "n_train": n_train, "d_out": d_out, "seed": seed}
    run = sim.train(eta=eta_, gamma=gamma, steps=3000, record=steps, eps=eps, n_gen=10, **kw)
    prob = draw(hidden=None, activation="linear", n_gen=10, label_noise=0.0, student_scale=1.0, **kw)
    ev, vec = np.linalg.eigh(prob.gram)
    ens = Ensemble(ev[None], (vec.T @ prob.student[0])[None], (vec.T @ prob.teacher[0])[None], eta=eta_, gamma=gamma,
                   dynamics="gd")  # fmt: skip
    worst = 0.0
    for i, st in enumerate(steps):
        l_tr, l_gen = ens.losses(float(st))
        a_tr, a_gen = ens.accuracies(float(st), eps)
        worst = max(
            worst,
            abs(l_tr[0] / run.train_loss[i] - 1),
            abs(l_gen[0] / run.gen_loss_exact[i] - 1),
            abs(a_gen[0] - run.gen_acc_exact[i]),
            abs(a_tr[0] - run.train_acc_gauss[i]),
        )
    return float(worst)


def _wishart_moments():
    """``E tr W^2`` of ``W = X^T X`` (``X``: N x d iid N(0,1)) by Isserlis, and of ``B B^T`` under the bidiagonal model.

    Isserlis: ``E tr W^2 = sum_{ijab} E[X_ai X_aj X_bi X_bj] = sum (delta_ij + delta_ab + delta_ij delta_ab)``, the three
    pairings, which count ``N^2 d + N d^2 + N d``.  Model: ``tr(B B^T)^2 = sum_i (a_i^2 + b_{i-1}^2)^2 + 2 sum_i a_i^2
    b_i^2`` with ``E chi_k^2 = k``, ``E chi_k^4 = k(k + 2)``, independent entries, summed symbolically by SymPy.
    """
    N, d = sp.symbols("N d", integer=True, positive=True)
    wick = N**2 * d + N * d**2 + N * d
    # model with p = min, q = max; by symmetry of tr W^2 in (N, d) take p = d <= q = N
    p, q = d, N
    k = sp.Symbol("k", integer=True, nonnegative=True)
    ea2 = q - k  # E a_k^2, a_k ~ chi_{q-k}, k = 0..p-1
    ea4 = (q - k) * (q - k + 2)
    eb2 = p - 1 - k  # E b_k^2, b_k ~ chi_{p-1-k}, k = 0..p-2
    eb2_prev = p - k  # E b_{k-1}^2 for k >= 1
    eb4_prev = (p - k) * (p - k + 2)
    diag = sp.summation(ea4, (k, 0, p - 1)) + sp.summation(2 * ea2 * eb2_prev + eb4_prev, (k, 1, p - 1))
    off = 2 * sp.summation(ea2 * eb2, (k, 0, p - 2))
    model = sp.expand(diag + off)
    first_model = sp.summation(ea2, (k, 0, p - 1)) + sp.summation(eb2, (k, 0, p - 2))
    return sp.factor(wick), sp.factor(model), sp.factor(first_model)


@claim(
    id="finite-size-spectrum",
    equations=(6,),
    section=SEC,
    uses=("eq6-normalisation",),
    title="At finite size the eigenvalues of Sigma_tr have the law of B B^T / N_tr, B the Dumitriu-Edelman bidiagonal"
    " matrix (beta = 1 Laguerre ensemble): spectra without forming X",
    printed=r"\text{(new) }\operatorname{eig}(X^TX)\overset{d}{=}\operatorname{eig}(BB^T),\ B_{ii}=\chi_{q-i},\ B_{i+1,i}=\chi_{p-1-i}",
    variables={"p, q": "min and max of (d_in, N_tr)", "chi_k": "independent chi variables with k degrees of freedom"},
    statement=lambda: sp.Eq(
        sp.Symbol(r"\mathbb{E}\,\mathrm{tr}(BB^T)^2"),
        sp.factor(sp.Symbol("N") * sp.Symbol("d") * (sp.Symbol("N") + sp.Symbol("d") + 1)),
    ),
)
def _spectrum_model():
    wick, model, first = _wishart_moments()
    N, d = sp.symbols("N d", integer=True, positive=True)
    moments_ok = is_zero(sp.expand(wick - model)) and is_zero(first - N * d)
    rng = np.random.default_rng(1)
    pvals = {}
    for d_in, n_tr in ((12, 30), (20, 20), (30, 12)):
        n = min(d_in, n_tr)
        mod, direct = [], []
        for _ in range(1500):
            ev_m = spec.nonzero_eigenvalues(*spec.bidiagonal(d_in, n_tr, rng), n_tr)
            x = rng.standard_normal((n_tr, d_in))
            ev_d = np.linalg.eigvalsh(x.T @ x / n_tr)[d_in - n :]
            mod.append((ev_m[0], ev_m[-1]))
            direct.append((ev_d[0], ev_d[-1]))
        mod, direct = np.array(mod), np.array(direct)
        pvals[(d_in, n_tr)] = min(stats.ks_2samp(mod[:, j], direct[:, j]).pvalue for j in (0, 1))
    ok = moments_ok and min(pvals.values()) > 1e-3
    return Verdict(
        Status.CONFIRMED if ok else Status.UNKNOWN,
        "the law is the theorem of Dumitriu & Edelman (2002) for beta = 1; proved here with SymPy: its first two"
        f" moments equal the real Wishart ones, E tr(BB^T) = {first} and E tr(BB^T)^2 = {model} = E tr(X^TX)^2 by"
        " Isserlis' theorem; confirmed: smallest and largest non-zero eigenvalues against eigvalsh(X^T X) for Gaussian"
        " X, two-sample KS over 1500 draws each, p >= "
        + ", ".join(f"{v:.2f} (d_in={a}, N_tr={b})" for (a, b), v in pvals.items())
        + " (lam < 1, = 1, > 1)",
        evidence={"ks_min_p": pvals},
    )
