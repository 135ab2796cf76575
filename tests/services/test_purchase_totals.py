"""The monthly purchase summary and the window sums read from it (issues 17, 21; R7/R8 counted
purchases, R13 baselines).

``purchase_month`` is kept by database triggers on every write to ``purchase``; the window
sums take whole months from it and the edges from the lines. Expectations are written by hand
from the lines each test inserts; the SQLite and PostgreSQL triggers are both exercised.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import delete, select, update

from db import models as m
from db import summaries
from db.session import open_database
from hospital_app.services import purchase_totals as pt


def _summary(session) -> dict[tuple[int, str], tuple[int, int, int, int]]:
    return {(r.product_id, r.month): (r.quantity, r.amount, r.amount_lines, r.lines)
            for r in session.scalars(select(m.PurchaseMonth))}


def _products(session):
    a = m.Product(generic_name="甲片", generic_name_norm="甲片", base_unit="片", selected=True, category="selected")
    b = m.Product(generic_name="乙片", generic_name_norm="乙片", base_unit="片", selected=False,
                  category="nonselected")
    session.add_all([a, b])
    session.flush()
    return a.id, b.id


def _line(pid: int, key: str, day: date, qty: int, amount: str | None) -> m.Purchase:
    return m.Purchase(product_id=pid, dedup_key=key, purchase_date=day, quantity=qty,
                      amount=None if amount is None else Decimal(amount))


# ------------------------------------------------------------------------------- split


@pytest.mark.parametrize("start, upto, months, edges", [
    (date(2025, 1, 1), date(2025, 3, 31), ("2025-01", "2025-03"), []),
    (date(2024, 9, 20), date(2025, 3, 15), ("2024-10", "2025-02"),
     [(date(2024, 9, 20), date(2024, 9, 30)), (date(2025, 3, 1), date(2025, 3, 15))]),
    (date(2025, 2, 3), date(2025, 2, 27), None, [(date(2025, 2, 3), date(2025, 2, 27))]),
    (date(2025, 1, 15), date(2025, 2, 10), None,
     [(date(2025, 1, 15), date(2025, 2, 10))]),
    (date(2024, 2, 1), date(2024, 2, 29), ("2024-02", "2024-02"), []),  # leap February, whole
    (date(2025, 3, 2), date(2025, 3, 1), None, []),  # empty window
])
def test_split_takes_whole_months_and_leaves_the_edges(start, upto, months, edges):
    """GIVEN a window WHEN split THEN the whole calendar months inside it and the partial day
    ranges at its edges are as written by hand (a window with no whole month is one range)."""
    assert pt.split(start, upto) == (months, edges)


# ---------------------------------------------------------------------------- triggers


def test_triggers_follow_every_insert_update_and_delete(session):
    """GIVEN lines inserted, changed and deleted THEN purchase_month holds, per product and month,
    the hand-computed quantity, amount (fen), lines with an amount and lines."""
    a, b = _products(session)
    session.add_all([_line(a, "1", date(2025, 1, 5), 100, "59.80"), _line(a, "2", date(2025, 1, 31), 50, None),
                     _line(a, "3", date(2025, 2, 1), 30, "17.94"), _line(b, "4", date(2025, 1, 9), 10, "12.00")])
    session.flush()
    assert _summary(session) == {(a, "2025-01"): (150, 5980, 1, 2), (a, "2025-02"): (30, 1794, 1, 1),
                                 (b, "2025-01"): (10, 1200, 1, 1)}
    # a return (negative quantity), a line moved to another month and product, a changed amount
    session.add(_line(a, "5", date(2025, 2, 10), -10, "-5.98"))
    session.execute(update(m.Purchase).where(m.Purchase.dedup_key == "2")
                    .values(purchase_date=date(2025, 3, 1), product_id=b))
    session.execute(update(m.Purchase).where(m.Purchase.dedup_key == "1").values(amount=Decimal("60.00")))
    session.flush()
    assert _summary(session) == {(a, "2025-01"): (100, 6000, 1, 1), (a, "2025-02"): (20, 1196, 2, 2),
                                 (b, "2025-01"): (10, 1200, 1, 1), (b, "2025-03"): (50, 0, 0, 1)}
    # the last line of a month deleted: the month row goes
    session.execute(delete(m.Purchase).where(m.Purchase.dedup_key == "4"))
    session.flush()
    assert (b, "2025-01") not in _summary(session)


def test_bulk_mode_rebuilds_the_summary_inside_the_transaction(session):
    """GIVEN lines written inside ``summaries.bulk`` (triggers and secondary indexes off) THEN
    afterwards the summary holds them, the indexes are there again and the triggers are back (a
    later insert is counted too)."""
    a, _ = _products(session)
    with summaries.bulk(session.connection()):
        session.add_all([_line(a, str(i), date(2025, 4, 1 + i), 10, "1.00") for i in range(3)])
        session.flush()
        assert _summary(session) == {}  # nothing maintained while in bulk mode
    assert _summary(session) == {(a, "2025-04"): (30, 300, 3, 3)}
    indexes = {r[0] for r in session.connection().exec_driver_sql(
        "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'purchase'")}
    assert {"ix_purchase_product_date", "ix_purchase_date"} <= indexes  # built again after the block
    session.add(_line(a, "x", date(2025, 4, 20), 5, None))
    session.flush()
    assert _summary(session) == {(a, "2025-04"): (35, 300, 3, 4)}


def test_triggers_on_postgresql_match_sqlite(any_db_url):
    """GIVEN the same inserts, update and delete on SQLite and on a real PostgreSQL server THEN
    both summaries hold the hand-computed rows."""
    database = open_database(any_db_url)
    try:
        with database.session() as s:
            a, b = _products(s)
            s.add_all([_line(a, "1", date(2025, 1, 5), 100, "59.80"), _line(a, "2", date(2025, 1, 31), 50, None),
                       _line(b, "3", date(2025, 2, 1), 30, "17.94")])
            s.flush()
            s.execute(update(m.Purchase).where(m.Purchase.dedup_key == "3").values(quantity=40))
            s.execute(delete(m.Purchase).where(m.Purchase.dedup_key == "1"))
        with database.session() as s:
            assert _summary(s) == {(a, "2025-01"): (50, 0, 0, 1), (b, "2025-02"): (40, 1794, 1, 1)}
    finally:
        database.dispose()


# ------------------------------------------------------------------------- window sums


@pytest.fixture
def lines(session):
    a, b = _products(session)
    session.add_all([
        _line(a, "1", date(2024, 9, 19), 7, "7.00"),     # before the window
        _line(a, "2", date(2024, 9, 20), 100, "10.00"),  # first day (edge)
        _line(a, "3", date(2024, 10, 15), 200, None),    # a whole month, no amount
        _line(a, "4", date(2024, 12, 31), 300, "30.00"),  # a whole month
        _line(a, "5", date(2025, 1, 10), 40, "4.00"),    # last edge
        _line(a, "6", date(2025, 1, 11), 9, "9.00"),     # after the window
        _line(b, "7", date(2024, 11, 1), 5, "5.00"),
        _line(b, "8", date(2025, 1, 1), -2, "-2.00"),   # a return on the last edge
    ])
    session.flush()
    return a, b


def test_per_product_adds_whole_months_and_edges(session, lines):
    """GIVEN the window 2024-09-20 … 2025-01-10 THEN product A counts 100 + 200 + 300 + 40 = 640
    units, 44.00 元 (the line without an amount adds none), product B 5 − 2 = 3 units, 3.00 元;
    the lines of 09-19 and 01-11 are outside."""
    a, b = lines
    sums = pt.per_product(session, date(2024, 9, 20), date(2025, 1, 10))
    assert (sums[a].quantity, sums[a].amount) == (640, 4400)
    assert (sums[b].quantity, sums[b].amount) == (3, 300)


def test_a_product_filter_and_a_month_without_amounts(session, lines):
    """GIVEN the same window and only product A's generic name THEN A's months are
    2024-09: 100, 2024-10: 200, 2024-12: 300, 2025-01: 40, and B is absent; October alone has
    200 units and no amount (None, not 0)."""
    a, _ = lines
    months = pt.quantities_per_month(session, date(2024, 9, 20), date(2025, 1, 10),
                                     m.Product.generic_name_norm == "甲片")
    assert months == {a: {(2024, 9): 100, (2024, 10): 200, (2024, 12): 300, (2025, 1): 40}}
    october = pt.per_product(session, date(2024, 10, 1), date(2024, 10, 31))[a]
    assert (october.quantity, october.amount) == (200, None)


def test_a_window_inside_one_month_reads_only_lines(session, lines):
    """GIVEN the window 2024-12-01 … 2024-12-30 (no whole month) THEN the line of 12-31 is not
    counted, although its month's summary holds it: nothing for A."""
    assert pt.per_product(session, date(2024, 12, 1), date(2024, 12, 30)) == {}


def test_quantities_per_month_match_the_sums(session, lines):
    """GIVEN the window 2024-09-20 … 2025-01-10 THEN the units per month are A 100, 200, 300,
    40; B 5 (2024-11) and −2 (2025-01)."""
    a, b = lines
    assert pt.quantities_per_month(session, date(2024, 9, 20), date(2025, 1, 10)) == {
        a: {(2024, 9): 100, (2024, 10): 200, (2024, 12): 300, (2025, 1): 40},
        b: {(2024, 11): 5, (2025, 1): -2}}


def test_value_counts_the_amount_else_unit_price_times_quantity(session):
    """GIVEN in 2025-05 a line of 59.80 元 and a line of 50 units at 0.5980 元/unit without an
    amount, and on 2025-06-03 a line of 10 units at 1.0000 without an amount THEN the value of
    2025-05 … 2025-06-03 is 598 000 + 299 000 + 100 000 = 997 000 (0.0001 元, i.e. 99.70 元),
    and the summary's month holds 897 000 (R20 amount shares)."""
    a, _ = _products(session)
    session.add_all([_line(a, "1", date(2025, 5, 2), 100, "59.80"), _line(a, "2", date(2025, 5, 9), 50, None),
                     _line(a, "3", date(2025, 6, 3), 10, None)])
    session.flush()
    session.execute(update(m.Purchase).where(m.Purchase.dedup_key == "2").values(unit_price=Decimal("0.5980")))
    session.execute(update(m.Purchase).where(m.Purchase.dedup_key == "3").values(unit_price=Decimal("1")))
    session.flush()
    assert session.scalar(select(m.PurchaseMonth.value).where(m.PurchaseMonth.month == "2025-05")) == 897_000
    assert pt.per_product(session, date(2025, 5, 1), date(2025, 6, 3))[a].value == 997_000


def test_the_edges_of_a_window_are_read_from_the_product_date_index_alone(session):
    """GIVEN a window with partial months at both edges, its products given by generic name (as
    progress asks) WHEN SQLite plans the edge reads, with no statistics yet THEN each reads
    ix_purchase_product_date as a covering index (no table row is looked up) — the plan the
    module docstring states; the SQL carries no index hint (SQLAlchemy renders none on SQLite)."""
    _products(session)
    products = m.Product.generic_name_norm.in_(["甲片"])
    _months, edges = pt.split(date(2025, 1, 20), date(2025, 6, 15))
    queries = pt._queries(session, date(2025, 1, 20), date(2025, 6, 15), products, True, False)
    assert len(queries) == 1 + len(edges) == 3  # the summary read, then one read per edge
    for query in queries[1:]:
        compiled = query.compile(session.get_bind(), compile_kwargs={"literal_binds": True})
        assert "INDEXED BY" not in str(compiled)
        plan = " ".join(str(r[-1]) for r in session.connection().exec_driver_sql(
            f"EXPLAIN QUERY PLAN {compiled}"))
        assert "COVERING INDEX ix_purchase_product_date" in plan, plan
