"""Payment deadlines (R5) and insurance prepayment estimates (R15). Pure."""

from __future__ import annotations

import calendar
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")


def payment_due(accepted_on: date) -> date:
    """R5: due by the last day of the month after the month of acceptance (次月底).

    2025-01-31 → 2025-02-28; 2024-01-15 → 2024-02-29; 2025-12-10 → 2026-01-31.
    """
    year, month = (accepted_on.year + 1, 1) if accepted_on.month == 12 else (accepted_on.year, accepted_on.month + 1)
    return date(year, month, calendar.monthrange(year, month)[1])


def is_payment_overdue(due: date, paid_on: date | None, as_of: date) -> bool:
    """R5: unpaid after the due date (a payment on the due date is in time)."""
    return paid_on is None and as_of > due


def is_paid_late(due: date, paid_on: date | None) -> bool:
    """R5 v2: paid, but after the due date (``paid_late``)."""
    return paid_on is not None and paid_on > due


def overdue_accepted_before(as_of: date) -> date:
    """R5: deliveries accepted before this day are past due on ``as_of`` (when unpaid).

    Due = end of the month after acceptance, so a delivery accepted in month m is overdue
    from the first day of month m + 2: the bound is the first day of the month before
    ``as_of``'s month. 2025-03-01 → 2025-02-01 (accepted 01-31 is overdue, 02-01 is not).
    """
    year, month = (as_of.year - 1, 12) if as_of.month == 1 else (as_of.year, as_of.month - 1)
    return date(year, month, 1)


def allocate(amount: Decimal, outstanding: list[Decimal]) -> list[Decimal]:
    """R5 v2: spread one payment over a delivery's lines in order, filling each line's
    outstanding amount before the next. ``amount`` must not exceed the total outstanding."""
    left = Decimal(amount)
    if left > sum(outstanding, Decimal(0)):
        raise ValueError("payment exceeds the outstanding amount")
    out = []
    for owed in outstanding:
        part = min(left, max(owed, Decimal(0)))
        out.append(part)
        left -= part
    return out


def prepayment_estimate(agreed_amount: Decimal, rate: Decimal) -> Decimal:
    """R15: estimated insurance prepayment = annual agreed amount (V × selected price) × rate."""
    return (Decimal(agreed_amount) * Decimal(rate)).quantize(CENT, rounding=ROUND_HALF_UP)


def money(value: Decimal | None) -> str:
    """An amount as the decimal string of CLI.md ("1234.50")."""
    return str(Decimal(value or 0).quantize(CENT, rounding=ROUND_HALF_UP))
