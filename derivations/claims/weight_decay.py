"""Section 3.3 and Appendix D: weight decay (Eqs. 14-16, 29-36)."""

from __future__ import annotations

import functools
import itertools

import mpmath
import numpy as np
import sympy as sp
from mpmath import mp

import numerics
import sim
from numerics import mp_law

from ..checks import compare, fit_power, is_zero, sample_points
from ..claim import Status, Verdict
from ..registry import claim

SEC = "3.3 Weight decay"
APP = "D Weight decay"
eta, t, nu, g, dt = sp.symbols("eta_0 t nu gamma dt", positive=True)
s0, tau, D = sp.symbols("s_0 tau D", real=True)
z = sp.symbols("z")
r = sp.symbols("r", positive=True)  # sqrt(lambda)
lam = sp.symbols("lambda", positive=True)
D_IN = sp.Symbol(r"d_{\rm in}", positive=True, integer=True)
L_TR = sp.Function(r"\mathcal{L}_{\rm tr}")
L_GEN = sp.Function(r"\mathcal{L}_{\rm gen}")


def _mp_mean(expr, lam_=lam):
    """``E_{nu ~ MP(lam)}[expr]`` as a named (unevaluated) function, for the statements."""
    return sp.Function(rf"\mathbb{{E}}_{{\nu\sim{{\rm MP}}({sp.latex(lam_)})}}")(expr)


def _kappa():
    return 2 * eta * (nu + g / 2)


def _flow_rhs(dd, ev, forcing):
    """Right side of Eq. 30 for one eigen-mode ``ev`` of Sigma_tr: -2 eta (ev + gamma/2) dd - eta gamma forcing."""
    return -2 * eta * (ev + g / 2) * dd - eta * g * forcing


def _eq14_step(dd, ev, forcing, rate=eta):
    """Right side of Eq. 14 for one eigen-mode ``ev``: dd - 2 rate (ev + gamma/2) dd - rate gamma forcing."""
    return dd - 2 * rate * (ev + g / 2) * dd - rate * g * forcing


def _eq3_step(dd, ev, forcing):
    """Eq. 3 at d_out = 1 for one eigen-mode ``ev``, S = D + T: (1 - 2 eta ev) dd - eta gamma (dd + forcing)."""
    return (1 - 2 * eta * ev) * dd - eta * g * (dd + forcing)


def _d_inf():
    """The fixed point of Eqs. 14 and 30 for the mode nu: -(gamma/2)(nu + gamma/2)^{-1} tau."""
    return -(g / 2) / (nu + g / 2) * tau


def _mode_solution():
    """Eq. 31/33 for one eigen-mode: d(t) = e^{-kappa t}[d0 + g/2 (nu+g/2)^{-1} tau] - g/2 (nu+g/2)^{-1} tau."""
    c = (g / 2) / (nu + g / 2)
    return sp.exp(-_kappa() * t) * (s0 - tau + c * tau) - c * tau


def _eq14_update():
    """Eq. 14 for one eigen-mode sigma of Sigma_tr: D - 2 eta (sigma + gamma/2) D - eta gamma T (and the symbols)."""
    sig, T = sp.symbols("sigma T", real=True)
    return _eq14_step(D, sig, T), sig, T


@claim(
    id="eq14-update",
    equations=(14,),
    section=SEC,
    uses=("eq3-update",),
    title="Eq. 14 is Eq. 3 at d_out = 1",
    printed=r"D_{t+1}=D_t-2\eta\left(\Sigma_{\rm tr}+\frac12\gamma I\right)D_t-\eta\gamma T",
    variables={"gamma": ">= 0"},
    statement=lambda: sp.Eq(_eq3_step(D, *_eq14_update()[1:]), _eq14_update()[0], evaluate=False),
)
def _eq14():
    eq14, sig, T = _eq14_update()
    eq3 = _eq3_step(D, sig, T)
    return Verdict(
        Status.PROVED if is_zero(sp.expand(eq3 - eq14)) else Status.UNKNOWN,
        "Eq. 3 with d_out = 1 expands to Eq. 14 (SymPy, per eigen-mode sigma of Sigma_tr)",
    )


def _shift_expr():
    """Shift of the eigenvalue in Eq. 14 (unevaluated): the coefficient of -2 eta D in D_{t+1} - D_t, minus sigma."""
    eq14, sig, _ = _eq14_update()
    return -sp.Derivative(eq14 - D, D) / (2 * eta) - sig


@claim(
    id="text-wd-shift",
    equations=(14,),
    section=SEC,
    uses=("eq14-update",),
    title="'This basically amounts to shifting the eigenvalues of Sigma by gamma'",
    printed=r"\text{shifting the eigenvalues of }\Sigma\text{ by }\gamma",
    variables={"gamma": "> 0"},
    statement=lambda: sp.And(sp.Eq(_shift_expr(), g / 2, evaluate=False), sp.Ne(_shift_expr(), g, evaluate=False)),
)
def _shift():
    shift = sp.simplify(_shift_expr().doit())
    refuted = is_zero(shift - g / 2) and not is_zero(shift - g)
    return Verdict(
        Status.REFUTED if refuted else Status.UNKNOWN,
        f"in Eq. 14 the contraction acts with Sigma + {shift} I: the eigenvalues are shifted by {shift}, not by gamma"
        " (the paper itself says 'shifted by ... gamma/2' in the next paragraph); there is also the forcing -eta gamma T",
        corrected=r"\text{shifting the eigenvalues of }\Sigma\text{ by }\gamma/2\text{ (plus the forcing }-\eta\gamma T)",
    )


def _eq30_step():
    """(D_{t+1} - D_t)/dt from Eq. 14 with eta = eta_0 dt, per eigen-mode sigma (and the symbols sigma, T)."""
    sig, T = sp.symbols("sigma T", real=True)
    return (_eq14_step(D, sig, T, eta * dt) - D) / dt, sig, T


@claim(
    id="eq30-flow",
    equations=(30,),
    section=APP,
    uses=("eq14-update",),
    title="Gradient flow of Eq. 14: dD/dt = -2 eta (Sigma + gamma/2) D - eta gamma T",
    printed=r"\frac{\partial D}{\partial t}=-2\eta\left(\Sigma_{\rm tr}+\frac12\gamma I\right)D-\eta\gamma T",
    variables={"gamma": ">= 0"},
    statement=lambda: sp.Eq(sp.Limit(_eq30_step()[0], dt, 0), _flow_rhs(D, *_eq30_step()[1:]), evaluate=False),
)
def _eq30():
    step, sig, T = _eq30_step()
    lim = sp.limit(step, dt, 0)
    ok = is_zero(lim - _flow_rhs(D, sig, T))
    return Verdict(
        Status.PROVED if ok else Status.UNKNOWN,
        f"(D_(t+1) - D_t)/dt with eta = eta_0 dt -> {lim} (SymPy; per eigen-mode sigma). The paper writes"
        " dD/dt = -eta grad_D L, which with weight decay means the gradient of L_tr + (gamma/2)||S||^2",
    )


def _eq31_statement():
    """Per eigen-mode nu: the printed solution (Eq. 33), its ODE (Eq. 30), initial value, limit and fixed point."""
    dbar, d_inf = sp.Function(r"\bar{D}")(t), sp.Symbol(r"D_\infty")
    return sp.And(
        sp.Eq(dbar, _mode_solution(), evaluate=False),
        sp.Eq(sp.Derivative(dbar, t), _flow_rhs(dbar, nu, tau), evaluate=False),
        sp.Eq(dbar.subs(t, 0), s0 - tau, evaluate=False),
        sp.Eq(sp.Limit(dbar, t, sp.oo), d_inf, evaluate=False),
        sp.Eq(d_inf, _d_inf(), evaluate=False),
        sp.Eq(_eq14_step(d_inf, nu, tau), d_inf, evaluate=False),
    )


@claim(
    id="eq31-solution",
    equations=(31, 32, 33),
    section=APP,
    uses=("eq30-flow",),
    title="Eq. 31 (and its eigenbasis form Eq. 33) solves the flow; D_inf = -(gamma/2)(Sigma + gamma/2)^{-1} T",
    printed=r"D(t)+\frac12\gamma\left(\Sigma_{\rm tr}+\frac12\gamma I\right)^{-1}T=e^{-2\eta(\Sigma_{\rm tr}+\frac12\gamma I)t}\left[D(0)+\frac12\gamma\left(\Sigma_{\rm tr}+\frac12\gamma I\right)^{-1}T\right]",
    variables={"gamma": "> 0"},
    statement=lambda: _eq31_statement(),
)
def _eq31():
    d = _mode_solution()
    ode_ok = is_zero(sp.diff(d, t) - _flow_rhs(d, nu, tau))
    init_ok = is_zero(d.subs(t, 0) - (s0 - tau))
    d_inf = _d_inf()
    inf_ok = is_zero(sp.limit(d, t, sp.oo) - d_inf)
    # D_inf is also the exact fixed point of the discrete update Eq. 14 (not only of the flow)
    fixed_ok = is_zero(sp.expand(_eq14_step(d_inf, nu, tau) - d_inf))
    ok = ode_ok and init_ok and inf_ok and fixed_ok
    return Verdict(
        Status.PROVED if ok else Status.UNKNOWN,
        "per eigen-mode (Eq. 33 is Eq. 31 in the eigenbasis of Sigma_tr, D-bar = P^T D): the printed solution"
        " satisfies the ODE of Eq. 30 and d(0) = s_0 - tau, and tends to D_inf = -(gamma/2)(nu+gamma/2)^{-1} tau,"
        " which is also the exact fixed point of the discrete update Eq. 14 (SymPy)",
    )


def _eq34_statement():
    """What the simulation measures: f(M) = e^{-M}, M = diag(nu_i) the spectrum of Sigma_tr at lam = 1/2, d_in -> inf."""
    from .mp_limit import LAM_PM, MP_DENSITY
    from .mp_limit import lam as lam_mp

    i = sp.Idx("i")
    v, w, ev = sp.IndexedBase("V"), sp.IndexedBase("W"), sp.IndexedBase("nu")
    norm_v, norm_w = sp.Symbol("|V|"), sp.Symbol("|W|")
    half = sp.Rational(1, 2)
    cross = sp.Abs(sp.Sum(sp.exp(-ev[i]) * v[i] * w[i], (i, 1, D_IN))) / (norm_v * norm_w)
    diag = sp.Sum(sp.exp(-ev[i]) * v[i] ** 2, (i, 1, D_IN)) / norm_v**2
    mp_mean = sp.Integral(sp.exp(-nu) * MP_DENSITY.subs(lam_mp, half), (nu, *(e.subs(lam_mp, half) for e in LAM_PM)))
    return sp.And(
        sp.Eq(sp.Limit(cross, D_IN, sp.oo), 0, evaluate=False),
        sp.Eq(sp.Limit(diag, D_IN, sp.oo), mp_mean, evaluate=False),
    )


@claim(
    id="eq34-random-vectors",
    equations=(34,),
    section=APP,
    uses=("eq8-mp-limit",),
    title="Random-vector approximation: V^T f(M) W ~ 0 (V != W), |V|^2 int f p (V = W)",
    printed=r"V^Tf(M)W=\begin{cases}0&V\neq W\\|V|^2\int f(u)p(u)du&V=W\end{cases}",
    variables={"V, W": "independent isotropic random vectors", "M": "MP-distributed diagonal matrix"},
    statement=lambda: _eq34_statement(),
)
def _eq34():
    rng = np.random.default_rng(34)
    f = np.exp  # any bounded f; here e^{-u} on the spectrum (sign below)
    rows = []
    for d in (100, 400, 1600):
        ev = sim.gram_spectrum(d, 2 * d, seed=d)  # lam = 0.5
        fm = f(-ev)
        with mp.workdps(15):
            target = float(mp_law.expect(lambda u: mpmath.exp(-u), 0.5))
        cross, diag = [], []
        for _ in range(40):
            v, w = rng.standard_normal(d), rng.standard_normal(d)
            cross.append(abs(v @ (fm * w)) / (np.linalg.norm(v) * np.linalg.norm(w)))
            diag.append(abs(v @ (fm * v) / (v @ v) - target))
        rows.append((d, float(np.mean(cross)), float(np.mean(diag))))
    p_cross = fit_power([(d, c) for d, c, _ in rows])
    p_diag = fit_power([(d, e) for d, _, e in rows])
    ok = p_cross < -0.35 and p_diag < -0.35
    detail = (
        "isotropic Gaussian V, W; M = spectrum of a sampled Sigma_tr (lam = 0.5); f(u) = e^(-u): mean over 40 draws of"
        " |V^T f W|/(|V||W|) and |V^T f V/|V|^2 - E_MP f|: "
        + "; ".join(f"d={d}: {c:.2e}, {e:.2e}" for d, c, e in rows)
        + f" (orders d^{p_cross:.2f}, d^{p_diag:.2f}: the O(d^-1/2) fluctuations of a random projection)"
    )
    return Verdict(Status.ASYMPTOTIC if ok else Status.UNKNOWN, detail)


def _init_average():
    """Average of q (e^{-kappa t} s_0 - r tau)^2 over independent s_0, tau with variances a, b (= |S_0|^2, |T|^2 / d_in)."""
    from sympy.stats import E, Normal

    a, b = sp.symbols("a b", positive=True)
    S = Normal("S", 0, sp.sqrt(a))
    Tn = Normal("T", 0, sp.sqrt(b))
    d = _mode_solution().subs({s0: S, tau: Tn})
    # over one denominator only: the callers compare it with is_zero, which simplifies the difference anyway
    avg = sp.together(E(sp.expand(d**2)))
    return avg, a, b


def _mean_square_mode():
    """For the statements: Dbar(t) = Eq. 33 (one mode), E_{s_0, tau}[Dbar(t)^2] (named), Var(s_0), Var(tau)."""
    from sympy.stats import Variance

    dbar = sp.Function(r"\bar{D}")(t)
    mean = sp.Function(r"\mathbb{E}_{s_0,\tau}")
    return sp.Eq(dbar, _mode_solution(), evaluate=False), mean(dbar**2), Variance(s0), Variance(tau)


def _per_mode(a, b):
    """E[Dbar(t)^2] derived from Eq. 33 for Var(s_0) = a, Var(tau) = b."""
    return sp.exp(-2 * _kappa() * t) * a + _bracket() ** 2 * b


def _eq15_integrand():
    """The bracket of Eq. 15 (without q): (1/2)(e^{-4 eta (nu + gamma/2) t} + bracket^2)."""
    return (sp.exp(-4 * eta * (nu + g / 2) * t) + _bracket() ** 2) / 2


def _bracket():
    return (sp.exp(-2 * eta * (nu + g / 2) * t) * nu + g / 2) / (nu + g / 2)


def _eq35_statement():
    """The per-mode average the check derives, and printed Eq. 35 at t = 0 (gen) against the loss |D_0|^2 there."""
    s_norm2, t_norm2 = sp.Symbol("|S(0)|") ** 2, sp.Symbol("|T|") ** 2
    dbar_def, mean_sq, var_s, var_t = _mean_square_mode()
    return sp.And(
        dbar_def,
        sp.Eq(mean_sq, _per_mode(var_s, var_t), evaluate=False),
        sp.Eq(D_IN * (s_norm2 + t_norm2), s_norm2 + t_norm2, evaluate=False),
    )


@claim(
    id="eq35-from-33-34",
    equations=(35,),
    section=APP,
    uses=("eq31-solution", "eq34-random-vectors"),
    title="Eq. 35 follows from Eqs. 33-34",
    printed=r"\mathcal L_{\rm tr/gen}=d_{\rm in}\int\left(|S(0)|^2e^{-4\eta(u+\frac12\gamma)t}+|T|^2\left(\frac{e^{-2\eta(u+\frac12\gamma)t}u+\frac12\gamma}{u+\frac12\gamma}\right)^2\right)q_{\rm tr/gen}p(u)du",
    variables={"|S(0)|, |T|": "norms of the initial student and teacher vectors"},
    statement=lambda: _eq35_statement(),
)
def _eq35():
    avg, a, b = _init_average()
    # Eq. 34 turns sum_i f(nu_i) s_i^2 into |S_0|^2 int f p, i.e. per mode a -> |S_0|^2 / d_in, b -> |T|^2 / d_in;
    # the d_in modes then sum to |S_0|^2 <e^{-2 kappa t}> + |T|^2 <bracket^2>: no extra factor d_in.
    per_mode = _per_mode(a, b)
    derived_ok = is_zero(sp.simplify(avg - per_mode))
    rng = np.random.default_rng(35)
    d_in = 1000
    s_norm2 = float(np.sum(rng.normal(0, np.sqrt(1 / (2 * d_in)), d_in) ** 2))
    # at t = 0 (q = 1) the loss is |D_0|^2 = |S_0|^2 + |T|^2 ~ 1; printed Eq. 35 gives d_in (|S_0|^2 + |T|^2)
    printed_t0 = d_in * 2 * s_norm2
    refuted = derived_ok and printed_t0 > 100
    return Verdict(
        Status.REFUTED if refuted else Status.UNKNOWN,
        "averaging the squared per-mode solution (Eq. 33) over independent s_0, tau (sympy.stats) gives"
        " E[d^2] = e^(-4 eta (nu + gamma/2) t) Var(s_0) + bracket^2 Var(tau); with Eq. 34, sum_i f(nu_i) s_i^2 ->"
        " |S(0)|^2 int f p, so L = |S(0)|^2 int e^(...) q p + |T|^2 int bracket^2 q p, with no factor d_in."
        f" Counterexample at t = 0, gen (q = 1): L = |D_0|^2 ~ 1, but the printed Eq. 35 gives d_in(|S_0|^2 + |T|^2)"
        f" = {printed_t0:.0f} for a sampled d_in = {d_in} initialisation (|S_0|^2 = {s_norm2:.3f})",
        corrected=r"\mathcal L_{\rm tr/gen}=\int\left(|S(0)|^2e^{-4\eta(u+\frac12\gamma)t}+|T|^2\left(\frac{e^{-2\eta(u+\frac12\gamma)t}u+\frac12\gamma}{u+\frac12\gamma}\right)^2\right)q_{\rm tr/gen}p(u)du",
    )


def _init_entry():
    """One entry S_{0,i} of the initial student (Section 3): N(0, 1/(2 d_in))."""
    from sympy.stats import Normal

    return Normal("S_{0,i}", 0, 1 / sp.sqrt(2 * D_IN))


def _norms_statement():
    """E|S(0)|^2 = d_in E[S_{0,i}^2] (computed) against the printed |S(0)|^2 = 1/(2 d_in)."""
    from sympy.stats import Expectation

    return sp.Eq(D_IN * Expectation(_init_entry() ** 2), 1 / (2 * D_IN), evaluate=False)


@claim(
    id="text-init-norms",
    equations=(36,),
    section=APP,
    uses=("eq1-init-scale",),
    title="'Setting the student initialisation and teacher vector norms to |S(0)|, |T| ~ 1/sqrt(2 d_in)'",
    printed=r"|S(0)|,|T|\simeq1/\sqrt{2d_{\rm in}}",
    variables={"d_in": "input dimension"},
    statement=lambda: _norms_statement(),
)
def _norms():
    from sympy.stats import E

    x = _init_entry()
    exp_norm2 = sp.simplify(D_IN * E(x**2))  # E|S(0)|^2 = d_in * Var(entry)
    rng = np.random.default_rng(36)
    sampled = {d: float(np.linalg.norm(rng.normal(0, np.sqrt(1 / (2 * d)), d))) for d in (100, 1000, 10000)}
    refuted = exp_norm2 == sp.Rational(1, 2) and all(abs(v - 2**-0.5) < 0.1 for v in sampled.values())
    return Verdict(
        Status.REFUTED if refuted else Status.UNKNOWN,
        f"with entries N(0, 1/(2 d_in)) (Section 3), E|S(0)|^2 = {exp_norm2} (sympy.stats), so |S(0)|, |T| ~ 1/sqrt(2),"
        " independent of d_in; 1/sqrt(2 d_in) is the standard deviation of one entry. Sampled norms: "
        + ", ".join(f"d_in={d}: {v:.3f}" for d, v in sampled.items())
        + ". Together with the extra d_in of Eq. 35 the two slips cancel, so Eq. 36 is right (claim eq15-loss)",
        corrected=r"|S(0)|,|T|\simeq1/\sqrt2\ \text{(entries of standard deviation }1/\sqrt{2d_{\rm in}})",
    )


def _eq15_statement():
    """d_in E[Dbar^2] at entry variance 1/(2 d_in) is the integrand of Eq. 15; the losses (numerics, from Eq. 3) are
    its MP averages (checked by quadrature)."""
    per_var = sp.Rational(1, 2) / D_IN
    ell = sp.Function(r"\ell")(nu, t)  # the printed integrand, named once
    dbar_def, mean_sq, var_s, var_t = _mean_square_mode()
    return sp.And(
        dbar_def,
        sp.Eq(var_s, per_var, evaluate=False),
        sp.Eq(var_t, per_var, evaluate=False),
        sp.Eq(D_IN * mean_sq, ell, evaluate=False),
        sp.Eq(ell, _eq15_integrand(), evaluate=False),
        sp.Eq(L_GEN(t), _mp_mean(ell), evaluate=False),
        sp.Eq(L_TR(t), _mp_mean(nu * ell), evaluate=False),
    )


EQ15_PRINTED_NOTE = "Eq. 36 and Eq. 15 are the same expression (Eq. 15 writes eta_0, Eq. 36 eta)"


@claim(
    id="eq15-loss",
    cost=5,
    equations=(15, 36),
    section=SEC,
    uses=("eq31-solution", "eq34-random-vectors", "eq1-init-scale"),
    title="Weight-decay losses: L = (1/2) E_MP[(e^{-4 eta (nu + gamma/2) t} + bracket^2) q]",
    printed=r"\mathcal L_{\rm tr/gen}=\frac12\mathbb E_{\nu\sim{\rm MP}(\lambda)}\left[\left(e^{-4\eta_0(\nu+\frac12\gamma)t}+\left(\frac{e^{-2\eta_0(\nu+\frac12\gamma)t}\nu+\frac12\gamma}{\nu+\frac12\gamma}\right)^2\right)q_{\rm tr/gen}\right]",
    variables={"lambda": "> 0", "gamma": ">= 0", "q": "nu (train) or 1 (gen)"},
    statement=lambda: _eq15_statement(),
)
def _eq15():
    avg, a, b = _init_average()
    d_in = D_IN
    # d_in modes, each with Var(s_0) = Var(tau) = 1/(2 d_in): sum -> d_in * avg = (1/2)(e^{-2 kappa t} + bracket^2)
    per_mode = sp.simplify(d_in * avg.subs({a: 1 / (2 * d_in), b: 1 / (2 * d_in)}))
    printed = _eq15_integrand()
    proved = is_zero(per_mode - printed)

    memo = {}  # (point, precision, u) -> the bracket of Eq. 15 at u: the train side meets the gen side's nodes again

    def eq15(lam, t, gm, train):
        eta_, g2 = mpmath.mpf(0.01), mpmath.mpf(gm) / 2
        rate = mpmath.fmul(-2 * eta_, t, exact=True)  # -2 eta_0 t, exactly: the exponent is rounded once, per node

        def f(u):  # the printed integrand, with e^{-4 eta_0 (u + gamma/2) t} = c^2, c = e^{-2 eta_0 (u + gamma/2) t}
            key = (lam, t, gm, mp.prec, u)
            v = memo.get(key)
            if v is None:
                w = u + g2
                c = mpmath.exp(rate * w)
                br = (c * u + g2) / w
                v = memo[key] = (c * c + br * br) / 2
            return v * u if train else v

        return mp_law.expect(f, lam, scale=4 * eta_ * t)

    pts = sample_points({"lam": (0.1, 3.0, "log"), "t": (10.0, 3e4, "log"), "gm": (1e-5, 1e-1, "log")}, 8, seed=15)
    a_gen = compare(lambda lam, t, gm: numerics.gen_loss(t, lam, gamma=gm), lambda **p: eq15(**p, train=False), pts)
    a_tr = compare(lambda lam, t, gm: numerics.train_loss(t, lam, gamma=gm), lambda **p: eq15(**p, train=True), pts)
    detail = (
        "averaging the exact per-mode solution (Eqs. 31/33) over S_0, T with entry variance 1/(2 d_in) and summing the"
        " d_in modes gives (1/2)(e^(-4 eta (nu+gamma/2) t) + bracket^2) per unit of spectral weight (sympy.stats), i.e."
        f" Eq. 15 = Eq. 36. {EQ15_PRINTED_NOTE}. Printed formula by quadrature vs numerics (derived from Eq. 3"
        f" independently): gen {a_gen.summary()}; train {a_tr.summary()}"
    )
    ok = proved and min(a_gen.digits, a_tr.digits) >= 25
    return Verdict(Status.PROVED if ok else Status.UNKNOWN, detail)


def _inverse_moments():
    """E_MP[1/nu] and E_MP[1/nu^2] for lam < 1 by residues (nu p(nu) dnu = (2/pi) sin^2 dtheta)."""
    out = []
    for k in (1, 2):
        f = sp.together((-((z - 1 / z) ** 2) / 4) / (1 + r**2 + r * (z + 1 / z)) ** (k + 1) / (sp.I * z))
        tot = sum(sp.residue(f, z, p) for p in (0, -r))
        out.append(sp.factor(sp.simplify(2 * sp.I * tot)))
    return out


@claim(
    id="eq16-plateaus",
    equations=(16,),
    section=SEC,
    uses=("eq15-loss",),
    title="Late-time, small-gamma plateaus: L_tr ~ gamma^2/(4(1-lam)), L_gen ~ gamma^2/(4(1-lam)^3)",
    printed=r"\mathcal L_{\rm tr}\simeq\frac{\gamma^2}{4(1-\lambda)},\quad\mathcal L_{\rm gen}\simeq\frac{\gamma^2}{4(1-\lambda)^3}",
    variables={"lambda": "0 < lambda < 1", "gamma": "-> 0", "t": "-> inf"},
    statement=lambda: sp.And(
        sp.Eq(sp.Limit(L_TR(sp.oo, g) / g**2, g, 0), sp.Rational(1, 4) / (1 - lam), evaluate=False),
        sp.Eq(sp.Limit(L_GEN(sp.oo, g) / g**2, g, 0), sp.Rational(1, 4) / (1 - lam) ** 3, evaluate=False),
    ),
)
def _eq16_plateaus():
    m1, m2 = _inverse_moments()  # E[1/nu], E[1/nu^2] in r = sqrt(lambda)
    lam_ = sp.symbols("lambda", positive=True)
    moments_ok = is_zero(m1 - 1 / (1 - r**2)) and is_zero(m2 - 1 / (1 - r**2) ** 3)
    # t -> inf in Eq. 15: the exponentials vanish, bracket -> (gamma/2)/(nu+gamma/2); small gamma: (gamma^2/8) q/nu^2
    limit_bracket = sp.limit(_bracket(), t, sp.oo)
    lead = sp.limit(limit_bracket**2 / 2 / g**2, g, 0)  # coefficient of gamma^2 in (1/2) bracket^2, times nu^2
    lead_ok = is_zero(lead - 1 / (8 * nu**2))
    rows = []
    with mp.workdps(20):
        for lm in (0.1, 0.5, 0.8):
            gm = 1e-5
            ex_tr = numerics.loss_limit(lm, which="train", gamma=gm)
            ex_gen = numerics.loss_limit(lm, which="gen", gamma=gm)
            rows.append((lm, float(ex_tr / (gm**2 / (4 * (1 - lm)))), float(ex_gen / (gm**2 / (4 * (1 - lm) ** 3)))))
    refuted = moments_ok and lead_ok and all(abs(a - 0.5) < 1e-3 and abs(b - 0.5) < 1e-3 for _, a, b in rows)
    detail = (
        f"t -> inf in Eq. 15: bracket -> {limit_bracket}; (1/2) bracket^2 ~ gamma^2/(8 nu^2) as gamma -> 0 (SymPy), and"
        f" E_MP[1/nu] = {sp.factor(m1.subs(r, sp.sqrt(lam_)))}, E_MP[1/nu^2] = {sp.factor(m2.subs(r, sp.sqrt(lam_)))} by"
        " residues, so Eq. 15 gives gamma^2/(8(1-lam)) and gamma^2/(8(1-lam)^3): half the printed values. Exact"
        " plateau / printed Eq. 16 at gamma = 1e-5: "
        + ", ".join(f"lam={lm}: train {a:.4f}, gen {b:.4f}" for lm, a, b in rows)
    )
    return Verdict(
        Status.REFUTED if refuted else Status.UNKNOWN,
        detail,
        corrected=r"\mathcal L_{\rm tr}\simeq\frac{\gamma^2}{8(1-\lambda)},\quad\mathcal L_{\rm gen}\simeq\frac{\gamma^2}{8(1-\lambda)^3}",
    )


@functools.cache
def _wd_delta(lam: float, gamma: float, eps: float = 1e-3):
    with mp.workdps(15):
        gt = numerics.grokking_time(lam, gamma=gamma, eps=eps)
    return None if gt.delta is None else float(gt.delta)


def _gamma_c(lam, eps=1e-3):
    """Weight decay at which the generalisation plateau reaches eps/4 (no generalisation beyond it); residual-checked."""
    with mp.workdps(20):
        thr = mpmath.mpf(eps) / 4
        guess = mpmath.sqrt(2 * eps * (1 - lam) ** 3)
        gc = mp.findroot(lambda x: numerics.loss_limit(lam, which="gen", gamma=x) / thr - 1, guess)
        if abs(numerics.loss_limit(lam, which="gen", gamma=gc) / thr - 1) > 1e-12:
            raise numerics.RootFindingError("gamma_c failed its residual check")
    return float(gc)


#: fractions of gamma_c at which the check computes Delta t (0 included), and the one beyond gamma_c
GROK_FRACTIONS = (0, sp.Rational(1, 10), sp.Rational(1, 2), sp.Rational(9, 10), sp.Rational(99, 100))
GROK_BEYOND = sp.Rational(101, 100)


def _eq16_time_statement():
    """What the check measures: Eq. 16 below the exact Delta t(0), Delta t increasing in gamma up to gamma_c (at
    the sampled fractions of gamma_c), no grokking beyond gamma_c, and the definition of gamma_c."""
    dt_grok, gc, eps = sp.Function(r"\Delta t_{\rm grok}"), sp.Symbol(r"\gamma_c", positive=True), sp.Symbol("epsilon")
    eq16 = sp.log(1 + sp.sqrt(lam)) / (2 * eta * (1 - sp.sqrt(lam)) ** 2)
    rising = [sp.Lt(dt_grok(a * gc), dt_grok(b * gc), evaluate=False) for a, b in itertools.pairwise(GROK_FRACTIONS)]
    return sp.And(
        sp.Lt(eq16, dt_grok(0), evaluate=False),
        *rising,
        sp.Eq(dt_grok(GROK_BEYOND * gc), sp.oo, evaluate=False),
        sp.Eq(L_GEN(sp.oo, gc), eps / 4, evaluate=False),
    )


@claim(
    id="eq16-grokking-time",
    equations=(16,),
    section=SEC,
    uses=("eq15-loss", "eq16-plateaus"),
    title="With weight decay (lam < 1) the grokking time decreases to log(1+sqrt lam)/(2 eta (1-sqrt lam)^2)",
    printed=r"\Delta t_{\rm grok}\simeq\frac{\log(1+\sqrt\lambda)}{2\eta_0(1-\sqrt\lambda)^2}",
    variables={"lambda": "0 < lambda < 1", "gamma": "> 0", "eps": "1e-3"},
    statement=lambda: _eq16_time_statement(),
)
def _eq16_time():
    rows, ok_all = [], True
    for lm in (0.3, 0.5, 0.7):
        gc = _gamma_c(lm)
        eq16 = float(mpmath.log(1 + mpmath.sqrt(lm)) / (2 * 0.01 * (1 - mpmath.sqrt(lm)) ** 2))
        d0 = _wd_delta(lm, 0.0)
        ds = [(f, _wd_delta(lm, f * gc)) for f in map(float, GROK_FRACTIONS[1:])]
        beyond = _wd_delta(lm, float(GROK_BEYOND) * gc)
        if d0 is None or any(v is None for _, v in ds):  # a gamma below gamma_c that never groks: not as expected
            ok_all = False
            rows.append(f"lam={lm}: no grokking at some gamma below gamma_c={gc:.3g} (unexpected; no verdict)")
            continue
        increasing = all(b[1] > a[1] for a, b in zip([(0, d0), *ds], ds, strict=False))
        closest = min(abs(v / eq16 - 1) for _, v in [(0, d0), *ds])
        # the printed claim: below the threshold WD *decreases* Delta t towards Eq. 16. Refuted if Delta t increases
        # with gamma everywhere up to gamma_c (no generalisation beyond) and Eq. 16 lies below every exact value
        ok_all = ok_all and increasing and beyond is None and eq16 < d0
        rows.append(
            f"lam={lm}: gamma_c={gc:.3g}, Eq. 16 gives {eq16:.4g}; exact Delta t = {d0:.4g} (gamma=0), "
            + ", ".join(f"{v:.4g} ({f:g} gamma_c)" for f, v in ds)
            + f", no generalisation at 1.01 gamma_c; closest relative distance to Eq. 16: {closest:.0%}"
        )
    detail = (
        "exact MP-limit grokking time with weight decay (eps = 1e-3, eta_0 = 0.01), gamma up to gamma_c where the"
        " generalisation plateau reaches eps/4 (root-found): "
        + "; ".join(rows)
        + ". Weight decay lengthens the grokking time, which diverges at gamma_c; Eq. 16 lies below the exact value"
        " for every gamma, so it is not reached by decreasing"
    )
    return Verdict(
        Status.REFUTED if ok_all else Status.UNKNOWN,
        detail,
        corrected=r"\Delta t_{\rm grok}(\gamma)\ \text{increases from its}\ \gamma=0\ \text{value and diverges at}\ \gamma_c,"
        r"\ \mathcal L_{\rm gen}(\infty;\gamma_c)=\epsilon/4\ (\gamma_c\approx\sqrt{2\epsilon(1-\lambda)^3});\ \text{no grokking for}\ \gamma>\gamma_c",
    )


@claim(
    id="text-wd-overparameterised",
    equations=(15, 16),
    section=SEC,
    uses=("eq15-loss",),
    title="lam > 1: weight decay improves generalisation, 'still, the late time behavior is the same as Eq. (16)'",
    printed=r"\lambda>1:\ \text{late-time behaviour as Eq. (16), timescale }1/\gamma",
    variables={"lambda": "> 1", "gamma": "> 0"},
    statement=lambda: sp.And(
        sp.Eq(sp.Limit(_eq15_integrand().subs(nu, 0), t, sp.oo), sp.Rational(1, 2), evaluate=False),
        sp.Eq(L_GEN(sp.oo, g), sp.Mul(sp.Rational(1, 2), 1 - 1 / lam, evaluate=False), evaluate=False),
    ),
)
def _overparam():
    # atom nu = 0 of Eq. 15 (gen): (1/2)(e^{-2 eta gamma t} + 1) (1 - 1/lam): plateau halves on the timescale 1/(2 eta gamma)
    atom_term = _eq15_integrand().subs(nu, 0)
    atom_lim = sp.limit(atom_term, t, sp.oo)
    rows = []
    with mp.workdps(20):
        for lm in (1.5, 4.0):
            gm = 1e-3
            p_wd = numerics.loss_limit(lm, which="gen", gamma=gm)
            p_0 = numerics.loss_limit(lm, which="gen")
            half = float(p_wd / (mp_law.atom(lm) / 2))
            rows.append((lm, float(p_0), float(p_wd), half))
    ok = atom_lim == sp.Rational(1, 2) and all(abs(h - 1) < 0.05 for *_, h in rows)
    detail = (
        f"atom (nu = 0) term of Eq. 15: {sp.simplify(atom_term)} -> {atom_lim} as t -> inf (SymPy), so for lam > 1 the"
        " generalisation plateau goes from (1 - 1/lam) to about (1 - 1/lam)/2 on the timescale 1/(2 eta_0 gamma),"
        " not to the gamma^2-small plateaus of Eq. 16. Exact plateaus (gamma=0 -> gamma=1e-3, ratio to (1-1/lam)/2): "
        + ", ".join(f"lam={lm}: {a:.4f} -> {b:.4f} ({h:.4f})" for lm, a, b, h in rows)
        + ". 'Better generalisation' and the 1/gamma timescale are confirmed; the Eq. 16 late-time behaviour is not"
    )
    return Verdict(
        Status.REFUTED if ok else Status.UNKNOWN,
        detail,
        corrected=r"\lambda>1:\ \mathcal L_{\rm gen}\to\tfrac12(1-1/\lambda)+O(\gamma)\ \text{on the timescale}\ 1/(2\eta_0\gamma)",
    )
