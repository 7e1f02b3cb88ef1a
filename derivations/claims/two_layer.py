"""Sections 4.1-4.2 and Appendix E: two-layer networks (Eqs. 17-19, 37-40).

Notation: ``S0`` (d_in x d_h), ``S1`` (d_h x d_out), ``D = S0 S1 - T``, ``Sigma = Sigma_tr``; the loss of Eqs. 17/37 for a
linear hidden layer is ``L = (1/d_out) Tr[D^T Sigma D]``.  Symbolic statements are proved with every entry symbolic at
small shapes (the identities are polynomial in the entries); numerical ones use random matrices of the paper's sizes.
"""

from __future__ import annotations

import functools

import numpy as np
import sympy as sp
from sympy.polys.rings import ring

import sim

from ..checks import fit_power, is_zero
from ..claim import Status, Verdict
from ..experiments import eq40_predictions, two_layer_runs
from ..registry import claim
from ..statements import Conj, Grad

SEC = "4.1 Two layers"
APP = "E Two layers"
SHAPES = ((2, 2, 1), (3, 2, 2), (2, 3, 2))  # (d_in, d_h, d_out)


def _sym(d_in, d_h, d_out):
    S0 = sp.Matrix(d_in, d_h, lambda i, j: sp.Symbol(f"a{i}{j}"))
    S1 = sp.Matrix(d_h, d_out, lambda i, j: sp.Symbol(f"b{i}{j}"))
    T = sp.Matrix(d_in, d_out, lambda i, j: sp.Symbol(f"t{i}{j}"))
    sig = sp.Matrix(d_in, d_in, lambda i, j: sp.Symbol(f"s{min(i, j)}{max(i, j)}"))  # symmetric
    return S0, S1, T, sig


# ------------------------------------------------------------------------------ expressions shared with statements
# Each builder works on explicit matrices (the checks, every entry symbolic) and on matrix symbols (the statements).

ETA0 = sp.Symbol("eta_0", positive=True)
D_IN = sp.Symbol(r"d_{\rm in}", positive=True, integer=True)
D_H = sp.Symbol("d_h", positive=True, integer=True)
D_OUT = sp.Symbol(r"d_{\rm out}", positive=True, integer=True)
LAM, TIME = sp.symbols("lambda t", positive=True)


class _Norm(sp.Function):
    """The Frobenius norm ``||M||`` of a matrix symbol (display only: statements are never evaluated)."""

    is_commutative = True  # a scalar, though its argument is a (non-commutative) matrix expression
    is_nonnegative = True

    def _latex(self, printer, exp=None):
        tex = rf"\left\|{printer._print(self.args[0])}\right\|"
        return tex if exp is None else f"{tex}^{{{exp}}}"


def _msym(tag: str = ""):
    """``S0, S1, T, Sigma_tr`` as matrix symbols of the general shapes (``tag`` subscripts the weights, e.g. ``t``)."""
    sub = f"_{{{tag}}}" if tag else ""
    return (
        sp.MatrixSymbol(f"S^{{(0)}}{sub}", D_IN, D_H),
        sp.MatrixSymbol(f"S^{{(1)}}{sub}", D_H, D_OUT),
        sp.MatrixSymbol("T", D_IN, D_OUT),
        sp.MatrixSymbol(r"\Sigma_{\rm tr}", D_IN, D_IN),
    )


def _tr(M):
    return M.trace() if isinstance(M, sp.MatrixBase) else sp.Trace(M)


def _t(M):
    return M.T if isinstance(M, sp.MatrixBase) else sp.Transpose(M)


def _quad(A, sig, B):
    """``A^T Sigma B`` (unevaluated transpose for matrix symbols, so ``(S0 S1 - T)^T`` is not distributed)."""
    return A.T * sig * B if isinstance(A, sp.MatrixBase) else sp.MatMul(sp.Transpose(A), sig, B)


def _loss(S0, S1, T, sig, d_out):
    D = S0 * S1 - T
    return _tr(_quad(D, sig, D)) / d_out, D


def _grad(L, M):
    if isinstance(M, sp.MatrixBase):
        return M.applyfunc(_partial(L))
    return Grad(L, M)


def _partial(L, n=1):
    """``x -> d^n L/dx^n`` for symbols ``x``.  A polynomial ``L`` (all the losses here) is differentiated exactly in the
    sparse ring ``QQ[its symbols]`` (the result is the expanded derivative); anything else by ``sp.diff``."""
    syms = sorted(L.free_symbols, key=str)
    try:
        R = ring(syms, sp.QQ)[0]
        p = R.from_expr(L)
    except (ValueError, TypeError, sp.PolynomialError):
        return lambda x: sp.diff(L, x, n)
    gens = dict(zip(syms, R.gens, strict=True))

    def d(x):
        if x not in gens:
            return sp.S.Zero
        q = p
        for _ in range(n):
            q = q.diff(gens[x])
        return q.as_expr()

    return d


def _flow38(S0, S1, D, sig, d_out, eta):
    """The right-hand sides of Eq. 38: dS0/dt and dS1/dt."""
    return -2 * eta / d_out * sig * D * _t(S1), -2 * eta / d_out * _t(S0) * sig * D


def _d_dot(S0, S1, dS0, dS1):
    """dD/dt for D = S0 S1 - T (T fixed), by the product rule."""
    return S0 * dS1 + dS0 * S1


def _d_flow_exact(S0, S1, D, sig, d_out, eta):
    """dD/dt with Eq. 38 substituted: -(2 eta/d_out)(S0 S0^T Sigma D + Sigma D S1^T S1)."""
    return -2 * eta / d_out * (S0 * _t(S0) * sig * D + sig * D * _t(S1) * S1)


def _rate39(eta, h, d_out):
    """The rate of Eq. 39, dD/dt = -(rate) Sigma D: 2 eta_0 h / d_out^2."""
    return 2 * eta * h / d_out**2


def _trace_hessian(S0, S1, sig, d_out):
    """Tr[H] of L = (1/d_out) Tr[D^T Sigma D] in (S0, S1): 2 Tr[S0^T Sigma S0] + (2/d_out) Tr[Sigma] |S1|^2."""
    return 2 * _tr(_quad(S0, sig, S0)) + 2 * _tr(sig) * _tr(_t(S1) * S1) / d_out


def _h_dot(S0, S1, dS0, dS1):
    """d/dt (|S0|^2/2 + |S1|^2/2) = Tr[S0^T dS0/dt] + Tr[S1^T dS1/dt]."""
    return _tr(_t(S0) * dS0) + _tr(_t(S1) * dS1)


def _h_dot_derived(T, D, sig, d_out, eta):
    """The corrected right-hand side: -(4 eta_0/d_out) Tr[(T + D)^T Sigma D]."""
    return -4 * eta / d_out * _tr(_quad(T + D, sig, D))


def _h_coef(n0, n1, d_in, d_out):
    """The coefficient Eq. 39 needs, h = d_out (|S0|^2/d_in + |S1|^2/d_out), from the squared norms n0, n1."""
    return d_out * (n0 / d_in + n1 / d_out)


#: generalisation losses in the statements: two-layer (simulated), one-layer d_out = 1 (Eq. 8), general d_out (Eq. 13)
L_TWO = sp.Function(r"\mathcal{L}^{2\text{-layer}}_{\rm gen}")
L_TANH = sp.Function(r"\mathcal{L}^{\tanh}_{\rm gen}")
L_ONE = sp.Function(r"\mathcal{L}^{d_{\rm out}=1}_{\rm gen}")
L_DOUT = sp.Function(r"\mathcal{L}^{d_{\rm out}}_{\rm gen}")


def _eq40_forms(d0sq):
    """Readings A, B of Eq. 40 and the corrected form (the order of ``experiments.eq40_predictions``)."""
    etap = ETA0 / (2 * D_OUT**2)
    one = L_ONE(etap, LAM, TIME)
    return d0sq * one, d0sq * L_DOUT(etap, LAM, TIME), d0sq / D_OUT * one


# ------------------------------------------------------------------------------- symbolic work shared by the checks


@functools.cache
def _sym_flow(shape):
    """``S0, S1, T, Sigma``, the loss ``L``, ``D`` and the flow ``dS0/dt, dS1/dt = -eta_0 grad L`` at one shape.

    Shared (cached) by the symbolic checks of this module; the returned matrices must not be mutated.
    """
    S0, S1, T, sig = _sym(*shape)
    L, D = _loss(S0, S1, T, sig, shape[2])
    return S0, S1, T, sig, L, D, -ETA0 * _grad(L, S0), -ETA0 * _grad(L, S1)


@functools.cache
def _poly_ring(shape):
    """``QQ[entries of S0, S1, T, Sigma, eta_0]``: the ring the symbolic identities of one shape live in."""
    gens = sorted(set().union(*(M.free_symbols for M in _sym(*shape))), key=str)
    return ring([*gens, ETA0], sp.QQ)[0]


def _all_zero(exprs, shape) -> bool:
    """Exact zero test of polynomial identities: each expression is rebuilt in ``_poly_ring(shape)``.

    A sparse polynomial over QQ is canonical, so ``== 0`` decides the identity (as ``expand`` would, without
    ``simplify``'s heuristics or cost).  An expression that is not such a polynomial goes to :func:`is_zero`.
    """
    R = _poly_ring(shape)
    for e in exprs:
        try:
            zero = R.from_expr(e) == 0
        except (ValueError, TypeError, sp.PolynomialError):
            zero = is_zero(e)
        if not zero:
            return False
    return True


# --------------------------------------------------------------------------------------------------- statements


def _st_eq38():
    S0, S1, T, sig = _msym()
    L, D = _loss(S0, S1, T, sig, D_OUT)
    r0, r1 = _flow38(S0, S1, D, sig, D_OUT, ETA0)
    return Conj(
        sp.Eq(-ETA0 * _grad(L, S0), r0, evaluate=False),
        sp.Eq(-ETA0 * _grad(L, S1), r1, evaluate=False),
    )


def _grad_syms():
    """Matrix symbols for the gradients of L_tr in S0 and S1 (their values are claim eq38-gradient-flow)."""
    return (
        sp.MatrixSymbol(r"\nabla_{S^{(0)}}\mathcal{L}_{\rm tr}", D_IN, D_H),
        sp.MatrixSymbol(r"\nabla_{S^{(1)}}\mathcal{L}_{\rm tr}", D_H, D_OUT),
    )


def _st_eq39_D():
    S0, S1, _, sig = _msym()
    D, D_dot = sp.MatrixSymbol("D", D_IN, D_OUT), sp.MatrixSymbol(r"\dot D", D_IN, D_OUT)
    g0, g1 = _grad_syms()
    flow = -ETA0 * _d_dot(S0, S1, g0, g1)  # dS/dt = -eta_0 grad_S L_tr, factored out of the product rule
    approx = -_rate39(ETA0, sp.Rational(1, 2), D_OUT) * sig * D  # Eq. 39 at h = 1/2
    return Conj(
        sp.Eq(D_dot, flow, evaluate=False),
        sp.Eq(flow, _d_flow_exact(S0, S1, D, sig, D_OUT, ETA0), evaluate=False),
        sp.Eq(sp.Limit(_Norm(D_dot - approx) / _Norm(D_dot), D_H, sp.oo), 0, evaluate=False),
    )


def _st_eq39_h():
    S0, S1, _, sig = _msym()
    n = D_H * (D_IN + D_OUT)
    trace_h = sp.Trace(sp.MatrixSymbol(r"\nabla^2_{\theta}\mathcal{L}_{\rm tr}", n, n))  # theta = (S0, S1)
    return Conj(
        sp.Eq(trace_h, _trace_hessian(S0, S1, sig, D_OUT), evaluate=False),
        sp.Gt(trace_h / 2, sp.Mul(10, _Norm(S0) ** 2 / 2 + _Norm(S1) ** 2 / 2, evaluate=False), evaluate=False),
    )


def _st_eq39_hdot():
    S0, S1, T, sig = _msym()
    D = sp.MatrixSymbol("D", D_IN, D_OUT)
    g0, g1 = _grad_syms()
    # dS/dt = -eta_0 grad_S L_tr, factored out of the traces
    return sp.Eq(-ETA0 * _h_dot(S0, S1, g0, g1), _h_dot_derived(T, D, sig, D_OUT, ETA0), evaluate=False)


def _st_h0():
    (S0, S1, _, sig), (S0t, S1t, _, _) = _msym("0"), _msym("t")
    h0 = _h_coef(_Norm(S0) ** 2, _Norm(S1) ** 2, D_IN, D_OUT)
    D, h, eta = sp.MatrixSymbol("D", D_IN, D_OUT), sp.Symbol("h"), sp.Symbol("eta", positive=True)
    return Conj(
        sp.Eq(h0, sp.Rational(1, 2), evaluate=False),
        sp.Eq(_h_coef(_Norm(S0t) ** 2, _Norm(S1t) ** 2, D_IN, D_OUT), h0, evaluate=False),
        sp.Eq(
            sp.Subs(-_rate39(ETA0, h, D_OUT) * sig * D, h, sp.Rational(1, 2)),
            sp.Subs(-2 * eta * sig * D, eta, ETA0 / (2 * D_OUT**2)),  # Eq. 4 at rate eta
            evaluate=False,
        ),
    )


def _st_eq40():
    reading_a, reading_b, corrected = _eq40_forms(_Norm(sp.MatrixSymbol("D_0", D_IN, D_OUT)) ** 2)
    sim_loss = L_TWO(TIME)
    return Conj(
        sp.Eq(sim_loss, corrected, evaluate=False),
        sp.Ne(sim_loss, reading_a, evaluate=False),
        sp.Ne(sim_loss, reading_b, evaluate=False),
    )


def _st_tanh():
    return sp.Eq(L_TANH(TIME), _eq40_forms(D_OUT * L_TANH(0))[2], evaluate=False)


def _st_any_lambda():
    late, later = L_TWO(4000) / L_TWO(0), L_TWO(8000) / L_TWO(0)
    return Conj(
        sp.Eq(later, late, evaluate=False),
        sp.Gt(later, (1 - 1 / LAM) / 2, evaluate=False),
    )


@claim(
    id="eq38-gradient-flow",
    statement=_st_eq38,
    equations=(17, 37, 38),
    section=APP,
    uses=("eq1-loss-trace", "eq3-gradient"),
    title="Gradient flow of the two-layer linear loss (Eq. 37) is Eq. 38",
    printed=r"\dot S^{(0)}_t=-\frac{2\eta_0}{d_{\rm out}}\Sigma_{\rm tr}(S^{(0)}_tS^{(1)}_t-T)(S^{(1)}_t)^T,\ \dot S^{(1)}_t=-\frac{2\eta_0}{d_{\rm out}}(S^{(0)}_t)^T\Sigma_{\rm tr}(S^{(0)}_tS^{(1)}_t-T)",
    variables={"S0": "d_in x d_h", "S1": "d_h x d_out", "Sigma": "symmetric"},
)
def _eq38():
    eta = ETA0
    ok = True
    for shape in SHAPES:
        S0, S1, _, sig, _, D, dS0, dS1 = _sym_flow(shape)  # dS = -eta_0 grad L
        r0, r1 = _flow38(S0, S1, D, sig, shape[2], eta)
        ok = ok and _all_zero(list(dS0 - r0) + list(dS1 - r1), shape)
    return Verdict(
        Status.PROVED if ok else Status.UNKNOWN,
        "-eta_0 grad of L = (1/d_out) Tr[D^T Sigma D], D = S0 S1 - T (Eq. 37 written with Sigma_tr as in Eq. 1), equals"
        f" Eq. 38 with every entry symbolic, Sigma symmetric, for (d_in, d_h, d_out) in {list(SHAPES)} (SymPy)",
    )


def _init(d_in, d_h, d_out, rng):
    """Appendix A / Sec. 4.1 initialisation: entries N(0, 1/(2 d_{l-1} d_l)) (variances)."""
    S0 = rng.normal(0, np.sqrt(1 / (2 * d_in * d_h)), (d_in, d_h))
    S1 = rng.normal(0, np.sqrt(1 / (2 * d_h * d_out)), (d_h, d_out))
    T0 = rng.normal(0, np.sqrt(1 / (2 * d_in * d_h)), (d_in, d_h))
    T1 = rng.normal(0, np.sqrt(1 / (2 * d_h * d_out)), (d_h, d_out))
    return S0, S1, T0 @ T1


@claim(
    id="eq39-D-flow",
    statement=_st_eq39_D,
    equations=(18, 39),
    section=APP,
    uses=("eq38-gradient-flow",),
    title="dD/dt = -2 eta_0 (h/d_out^2) Sigma D (with h ~ h0 ~ 1/2): an isotropic approximation of the exact flow",
    printed=r"\dot D_t=-2\eta_0\frac{h}{d_{\rm out}^2}\Sigma_{\rm tr}D",
    variables={"d_h": ">> d_out", "h": "kept at its initial value h0 ~ 1/2"},
)
def _eq39_D():
    eta = ETA0
    exact_ok = True
    for shape in SHAPES:
        S0, S1, _, sig, _, D, dS0, dS1 = _sym_flow(shape)  # dS = -eta_0 grad L
        dD = _d_dot(S0, S1, dS0, dS1)
        exact = _d_flow_exact(S0, S1, D, sig, shape[2], eta)
        exact_ok = exact_ok and _all_zero(list(dD - exact), shape)
    # size of the approximation at the paper's Fig. 5 sizes (1000-d_h-5, lam = 0.5), at initialisation
    rng = np.random.default_rng(39)
    d_in, d_out = 1000, 5
    sig = sim.train_gram(d_in, 2 * d_in, seed=39)
    rows = []
    for d_h in (50, 200, 800):
        errs = []
        for _ in range(3):
            S0, S1, T = _init(d_in, d_h, d_out, rng)
            D = S0 @ S1 - T
            exact = -(2 / d_out) * (S0 @ (S0.T @ (sig @ D)) + sig @ D @ (S1.T @ S1))
            approx = -2 * (0.5 / d_out**2) * (sig @ D)
            errs.append(np.linalg.norm(exact - approx) / np.linalg.norm(exact))
        rows.append((d_h, float(np.mean(errs))))
    shrinks = all(b[1] < a[1] for a, b in zip(rows, rows[1:], strict=False))
    ok = exact_ok and shrinks
    detail = (
        "exact (SymPy, symbolic entries, shapes above): dD/dt = S0 dS1/dt + dS0/dt S1 = -(2 eta_0/d_out)"
        " (S0 S0^T Sigma D + Sigma D S1^T S1). Eq. 39 replaces the d_out x d_out Wishart matrix S1^T S1 by"
        " (|S1|^2/d_out) I (fluctuations ~ sqrt(d_out/d_h)) and drops the S0 term (relative size ~ d_out/sqrt(d_h d_in)),"
        " giving -2 eta_0 (h/d_out^2) Sigma D with h ~ |S1|^2 ~ 1/2 at initialisation. Relative error of the printed"
        " right-hand side (h = 1/2) at t = 0, d_in = 1000, d_out = 5, lam = 0.5, mean of 3 draws: "
        + ", ".join(f"d_h={d}: {e:.1%}" for d, e in rows)
        + f" (order d_h^{fit_power(rows):.2f}; sqrt(d_out/d_h) predicts -1/2)"
    )
    return Verdict(Status.ASYMPTOTIC if ok else Status.UNKNOWN, detail, evidence={"errors": dict(rows)})


@claim(
    id="eq39-h-hessian",
    statement=_st_eq39_h,
    equations=(18, 39),
    section=APP,
    uses=("eq38-gradient-flow",),
    title="h = Tr[H]/2 = |S0|^2/2 + |S1|^2/2",
    printed=r"h=\mathrm{Tr}[H]/2=\|S^{(0)}\|^2/2+\|S^{(1)}\|^2/2",
    variables={"H": "Hessian of L_tr in theta = (S0, S1)"},
)
def _eq39_h():
    ok = True
    for shape in SHAPES:
        S0, S1, _, sig, L, _, _, _ = _sym_flow(shape)
        params = list(S0) + list(S1)
        second = _partial(L, 2)
        trace_h = sum(second(p) for p in params)
        formula = _trace_hessian(S0, S1, sig, shape[2])
        ok = ok and _all_zero([trace_h - formula], shape)
    rng = np.random.default_rng(139)
    d_in, d_h, d_out = 1000, 200, 5
    sig = sim.train_gram(d_in, 2 * d_in, seed=139)
    S0, S1, _ = _init(d_in, d_h, d_out, rng)
    half_trace = float(np.trace(S0.T @ sig @ S0) + np.trace(sig) * np.sum(S1**2) / d_out)
    printed = float(np.sum(S0**2) / 2 + np.sum(S1**2) / 2)
    refuted = ok and half_trace > 10 * printed
    return Verdict(
        Status.REFUTED if refuted else Status.UNKNOWN,
        "Tr[H] = 2 Tr[S0^T Sigma S0] + (2/d_out) Tr[Sigma] |S1|^2 exactly (SymPy, symbolic entries, shapes above:"
        " the S1-block gives 2 Tr[S0^T Sigma S0], the S0-block (2/d_out) Tr[Sigma] |S1|^2; no D-dependent term since L"
        " is quadratic in each block). At initialisation (d_in=1000, d_h=200, d_out=5, lam=0.5): Tr[H]/2 ="
        f" {half_trace:.2f}, |S0|^2/2 + |S1|^2/2 = {printed:.3f}. The coefficient that Eq. 39 needs is"
        " h = d_out (|S0|^2/d_in + |S1|^2/d_out) ~ (d_out/d_in) Tr[H]/2 for Sigma ~ I, which is ~1/2 at init (as is"
        " the printed |S0|^2/2 + |S1|^2/2, by coincidence of the init scales)",
        corrected=r"\mathrm{Tr}[H]/2=\mathrm{Tr}[S^{(0)T}\Sigma S^{(0)}]+\frac{\mathrm{Tr}\,\Sigma}{d_{\rm out}}\|S^{(1)}\|^2;"
        r"\ \text{Eq. (39) needs}\ h\simeq d_{\rm out}\left(\frac{\|S^{(0)}\|^2}{d_{\rm in}}+\frac{\|S^{(1)}\|^2}{d_{\rm out}}\right)",
    )


@claim(
    id="eq39-h-dot",
    statement=_st_eq39_hdot,
    equations=(18, 39),
    section=APP,
    uses=("eq38-gradient-flow",),
    title="dh/dt = -8 eta_0 (T + D)^T Sigma D for h = |S0|^2/2 + |S1|^2/2",
    printed=r"\dot h_t=-8\eta_0(T+D)^T\Sigma_{\rm tr}D",
    variables={"h": "|S0|^2/2 + |S1|^2/2"},
)
def _eq39_hdot():
    eta = ETA0
    ok, ratios = True, []
    for shape in SHAPES:
        S0, S1, T, sig, _, D, dS0, dS1 = _sym_flow(shape)  # dS = -eta_0 grad L
        h_dot = _h_dot(S0, S1, dS0, dS1)  # d/dt of |S0|^2/2 + |S1|^2/2
        derived = _h_dot_derived(T, D, sig, shape[2], eta)
        ok = ok and _all_zero([h_dot - derived], shape)
        if shape[2] == 1:  # the printed form is a scalar only for d_out = 1: compare it there
            printed = -8 * eta * ((T + D).T * sig * D)[0, 0]
            ratios.append(sp.cancel(printed / derived))  # a ratio of polynomials: cancel is its canonical form
    refuted = ok and all(rt == 2 for rt in ratios)
    return Verdict(
        Status.REFUTED if refuted else Status.UNKNOWN,
        "with Eq. 38, d/dt(|S0|^2/2 + |S1|^2/2) = Tr[S0^T dS0/dt] + Tr[S1^T dS1/dt] = -(4 eta_0/d_out) Tr[(T+D)^T"
        f" Sigma D] exactly, using S0 S1 = T + D (SymPy, symbolic entries, shapes above); at d_out = 1 the printed"
        f" right-hand side is {ratios} times this; for d_out > 1 the printed (T+D)^T Sigma D is a d_out x d_out matrix,"
        " not a scalar",
        corrected=r"\dot h_t=-\frac{4\eta_0}{d_{\rm out}}\mathrm{Tr}\left[(T+D)^T\Sigma_{\rm tr}D\right]",
    )


@claim(
    id="text-h0-half",
    statement=_st_h0,
    equations=(18, 19, 39, 40),
    section=SEC,
    uses=("eq39-D-flow",),
    title="h0 ~ 1/2 for d_h >> d_out, so the two-layer flow is the one-layer flow with eta_0 -> eta_0/(2 d_out^2)",
    printed=r"h_0\simeq1/2,\quad\eta_0\to\eta_0/(2d_{\rm out}^2)",
    variables={"d_h": ">> d_out"},
)
def _h0():
    rng = np.random.default_rng(1390)
    rows = []
    for d_in, d_h, d_out in ((1000, 50, 5), (1000, 200, 5), (1000, 800, 5)):
        vals = []
        for _ in range(5):
            S0, S1, _ = _init(d_in, d_h, d_out, rng)
            vals.append(_h_coef(np.sum(S0**2), np.sum(S1**2), d_in, d_out))
        rows.append((d_h, float(np.mean(vals)), float(np.std(vals))))
    # constant-h limit: track h during GD (Eq. 38, Gram form) on 300-150-5, lam = 0.5, eta_0 = 0.01
    d_in, d_h, d_out, eta_ = 300, 150, 5, 0.01
    sig = sim.train_gram(d_in, 2 * d_in, seed=1391)
    S0, S1, T = _init(d_in, d_h, d_out, rng)
    # GD is equivariant under S0 -> V^T S0, T -> V^T T for Sigma = V diag(nu) V^T, and |S0|, |S0 S1 - T| are invariant:
    # iterate in the eigenbasis, where Sigma D is the row scaling nu * D (same iterates up to round-off)
    nu, V = np.linalg.eigh(sig)
    nu = nu[:, None]
    S0, T = V.T @ S0, V.T @ T

    def h_of():
        return _h_coef(np.sum(S0**2), np.sum(S1**2), d_in, d_out)

    h_start, loss_start = h_of(), np.sum((S0 @ S1 - T) ** 2)
    step0 = np.empty_like(S0)
    for _ in range(5000):
        G = (eta_ * (2 / d_out)) * (nu * (S0 @ S1 - T))  # eta_0 times the gradient in W = S0 S1
        S1_next = S1 - S0.T @ G
        S0 -= np.matmul(G, S1.T, out=step0)
        S1 = S1_next
    drift = abs(h_of() / h_start - 1)
    decay = np.sum((S0 @ S1 - T) ** 2) / loss_start
    ok = all(abs(m - 0.5) < 0.05 for _, m, _ in rows) and drift < 0.05 and decay < 0.5
    # -2 eta (h0/d_out^2) Sigma D with h0 = 1/2 is -2 (eta/(2 d_out^2)) Sigma D: the one-layer d_out = 1 flow (Eq. 4)
    eta, d = sp.symbols("eta_0 d_out", positive=True)
    rate_ok = is_zero(_rate39(eta, sp.Rational(1, 2), d) - 2 * (eta / (2 * d**2)))
    return Verdict(
        Status.CONFIRMED if ok and rate_ok else Status.UNKNOWN,
        "the coefficient of Eq. 39, h = d_out(|S0|^2/d_in + |S1|^2/d_out), at initialisation (5 draws, d_in=1000,"
        " d_out=5): "
        + ", ".join(f"d_h={d}: {m:.4f} +- {s:.4f}" for d, m, s in rows)
        + "; with h = 1/2, -2 eta_0 (h/d_out^2) Sigma D = -2 (eta_0/(2 d_out^2)) Sigma D, i.e. Eq. 4 at rate"
        f" eta_0/(2 d_out^2) (SymPy). Constant-h limit: over 5000 GD steps (300-150-5, lam = 0.5), while |D|^2 fell"
        f" to {decay:.0%} of its initial value, h changed by {drift:.2%}",
    )


@claim(
    id="eq40-two-layer-losses",
    cost=2,
    statement=_st_eq40,
    equations=(19, 40),
    section=SEC,
    uses=("text-h0-half", "eq13-loss-rescaling"),
    title="Two-layer losses: L^{2-layer} = |D0|^2 L^{1-layer}(eta_0/(2 d_out^2), lam, t)",
    printed=r"\mathcal L^{2\text{-layer}}_{\rm tr/gen}=\|D_0\|^2\mathcal L^{1\text{-layer}}_{\rm tr/gen}\left(\frac{\eta_0}{2d_{\rm out}^2},\lambda,t\right)",
    reading=(
        "L^{1-layer}(eta, lam, t) is read (A) as the d_out = 1 function of Eq. 8 and (B) as the d_out function of Eq. 13;"
        " both readings are tested against simulation."
    ),
    variables={"d_h": ">> d_out", "activation": "linear"},
)
def _eq40():
    d_out, lam = 5, 0.5
    per_width = {}
    for d_h in (50, 150):  # Fig. 5 uses two widths (50, 200 at d_in = 1000)
        errs = {"A": 0.0, "B": 0.0, "corrected": 0.0}
        for r in two_layer_runs("linear", lam=lam, d_h=d_h, d_out=d_out):
            d0sq = float(r.gen_loss_exact[0]) * d_out  # L_gen = |D|^2 / d_out (Eq. 2)
            for i, t in enumerate(r.t):
                preds = eq40_predictions(d0sq, int(t), lam, d_out)
                sim_v = float(r.gen_loss_exact[i])
                for k, v in zip(errs, preds, strict=True):
                    errs[k] = max(errs[k], abs(v / sim_v - 1))
        per_width[d_h] = errs
    widest = per_width[max(per_width)]
    refuted = all(e["A"] > 1 and e["B"] > 1 and e["corrected"] < 0.5 * min(e["A"], e["B"]) for e in per_width.values())
    refuted = refuted and widest["corrected"] < 0.1
    detail = (
        f"two-layer linear GD (sim loop engine), 300-d_h-5, lam = {lam}, eta_0 = 0.01, 5000 steps, 2 seeds; |D0|^2"
        " from each run. Max relative error of the generalisation loss over t in {0, 500, 1000, 2500, 5000}: "
        + "; ".join(
            f"d_h={d}: reading A (Eq. 8 at eta_0/(2 d_out^2)) {e['A']:.0%}, reading B (Eq. 13 at eta_0/(2 d_out^2))"
            f" {e['B']:.0%}, corrected {e['corrected']:.1%}"
            for d, e in per_width.items()
        )
        + ". Reading A is a factor d_out too large from t = 0 (L_gen(0) = |D0|^2/d_out); reading B decays at the"
        " rate eta_0/(2 d_out^3). The corrected (|D0|^2/d_out) L^(d_out=1)(eta_0/(2 d_out^2)) follows from Eq. 39"
        " with h = 1/2; its error shrinks with d_h like that of Eq. 39 (claim eq39-D-flow)"
    )
    return Verdict(
        Status.REFUTED if refuted else Status.UNKNOWN,
        detail,
        corrected=r"\mathcal L^{2\text{-layer}}_{\rm tr/gen}=\frac{\|D_0\|^2}{d_{\rm out}}\mathcal L^{d_{\rm out}=1}_{\rm tr/gen}"
        r"\left(\frac{\eta_0}{2d_{\rm out}^2},\lambda,t\right)=\|D_0\|^2\mathcal L^{d_{\rm out}}_{\rm tr/gen}\left(\frac{\eta_0}{2d_{\rm out}},\lambda,t\right)",
        evidence={str(k): v for k, v in per_width.items()},
    )


@claim(
    id="text-tanh",
    cost=5,
    statement=_st_tanh,
    equations=(19,),
    section="4.2 Non-linear activations",
    uses=("eq40-two-layer-losses",),
    title="A tanh two-layer MLP is well approximated by Eqs. 18-19",
    printed=r"\text{tanh MLP (1000-200-5) well approximated by Eqs. (18), (19)}",
    variables={"activation": "tanh", "d_h": "large"},
)
def _tanh():
    d_out, lam, steps = 5, 0.5, 1000
    rec = [0, 250, 500, 1000]
    worst = {}
    for act in ("linear", "tanh"):
        runs = two_layer_runs(act, lam=lam, d_out=d_out, steps=steps, seeds=(3,), record=rec)
        e = 0.0
        for r in runs:
            d0sq = float(r.gen_loss[0]) * d_out  # tanh: no end-to-end D; use the held-out loss at t = 0
            for i, t in enumerate(r.t):
                _, _, c = eq40_predictions(d0sq, int(t), lam, d_out)
                e = max(e, abs(c / float(r.gen_loss[i]) - 1))
        worst[act] = e
    ok = worst["tanh"] < 0.15
    return Verdict(
        Status.CONFIRMED if ok else Status.UNKNOWN,
        "held-out generalisation loss of 300-150-5 MLPs (lam = 0.5, eta_0 = 0.01, 1000 steps, n_gen = 2000) against"
        f" the corrected Eq. 19/40: max relative error {worst['tanh']:.1%} (tanh) vs {worst['linear']:.1%} (linear)"
        " over t in {0, 250, 500, 1000}. With the Appendix A initialisation the pre-activations have variance"
        " ~ 1/(2 d_h), so tanh acts almost linearly; confirmed at this scale only (the paper's 1000-200-5 run is"
        " longer than CI affords)",
        evidence=worst,
    )


@claim(
    id="text-two-layer-any-lambda",
    statement=_st_any_lambda,
    equations=(19,),
    section=SEC,
    uses=("eq40-two-layer-losses", "text-loss-limits"),
    title="'All results derived for lam < 1 hold [for two layers], regardless of d_out and for any lam'",
    printed=r"\text{results for }\lambda<1\text{ hold for any }\lambda\ (d_h\gg1)",
    variables={"lambda": "> 1"},
)
def _any_lambda():
    lam, d_in, d_h = 1.5, 300, 100
    ratios = []
    for s in (4, 5):
        r = sim.train(
            d_in=d_in,
            n_train=int(d_in / lam),
            d_out=1,
            hidden=d_h,
            steps=8000,
            record=[0, 4000, 8000],
            seed=s,
            n_gen=1000,
        )
        ratios.append(
            (float(r.gen_loss_exact[1] / r.gen_loss_exact[0]), float(r.gen_loss_exact[2] / r.gen_loss_exact[0]))
        )
    plateau = 1 - 1 / lam
    refuted = all(b > 0.5 * plateau and abs(b / a - 1) < 0.05 for a, b in ratios)
    return Verdict(
        Status.REFUTED if refuted else Status.UNKNOWN,
        f"two-layer linear GD (300-100-1, lam = {lam}, eta_0 = 0.01): L_gen(t)/L_gen(0) at t = 4000, 8000 = "
        + "; ".join(f"{a:.3f}, {b:.3f}" for a, b in ratios)
        + f" (seeds 4, 5): it plateaus near the one-layer value 1 - 1/lam = {plateau:.3f} instead of vanishing. The"
        " null space of Sigma_tr still blocks generalisation, so the lam < 1 results do not extend to lam > 1",
        corrected=r"\text{for }\lambda>1\text{ the generalisation loss still plateaus (near }(1-1/\lambda)\mathcal L_{\rm gen}(0))",
    )
