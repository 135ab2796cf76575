"""Plausible dates (issue 23 §11, §14): pure rules, no I/O.

Every computation is "as of d"; a date outside 1900-01-01 … 2999-12-31 cannot be a
fact of a procurement year and would overflow the date arithmetic of deadlines (R1/R2),
so it is bad input. A date more than ``FAR_YEARS`` years from today is accepted but
warned about (a typo such as 2205 for 2025).
"""

from __future__ import annotations

from datetime import date, datetime

DATE_MIN = date(1900, 1, 1)
DATE_MAX = date(2999, 12, 31)
FAR_YEARS = 10


def in_range(d: date | datetime) -> bool:
    day = d.date() if isinstance(d, datetime) else d
    return DATE_MIN <= day <= DATE_MAX


def is_far(d: date | datetime, today: date) -> bool:
    """More than FAR_YEARS years before or after ``today``."""
    day = d.date() if isinstance(d, datetime) else d
    return abs(day.year - today.year) > FAR_YEARS
