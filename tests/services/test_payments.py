"""R5 payments per accepted delivery and R15 prepayment estimates."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import pytest

from db.models import AgreementPeriod, Batch, Company, Order, Payment, Product
from hospital_app import settings
from hospital_app.services.payments import JSON_KEYS, list_payments, payment_alerts, prepayment_estimates


@pytest.fixture
def dist(session) -> Company:
    c = Company(name="国药控股", is_distributor=True)
    session.add(c)
    session.flush()
    return c


def _order(session, dist, no, line, accepted, amount):
    o = Order(dedup_key=f"{no}#{line}", order_no=no, line_no=line, company_id=dist.id,
              placed_at=datetime(2024, 1, 2, 9), accepted_on=accepted, amount=Decimal(amount))
    session.add(o)
    session.flush()
    return o


def test_r5_one_row_per_accepted_delivery_with_due_and_overdue(session, dist):
    """GIVEN order A (2 lines) accepted 2024-01-15, B accepted 2025-01-31, C not accepted
    WHEN listing payments on 2024-03-01 THEN A is due 2024-02-29 (leap year), overdue, amount summed,
    and B (accepted after that date) is not known yet; on 2025-03-01 B is due 2025-02-28 (R5)."""
    _order(session, dist, "A", 1, date(2024, 1, 15), "1000.25")
    _order(session, dist, "A", 2, date(2024, 1, 15), "234.25")
    _order(session, dist, "B", 1, date(2025, 1, 31), "10.00")
    _order(session, dist, "C", 1, None, "99.00")
    rows = list_payments(session, date(2024, 3, 1))
    assert [list(r) for r in rows] == [list(JSON_KEYS)]
    [a] = rows
    assert a == {"order_no": "A", "company": "国药控股", "accepted_on": date(2024, 1, 15), "amount": "1234.50",
                 "due": date(2024, 2, 29), "paid_on": None, "overdue": True, "paid_amount": "0.00",
                 "paid_late": False}
    b = {r["order_no"]: r for r in list_payments(session, date(2025, 2, 28))}["B"]
    assert b["due"] == date(2025, 2, 28) and b["overdue"] is False


def test_r5_paid_when_payments_cover_the_amount(session, dist):
    """GIVEN a 100.00 delivery accepted 2025-01-31 WHEN 60.00 is paid THEN still open and overdue on 03-01;
    WHEN the remaining 40.00 is paid on 2025-03-05 THEN paid_on = 03-05, not overdue, not in --open (R5)."""
    o = _order(session, dist, "D", 1, date(2025, 1, 31), "100.00")
    session.add(Payment(order_id=o.id, amount=Decimal("60.00"), paid_on=date(2025, 2, 10)))
    session.flush()
    [row] = list_payments(session, date(2025, 3, 1))
    assert row["paid_on"] is None and row["overdue"] is True
    assert [a.rule for a in payment_alerts(session, date(2025, 3, 1))] == ["R5"]
    session.add(Payment(order_id=o.id, amount=Decimal("40.00"), paid_on=date(2025, 3, 5)))
    session.flush()
    [row] = list_payments(session, date(2025, 3, 10))
    assert row["paid_on"] == date(2025, 3, 5) and row["overdue"] is False
    assert list_payments(session, date(2025, 3, 10), open_only=True) == []
    assert payment_alerts(session, date(2025, 3, 10)) == []


def test_r15_prepayment_per_batch_and_year(session):
    """GIVEN a drug batch (V 12 000 × 0.0123 + V 1 000 × 2.5000) and a consumable batch (V 10 × 100.00)
    WHEN estimating (R15) THEN 50 % and 30 % of the agreed amounts; a batch override wins."""
    drug, cons = Batch(name="第九批", kind="drug"), Batch(name="耗材联盟", kind="consumable")
    session.add_all([drug, cons])
    session.flush()
    for batch, price, volume in ((drug, "0.0123", 12000), (drug, "2.5000", 1000), (cons, "100.00", 10)):
        p = Product(batch_id=batch.id, generic_name="x", generic_name_norm="x", selected=True,
                    category="selected", selected_price=Decimal(price))
        session.add(p)
        session.flush()
        session.add(AgreementPeriod(product_id=p.id, year_index=1, start=date(2025, 1, 1),
                                    end=date(2025, 12, 31), agreed_volume=volume))
    session.flush()
    rows = {r["batch"]: r for r in prepayment_estimates(session)}
    assert (rows["第九批"]["agreed_amount"], rows["第九批"]["estimate"]) == ("2647.60", "1323.80")
    assert (rows["耗材联盟"]["agreed_amount"], rows["耗材联盟"]["estimate"]) == ("1000.00", "300.00")
    cons.policy_overrides = {"r15_prepay_rate_consumable": "0.40"}
    session.flush()
    assert {r["batch"]: r["estimate"] for r in prepayment_estimates(session)}["耗材联盟"] == "400.00"
    settings.set_value(session, "r15_prepay_rate_drug", "0.60", who="t")
    assert {r["batch"]: r["estimate"] for r in prepayment_estimates(session)}["第九批"] == "1588.56"


def test_r5_payments_are_seen_as_of_the_date(session):
    """R5 at an as-of date: a delivery accepted later is not listed yet, and a payment made later
    does not count yet, so the delivery is overdue at that date."""
    from datetime import date, datetime
    from decimal import Decimal

    from db.models import Company, Order, Payment
    from hospital_app.services.payments import list_payments

    c = Company(name="配送甲", is_distributor=True)
    session.add(c)
    session.flush()
    o1 = Order(dedup_key="A#1", order_no="A", company_id=c.id, placed_at=datetime(2025, 1, 20, 9),
               accepted_on=date(2025, 1, 31), amount=Decimal("1234.50"))
    o2 = Order(dedup_key="B#1", order_no="B", company_id=c.id, placed_at=datetime(2025, 3, 2, 9),
               accepted_on=date(2025, 3, 5), amount=Decimal("10.00"))
    session.add_all([o1, o2])
    session.flush()
    session.add(Payment(order_id=o1.id, amount=Decimal("1234.50"), paid_on=date(2025, 3, 15)))
    session.flush()
    rows = list_payments(session, date(2025, 3, 1))
    assert [r["order_no"] for r in rows] == ["A"]
    assert rows[0]["due"] == date(2025, 2, 28) and rows[0]["paid_on"] is None and rows[0]["overdue"] is True
    later = {r["order_no"]: r for r in list_payments(session, date(2025, 4, 1))}
    assert later["A"]["paid_on"] == date(2025, 3, 15) and later["A"]["overdue"] is False
    assert later["B"]["overdue"] is False and later["B"]["due"] == date(2025, 4, 30)
