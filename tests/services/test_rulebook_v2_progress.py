"""Rule book version 2 (issue 16): each case of the issue as a test with the hand-computed answer.

R6 (per month), R8 (one shortfall, remaining, over-purchase, agreement end, the product's own
3rd month, failed reasons), R9 (share fails the period), R10/R11 (exclusions), R12 (partial months,
verified emergency purchases). Data through the models; the worked example is DOMAIN.md R7's
(V = 12 000 over 2024-09-20..2025-09-19, Σw = 12, Sep 2024 w = 11/30, T = 367, 1 000 × 11, 633).
"""

from __future__ import annotations

from datetime import date, datetime

from db.models import Substitute, SupplyIssue, SupplyIssuePurchase
from hospital_app import settings
from hospital_app.services.alerts import collect_alerts
from hospital_app.services.progress import compute_progress, product_detail
from tests.services import monitoring_data as md


def _row(session, d):
    (row,) = compute_progress(session, d).rows
    return row


def _alerts(session, d, rule):
    return [a for a in collect_alerts(session, d) if a.rule == rule]


def _issue(session, product, purchases, *, reported, confirmed=None, resolved=None, notified=True):
    issue = SupplyIssue(product_id=product.id, type="shortage", reported_at=reported,
                        insurance_notified_at=reported if notified else None,
                        bureau_confirmed_at=confirmed, resolved_at=resolved,
                        status="resolved" if resolved else "open")
    session.add(issue)
    session.flush()
    session.add_all([SupplyIssuePurchase(issue_id=issue.id, purchase_id=pu.id) for pu in purchases])
    session.flush()
    return issue


# ----------------------------------------------------------------------- R8 (item 9)


def test_r8_shortfall_one_definition_a_behind_row_has_at_least_one_unit(session):
    """GIVEN the worked example and 33 bought on its first day WHEN progress on 2024-09-20
    THEN S·V = 12 000/360 = 33.33, target_to_date 33 (half up) but C = 33/12 000 < S: behind with
    shortfall ⌈33.33 − 33⌉ = 1 (v1 said 0); remaining 11 967, no over-purchase, 364 days left."""
    _, p = md.worked_example(session)
    md.buy(session, p, date(2024, 9, 20), 33)
    d = _row(session, date(2024, 9, 20)).as_dict()
    assert (d["status"], d["target_to_date"], d["shortfall"]) == ("behind", 33, 1)
    assert (d["remaining"], d["over_purchase"], d["period_days_left"]) == (11967, 0, 364)
    assert d["lag_reason"] is None and d["failed_reasons"] == []


def test_r8_over_purchase_is_shown_not_a_fault(session):
    """GIVEN 12 500 bought of V = 12 000 WHEN progress THEN completed, over_purchase 500, remaining 0,
    flag over_purchase, and after the end no failed reason (R8 v2)."""
    _, p = md.worked_example(session)
    md.buy(session, p, date(2024, 10, 2), 12500)
    row = _row(session, date(2025, 3, 31))
    assert (row.status, row.over_purchase, row.remaining, row.shortfall) == ("completed", 500, 0, 0)
    assert "over_purchase" in row.flags
    assert _row(session, date(2025, 9, 20)).failed_reasons == []


def test_r8_lag_reason_is_in_the_progress_row(session):
    """GIVEN the pharmacist's reason on the product WHEN progress THEN lag_reason carries it (CLI.md v2)."""
    _, p = md.worked_example(session)
    p.lag_reason = "临床需求下降"
    session.flush()
    assert _row(session, date(2025, 3, 31)).as_dict()["lag_reason"] == "临床需求下降"


def test_r8_agreement_end_alert_with_units_per_remaining_month(session):
    """GIVEN 9 000 of 12 000 bought and the period ending 2025-09-19 WHEN alerts on 2025-08-15
    (35 days left ≤ 60) THEN an R8 warning: 3 000 still to buy over 2 months (August's rest,
    September) = 1 500 a month; on 2025-07-20 (61 days left) no such alert; a setting of 30 days
    silences it on 08-15 (policy)."""
    _, p = md.worked_example(session)
    md.buy(session, p, date(2024, 10, 2), 9000)
    (a,) = [a for a in _alerts(session, date(2025, 8, 15), "R8") if a.subject.endswith("agreement_end")]
    assert a.severity == "warning" and "3000" in a.message and "1500" in a.message and "35" in a.message
    assert _row(session, date(2025, 8, 15)).agreement_end == (3000, 1500)
    assert not [a for a in _alerts(session, date(2025, 7, 20), "R8") if a.subject.endswith("agreement_end")]
    settings.set_value(session, "r8_agreement_end_days", "30")
    assert _row(session, date(2025, 8, 15)).agreement_end is None


# ----------------------------------------------------------------------- R8 (item 7)


def test_r8_not_in_hospital_counts_from_the_products_own_start(session):
    """GIVEN a batch executing since 2024-09-20 and a product joining it with its first period from
    2025-06-01 WHEN progress with nothing bought THEN not_started without "not in hospital" on
    06-01 and 07-31; from 2025-08-01 (start + 2 months, day for day) it is flagged and alerted."""
    b = md.batch(session)
    p = md.product(session, b, generic="新加入片")
    md.period(session, p, date(2025, 6, 1), date(2026, 5, 31), 1200)
    for d in (date(2025, 6, 1), date(2025, 7, 31)):
        row = _row(session, d)
        assert row.status == "not_started" and "not_in_hospital" not in row.flags, d
    assert "not_in_hospital" in _row(session, date(2025, 8, 1)).flags
    (a,) = [a for a in _alerts(session, date(2025, 8, 1), "R8") if "not_in_hospital" in a.subject]
    assert a.since == date(2025, 8, 1) and a.severity == "serious"


# ------------------------------------------------------------------ R8/R9 (item 5)


def test_r9_share_above_threshold_fails_the_period_and_stays_a_finding(session):
    """GIVEN the period completed (12 000 selected) but 6 000 non-selected bought in it: share
    6 000 / 18 000 = 33.33 % > 30 % WHEN after the end (2025-10-20) THEN the final row has
    failed_reasons ["share"] and alerts keep a serious R8 finding since 2025-09-20 naming the share;
    below the threshold (5 000 / 17 000 = 29.41 %) it passes."""
    b, p = md.worked_example(session)
    n = md.product(session, b, selected=False, spec="20mg")
    md.buy(session, p, date(2024, 10, 2), 12000)
    extra = md.buy(session, n, date(2024, 11, 2), 1000)
    md.buy(session, n, date(2024, 11, 3), 5000)
    row = _row(session, date(2025, 10, 20))
    assert (row.status, row.failed_reasons) == ("completed", ["share"])
    (a,) = [a for a in _alerts(session, date(2025, 10, 20), "R8") if a.subject.endswith(":failed")]
    assert a.severity == "serious" and a.since == date(2025, 9, 20)
    assert "33.33%" in a.message and "30.00%" in a.message and "不合格" in a.message
    session.delete(extra)
    session.flush()
    assert _row(session, date(2025, 10, 20)).failed_reasons == []


def test_r8_r9_both_reasons(session):
    """GIVEN 3 000 of 12 000 and 2 000 non-selected (2 000/5 000 = 40 %) WHEN after the end THEN both
    reasons, completion first."""
    b, p = md.worked_example(session)
    n = md.product(session, b, selected=False)
    md.buy(session, p, date(2024, 10, 2), 3000)
    md.buy(session, n, date(2024, 11, 2), 2000)
    assert _row(session, date(2025, 9, 20)).failed_reasons == ["completion", "share"]


# ------------------------------------------------------------------ R10/R11 (item 4)


def test_r10_r11_cheaper_substitute_of_equal_quality_raises_no_r10(session):
    """GIVEN substitutes mapped to the selected generic name: 100 bought last agreement year, this year
    500 of a substitute marked cheaper with equal quality and 50 of an ordinary one WHEN alerts on
    2025-03-31 THEN no R10 (50 ≤ 100; projected 50 / 0.5306 = 94 ≤ 100) — v1 counted the 500."""
    b, p = md.worked_example(session)
    session.add(Substitute(selected_generic_norm=p.generic_name_norm, substitute_generic_name="瑞舒伐他汀钙片",
                           substitute_generic_norm="瑞舒伐他汀钙片"))
    plain = md.product(session, None, generic="瑞舒伐他汀钙片", selected=False, spec="10mg")
    cheap = md.product(session, None, generic="瑞舒伐他汀钙片", selected=False, spec="5mg",
                       cheaper_equal_quality=True)
    md.buy(session, plain, date(2024, 3, 1), 100)
    md.buy(session, cheap, date(2024, 12, 1), 500)
    md.buy(session, plain, date(2025, 1, 5), 50)
    assert _alerts(session, date(2025, 3, 31), "R10") == []
    cheap.cheaper_equal_quality = False
    session.flush()
    assert [a.severity for a in _alerts(session, date(2025, 3, 31), "R10")] == ["serious"]


def test_r9_r11_non_selected_excused_only_when_reported_to_and_confirmed_by_the_bureau(session):
    """GIVEN 600 selected and 400 non-selected units linked to a supply issue reported to the bureau
    on 2024-11-01 and resolved on 11-20: 200 bought on 11-05 (between) and 200 on 11-25 (after)
    WHEN progress on 2025-03-31 THEN without confirmation share = 400/1 000 = 40 %; confirmed on
    11-03 → 200/800 = 25 %; confirmed only after as-of → 40 % (as of d); policy off and not
    confirmed → 25 %; an issue never reported to the bureau excuses nothing (40 %)."""
    b, p = md.worked_example(session)
    n = md.product(session, b, selected=False)
    md.buy(session, p, date(2024, 10, 2), 600)
    linked = [md.buy(session, n, date(2024, 11, 5), 200), md.buy(session, n, date(2024, 11, 25), 200)]
    issue = _issue(session, p, linked, reported=datetime(2024, 11, 1, 9), resolved=datetime(2024, 11, 20, 17))
    d = date(2025, 3, 31)
    assert _row(session, d).as_dict()["nonselected_share"] == 0.4
    issue.bureau_confirmed_at = datetime(2024, 11, 3, 10)
    session.flush()
    assert _row(session, d).as_dict()["nonselected_share"] == 0.25
    issue.bureau_confirmed_at = datetime(2025, 4, 1, 10)
    session.flush()
    assert _row(session, d).as_dict()["nonselected_share"] == 0.4
    settings.set_value(session, "r11_bureau_confirmation_required", "false")
    assert _row(session, d).as_dict()["nonselected_share"] == 0.25
    issue.insurance_notified_at = None
    session.flush()
    assert _row(session, d).as_dict()["nonselected_share"] == 0.4


def test_r11_unverified_backup_purchases_are_outside_the_assessment(session):
    """GIVEN 600 selected and 400 of a backup supplier linked to an unconfirmed issue WHEN progress
    THEN purchased 600 and share 0 (the backup units count neither way); confirmed → purchased 1 000."""
    b, p = md.worked_example(session)
    backup = md.product(session, b, role="backup", maker=md.company(session, "备供企业"))
    md.buy(session, p, date(2024, 10, 2), 600)
    pu = md.buy(session, backup, date(2024, 11, 5), 400)
    issue = _issue(session, p, [pu], reported=datetime(2024, 11, 1, 9))
    rows = {r.product_id: r for r in compute_progress(session, date(2025, 3, 31)).rows}
    assert (rows[p.id].purchased, rows[p.id].share_selected, rows[p.id].share_nonselected) == (600, 600, 0)
    issue.bureau_confirmed_at = datetime(2024, 11, 2, 9)
    session.flush()
    rows = {r.product_id: r for r in compute_progress(session, date(2025, 3, 31)).rows}
    assert (rows[p.id].purchased, rows[p.id].share_selected) == (1000, 1000)


# ----------------------------------------------------------------------- R12 (item 8)


def test_r12_partial_first_month_compared_with_a_full_months_target(session):
    """GIVEN the worked example (Sep 2024: w = 11/30, T = 367; V/Σw = 1 000) WHEN 800 are bought on
    2024-09-28 THEN not clustered (800 ≤ 2 × 1 000; v1 compared 2 × 367 = 734); 2 001 in September is
    clustered — and ``product show`` marks the same months as progress."""
    _, p = md.worked_example(session)
    first = md.buy(session, p, date(2024, 9, 28), 800)
    d = date(2024, 10, 31)
    assert not _row(session, d).months[0].clustered
    first.quantity = 2001
    session.flush()
    row = _row(session, d)
    assert [m.label for m in row.months if m.clustered] == ["2024-09"] and "clustered" in row.flags
    detail = product_detail(session, p.id, d)
    assert [m["month"] for m in detail.as_dict()["periods"][0]["months"] if m["clustered"]] == ["2024-09"]


def test_r12_verified_emergency_purchases_are_left_out_of_clustering(session):
    """GIVEN 600 own units and 1 500 verified backup units in October (T = 1 000, k = 2) WHEN progress
    THEN October counts 2 100 toward completion but is not clustered (600 ≤ 2 000); 1 500 more own
    units (2 100 own) would be."""
    b, p = md.worked_example(session)
    backup = md.product(session, b, role="backup", maker=md.company(session, "备供企业"))
    md.buy(session, p, date(2024, 10, 2), 600)
    pu = md.buy(session, backup, date(2024, 10, 10), 1500)
    _issue(session, p, [pu], reported=datetime(2024, 10, 8, 9), confirmed=datetime(2024, 10, 9, 9))
    row = {r.product_id: r for r in compute_progress(session, date(2024, 11, 30)).rows}[p.id]
    october = row.months[1]
    assert (october.purchased, october.clustered) == (2100, False)
    md.buy(session, p, date(2024, 10, 20), 1500)
    row = {r.product_id: r for r in compute_progress(session, date(2024, 11, 30)).rows}[p.id]
    assert row.months[1].clustered


def test_r12_product_show_marks_empty_months_like_progress(session):
    """GIVEN 1 367 bought in October only WHEN on 2025-01-31 (behind) THEN September's part, November,
    December and January are empty in progress and in ``product show`` alike."""
    _, p = md.worked_example(session)
    md.buy(session, p, date(2024, 10, 2), 1367)
    d = date(2025, 1, 31)
    row = _row(session, d)
    assert row.status in ("behind", "severely_behind")
    empty = [m.label for m in row.months if m.empty]
    assert empty == ["2024-09", "2024-11", "2024-12", "2025-01"]
    detail = product_detail(session, p.id, d).as_dict()
    assert [m["month"] for m in detail["periods"][0]["months"] if m["empty"]] == empty


# ----------------------------------------------------------------------- R6 (item 6)


def test_r6_extension_compared_per_month_with_the_previous_year(session):
    """GIVEN year 1 of 12 000 (Σw = 12: 1 000 a month) and an extension 2025-09-20..2026-03-19
    (Σw = 11/30 + 5 + 19/31 = 5.9796) WHEN alerts THEN 5 000 is below the previous year pro-rated to
    its length (12 000 × 5.9796 / 12 = 5 979.6 → 5 980), 6 100 is not — v1 compared both, unprorated,
    with the first year."""
    _, p = md.worked_example(session)
    ext = md.period(session, p, date(2025, 9, 20), date(2026, 3, 19), 5000, year_index=2)
    ext.is_extension = True
    session.flush()
    (a,) = _alerts(session, date(2025, 10, 1), "R6")
    assert "5000" in a.message and "12000" in a.message and "5980" in a.message
    ext.agreed_volume = 6100
    session.flush()
    assert _alerts(session, date(2025, 10, 1), "R6") == []
