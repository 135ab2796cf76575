"""collect_alerts: R6, R8, R9, R10, R12, R14, R16, R17 — each finding once, with rule and since."""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime
from decimal import Decimal

from db.models import ProductDistributor, Substitute, SupplyIssue, SupplyIssuePurchase
from hospital_app.services.alerts import collect_alerts
from tests.services import monitoring_data as md

D = date(2025, 3, 31)


def _mine(alerts, rule):
    return [a for a in alerts if a.rule == rule]


def test_r8_behind_and_r12_alerts_listed_once(session):
    """GIVEN the R7 example with 3 000 in Oct and 2 000 in Feb WHEN alerts on 2025-03-31
    THEN one serious R8 (41.67 % < 53.06 % − 10), one R12 clustered (Oct) and one R12 empty-months alert."""
    _, p = md.worked_example(session)
    md.buy(session, p, date(2024, 10, 5), 3000)
    md.buy(session, p, date(2025, 2, 5), 2000)
    alerts = collect_alerts(session, D)
    (r8,) = _mine(alerts, "R8")
    assert (r8.severity, r8.product_id, r8.since) == ("serious", p.id, date(2024, 12, 1))
    assert "1367" in r8.message
    r12 = sorted(_mine(alerts, "R12"), key=lambda a: a.subject)
    assert [a.subject for a in r12] == ["month:2024-10:clustered", "period:1:empty_months"]
    keys = Counter((a.rule, a.product_id, a.subject) for a in alerts)
    assert max(keys.values()) == 1


def test_r8_not_in_hospital_from_the_third_month(session):
    """GIVEN no purchase at all WHEN before / from 2024-11-20 THEN no alert / a serious "not in hospital"."""
    _, p = md.worked_example(session)
    assert _mine(collect_alerts(session, date(2024, 11, 19)), "R8") == []
    (a,) = _mine(collect_alerts(session, date(2024, 11, 20)), "R8")
    assert a.severity == "serious" and a.since == date(2024, 11, 20) and "进院" in a.message


def test_r8_no_alert_for_exempt_or_suspended(session):
    """GIVEN a suspended product (R17) WHEN alerts THEN an R17 alert and no R8 behind alert."""
    _, p = md.worked_example(session)
    p.suspended_on, p.suspension_reason, p.suspension_reported_to = date(2025, 1, 10), "不良反应", ["drug_authority"]
    session.flush()
    alerts = collect_alerts(session, D)
    assert _mine(alerts, "R8") == []
    (r17,) = _mine(alerts, "R17")
    assert r17.since == date(2025, 1, 10) and "药监部门" in r17.message


def test_r8_failed_period_after_its_end(session):
    """GIVEN a period that ended at 50 % WHEN alerts the day after THEN a serious 'assessment failed'."""
    _, p = md.worked_example(session)
    md.buy(session, p, date(2024, 10, 5), 6000)
    (a,) = _mine(collect_alerts(session, date(2025, 9, 20)), "R8")
    assert a.severity == "serious" and a.since == date(2025, 9, 20) and "不合格" in a.message


def test_r8_r11_emergency_backup_purchases_count_for_the_ended_period(session):
    """GIVEN a period that ended with 3 000 own units plus 6 000 of a backup supplier linked to two
    emergency issues of the product confirmed by the bureau WHEN alerts after the end THEN the failed
    assessment counts 9 000 (the backup purchase once, R8/R11 v2); unverified links count nothing."""
    b, p = md.worked_example(session)
    backup = md.product(session, b, role="backup", maker=md.company(session, "备供企业"))
    md.buy(session, p, date(2024, 10, 5), 3000)
    pu = md.buy(session, backup, date(2024, 11, 5), 6000)
    issues = [SupplyIssue(product_id=p.id, type="shortage", reported_at=datetime(2024, 11, 1, 9),
                          emergency_verified=False) for _ in range(2)]
    session.add_all(issues)
    session.flush()
    session.add_all([SupplyIssuePurchase(issue_id=i.id, purchase_id=pu.id) for i in issues])
    session.flush()
    day = date(2025, 9, 20)

    def failed():
        (a,) = [a for a in _mine(collect_alerts(session, day), "R8") if a.product_id == p.id]
        return a.message

    assert "3000/12000" in failed()
    for i in issues:
        i.bureau_confirmed_at = datetime(2024, 11, 20, 9)  # verified (R11 v2: the bureau's confirmation)
    session.flush()
    assert "9000/12000" in failed()


def test_r8_failed_year_stays_a_finding_while_the_next_year_runs(session):
    """GIVEN year 1 ended at 50 % and year 2 is running WHEN alerts in year 2 THEN the failed year
    is still a serious R8 finding (DOMAIN R8: a period that ends below 100 % fails)."""
    _, p = md.worked_example(session)
    md.period(session, p, start=date(2025, 9, 20), end=date(2026, 9, 19), volume=12000)
    md.buy(session, p, date(2024, 10, 5), 6000)
    md.buy(session, p, date(2025, 10, 5), 9000)
    failed = [a for a in _mine(collect_alerts(session, date(2025, 10, 20)), "R8") if "不合格" in a.message]
    assert len(failed) == 1
    assert failed[0].severity == "serious" and failed[0].since == date(2025, 9, 20)
    assert "2024-09-20" in failed[0].message and "50.00%" in failed[0].message


def test_r9_one_finding_per_generic_name(session):
    """GIVEN two selected specs of one generic and 40 % non-selected WHEN alerts THEN one R9 alert."""
    b, p = md.worked_example(session)
    p2 = md.product(session, b, spec="10mg")
    md.period(session, p2)
    n = md.product(session, b, selected=False)
    md.buy(session, p, date(2024, 10, 5), 600)
    md.buy(session, n, date(2024, 10, 6), 400)
    (r9,) = _mine(collect_alerts(session, D), "R9")
    assert r9.product_id == p.id and "40.00%" in r9.message


def test_r10_substitutes_exceed_previous_year(session):
    """GIVEN substitutes bought 100 last agreement year and 150 this one WHEN alerts THEN R10 serious."""
    b, p = md.worked_example(session)
    sub = md.product(session, None, generic="匹伐他汀钙片", selected=False)
    session.add(Substitute(selected_generic_norm="阿托伐他汀钙片", substitute_generic_name="匹伐他汀钙片",
                           substitute_generic_norm="匹伐他汀钙片"))
    md.buy(session, sub, date(2024, 1, 5), 100)
    md.buy(session, sub, date(2024, 12, 5), 150)
    (r10,) = _mine(collect_alerts(session, D), "R10")
    assert r10.severity == "serious" and r10.since == date(2024, 12, 5)


def test_r10_projection_warning(session):
    """GIVEN 100 last year and 60 by S ≈ 53 % WHEN alerts THEN projected ≈ 113 > 100 → warning."""
    b, p = md.worked_example(session)
    sub = md.product(session, None, generic="匹伐他汀钙片", selected=False)
    session.add(Substitute(selected_generic_norm="阿托伐他汀钙片", substitute_generic_name="匹伐他汀钙片",
                           substitute_generic_norm="匹伐他汀钙片"))
    md.buy(session, sub, date(2024, 1, 5), 100)
    md.buy(session, sub, date(2024, 12, 5), 60)
    (r10,) = _mine(collect_alerts(session, D), "R10")
    assert r10.severity == "warning"


def test_r6_r14_r16(session):
    """GIVEN a 2nd year below the 1st, a pre-VBP price below the selected one and 6 distributors
    WHEN alerts THEN one R6, one R14 and one R16 alert."""
    b, p = md.worked_example(session)
    md.period(session, p, date(2025, 9, 20), date(2026, 9, 19), 11000, year_index=2)
    md.buy(session, p, date(2024, 9, 1), 10, price="0.2000")
    for i in range(6):
        session.add(ProductDistributor(product_id=p.id, company_id=md.company(session, f"配送{i}").id))
    session.flush()
    alerts = collect_alerts(session, D)
    assert [a.since for a in _mine(alerts, "R6")] == [date(2025, 9, 20)]
    (r14,) = _mine(alerts, "R14")
    assert "0.2000" in r14.message and r14.since == date(2024, 9, 20)
    assert len(_mine(alerts, "R16")) == 1
    assert p.selected_price == Decimal("0.2329")


def test_alert_json_shape(session):
    """GIVEN any alert WHEN as_dict THEN the CLI.md keys are there, dates as text."""
    md.worked_example(session)
    (a,) = _mine(collect_alerts(session, date(2024, 11, 20)), "R8")
    d = a.as_dict()
    assert {"rule", "severity", "product_id", "message", "since"} <= set(d)
    assert d["since"] == "2024-11-20"
