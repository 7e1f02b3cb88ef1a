"""The paper's order of sections, for reports and the terminal (the registry itself is in dependency order)."""

from __future__ import annotations

import re
from collections.abc import Sequence


def section_key(section: str) -> tuple:
    """Paper order of section labels: ``3.1.1 Losses`` < ``5 Discussion`` < ``B Grokking time`` < anything else
    (e.g. ``Beyond the paper: finite size``), which keeps its alphabetical order at the end."""
    head = section.split(" ", 1)[0] if section else ""
    if re.fullmatch(r"\d+(\.\d+)*", head):
        return (0, tuple(int(x) for x in head.split(".")), section)
    if re.fullmatch(r"[A-Z](\.\d+)*", head):
        return (1, (ord(head[0]), *(int(x) for x in head.split(".")[1:])), section)
    return (2, (), section)


def paper_order(results: Sequence) -> list:
    """Results (anything with ``.claim.section``) grouped by paper section, in paper order, keeping the given
    (dependency) order inside a section."""
    idx = {id(r): i for i, r in enumerate(results)}
    return sorted(results, key=lambda r: (section_key(r.claim.section), idx[id(r)]))
