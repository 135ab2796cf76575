"""R5 v2 payments: part payments by hand (no amount = the rest), paid_amount and paid_late, everything
as of d, refusals, and the per-distributor R5 alert as one SQL aggregate (hand-computed figures)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from db.models import AuditLog, Company, Order, Payment
from hospital_app.domain.payments import allocate, overdue_accepted_before
from hospital_app.errors import BadInput, Conflict, NotFound
from hospital_app.services.payments import list_payments, payment_alerts, record_payment

TODAY = date(2026, 1, 1)


@pytest.fixture
def dists(session) -> tuple[Company, Company]:
    a, b = Company(name="国药控股", is_distributor=True), Company(name="华润医药", is_distributor=True)
    session.add_all([a, b])
    session.flush()
    return a, b


def _order(session, dist, no, line, accepted, amount):
    o = Order(dedup_key=f"{no}#{line}", order_no=no, line_no=line, company_id=dist.id,
              placed_at=datetime(2025, 1, 2, 9), accepted_on=accepted,
              amount=None if amount is None else Decimal(amount))
    session.add(o)
    session.flush()
    return o


def _row(session, as_of, no):
    return {r["order_no"]: r for r in list_payments(session, as_of)}[no]


def test_r5_part_payments_then_the_rest(session, dists):
    """GIVEN order P1 of two lines 100.00 + 50.50 = 150.50 accepted 2025-01-31 (due 2025-02-28)
    WHEN 60.00 is paid on 02-10 and the rest (no amount) on 03-05
    THEN the first payment fills line 1 only, the rest is 40.00 + 50.50 = 90.50; as of 02-28 paid_amount is
    60.00, unpaid, not overdue; as of 03-01 overdue; as of 03-05 paid on 03-05, paid late, 150.50 paid (R5)."""
    dist = dists[0]
    l1 = _order(session, dist, "P1", 1, date(2025, 1, 31), "100.00")
    l2 = _order(session, dist, "P1", 2, date(2025, 1, 31), "50.50")
    first = record_payment(session, "P1", date(2025, 2, 10), "60", who="财务甲", today=TODAY)
    assert (first.amount, first.outstanding_before, first.outstanding_after) == (
        Decimal("60.00"), Decimal("150.50"), Decimal("90.50"))
    rest = record_payment(session, "P1", date(2025, 3, 5), who="财务甲", today=TODAY)
    assert rest.amount == Decimal("90.50") and rest.paid_in_full
    per_line = dict(session.execute(select(Payment.order_id, func.count()).group_by(Payment.order_id)).all())
    assert per_line == {l1.id: 2, l2.id: 1}  # 60 + 40 on line 1, 50.50 on line 2
    assert {p.source for p in session.scalars(select(Payment))} == {"manual"}
    r = _row(session, date(2025, 2, 28), "P1")
    assert (r["amount"], r["paid_amount"], r["paid_on"], r["overdue"], r["paid_late"]) == (
        "150.50", "60.00", None, False, False)
    r = _row(session, date(2025, 3, 1), "P1")
    assert (r["paid_amount"], r["overdue"]) == ("60.00", True)
    r = _row(session, date(2025, 3, 5), "P1")
    assert (r["paid_amount"], r["paid_on"], r["overdue"], r["paid_late"]) == (
        "150.50", date(2025, 3, 5), False, True)
    assert session.scalar(select(func.count()).select_from(AuditLog)
                          .where(AuditLog.action == "payment.record")) == 3


def test_r5_paid_in_time_is_not_late(session, dists):
    """GIVEN 10.00 accepted 2025-01-31 WHEN paid in full on the due day 02-28 THEN paid_late is false (R5)."""
    _order(session, dists[0], "Q", 1, date(2025, 1, 31), "10.00")
    record_payment(session, "Q", date(2025, 2, 28), "10.00", today=TODAY)
    r = _row(session, date(2025, 3, 1), "Q")
    assert (r["paid_on"], r["paid_late"], r["overdue"]) == (date(2025, 2, 28), False, False)


def test_r5_refusals(session, dists):
    """GIVEN order P1 (100.00, accepted 2025-01-31) and order N not accepted WHEN recording 100.01, an unknown
    order, a payment dated before acceptance, a future date, a zero or 3-decimal amount, order N, and a
    second full payment THEN Conflict (exit 4) / NotFound and BadInput (exit 3); nothing is written (R5)."""
    _order(session, dists[0], "P1", 1, date(2025, 1, 31), "100.00")
    _order(session, dists[0], "N", 1, None, "5.00")
    with pytest.raises(Conflict):
        record_payment(session, "P1", date(2025, 2, 10), "100.01", today=TODAY)
    with pytest.raises(NotFound):
        record_payment(session, "NOPE", date(2025, 2, 10), today=TODAY)
    for bad in ((date(2025, 1, 30), None), (date(2026, 1, 2), None), (date(2025, 2, 10), "0"),
                (date(2025, 2, 10), "1.005"), (date(2025, 2, 10), "abc")):
        with pytest.raises(BadInput):
            record_payment(session, "P1", bad[0], bad[1], today=TODAY)
    with pytest.raises(Conflict):
        record_payment(session, "N", date(2025, 2, 10), today=TODAY)
    assert session.scalar(select(func.count()).select_from(Payment)) == 0
    record_payment(session, "P1", date(2025, 2, 10), today=TODAY)
    with pytest.raises(Conflict):
        record_payment(session, "P1", date(2025, 2, 11), "1", today=TODAY)


def test_r5_payment_dated_later_is_unknown_as_of(session, dists):
    """GIVEN 200.00 accepted 2025-03-03 (due 04-30) paid 150.00 on 2025-05-06 WHEN as of 05-05 THEN nothing is
    paid and it is overdue; as of 05-06 150.00 paid, still overdue (50.00 open) (R5 as of d)."""
    _order(session, dists[0], "R", 1, date(2025, 3, 3), "200.00")
    record_payment(session, "R", date(2025, 5, 6), "150", today=TODAY)
    r = _row(session, date(2025, 5, 5), "R")
    assert (r["paid_amount"], r["overdue"]) == ("0.00", True)
    r = _row(session, date(2025, 5, 6), "R")
    assert (r["paid_amount"], r["overdue"], r["paid_on"]) == ("150.00", True, None)


def test_r5_alerts_per_distributor_outstanding(session, dists):
    """GIVEN for 国药控股: A 300.00 accepted 2025-01-10 (due 02-28) with 120.00 paid, B 80.00 accepted 2025-02-03
    (due 03-31), C 50.00 accepted 2025-01-20 paid in full; for 华润医药: D 10.00 accepted 2024-12-31 (due 2025-01-31)
    WHEN the R5 alerts are computed as of 2025-03-15
    THEN 国药控股: 1 delivery (A) with 180.00 outstanding, first due 02-28, since 03-01 (B is not yet due);
    华润医药: 1 delivery, 10.00, first due 01-31; as of 2025-04-01 国药控股 has 2 deliveries, 260.00 (R5)."""
    gy, hr = dists
    _order(session, gy, "A", 1, date(2025, 1, 10), "300.00")
    _order(session, gy, "B", 1, date(2025, 2, 3), "80.00")
    _order(session, gy, "C", 1, date(2025, 1, 20), "50.00")
    _order(session, hr, "D", 1, date(2024, 12, 31), "10.00")
    record_payment(session, "A", date(2025, 2, 1), "120", today=TODAY)
    record_payment(session, "C", date(2025, 2, 1), today=TODAY)
    found = {a.subject: a for a in payment_alerts(session, date(2025, 3, 15))}
    assert set(found) == {"payments:国药控股", "payments:华润医药"}
    assert found["payments:国药控股"].extra == {"count": 1, "amount": "180.00"}
    assert found["payments:国药控股"].since == date(2025, 3, 1)
    assert found["payments:华润医药"].extra == {"count": 1, "amount": "10.00"}
    assert found["payments:华润医药"].since == date(2025, 2, 1)
    later = {a.subject: a for a in payment_alerts(session, date(2025, 4, 1))}
    assert later["payments:国药控股"].extra == {"count": 2, "amount": "260.00"}


def test_r5_open_list_and_acceptance_bounds(session, dists):
    """GIVEN A (accepted 2025-01-10, unpaid), C (2025-01-20, paid) and B (2025-02-03) WHEN listing open only
    as of 2025-03-15 THEN A and B; bounded to acceptances 2025-02-01..2025-02-28 THEN only B (R5)."""
    _order(session, dists[0], "A", 1, date(2025, 1, 10), "300.00")
    _order(session, dists[0], "C", 1, date(2025, 1, 20), "50.00")
    _order(session, dists[0], "B", 1, date(2025, 2, 3), "80.00")
    record_payment(session, "C", date(2025, 2, 1), today=TODAY)
    assert [r["order_no"] for r in list_payments(session, date(2025, 3, 15), open_only=True)] == ["A", "B"]
    assert [r["order_no"] for r in list_payments(session, date(2025, 3, 15), accepted_from=date(2025, 2, 1),
                                                  accepted_to=date(2025, 2, 28))] == ["B"]


def test_r5_domain_overdue_bound_and_allocation():
    """GIVEN as-of days WHEN the overdue acceptance bound is asked THEN the first day of the previous month
    (2025-03-01 → 02-01, 2025-01-15 → 2024-12-01); 90.50 over lines owing 40.00 and 50.50 fills both (R5)."""
    assert overdue_accepted_before(date(2025, 3, 1)) == date(2025, 2, 1)
    assert overdue_accepted_before(date(2025, 1, 15)) == date(2024, 12, 1)
    assert allocate(Decimal("60.00"), [Decimal("100.00"), Decimal("50.50")]) == [Decimal("60.00"), Decimal(0)]
    assert allocate(Decimal("90.50"), [Decimal("40.00"), Decimal("50.50")]) == [Decimal("40.00"),
                                                                                  Decimal("50.50")]
