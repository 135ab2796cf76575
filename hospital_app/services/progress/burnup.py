"""The burn-up (R7/R8): cumulative counted purchases against the cumulative schedule, per month.

One calculation for the dashboard chart and the self-check PDF (issue 21 §3).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Iterable

from hospital_app.domain.targets import round_half_up
from hospital_app.services.progress.engine import schedule_of
from hospital_app.services.progress.model import ProgressRow


@dataclass
class BurnUp:
    labels: list[str] = field(default_factory=list)  # "2025-03", every month of the periods
    schedule: list[int] = field(default_factory=list)  # Σ round(S(month end)·V) per month (R7)
    purchased: list[int] = field(default_factory=list)  # cumulative counted purchases, up to as_of's month
    agreed: int = 0  # Σ V


def _month_ends(start: date, end: date) -> list[date]:
    out = []
    y, m = start.year, start.month
    while (y, m) <= (end.year, end.month):
        nxt = date(y + (m == 12), m % 12 + 1, 1)
        out.append(min(end, nxt - timedelta(days=1)))
        y, m = nxt.year, nxt.month
    return out


def burn_up(rows: Iterable[ProgressRow], as_of: date) -> BurnUp:
    """R7/R8 burn-up of the running periods of ``rows`` (a batch's, or all): at each month end
    the sum of the products' ``target_to_date`` (round half up of S(d)·V, capped at the period
    end), and the cumulative counted purchases (the rows' months) up to as_of's month."""
    rows = [r for r in rows if not r.ended]
    if not rows:
        return BurnUp()
    ends = _month_ends(min(r.period_start for r in rows), max(r.period_end for r in rows))
    labels = [f"{d.year}-{d.month:02d}" for d in ends]
    periods: dict[tuple[date, date], int] = defaultdict(int)
    for r in rows:  # products sharing a period still round one by one (target_to_date is per product)
        periods[(r.period_start, r.period_end, r.agreed_volume)] += 1
    schedule = [sum(n * round_half_up(schedule_of(s, e, min(d, e)) * v)
                    for (s, e, v), n in periods.items() if d >= s) for d in ends]
    monthly: dict[str, int] = defaultdict(int)
    for r in rows:
        for m in r.months:
            monthly[m.label] += m.purchased
    purchased, total = [], 0
    for label, d in zip(labels, ends):
        if d.replace(day=1) > as_of:
            break
        total += monthly.get(label, 0)
        purchased.append(total)
    return BurnUp(labels, schedule, purchased, sum(r.agreed_volume for r in rows))
