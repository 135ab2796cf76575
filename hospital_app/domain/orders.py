"""Order response and delivery timeliness (R4). Pure."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from fractions import Fraction

from hospital_app.errors import BadInput
from hospital_app.i18n import tr

_QUARTER = re.compile(r"^\s*(\d{4})\s*[Qq]\s*([1-4])\s*$")


@dataclass(frozen=True, order=True)
class Quarter:
    year: int
    q: int

    def __str__(self) -> str:
        return f"{self.year}Q{self.q}"

    @property
    def start(self) -> date:
        return date(self.year, 3 * self.q - 2, 1)

    @property
    def end(self) -> date:
        """Last day of the quarter (inclusive); 9999Q4 ends on 9999-12-31 without overflowing."""
        return date(self.year, 3 * self.q, 31 if self.q in (1, 4) else 30)

    def previous(self) -> Quarter:
        return Quarter(self.year - 1, 4) if self.q == 1 else Quarter(self.year, self.q - 1)

    def next(self) -> Quarter:
        return Quarter(self.year + 1, 1) if self.q == 4 else Quarter(self.year, self.q + 1)

    @classmethod
    def of(cls, d: date | datetime) -> Quarter:
        return cls(d.year, (d.month - 1) // 3 + 1)

    @classmethod
    def parse(cls, text: str) -> Quarter:
        m = _QUARTER.match(text or "")
        if not m or not 1900 <= int(m.group(1)) <= 9999:
            raise BadInput(tr("季度格式应为 2025Q1：{t}", "quarter must look like 2025Q1: {t}", t=text))
        return cls(int(m.group(1)), int(m.group(2)))


def responded_in_time(placed_at: datetime, responded_at: datetime | None, hours: int = 48) -> bool:
    """R4: responded within ``hours`` clock hours of placing (exactly 48 h is in time)."""
    return responded_at is not None and responded_at - placed_at <= timedelta(hours=hours)


def delivered_in_time(placed_at: datetime, delivered_at: datetime | None, emergency: bool,
                      ordinary_hours: int = 48, emergency_hours: int = 4) -> bool:
    """R4 (policy): delivered within 48 h (ordinary) or 4 h (emergency) after placing."""
    window = emergency_hours if emergency else ordinary_hours
    return delivered_at is not None and delivered_at - placed_at <= timedelta(hours=window)


def exact_ratio(part: int, whole: int) -> Fraction | None:
    """R4 rate as an exact fraction (thresholds compare exactly); None when nothing to divide."""
    return None if whole == 0 else Fraction(part, whole)


def ratio(part: int, whole: int) -> float | None:
    """A fraction rounded to 4 places for output (CLI.md: 0.975); None when nothing to divide."""
    return None if whole == 0 else round(part / whole, 4)


def level(response_rate: Fraction | None, timeliness: Fraction | None,
          previous_timeliness: Fraction | None,
          response_warning: Decimal = Decimal("0.95"),
          timeliness_warning: Decimal = Decimal("0.90")) -> str | None:
    """R4: ``serious`` when timeliness is below 90 % this and the previous quarter,
    ``warning`` when response rate < 95 % or timeliness < 90 %, else None."""
    # Exact fractions: 0.94996 must not round up to "not below 95 %".
    tw, rw = Fraction(str(timeliness_warning)), Fraction(str(response_warning))
    low_timeliness = timeliness is not None and timeliness < tw
    if low_timeliness and previous_timeliness is not None and previous_timeliness < tw:
        return "serious"
    if low_timeliness or (response_rate is not None and response_rate < rw):
        return "warning"
    return None
