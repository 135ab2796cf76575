"""R7 monthly targets and time schedule (DOMAIN.md worked example), R6 agreement years."""

from __future__ import annotations

from datetime import date
from fractions import Fraction

import pytest

from hospital_app.domain.targets import (
    agreement_years,
    largest_remainder,
    month_weights,
    monthly_targets,
    round_half_up,
    schedule,
    target_to_date,
)

S, E = date(2024, 9, 20), date(2025, 9, 19)


def test_r7_weights_of_worked_example():
    """GIVEN the R7 example period WHEN weighting months THEN Sep 2024 = 11/30, full months 1, Sep 2025 = 19/30, Σw = 12."""
    w = month_weights(S, E)
    assert w[0] == (2024, 9, Fraction(11, 30))
    assert all(x[2] == 1 for x in w[1:-1]) and len(w) == 13
    assert w[-1] == (2025, 9, Fraction(19, 30))
    assert sum(x[2] for x in w) == 12


def test_r7_targets_of_worked_example():
    """GIVEN V = 12 000 WHEN spreading THEN 367, 1 000 × 11, 633 and Σ = V."""
    targets = [t.target for t in monthly_targets(S, E, 12000)]
    assert targets == [367] + [1000] * 11 + [633]
    assert sum(targets) == 12000


def test_r7_month_targets_carry_their_days_key_and_label_and_cannot_be_changed():
    """GIVEN the example period WHEN spreading V = 12 000 THEN each month carries its days inside the
    period, its weight, its (year, month) key and its "YYYY-MM" label (the first and last months
    cut at the period's ends); and a month target cannot be changed in place (the targets of a
    period are cached and shared by every product with the same volume, issue 21)."""
    first, *_, last = monthly_targets(S, E, 12000)
    assert (first.first_day, first.last_day, first.weight, first.key, first.label, first.target) == \
        (date(2024, 9, 20), date(2024, 9, 30), Fraction(11, 30), (2024, 9), "2024-09", 367)
    assert (last.first_day, last.last_day, last.weight, last.key, last.label, last.target) == \
        (date(2025, 9, 1), date(2025, 9, 19), Fraction(19, 30), (2025, 9), "2025-09", 633)
    with pytest.raises(AttributeError):
        first.target = 0


def test_r7_schedule_and_target_to_date_on_2025_03_31():
    """GIVEN the example WHEN d = 2025-03-31 THEN S = 6.3667/12 = 53.06 % and target_to_date = 6 367."""
    s = schedule(S, E, date(2025, 3, 31))
    assert s == (Fraction(11, 30) + 6) / 12
    assert round(float(s) * 100, 2) == 53.06
    assert target_to_date(S, E, 12000, date(2025, 3, 31)) == 6367


def test_r7_schedule_counts_day_d_inclusive_and_clamps():
    """GIVEN the example WHEN d is the first day / before / after THEN 1/30/12, 0 and 1."""
    assert schedule(S, E, S) == Fraction(1, 30) / 12
    assert schedule(S, E, date(2024, 9, 19)) == 0
    assert schedule(S, E, E) == 1
    assert schedule(S, E, date(2026, 1, 1)) == 1


def test_r7_largest_remainder_ties_go_to_the_earlier_month():
    """GIVEN 10 over three equal months WHEN rounding THEN the extra unit goes to the first (4, 3, 3)."""
    assert largest_remainder(10, [Fraction(1)] * 3) == [4, 3, 3]
    assert largest_remainder(2, [Fraction(1)] * 4) == [1, 1, 0, 0]


def test_r7_targets_always_sum_to_v():
    """GIVEN odd periods and volumes WHEN spreading THEN Σ T_m = V every time."""
    for v in (0, 1, 7, 999, 12001, 123457):
        for s, e in ((date(2024, 1, 31), date(2024, 3, 1)), (date(2024, 2, 29), date(2025, 2, 28)), (S, E)):
            assert sum(t.target for t in monthly_targets(s, e, v)) == v


def test_round_half_up():
    """GIVEN .5 fractions WHEN rounding THEN half goes up (not banker's rounding), away from zero for
    negatives; whole numbers stay; computed in integers (issue 21), the values are those of
    floor(x + 1/2) and −floor(−x + 1/2)."""
    assert round_half_up(Fraction(5, 2)) == 3
    assert round_half_up(Fraction(7, 2)) == 4
    assert round_half_up(Fraction(249, 100)) == 2
    assert round_half_up(Fraction(251, 100)) == 3
    assert (round_half_up(Fraction(-5, 2)), round_half_up(Fraction(-249, 100)), round_half_up(Fraction(-251, 100))) == (
        -3, -2, -3)
    assert (round_half_up(7), round_half_up(-7), round_half_up(0)) == (7, -7, 0)
    assert round_half_up(Fraction(6367, 1)) == 6367 and round_half_up(Fraction(12000 * 6367, 12000)) == 6367


def test_progress_ratios_round_half_up_to_four_places():
    """CLI.md ratios: GIVEN 5 000 / 12 000 = 0.416666…, 1/8 = 0.125, 1/20000 = 0.00005 and −1/20000
    WHEN written for output THEN 0.4167, 0.125, 0.0001 (half up) and −0.0001; None stays None."""
    from hospital_app.services.progress.model import ratio4

    assert [ratio4(Fraction(5000, 12000)), ratio4(Fraction(1, 8)), ratio4(Fraction(1, 20000)),
            ratio4(Fraction(-1, 20000)), ratio4(None)] == [0.4167, 0.125, 0.0001, -0.0001, None]


def test_r6_agreement_years_follow_the_execution_start():
    """GIVEN execution start 2024-09-20 and a two-year cycle WHEN splitting THEN yearly periods ending the day before."""
    assert agreement_years(S, date(2026, 9, 19)) == [(S, E), (date(2025, 9, 20), date(2026, 9, 19))]


def test_r7_rejects_an_inverted_period():
    with pytest.raises(ValueError):
        monthly_targets(E, S, 10)
