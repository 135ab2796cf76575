"""R6, R9–R12, R14, R16, R17 pure rules."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from fractions import Fraction

from hospital_app.domain import monitoring as mon
from hospital_app.domain.targets import monthly_targets

S, E = date(2024, 9, 20), date(2025, 9, 19)


def test_r9_share_and_threshold_strictly_above():
    """GIVEN 30 non-selected of 100 WHEN the limit is 30 % THEN no finding; 31 of 100 is one."""
    assert mon.nonselected_share(30, 70) == Fraction(3, 10)
    assert not mon.share_exceeds(Fraction(3, 10), Decimal("0.30"))
    assert mon.share_exceeds(mon.nonselected_share(31, 69), "0.30")
    assert mon.nonselected_share(0, 0) == 0


def test_r11_share_classes():
    """R11 v2: backup → excluded unless verified (then selected); cheaper-equal-quality and purchases
    excused by an issue reported to the bureau → excluded; the rest by the selected flag."""
    assert mon.share_class(selected=True, supply_role="primary", cheaper_equal_quality=False) == mon.SELECTED
    assert mon.share_class(selected=True, supply_role="backup", cheaper_equal_quality=False) == mon.EXCLUDED
    assert mon.share_class(selected=True, supply_role="backup", cheaper_equal_quality=False,
                           verified_backup=True) == mon.SELECTED
    assert mon.share_class(selected=False, supply_role=None, cheaper_equal_quality=True) == mon.EXCLUDED
    assert mon.share_class(selected=False, supply_role=None, cheaper_equal_quality=False,
                           excused_by_report=True) == mon.EXCLUDED
    assert mon.share_class(selected=False, supply_role=None, cheaper_equal_quality=False) == mon.NONSELECTED


def test_r10_substitutes_exceeded_and_projected():
    """GIVEN last year 1 000 WHEN this year 1 001 THEN a finding; 600 at S = 1/2 projects 1 200 → warning."""
    assert mon.substitute_check(1001, 1000, Fraction(1, 2)).level == "exceeded"
    check = mon.substitute_check(600, 1000, Fraction(1, 2))
    assert check.level == "projected" and check.projected == 1200
    assert mon.substitute_check(400, 1000, Fraction(1, 2)).level is None
    assert mon.previous_year_window(S, E) == (date(2023, 9, 20), date(2024, 9, 19))


def test_r12_clustered_months_and_empty_months():
    """GIVEN T = 367, 1000… and k = 2 WHEN Oct has 2 001 and Nov exactly 2 000 THEN only Oct is clustered;
    empty months are elapsed months with no purchases."""
    targets = monthly_targets(S, E, 12000)
    bought = {(2024, 9): 367, (2024, 10): 2001, (2024, 11): 2000}
    assert [t.label for t in mon.clustered_months(targets, bought, Decimal(2))] == ["2024-10"]
    empty = mon.empty_months(targets, bought, date(2025, 2, 10))
    assert [t.label for t in empty] == ["2024-12", "2025-01"]


def test_r6_later_year_below_previous():
    """GIVEN 12 000 then 11 999 then 12 000 WHEN checking THEN the second year only is below the
    previous year (R6 v2); the third is not below the second."""
    from hospital_app.domain.periods import AgreedPeriod, below_previous_year

    p = [AgreedPeriod(date(2025, 9, 20), date(2026, 9, 19), 11999, False),
         AgreedPeriod(S, E, 12000, False),
         AgreedPeriod(date(2026, 9, 20), date(2027, 9, 19), 12000, False)]
    assert [(x.agreed_volume, prev.agreed_volume) for x, prev, _ in below_previous_year(p)] == [
        (11999, 12000)]


def test_r6_renewal_alignment_proposal():
    """R6 policy: Jan–Jun start renews 07-01; Jul–Dec start renews 01-01 next year."""
    assert mon.renewal_alignment(date(2024, 3, 15), date(2025, 12, 31)) == [
        (date(2024, 3, 15), date(2024, 6, 30)), (date(2024, 7, 1), date(2025, 6, 30)),
        (date(2025, 7, 1), date(2025, 12, 31))]
    assert mon.renewal_alignment(S, date(2026, 9, 19))[:2] == [
        (S, date(2024, 12, 31)), (date(2025, 1, 1), date(2025, 12, 31))]


def test_r14_r16_r17():
    """R14 price lower than selected; R16 more than the limit; R17 suspended on or after the date."""
    assert mon.pre_vbp_price_lower(Decimal("0.2000"), Decimal("0.2329"))
    assert not mon.pre_vbp_price_lower(Decimal("0.2329"), Decimal("0.2329"))
    assert not mon.pre_vbp_price_lower(None, Decimal("1"))
    assert mon.distributors_exceeded(6, 5) and not mon.distributors_exceeded(5, 5)
    assert mon.is_suspended(date(2025, 1, 1), date(2025, 1, 1))
    assert not mon.is_suspended(date(2025, 1, 2), date(2025, 1, 1))


def test_r11_exemption_window_and_consumable_groups():
    assert mon.active_on(None, None, S)
    assert not mon.active_on(date(2025, 1, 1), None, S)
    assert mon.consumable_group_key("consumable", 1, 3, " A组 ") == (1, 3, "A组")
    assert mon.consumable_group_key("drug", 1, 3, "A组") is None


def test_r12_a_month_ending_on_d_is_complete_and_can_be_empty():
    """GIVEN December 2024 without purchases WHEN d = 2024-12-31 (d counts, as in S(d)) THEN December is an
    empty month; on 2024-12-30 it is not complete yet (R12)."""
    targets = monthly_targets(S, E, 12000)
    bought = {(2024, 9): 367, (2024, 10): 1000, (2024, 11): 1000}
    assert [t.label for t in mon.empty_months(targets, bought, date(2024, 12, 31))] == ["2024-12"]
    assert mon.empty_months(targets, bought, date(2024, 12, 30)) == []
