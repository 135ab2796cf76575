"""compute_progress (R7–R9, R11, R12, R17) on data built through the models."""

from __future__ import annotations

from datetime import date, datetime
from fractions import Fraction

import pytest

from tests.services import monitoring_data as md
from db.models import Exemption, SupplyIssue, SupplyIssuePurchase
from hospital_app.errors import NotFound
from hospital_app.services.progress import batch_summary, compute_progress, product_detail

D = date(2025, 3, 31)
KEYS = ["product_id", "batch", "generic_name", "dosage_form", "spec", "manufacturer", "unit",
        "period_start", "period_end", "agreed_volume", "target_to_date", "purchased", "completion",
        "schedule", "status", "shortfall", "nonselected_share", "flags",
        # CLI.md version 2 (R8 v2):
        "remaining", "over_purchase", "period_days_left", "lag_reason", "failed_reasons"]


def _row(session, d=D, **kw):
    rows = compute_progress(session, d, **kw).rows
    assert len(rows) == 1
    return rows[0]


def test_r7_r8_worked_example_row_keys_and_figures(session):
    """GIVEN the R7 example and 5 000 tablets bought WHEN progress on 2025-03-31
    THEN target 6 367, shortfall 1 367, completion 0.4167, schedule 0.5306, CLI.md keys in order."""
    _, p = md.worked_example(session)
    md.buy(session, p, date(2024, 10, 15), 2500)
    md.buy(session, p, date(2025, 1, 15), 2500)
    d = _row(session).as_dict()
    assert list(d) == KEYS
    assert (d["agreed_volume"], d["target_to_date"], d["purchased"], d["shortfall"]) == (12000, 6367, 5000, 1367)
    assert (d["completion"], d["schedule"]) == (0.4167, 0.5306)
    assert d["status"] == "severely_behind"
    assert d["period_start"] == "2024-09-20" and d["manufacturer"] == "齐鲁制药有限公司"


def test_r8_purchases_outside_the_period_or_after_as_of_never_count(session):
    """GIVEN buys the day before the period, on its first and last day, after its end and after as-of
    WHEN progress THEN only the in-period ones up to as-of count."""
    _, p = md.worked_example(session)
    md.buy(session, p, date(2024, 9, 19), 1000)  # before start
    md.buy(session, p, date(2024, 9, 20), 100)  # first day
    md.buy(session, p, date(2025, 4, 1), 10)  # after as-of
    assert _row(session).purchased == 100
    md.buy(session, p, date(2025, 9, 19), 7)  # last day
    md.buy(session, p, date(2025, 9, 20), 5000)  # after the period (and no next period)
    assert _row(session, d=date(2025, 9, 19)).purchased == 117


def test_r8_status_at_several_as_of_dates(session):
    """GIVEN 6 400 bought by October 2024 WHEN as-of moves THEN not_started → on_track (C = S counts) → behind
    → severely_behind → completed (R8)."""
    _, p = md.worked_example(session)
    md.buy(session, p, date(2024, 10, 1), 6400)
    assert _row(session, d=date(2024, 9, 25)).status == "not_started"
    assert _row(session, d=date(2024, 12, 31)).status == "on_track"
    assert _row(session, d=date(2025, 4, 1)).status == "on_track"  # C = S = 6.4/12 exactly
    assert _row(session, d=date(2025, 4, 2)).status == "behind"
    assert _row(session, d=date(2025, 7, 1)).status == "severely_behind"
    md.buy(session, p, date(2025, 8, 1), 5600)
    row = _row(session, d=date(2025, 8, 1))
    assert (row.status, row.shortfall) == ("completed", 0)


def test_r9_share_per_generic_name_in_the_period(session):
    """GIVEN 700 selected + 300 non-selected (and 500 non-selected before the period) WHEN progress
    THEN share = 0.3 (not above 30 %); one more non-selected unit → share_over."""
    b, p = md.worked_example(session)
    other = md.product(session, b, selected=False, maker=md.company(session, "某药业"))
    md.buy(session, p, date(2024, 10, 1), 700)
    md.buy(session, other, date(2024, 11, 1), 300)
    md.buy(session, other, date(2024, 9, 1), 500)
    row = _row(session)
    assert row.as_dict()["nonselected_share"] == 0.3 and "share_over" not in row.flags
    md.buy(session, other, date(2024, 12, 1), 1)
    row = _row(session)
    assert row.nonselected_share > 0.3 and "share_over" in row.flags


def test_r9_batch_override_of_the_threshold(session):
    """GIVEN a batch whose notice says 20 % WHEN the share is 25 % THEN share_over."""
    b = md.batch(session, overrides={"r9_share_threshold": "0.20"})
    p = md.product(session, b)
    md.period(session, p)
    n = md.product(session, b, selected=False)
    md.buy(session, p, date(2024, 10, 1), 750)
    md.buy(session, n, date(2024, 10, 1), 250)
    assert "share_over" in _row(session).flags


def test_r11_exclusions_from_share_cheaper_equal_quality(session):
    """GIVEN the only non-selected product is marked cheaper with equal quality WHEN progress THEN share 0."""
    b, p = md.worked_example(session)
    n = md.product(session, b, selected=False, cheaper_equal_quality=True)
    md.buy(session, p, date(2024, 10, 1), 100)
    md.buy(session, n, date(2024, 10, 1), 900)
    assert _row(session).nonselected_share == 0


def test_r11_backup_purchase_in_verified_emergency_counts_as_selected(session):
    """GIVEN a backup supplier's 400 units linked to a supply issue of the primary WHEN progress
    THEN they count as the primary's purchases only once verified — the bureau's confirmation
    recorded by as-of (R11 v2); a confirmation dated after as-of is not known yet."""
    b, p = md.worked_example(session)
    backup = md.product(session, b, role="backup", maker=md.company(session, "备供企业"))
    pu = md.buy(session, backup, date(2024, 11, 5), 400)
    issue = SupplyIssue(product_id=p.id, type="shortage", reported_at=datetime(2024, 11, 1, 9),
                        emergency_verified=False)
    session.add(issue)
    session.flush()
    session.add(SupplyIssuePurchase(issue_id=issue.id, purchase_id=pu.id))
    session.flush()
    assert _row(session).purchased == 0
    issue.emergency_verified = True  # the v1 mark alone is no verification in v2
    issue.bureau_confirmed_at = datetime(2025, 4, 2, 10)  # after as-of (D = 2025-03-31)
    session.flush()
    assert _row(session).purchased == 0
    issue.bureau_confirmed_at = datetime(2025, 3, 31, 17)
    session.flush()
    assert _row(session).purchased == 400


def test_r11_exempt_and_r17_suspended_flags(session):
    """GIVEN an exemption in force and a suspension WHEN progress THEN status exempt, flags exempt+suspended."""
    _, p = md.worked_example(session)
    session.add(Exemption(product_id=p.id, reason="public_health_event", document_ref="吉医保〔2025〕1号",
                          start=date(2025, 1, 1)))
    p.suspended_on = date(2025, 3, 1)
    session.flush()
    row = _row(session)
    assert row.status == "exempt" and row.flags[:2] == ["exempt", "suspended"]
    assert _row(session, d=date(2024, 12, 31)).status == "not_started"


def test_r11_consumables_same_company_and_group_are_assessed_together(session):
    """GIVEN two stents of one company and group, one far ahead WHEN progress THEN both share the
    group's status, keep their own figures, and carry 'merged'."""
    b = md.batch(session, name="冠脉支架", kind="consumable", start=date(2025, 1, 1))
    maker = md.company(session, "乐普")
    a = md.product(session, b, generic="冠脉支架", spec="3.0", maker=maker, group_name="A组")
    c = md.product(session, b, generic="冠脉支架", spec="3.5", maker=maker, group_name="A组")
    md.period(session, a, date(2025, 1, 1), date(2025, 12, 31), 100)
    md.period(session, c, date(2025, 1, 1), date(2025, 12, 31), 100)
    md.buy(session, a, date(2025, 1, 10), 100)  # A complete, C nothing: group 50 % ≥ S(06-30) ≈ 49.6 %
    rows = {r.product_id: r for r in compute_progress(session, date(2025, 6, 30)).rows}
    assert rows[a.id].status == rows[c.id].status == "on_track"
    assert rows[a.id].purchased == 100 and rows[c.id].purchased == 0
    assert "merged" in rows[c.id].flags


def test_r12_clustered_flag(session):
    """GIVEN 2 001 bought in October (T = 1 000, k = 2) WHEN progress THEN flag clustered."""
    _, p = md.worked_example(session)
    md.buy(session, p, date(2024, 10, 1), 2001)
    row = _row(session, d=date(2024, 10, 31))
    assert "clustered" in row.flags
    assert [m.label for m in row.months if m.clustered] == ["2024-10"]


def test_progress_batch_filter_and_unknown_batch(session):
    md.worked_example(session)
    assert compute_progress(session, D, batch="十六省联盟").rows
    with pytest.raises(NotFound):
        compute_progress(session, D, batch="没有这个批次")


def test_r8_ended_period_shows_its_final_assessment_with_failed_reasons(session):
    """GIVEN a product whose only period ended with 3 000 of 12 000 bought WHEN progress the day after
    the end THEN its row is the final assessment: ended, failed_reasons ["completion"], shortfall
    and remaining 9 000, no days left (R8 v2: a failed period keeps its reasons); the day before, the
    period still runs and has no failed reasons."""
    _, p = md.worked_example(session)
    md.buy(session, p, date(2024, 10, 15), 3000)
    (row,) = compute_progress(session, date(2025, 9, 20)).rows
    d = row.as_dict()
    assert (d["status"], d["failed_reasons"], d["shortfall"], d["remaining"], d["period_days_left"]) == (
        "severely_behind", ["completion"], 9000, 9000, 0)
    assert "ended" in d["flags"] and "failed" in d["flags"]
    (row,) = compute_progress(session, date(2025, 9, 19)).rows
    assert row.failed_reasons == [] and not row.ended and row.period_days_left == 0


def test_r8_ended_rows_for_the_alerts_are_the_assessment_only(session):
    """GIVEN the product whose period ended with 3 000 of 12 000 bought WHEN the alerts take the
    final assessment of ended periods (``ended_rows``, ``months=False``) on 2025-09-20 THEN the row
    has failed_reasons ["completion"] and 3 000 purchased, and no month-by-month figures (they are
    not computed for ended periods the alerts read: issue 21)."""
    from hospital_app.services.progress.engine import ended_rows

    _, p = md.worked_example(session)
    md.buy(session, p, date(2024, 10, 15), 3000)
    (row,) = ended_rows(session, date(2025, 9, 20), [])
    assert (row.failed_reasons, row.purchased, row.months) == (["completion"], 3000, [])


def test_r20_assessment_only_progress_keeps_the_figures_and_is_not_reused_by_the_alerts(session):
    """GIVEN the R7 example with 5 000 bought WHEN progress is computed without month figures (what the
    R20 indicators count) THEN status, purchased, completion and share equal the full computation's
    (severely_behind, 5 000), the rows carry no months, and the alerts given that report compute
    their own instead (they need the months)."""
    from hospital_app.services.alerts import collect_alerts

    _, p = md.worked_example(session)
    md.buy(session, p, date(2024, 10, 15), 2500)
    md.buy(session, p, date(2025, 1, 15), 2500)
    full, lean = compute_progress(session, D), compute_progress(session, D, months=False)
    (a,), (b,) = full.rows, lean.rows
    assert (b.status, b.purchased, b.completion, b.nonselected_share) == (
        a.status, a.purchased, a.completion, a.nonselected_share) == ("severely_behind", 5000, Fraction(5, 12), 0)
    assert a.months and b.months == [] and not lean.months
    assert [x.message for x in collect_alerts(session, D, report=lean)] == [
        x.message for x in collect_alerts(session, D, report=full)]


def test_product_detail_and_batch_summary(session):
    """GIVEN the example with 5 000 bought WHEN detail and summary THEN months targets vs purchases and counts."""
    _, p = md.worked_example(session)
    md.buy(session, p, date(2024, 10, 15), 5000)
    detail = product_detail(session, p.id, D)
    assert [m.target for m in detail.periods[0].months] == [367] + [1000] * 11 + [633]
    assert detail.periods[0].months[1].purchased == 5000 and detail.periods[0].current
    assert detail.progress.status == "severely_behind"
    (summary,) = batch_summary(session, D)
    assert summary.counts["severely_behind"] == 1 and summary.purchased == 5000
    assert summary.as_dict()["schedule"] == 0.5306
    with pytest.raises(NotFound):
        product_detail(session, 999, D)


def test_r9_r11_a_purchase_linked_to_several_issues_is_excluded_or_moved_once(session):
    """GIVEN 300 non-selected units linked to two open issues reported to and confirmed by the bureau,
    200 cheaper-equal-quality units and 100 backup units linked to both WHEN progress THEN the 300 are
    excluded once, the cheaper 200 are not subtracted again, the backup 100 count once (R9, R11); the
    assessment without month figures (R20, ended periods) gives the same figures."""
    b, p = md.worked_example(session)
    n = md.product(session, b, selected=False)
    cheap = md.product(session, b, selected=False, cheaper_equal_quality=True)
    backup = md.product(session, b, role="backup", maker=md.company(session, "备供企业"))
    md.buy(session, p, date(2024, 10, 1), 600)
    md.buy(session, n, date(2024, 10, 1), 300)  # stays counted: 300 / (600+100+300)
    linked = [md.buy(session, n, date(2024, 11, 5), 300), md.buy(session, cheap, date(2024, 11, 5), 200),
              md.buy(session, backup, date(2024, 11, 5), 100)]
    issues = [SupplyIssue(product_id=p.id, type="shortage", reported_at=datetime(2024, 11, 1, 9),
                          insurance_notified_at=datetime(2024, 11, 1, 10),
                          bureau_confirmed_at=datetime(2024, 11, 4, 9)) for _ in range(2)]
    session.add_all(issues)
    session.flush()
    session.add_all([SupplyIssuePurchase(issue_id=i.id, purchase_id=pu.id) for i in issues for pu in linked])
    session.flush()
    row = _row(session)
    assert row.purchased == 700
    assert (row.share_selected, row.share_nonselected) == (700, 300)
    assert row.nonselected_share == Fraction(3, 10)

    lean = _row(session, months=False)  # issue 21: one sum per product and window, same R9/R11 figures
    assert (lean.purchased, lean.share_selected, lean.share_nonselected, lean.nonselected_share, lean.status) == (
        700, 700, 300, Fraction(3, 10), row.status)
    assert lean.months == []


def test_batch_figures_add_money_never_tablets_and_vials():
    """R8 per batch (issue 20): GIVEN a batch of a tablet (V 10 000 片 at 0.10 元, 5 000 bought,
    S 50 %) and a vial (V 100 支 at 50.00 元, 20 bought, S 50 %) WHEN its figures are taken THEN
    they are money: agreed 1 000 + 5 000 = 6 000 元, bought 500 + 1 000 = 1 500 元, completion
    1 500 / 6 000 = 25 % (not the unit sum's 5 020 / 10 100 = 49.7 %), schedule 50 %. Without a
    price for the vial every product weighs the same: (50 % + 20 %) / 2 = 35 %."""
    from decimal import Decimal
    from fractions import Fraction
    from types import SimpleNamespace

    from hospital_app.services.progress.weights import AMOUNT, PRODUCTS, batch_figures, weights_for

    tablet = SimpleNamespace(product_id=1, agreed_volume=10_000, purchased=5_000, schedule=Fraction(1, 2))
    vial = SimpleNamespace(product_id=2, agreed_volume=100, purchased=20, schedule=Fraction(1, 2))
    money = batch_figures([tablet, vial], weights_for([tablet, vial], {1: Decimal("0.10"), 2: Decimal("50.00")}))
    assert money.kind == AMOUNT
    assert (money.agreed, money.purchased) == (6000, 1500)
    assert (money.completion, money.schedule) == (Fraction(1, 4), Fraction(1, 2))
    equal = batch_figures([tablet, vial], weights_for([tablet, vial], {1: Decimal("0.10")}))
    assert equal.kind == PRODUCTS and equal.completion == Fraction(35, 100)


def test_batch_figures_are_exact_with_schedules_of_different_denominators():
    """R8 per batch: GIVEN the tablet (1 000 元 agreed) at S = 1/3 and the vial (5 000 元) at
    S = 5/7 WHEN the figures are summed per denominator (issue 21) THEN the scheduled amount is
    exactly 1 000/3 + 25 000/7 = 82 000/21 元 and the schedule 82 000/21 ÷ 6 000 = 41/63; with
    equal weights (no vial price) the schedule is (1/3 + 5/7) / 2 = 11/21."""
    from decimal import Decimal
    from fractions import Fraction
    from types import SimpleNamespace

    from hospital_app.services.progress.weights import batch_figures, weights_for

    tablet = SimpleNamespace(product_id=1, agreed_volume=10_000, purchased=5_000, schedule=Fraction(1, 3))
    vial = SimpleNamespace(product_id=2, agreed_volume=100, purchased=20, schedule=Fraction(5, 7))
    money = batch_figures([tablet, vial], weights_for([tablet, vial], {1: Decimal("0.10"), 2: Decimal("50.00")}))
    assert (money.target, money.schedule) == (Fraction(82_000, 21), Fraction(41, 63))
    equal = batch_figures([tablet, vial], weights_for([tablet, vial], {1: Decimal("0.10")}))
    assert equal.schedule == Fraction(11, 21)


def test_r8_ended_periods_read_with_the_progress_rows_give_the_same_final_assessments(tmp_path):
    """GIVEN demo data two years deep (a first agreement year ended, a second running) WHEN the
    final assessments of ended periods are made from the periods read with the progress rows
    (``compute_progress(…).ended_periods``, issue 21) THEN they equal those made from a read of
    their own, row for row (R8 v2 status, figures and failed reasons), and there are some."""
    from db.session import open_database
    from hospital_app.services.demo import DemoOptions, generate_demo
    from hospital_app.services.progress.engine import ended_rows

    as_of = date(2026, 6, 30)
    database = open_database(str(tmp_path / "demo.db"))
    try:
        generate_demo(database, DemoOptions(seed=5, products=25, months=24, purchases=3000, as_of=as_of))
        with database.session() as s:
            report = compute_progress(s, as_of)
            assert report.ended_periods
            shared = ended_rows(s, as_of, report.rows, report.ended_periods)
            own = ended_rows(s, as_of, report.rows)
            one_batch = compute_progress(s, as_of, batch=report.rows[0].batch)
        assert one_batch.ended_periods is None  # another batch's periods were not read
        fields = lambda r: (r.period_id, r.product_id, r.status, r.purchased, r.completion,  # noqa: E731
                            r.failed_reasons, r.flags)
        assert len(shared) > 10 and any(r.failed_reasons for r in shared)
        assert [fields(r) for r in shared] == [fields(r) for r in own]
    finally:
        database.dispose()
