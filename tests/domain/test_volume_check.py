"""R13: change against the baseline, thresholds, spec key, trend (pure rules)."""

from __future__ import annotations

from datetime import date
from fractions import Fraction

import pytest

from hospital_app.domain import volume_check as vc


# ----------------------------------------------------------------- thresholds (R13)


def test_r13_worked_example_decrease_of_a_third():
    """GIVEN baseline 1200 and reported 800 (CLI.md example)
    WHEN checked THEN change is exactly −1/3, output −0.3333, reason decrease_over_20."""
    v = vc.check(1200, 800)
    assert v.change == Fraction(-1, 3)
    assert v.change_rounded() == -0.3333
    assert v.needs_explanation is True
    assert v.reason == vc.DECREASE_OVER_20


@pytest.mark.parametrize("reported, needs, reason", [
    (800, False, None),                    # exactly −20 %: no note
    (799, True, vc.DECREASE_OVER_20),      # one unit beyond
    (2500, False, None),                   # exactly +150 %: no note
    (2501, True, vc.INCREASE_OVER_150),    # one unit beyond
    (1000, False, None),
    (0, True, vc.DECREASE_OVER_20),        # reporting nothing is a −100 % change
])
def test_r13_thresholds_are_strict(reported, needs, reason):
    """GIVEN baseline 1000 WHEN reported is at or one unit beyond a threshold
    THEN only strictly beyond −20 % / +150 % needs an explanation (R13)."""
    v = vc.check(1000, reported)
    assert (v.needs_explanation, v.reason) == (needs, reason)


def test_r13_thresholds_are_exact_not_float():
    """GIVEN baselines of any size, where floats would round (10**15)
    WHEN the report is exactly −20 % / +150 % THEN no note; one unit beyond THEN a note."""
    assert vc.check(5, 4).needs_explanation is False
    assert vc.check(10**15, 8 * 10**14).needs_explanation is False
    assert vc.check(10**15, 8 * 10**14 - 1).needs_explanation is True
    assert vc.check(2, 5).needs_explanation is False  # exactly +150 %


def test_r13_zero_baseline_with_report_is_no_history():
    """GIVEN no purchases in the baseline year WHEN a positive volume is reported
    THEN a note is needed with reason no_history and there is no ratio."""
    v = vc.check(0, 1)
    assert (v.needs_explanation, v.reason, v.change) == (True, vc.NO_HISTORY, None)
    assert v.change_rounded() is None


def test_r13_zero_baseline_and_zero_report_needs_nothing():
    """GIVEN nothing bought and nothing reported THEN no note (nothing to explain)."""
    v = vc.check(0, 0)
    assert (v.needs_explanation, v.reason) == (False, None)


def test_r13_net_negative_baseline_counts_as_no_history():
    """GIVEN returns exceeding purchases (net −5) WHEN 100 reported THEN no_history."""
    assert vc.check(-5, 100).reason == vc.NO_HISTORY


def test_round_ratio_is_half_up():
    """Output rounding only: 1/8 = 0.125 → 0.13 at 2 places (half up, not banker's)."""
    assert vc.round_ratio(Fraction(1, 8), 2) == 0.13
    assert vc.round_ratio(Fraction(-1, 8), 2) == -0.13


def test_format_percent():
    assert vc.format_percent(Fraction(-1, 3)) == "-33.33%"
    assert vc.format_percent(Fraction(3, 2)) == "+150.00%"
    assert vc.format_percent(None) == "—"


# ---------------------------------------------------------------------- spec key


@pytest.mark.parametrize("a, b", [
    ("0.25g", "250mg"),
    ("０．２５Ｇ", "250 mg"),          # full-width and spaces
    (" 0.25 克 ", "250毫克"),
    ("500μg", "0.5mg"),
    ("500ug", "0.5 mg"),
    ("500mcg", "0.5mg"),
    ("5ml:0.1g", "5ML:100mg"),
    ("0.1L", "100ml"),
    ("10mg×7片", "10mg*7片"),
])
def test_spec_key_same_spec(a, b):
    """R13 decision: mass and volume amounts compare in mg / ml, so these are one spec."""
    assert vc.spec_key(a) == vc.spec_key(b)


@pytest.mark.parametrize("a, b", [
    ("0.25g", "0.5g"),
    ("10mg", "10ml"),
    ("10mg*7片", "10mg*14片"),
    ("80万u", "80mg"),
])
def test_spec_key_different_spec(a, b):
    """R13: different strengths, units or pack counts stay different."""
    assert vc.spec_key(a) != vc.spec_key(b)


def test_spec_key_empty():
    assert vc.spec_key(None) == vc.spec_key("  ") == ""


# ------------------------------------------------------------------------- trend


def test_last_12_months_are_the_complete_months_before_as_of():
    """R13: as of 2025-03-15 the window is 2024-03 … 2025-02 (the running month is left out)."""
    months = vc.last_12_months(date(2025, 3, 15))
    assert months[0] == (2024, 3) and months[-1] == (2025, 2) and len(months) == 12
    assert vc.last_12_months(date(2025, 1, 1))[-1] == (2024, 12)


@pytest.mark.parametrize("series, expected", [
    ([100] * 12, vc.STABLE),
    (list(range(100, 220, 10)), vc.RISING),       # 100 → 210
    (list(range(210, 90, -10)), vc.FALLING),
    ([100, 102, 98, 101, 99, 100, 103, 97, 100, 101, 99, 100], vc.STABLE),
    ([0] * 12, vc.STABLE),
    ([5], vc.STABLE),
])
def test_r13_trend(series, expected):
    """R13: least-squares slope relative to the mean → rising / falling / stable."""
    assert vc.trend(series) == expected


def test_r13_trend_threshold_is_ten_percent_of_the_mean():
    """GIVEN a straight line 1045 → 1155 (implied change 110 = exactly 10 % of mean 1100)
    THEN stable; GIVEN 1034 → 1166 (12 %) THEN rising; mirrored THEN falling."""
    assert vc.trend([1045 + 10 * i for i in range(12)]) == vc.STABLE
    assert vc.trend([1034 + 12 * i for i in range(12)]) == vc.RISING
    assert vc.trend([1166 - 12 * i for i in range(12)]) == vc.FALLING


def test_r13_reason_list_and_labels():
    """R13's nine reasons, in the rule book's order, with Chinese labels."""
    assert list(vc.REASONS) == [
        "historical_use", "clinical_feedback", "treatment_trend", "new_technique",
        "department_change", "key_monitoring", "public_health_event", "guideline_change", "other"]
    assert [vc.reason_label(k) for k in vc.REASONS] == [
        "历史使用量", "临床反馈", "诊疗趋势", "新技术新项目", "科室变化", "重点监控目录",
        "公共卫生事件", "指南推荐变化", "其他"]
