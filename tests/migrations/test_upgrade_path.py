"""Every schema change is a revision after the frozen 0001 (issue 21 §4).

For each earlier revision a database is built at that revision, filled with a row in
every table, upgraded to head, and compared with a database created fresh at head by
a schema fingerprint (columns, keys, indexes, unique constraints). The data survive.
"""

from __future__ import annotations

import sqlite3
from datetime import date, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.script import ScriptDirectory

import db.session as dbs


def _revisions() -> list[str]:
    script = ScriptDirectory.from_config(dbs.alembic_config())
    return [rev.revision for rev in reversed(list(script.walk_revisions()))]


def _build_at(path: Path, revision: str) -> sa.Engine:
    engine = sa.create_engine(f"sqlite:///{path}")
    with engine.begin() as conn:
        command.upgrade(dbs.alembic_config(conn), revision)
    return engine


def _value(column: sa.Column, n: int):
    t = column.type
    if isinstance(t, sa.Boolean):
        return False
    if isinstance(t, (sa.Integer, sa.BigInteger, sa.SmallInteger)):
        return n
    if isinstance(t, sa.DateTime):
        return datetime(2025, 6, 9, 10, 0)
    if isinstance(t, sa.Date):
        return date(2025, 6, n)
    if isinstance(t, sa.JSON):
        return {}
    if isinstance(t, (sa.String, sa.Text)):
        return f"{column.name}-{n}"
    raise AssertionError(f"no test value for {column.table.name}.{column.name}: {t!r}")


def _derived() -> set[str]:
    """The summary tables the database keeps itself (db/summaries.py, db/order_summaries.py)."""
    from db.models import Base

    return {t.name for t in Base.metadata.sorted_tables if t.info.get("derived")}


def _fill_every_table(engine: sa.Engine) -> dict[str, int]:
    """One row per table (FKs point at row 1 of their table, inserted first); the derived
    summaries are filled by their triggers, never written directly."""
    meta = sa.MetaData()
    meta.reflect(engine)
    counts = {}
    derived = _derived()
    with engine.begin() as conn:
        conn.exec_driver_sql("PRAGMA foreign_keys=ON")
        for table in meta.sorted_tables:
            if table.name == "alembic_version" or table.name in derived:
                continue
            row = {}
            for column in table.columns:
                if column.foreign_keys:
                    row[column.name] = 1
                elif column.primary_key and isinstance(column.type, sa.Integer):
                    row[column.name] = 1
                else:
                    row[column.name] = _value(column, 1)
            conn.execute(table.insert().values(**row))
            counts[table.name] = 1
    return counts


def fingerprint(engine: sa.Engine) -> dict:
    inspector = sa.inspect(engine)
    result = {}
    for name in sorted(inspector.get_table_names()):
        if name == "alembic_version":
            continue
        result[name] = {
            "columns": sorted((c["name"], type(c["type"]).__name__, c["nullable"])
                              for c in inspector.get_columns(name)),
            "pk": sorted(inspector.get_pk_constraint(name)["constrained_columns"]),
            "fks": sorted((tuple(f["constrained_columns"]), f["referred_table"], tuple(f["referred_columns"]))
                          for f in inspector.get_foreign_keys(name)),
            "indexes": sorted((i["name"], tuple(i["column_names"]), bool(i["unique"]))
                              for i in inspector.get_indexes(name)),
            "uniques": sorted((u["name"], tuple(u["column_names"]))
                              for u in inspector.get_unique_constraints(name)),
        }
    with engine.connect() as conn:  # summaries are kept by triggers (db/summaries.py): same ones, same SQL
        result["triggers"] = sorted(tuple(r) for r in conn.exec_driver_sql(
            "SELECT name, tbl_name, sql FROM sqlite_master WHERE type = 'trigger'"))
    return result


def test_revision_0001_is_the_frozen_root_and_head_is_later():
    """GIVEN the shipped revisions THEN 0001 is the root and at least one revision follows it."""
    revisions = _revisions()
    assert revisions[0] == "0001"
    assert len(revisions) >= 2 and revisions[-1] == dbs.head_revision()


@pytest.mark.parametrize("start", [r for r in _revisions()[:-1]])
def test_upgrade_with_data_from_every_earlier_revision_matches_a_fresh_database(tmp_path, start):
    """GIVEN a database at an earlier revision holding a row in every table WHEN it is opened
    (backup, then upgrade) THEN its schema fingerprint equals a fresh head database's and
    every row is still there."""
    old = tmp_path / f"at-{start}.db"
    engine = _build_at(old, start)
    counts = _fill_every_table(engine)
    engine.dispose()

    upgraded = dbs.open_database(str(old))
    fresh = dbs.open_database(str(tmp_path / "fresh.db"))
    try:
        assert dbs.current_revision(upgraded.engine) == dbs.head_revision()
        assert fingerprint(upgraded.engine) == fingerprint(fresh.engine)
        with upgraded.engine.connect() as conn:
            for table, n in counts.items():
                assert conn.exec_driver_sql(f'SELECT COUNT(*) FROM "{table}"').scalar() == n, table
    finally:
        upgraded.dispose()
        fresh.dispose()


def test_0002_moves_each_products_pack_into_product_pack(tmp_path):
    """GIVEN a 0001 database with a product of 10 片 per 盒 at 0.598 元/片 WHEN upgraded
    THEN product_pack holds that pack: 10 units, 盒, 0.598 per unit, 5.98 per pack."""
    path = tmp_path / "packs.db"
    engine = _build_at(path, "0001")
    with engine.begin() as conn:
        conn.exec_driver_sql(
            "INSERT INTO product (id, generic_name, generic_name_norm, units_per_pack, pack_unit, base_unit,"
            " pack_desc, selected, category, selected_price, is_shortage, is_emergency, cheaper_equal_quality,"
            " key_monitoring, suspension_reported_to, created_at, version)"
            " VALUES (1, '非那雄胺片', '非那雄胺片', 10, '盒', '片', '5mg×10片/盒', 1, 'selected', 5980,"
            " 0, 0, 0, 0, '[]', '2025-01-01 00:00:00', 1)")
    engine.dispose()
    database = dbs.open_database(str(path))
    try:
        with database.engine.connect() as conn:
            row = conn.exec_driver_sql(
                "SELECT product_id, units_per_pack, pack_unit, price_per_unit, price_per_pack, pack_desc"
                " FROM product_pack").one()
        assert tuple(row) == (1, 10, "盒", 5980, 59800, "5mg×10片/盒")
    finally:
        database.dispose()


def test_0002_repairs_the_early_non_covering_purchase_index(tmp_path):
    """GIVEN a 0001 database whose purchase index is the early (product, date) one WHEN
    upgraded THEN the index covers (product, date, quantity) as a fresh database's does."""
    path = tmp_path / "early.db"
    engine = _build_at(path, "0001")
    with engine.begin() as conn:
        conn.exec_driver_sql("DROP INDEX ix_purchase_product_date")
        conn.exec_driver_sql("CREATE INDEX ix_purchase_product_date ON purchase (product_id, purchase_date)")
    engine.dispose()
    database = dbs.open_database(str(path))
    try:
        con = sqlite3.connect(path)
        cols = [r[2] for r in con.execute("PRAGMA index_info('ix_purchase_product_date')")]
        con.close()
        assert cols == ["product_id", "purchase_date", "quantity"]
    finally:
        database.dispose()


def test_a_new_database_is_created_in_one_transaction(tmp_path, monkeypatch):
    """GIVEN creation of a new database that fails after the tables were made (as a crash
    would) WHEN it is opened again THEN the first try left no table behind and the second
    builds a complete database at head (issue 23 §3)."""
    path = tmp_path / "new.db"
    real_head = dbs.head_revision()
    calls = {"n": 0}

    def failing_head():
        calls["n"] += 1
        if calls["n"] == 2:  # the first call decides to create; the second stamps
            raise RuntimeError("power cut while creating")
        return real_head

    monkeypatch.setattr(dbs, "head_revision", failing_head)
    with pytest.raises(Exception):
        dbs.open_database(str(path))
    con = sqlite3.connect(path)
    assert con.execute("SELECT COUNT(*) FROM sqlite_master WHERE type='table'").fetchone()[0] == 0
    con.close()
    monkeypatch.undo()
    database = dbs.open_database(str(path))
    try:
        assert dbs.current_revision(database.engine) == real_head
    finally:
        database.dispose()


def test_0003_fills_the_monthly_summary_from_the_lines_already_there(tmp_path):
    """GIVEN a 0002 database with three purchase lines of one product (100 and 50 in 2025-01,
    one with an amount of 59.80; 30 in 2025-02) WHEN upgraded THEN purchase_month holds
    2025-01: 150 units, 5980 fen from 1 line with an amount, 2 lines; 2025-02: 30, 0, 0, 1 —
    and a line inserted afterwards is counted by the triggers."""
    path = tmp_path / "months.db"
    engine = _build_at(path, "0002")
    with engine.begin() as conn:
        conn.exec_driver_sql(
            "INSERT INTO product (id, generic_name, generic_name_norm, base_unit, selected, category,"
            " is_shortage, is_emergency, cheaper_equal_quality, key_monitoring, suspension_reported_to,"
            " created_at, version) VALUES (1, '甲片', '甲片', '片', 1, 'selected', 0, 0, 0, 0, '[]',"
            " '2025-01-01 00:00:00', 1)")
        for key, day, qty, amount in (("a", "2025-01-05", 100, 5980), ("b", "2025-01-31", 50, None),
                                      ("c", "2025-02-01", 30, None)):
            conn.execute(sa.text("INSERT INTO purchase (product_id, dedup_key, purchase_date, quantity, amount,"
                                 " is_return) VALUES (1, :k, :d, :q, :a, 0)"), {"k": key, "d": day, "q": qty,
                                                                               "a": amount})
    engine.dispose()
    database = dbs.open_database(str(path))
    try:
        with database.engine.begin() as conn:
            conn.exec_driver_sql("INSERT INTO purchase (product_id, dedup_key, purchase_date, quantity, is_return)"
                                 " VALUES (1, 'd', '2025-02-11', 5, 0)")
            rows = conn.exec_driver_sql("SELECT month, quantity, amount, amount_lines, lines FROM purchase_month"
                                        " ORDER BY month").all()
        assert [tuple(r) for r in rows] == [("2025-01", 150, 5980, 1, 2), ("2025-02", 35, 0, 0, 2)]
    finally:
        database.dispose()


def test_0004_fills_the_order_summaries_from_the_orders_and_payments_already_there(tmp_path):
    """GIVEN a 0003 database with order A of two lines (100.00 accepted 2025-03-10, paid 40.00 on
    2025-03-20 and 60.00 on 2025-04-02; 50.00 paid 20.00 on 2025-04-01) and order B of one line
    (30.00, paid 30.00 on 2025-04-05) WHEN upgraded THEN one order number repeats (A), A's first
    line is settled on 2025-04-02, its second not at all, B on 2025-04-05 — and a payment of
    30.00 on 2025-05-06 recorded afterwards settles A's second line on that day (R4/R5)."""
    path = tmp_path / "orders.db"
    engine = _build_at(path, "0003")
    with engine.begin() as conn:
        conn.exec_driver_sql("INSERT INTO company (id, name, is_manufacturer, is_distributor, version)"
                             " VALUES (1, '国药控股', 0, 1, 1)")
        for oid, key, no, line, amount in ((1, "A#1", "A", 1, 10000), (2, "A#2", "A", 2, 5000),
                                           (3, "B#1", "B", 1, 3000)):
            conn.execute(sa.text("INSERT INTO orders (id, dedup_key, order_no, line_no, company_id, amount,"
                                 " placed_at, accepted_on, emergency) VALUES (:i, :k, :n, :l, 1, :a,"
                                 " '2025-03-01 09:00:00.000000', '2025-03-10', 0)"),
                         {"i": oid, "k": key, "n": no, "l": line, "a": amount})
        for order_id, amount, day in ((1, 4000, "2025-03-20"), (1, 6000, "2025-04-02"), (2, 2000, "2025-04-01"),
                                      (3, 3000, "2025-04-05")):
            conn.execute(sa.text("INSERT INTO payment (order_id, amount, paid_on, source, version, created_at)"
                                 " VALUES (:o, :a, :d, 'manual', 1, '2025-04-05 00:00:00')"),
                         {"o": order_id, "a": amount, "d": day})
    engine.dispose()
    database = dbs.open_database(str(path))
    try:
        with database.engine.begin() as conn:
            assert conn.exec_driver_sql("SELECT repeated FROM order_shape").all() == [(1,)]
            settled = dict(conn.exec_driver_sql("SELECT dedup_key, settled_on FROM orders").all())
            assert settled == {"A#1": "2025-04-02", "A#2": None, "B#1": "2025-04-05"}
            conn.exec_driver_sql("INSERT INTO payment (order_id, amount, paid_on, source, version, created_at)"
                                 " VALUES (2, 3000, '2025-05-06', 'manual', 1, '2025-05-06 00:00:00')")
            assert conn.exec_driver_sql("SELECT settled_on FROM orders WHERE id = 2").scalar() == "2025-05-06"
    finally:
        database.dispose()


@pytest.mark.postgres
def test_a_postgresql_database_at_0002_upgrades_with_its_summaries_filled(pg_url):
    """GIVEN a PostgreSQL database at 0002 holding a product with two purchase lines in 2025-01
    (100 and 50 units, one of 59.80 元) and an order of 30.00 paid 10.00 on 2025-02-01 and 20.00
    on 2025-02-10 WHEN opened by this version (0003, 0004: triggers, generated columns) THEN
    purchase_month holds 2025-01: 150 units, 5980 fen, 2 lines; the order is settled on
    2025-02-10; no order number repeats; and a line inserted afterwards is counted by the triggers."""
    engine = sa.create_engine(pg_url)
    with engine.begin() as conn:
        command.upgrade(dbs.alembic_config(conn), "0002")
        conn.exec_driver_sql(
            "INSERT INTO product (id, generic_name, generic_name_norm, base_unit, selected, category,"
            " is_shortage, is_emergency, cheaper_equal_quality, key_monitoring, suspension_reported_to,"
            " created_at, version) VALUES (1, '甲片', '甲片', '片', true, 'selected', false, false, false,"
            " false, '[]', '2025-01-01 00:00:00', 1)")
        conn.exec_driver_sql(
            "INSERT INTO purchase (product_id, dedup_key, purchase_date, quantity, amount, is_return) VALUES"
            " (1, 'a', '2025-01-05', 100, 5980, false), (1, 'b', '2025-01-31', 50, NULL, false)")
        conn.exec_driver_sql(
            "INSERT INTO orders (id, dedup_key, order_no, company_id, product_id, amount, placed_at, responded_at,"
            " accepted_on, emergency) VALUES (1, 'P1#1', 'P1', NULL, 1, 3000, '2025-01-02 09:00:00',"
            " '2025-01-02 10:00:00', '2025-01-10', false)")
        conn.exec_driver_sql(
            "INSERT INTO payment (order_id, amount, paid_on, source, version, created_at) VALUES"
            " (1, 1000, '2025-02-01', 'manual', 1, '2025-02-01 00:00:00'),"
            " (1, 2000, '2025-02-10', 'manual', 1, '2025-02-10 00:00:00')")
    engine.dispose()
    database = dbs.open_database(pg_url)
    try:
        assert dbs.current_revision(database.engine) == dbs.head_revision()
        with database.engine.begin() as conn:
            conn.exec_driver_sql("INSERT INTO purchase (product_id, dedup_key, purchase_date, quantity, is_return)"
                                 " VALUES (1, 'c', '2025-02-11', 5, false)")
            months = conn.exec_driver_sql("SELECT month, quantity, amount, lines FROM purchase_month"
                                          " ORDER BY month").all()
            settled = conn.exec_driver_sql("SELECT settled_on FROM orders WHERE id = 1").scalar()
            repeated = conn.exec_driver_sql("SELECT repeated FROM order_shape").scalar()
        assert [tuple(r) for r in months] == [("2025-01", 150, 5980, 2), ("2025-02", 5, 0, 1)]
        assert (settled, repeated) == (date(2025, 2, 10), 0)
    finally:
        database.dispose()
