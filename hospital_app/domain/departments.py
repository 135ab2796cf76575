"""R21 departments (科室): pure rules — no DB, no I/O.

- ``normalize_department``: the key that makes "心血管内科", "心血管 内科" and a full-width
  spelling one department (full/half width, every space removed);
- ``apportion``: a whole number split by weights with the largest-remainder method, so the
  departments' parts of a shortfall (or of an agreed volume) add up to it exactly;
- ``department_figures``: per department of one generic name and period, its selected and
  non-selected base units, its non-selected share, its share of the generic name's use and
  its part of the hospital's shortfall.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from fractions import Fraction

from hospital_app.domain.normalize import to_halfwidth

_SPACE = re.compile(r"\s+")


def clean_department(name: object) -> str:
    """R21: a department name as shown: half-width, trimmed, inner runs of spaces removed."""
    if name is None:
        return ""
    return _SPACE.sub("", to_halfwidth(str(name)))


def normalize_department(name: object) -> str:
    """R21: the department key: half-width, no spaces, Latin letters upper case
    ("ＩＣＵ 病区" == "icu病区" == "ICU病区")."""
    return clean_department(name).upper()


def apportion(total: int, weights: list[int]) -> list[int]:
    """R21: ``total`` whole units split in proportion to non-negative ``weights``
    (largest remainder; ties go to the larger weight, then to the earlier entry).
    The parts add up to ``total``; all zero weights → all parts 0."""
    positive = [max(0, w) for w in weights]
    whole = sum(positive)
    if total <= 0 or whole == 0:
        return [0] * len(weights)
    # Integer arithmetic: part_i = floor(total·w_i / whole), remainder_i = (total·w_i) mod whole.
    parts, remainders = [], []
    for w in positive:
        q, r = divmod(total * w, whole)
        parts.append(q)
        remainders.append(r)
    left = total - sum(parts)
    order = sorted(range(len(weights)), key=lambda i: (-remainders[i], -positive[i], i))
    for i in order[:left]:
        parts[i] += 1
    return parts


@dataclass
class DepartmentFigure:
    """One department's use of one generic name in one period (R21)."""

    department: str
    selected: int  # base units of selected products, returns subtracted
    nonselected: int  # base units of non-selected products, returns subtracted
    use_share: Fraction  # its share of the generic name's use in the period
    nonselected_share: Fraction | None  # non-selected / (selected + non-selected); None without use
    shortfall_part: int  # its part of the hospital's shortfall (whole units)

    @property
    def used(self) -> int:
        return self.selected + self.nonselected


def department_figures(usage: dict[str, tuple[int, int]], shortfall: int) -> list[DepartmentFigure]:
    """R21: ``usage`` = department → (selected, non-selected) base units (net of returns).

    A department's use = selected + non-selected; its share of the generic name's use = its use /
    the sum of every department's use (a department whose returns exceed its use in the period
    counts as 0, never negative); its part of the shortfall = shortfall × that share, in whole
    units by ``apportion``. Its non-selected share = non-selected / (selected + non-selected),
    each taken as 0 when returns make it negative; None when it used nothing. Sorted by part of the shortfall, then non-selected units, then name.
    """
    names = sorted(usage)
    weights = [max(0, usage[n][0] + usage[n][1]) for n in names]
    whole = sum(weights)
    parts = apportion(max(0, shortfall), weights)
    out = []
    for name, weight, part in zip(names, weights, parts):
        sel, non = usage[name]
        counted = max(0, sel) + max(0, non)
        out.append(DepartmentFigure(
            department=name, selected=sel, nonselected=non,
            use_share=Fraction(weight, whole) if whole else Fraction(0),
            nonselected_share=Fraction(max(0, non), counted) if counted else None,
            shortfall_part=part))
    out.sort(key=lambda f: (-f.shortfall_part, -f.nonselected, -f.used, f.department))
    return out
