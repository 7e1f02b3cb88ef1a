"""``grokking-audit predict``: the model's predictions for a user's parameters, from the shell.

Grokking times (Section 3.1.3), losses (Eqs. 8, 9, 13, 15) and accuracies (Eqs. 10, 13) at requested times, and the
``t -> inf`` plateaus; optionally certified (Arb balls, :mod:`numerics.certify`) where that is implemented.  With
``--d-in`` also the finite-size band over runs (:mod:`numerics.finite_size`): quantiles of the grokking times, the
fraction of runs that never grok (or not by ``--t-max``), and the loss and accuracy bands at ``--t``.

Beyond the paper's isotropic inputs: ``--spectrum powerlaw:ALPHA[:N]`` (population spectrum ``k^-ALPHA``,
``k = 1..N``, mean 1, :func:`numerics.spectra.power_law`; ``N = 1000`` by default) or ``--dataset digits`` (the
covariance spectrum of scikit-learn's standardised digits, :func:`numerics.datasets.digits_spectrum`) make every
number the structured theory's, ``spectrum=`` of :func:`numerics.grokking_time`, :func:`numerics.train_loss`,
:func:`numerics.gen_loss` and :func:`numerics.loss_limit` (:mod:`numerics.structured`).  Combinations the
structured theory does not cover are usage errors (exit code 2), not tracebacks: whatever ``numerics`` refuses with
``NotImplementedError`` (so far ``--dynamics momentum``), and ``--certify`` and the finite-size band ``--d-in``,
which exist for isotropic inputs only.  The finite-size band's spectrum method is ``--fs-spectrum`` (it was
``--spectrum`` before the structured inputs took that name).

Optimizers beyond the paper: ``--dynamics momentum --momentum BETA [--nesterov]`` is PyTorch's ``torch.optim.SGD``
with momentum, exact in the MP limit (:mod:`numerics.momentum`).
"""

from __future__ import annotations

import argparse
import json

import mpmath
import numpy as np
from mpmath import mp

import numerics


def add_parser(sub) -> argparse.ArgumentParser:
    """Register the ``predict`` subcommand on an ``argparse`` subparsers object."""
    p = sub.add_parser(
        "predict",
        help="losses, accuracies and grokking time for given lam, eta, eps, d_out, gamma",
        description="Exact Marchenko-Pastur-limit predictions of the paper's model for your parameters.",
    )
    p.add_argument("--lam", type=float, required=True, help="d_in / N_tr (> 0)")
    p.add_argument("--eta", type=float, default=0.01, help="GD step size eta_0 (default 0.01)")
    p.add_argument("--eps", type=float, default=1e-3, help="accuracy threshold epsilon (default 1e-3)")
    p.add_argument("--d-out", type=int, default=1, help="output dimension (default 1)")
    p.add_argument("--gamma", type=float, default=0.0, help="weight decay (default 0)")
    p.add_argument("--level", type=float, default=None, help="accuracy level (default Erf(sqrt 2) = 0.9545)")
    p.add_argument(
        "--dynamics",
        choices=numerics.DYNAMICS,
        default="flow",
        help="flow (gradient flow, the paper), gd (exact GD) or momentum (heavy ball, --momentum; default flow)",
    )
    p.add_argument(
        "--momentum", type=float, default=None, help="momentum beta in [0, 1) for --dynamics momentum (PyTorch SGD)"
    )
    p.add_argument("--nesterov", action="store_true", help="Nesterov momentum (with --dynamics momentum)")
    p.add_argument("--t", type=float, nargs="*", default=[], help="GD steps at which to print losses/accuracies")
    p.add_argument("--dps", type=int, default=15, help="decimal digits (default 15)")
    p.add_argument("--certify", action="store_true", help="also print rigorous Arb enclosures (python-flint)")
    p.add_argument("--d-in", type=int, default=None, help="finite size: input dimension (N_tr = round(d_in / lam))")
    p.add_argument("--draws", type=int, default=1000, help="finite size: number of runs drawn (default 1000)")
    p.add_argument("--seed", type=int, default=0, help="finite size: seed of the runs (default 0)")
    p.add_argument("--t-max", type=float, default=None, help="finite size: report the runs not grokked by this step")
    p.add_argument(
        "--fs-spectrum",
        choices=("auto", "exact", "hybrid"),
        default="auto",
        help="finite size: method for the spectrum of Sigma_tr (default auto)",
    )
    inputs = p.add_mutually_exclusive_group()
    inputs.add_argument(
        "--spectrum",
        type=parse_spectrum,
        default=None,
        metavar="powerlaw:ALPHA[:N]",
        help="structured inputs x ~ N(0, Sigma): population spectrum k^-ALPHA, k = 1..N (default N = 1000), mean 1",
    )
    inputs.add_argument(
        "--dataset",
        choices=DATASETS,
        default=None,
        help="structured inputs with the covariance spectrum of a real dataset (digits: scikit-learn, d = 61)",
    )
    p.add_argument("--json", action="store_true", help="print JSON instead of text")
    return p


#: ``--dataset`` choices
DATASETS = ("digits",)
#: default number of eigenvalues of ``--spectrum powerlaw:ALPHA``
POWERLAW_N = 1000


def parse_spectrum(text: str) -> dict:
    """``powerlaw:ALPHA[:N]`` -> ``{"kind": "powerlaw", "alpha": ALPHA, "n": N}`` (``N`` defaults to
    :data:`POWERLAW_N`); ``argparse.ArgumentTypeError`` (a usage error, exit code 2) for anything else."""
    parts = text.split(":")
    if parts[0] in ("auto", "exact", "hybrid") and len(parts) == 1:
        raise argparse.ArgumentTypeError(
            f"{text!r} is a finite-size spectrum method, now --fs-spectrum; --spectrum takes powerlaw:ALPHA[:N]"
        )
    if parts[0] != "powerlaw" or len(parts) not in (2, 3):
        raise argparse.ArgumentTypeError(
            f"expected powerlaw:ALPHA[:N] (e.g. powerlaw:1 or powerlaw:0.5:2000), got {text!r}"
        )
    try:
        alpha = float(parts[1])
    except ValueError:
        raise argparse.ArgumentTypeError(f"ALPHA must be a real number, got {parts[1]!r} in {text!r}") from None
    if not np.isfinite(alpha):
        raise argparse.ArgumentTypeError(f"ALPHA must be finite, got {parts[1]!r} in {text!r}")
    n = POWERLAW_N
    if len(parts) == 3:
        try:
            n = int(parts[2])
        except ValueError:
            raise argparse.ArgumentTypeError(f"N must be an integer >= 1, got {parts[2]!r} in {text!r}") from None
        if n < 1:
            raise argparse.ArgumentTypeError(f"N must be an integer >= 1, got {parts[2]!r} in {text!r}")
    return {"kind": "powerlaw", "alpha": alpha, "n": n}


def resolve_spectrum(args):
    """``(eigenvalues, description)`` of the population spectrum asked for by ``--spectrum``/``--dataset``, or
    ``(None, None)`` for the paper's isotropic inputs.  ``ValueError`` for a spectrum that is not usable (e.g. a power
    law whose smallest eigenvalue underflows) or a dataset whose package is missing."""
    spec, dataset = getattr(args, "spectrum", None), getattr(args, "dataset", None)
    if spec is None and dataset is None:
        return None, None
    if dataset is not None:
        if dataset not in DATASETS:
            raise ValueError(f"dataset must be one of {DATASETS}, got {dataset!r}")
        try:
            sig = np.array(numerics.datasets.digits_spectrum())
        except ImportError as exc:
            raise ValueError(f"--dataset digits: {exc}") from None
        desc = {"kind": "dataset", "name": dataset}
    else:
        try:
            sig = numerics.spectra.validate_spectrum(numerics.spectra.power_law(spec["alpha"], spec["n"]))
        except ValueError as exc:
            raise ValueError(f"--spectrum powerlaw:{spec['alpha']:g}:{spec['n']}: {exc}") from None
        desc = dict(spec)
    desc |= {"d": int(sig.size), "mean": float(sig.mean()), "min": float(sig.min()), "max": float(sig.max())}
    return sig, desc


def _s(x, dps):
    return None if x is None else mpmath.nstr(x, dps)


def predict(args) -> dict:
    """The predictions as a dict of strings (numbers printed to ``args.dps`` digits)."""
    if args.dps < 5 or args.dps > 1000:
        raise ValueError(f"dps must lie in [5, 1000], got {args.dps}")
    spectrum, inputs = resolve_spectrum(args)
    if args.dynamics == "momentum" and args.d_in is not None:
        raise ValueError("the finite-size band (--d-in) covers flow and gd only: drop it with --dynamics momentum")
    if spectrum is not None:
        if args.certify:
            raise ValueError("--certify covers isotropic inputs only: drop it with --spectrum/--dataset")
        if args.d_in is not None:
            raise ValueError(
                "the finite-size band (--d-in) covers isotropic inputs only: drop it with --spectrum/--dataset"
            )
    try:
        out = _predict(args, spectrum)
    except NotImplementedError as exc:  # a combination the structured theory does not cover (yet)
        raise ValueError(f"--spectrum/--dataset: {exc}") from None
    if inputs is not None:
        out["inputs"] = inputs
    if args.certify:
        out["certified"] = _certified(args)
    if args.d_in is not None:
        out["finite_size"] = _finite_size(args)
    elif args.t_max is not None:
        raise ValueError("--t-max needs --d-in (it counts the runs of the finite-size band)")
    return out


def _predict(args, spectrum) -> dict:
    kw = {"eta": args.eta, "d_out": args.d_out, "gamma": args.gamma, "dynamics": args.dynamics, **_optimizer(args)}
    if spectrum is not None:
        kw["spectrum"] = spectrum
    with mp.workdps(args.dps):
        g = numerics.grokking_time(args.lam, eps=args.eps, level=args.level, **kw)
        lim_tr, lim_gen = _limits(args, spectrum)
        out = {
            "parameters": {
                "lam": args.lam,
                "eta": args.eta,
                "eps": args.eps,
                "d_out": args.d_out,
                "gamma": args.gamma,
                "dynamics": args.dynamics,
                **_optimizer(args),
                "level": _s(g.level, args.dps),
            },
            "t_train": _s(g.t_train, args.dps),
            "t_gen": _s(g.t_gen, args.dps),
            "delta_t": _s(g.delta, args.dps),
            "loss_threshold": _s(g.loss_threshold, args.dps),
            "train_loss_limit": _s(lim_tr, args.dps),
            "gen_loss_limit": _s(lim_gen, args.dps),
            "at": [],
        }
        for t in args.t:
            tr, ge = numerics.train_loss(t, args.lam, **kw), numerics.gen_loss(t, args.lam, **kw)
            out["at"].append(
                {
                    "t": t,
                    "train_loss": _s(tr, args.dps),
                    "gen_loss": _s(ge, args.dps),
                    "train_acc": _s(numerics.accuracy(tr, args.eps, d_out=args.d_out), args.dps),
                    "gen_acc": _s(numerics.accuracy(ge, args.eps, d_out=args.d_out), args.dps),
                }
            )
    return out


def _limits(args, spectrum):
    """``t -> inf`` limits of the train and gen losses (:func:`numerics.loss_limit`, ``spectrum=`` included)."""
    return tuple(numerics.loss_limit(args.lam, which=w, spectrum=spectrum, **_lim(args)) for w in ("train", "gen"))


def _finite_size(args) -> dict:
    """Quantiles over ``args.draws`` runs at ``d_in = args.d_in``.

    From :func:`numerics.finite_size.grokking_time_distribution` and :func:`numerics.finite_size.loss_bands`.
    """
    import sys

    from numerics.finite_size import grokking_time_distribution, loss_bands

    kw = {
        "d_in": args.d_in,
        "eta": args.eta,
        "eps": args.eps,
        "d_out": args.d_out,
        "gamma": args.gamma,
        "dynamics": args.dynamics,
        "draws": args.draws,
        "seed": args.seed,
        "spectrum": args.fs_spectrum,
    }
    progress = not args.json and sys.stderr.isatty()
    g = grokking_time_distribution(args.lam, level=args.level, progress=progress, **kw)
    qs = (0.1, 0.5, 0.9)
    quant = g.quantiles(qs)

    def num(x):
        return None if not np.isfinite(x) else float(f"{x:.6g}")

    out = {
        "d_in": args.d_in,
        "n_train": g.params["n_train"],
        "draws": args.draws,
        "seed": args.seed,
        "spectrum": g.params["spectrum"],
        "quantiles": list(qs),
        **{name: [num(v) for v in quant[name]] for name in ("t_train", "t_gen", "delta")},
        "fraction_never": g.fraction_never,
    }
    if args.t_max is not None:
        out["t_max"] = args.t_max
        out["fraction_not_grokked_by_t_max"] = g.fraction_not_grokked_by(args.t_max)
    if args.t:
        b = loss_bands(args.t, args.lam, q=qs, progress=progress, **kw)
        out["at"] = [
            {"t": t, **{name: [num(v) for v in getattr(b, name)[:, j]] for name in _BAND_FIELDS}}
            for j, t in enumerate(args.t)
        ]
    return out


_BAND_FIELDS = ("train_loss", "gen_loss", "train_acc", "gen_acc")


def _lim(args):
    return {"d_out": args.d_out, "gamma": args.gamma, "eta": args.eta, "dynamics": args.dynamics, **_optimizer(args)}


def _optimizer(args) -> dict:
    """``momentum=``/``nesterov=`` keywords when given (``numerics`` refuses them with a dynamics other than
    ``"momentum"``, and requires ``momentum`` with it)."""
    out = {}
    if getattr(args, "momentum", None) is not None:
        out["momentum"] = args.momentum
    if getattr(args, "nesterov", False):
        out["nesterov"] = True
    return out


def _certified(args) -> dict:
    if args.d_out != 1 or args.gamma != 0 or args.dynamics != "flow" or args.level is not None:
        raise ValueError("--certify is implemented for d_out = 1, gamma = 0, gradient flow and the default level")
    from numerics import certify

    t_tr, t_gen = certify.grokking_time_ball(args.lam, eta=args.eta, eps=args.eps)
    cert = {"t_train": None if t_tr is None else t_tr.str(12), "t_gen": None if t_gen is None else t_gen.str(12)}
    cert["at"] = [
        {
            "t": t,
            "train_loss": certify.train_loss_ball(t, args.lam, eta=args.eta).str(args.dps),
            "gen_loss": certify.gen_loss_ball(t, args.lam, eta=args.eta).str(args.dps),
        }
        for t in args.t
    ]
    return cert


def render(out: dict) -> str:
    """Human-readable text of :func:`predict`'s dict."""
    p = out["parameters"]
    lines = ["parameters: " + ", ".join(f"{k}={v}" for k, v in p.items())]
    if "inputs" in out:
        lines.append(_render_inputs(out["inputs"]))
    lines += [
        f"accuracy level reached at loss {out['loss_threshold']}",
        f"t_train* = {out['t_train'] or 'never'}",
        f"t_gen*   = {out['t_gen'] or 'never'}",
        f"Delta t  = {out['delta_t'] or 'undefined (a crossing never happens)'}",
        f"t -> inf: L_tr -> {out['train_loss_limit'] or 'not available'},"
        f" L_gen -> {out['gen_loss_limit'] or 'not available'}",
    ]
    for row in out["at"]:
        lines.append(
            f"t = {row['t']:g}: L_tr = {row['train_loss']}, L_gen = {row['gen_loss']},"
            f" A_tr = {row['train_acc']}, A_gen = {row['gen_acc']}"
        )
    if "finite_size" in out:
        lines += _render_finite(out["finite_size"])
    if "certified" in out:
        c = out["certified"]
        lines.append(f"certified (Arb): t_train* in {c['t_train']}, t_gen* in {c['t_gen']}")
        for row in c["at"]:
            lines.append(f"certified t = {row['t']:g}: L_tr in {row['train_loss']}, L_gen in {row['gen_loss']}")
    return "\n".join(lines)


def _render_inputs(i: dict) -> str:
    what = f"power law k^-{i['alpha']:g}, k = 1..{i['n']}" if i["kind"] == "powerlaw" else f"the {i['name']} dataset"
    return (
        f"inputs: x ~ N(0, Sigma), spectrum of Sigma: {what} (d = {i['d']}, mean {i['mean']:.6g}, eigenvalues in"
        f" [{i['min']:.4g}, {i['max']:.4g}]); structured theory (proportional limit), beyond the paper"
    )


def _render_finite(f: dict) -> list[str]:
    def s(x):
        return "never" if x is None else f"{x:.6g}"

    q = " / ".join(f"{int(round(100 * v))} %" for v in f["quantiles"])
    lines = [
        f"finite size: d_in = {f['d_in']}, N_tr = {f['n_train']}, {f['draws']} runs (seed {f['seed']},"
        f" {f['spectrum']} spectrum); quantiles {q} over runs:",
    ]
    for name, label in (("t_train", "t_train*"), ("t_gen", "t_gen*  "), ("delta", "Delta t ")):
        lines.append(f"  {label} = " + " / ".join(s(v) for v in f[name]))
    lines.append(f"  runs that never grok: {f['fraction_never']:.1%}")
    if "t_max" in f:
        lines.append(f"  runs not grokked by t = {f['t_max']:g}: {f['fraction_not_grokked_by_t_max']:.1%}")
    for row in f.get("at", []):
        lines.append(
            f"  t = {row['t']:g}: " + ", ".join(f"{k} " + " / ".join(s(v) for v in row[k]) for k in _BAND_FIELDS)
        )
    return lines


def main(args) -> int:
    out = predict(args)
    print(json.dumps(out, indent=2) if args.json else render(out))
    return 0
