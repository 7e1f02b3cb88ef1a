"""``grokking-audit predict``: the model's predictions for a user's parameters, from the shell.

Grokking times (Section 3.1.3), losses (Eqs. 8, 9, 13, 15) and accuracies (Eqs. 10, 13) at requested times, and the
``t -> inf`` plateaus; optionally certified (Arb balls, :mod:`numerics.certify`) where that is implemented.
"""

from __future__ import annotations

import argparse
import json

import mpmath
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
    p.add_argument("--dynamics", choices=numerics.DYNAMICS, default="flow", help="gradient flow or exact GD")
    p.add_argument("--t", type=float, nargs="*", default=[], help="GD steps at which to print losses/accuracies")
    p.add_argument("--dps", type=int, default=15, help="decimal digits (default 15)")
    p.add_argument("--certify", action="store_true", help="also print rigorous Arb enclosures (python-flint)")
    p.add_argument("--json", action="store_true", help="print JSON instead of text")
    return p


def _s(x, dps):
    return None if x is None else mpmath.nstr(x, dps)


def predict(args) -> dict:
    """The predictions as a dict of strings (numbers printed to ``args.dps`` digits)."""
    if args.dps < 5 or args.dps > 1000:
        raise ValueError(f"dps must lie in [5, 1000], got {args.dps}")
    kw = {"eta": args.eta, "d_out": args.d_out, "gamma": args.gamma, "dynamics": args.dynamics}
    with mp.workdps(args.dps):
        g = numerics.grokking_time(args.lam, eps=args.eps, level=args.level, **kw)
        out = {
            "parameters": {
                "lam": args.lam,
                "eta": args.eta,
                "eps": args.eps,
                "d_out": args.d_out,
                "gamma": args.gamma,
                "dynamics": args.dynamics,
                "level": _s(g.level, args.dps),
            },
            "t_train": _s(g.t_train, args.dps),
            "t_gen": _s(g.t_gen, args.dps),
            "delta_t": _s(g.delta, args.dps),
            "loss_threshold": _s(g.loss_threshold, args.dps),
            "train_loss_limit": _s(numerics.loss_limit(args.lam, which="train", **_lim(args)), args.dps),
            "gen_loss_limit": _s(numerics.loss_limit(args.lam, which="gen", **_lim(args)), args.dps),
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
    if args.certify:
        out["certified"] = _certified(args)
    return out


def _lim(args):
    return {"d_out": args.d_out, "gamma": args.gamma, "eta": args.eta}


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
    lines = [
        "parameters: " + ", ".join(f"{k}={v}" for k, v in p.items()),
        f"accuracy level reached at loss {out['loss_threshold']}",
        f"t_train* = {out['t_train'] or 'never'}",
        f"t_gen*   = {out['t_gen'] or 'never'}",
        f"Delta t  = {out['delta_t'] or 'undefined (a crossing never happens)'}",
        f"t -> inf: L_tr -> {out['train_loss_limit']}, L_gen -> {out['gen_loss_limit']}",
    ]
    for row in out["at"]:
        lines.append(
            f"t = {row['t']:g}: L_tr = {row['train_loss']}, L_gen = {row['gen_loss']},"
            f" A_tr = {row['train_acc']}, A_gen = {row['gen_acc']}"
        )
    if "certified" in out:
        c = out["certified"]
        lines.append(f"certified (Arb): t_train* in {c['t_train']}, t_gen* in {c['t_gen']}")
        for row in c["at"]:
            lines.append(f"certified t = {row['t']:g}: L_tr in {row['train_loss']}, L_gen in {row['gen_loss']}")
    return "\n".join(lines)


def main(args) -> int:
    out = predict(args)
    print(json.dumps(out, indent=2) if args.json else render(out))
    return 0
