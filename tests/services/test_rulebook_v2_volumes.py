"""R13 v2 (issue 16 item 11): report groups across manufacturers, data coverage, the two
"not reported" checks — each with the hand-computed answer."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from db.models import Purchase
from hospital_app.domain import volume_check as vc
from hospital_app.services import volume_reports as vr
from hospital_app.services.alerts import collect_alerts
from tests.services.test_volume_reports import AS_OF, buy, product, report


def _maker_lines(session, *lines):
    ids = report(session, *[(g, s, q) for g, s, q, _ in lines])
    rep = session.get(vr.VolumeReportLine, ids[0]).report
    for line, (*_, maker) in zip(rep.lines, lines):
        line.manufacturer = maker
    session.flush()
    return ids


def test_r13_lines_of_one_generic_and_spec_form_one_group(session):
    """GIVEN 500 + 500 bought in 2024 (January and December: the year is covered) and one report with
    two manufacturers' lines of 阿莫西林胶囊 0.25g / 250mg: 400 and 300 WHEN volume-check THEN one row:
    reported 700 against the one baseline 1 000, change −30 % → explanation (v1: −60 % and −70 %)."""
    p = product(session)
    buy(session, p, date(2024, 1, 10), 500)
    buy(session, p, date(2024, 12, 20), 500)
    ids = _maker_lines(session, ("阿莫西林胶囊", "0.25g", 400, "甲药业"), ("阿莫西林胶囊", "250mg", 300, "乙药业"))
    (row,) = vr.check_volumes(session, AS_OF)
    assert (row.baseline, row.reported, row.reason, row.line_ids) == (1000, 700, "decrease_over_20", tuple(ids))
    assert row.as_dict()["change"] == -0.3 and row.baseline_covered and row.manufacturers == ("甲药业", "乙药业")


def test_r13_a_gap_in_the_data_is_not_read_as_no_purchases(session):
    """GIVEN purchase data only from 2024-06-01 (as of 2025-03-15, baseline 2024, note window
    2024-03..2025-02) WHEN the note is drafted THEN baseline_covered is false, data_to 2024-06-01, and
    the note says "采购数据只覆盖 2024-06-01 至 2024-06-01" instead of "无采购记录" or a trend."""
    buy(session, product(session), date(2024, 6, 1), 1200)
    (line,) = report(session, ("阿莫西林胶囊", "0.25g", 800))
    (view,) = vr.draft_notes(session, AS_OF)
    assert (view.row.baseline_covered, view.row.data_to) == (False, date(2024, 6, 1))
    assert "采购数据只覆盖 2024-06-01 至 2024-06-01" in view.draft_text
    assert "无采购记录" not in view.draft_text and "趋势" not in view.draft_text.replace("不据此判断趋势", "")


def test_r13_covers_by_month():
    """R13 v2: data reaching into January and December cover the year; from February they do not."""
    assert vc.covers(date(2024, 1, 31), date(2024, 12, 1), date(2024, 1, 1), date(2024, 12, 31))
    assert not vc.covers(date(2024, 2, 1), date(2025, 1, 1), date(2024, 1, 1), date(2024, 12, 31))
    assert not vc.covers(None, None, date(2024, 1, 1), date(2024, 12, 31))


def _line(session, p, day, qty, amount):
    session.add(Purchase(product_id=p.id, dedup_key=f"v2-{p.id}-{day}-{qty}", purchase_date=day, quantity=qty,
                         amount=Decimal(amount)))
    session.flush()


def test_r13_not_reported_but_bought_non_selected_above_1000_units_or_10000_yuan(session):
    """GIVEN selected 头孢呋辛酯片 absent from the report and its non-selected product bought in 2024:
    1 000 units (9 999.99 元) → nothing (strictly above); 1 more unit → 1 001 > 1 000: a finding;
    instead 10 units for 10 000.01 元 → a finding by amount. A serious R13 alert names it."""
    product(session, "阿莫西林胶囊")
    product(session, "头孢呋辛酯片", "0.25g")
    non = product(session, "头孢呋辛酯片", "0.125g", selected=False)
    report(session, ("阿莫西林胶囊", "0.25g", 800))
    _line(session, non, date(2024, 3, 1), 1000, "9999.99")
    assert [u for u in vr.unreported(session, AS_OF) if u.kind == vc.BOUGHT_NOT_REPORTED] == []
    _line(session, non, date(2024, 4, 1), 1, "0.00")
    (u,) = [u for u in vr.unreported(session, AS_OF) if u.kind == vc.BOUGHT_NOT_REPORTED]
    assert (u.generic_name, u.units, u.amount, u.baseline_year) == ("头孢呋辛酯片", 1001, Decimal("9999.99"), 2024)
    (a,) = [a for a in collect_alerts(session, AS_OF) if a.rule == "R13" and a.severity == "serious"]
    assert "头孢呋辛酯片" in a.message and "1001" in a.message


def test_r13_not_reported_by_amount(session):
    """GIVEN 10 non-selected units for 10 000.01 元 WHEN checked THEN a finding (amount above 10 000 元)."""
    product(session, "头孢呋辛酯片", "0.25g")
    non = product(session, "头孢呋辛酯片", "0.125g", selected=False)
    report(session, ("阿莫西林胶囊", "0.25g", 800))
    _line(session, non, date(2024, 3, 1), 10, "10000.01")
    assert [u.units for u in vr.unreported(session, AS_OF) if u.kind == vc.BOUGHT_NOT_REPORTED] == [10]


def test_r13_selected_generic_bought_but_missing_is_a_warning_until_submitted(session):
    """GIVEN selected 头孢呋辛酯片 bought 5 units in 2024 and missing from the report WHEN checked
    before submission THEN a warning (no surplus retention); once submitted (on or before as-of) none."""
    product(session, "阿莫西林胶囊")
    sel = product(session, "头孢呋辛酯片", "0.25g")
    report(session, ("阿莫西林胶囊", "0.25g", 800))
    buy(session, sel, date(2024, 8, 1), 5)
    (u,) = vr.unreported(session, AS_OF)
    assert (u.kind, u.generic_name, u.units) == (vc.SELECTED_NOT_REPORTED, "头孢呋辛酯片", 5)
    (a,) = [a for a in collect_alerts(session, AS_OF) if a.rule == "R13"]
    assert a.severity == "warning" and "结余留用" in a.message
    rep = session.scalars(vr.select(vr.VolumeReport)).one()
    rep.submitted_on = AS_OF
    session.flush()
    assert vr.unreported(session, AS_OF) == []
