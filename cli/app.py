"""Command line: ``grokking-audit`` (also ``python -m cli`` and ``python -m derivations``) prints the audit.

The top layer: it imports numerics, sim, derivations and report; nothing imports it.
"""

from __future__ import annotations

import argparse
import json
import os
import sys

from derivations.engine import run

from . import predict as cli_predict
from . import sweep as cli_sweep
from .audit_text import audit_text


def _progress(args) -> bool:
    """Progress bars on stderr unless ``--no-progress``, and only when stderr is a terminal (no bar residue in
    logs and pipes)."""
    return not args.no_progress and sys.stderr.isatty()


def _fig5(args) -> int:
    from derivations.experiments import fig5

    kw = {"activations": args.activation, "lam": args.lam, "seeds": tuple(range(args.seeds))}
    if args.full:
        kw |= {"d_in": 1000, "d_hs": tuple(args.d_h), "steps": args.steps or 20000}
    else:
        kw |= {"d_in": 300, "d_hs": tuple(min(d, 150) for d in args.d_h), "steps": args.steps or 2000}
    rows = fig5(progress=_progress(args), **kw)
    print(
        f"{'act':6s} {'d_h':>4s} {'seed':>4s} {'t':>7s} {'sim L_gen':>11s} {'Eq.40 (A)':>11s} {'Eq.40 (B)':>11s}"
        f" {'corrected':>11s} {'err(corr)':>9s}"
    )
    for r in rows:
        print(
            f"{r.activation:6s} {r.d_h:4d} {r.seed:4d} {r.t:7d} {r.sim_gen:11.4e} {r.reading_a:11.4e}"
            f" {r.reading_b:11.4e} {r.corrected:11.4e} {r.corrected / r.sim_gen - 1:+9.2%}"
        )
    return 0


def _figures(args) -> int:
    from report.figures import FIGURES, draw_figures

    names = args.which or list(FIGURES)
    unknown = [n for n in names if n not in FIGURES]
    if unknown:
        raise ValueError(f"unknown figure name(s) {unknown}; allowed: {', '.join(FIGURES)}")
    simulated = ()
    if "fig4" in names and not args.no_sim_fig4:
        from report.figure4_sim import agreement, fig4_simulated

        simulated, results = fig4_simulated(quick=args.quick, progress=_progress(args), out=args.sweep_out)
        a = agreement(results)
        print(
            f"simulated Fig. 4: {a['total']} runs, {a['runs']} with a simulated and a predicted Delta t;"
            f" |sim/theory - 1|: median {a['median']:.1%},"
            f" 90th percentile {a['p90']:.1%}"
        )
    paths = draw_figures(
        args.out, quick=args.quick, progress=_progress(args), which=names, pdf=args.pdf, fig4_simulated=simulated
    )
    for path in paths:
        print(path)
    return 0


def _report(args) -> int:
    from report.latex import ReportError, errata_markdown, write_report

    results = run(progress=_progress(args), workers=args.workers)
    try:
        paths = write_report(
            args.out, results=results, compile=not args.no_compile, graph=args.graph, progress=_progress(args)
        )
    except ReportError as e:
        print(e, file=sys.stderr)
        return 2
    print(paths.message)
    if args.errata_markdown:
        print(errata_markdown(results), end="")
    return 1 if any(r.verdict is None for r in results) else 0


def main(argv=None) -> int:
    """Entry point.  Exit status 0 unless a check itself crashed (status ``error``).

    Output piped into a reader that stops early (``grokking-audit | head``) ends quietly with status 1.
    """
    try:
        return _main(argv)
    except BrokenPipeError:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # no second error when Python flushes stdout
        return 1


def _main(argv) -> int:
    p = argparse.ArgumentParser(
        prog="grokking-audit",
        description="Audit the equations of Levi, Beck & Bar-Sinai (2023), 'Grokking in Linear Estimators',"
        " symbolically and numerically. Without a subcommand: run the audit.",
    )
    sub = p.add_subparsers(dest="command")
    f5 = sub.add_parser("fig5", help="two-layer networks of Fig. 5 against Eq. 40 (simulation)")
    f5.add_argument(
        "--full", action="store_true", help="the paper's size: d_in = 1000 (default: d_in = 300, d_h <= 150)"
    )
    f5.add_argument("--d-h", type=int, nargs="+", default=[50, 200], help="hidden widths (default 50 200)")
    f5.add_argument("--activation", nargs="+", choices=["linear", "tanh"], default=["linear", "tanh"])
    f5.add_argument("--lam", type=float, default=0.5, help="d_in / N_tr (not stated in the paper; default 0.5)")
    f5.add_argument("--steps", type=int, default=None, help="GD steps (default 20000 with --full, else 2000)")
    f5.add_argument("--seeds", type=int, default=1, help="number of seeds (default 1)")
    f5.add_argument("--no-progress", action="store_true", help="hide progress bars")
    cli_predict.add_parser(sub)
    cli_sweep.add_parser(sub)
    fp = sub.add_parser("figures", help="draw Figs. 1-6 and the validity maps: theory against simulation (PNG)")
    fp.add_argument("-o", "--out", default="figures", help="output directory (default: figures)")
    fp.add_argument("--quick", action="store_true", help="small sizes (d_in = 200 etc.; 20-40 s)")
    fp.add_argument("--which", nargs="+", default=None, help="figure names (default: all)")
    fp.add_argument("--pdf", action="store_true", help="also write a PDF of each figure")
    fp.add_argument("--no-sim-fig4", action="store_true", help="skip the simulated Fig. 4 sweep")
    fp.add_argument("--sweep-out", default=None, help="path prefix of resumable sweep files for the simulated Fig. 4")
    fp.add_argument("--no-progress", action="store_true", help="hide progress bars")
    rp = sub.add_parser("report", help="write the audit as LaTeX (audit.tex) and, with pdflatex, a PDF")
    rp.add_argument("-o", "--out", default="audit-report", help="output directory (default: audit-report)")
    rp.add_argument("--no-compile", action="store_true", help="write audit.tex only")
    rp.add_argument("--graph", choices=["auto", "dot", "tikz"], default="auto", help="graph drawing (default auto)")
    rp.add_argument("--errata-markdown", action="store_true", help="also print the errata as a Markdown table")
    rp.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    rp.add_argument("--workers", type=int, default=None, help="processes for the checks (default: every CPU)")
    p.add_argument(
        "--json",
        action="store_true",
        help="print a JSON list of {id, equations, verdict, detail, corrected, uses, reading}",
    )
    p.add_argument("--claim", action="append", metavar="ID", help="run only this claim (repeatable)")
    p.add_argument("--no-progress", action="store_true", help="hide the progress bar (shown only on a terminal)")
    p.add_argument("-v", "--verbose", action="store_true", help="full details, corrected forms and raw evidence")
    p.add_argument("--width", type=int, default=None, help="wrap width (default: the terminal's)")
    p.add_argument("--workers", type=int, default=None, help="processes for the checks (default: every CPU)")
    args = p.parse_args(argv)
    commands = {
        "fig5": _fig5,
        "predict": cli_predict.main,
        "report": _report,
        "sweep": cli_sweep.main,
        "figures": _figures,
    }
    if args.command in commands:
        try:
            return commands[args.command](args)
        except ValueError as e:
            p.error(str(e))
    if args.width is not None and args.width < 40:
        p.error(f"--width must be at least 40, got {args.width}")
    try:
        results = run(args.claim, progress=_progress(args), workers=args.workers)
    except ValueError as e:
        p.error(str(e))
    if args.json:
        json.dump([r.as_json() for r in results], sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        print(audit_text(results, width=args.width, verbose=args.verbose))
    return 1 if any(r.verdict is None for r in results) else 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
