"""Working days (R1) and "within N working days" deadlines (R2). Pure: no database.

The official schedule (statutory holidays and weekend make-up working days) comes
from the ``chinesecalendar`` package; user corrections win over it. A day in a year
the package does not cover follows the Monday–Friday rule and is *provisional*:
every result that touches such a day says so and names the missing year.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Iterable

from hospital_app.errors import BadInput
from hospital_app.i18n import tr

ONE_DAY = dt.timedelta(days=1)
MAX_WORKING_DAYS = 1000  # R2 deadlines are a few days; a larger N is a typing error

# Chinese names of the holidays chinesecalendar knows (its names are English).
HOLIDAY_NAMES_ZH = {
    "New Year's Day": "元旦",
    "Spring Festival": "春节",
    "Tomb-sweeping Day": "清明节",
    "Labour Day": "劳动节",
    "Dragon Boat Festival": "端午节",
    "National Day": "国庆节",
    "Mid-autumn Festival": "中秋节",
    "Anti-Fascist 70th Day": "抗战胜利70周年纪念日",
}


@dataclass(frozen=True)
class Due:
    """R2: a deadline — the end (23:59:59) of ``date``."""

    date: dt.date
    provisional: bool = False
    missing_years: list[int] = field(default_factory=list)

    @property
    def deadline(self) -> dt.datetime:
        """The last moment that is still in time (end of the day, local time)."""
        return dt.datetime.combine(self.date, dt.time(23, 59, 59))

    def as_dict(self) -> dict:
        """``calendar due --json`` (CLI.md)."""
        return {"due": self.date.isoformat(), "provisional": self.provisional,
                "missing_years": list(self.missing_years)}


@dataclass(frozen=True)
class DayInfo:
    """One day that differs from the plain Monday–Friday rule, or a user correction."""

    date: dt.date
    workday: bool
    source: str  # official | user
    name: str | None = None  # holiday name (official days), in the user's language
    official_workday: bool | None = None  # what the library says (None: year not covered)


@dataclass(frozen=True)
class _Library:
    workdays: frozenset[dt.date]
    holidays: frozenset[dt.date]
    names: dict
    years: frozenset[int]


@lru_cache(maxsize=1)
def _library() -> _Library:
    """The official schedule of chinesecalendar, loaded once per process."""
    from chinese_calendar import constants

    holidays = constants.holidays
    years = frozenset(range(min(holidays).year, max(holidays).year + 1))
    names = {**{d: str(v) for d, v in constants.workdays.items()},
             **{d: str(v) for d, v in holidays.items()}}
    return _Library(frozenset(constants.workdays), frozenset(holidays), names, years)


def library_years() -> set[int]:
    """R1: the years for which chinesecalendar has an official schedule (2004–2026 in v1.11)."""
    return set(_library().years)


def _is_weekday(d: dt.date) -> bool:
    return d.weekday() < 5


class WorkCalendar:
    """R1: official schedule + user corrections. Per-year answers are cached."""

    def __init__(self, official_workdays: Iterable[dt.date], official_holidays: Iterable[dt.date],
                 covered_years: Iterable[int], corrections: dict[dt.date, bool] | None = None,
                 names: dict[dt.date, str] | None = None) -> None:
        self.official_workdays = frozenset(official_workdays)
        self.official_holidays = frozenset(official_holidays)
        self.covered_years = frozenset(covered_years)
        self.corrections: dict[dt.date, bool] = dict(corrections or {})
        self._names = names or {}
        self._years: dict[int, bytes] = {}

    @classmethod
    def from_library(cls, corrections: dict[dt.date, bool] | None = None) -> WorkCalendar:
        """R1: the chinesecalendar schedule with the user's corrections on top."""
        lib = _library()
        return cls(lib.workdays, lib.holidays, lib.years, corrections, lib.names)

    # ------------------------------------------------------------------ single days
    def official_is_workday(self, d: dt.date) -> bool | None:
        """What the official schedule says; None for a year it does not cover."""
        if d.year not in self.covered_years:
            return None
        return d in self.official_workdays or (_is_weekday(d) and d not in self.official_holidays)

    def _year(self, year: int) -> bytes:
        flags = self._years.get(year)
        if flags is None:
            start = dt.date(year, 1, 1)
            days = (dt.date(year + 1, 1, 1) - start).days
            flags = bytes(self._compute(start + dt.timedelta(days=i)) for i in range(days))
            self._years[year] = flags
        return flags

    def _compute(self, d: dt.date) -> bool:
        if d in self.corrections:
            return self.corrections[d]
        official = self.official_is_workday(d)
        return _is_weekday(d) if official is None else official

    def is_workday(self, d: dt.date) -> bool:
        """R1: a working day? (user correction, else official schedule, else Mon–Fri)."""
        if isinstance(d, dt.datetime):
            d = d.date()
        return bool(self._year(d.year)[d.timetuple().tm_yday - 1])

    def is_provisional(self, d: dt.date) -> bool:
        """R1: True when no official schedule covers ``d`` and the user has not set it."""
        if isinstance(d, dt.datetime):
            d = d.date()
        return d.year not in self.covered_years and d not in self.corrections

    # ------------------------------------------------------------------- counting
    def due(self, t: dt.datetime | dt.date, n: int) -> Due:
        """R2: end of the N-th working day after the date of ``t`` (that day not counted)."""
        if n < 1:
            raise BadInput(tr("工作日数应为正整数：{n}", "working days must be a positive number: {n}", n=n))
        if n > MAX_WORKING_DAYS:
            raise BadInput(tr("工作日数过大（最多 {m}）：{n}", "too many working days (at most {m}): {n}",
                              m=MAX_WORKING_DAYS, n=n))
        d = t.date() if isinstance(t, dt.datetime) else t
        missing: set[int] = set()
        counted = 0
        while counted < n:
            if d >= dt.date.max:
                raise BadInput(tr("截止日期超出可计算的日期范围。", "The deadline is beyond the supported date range."))
            d += ONE_DAY
            if self.is_provisional(d):
                missing.add(d.year)
            if self.is_workday(d):
                counted += 1
        return Due(d, bool(missing), sorted(missing))

    def working_days_between(self, a: dt.date, b: dt.date) -> int:
        """R2: working days in (a, b] — e.g. by how many working days ``b`` missed due date ``a``.

        Negative when ``b`` is before ``a``; 0 when equal.
        """
        if isinstance(a, dt.datetime):
            a = a.date()
        if isinstance(b, dt.datetime):
            b = b.date()
        if b < a:
            return -self.working_days_between(b, a)
        count, d = 0, a
        while d < b:
            d += ONE_DAY
            count += self.is_workday(d)
        return count

    def provisional_years(self, a: dt.date, b: dt.date) -> list[int]:
        """Years in [a, b] without an official schedule (R1)."""
        return [y for y in range(min(a, b).year, max(a, b).year + 1) if y not in self.covered_years]

    # -------------------------------------------------------------------- listing
    def holiday_name(self, d: dt.date) -> str | None:
        name = self._names.get(d)
        if name is None:
            return None
        return tr(HOLIDAY_NAMES_ZH.get(name, name), name)

    def non_standard_days(self, year: int) -> list[DayInfo]:
        """R1: the year's official holidays and make-up working days, and every user correction."""
        out: list[DayInfo] = []
        d, end = dt.date(year, 1, 1), dt.date(year + 1, 1, 1)
        while d < end:
            official = self.official_is_workday(d)
            if d in self.corrections:
                out.append(DayInfo(d, self.corrections[d], "user", self.holiday_name(d), official))
            elif d in self.official_holidays or d in self.official_workdays:
                out.append(DayInfo(d, official, "official", self.holiday_name(d), official))
            d += ONE_DAY
        return out


def default_calendar() -> WorkCalendar:
    """The official schedule without user corrections (for tests and pure callers)."""
    return WorkCalendar.from_library()
