"""R6 v2 (pure): the previous-year comparison per month and the pro-rated extension volume."""

from __future__ import annotations

from datetime import date

from hospital_app.domain.periods import AgreedPeriod, below_previous_year, prorated_volume

Y1 = AgreedPeriod(date(2024, 9, 20), date(2025, 9, 19), 12000)


def test_r6_prorated_extension_volume():
    """GIVEN V = 12 000 over 2024-09-20..2025-09-19 (Σw = 12) WHEN extended 2025-09-20..2026-03-31
    (w = 11/30 + 6) THEN 12 000 × 6.3667 / 12 = 6 366.67 → 6 367; to 2026-03-19 (w = 11/30 + 5 + 19/31
    = 5.97957) → 5 979.57 → 5 980 (R6, R7 weights, half up)."""
    assert prorated_volume(12000, Y1.start, Y1.end, date(2025, 9, 20), date(2026, 3, 31)) == 6367
    assert prorated_volume(12000, Y1.start, Y1.end, date(2025, 9, 20), date(2026, 3, 19)) == 5980


def test_r6_equal_years_compare_volumes_to_the_previous_not_the_first():
    """GIVEN years of 12 000, 13 000, 12 500 (equal lengths) WHEN compared THEN only the 3rd is below — it is
    below the PREVIOUS year's 13 000, although above the first year's 12 000 (R6 v2)."""
    y2 = AgreedPeriod(date(2025, 9, 20), date(2026, 9, 19), 13000)
    y3 = AgreedPeriod(date(2026, 9, 20), date(2027, 9, 19), 12500)
    assert below_previous_year([y3, Y1, y2]) == [(y3, y2, 13000)]


def test_r6_extension_compared_per_month():
    """GIVEN year 2 of 11 999 (2025-09-20..2026-09-19) and an extension 2026-09-20..2027-03-19 (w = 5.97957)
    WHEN the extension holds 5 979 (= 11 999 × 5.97957 / 12 = 5 979.07, whole units) THEN no warning; with
    5 978 or 5 900 THEN a warning naming the equivalent 5 979; the extension's 5 979 is not compared with the
    first year's 12 000 unprorated (R6 v2)."""
    y2 = AgreedPeriod(date(2025, 9, 20), date(2026, 9, 19), 11999)
    ext = AgreedPeriod(date(2026, 9, 20), date(2027, 3, 19), 5979, True)
    assert below_previous_year([Y1, y2, ext]) == [(y2, Y1, 12000)]
    low = AgreedPeriod(date(2026, 9, 20), date(2027, 3, 19), 5978, True)
    assert below_previous_year([y2, low]) == [(low, y2, 5979)]
