"""R4 v2 supplier scorecard: per manufacturer and distributor, quarter and year, as of d."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from fractions import Fraction
from itertools import count

import pytest

from db.models import Company, Order, SupplyIssue
from hospital_app.services.suppliers import JSON_KEYS, scorecard
from hospital_app.services.suppliers_detail import supplier_issues, supplier_orders
from tests.services.monitoring_data import batch, company, product

_seq = count(1)


def _order(session, dist, prod, placed, respond_h, deliver_h, qty=10, delivered_qty=None, lines=1):
    no = f"S{next(_seq)}"
    for line in range(1, lines + 1):
        session.add(Order(dedup_key=f"{no}#{line}", order_no=no, line_no=line, company_id=dist.id,
                          product_id=prod.id, quantity=qty,
                          delivered_quantity=delivered_qty[line - 1] if delivered_qty else None,
                          placed_at=placed, responded_at=placed + timedelta(hours=respond_h),
                          delivered_at=placed + timedelta(hours=deliver_h)))


@pytest.fixture
def world(session):
    maker = company(session, "甲药厂")
    dist = Company(name="乙配送", is_distributor=True)
    dist2 = Company(name="丙配送", is_distributor=True)
    session.add_all([dist, dist2])
    session.flush()
    prod = product(session, batch(session), maker=maker)
    # 2025Q2, distributor 乙: O1 all in time and in full; O2 responded at 49 h, delivered at 50 h, 8 of 10;
    # O3 two lines, one without a delivered quantity (= in full), one 5 of 5.
    _order(session, dist, prod, datetime(2025, 4, 1, 9), 1, 24, delivered_qty=[10])
    _order(session, dist, prod, datetime(2025, 4, 2, 9), 49, 50, delivered_qty=[8])
    _order(session, dist, prod, datetime(2025, 4, 3, 9), 2, 10, qty=5, delivered_qty=None, lines=2)
    # 丙: late delivery in 2025Q1 and in 2025Q2 → serious in Q2
    _order(session, dist2, prod, datetime(2025, 2, 3, 9), 1, 60)
    _order(session, dist2, prod, datetime(2025, 5, 6, 9), 1, 60)
    # Issues against the manufacturer: on time; reply late (and escalated); filed 06-27, still inside its dues.
    session.add_all([
        SupplyIssue(product_id=prod.id, company_id=maker.id, type="shortage", status="resolved",
                    reported_at=datetime(2025, 4, 7, 10), replied_at=datetime(2025, 4, 8, 10),
                    resolved_at=datetime(2025, 4, 10, 10)),
        SupplyIssue(product_id=prod.id, company_id=maker.id, type="late_delivery", status="escalated",
                    reported_at=datetime(2025, 4, 14, 10), replied_at=datetime(2025, 4, 18, 10),
                    escalated_at=datetime(2025, 4, 25, 10)),
        SupplyIssue(product_id=prod.id, company_id=maker.id, type="other", status="open",
                    reported_at=datetime(2025, 6, 27, 10)),
    ])
    session.flush()
    return {"maker": maker, "dist": dist, "dist2": dist2, "product": prod}


def _row(rows, name, role):
    [r] = [r for r in rows if r.company == name and r.role == role]
    return r


def test_r4_distributor_quarter_rates(session, world):
    """GIVEN 乙's three 2025Q2 orders (one answered at 49 h and delivered at 50 h with 8 of 10 units; one of two
    lines with no delivered quantity) WHEN scoring 2025Q2 as of 06-30 THEN placed 3, response 2/3, timeliness 2/3,
    delivery rate 3 of 4 lines, level warning (previous quarter had no orders)."""
    r = _row(scorecard(session, date(2025, 6, 30), quarter="2025Q2"), "乙配送", "distributor")
    assert r.placed == 3
    assert r.response_rate == Fraction(2, 3) and r.timeliness == Fraction(2, 3)
    assert (r.lines, r.lines_in_full, r.delivery_rate) == (4, 3, Fraction(3, 4))
    assert r.level == "warning"


def test_r4_manufacturer_sees_orders_of_its_products(session, world):
    """GIVEN five orders in 2025Q2 for 甲药厂's product via two distributors (乙 3, 丙 1 in Q2) WHEN scoring the
    manufacturer THEN it has the 4 Q2 orders, and its issues: 3 filed, 1 on time of the 2 decided (1 pending),
    1 escalation, the product with the most issues first."""
    r = _row(scorecard(session, date(2025, 6, 30), quarter="2025Q2"), "甲药厂", "manufacturer")
    assert r.placed == 4
    assert (r.issues, r.issues_on_time, r.issues_pending) == (3, 1, 1)
    assert r.issues_on_time_rate == Fraction(1, 2)
    assert r.escalations == 1
    assert r.top_products == [{"product_id": world["product"].id, "name": "阿托伐他汀钙片 20mg", "issues": 3}]


def test_r4_serious_after_two_late_quarters(session, world):
    """GIVEN 丙 delivered late (60 h) in 2025Q1 and 2025Q2 WHEN scoring 2025Q2 THEN serious; scoring 2025Q1
    THEN warning (no earlier quarter); the year 2025 is serious."""
    d = date(2025, 6, 30)
    assert _row(scorecard(session, d, quarter="2025Q2"), "丙配送", "distributor").level == "serious"
    assert _row(scorecard(session, d, quarter="2025Q1"), "丙配送", "distributor").level == "warning"
    assert _row(scorecard(session, d, year=2025), "丙配送", "distributor").level == "serious"


def test_r4_no_orders_means_no_rate_and_no_level(session, world):
    """GIVEN no orders at all in 2025Q3 WHEN scoring 2025Q3 THEN every supplier is listed with placed 0, rates
    None (not 0 %) and level None."""
    rows = scorecard(session, date(2025, 9, 30), quarter="2025Q3")
    assert {(r.company, r.role) for r in rows} >= {("甲药厂", "manufacturer"), ("乙配送", "distributor")}
    for r in rows:
        assert r.placed == 0
        assert (r.response_rate, r.timeliness, r.delivery_rate, r.level) == (None, None, None, None)
        d = r.as_dict()
        assert list(d)[:len(JSON_KEYS)] == list(JSON_KEYS) and d["response_rate"] is None


def test_r4_as_of_hides_later_deliveries(session, world):
    """GIVEN 乙's order O1 placed 04-01 09:00 and delivered 04-02 09:00 WHEN scoring as of 04-01 THEN the
    order is responded (10:00) but not delivered yet: delivered 0, delivery rate 0 of 1 line."""
    r = _row(scorecard(session, date(2025, 4, 1), quarter="2025Q2"), "乙配送", "distributor")
    assert (r.placed, r.delivered, r.lines_in_full, r.lines) == (1, 0, 0, 1)
    assert r.timeliness is None and r.delivery_rate == 0


def test_r4_drill_down_lists_the_orders_and_issues(session, world):
    """GIVEN the scorecard figures WHEN drilling down THEN the same orders (4 lines for 乙) and issues (3) show."""
    lines = supplier_orders(session, world["dist"].id, "distributor", date(2025, 6, 30), quarter="2025Q2")
    assert len(lines) == 4 and sum(1 for x in lines if x.in_full) == 3
    issues = supplier_issues(session, world["maker"].id, "manufacturer", date(2025, 6, 30), quarter="2025Q2")
    assert [i.on_time for i in issues] == [True, False, None]
