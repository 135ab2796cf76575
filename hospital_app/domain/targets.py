"""R7: agreed volume evenly spread over the months of an agreement period.

All arithmetic is exact (``Fraction``); only the final targets are whole base units.

- ``month_weights(s, e)``: w_m = (days of month m inside [s, e]) / (days in m).
- ``monthly_targets(s, e, V)``: T_m = V × w_m / Σw, whole units by largest remainder
  (Σ T_m = V, ties to the earlier month).
- ``schedule(s, e, d)``: S(d) = Σ w_m(d) / Σw, counting days up to d inclusive.
- ``target_to_date(s, e, V, d)``: round half up of S(d) × V (CLI.md ``target_to_date``).

Worked example (DOMAIN.md R7): V = 12 000, period 2024-09-20..2025-09-19 →
targets 367, 1 000 × 11, 633; S(2025-03-31) = 6.3667 / 12 = 53.06 %, target 6 367.
"""

from __future__ import annotations

import calendar
import math
from datetime import date, timedelta
from fractions import Fraction
from functools import lru_cache
from typing import NamedTuple


class MonthTarget(NamedTuple):
    """One calendar month of a period: its weight and whole-unit target (R7).

    A named tuple (immutable, like the frozen dataclass it was): a progress pass makes one per
    month of each of 2 000 products, and a frozen dataclass cost 1 µs apiece to build (issue 21)."""

    year: int
    month: int
    first_day: date  # first day of the month inside the period
    last_day: date  # last day of the month inside the period
    weight: Fraction
    target: int
    key: tuple[int, int] = (0, 0)  # (year, month), filled in by monthly_targets
    label: str = ""  # "2025-03"


def days_in_month(year: int, month: int) -> int:
    return calendar.monthrange(year, month)[1]


def _months(start: date, end: date):
    """(year, month, first day inside, last day inside) for every month overlapping [start, end]."""
    y, m = start.year, start.month
    while (y, m) <= (end.year, end.month):
        month_first = date(y, m, 1)
        month_last = date(y, m, days_in_month(y, m))
        yield y, m, max(start, month_first), min(end, month_last)
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)


def _check(start: date, end: date) -> None:
    if end < start:
        raise ValueError(f"period end {end} before start {start}")


def month_weights(start: date, end: date, upto: date | None = None) -> list[tuple[int, int, Fraction]]:
    """R7: w_m for every month overlapping [start, end]; with ``upto``, w_m(d) (days ≤ d only)."""
    _check(start, end)
    out = []
    for y, m, first, last in _months(start, end):
        if upto is not None:
            last = min(last, upto)
        days = (last - first).days + 1 if last >= first else 0
        out.append((y, m, Fraction(days, days_in_month(y, m))))
    return out


@lru_cache(maxsize=4096)
def total_weight(start: date, end: date) -> Fraction:
    """R7: Σw of a period (cached: the R6 check weighs the same few periods thousands of times)."""
    return sum((w for _, _, w in month_weights(start, end)), Fraction(0))


def largest_remainder(total: int, weights: list[Fraction]) -> list[int]:
    """R7: whole parts of total × w / Σw that add up to ``total``; ties go to the earlier item.

    Exact integer arithmetic: the weights are scaled to a common denominator first.
    """
    if total < 0:
        raise ValueError("total must not be negative")
    common = math.lcm(*(w.denominator for w in weights)) if weights else 1
    scaled = [w.numerator * (common // w.denominator) for w in weights]
    sum_w = sum(scaled)
    if sum_w == 0:
        return [0] * len(weights)
    parts = [divmod(total * w, sum_w) for w in scaled]
    floors = [q for q, _ in parts]
    left = total - sum(floors)
    # Largest remainder first; equal remainders: the earlier month first (stable index).
    order = sorted(range(len(parts)), key=lambda i: (-parts[i][1], i))
    for i in order[:left]:
        floors[i] += 1
    return floors


@lru_cache(maxsize=1024)
def period_months(start: date, end: date) -> tuple[tuple[int, int, date, date, Fraction], ...]:
    """R7: (year, month, first day inside, last day inside, w_m) of every month of [start, end] (cached)."""
    _check(start, end)
    return tuple((y, m, first, last, Fraction((last - first).days + 1, days_in_month(y, m)))
                 for y, m, first, last in _months(start, end))


@lru_cache(maxsize=1024)
def _scaled_weights(start: date, end: date) -> tuple[tuple[int, ...], int]:
    weights = [w for *_, w in period_months(start, end)]
    common = math.lcm(*(w.denominator for w in weights))
    scaled = tuple(w.numerator * (common // w.denominator) for w in weights)
    return scaled, sum(scaled)


def monthly_target_values(start: date, end: date, agreed_volume: int) -> list[int]:
    """R7: just the whole-unit targets T_m, month by month (fast path for many products).

    Same arithmetic as ``largest_remainder`` with the period's weights scaled once.
    """
    total = int(agreed_volume)
    if total < 0:
        raise ValueError("total must not be negative")
    scaled, sum_w = _scaled_weights(start, end)
    parts = [divmod(total * w, sum_w) for w in scaled]
    floors = [q for q, _ in parts]
    left = total - sum(floors)
    if left:
        for i in sorted(range(len(parts)), key=lambda i: (-parts[i][1], i))[:left]:
            floors[i] += 1
    return floors


@lru_cache(maxsize=1024)
def _labelled_months(start: date, end: date) -> tuple[tuple[int, int, date, date, Fraction, tuple[int, int], str], ...]:
    """``period_months`` with each month's key and label (cached: made once per period)."""
    return tuple((y, m, first, last, w, (y, m), f"{y:04d}-{m:02d}") for y, m, first, last, w in period_months(start, end))


def monthly_targets(start: date, end: date, agreed_volume: int) -> list[MonthTarget]:
    """R7: monthly targets of a period [start, end] (inclusive) with agreed volume V."""
    targets = monthly_target_values(start, end, agreed_volume)
    return [MonthTarget(y, m, first, last, w, t, key, label)
            for (y, m, first, last, w, key, label), t in zip(_labelled_months(start, end), targets)]


def schedule(start: date, end: date, d: date) -> Fraction:
    """R7: time-schedule progress S(d) = Σ w_m(d) / Σw (d inclusive); 0 before, 1 after the period."""
    _check(start, end)
    if d < start:
        return Fraction(0)
    if d >= end:
        return Fraction(1)
    done = sum((w for _, _, w in month_weights(start, end, upto=d)), Fraction(0))
    return done / total_weight(start, end)


def round_half_up(value: Fraction) -> int:
    """Round a non-negative or negative Fraction to the nearest integer, .5 away from zero."""
    if not isinstance(value, (int, Fraction)):
        value = Fraction(value)
    return half_up_quotient(value.numerator, value.denominator)


def half_up_quotient(n: int, d: int) -> int:
    """n / d (d > 0) rounded to the nearest integer, .5 away from zero — in integers:
    floor(n/d + 1/2) = (2n + d) // 2d, without a Fraction (issue 21: thousands per progress pass)."""
    if n < 0:
        return -((2 * -n + d) // (2 * d))
    return (2 * n + d) // (2 * d)


def target_to_date(start: date, end: date, agreed_volume: int, d: date) -> int:
    """R7/CLI.md: round half up of S(d) × V."""
    return round_half_up(schedule(start, end, d) * int(agreed_volume))


def add_years(d: date, years: int) -> date:
    """Same day ``years`` later (29 Feb → 28 Feb)."""
    try:
        return d.replace(year=d.year + years)
    except ValueError:
        return d.replace(year=d.year + years, day=28)


def add_months(d: date, months: int) -> date:
    """Same day ``months`` later, clamped to the month's last day."""
    index = d.year * 12 + (d.month - 1) + months
    y, m = divmod(index, 12)
    return date(y, m + 1, min(d.day, days_in_month(y, m + 1)))


def agreement_years(execution_start: date, cycle_end: date) -> list[tuple[date, date]]:
    """R6: one agreement year after another from the execution start, the last one cut at the cycle end.

    2024-09-20 with cycle end 2026-09-19 → (2024-09-20, 2025-09-19), (2025-09-20, 2026-09-19).
    """
    _check(execution_start, cycle_end)
    out = []
    s = execution_start
    k = 1
    while s <= cycle_end:
        e = min(add_years(execution_start, k) - timedelta(days=1), cycle_end)
        out.append((s, e))
        s = e + timedelta(days=1)
        k += 1
    return out
