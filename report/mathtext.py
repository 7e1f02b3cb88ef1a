"""Claim titles (plain ASCII such as ``L_gen ~ gamma^2/(4(1-lam)^3)``) typeset as text with inline mathematics.

The titles stay plain text in the registry (the terminal prints them as they are); the report turns each run of
mathematical words into ``$...$``: ``lam`` -> ``\\lambda``, ``gamma^2`` -> ``\\gamma^{2}``, ``d_out`` ->
``d_{\\rm out}``, ``L_gen`` -> ``\\mathcal{L}_{\\rm gen}``, ``sqrt(x)`` -> ``\\sqrt{x}``, ``->`` -> ``\\to`` and so on.
A run that the validator :func:`report.texsafe.safe_math` does not accept is printed as escaped text instead, so a
title can never break the compilation.
"""

from __future__ import annotations

import re

from .texsafe import latex_escape, safe_math

#: names that are mathematics on their own (a word made of them and operators is a formula)
_NAMES = {
    "lam": r"\lambda",
    "lambda": r"\lambda",
    "gamma": r"\gamma",
    "gamma_c": r"\gamma_c",
    "eta": r"\eta",
    "eta0": r"\eta_0",
    "eps": r"\epsilon",
    "epsilon": r"\epsilon",
    "nu": r"\nu",
    "pi": r"\pi",
    "sigma": r"\sigma",
    "Sigma": r"\Sigma",
    "alpha": r"\alpha",
    "beta": r"\beta",
    "rho": r"\rho",
    "theta": r"\theta",
    "Delta": r"\Delta",
    "inf": r"\infty",
    "infinity": r"\infty",
    "Tr": r"\mathrm{Tr}",
    "Var": r"\mathrm{Var}",
    "Erf": r"\mathrm{Erf}",
    "Pr": r"\Pr",
    "exp": r"\exp",
    "log": r"\log",
    "grad": r"\nabla",
    "sum": r"\sum",
    "int": r"\int",
    "h0": r"h_0",
    "D0": r"D_0",
    "S0": r"S_0",
    "S1": r"S_1",
}
#: subscripts set upright (words, not indices)
_WORD_SUBSCRIPTS = {"out", "in", "tr", "gen", "ij", "F", "inf", "max", "run", "MP", "c"}
_CALLIGRAPHIC = {"L": r"\mathcal{L}", "A": r"\mathcal{A}"}
_OPERATORS = [
    ("->", r"\to "),
    ("<=", r"\le "),
    (">=", r"\ge "),
    (">>", r"\gg "),
    ("<<", r"\ll "),
    ("!=", r"\ne "),
    ("~", r"\sim "),
    ("||", r"\| "),
    ("%", r"\%"),
]
#: a single word counts as mathematics when it has one of these characters or is a known name
_MATHY = re.compile(r"[_^=/+*<>~|()\[\]{}]|->|^\d+(\.\d+)?$|^[A-Za-z]$")
_IDENT = re.compile(r"[A-Za-z][A-Za-z0-9]*(?:_\{[^}]*\}|_[A-Za-z0-9]+(?:,[A-Za-z0-9]+)*)?")


def _ident(tok: str) -> str:
    base, _, sub = tok.partition("_")
    sub = sub.strip("{}")
    if tok in _NAMES:
        return _NAMES[tok]
    if base == "sqrt" and not sub:
        return r"\sqrt"
    head = _NAMES.get(base, _CALLIGRAPHIC.get(base, base) if sub in {"gen", "tr"} else base)
    if len(base) > 1 and base not in _NAMES and not sub:
        return rf"\mathrm{{{base}}}"
    if not sub:
        return head
    word = sub in _WORD_SUBSCRIPTS or len(sub) > 2 and sub.isalpha()
    sub_tex = rf"{{\rm {sub}}}" if word else f"{{{_formula(sub.replace('~', ' ~ '))}}}"
    return f"{head}_{sub_tex}"


def _formula(run: str) -> str:
    """One run of mathematical words as LaTeX (without the dollars)."""
    out, i = [], 0
    while i < len(run):
        for op, tex in _OPERATORS:
            if run.startswith(op, i):
                out.append(tex)
                i += len(op)
                break
        else:
            m = _IDENT.match(run, i)
            if m:
                tok = m.group(0)
                if tok == "sqrt" and run.startswith("(", m.end()):
                    depth, j = 0, m.end()
                    while j < len(run):
                        depth += {"(": 1, ")": -1}.get(run[j], 0)
                        if depth == 0:
                            break
                        j += 1
                    out.append(rf"\sqrt{{{_formula(run[m.end() + 1 : j])}}}")
                    i = j + 1
                    continue
                out.append(_ident(tok) + (" " if tok in _NAMES or tok == "sqrt" else ""))
                i = m.end()
            elif run[i] == "^":
                m = re.match(r"\^(\{[^}]*\}|-?[0-9A-Za-z.]+|\*)", run[i:])
                if m:
                    arg = m.group(1).strip("{}")
                    out.append(f"^{{{_formula(arg)}}}")
                    i += m.end()
                else:
                    out.append("^")
                    i += 1
            elif run[i] == "*" and (i + 1 == len(run) or run[i + 1] in " ,)"):
                out.append("^*")
                i += 1
            elif run[i] == "*":
                out.append(r"\,")
                i += 1
            elif run[i] in "{}":
                out.append("\\" + run[i])
                i += 1
            else:
                out.append(run[i])
                i += 1
    return "".join(out).strip()


#: words after which a number is a reference, not mathematics
_REFERENCES = {"Eq.", "Eqs.", "Fig.", "Figs.", "Sec.", "Appendix"}
#: single letters that are words of English, not variables
_ARTICLES = {"a", "A", "I"}


def _is_math_word(word: str, previous: str, in_run: bool) -> bool:
    core = word.strip(".,;:'\"")
    if not core or previous in _REFERENCES:
        return False
    bare = core.strip("()[]")
    if re.fullmatch(r"-?\d+(\.\d+)?(e-?\d+)?", core):
        return in_run
    if bare == "sqrt":
        return True
    if bare in _NAMES or bare.split("_")[0] in _NAMES:
        return True
    if len(bare) == 1 and bare.isalpha():
        return bare not in _ARTICLES
    if bare.isalpha():  # "(phase", "layers]": words in brackets stay text
        return False
    return bool(_MATHY.search(core))


def _math_run(text: str) -> str | None:
    """``text`` as ``$...$`` (with leading quotes/brackets and trailing punctuation left as text), or ``None``
    when its brackets do not balance or the validator rejects the LaTeX."""
    lead = re.match(r"^['\"]*", text).group(0)
    trail = re.search(r"[.,;:'\"]*$", text).group(0)
    core = text[len(lead) : len(text) - len(trail)]
    if not core or any(core.count(a) != core.count(b) for a, b in ("()", "[]", "{}")):
        return None
    tex = _formula(core)
    if not safe_math(tex):
        return None
    return latex_escape(lead) + f"${tex}$" + latex_escape(trail)


def title_latex(title: str) -> str:
    """``title`` as LaTeX text with its mathematical words in ``$...$`` (escaped text where a run is unsafe)."""
    words = title.split(" ")
    out: list[str] = []
    run: list[str] = []

    def emit(words_: list[str]) -> None:
        """Typeset the longest safe, bracket-balanced prefix of ``words_`` as math, the next word as text, and
        go on with the rest."""
        while words_:
            for k in range(len(words_), 0, -1):
                tex = _math_run(" ".join(words_[:k]))
                if tex is not None:
                    out.append(tex)
                    break
            else:
                k = 0
            if k < len(words_):
                out.append(latex_escape(words_[k]))
            words_ = words_[k + 1 :]

    def flush():
        if run:
            emit(list(run))
            run.clear()

    previous = ""
    for w in words:
        if _is_math_word(w, previous, bool(run)) or (run and w in {"+", "-", "="}):
            run.append(w)
        else:
            flush()
            out.append(latex_escape(w))
        previous = w
    flush()
    return " ".join(out)
