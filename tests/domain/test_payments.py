"""R5 payment due dates and R15 prepayment estimates (DOMAIN.md worked examples)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from hospital_app.domain.payments import is_payment_overdue, money, payment_due, prepayment_estimate


@pytest.mark.parametrize(("accepted", "due"), [
    (date(2025, 1, 31), date(2025, 2, 28)),   # R5 worked example
    (date(2024, 1, 15), date(2024, 2, 29)),   # R5 worked example, leap year
    (date(2025, 12, 10), date(2026, 1, 31)),  # December → end of January next year
    (date(2025, 12, 31), date(2026, 1, 31)),
    (date(2025, 3, 1), date(2025, 4, 30)),
    (date(2025, 8, 31), date(2025, 9, 30)),
])
def test_r5_due_is_end_of_next_month(accepted, due):
    """GIVEN a delivery accepted on a date WHEN computing the payment due (R5) THEN the last day of the next month."""
    assert payment_due(accepted) == due


def test_r5_overdue_only_after_the_due_day_and_only_unpaid():
    """GIVEN due 2025-02-28 (R5) THEN unpaid is overdue from 03-01, not on 02-28; a payment clears it."""
    due = date(2025, 2, 28)
    assert not is_payment_overdue(due, None, date(2025, 2, 28))
    assert is_payment_overdue(due, None, date(2025, 3, 1))
    assert not is_payment_overdue(due, date(2025, 2, 20), date(2025, 3, 1))


def test_r15_prepayment_estimate_is_exact_decimal():
    """GIVEN V = 12 000 tablets at 0.0123 元 and rate 50 % (R15) THEN 73.80 元, exact Decimal."""
    agreed = Decimal(12000) * Decimal("0.0123")
    assert prepayment_estimate(agreed, Decimal("0.50")) == Decimal("73.80")
    assert prepayment_estimate(Decimal("1000.05"), Decimal("0.30")) == Decimal("300.02")  # 300.015 half up
    assert money(Decimal("1234.5")) == "1234.50" and money(None) == "0.00"
