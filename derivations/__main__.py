"""``python -m derivations``: kept for compatibility; runs the command line, which lives in the top-level
:mod:`cli` package (this file is a program, not part of the library layer, so nothing in ``derivations`` imports
the layer above it)."""

import runpy

runpy.run_module("cli", run_name="__main__", alter_sys=True)
