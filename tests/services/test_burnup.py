"""R7/R8 burn-up (``services.progress.burnup``), the self-check's chart per batch — hand-computed.

Two products of one batch, agreement period 2025-01-01..2025-03-31 (three whole months, Σw = 3):
P1 V = 300 at 2 元, P2 V = 100 at 0.5 元. Scheduled round-half-up S(month end)·V: P1 100, 200,
300; P2 33 (33.3), 67 (66.7), 100. Bought: P1 90 in January and 120 in February, P2 50 in January.
"""

from __future__ import annotations

from datetime import date
from fractions import Fraction

import pytest

from hospital_app.services.progress.burnup import burn_up
from hospital_app.services.progress.model import MonthFigure, ProgressRow
from hospital_app.services.progress.weights import AMOUNT, PRODUCTS, Weights

START, END = date(2025, 1, 1), date(2025, 3, 31)
MONTHS = [("2025-01", date(2025, 1, 1), date(2025, 1, 31)), ("2025-02", date(2025, 2, 1), date(2025, 2, 28)),
          ("2025-03", date(2025, 3, 1), date(2025, 3, 31))]


def _row(pid: int, volume: int, bought: list[int]) -> ProgressRow:
    months = [MonthFigure(label, first, last, 0, qty) for (label, first, last), qty in zip(MONTHS, bought)]
    return ProgressRow(pid, "第九批", "药", None, None, None, None, START, END, volume, 0, sum(bought),
                       Fraction(0), Fraction(0), "on_track", 0, Fraction(0), months=months)


ROWS = [_row(1, 300, [90, 120, 0]), _row(2, 100, [50, 0, 0])]


def test_r7_burn_up_in_money_adds_each_products_rounded_schedule_and_purchases():
    """GIVEN money weights (2 元, 0.5 元) WHEN the burn-up is drawn as of 2025-02-15 THEN the schedule
    at each month end is Σ price·round(S·V) = 2·100 + 0.5·33 = 216.5, 2·200 + 0.5·67 = 433.5,
    2·300 + 0.5·100 = 650; the purchases are cumulative up to as_of's month: 2·90 + 0.5·50 = 205,
    then + 2·120 = 445 (March not yet begun); agreed = 650 元."""
    b = burn_up(ROWS, date(2025, 2, 15), Weights(AMOUNT, {1: Fraction(2), 2: Fraction(1, 2)}))
    assert b.labels == ["2025-01", "2025-02", "2025-03"]
    assert b.schedule == [216.5, 433.5, 650.0]
    assert b.purchased == [205.0, 445.0]
    assert b.agreed == 650.0 and b.weighting == AMOUNT


def test_r7_burn_up_by_products_is_the_average_completion():
    """GIVEN equal product weights (each product's units ÷ its V) WHEN drawn as of 2025-03-31 THEN
    the schedule is the products' average scheduled share: (100/300 + 33/100) / 2 in January,
    (200/300 + 67/100) / 2 in February, 1.0 at the end; purchases (90/300 + 50/100) / 2 = 0.4, then
    + 120/300 / 2 = 0.6, and March adds nothing; agreed = 1.0."""
    b = burn_up(ROWS, date(2025, 3, 31), Weights(PRODUCTS, {1: Fraction(1, 300), 2: Fraction(1, 100)}))
    assert b.schedule == pytest.approx([(1 / 3 + 0.33) / 2, (2 / 3 + 0.67) / 2, 1.0], abs=1e-12)
    assert b.purchased == pytest.approx([0.4, 0.6, 0.6], abs=1e-12)
    assert b.agreed == 1.0 and b.weighting == PRODUCTS
