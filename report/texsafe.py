"""LaTeX-safe text and mathematics: escaping arbitrary text for pdflatex, a conservative validator for formulas,
line breaking of long formulas and the labelled rows of a claim entry.

Formulas from the claims (printed, corrected, SymPy output) are typeset as mathematics only if :func:`safe_math`
accepts them (ASCII, balanced braces/``\\left``-``\\right``/environments, known macros); otherwise they appear
verbatim in ``\\texttt``, escaped, so one odd formula can never break the compilation.  Long formulas are broken
at top-level relations, ``+``/``-`` and ``;`` and each line is shrunk to the line width if still too wide.
"""

from __future__ import annotations

import re
import unicodedata

#: a formula line wider than about this many characters (as typeset, see ``visible_length``) is broken at
#: top-level operators; 10pt text on A4 with 2 cm margins holds about 90 math characters beside the labels
LINE_CHARS = 85

# ------------------------------------------------------------------------------------------------ text escaping

_TEXT_SPECIAL = {
    "\\": r"\textbackslash{}",
    "{": r"\{",
    "}": r"\}",
    "$": r"\ensuremath{\$}",  # \$ in text mode is TS1 (a bitmap font without cm-super)
    "&": r"\&",
    "#": r"\#",
    "%": r"\%",
    "_": r"\_",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
    "<": r"\textless{}",
    ">": r"\textgreater{}",
    "|": r"\textbar{}",
    '"': "''",
    "\t": " ",
    "\r": " ",
    "\f": " ",
    "\v": " ",
}

_GREEK = (
    "alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu nu xi omicron pi rho sigma tau upsilon phi"
    " chi psi omega"
).split()
_UNICODE: dict[str, str] = {}
for _i, _name in enumerate(_GREEK):
    _UNICODE[chr(0x3B1 + _i + (1 if _i >= 17 else 0))] = rf"\ensuremath{{\{_name}}}" if _name != "omicron" else "o"
_UNICODE.update(
    {
        "\u03c2": r"\ensuremath{\varsigma}",
        "\u03d5": r"\ensuremath{\phi}",
        "\u03b5": r"\ensuremath{\varepsilon}",
        "\u0393": r"\ensuremath{\Gamma}",
        "\u0394": r"\ensuremath{\Delta}",
        "\u0398": r"\ensuremath{\Theta}",
        "\u039b": r"\ensuremath{\Lambda}",
        "\u039e": r"\ensuremath{\Xi}",
        "\u03a0": r"\ensuremath{\Pi}",
        "\u03a3": r"\ensuremath{\Sigma}",
        "\u03a6": r"\ensuremath{\Phi}",
        "\u03a8": r"\ensuremath{\Psi}",
        "\u03a9": r"\ensuremath{\Omega}",
        "\u2248": r"\ensuremath{\approx}",
        "\u2243": r"\ensuremath{\simeq}",
        "\u2245": r"\ensuremath{\cong}",
        "\u223c": r"\ensuremath{\sim}",
        "\u2260": r"\ensuremath{\neq}",
        "\u2261": r"\ensuremath{\equiv}",
        "\u2264": r"\ensuremath{\leq}",
        "\u2265": r"\ensuremath{\geq}",
        "\u226a": r"\ensuremath{\ll}",
        "\u226b": r"\ensuremath{\gg}",
        "\u00b1": r"\ensuremath{\pm}",
        "\u2213": r"\ensuremath{\mp}",
        "\u00d7": r"\ensuremath{\times}",
        "\u00f7": r"\ensuremath{\div}",
        "\u00b7": r"\ensuremath{\cdot}",
        "\u22c5": r"\ensuremath{\cdot}",
        "\u2208": r"\ensuremath{\in}",
        "\u2209": r"\ensuremath{\notin}",
        "\u2282": r"\ensuremath{\subset}",
        "\u2286": r"\ensuremath{\subseteq}",
        "\u221e": r"\ensuremath{\infty}",
        "\u221a": r"\ensuremath{\surd}",
        "\u2202": r"\ensuremath{\partial}",
        "\u2207": r"\ensuremath{\nabla}",
        "\u2211": r"\ensuremath{\sum}",
        "\u220f": r"\ensuremath{\prod}",
        "\u222b": r"\ensuremath{\int}",
        "\u2192": r"\ensuremath{\to}",
        "\u2190": r"\ensuremath{\leftarrow}",
        "\u21d2": r"\ensuremath{\Rightarrow}",
        "\u21d4": r"\ensuremath{\Leftrightarrow}",
        "\u2194": r"\ensuremath{\leftrightarrow}",
        "\u21a6": r"\ensuremath{\mapsto}",
        "\u2200": r"\ensuremath{\forall}",
        "\u2203": r"\ensuremath{\exists}",
        "\u2205": r"\ensuremath{\emptyset}",
        "\u2227": r"\ensuremath{\wedge}",
        "\u2228": r"\ensuremath{\vee}",
        "\u00ac": r"\ensuremath{\neg}",
        "\u221d": r"\ensuremath{\propto}",
        "\u2032": r"\ensuremath{'}",
        "\u2033": r"\ensuremath{''}",
        "\u00b0": r"\ensuremath{^\circ}",
        "\u2212": "-",
        "\u2010": "-",
        "\u2011": "-",
        "\u2012": "-",
        "\u2013": "--",
        "\u2014": "---",
        "\u2018": "`",
        "\u2019": "'",
        "\u201c": "``",
        "\u201d": "''",
        "\u2026": r"\dots{}",
        "\u00a0": r"\nobreakspace{}",
        "\u2009": r"\,",
        "\u202f": r"\,",
        "\u00a7": r"\ensuremath{\mathsection}",
        "\u00b6": r"\ensuremath{\mathparagraph}",
        "\u00a9": "(c)",
        "\u2022": r"\ensuremath{\bullet}",
        "\u00df": r"\ss{}",
        "\u00e6": r"\ae{}",
        "\u00c6": r"\AE{}",
        "\u00f8": r"\o{}",
        "\u00d8": r"\O{}",
        "\u0142": r"\l{}",
        "\u0141": r"\L{}",
        "\u00b9": r"\textsuperscript{1}",
        "\u00b2": r"\textsuperscript{2}",
        "\u00b3": r"\textsuperscript{3}",
        "\u00bd": r"\ensuremath{\tfrac12}",
        "\u00bc": r"\ensuremath{\tfrac14}",
        "\u00be": r"\ensuremath{\tfrac34}",
        "\u210f": r"\ensuremath{\hbar}",
        "\u2113": r"\ensuremath{\ell}",
    }
)
_SUPERSCRIPTS = dict(zip("\u2070\u2074\u2075\u2076\u2077\u2078\u2079\u207a\u207b", "0456789+-", strict=True))
_SUBSCRIPTS = dict(zip("\u2080\u2081\u2082\u2083\u2084\u2085\u2086\u2087\u2088\u2089", "0123456789", strict=True))
_ACCENTS = {"\u0301": "'", "\u0300": "`", "\u0308": '"', "\u0302": "^", "\u0303": "~", "\u0304": "=", "\u0327": "c"}


def _unicode_char(ch: str) -> str:
    """LaTeX (pdflatex, OT1, no extra packages) for one non-ASCII character; never raises."""
    if ch in _UNICODE:
        return _UNICODE[ch]
    if ch in _SUPERSCRIPTS:
        return rf"\textsuperscript{{{_SUPERSCRIPTS[ch]}}}"
    if ch in _SUBSCRIPTS:
        return rf"\ensuremath{{_{{{_SUBSCRIPTS[ch]}}}}}"
    decomposed = unicodedata.normalize("NFD", ch)
    base, marks = decomposed[:1], decomposed[1:]
    if base.isascii() and base.isalpha() and len(marks) == 1 and marks in _ACCENTS:
        return rf"\{_ACCENTS[marks]}{{{base}}}"
    compat = unicodedata.normalize("NFKD", ch)
    ascii_part = compat.encode("ascii", "ignore").decode()
    if ascii_part and compat.isascii():
        return latex_escape(ascii_part)
    if unicodedata.category(ch).startswith(("Z", "C")):  # spaces, controls, format characters
        return " " if unicodedata.category(ch) == "Zs" else ""
    return rf"\texttt{{[U+{ord(ch):04X}]}}"


def latex_escape(text: object) -> str:
    """Escape arbitrary text for LaTeX text mode (pdflatex, OT1 fonts): the ten special characters, ``<``,
    ``>``, ``|``, and every non-ASCII character (mapped to a LaTeX command, or to ``[U+XXXX]``).  Only
    Computer Modern Type 1 fonts are needed (no TS1/T1 symbols, which would need cm-super or bitmap fonts).

    Newlines become spaces; paragraph breaks (blank lines) are kept as ``\\par``.
    """
    s = str(text)
    paragraphs = re.split(r"\n\s*\n", s)
    out = []
    for para in paragraphs:
        parts = []
        for ch in para.replace("\n", " "):
            if ch == "`" and parts and parts[-1] in ("!", "?"):
                parts.append("{}`")  # ?` and !` are ligatures for inverted marks in OT1
            elif ch in _TEXT_SPECIAL:
                parts.append(_TEXT_SPECIAL[ch])
            elif ch.isascii():
                parts.append(ch if ch.isprintable() else " ")
            else:
                parts.append(_unicode_char(ch))
        out.append("".join(parts))
    return "\\par ".join(out)


def latex_texttt(text: object) -> str:
    """``\\texttt{...}`` of escaped ``text``, breakable after spaces, commas, operators and brackets."""
    esc = latex_escape(text)
    # allow line breaks inside long unspaced runs (SymPy output, file paths)
    esc = re.sub(r"([,;=+*/(\[])(?! )", r"\1\\allowbreak{}", esc)
    esc = esc.replace("-", r"-\allowbreak{}")
    return r"\texttt{" + esc + "}"


def latex_verbatim_block(text: str, max_lines: int = 40) -> str:
    """A small-print monospace block keeping line breaks and indentation (for tracebacks), escaped; the last
    ``max_lines`` lines."""
    lines = str(text).rstrip().splitlines()[-max_lines:]
    body = "\\par\n".join(latex_escape(line).replace(" ", "\\ ") or "\\mbox{}" for line in lines)
    return "{\\footnotesize\\ttfamily\\raggedright\\setlength{\\parskip}{0pt}\\noindent " + body + "\\par}"


# --------------------------------------------------------------------------------------- math: validate, break

_MATH_MACROS = frozenset(
    """
    alpha beta gamma delta epsilon varepsilon zeta eta theta vartheta iota kappa lambda mu nu xi pi varpi rho
    varrho sigma varsigma tau upsilon phi varphi chi psi omega Gamma Delta Theta Lambda Xi Pi Sigma Upsilon Phi
    Psi Omega digamma varkappa
    frac dfrac tfrac cfrac binom dbinom tbinom sqrt left right middle big Big bigg Bigg bigl bigr Bigl Bigr biggl
    biggr Biggl Biggr
    sum prod int iint iiint oint coprod bigcup bigcap limits nolimits lim liminf limsup sup inf max min arg det exp
    log ln sin cos tan cot sec csc sinh cosh tanh coth arcsin arccos arctan dim ker deg gcd hom Pr mod bmod pmod
    operatorname mathrm mathit mathbf mathsf mathtt mathcal mathbb mathfrak boldsymbol bm rm it bf sf tt cal
    text textrm textit textbf textsf texttt mbox hbox
    cdot cdots ldots dots dotsb dotsc vdots ddots times div pm mp ast star circ bullet oplus otimes setminus wedge
    vee cap cup
    le leq ge geq ll gg neq ne approx simeq sim cong equiv propto lesssim gtrsim prec succ preceq succeq in notin
    ni subset subseteq supset supseteq to rightarrow leftarrow Rightarrow Leftarrow leftrightarrow Leftrightarrow
    mapsto longrightarrow longmapsto implies iff uparrow downarrow
    infty partial nabla forall exists emptyset varnothing ell hbar Re Im aleph prime backslash
    langle rangle lfloor rfloor lceil rceil vert Vert lvert rvert lVert rVert mid parallel
    hat tilde bar vec dot ddot breve check acute grave widehat widetilde overline underline overbrace underbrace
    mathring
    quad qquad displaystyle textstyle scriptstyle scriptscriptstyle limits substack stackrel overset underset
    begin end lbrace rbrace lbrack rbrack not neg lnot land lor top bot perp angle triangle Box square
    """.split()
)
_MATH_SYMBOL_MACROS = frozenset(" ,;:!|{}%_&#$>")  # \<char> forms accepted (\\ is handled separately)
_MATH_ENVS = frozenset(
    "matrix pmatrix bmatrix Bmatrix vmatrix Vmatrix smallmatrix cases array aligned gathered alignedat subarray".split()
)
_TOKEN = re.compile(r"\\([A-Za-z]+)|\\(.)|([{}])|(.)", re.S)


def safe_math(src: str) -> bool:
    """True if ``src`` can be typeset in math mode without risk of a TeX error (conservative check).

    Accepts ASCII only, balanced braces, matching ``\\left``/``\\right`` and ``\\begin``/``\\end`` pairs of the
    amsmath matrix-like environments, ``&`` and ``\\\\`` only inside such an environment, known macros only, no
    unescaped ``$``, ``#`` or ``%``, and no ``^``/``_`` without an argument.
    """
    if not isinstance(src, str) or not src.strip() or not src.isascii():
        return False
    if re.search(r"[\^_]\s*(?:$|[}&^_]|\\\\|\\right|\\end)", src):
        return False
    depth = 0
    left = 0
    envs: list[str] = []
    tokens = list(_TOKEN.finditer(src))
    i = 0
    while i < len(tokens):
        m = tokens[i]
        word, sym, brace, ch = m.groups()
        if word is not None:
            if word not in _MATH_MACROS:
                return False
            if word in ("left", "right"):
                left += 1 if word == "left" else -1
                if left < 0:
                    return False
            if word in ("begin", "end"):
                rest = src[m.end() :]
                em = re.match(r"\s*\{([A-Za-z*]+)\}", rest)
                if not em or em.group(1) not in _MATH_ENVS:
                    return False
                if word == "begin":
                    envs.append(em.group(1))
                elif not envs or envs.pop() != em.group(1):
                    return False
                end = m.end() + em.end()
                while i + 1 < len(tokens) and tokens[i + 1].start() < end:
                    i += 1
        elif sym is not None:
            if sym == "\\":
                if not envs:
                    return False
            elif sym not in _MATH_SYMBOL_MACROS:
                return False
        elif brace is not None:
            depth += 1 if brace == "{" else -1
            if depth < 0:
                return False
        elif ch in "$#%\\" or (ch == "&" and not envs) or ch in "\x00\x0b\x0c\x7f":
            return False
        i += 1
    return depth == 0 and left == 0 and not envs


_RELATIONS = frozenset(
    r"= \simeq \approx \to \sim \le \leq \ge \geq \neq \ne \equiv \propto \gg \ll \rightarrow \Rightarrow".split()
)


def _trim(line: str) -> str:
    """Strip a formula line, dropping a dangling control space (``\\ `` cut from its space)."""
    line = line.strip()
    while re.search(r"(?<!\\)(?:\\\\)*\\$", line):
        line = line[:-1].rstrip()
    return line


_INVISIBLE_MACROS = re.compile(
    r"\\(?:left|right|middle|limits|nolimits|displaystyle|textstyle|mathrm|mathit|mathbf|mathsf|mathtt|mathcal|"
    r"mathbb|mathfrak|boldsymbol|operatorname|rm|it|bf|cal|text|textrm|textit|mbox|frac|dfrac|tfrac|sqrt|begin|end|"
    r"big|Big|bigg|Bigg|bigl|bigr|Bigl|Bigr|biggl|biggr)(?![A-Za-z])"
)


_NAMED_OPERATORS = re.compile(
    r"\\(max|min|log|ln|exp|sin|cos|tan|sinh|cosh|tanh|lim|liminf|limsup|det|sup|inf|arg|Pr|dim|ker|deg|gcd|mod)"
    r"(?![A-Za-z])"
)
_OPERATOR_MACROS = re.compile(
    r"\\(?:le|leq|ge|geq|ll|gg|neq|ne|approx|simeq|sim|cong|equiv|propto|to|rightarrow|leftarrow|Rightarrow|"
    r"mapsto|in|notin|subset|subseteq|times|cdot|pm|mp|div|circ|otimes|oplus|cup|cap|wedge|vee|mid)(?![A-Za-z])"
)


def visible_length(src: str) -> float:
    """Rough width of a LaTeX formula in characters of about 0.5 em: macros that draw nothing by themselves are
    dropped, named operators count their letters, radicals 1.3, binary operators and relations 2 (with their
    spacing), other macros 1, braces and spaces 0, sub/superscripts 0.7 of their content; both parts of a
    fraction count (an overestimate)."""
    s = _INVISIBLE_MACROS.sub("", src.replace(r"\sqrt", "\x01"))
    s = _NAMED_OPERATORS.sub(lambda m: m.group(1), s)
    s = _OPERATOR_MACROS.sub("\x02", s)
    s = re.sub(r"\\(?:quad|qquad)(?![A-Za-z])", "MM", s)
    s = re.sub(r"\\[,;:! ]", "", s)
    s = re.sub(r"\\[A-Za-z]+|\\.", "x", s)
    weights = {"\x01": 1.3, "\x02": 2.0, "+": 2.0, "-": 2.0, "=": 2.0, "<": 2.0, ">": 2.0}
    n = 0.0
    script = 0
    depth_stack: list[bool] = []
    pending = False
    for ch in s:
        if ch in "^_":
            pending = True
            continue
        if ch == "{":
            depth_stack.append(pending)
            script += pending
            pending = False
            continue
        if ch == "}":
            if depth_stack and depth_stack.pop():
                script -= 1
            continue
        if ch.isspace():
            continue
        w = weights.get(ch, 1.0)
        n += 0.7 * min(w, 1.3) if (script or pending) else w
        pending = False
    return n


def break_math(src: str, limit: float = LINE_CHARS) -> list[str]:
    """Split a LaTeX formula into lines of at most about ``limit`` characters, only at top level (outside
    braces, parentheses, ``\\left``-``\\right`` and environments).  Preferred break points: after ``;`` or a
    ``,`` followed by a space, before ``\\quad``; then before relations (``=``, ``\\simeq``, ...); then before
    binary ``+``/``-``.

    Continuation lines start with ``{}`` so a leading operator keeps its binary spacing.  A formula without
    top-level break points stays one line (the document shrinks it to the line width).
    """
    if visible_length(src) <= limit:
        return [src]
    cuts: dict[int, int] = {}  # position where a new line may start -> priority
    depth = 0  # braces, \left-\right, environments
    parens = 0  # ( ) [ ] (not required to balance in TeX: clamped at 0)
    prev_operand = False  # does the previous top-level token end an operand (so +/- is binary)?
    tokens = list(_TOKEN.finditer(src))
    for k, m in enumerate(tokens):
        word, sym, brace, ch = m.groups()
        top = depth == 0 and parens == 0
        if word is not None:
            if word in ("left", "begin"):
                depth += 1
            elif word in ("right", "end"):
                depth -= 1
            if top and "\\" + word in _RELATIONS:
                cuts[m.start()] = max(cuts.get(m.start(), 0), 2)
                prev_operand = False
            elif top and word in ("quad", "qquad"):
                cuts[m.start()] = 3
                prev_operand = False
            elif top:
                prev_operand = word not in ("left", "begin", "frac", "sqrt")
        elif brace is not None:
            depth += 1 if brace == "{" else -1
            prev_operand = True
        elif sym is not None:
            if top and sym == " " and k > 0 and tokens[k - 1].group(4) in (",", ";"):
                cuts[m.end()] = 3
            if not sym.isspace() and sym not in ",;:!":
                prev_operand = True
        elif ch is not None:
            if ch in "([":
                parens += 1 if depth == 0 else 0
            elif ch in ")]":
                parens = max(0, parens - (1 if depth == 0 else 0))
            elif top and ch in "+-" and prev_operand:
                cuts[m.start()] = max(cuts.get(m.start(), 0), 1)
            elif top and ch in "=<>":
                cuts[m.start()] = max(cuts.get(m.start(), 0), 2)
            elif top and ch == ";":
                cuts[m.end()] = 3
            if not ch.isspace():
                prev_operand = ch.isalnum() or ch in ")]|!'."
    positions = sorted(c for c in cuts if 0 < c < len(src))
    lines, start = [], 0
    while visible_length(src[start:]) > limit:
        window = [c for c in positions if c > start and 0.35 * limit < visible_length(src[start:c]) <= limit]
        if not window:
            later = [c for c in positions if c > start]
            if not later:
                break
            window = later[:1]
        best = max(window, key=lambda c: (cuts[c], c))
        lines.append(src[start:best])
        start = best
    lines.append(src[start:])
    if len(lines) > 1 and visible_length(lines[-1]) < 0.2 * limit:  # no short tail such as "= 1" on its own
        lines[-2:] = [lines[-2] + lines[-1]]
    lines = [_trim(ln) for ln in lines]
    lines = [ln for ln in lines if ln]
    return [lines[0]] + ["{} " + ln for ln in lines[1:]]


def math_block(src: str | None, label: str = "", *, fallback: str | None = None) -> str:
    """A labelled row with a formula from LaTeX ``src`` (validated, broken into lines, each line shrunk to the
    available width if needed); verbatim ``\\texttt`` of ``fallback`` (or of ``src``) when ``src`` is not safe
    to typeset.  ``label`` is LaTeX (already escaped)."""
    if src is not None and safe_math(src):
        lines = break_math(src)
        if not all(safe_math(ln.removeprefix("{} ")) for ln in lines):
            lines = [src]
        return (
            rf"\auditmath{{{label}}}{{{lines[0]}}}"
            + "".join(rf"\auditmathcont{{{ln}}}" for ln in lines[1:])
            + r"\auditmathend"
        )
    text = fallback if fallback is not None else src
    return text_row(label, latex_texttt(text if text is not None else ""))


def text_row(label: str, body: str, *, ragged: bool = False) -> str:
    """A labelled row of text (``label`` and ``body`` are LaTeX, already escaped)."""
    return rf"\audit{'raggedrow' if ragged else 'row'}{{{label}}}{{{body}}}"


def sympy_latex(obj: object) -> tuple[str | None, str]:
    """``(latex, text)`` of a SymPy object (or a list/tuple/dict of them): ``latex`` is ``None`` when
    ``sympy.latex`` fails or is unsafe; ``text`` is ``str(obj)`` (``repr`` or a placeholder if that fails)."""
    import sympy as sp

    try:
        text = str(obj)
    except Exception:  # noqa: BLE001 - a statement that cannot even be printed still gets an entry
        try:
            text = repr(obj)
        except Exception:  # noqa: BLE001
            text = f"<unprintable {type(obj).__name__}>"
    try:
        if isinstance(obj, str):
            return None, obj
        if isinstance(obj, list | tuple) and obj:
            parts = [sp.latex(o) for o in obj]
            src = r",\quad ".join(parts)
        elif isinstance(obj, dict) and obj:
            src = r",\quad ".join(f"{sp.latex(k)} = {sp.latex(v)}" for k, v in obj.items())
        else:
            src = sp.latex(obj)
    except Exception:  # noqa: BLE001 - fall back to str(...)
        return None, text
    return (src if safe_math(src) else None), text
