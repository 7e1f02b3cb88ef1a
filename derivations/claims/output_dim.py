"""Section 3.2 and Appendix C: the effect of d_out (Eqs. 13, 27, 28)."""

from __future__ import annotations

import functools

import mpmath
import sympy as sp
from mpmath import mp

import numerics

from ..checks import compare, is_zero, sample_points
from ..claim import Status, Verdict
from ..registry import claim
from ..statements import Conj

SEC = "3.2 Output dimension"
eta, lam, t, nu, eps, L = sp.symbols(r"eta_0 lambda t nu epsilon \mathcal{L}", positive=True)
k = sp.Symbol(r"d_{\rm out}", positive=True, integer=True)
D_IN = sp.Symbol(r"d_{\rm in}", positive=True, integer=True)

#: generalisation losses in the statements: at d_out = 1 (Eq. 8) and at general d_out (Eq. 13), of (eta_0, lam, t)
L_ONE = sp.Function(r"\mathcal{L}^{d_{\rm out}=1}_{\rm gen}")
L_DOUT = sp.Function(r"\mathcal{L}^{d_{\rm out}}_{\rm gen}")
ACCURACY = sp.Function(r"\mathcal{A}")  #: numerics.accuracy(loss, eps, d_out) in the statements


# ------------------------------------------------------------------------------ expressions shared with statements


def _eq28_modes():
    """Eq. 3 and Eq. 28 for one eigenmode (the update is linear and acts entrywise per mode), and gamma."""
    g = sp.symbols("gamma", nonnegative=True)
    D, T, sig = sp.symbols("D_t T sigma")
    eq3 = (1 - 2 * eta / k * sig) * D - eta * g / k * (D + T)
    eq28 = (1 - 2 * eta / k * sig) * D
    return eq3, eq28, g


def _eq13_columns(F):
    """Eq. 27 summed over the d_out columns (each with E[c_i^2] = 1/(d_in d_out) and spectral sum F), unevaluated."""
    col = sp.symbols("j", integer=True, positive=True)
    return sp.Sum(F / (D_IN * k), (col, 1, k)) / k


def _chi2(d):
    """||z||^2 / L for z ~ N(0, L I_d): a chi-square variable with d degrees of freedom."""
    from sympy.stats import ChiSquared

    return ChiSquared(rf"\chi^2_{{{sp.latex(d)}}}", d)


def _eq13_printed(d):
    """The right-hand side of Eq. 13 (accuracy) at d_out = d."""
    return 1 - sp.uppergamma(sp.S(d) / 2, d * eps / (2 * L)) / sp.gamma(sp.S(d) / 2)


# --------------------------------------------------------------------------------------------------- statements


def _st_eq28():
    eq3, eq28, g = _eq28_modes()
    D, sig = sp.MatrixSymbol("D", D_IN, 1), sp.MatrixSymbol(r"\Sigma_{\rm tr}", D_IN, D_IN)
    quad = sp.MatMul(D.T, sig, D)
    return Conj(
        sp.Eq(sp.Subs(eq3, g, 0), eq28, evaluate=False),
        sp.Eq(quad, sp.Subs(sp.Trace(quad) / k, k, 1), evaluate=False),  # Eq. 29 is Eq. 1 at d_out = 1
    )


def _st_eq13_loss():
    F = sp.Symbol("F", positive=True)
    return Conj(
        sp.Eq(_eq13_columns(F), F / D_IN / k, evaluate=False),
        sp.Eq(L_DOUT(eta, lam, t), L_ONE(eta / k, lam, t) / k, evaluate=False),
    )


def _st_eq13_acc():
    from sympy.stats import Probability

    return Conj(
        sp.Eq(Probability(_chi2(k) <= k * eps / L), _eq13_printed(k), evaluate=False),
        sp.Eq(ACCURACY(L, eps, k), _eq13_printed(k), evaluate=False),
    )


def _st_acc_to_one():
    from sympy.stats import Expectation, Variance

    chi = _chi2(k)
    return Conj(
        sp.Eq(Expectation(chi) / k, 1, evaluate=False),
        sp.Eq(Variance(chi) / k**2, 2 / k, evaluate=False),
        sp.Eq(sp.Limit(_eq13_printed(k).subs(L, 2 * eps), k, sp.oo), 0, evaluate=False),
        sp.Eq(sp.Limit(_eq13_printed(k).subs(L, eps / 2), k, sp.oo), 1, evaluate=False),
    )


def _st_dout_max():
    d_max, delta = sp.Symbol(r"d_{\rm out}^{\rm max}", positive=True, integer=True), sp.Function(r"\Delta t")
    return Conj(
        sp.Gt(delta(d_max), delta(1), evaluate=False),
        sp.Gt(delta(d_max), delta(150), evaluate=False),
        sp.Gt(sp.Abs(d_max - 50) / 50, sp.Rational(1, 5), evaluate=False),
    )


@claim(
    id="eq28-update",
    statement=_st_eq28,
    equations=(27, 28, 29),
    section="C d_out > 1",
    uses=("eq1-loss-trace", "eq2-gen-expectation", "eq3-update"),
    title="Eqs. 27-28 restate Eqs. 1-3 with gamma = 0; Eq. 29 is Eq. 1 at d_out = 1",
    printed=r"D_{t+1}=\left(\mathbf I-\frac{2\eta}{d_{\rm out}}\Sigma_{\rm tr}\right)D_t",
    variables={"d_out": ">= 1"},
)
def _eq28():
    eq3, eq28, g = _eq28_modes()  # one eigen-mode / entry: the update is linear and acts entrywise per mode
    # Eq. 29 (Appendix D): L_tr = D^T Sigma D, i.e. Eq. 1's (1/d_out) Tr[D^T Sigma D] at d_out = 1
    Dv = sp.Matrix(sp.symbols("D1:4"))
    Sm = sp.Matrix(3, 3, lambda i, j: sp.Symbol(f"s{min(i, j)}{max(i, j)}"))
    eq1_at_1 = (Dv.T * Sm * Dv).trace() / 1
    ok = is_zero(eq3.subs(g, 0) - eq28) and is_zero((Dv.T * Sm * Dv)[0, 0] - eq1_at_1)
    return Verdict(
        Status.PROVED if ok else Status.UNKNOWN,
        "Eq. 28 is Eq. 3 at gamma = 0 (SymPy, per mode); Eq. 27 repeats the loss definitions of Eqs. 1-2 (claims"
        " eq1-loss-trace, eq2-gen-expectation); Eq. 29 is Eq. 1 at d_out = 1 (the trace of a 1 x 1 matrix). The step"
        " is eta/d_out: the rate rescaling of Section 3.2",
    )


@claim(
    id="eq13-loss-rescaling",
    statement=_st_eq13_loss,
    equations=(13,),
    section=SEC,
    uses=("eq28-update", "eq7-init-average", "eq1-init-scale"),
    title="L^{d_out}(t) = L^{d_out=1}(eta_0/d_out, lam, t) / d_out",
    printed=r"\mathcal L^{d_{\rm out}\ge1}_{\rm tr/gen}=\frac{1}{d_{\rm out}}\mathcal L^{d_{\rm out}=1}_{\rm tr/gen}\left(\frac{\eta_0}{d_{\rm out}},\lambda,t\right)",
    variables={"d_out": ">= 1", "lambda": "> 0"},
)
def _eq13_loss():
    # Each of the d_out columns evolves independently with rate 2 eta/d_out (Eq. 28); its entries have variance
    # 1/(d_in d_out) (Eq. 1 init), so per column E[c_i^2] = 1/(d_in d_out) in the eigenbasis.  Summing:
    # F = sum_i q(nu_i) e^{-4 (eta/d_out) nu_i t}: the same for every column (same Sigma_tr, same rate)
    F = sp.symbols("F", positive=True)
    loss = _eq13_columns(F).doit()
    one_col = F / D_IN  # the d_out = 1 spectral average of Eq. 7 at rate eta/d_out
    proved = is_zero(sp.simplify(loss - one_col / k))
    pts = sample_points({"lam": (0.1, 3.0, "log"), "t": (10.0, 1e4, "log"), "d": (2, 60, "log")}, 8, seed=13)
    agree = compare(
        lambda lam, t, d: numerics.gen_loss(t, lam, d_out=int(d)),
        lambda lam, t, d: numerics.gen_loss(t, lam, eta=mpmath.mpf(0.01) / int(d)) / int(d),
        pts,
    )
    detail = (
        "per column, E[c_i^2] = 1/(d_in d_out) and the rate is 2 eta/d_out (Eq. 28), so sum over d_out columns of the"
        " 1/(d_in d_out)-weighted spectral sum, divided by d_out (Eq. 27), is (1/d_out) x the d_out = 1 average at"
        f" rate eta/d_out (SymPy). numerics.gen_loss(d_out) vs gen_loss(eta/d_out)/d_out: {agree.summary()}"
    )
    return Verdict(Status.PROVED if proved and agree.digits >= 25 else Status.UNKNOWN, detail)


@claim(
    id="eq13-accuracy",
    statement=_st_eq13_acc,
    equations=(13,),
    section=SEC,
    uses=("eq10-accuracy", "eq13-loss-rescaling"),
    title="Chi-square accuracy law: A = 1 - Gamma(d_out/2, d_out eps/(2L)) / Gamma(d_out/2)",
    printed=r"\mathcal A_{\rm tr/gen}=1-\frac{\Gamma\left(\frac{d_{\rm out}}2,\frac{d_{\rm out}\epsilon}{2\mathcal L}\right)}{\Gamma\left(\frac{d_{\rm out}}2\right)}",
    reading=(
        "The paper does not restate what a correct sample is for d_out > 1; Eq. 13 is what one gets when the mean"
        " squared error over outputs, ||z||^2/d_out, must be below eps, with z ~ N(0, L I_{d_out})."
    ),
    variables={"d_out": ">= 1", "L": "> 0 (per-component variance of z)"},
)
def _eq13_acc():
    from sympy.stats import cdf, density

    # sympy.stats.P(X < x) returns 0 for a symbolic x in SymPy 1.14, so the CDF is used, and cross-checked against
    # direct integration of the chi-square density at one point
    ok = True
    y = sp.symbols("y", positive=True)
    for d in (1, 2, 3, 5, 8):
        chi = _chi2(d)  # ||z||^2 / L for z ~ N(0, L I_d)
        prob = cdf(chi)(d * eps / L)  # correct iff ||z||^2 / d < eps
        direct = sp.integrate(density(chi)(y), (y, 0, sp.Rational(3, 2)))
        ok = ok and abs(float(direct) - float(prob.subs({eps: 1, L: sp.Rational(2 * d, 3)}))) < 1e-12
        printed = _eq13_printed(d)
        ok = ok and is_zero(sp.simplify(sp.expand_func(prob - printed)))
    pts = sample_points({"loss": (1e-5, 1e-2, "log"), "e": (1e-4, 1e-2, "log"), "d": (1, 200, "log")}, 10, seed=131)

    def printed_num(loss, e, d):
        d = int(d)
        return 1 - mpmath.gammainc(mpmath.mpf(d) / 2, d * mpmath.mpf(e) / (2 * mpmath.mpf(loss)), regularized=True)

    agree = compare(lambda loss, e, d: numerics.accuracy(loss, e, d_out=int(d)), printed_num, pts)
    detail = (
        "with z ~ N(0, L I_d) (the d_out outputs of a fresh Gaussian x have per-component variance L = ||D||^2/d_out"
        " once the columns of D are orthogonal with equal norms, as for random D at large d_in), P(||z||^2/d < eps) ="
        " P(chi2_d < d eps/L) equals the printed Eq. 13 exactly for d = 1, 2, 3, 5, 8 (sympy.stats); for d = 1 it is"
        f" erf(sqrt(eps/(2L))) (Eq. 10). numerics.accuracy vs the printed formula: {agree.summary()}"
    )
    return Verdict(Status.PROVED if ok and agree.digits >= 25 else Status.UNKNOWN, detail)


@claim(
    id="text-dout-accuracy-to-one",
    statement=_st_acc_to_one,
    equations=(13,),
    section=SEC,
    uses=("eq13-accuracy",),
    title="'The accuracy rapidly approaches 1 as d_out increases, for any value of L and eps'",
    printed=r"\mathcal A\to1\ \text{as}\ d_{\rm out}\to\infty\ \text{for any}\ \mathcal L,\epsilon",
    variables={"L": "> 0", "eps": "> 0"},
)
def _acc_to_one():
    from sympy.stats import E, variance

    # ||z||^2/(d L) has mean 1 and variance 2/d: it concentrates at 1, so A -> 1 if L < eps and A -> 0 if L > eps
    chi = _chi2(k)
    mean_ok = is_zero(sp.simplify(E(chi) / k - 1))
    var_ok = is_zero(sp.simplify(variance(chi) / k**2 - 2 / k))
    with mp.workdps(20):
        above = [numerics.accuracy(2e-3, 1e-3, d_out=d) for d in (1, 10, 100, 1000)]
        below = [numerics.accuracy(0.5e-3, 1e-3, d_out=d) for d in (1, 10, 100, 1000)]
        at_init = [
            float(numerics.accuracy(numerics.gen_loss(0, 0.9, d_out=d), 1e-3, d_out=d)) for d in (10, 1000, 2000)
        ]
    refuted = mean_ok and var_ok and above[-1] < 1e-6 and below[-1] > 1 - 1e-6
    detail = (
        "||z||^2/(d_out L) ~ chi2/d_out has mean 1 and variance 2/d_out (SymPy), so it concentrates at 1: the accuracy"
        " tends to 1 only if L < eps, and to 0 if L > eps. Counterexample L = 2 eps = 2e-3: A = "
        + ", ".join(f"{mpmath.nstr(a, 3)}" for a in above)
        + " at d_out = 1, 10, 100, 1000 (and "
        + ", ".join(f"{mpmath.nstr(a, 3)}" for a in below)
        + " for L = eps/2). The paper's conclusion (A ~ 1 soon after initialisation at large d_out) still holds because"
        " L(0) = 1/d_out < eps once d_out > 1/eps: accuracy at t = 0, eps=1e-3, d_out = 10, 1000, 2000: "
        + ", ".join(f"{a:.3g}" for a in at_init)
    )
    return Verdict(
        Status.REFUTED if refuted else Status.UNKNOWN,
        detail,
        corrected=r"\mathcal A\to1\ \text{if}\ \mathcal L<\epsilon,\ \mathcal A\to0\ \text{if}\ \mathcal L>\epsilon"
        r"\ (d_{\rm out}\to\infty);\ \text{since}\ \mathcal L(0)=1/d_{\rm out},\ \mathcal A(0)\to1\ \text{once}\ d_{\rm out}>1/\epsilon",
    )


@functools.cache
def _delta(d_out: int, level):
    with mp.workdps(15):
        g = numerics.grokking_time(0.9, eps=1e-3, d_out=d_out, level=level)
    return float(g.delta)


def _argmax(level):
    """Integer argmax of the exact Delta t(d_out) at lam = 0.9, eps = 1e-3, by coarse scan then ternary search."""
    coarse = (1, 5, 10, 20, 30, 40, 50, 70, 100, 150)
    vals = {d: _delta(d, level) for d in coarse}
    best = max(vals, key=vals.get)
    i = coarse.index(best)
    lo, hi = coarse[max(0, i - 1)], coarse[min(len(coarse) - 1, i + 1)]
    while hi - lo > 2:
        m1, m2 = lo + (hi - lo) // 3, hi - (hi - lo) // 3
        if _delta(m1, level) < _delta(m2, level):
            lo = m1
        else:
            hi = m2
    best = max(range(lo, hi + 1), key=lambda d: _delta(d, level))
    return best, vals


@claim(
    id="text-dout-max",
    statement=_st_dout_max,
    equations=(13,),
    section=SEC,
    uses=("eq13-loss-rescaling", "eq13-accuracy"),
    title="Grokking time is non-monotonic in d_out with its maximum at d_out^max ~ 50 (lam = 0.9, eps = 1e-3, Fig. 2)",
    printed=r"d_{\rm out}^{\rm max}\simeq50",
    variables={"lambda": "0.9", "eps": "1e-3", "eta_0": "0.01"},
)
def _dout_max():
    res = {}
    for level, name in ((None, "Erf(sqrt 2)"), (0.95, "0.95")):
        best, vals = _argmax(level)
        res[name] = (best, _delta(best, level), _delta(50, level), vals)
    nonmono = all(v[3][1] < v[1] > v[3][150] for v in res.values())
    far = all(abs(v[0] - 50) / 50 > 0.2 for v in res.values())
    detail = "exact MP-limit Delta t(d_out) at lam = 0.9, eps = 1e-3, eta_0 = 0.01: " + "; ".join(
        f"level {name}: maximum at d_out = {b} (Delta t = {db:.4g}); Delta t(1) = {vals[1]:.4g}, Delta t(50) = {d50:.4g}"
        f" ({(db - d50) / db:.1%} below the maximum), Delta t(150) = {vals[150]:.4g}"
        for name, (b, db, d50, vals) in res.items()
    )
    detail += (
        ". Non-monotonic as stated; the maximum is not at ~50. (The paper's value is read from finite-size"
        " simulations; the theory it quotes puts the maximum here.)"
    )
    status = Status.REFUTED if nonmono and far else (Status.CONFIRMED if nonmono else Status.UNKNOWN)
    b = res["0.95"][0]
    return Verdict(
        status,
        detail,
        corrected=(
            rf"d_{{\rm out}}^{{\rm max}}={b}\ \text{{(exact MP limit, }}\lambda=0.9,\ \epsilon=10^{{-3}})"
            if status is Status.REFUTED
            else None
        ),
        evidence={name: v[0] for name, v in res.items()},
    )
