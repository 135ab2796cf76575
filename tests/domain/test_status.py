"""R8 completion and status, with the severe-gap policy; "not yet in hospital" from the 3rd month."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from fractions import Fraction

from hospital_app.domain import status as st
from hospital_app.domain.targets import schedule

S, E = date(2024, 9, 20), date(2025, 9, 19)
S_0331 = schedule(S, E, date(2025, 3, 31))  # 53.06 %


def test_r8_statuses_at_2025_03_31():
    """GIVEN V = 12 000 and S = 53.06 % WHEN assessing purchases THEN the R8 ladder."""
    assert st.assess(12000, 12000, S_0331) == st.COMPLETED
    assert st.assess(6367, 12000, S_0331) == st.ON_TRACK  # 53.058 % ≥ 53.056 %
    assert st.assess(6366, 12000, S_0331) == st.BEHIND
    assert st.assess(5168, 12000, S_0331) == st.BEHIND  # 43.07 % ≥ 43.06 %
    assert st.assess(5000, 12000, S_0331) == st.SEVERELY_BEHIND  # 41.67 % < 43.06 %
    assert st.assess(0, 12000, S_0331) == st.NOT_STARTED


def test_r8_severe_gap_is_a_policy():
    """GIVEN a 20-point gap setting WHEN 41.67 % vs 53.06 % THEN only behind."""
    assert st.assess(5000, 12000, S_0331, severe_gap=Decimal("0.20")) == st.BEHIND


def test_r8_exempt_wins_and_nothing_due_is_not_not_started():
    """GIVEN an exemption THEN exempt; GIVEN S = 0 and no purchase THEN on track, not not_started."""
    assert st.assess(0, 12000, S_0331, exempt=True) == st.EXEMPT
    assert st.assess(0, 12000, Fraction(0)) == st.ON_TRACK


def test_r8_completed_even_before_the_schedule_ends():
    assert st.assess(12500, 12000, Fraction(1, 2)) == st.COMPLETED


def test_r8_shortfall_never_negative():
    """R8 v2: ⌈S·V − counted⌉ — the R7 example: S = 191/360, V = 12 000 → S·V = 6 366.67; 5 000 bought → 1 367."""
    s = Fraction(191, 360)
    assert st.shortfall(s, 12000, 5000) == 1367
    assert st.shortfall(s, 12000, 7000) == 0


def test_r8_shortfall_is_the_ceiling_of_the_exact_gap_at_every_edge():
    """R8 v2: shortfall = max(0, ⌈S·V − counted⌉), computed in integers: on a grid of schedules (0, 1,
    thirds, 191/360, 1/7 …), volumes (0, 1, 7, 12 000) and counts (negative after returns, 0, exactly
    S·V, one unit either side, above V) it equals the same formula in Fractions; S·V = 6 366.67 with
    6 366 bought → 1, with 6 367 → 0; an integer S·V (S = 1/2, V = 12 000) with 6 000 bought → 0."""
    import math

    for s in (Fraction(0), Fraction(1), Fraction(1, 3), Fraction(2, 3), Fraction(191, 360), Fraction(1, 7)):
        for v in (0, 1, 7, 12000):
            exact = s * v
            for counted in (-5, 0, math.floor(exact) - 1, math.floor(exact), math.ceil(exact),
                            math.ceil(exact) + 1, v + 3):
                assert st.shortfall(s, v, counted) == max(0, math.ceil(exact - counted)), (s, v, counted)
    assert (st.shortfall(Fraction(191, 360), 12000, 6366), st.shortfall(Fraction(191, 360), 12000, 6367)) == (1, 0)
    assert st.shortfall(Fraction(1, 2), 12000, 6000) == 0
    assert st.shortfall(Decimal("0.5"), 12000, 5999) == 1  # a Decimal schedule is taken exactly


def _assess_in_fractions(purchased, volume, schedule, gap, exempt):
    """R8 as the rule book states it, in Fractions: the reference for the integer comparisons."""
    if exempt:
        return st.EXEMPT
    if purchased <= 0 and schedule > 0 and volume > 0:
        return st.NOT_STARTED
    c = Fraction(1) if volume <= 0 else Fraction(purchased, volume)
    if c >= 1:
        return st.COMPLETED
    if c >= schedule:
        return st.ON_TRACK
    if c < schedule - Fraction(gap):
        return st.SEVERELY_BEHIND
    return st.BEHIND


def test_r8_status_and_failed_reasons_equal_the_fraction_formulas_at_every_edge():
    """R8 / R8 v2: on a grid of schedules (0, 1/7, 191/360, 1/2, 1), severe gaps (0.10, 0.20, 0),
    volumes (0, 1, 7, 12 000) and purchases (negative after returns, 0, the exact schedule and
    severe-gap boundaries and one unit either side, V, above V), with and without an exemption,
    the status equals the rule computed in Fractions, and an ended period fails on completion
    exactly when C < 100 % and it is not exempt."""
    import math

    for s in (Fraction(0), Fraction(1, 7), Fraction(191, 360), Fraction(1, 2), Fraction(1)):
        for gap in (Decimal("0.10"), Decimal("0.20"), Fraction(0)):
            for v in (0, 1, 7, 12000):
                edges = {math.floor(s * v), math.ceil(s * v), math.floor((s - Fraction(gap)) * v),
                         math.ceil((s - Fraction(gap)) * v)}
                for p in {-3, 0, v, v + 1, *edges, *(e - 1 for e in edges), *(e + 1 for e in edges)}:
                    for exempt in (False, True):
                        assert st.assess(p, v, s, severe_gap=gap, exempt=exempt) == \
                            _assess_in_fractions(p, v, s, gap, exempt), (p, v, s, gap, exempt)
                        c = Fraction(1) if v <= 0 else Fraction(p, v)
                        reasons = st.failed_reasons(True, p, v, exempt=exempt, share_over=False)
                        assert (st.FAILED_COMPLETION in reasons) == (not exempt and c < 1), (p, v, exempt)


def test_r8_not_in_hospital_from_the_third_month_of_execution():
    """GIVEN execution from 2024-09-20 WHEN the 3rd month starts THEN 2024-11-20; from the 1st → 2 months later."""
    assert st.not_in_hospital_alert_from(S) == date(2024, 11, 20)
    assert st.not_in_hospital_alert_from(date(2025, 1, 1)) == date(2025, 3, 1)
    assert st.not_in_hospital_alert_from(date(2024, 12, 31)) == date(2025, 2, 28)


def test_r8_thresholds_at_exact_equality():
    """GIVEN S(d) = 1/2 and V = 1 000 WHEN C = S exactly THEN on track; C = S − 10 points exactly THEN behind,
    not severely; one unit less THEN severely behind; C = 100 % exactly THEN completed (R8)."""
    half = Fraction(1, 2)
    assert st.assess(500, 1000, half) == st.ON_TRACK
    assert st.assess(499, 1000, half) == st.BEHIND
    assert st.assess(400, 1000, half) == st.BEHIND
    assert st.assess(399, 1000, half) == st.SEVERELY_BEHIND
    assert st.assess(1000, 1000, Fraction(9, 10)) == st.COMPLETED


def test_r8_not_started_on_the_first_day_and_after_returns_only():
    """GIVEN the start day (S = 1/30 ÷ 12 > 0) and no purchase, or only a return, WHEN assessing THEN not_started."""
    s_start = schedule(S, E, S)
    assert s_start == Fraction(1, 30) / 12
    assert st.assess(0, 12000, s_start) == st.NOT_STARTED
    assert st.assess(-20, 12000, s_start) == st.NOT_STARTED
