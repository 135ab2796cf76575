"""R4/R5 counted in SQL (issue 21) give the rule book's answers on SQLite and PostgreSQL alike:
the 48 h / 4 h windows exact to the microsecond, the overdue deliveries and the open payments."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from db.models import Company, Order, Payment
from db.sql_time import within_hours
from hospital_app.services.orders import order_alerts, order_stats
from hospital_app.services.alerts import collect_alerts
from hospital_app.services.payments import count_open, list_payments, payment_alerts

H48 = timedelta(hours=48)
US = timedelta(microseconds=1)


@pytest.fixture
def session(any_db_session):
    return any_db_session


def _company(session, name="国药控股"):
    c = Company(name=name, is_distributor=True)
    session.add(c)
    session.flush()
    return c


def _order(session, company, no, placed, responded, delivered, emergency=False, accepted=None, amount=None, line=1):
    session.add(Order(dedup_key=f"{no}#{line}", order_no=no, line_no=line, company_id=company.id,
                      placed_at=placed, responded_at=responded, delivered_at=delivered, emergency=emergency,
                      accepted_on=accepted, amount=None if amount is None else Decimal(amount)))


def test_within_hours_is_exact_to_the_microsecond(session):
    """GIVEN pairs of times 48 h apart give or take a microsecond, with fractions on both sides
    WHEN within_hours(earlier, later, 48) is evaluated by the database
    THEN exactly 48:00:00 is within, one microsecond more is not, and a later whole second with
    a smaller fraction (47:59:59.5) is within — neither whole seconds nor julianday get all three."""
    p = datetime(2025, 2, 3, 9, 0, 0, 100000)
    q = datetime(2025, 2, 3, 9, 0, 0, 900000)
    cases = [(p, p + H48, True), (p, p + H48 + US, False), (q, datetime(2025, 2, 5, 9, 0, 0, 400000), True),
             (p, None, None)]
    for earlier, later, expected in cases:
        got = session.execute(select(within_hours(_typed(earlier), _typed(later), 48))).scalar()
        assert (None if got is None else bool(got)) is expected, (earlier, later)


def _typed(value):
    from sqlalchemy import DateTime, literal, null

    return null() if value is None else literal(value, DateTime())


def test_r4_counts_in_sql_at_the_exact_edges(session):
    """GIVEN four 2025Q1 orders of one distributor:
    O1 responded and delivered exactly 48 h after placing (x.250000 → x.250000), in time twice;
    O2 responded and delivered 48 h + 1 µs after (late twice);
    O3 responded after 47:59:59.5 (09:00:00.9 → two days later 09:00:00.4, in time) and, an emergency,
    delivered exactly 4 h after (in time);
    O4 an emergency responded after 1 h, delivered 4 h + 1 µs after (late)
    WHEN R4 is counted for 2025Q1 THEN 4 placed, 3 responded in time, 4 delivered, 2 in time
    (response rate 0.75, timeliness 0.5: a warning) — on SQLite and PostgreSQL."""
    c = _company(session)
    p1, p2 = datetime(2025, 2, 3, 9, 0, 0, 250000), datetime(2025, 2, 3, 9, 0, 0, 100000)
    p3, p4 = datetime(2025, 2, 3, 9, 0, 0, 900000), datetime(2025, 2, 3, 10, 0, 0, 500000)
    _order(session, c, "O1", p1, p1 + H48, p1 + H48)
    _order(session, c, "O2", p2, p2 + H48 + US, p2 + H48 + US)
    _order(session, c, "O3", p3, datetime(2025, 2, 5, 9, 0, 0, 400000), p3 + timedelta(hours=4), emergency=True)
    _order(session, c, "O4", p4, p4 + timedelta(hours=1), p4 + timedelta(hours=4) + US, emergency=True)
    session.flush()
    [row] = order_stats(session, "2025Q1", as_of=date(2025, 3, 31))
    assert (row["placed"], row["responded_in_time"], row["delivered"], row["delivered_in_time"]) == (4, 3, 4, 2)
    assert (row["response_rate"], row["timeliness"], row["level"]) == (0.75, 0.5, "warning")


def test_r4_counts_per_distributor_and_quarter_at_the_quarter_edges(session):
    """GIVEN one-line orders of distributors A and B and one without a distributor, as of 2025-06-30:
    A placed 2024-12-31 23:59:59.999999 (responded after 1 h, delivered after 2 h: in time twice),
    A placed 2025-01-01 00:00 exactly (responded after 49 h, delivered after 50 h: late twice),
    A placed 2025-03-31 12:00 (responded after 1 h, not delivered),
    B placed 2025-02-10 09:00 (responded after 2 h, delivered after 30 h), and
    none placed 2025-04-01 00:00 exactly (responded after 1 h, delivered after 3 h)
    WHEN R4 is counted for every quarter (read per distributor, ``ix_orders_company_placed``)
    THEN A 2024Q4 = 1 placed, 1 in time, 1 delivered, 1 in time; A 2025Q1 = 2, 1, 1, 0;
    B 2025Q1 = 1, 1, 1, 1; no distributor 2025Q2 = 1, 1, 1, 1 — on SQLite and PostgreSQL."""
    from hospital_app.services.orders import one_line_per_order

    a, b = _company(session, "甲配送"), _company(session, "乙配送")
    h = lambda n: timedelta(hours=n)  # noqa: E731
    t1, t2, t3 = datetime(2024, 12, 31, 23, 59, 59, 999999), datetime(2025, 1, 1), datetime(2025, 3, 31, 12)
    _order(session, a, "A1", t1, t1 + h(1), t1 + h(2))
    _order(session, a, "A2", t2, t2 + h(49), t2 + h(50))
    _order(session, a, "A3", t3, t3 + h(1), None)
    t4, t5 = datetime(2025, 2, 10, 9), datetime(2025, 4, 1)
    _order(session, b, "B1", t4, t4 + h(2), t4 + h(30))
    session.add(Order(dedup_key="N1#1", order_no="N1", line_no=1, company_id=None, placed_at=t5,
                      responded_at=t5 + h(1), delivered_at=t5 + h(3)))
    session.flush()
    assert one_line_per_order(session)
    got = {(r["company"], r["quarter"]): (r["placed"], r["responded_in_time"], r["delivered"], r["delivered_in_time"])
           for r in order_stats(session, as_of=date(2025, 6, 30))}
    assert got == {("甲配送", "2024Q4"): (1, 1, 1, 1), ("甲配送", "2025Q1"): (2, 1, 1, 0),
                   ("乙配送", "2025Q1"): (1, 1, 1, 1), ("", "2025Q2"): (1, 1, 1, 1)}


def test_r4_alert_counts_a_multi_line_order_once_and_waits_for_its_response_window(session):
    """GIVEN on 2025-05-10 (2025Q2) an order of two lines placed 2025-04-01 09:00, responded after 1 h and
    47 h (its last line: in time), delivered after 50 h (late), and an order placed 2025-05-09 09:00 not
    yet responded (inside its 48 h window at the end of the day)
    WHEN the R4 alerts are computed as of 2025-05-10
    THEN one order counts for 2025Q2: responded in time, delivered late (timeliness 0 → a warning)."""
    c = _company(session)
    t = datetime(2025, 4, 1, 9)
    _order(session, c, "M1", t, t + timedelta(hours=1), t + timedelta(hours=2), line=1)
    _order(session, c, "M1", t, t + timedelta(hours=47), t + timedelta(hours=50), line=2)
    _order(session, c, "W1", datetime(2025, 5, 9, 9), None, None)
    session.flush()
    [alert] = order_alerts(session, date(2025, 5, 10))
    assert alert.extra["quarter"] == "2025Q2"
    assert (alert.extra["placed"], alert.extra["responded_in_time"]) == (1, 1)
    assert (alert.extra["delivered"], alert.extra["delivered_in_time"], alert.extra["level"]) == (1, 0, "warning")


def test_r5_overdue_and_open_deliveries_in_sql(session):
    """GIVEN as of 2025-06-15 (overdue when accepted before 2025-05-01): A1 accepted 2025-03-10 for 100.00
    paid 60.00 (overdue, 40.00 open), A2 accepted 2025-04-30 for 50.00 never paid (overdue), A3 accepted
    2025-04-01 for 80.00 paid in full on 2025-05-31 (closed), A4 accepted 2025-05-20 for 30.00 unpaid
    (open, not yet due), A5 accepted 2025-04-02 for 20.00 paid only on 2025-07-01 (after d: overdue)
    WHEN the open payments and the R5 alerts are computed
    THEN open = A1, A5, A2, A4 in acceptance order; one alert: 3 deliveries, 110.00 outstanding,
    earliest due 2025-04-30 (the alert's figures agree with the overdue open payments); the open
    deliveries are counted as 4 in SQL (the dashboard's card), also when the count takes the
    overdue ones from the findings of the day (as the dashboard does)."""
    c = _company(session)
    rows = [("A1", date(2025, 3, 10), "100.00", [("60.00", date(2025, 4, 1))]),
            ("A2", date(2025, 4, 30), "50.00", []),
            ("A3", date(2025, 4, 1), "80.00", [("80.00", date(2025, 5, 31))]),
            ("A4", date(2025, 5, 20), "30.00", []),
            ("A5", date(2025, 4, 2), "20.00", [("20.00", date(2025, 7, 1))])]
    t = datetime(2025, 3, 1, 9)
    for no, accepted, amount, payments in rows:
        _order(session, c, no, t, t, t, accepted=accepted, amount=amount)
        session.flush()
        order_id = session.scalar(select(Order.id).where(Order.order_no == no))
        for paid, on in payments:
            session.add(Payment(order_id=order_id, amount=Decimal(paid), paid_on=on))
    session.flush()
    as_of = date(2025, 6, 15)
    open_rows = list_payments(session, as_of, open_only=True)
    assert [(r["order_no"], r["paid_amount"], r["overdue"]) for r in open_rows] == [
        ("A1", "60.00", True), ("A5", "0.00", True), ("A2", "0.00", True), ("A4", "0.00", False)]
    assert count_open(session, as_of) == 4
    assert count_open(session, as_of, alerts=collect_alerts(session, as_of)) == 4
    assert count_open(session, as_of, alerts=[]) == 1  # no R5 finding given: only A4, not yet due
    [alert] = payment_alerts(session, as_of)
    assert alert.extra == {"count": 3, "amount": "110.00"}
    assert alert.since == date(2025, 5, 1)  # the day after the earliest due date, 2025-04-30
    overdue = [r for r in open_rows if r["overdue"]]
    assert alert.extra["count"] == len(overdue)
    assert alert.extra["amount"] == str(sum(Decimal(r["amount"]) - Decimal(r["paid_amount"]) for r in overdue))
