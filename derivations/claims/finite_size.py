"""Beyond the paper: finite size.  The exact finite-(d_in, N_tr) representation of a run and what it says about the
paper's statements that simulations at d_in = 1000 follow the d_in -> inf theory (Figs. 1-4).

The theory is :mod:`numerics.finite_size`; it is held against the simulator in ``tests/test_finite_size_sim.py`` and
``benchmarks/finite_size_validation.py`` (:mod:`derivations.finite_size_sim`).
"""

from __future__ import annotations

import functools

import numpy as np
import sympy as sp
from mpmath import mp
from scipy import stats

import numerics
import sim
from numerics.finite_size import grokking_time_distribution, loss_bands
from numerics.finite_size import spectrum as spec
from numerics.finite_size.ensemble import Ensemble
from sim.problem import draw

from ..checks import fit_power, is_zero
from ..claim import Status, Verdict
from ..registry import claim

SEC = "Beyond the paper: finite size"
QS = (0.1, 0.25, 0.5, 0.75, 0.9)
ETA, EPS = 0.01, 1e-3

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


# --------------------------------------------------------------------------------------- the paper's figures


def _rel_spread(x) -> float:
    q10, q50, q90 = np.quantile(x, [0.1, 0.5, 0.9])
    return float((q90 - q10) / q50)


@functools.cache
def _spread_scaling(lam: float, sizes=(125, 250, 500, 1000), draws: int = 150):
    """Relative 10-90 % spread of t_gen* and Delta t over runs, against d_in, and the fitted exponents."""
    rows = []
    for d_in in sizes:
        g = grokking_time_distribution(lam, d_in=d_in, draws=draws, seed=17)
        rows.append((d_in, _rel_spread(g.t_gen), _rel_spread(g.delta), g))
    exp_gen = fit_power([(r[0], r[1]) for r in rows])
    exp_delta = fit_power([(r[0], r[2]) for r in rows])
    return rows, exp_gen, exp_delta


def _mp_times(lam, **kw):
    """MP-limit ``(t_train*, t_gen*)`` (``None``: never); float64 fast path (agrees with the 20-digit one to 1e-6)."""
    t_tr, t_gen, _ = numerics.fast.grokking_time_point(lam, eta=ETA, eps=EPS, **kw)
    return (None if np.isnan(t_tr) else float(t_tr), None if np.isnan(t_gen) else float(t_gen))


@functools.cache
def _lambda1_centre(sizes=(250, 500, 1000, 2000), draws: int = 120):
    """At lam = 1: where the MP t_gen* sits in the per-run distribution, and the first size at which it lies in the
    interquartile range.  The hybrid spectrum above d_in = 1000 (t_gen* at lam = 1 is set by the lowest modes, which it
    computes exactly)."""
    mp_gen = _mp_times(1.0)[1]
    rows = []
    for d_in in sizes:
        method = "exact" if d_in <= 1000 else "hybrid"
        g = grokking_time_distribution(1.0, d_in=d_in, draws=draws, seed=19, spectrum=method)
        q25, q50, q75 = np.quantile(g.t_gen, [0.25, 0.5, 0.75])
        rows.append((d_in, q25 / mp_gen, q50 / mp_gen, q75 / mp_gen))
    inside = [r[0] for r in rows if r[1] <= 1 <= r[3]]
    return mp_gen, rows, (min(inside) if inside else None)


def _fig_statement(run=r"t^{*,\mathrm{run}}_{\mathrm{gen}}", limit=r"t^{*}_{\mathrm{gen,MP}}"):
    """``lim_{d_in -> inf}`` of a run's time = the MP-limit value: the limit whose approach the claims measure."""
    d = sp.Symbol("d_in", positive=True)
    return sp.Eq(sp.Limit(sp.Function(run)(d), d, sp.oo), sp.Symbol(limit))


@claim(
    id="fig1-finite-size",
    equations=(8, 10, 12),
    section=SEC,
    uses=("finite-size-representation", "finite-size-spectrum", "eq8-mp-limit"),
    title="Fig. 1: simulations at d_in = 1000 follow the MP theory; the per-run scatter of t_gen* and Delta t, its"
    " decay with d_in, and the size below which the MP value is not the centre at lam = 1",
    printed=r"\text{Fig. 1: ``analytical prediction[s] are in excellent agreement with numerical experiments''}",
    variables={"d_in": "1000 (paper)", "lambda": "0.1, 0.9, 1.5 (Fig. 1); 1 (grokking time maximum)"},
    statement=_fig_statement,
)
def _fig1():
    # (a) the MP curves against the 10-90 % bands of runs at d_in = 1000 (Fig. 1 left/centre)
    times = np.geomspace(10, 1e5, 9)
    inside, band_rows = True, []
    for lam in (0.1, 0.9, 1.5):
        b = loss_bands(times, lam, d_in=1000, draws=40, seed=13)
        with mp.workdps(15):
            mp_tr = np.array([float(numerics.train_loss(tt, lam)) for tt in times])
            mp_gen = np.array([float(numerics.gen_loss(tt, lam)) for tt in times])
        ok_tr = np.all((b.train_loss[0] <= mp_tr * (1 + 1e-9)) & (mp_tr <= b.train_loss[-1] * (1 + 1e-9)))
        ok_gen = np.all((b.gen_loss[0] <= mp_gen * (1 + 1e-9)) & (mp_gen <= b.gen_loss[-1] * (1 + 1e-9)))
        inside = inside and bool(ok_tr and ok_gen)
        mid = len(times) // 2  # t = 1000: the 10-90 % width of the gen-loss band relative to the MP value
        band_rows.append((lam, bool(ok_tr and ok_gen), float((b.gen_loss[-1, mid] - b.gen_loss[0, mid]) / mp_gen[mid])))
    # (b) the scatter of the grokking times at lam = 0.9 and its decay with d_in (Fig. 1 right)
    rows, exp_gen, exp_delta = _spread_scaling(0.9)
    mp_tr, mp_gen = _mp_times(0.9)
    g1000 = rows[-1][3]
    q_gen = np.quantile(g1000.t_gen, [0.1, 0.5, 0.9]) / mp_gen - 1
    # (c) lam = 1: the MP value against the per-run distribution
    mp1, centre_rows, d_centre = _lambda1_centre()
    decays = exp_gen < -0.3 and exp_delta < -0.3
    ok = inside and decays and d_centre is not None and d_centre > centre_rows[0][0]
    detail = (
        "(a) MP-limit losses (Eq. 8) lie inside the 10-90 % band of 40 runs at d_in = 1000 at t = 10..1e5 for lam ="
        + ",".join(
            f" {lm} ({'yes' if ok_ else 'no'}; gen-loss band {w:.1%} of the MP value wide at t = 1000)"
            for lm, ok_, w in band_rows
        )
        + f". (b) lam = 0.9: per-run t_gen* at d_in = 1000 spans {q_gen[0]:+.0%} / {q_gen[1]:+.1%} / {q_gen[2]:+.0%}"
        f" (10/50/90 %) around the MP value {mp_gen:.5g}; the relative 10-90 % spread of t_gen* is "
        + ", ".join(f"{r[1]:.2f}" for r in rows)
        + " and of Delta t "
        + ", ".join(f"{r[2]:.2f}" for r in rows)
        + f" at d_in = {', '.join(str(r[0]) for r in rows)} (150 runs each): it decays like d_in^{exp_gen:.2f}"
        f" (t_gen*) and d_in^{exp_delta:.2f} (Delta t). (c) lam = 1: q25 / median / q75 of t_gen* over the MP value"
        f" {mp1:.4g}: "
        + "; ".join(f"d_in = {d}: {a:.3f} / {m:.3f} / {b:.3f}" for d, a, m, b in centre_rows)
        + (
            f" (120 runs each): below d_in = {d_centre} the MP value lies outside the interquartile range of the runs"
            f" (d_in eps / 4 < {d_centre * EPS / 4:g}): the crossing is set by the few smallest eigenvalues, and the"
            " median run groks far earlier than the MP prediction; above it the median still lags the MP value and"
            " approaches it only slowly"
            if d_centre
            else " (120 runs each): the MP value is outside the interquartile range at every size tried"
        )
    )
    return Verdict(
        Status.ASYMPTOTIC if ok else Status.UNKNOWN,
        detail,
        evidence={"exponents": (exp_gen, exp_delta), "lambda1_centre_d_in": d_centre, "bands_inside": inside},
    )


@claim(
    id="fig2-finite-size",
    equations=(13,),
    section=SEC,
    uses=("finite-size-representation", "eq13-accuracy", "text-dout-max"),
    title="Fig. 2 (d_out > 1): at finite size the exact accuracy given D is a weighted chi-square, not Eq. 13's"
    " chi-square with d_out degrees of freedom; how much that moves t_gen*",
    printed=r"\mathcal A=1-\Gamma\!\left(\tfrac{d_{\rm out}}2,\tfrac{d_{\rm out}\epsilon}{2\mathcal L}\right)/\Gamma\!\left(\tfrac{d_{\rm out}}2\right)\ \text{(Eq. 13, Fig. 2 at } d_{\rm in}=1000)",
    variables={"d_out": "5", "M": "D^T Q D, eigenvalues mu_j", "lambda": "0.9"},
    statement=lambda: sp.Eq(
        sp.Symbol(r"\mathcal{A}_{\rm exact}"),
        sp.Symbol(r"P\Big(\sum_j \mu_j \chi^2_{1,j} \le d_{\rm out}\epsilon\Big)"),
    ),
)
def _fig2():
    d_out, lam = 5, 0.9
    _, mp_gen = _mp_times(lam, d_out=d_out)
    rows = []
    for d_in in (200, 1000, 3000):
        kw = {"d_in": d_in, "d_out": d_out, "draws": 50, "seed": 23}
        exact = grokking_time_distribution(lam, **kw)
        eq13 = grokking_time_distribution(lam, accuracy="eq13", **kw)
        ratio = exact.t_gen / eq13.t_gen
        rows.append((d_in, float(np.median(ratio)), float(np.median(exact.t_gen)) / mp_gen - 1,
                     float(np.median(eq13.t_gen)) / mp_gen - 1))  # fmt: skip
    shrinks = rows[-1][1] - 1 < 0.5 * (rows[0][1] - 1)
    later = all(r[1] > 1 for r in rows)
    ok = shrinks and later
    return Verdict(
        Status.ASYMPTOTIC if ok else Status.UNKNOWN,
        "lam = 0.9, d_out = 5, 50 runs per size: the exact accuracy given D (weights = eigenvalues of D^T D) reaches"
        " the level later than Eq. 13 applied to the same runs' losses, because at late times few eigenmodes carry"
        " D and its d_out columns are far from isotropic. Median per-run t_gen*(exact) / t_gen*(Eq. 13): "
        + ", ".join(f"{r[1]:.3f} at d_in = {r[0]}" for r in rows)
        + f"; median t_gen* vs the MP-limit Eq. 13 value {mp_gen:.5g}: exact "
        + ", ".join(f"{r[2]:+.1%}" for r in rows)
        + ", Eq. 13 on the runs "
        + ", ".join(f"{r[3]:+.1%}" for r in rows)
        + ". Eq. 13 is the d_in -> inf limit (M -> L I); at the paper's d_in = 1000 it moves t_gen* by the amount"
        " above",
        evidence={"rows": rows},
    )


@claim(
    id="fig3-finite-size",
    equations=(15, 16),
    section=SEC,
    uses=("finite-size-representation", "eq16-grokking-time"),
    title="Fig. 3 (weight decay): just below the threshold gamma_c some runs at d_in = 1000 never grok although the"
    " MP limit does",
    printed=r"\text{Fig. 3: empirical results against analytical solutions, } \gamma=10^{-5},10^{-3},10^{-2}",
    variables={"gamma": "1e-5, 1e-3, 1e-2 (Fig. 3) and 1.3e-3", "lambda": "0.9", "d_in": "1000"},
    statement=lambda: sp.Eq(
        sp.Symbol(r"\Pr_{\rm runs}(t^*_{\rm gen}=\infty)"),
        sp.Symbol(r"\Pr\big(\mathcal L_{\rm gen}(\infty)>\epsilon/4\big)"),
    ),
)
def _fig3():
    lam, rows = 0.9, []
    for gamma in (1e-5, 1e-3, 1.3e-3, 1e-2):  # Fig. 3's values and one just below the MP threshold
        g = grokking_time_distribution(lam, d_in=1000, gamma=gamma, draws=80, seed=29)
        mp_tr, mp_gen = _mp_times(lam, gamma=gamma)
        med = float(np.median(g.t_gen)) if g.fraction_never < 0.5 else float("inf")
        rows.append((gamma, mp_gen, g.fraction_never, med))
    # the MP limit groks at gamma = 1.3e-3 (below gamma_c = sqrt(2 eps (1 - lam)^3) = 1.41e-3); some runs do not
    ok = rows[2][1] is not None and 0 < rows[2][2] < 1 and rows[3][1] is None and rows[3][2] == 1.0
    fmt = lambda x: "never" if x is None or not np.isfinite(x) else f"{x:.4g}"  # noqa: E731
    return Verdict(
        Status.ASYMPTOTIC if ok else Status.UNKNOWN,
        "lam = 0.9, d_in = 1000, 80 runs each: "
        + "; ".join(
            f"gamma = {gm:g}: MP t_gen* {fmt(mp)}, runs that never grok {fn:.0%}, median run {fmt(med)}"
            for gm, mp, fn, med in rows
        )
        + ". At gamma = 1.3e-3, just below the MP threshold gamma_c = 1.41e-3 (plateau gamma^2/(8(1-lam)^3) = eps/4,"
        " claim eq16-plateaus), the per-run plateau of L_gen fluctuates around eps/4, so a finite fraction of runs"
        " never reaches the 95 % level although the MP limit groks: the MP curve describes the typical run, not every"
        " run (at d_in = 200 the fraction is already 7 % at gamma = 1e-3)",
        evidence={"rows": rows},
    )


@claim(
    id="fig4-finite-size",
    equations=(12,),
    section=SEC,
    uses=("finite-size-representation", "fig1-finite-size"),
    title="Fig. 4 (phase diagrams): the per-run 10-90 % band of Delta t at d_in = 1000 across lambda",
    printed=r"\text{Fig. 4: } \Delta t(\lambda,\gamma,d_{\rm out}) \text{ from the analytic formulas}",
    variables={"lambda": "0.3 .. 0.9", "d_in": "1000"},
    statement=lambda: _fig_statement(r"\Delta t^{\mathrm{run}}", r"\Delta t_{\mathrm{MP}}"),
)
def _fig4():
    rows = []
    for lam in (0.3, 0.6, 0.9):
        g = grokking_time_distribution(lam, d_in=1000, draws=80, seed=31)
        mp_tr, mp_gen = _mp_times(lam)
        mp_delta = mp_gen - mp_tr
        q10, q50, q90 = np.quantile(g.delta, [0.1, 0.5, 0.9]) / mp_delta
        rows.append((lam, mp_delta, q10, q50, q90))
    centred = all(r[2] <= 1 <= r[4] for r in rows)
    widens = rows[-1][4] - rows[-1][2] > rows[0][4] - rows[0][2]
    ok = centred and widens
    return Verdict(
        Status.ASYMPTOTIC if ok else Status.UNKNOWN,
        "d_in = 1000, 80 runs per lambda, Delta t over the MP value (10/50/90 %): "
        + "; ".join(f"lam = {lm}: MP {md:.4g}, {a:.3f} / {m:.3f} / {b:.3f}" for lm, md, a, m, b in rows)
        + ". The MP phase diagram is the centre of the runs' distribution and the band widens towards lam = 1"
        " (claim fig1-finite-size gives its decay with d_in and the breakdown at lam = 1)",
        evidence={"rows": rows},
    )
