"""The burn-up (R7/R8): cumulative counted purchases against the cumulative schedule, per month.

One calculation for the dashboard chart and the self-check PDF (issue 21 §3).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from fractions import Fraction
from typing import Iterable

from hospital_app.domain.targets import half_up_quotient
from hospital_app.services.progress.engine import schedule_of
from hospital_app.services.progress.model import ProgressRow
from hospital_app.services.progress.weights import PRODUCTS, Weights, exact_sum


@dataclass
class BurnUp:
    labels: list[str] = field(default_factory=list)  # "2025-03", every month of the periods
    schedule: list[float] = field(default_factory=list)  # Σ w·round(S(month end)·V) per month (R7)
    purchased: list[float] = field(default_factory=list)  # cumulative Σ w·counted purchases, up to as_of's month
    agreed: float = 0.0  # Σ w·V
    weighting: str = ""  # weights.AMOUNT (元) or weights.PRODUCTS


def _month_ends(start: date, end: date) -> list[date]:
    out = []
    y, m = start.year, start.month
    while (y, m) <= (end.year, end.month):
        nxt = date(y + (m == 12), m % 12 + 1, 1)
        out.append(min(end, nxt - timedelta(days=1)))
        y, m = nxt.year, nxt.month
    return out


def burn_up(rows: Iterable[ProgressRow], as_of: date, weights: Weights) -> BurnUp:
    """R7/R8 burn-up of the running periods of ``rows`` (a batch's, or all), in ``weights``
    (money at the selected price; a batch mixes units, issue 20): at each month end the sum of
    the products' weighted ``target_to_date`` (round half up of S(d)·V, capped at the period
    end), and the weighted cumulative counted purchases (the rows' months) up to as_of's month."""
    rows = [r for r in rows if not r.ended]
    if not rows:
        return BurnUp(weighting=weights.kind)
    ends = _month_ends(min(r.period_start for r in rows), max(r.period_end for r in rows))
    labels = [f"{d.year}-{d.month:02d}" for d in ends]
    periods: dict[tuple[date, date, int], Fraction] = defaultdict(Fraction)
    for r in rows:  # products sharing a period still round one by one (target_to_date is per product)
        periods[(r.period_start, r.period_end, r.agreed_volume)] += weights.of(r)
    schedule = []
    for d in ends:  # Σ w·round(S·V) exactly, numerators added per denominator (no Fraction per term)
        terms = []
        for (s, e, v), w in periods.items():
            if d >= s:
                at = schedule_of(s, e, min(d, e))
                terms.append((w.numerator * half_up_quotient(at.numerator * v, at.denominator), w.denominator))
        schedule.append(float(exact_sum(terms)))
    monthly: dict[str, list[tuple[int, int]]] = defaultdict(list)
    for r in rows:
        w = weights.of(r)
        for m in r.months:
            monthly[m.label].append((w.numerator * m.purchased, w.denominator))
    purchased, total = [], Fraction(0)
    for label, d in zip(labels, ends):
        if d.replace(day=1) > as_of:
            break
        total += exact_sum(monthly.get(label, ()))
        purchased.append(float(total))
    agreed = float(sum((weights.of(r) * r.agreed_volume for r in rows), Fraction(0)))
    if weights.kind == PRODUCTS and agreed:  # the products' average completion: 1.0 = every volume bought
        schedule, purchased = [v / agreed for v in schedule], [v / agreed for v in purchased]
        agreed = 1.0
    return BurnUp(labels, schedule, purchased, agreed, weights.kind)
