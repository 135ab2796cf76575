"""Issue 21: the import's lookup of known lines by ``dedup_key`` (services/importing/upsert.py)
reads through the key's unique index on SQLite whatever the statistics say. With statistics taken
while the table was small, SQLite plans ``dedup_key IN (2 000 keys)`` as a scan of the whole table,
and a big import then scans the growing table once per chunk (quadratic)."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.dialects import sqlite

from db import models as m
from db.sql_hints import unique_index
from hospital_app.services.importing.upsert import existing_rows

COMPARE = ("product_id", "purchase_date", "quantity")


def _plan(session, statement) -> str:
    sql = str(statement.compile(dialect=sqlite.dialect(), compile_kwargs={"literal_binds": True}))
    return " | ".join(row[3] for row in session.connection().exec_driver_sql("EXPLAIN QUERY PLAN " + sql))


def _small_analyzed_table(session) -> list[str]:
    product = m.Product(generic_name="阿托伐他汀钙片", generic_name_norm="阿托伐他汀钙片", spec="20mg", base_unit="片")
    session.add(product)
    session.flush()
    session.add_all([m.Purchase(product_id=product.id, dedup_key=f"PO-{i}#1", order_no=f"PO-{i}", line_no=1,
                                purchase_date=date(2025, 1, 1 + i % 28), quantity=10) for i in range(40)])
    session.flush()
    session.connection().exec_driver_sql("ANALYZE")
    return [f"NEW-{i}#1" for i in range(2000)] + ["PO-3#1"]


def test_the_lookup_reads_the_key_index_after_a_small_table_was_analyzed(session):
    """GIVEN a purchase table of 40 lines, analyzed WHEN 2 001 keys are looked up THEN the plan reads
    through the dedup_key unique index (the same query without the hint scans the table), and the
    one known key comes back with its id and compared columns."""
    keys = _small_analyzed_table(session)
    index = unique_index(session, m.Purchase.__table__, "dedup_key")
    assert index and index.startswith("sqlite_autoindex_purchase")
    plain = select(m.Purchase.dedup_key, m.Purchase.id, *(getattr(m.Purchase, c) for c in COMPARE)).where(
        m.Purchase.dedup_key.in_(keys))
    assert "SCAN purchase" in _plan(session, plain)  # what the hint is for
    hinted = _plan(session, existing_rows(session, m.Purchase, COMPARE, keys))
    assert f"INDEX {index} (dedup_key=?)" in hinted and "SCAN" not in hinted
    rows = session.execute(existing_rows(session, m.Purchase, COMPARE, keys)).all()
    assert [(r[0], r[3], r[4]) for r in rows] == [("PO-3#1", date(2025, 1, 4), 10)]


def test_no_index_hint_where_the_column_has_no_unique_index_of_its_own(session):
    """GIVEN the purchase table WHEN asked for a unique index on purchase_date (indexed, not unique)
    THEN None: the hint is only ever a single-column unique index."""
    assert unique_index(session, m.Purchase.__table__, "purchase_date") is None
