"""What R4/R5 need of the orders, kept by database triggers (issues 17, 21; db/order_summaries.py).

``order_shape.repeated`` counts the order numbers having more than one line (R4/R5: is every
order one line?), ``orders.settled_on`` is the first payment date from which a line stays paid
in full (R5 overdue payments). Both follow every INSERT, UPDATE and DELETE on SQLite and on a
real PostgreSQL server; the expectations are worked out by hand from the rows each test writes.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from fractions import Fraction

import pytest
from sqlalchemy import delete, insert, select, update

from db import order_summaries
from db.models import Company, Order, OrderShape, Payment
from hospital_app.services.orders import one_line_per_order
from hospital_app.services.payments import list_payments, payment_alerts

PLACED = datetime(2025, 1, 2, 9)


@pytest.fixture
def session(any_db_session):
    return any_db_session


def _company(session) -> int:
    c = Company(name="国药控股", is_distributor=True)
    session.add(c)
    session.flush()
    return c.id


def _line(company_id: int, no: str, line: int = 1, amount: str | None = None,
          accepted: date | None = None) -> dict:
    return {"dedup_key": f"{no}#{line}", "order_no": no, "line_no": line, "company_id": company_id,
            "placed_at": PLACED, "accepted_on": accepted, "emergency": False,
            "amount": None if amount is None else Decimal(amount)}


def _repeated(session) -> int:
    return session.execute(select(OrderShape.repeated)).scalar_one()


def _settled(session, no: str, line: int = 1) -> date | None:
    session.flush()
    return session.execute(select(Order.settled_on).where(Order.dedup_key == f"{no}#{line}")).scalar_one()


def _id(session, no: str, line: int = 1) -> int:
    return session.execute(select(Order.id).where(Order.dedup_key == f"{no}#{line}")).scalar_one()


def _pay(session, no: str, amount: str, on: date | None, line: int = 1) -> Payment:
    p = Payment(order_id=_id(session, no, line), amount=Decimal(amount), paid_on=on)
    session.add(p)
    session.flush()
    return p


# --------------------------------------------------------------------------- order_shape


def test_repeated_order_numbers_follow_inserts_updates_and_deletes(session):
    """GIVEN orders A and B of one line each THEN no number repeats (every order is one line).
    WHEN A gets a 2nd and a 3rd line THEN one number repeats; WHEN three lines of C come in one
    INSERT statement THEN two repeat; WHEN B's line is renumbered A THEN still two (A has 4 lines);
    WHEN two of C's lines go in one DELETE THEN one (C has one line left); WHEN A's lines are
    renumbered D one by one until one A line is left THEN one (D repeats, A does not); WHEN every
    line but one of D is deleted THEN none repeats and every order is one line again (R4/R5)."""
    c = _company(session)
    session.execute(insert(Order), [_line(c, "A"), _line(c, "B")])
    assert _repeated(session) == 0 and one_line_per_order(session)
    session.execute(insert(Order), [_line(c, "A", 2)])
    session.execute(insert(Order), [_line(c, "A", 3)])
    assert _repeated(session) == 1 and not one_line_per_order(session)
    session.execute(insert(Order).values([_line(c, "C", i) for i in (1, 2, 3)]))  # one statement
    assert _repeated(session) == 2
    session.execute(update(Order).where(Order.order_no == "B").values(order_no="A"))
    assert _repeated(session) == 2
    session.execute(delete(Order).where(Order.order_no == "C", Order.line_no >= 2))
    assert _repeated(session) == 1
    for line in (1, 2, 3):
        session.execute(update(Order).where(Order.dedup_key == f"A#{line}").values(order_no="D"))
    assert _repeated(session) == 1  # A: B's old line alone; D: three lines
    session.execute(delete(Order).where(Order.order_no == "D", Order.line_no >= 2))
    assert _repeated(session) == 0 and one_line_per_order(session)


def test_an_orm_flush_is_seen_by_the_one_line_check(session):
    """GIVEN an order line added through the ORM and not yet flushed, with the same number as
    an existing line WHEN the one-line check runs THEN it sees the pending line (R4/R5)."""
    c = _company(session)
    session.execute(insert(Order), [_line(c, "A")])
    assert one_line_per_order(session)
    session.add(Order(**_line(c, "A", 2)))
    assert not one_line_per_order(session)


# ---------------------------------------------------------------------------- settled_on


def test_settled_on_follows_part_payments_deletes_amounts_and_dates(session):
    """GIVEN line X of 100.00 accepted 2025-01-10 (R5):
    - 40.00 paid 2025-01-20: not settled (40 < 100);
    - 60.00 paid 2025-02-05: settled 2025-02-05 (40 + 60 = 100);
    - a payment without a date: ignored, still 2025-02-05;
    - the 40.00 deleted: not settled (60 + nothing < 100);
    - the amount changed to 60.00: settled 2025-02-05 (60 covers it);
    - the 60.00 moved to 2025-01-25: settled 2025-01-25;
    - a refund of -10.00 on 2025-03-01: not settled (50 < 60);
    - 10.00 more on 2025-03-05: settled 2025-03-05 — paid for good only from then, not 2025-01-25;
    - the 60.00 moved to line Y (amount 60.00): X unsettled (0 < 60), Y settled 2025-01-25."""
    c = _company(session)
    session.execute(insert(Order), [_line(c, "X", amount="100.00", accepted=date(2025, 1, 10)),
                                    _line(c, "Y", amount="60.00", accepted=date(2025, 1, 10))])
    first = _pay(session, "X", "40.00", date(2025, 1, 20))
    assert _settled(session, "X") is None
    second = _pay(session, "X", "60.00", date(2025, 2, 5))
    assert _settled(session, "X") == date(2025, 2, 5)
    _pay(session, "X", "5.00", None)
    assert _settled(session, "X") == date(2025, 2, 5)
    session.delete(first)
    assert _settled(session, "X") is None
    session.execute(update(Order).where(Order.order_no == "X").values(amount=Decimal("60.00")))
    assert _settled(session, "X") == date(2025, 2, 5)
    second.paid_on = date(2025, 1, 25)
    assert _settled(session, "X") == date(2025, 1, 25)
    _pay(session, "X", "-10.00", date(2025, 3, 1))
    assert _settled(session, "X") is None
    _pay(session, "X", "10.00", date(2025, 3, 5))
    assert _settled(session, "X") == date(2025, 3, 5)
    second.order_id = _id(session, "Y")
    assert (_settled(session, "X"), _settled(session, "Y")) == (None, date(2025, 1, 25))


def test_a_line_inserted_with_a_settled_date_is_checked_against_its_payments(session):
    """GIVEN a line inserted carrying a settled date (as a restore or a script might) but no
    payment THEN its date is cleared: nothing has paid it (R5)."""
    c = _company(session)
    session.execute(insert(Order), [{**_line(c, "Z", amount="10.00"), "settled_on": date(2025, 1, 1)}])
    assert _settled(session, "Z") is None


def test_overdue_deliveries_of_several_lines_use_the_settled_lines_only_as_a_prefilter(session):
    """GIVEN as of 2025-06-15 (overdue when accepted before 2025-05-01) two-line orders:
    M1 accepted 2025-03-10, lines of 30.00 and 70.00: the first paid 30.00 on 2025-04-01, the
    second 70.00 on 2025-06-20 (after d) → overdue, 70.00 outstanding;
    M2 accepted 2025-03-11, lines of 10.00 and 20.00 both paid in full on 2025-04-02 → paid;
    M3 accepted 2025-03-12, lines of 50.00 and 50.00: 100.00 paid on 2025-04-03 to the first
    line alone (the second line is not settled, yet the delivery is paid in full) → paid
    WHEN the open payments and the R5 alert are computed THEN only M1 is open and overdue,
    with 30.00 paid; one alert: 1 delivery, 70.00 outstanding."""
    c = _company(session)
    for no, day, amounts in (("M1", 10, ("30.00", "70.00")), ("M2", 11, ("10.00", "20.00")),
                             ("M3", 12, ("50.00", "50.00"))):
        session.execute(insert(Order), [_line(c, no, i + 1, a, date(2025, 3, day)) for i, a in enumerate(amounts)])
    _pay(session, "M1", "30.00", date(2025, 4, 1), 1)
    _pay(session, "M1", "70.00", date(2025, 6, 20), 2)
    _pay(session, "M2", "10.00", date(2025, 4, 2), 1)
    _pay(session, "M2", "20.00", date(2025, 4, 2), 2)
    _pay(session, "M3", "100.00", date(2025, 4, 3), 1)
    assert not one_line_per_order(session)
    as_of = date(2025, 6, 15)
    rows = list_payments(session, as_of, open_only=True)
    assert [(r["order_no"], r["amount"], r["paid_amount"], r["overdue"]) for r in rows] == [
        ("M1", "100.00", "30.00", True)]
    [alert] = payment_alerts(session, as_of)
    assert alert.extra == {"count": 1, "amount": "70.00"}


def test_bulk_mode_rebuilds_both_summaries_inside_the_transaction(session):
    """GIVEN orders A (two lines) and B (one line of 20.00, paid 20.00 on 2025-02-01) written
    inside ``order_summaries.bulk`` (triggers off) THEN afterwards one number repeats, B is
    settled on 2025-02-01, and the triggers are back (a payment of A's first line of 5.00 on
    2025-02-03 settles it, its amount being 5.00)."""
    c = _company(session)
    with order_summaries.bulk(session.connection()):
        session.execute(insert(Order), [_line(c, "A", 1, "5.00"), _line(c, "A", 2), _line(c, "B", 1, "20.00")])
        session.execute(insert(Payment), [{"order_id": _id(session, "B"), "amount": Decimal("20.00"),
                                           "paid_on": date(2025, 2, 1), "version": 1,
                                           "created_at": datetime(2025, 2, 1)}])
    assert _repeated(session) == 1
    assert _settled(session, "B") == date(2025, 2, 1)
    _pay(session, "A", "5.00", date(2025, 2, 3), 1)
    assert _settled(session, "A", 1) == date(2025, 2, 3)


# ------------------------------------------------------------------------- R4 durations


def test_scorecard_counts_the_windows_to_the_microsecond_whether_orders_have_one_line_or_more(session):
    """GIVEN four 2025Q1 orders of one distributor (as in test_r4_r5_sql):
    O1 responded and delivered exactly 48 h after placing at x.250000 (in time twice);
    O2 responded and delivered 48 h + 1 µs after (late twice);
    O3 placed 09:00:00.9, responded two days later at 09:00:00.4 (47:59:59.5, in time) and, an
    emergency, delivered exactly 4 h after (in time);
    O4 an emergency responded after 1 h, delivered 4 h + 1 µs after (late)
    THEN the database stored O1's response as 172 800 000 000 µs and O2's as 172 800 000 001 µs;
    the R4 scorecard of 2025Q1 as of 2025-03-31 counts 4 placed, 3 responded in time,
    4 delivered, 2 in time (response rate 0.75, timeliness 0.5) — and the same again once O4 has
    a second line placed with it (the per-order path), the order counted once."""
    from datetime import timedelta

    from hospital_app.services.suppliers import scorecard

    c = _company(session)
    h48, us = timedelta(hours=48), timedelta(microseconds=1)
    p1, p2 = datetime(2025, 2, 3, 9, 0, 0, 250000), datetime(2025, 2, 3, 9, 0, 0, 100000)
    p3, p4 = datetime(2025, 2, 3, 9, 0, 0, 900000), datetime(2025, 2, 3, 10, 0, 0, 500000)

    def line(no, placed, responded, delivered, emergency=False, n=1):
        return {**_line(c, no, n), "placed_at": placed, "responded_at": responded, "delivered_at": delivered,
                "emergency": emergency}

    session.execute(insert(Order), [
        line("O1", p1, p1 + h48, p1 + h48), line("O2", p2, p2 + h48 + us, p2 + h48 + us),
        line("O3", p3, datetime(2025, 2, 5, 9, 0, 0, 400000), p3 + timedelta(hours=4), True),
        line("O4", p4, p4 + timedelta(hours=1), p4 + timedelta(hours=4) + us, True)])
    stored = dict(session.execute(select(Order.order_no, Order.response_us)
                                  .where(Order.order_no.in_(["O1", "O2"]))).all())
    assert stored == {"O1": 172_800_000_000, "O2": 172_800_000_001}

    def counts():
        [row] = [r for r in scorecard(session, date(2025, 3, 31), quarter="2025Q1", role="distributor")
                 if r.company_id == c]
        return (row.placed, row.responded_in_time, row.delivered, row.delivered_in_time,
                row.response_rate, row.timeliness)

    assert one_line_per_order(session)
    assert counts() == (4, 3, 4, 2, Fraction(3, 4), Fraction(1, 2))
    session.execute(insert(Order), [line("O4", p4, p4 + timedelta(hours=1), p4 + timedelta(hours=2), True, 2)])
    assert not one_line_per_order(session)
    assert counts() == (4, 3, 4, 2, Fraction(3, 4), Fraction(1, 2))


def test_the_set_based_rebuild_gives_every_line_the_date_its_triggers_give(session):
    """GIVEN lines paid in parts, paid twice on one day, refunded and paid again, paid without a
    date, without an amount, and not paid, written with the triggers on (each line's date worked
    out by the per-line rule) WHEN the summaries are rebuilt set-based (window functions) THEN
    every line keeps the same date: A 2025-02-10, B 2025-02-01, C 2025-03-05, D none, E 2025-02-02,
    F none."""
    c = _company(session)
    session.execute(insert(Order), [_line(c, "A", 1, "30.00"), _line(c, "B", 1, "10.00"),
                                    _line(c, "C", 1, "10.00"), _line(c, "D", 1, "10.00"), _line(c, "E", 1),
                                    _line(c, "F", 1, "1.00")])
    for no, amount, on in (("A", "10.00", date(2025, 2, 1)), ("A", "20.00", date(2025, 2, 10)),
                           ("B", "4.00", date(2025, 2, 1)), ("B", "6.00", date(2025, 2, 1)),
                           ("C", "10.00", date(2025, 2, 1)), ("C", "-10.00", date(2025, 3, 1)),
                           ("C", "10.00", date(2025, 3, 5)), ("D", "10.00", None),
                           ("E", "0.01", date(2025, 2, 2))):
        _pay(session, no, amount, on)
    expected = {"A": date(2025, 2, 10), "B": date(2025, 2, 1), "C": date(2025, 3, 5), "D": None,
                "E": date(2025, 2, 2), "F": None}
    assert {no: _settled(session, no) for no in expected} == expected
    session.execute(update(Order).values(settled_on=date(2020, 1, 1)))  # wrong everywhere
    with order_summaries.bulk(session.connection()):
        pass
    assert {no: _settled(session, no) for no in expected} == expected
