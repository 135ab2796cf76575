"""Periods. Pure.

- Reporting periods of the self-check report: a month, a quarter or a year.
- R6 agreement periods: the previous-year comparison per month and the pro-rated volume
  of an extension (顺延).

``report self-check --period 2025-06 | 2025Q2 | 2025`` (CLI.md). A report is made
"as of" the period's last day, or as of an earlier ``--as-of``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from fractions import Fraction
from functools import lru_cache

from hospital_app.domain.targets import days_in_month, round_half_up, total_weight
from hospital_app.errors import BadInput
from hospital_app.i18n import tr

_MONTH = re.compile(r"^(\d{4})-(\d{1,2})$")
_QUARTER = re.compile(r"^(\d{4})[Qq]([1-4])$")
_YEAR = re.compile(r"^(\d{4})$")
_QUARTER_ZH = "一二三四"


@dataclass(frozen=True)
class ReportPeriod:
    """A calendar month, quarter or year, both ends inclusive."""

    kind: str  # month | quarter | year
    start: date
    end: date
    key: str  # canonical text: "2025-06", "2025Q2", "2025"

    def __str__(self) -> str:
        return self.key

    @property
    def label(self) -> str:
        """“2025年6月” / “2025年第二季度” / “2025年度” (English when asked)."""
        y = self.start.year
        if self.kind == "month":
            return tr("{y}年{m}月", "{y}-{m:02d}", y=y, m=self.start.month)
        if self.kind == "quarter":
            q = (self.start.month - 1) // 3 + 1
            return tr("{y}年第{q}季度", "Q{n} {y}", y=y, q=_QUARTER_ZH[q - 1], n=q)
        return tr("{y}年度", "year {y}", y=y)

    def as_of(self, requested: date | None = None) -> date:
        """The report's "today": the period's end, or ``requested`` when it is earlier."""
        if requested is not None and requested < self.end:
            return requested
        return self.end

    def quarters(self) -> list[str]:
        """The quarters ("2025Q2") the period touches, for per-quarter R4 figures."""
        first = (self.start.month - 1) // 3 + 1
        last = (self.end.month - 1) // 3 + 1
        return [f"{self.start.year}Q{q}" for q in range(first, last + 1)]

    def contains(self, d: date) -> bool:
        return self.start <= d <= self.end


def _month_end(y: int, m: int) -> date:
    return date(y, m, days_in_month(y, m))


def parse_period(text: str) -> ReportPeriod:
    """Parse "2025-06", "2025Q2" or "2025"; BadInput (exit 3) for anything else."""
    t = (text or "").strip()
    bad = BadInput(tr("报告期间应为 2025-06（月）、2025Q2（季度）或 2025（年）：{t}",
                      "period must be 2025-06 (month), 2025Q2 (quarter) or 2025 (year): {t}", t=text),
                   column="--period")
    m = _MONTH.match(t)
    if m:
        y, mo = int(m.group(1)), int(m.group(2))
        if not (1 <= mo <= 12) or y < 1900:
            raise bad
        return ReportPeriod("month", date(y, mo, 1), _month_end(y, mo), f"{y}-{mo:02d}")
    m = _QUARTER.match(t)
    if m:
        y, q = int(m.group(1)), int(m.group(2))
        if y < 1900:
            raise bad
        return ReportPeriod("quarter", date(y, 3 * q - 2, 1), _month_end(y, 3 * q), f"{y}Q{q}")
    m = _YEAR.match(t)
    if m:
        y = int(m.group(1))
        if y < 1900:
            raise bad
        return ReportPeriod("year", date(y, 1, 1), date(y, 12, 31), str(y))
    raise bad


# ------------------------------------------------------------------ R6 agreement periods


@dataclass(frozen=True)
class AgreedPeriod:
    """One agreement period of a product with its agreed volume (R6)."""

    start: date
    end: date
    agreed_volume: int
    is_extension: bool = False


def prorated_volume(volume: int, last_start: date, last_end: date, new_start: date, new_end: date) -> int:
    """R6 v2: V × (R7 weight of the new period) / (R7 weight of the last period), whole units
    (half up, as R7 rounds). An extension of 6 whole months after a 12-month year of 12 000 → 6 000."""
    ratio = _length_ratio(last_start, last_end, new_start, new_end)
    return volume if ratio == 1 else round_half_up(volume * ratio)


@lru_cache(maxsize=1024)
def _length_ratio(last_start: date, last_end: date, new_start: date, new_end: date) -> Fraction:
    """R7 weight of the new period / that of the last (the same few pairs for every product)."""
    return total_weight(new_start, new_end) / total_weight(last_start, last_end)


def below_previous_year(periods: list[AgreedPeriod]) -> list[tuple[AgreedPeriod, AgreedPeriod, int]]:
    """R6 v2: periods whose agreed volume is below the PREVIOUS period's, compared per month.

    Periods of unequal length (an extension, a part year) are compared through the R7
    weights: period k is below when V_k < the previous volume pro-rated to k's length
    (``prorated_volume``, whole units), so a pro-rated extension is never a warning and two
    equal years compare their volumes directly. Returns (period, previous, equivalent).
    """
    ordered = sorted(periods, key=lambda p: p.start)
    out = []
    for prev, cur in zip(ordered, ordered[1:]):
        equivalent = prorated_volume(prev.agreed_volume, prev.start, prev.end, cur.start, cur.end)
        if cur.agreed_volume < equivalent:
            out.append((cur, prev, equivalent))
    return out
