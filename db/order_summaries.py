"""What R4 and R5 need of the orders, kept up to date by the database itself (issues 17, 21).

Two derived facts, maintained by triggers on SQLite and PostgreSQL alike on every INSERT,
UPDATE and DELETE, whatever writes the rows (an import, a payment recorded by hand, an undo,
a restore, a script):

- ``order_shape.repeated`` (one row, ``id = 1``): how many order numbers have more than one
  line. ``services.orders.one_line_per_order`` is then one indexed read instead of a walk of
  ``ix_orders_order_no``. SQLite fires row triggers as each row is written, so a row trigger
  sees the count of its order number go 1 → 2 (or 2 → 1) by looking ``ix_orders_order_no`` up.
  PostgreSQL fires AFTER row triggers once the whole statement is done, so there statement
  triggers compare, per order number the statement touched, the count now with the count
  before (now minus the statement's net change, read from its transition tables).
- ``orders.settled_on`` (R5): the first payment date from which the line stays paid — its
  payments dated up to any later day reach its amount (no amount counts as 0, and at least
  one payment is needed). NULL while the payments dated so far do not cover it. A line with
  ``settled_on <= d`` is paid on d; so the overdue deliveries are found among the lines with
  ``settled_on IS NULL OR settled_on > d`` (``ix_orders_settled``), and the exact per-delivery
  sums are then taken of those alone. Payment triggers recompute the date of their line;
  a changed amount recomputes it too.

``order_shape`` is derived (not backed up or restored). ``settled_on`` is backed up with its
line; on restore the payments' triggers recompute it (and an inserted line carrying a date is
checked at once). ``install`` creates the triggers and fills both from the rows already there
(``create_all`` and revision 0004); ``bulk`` writes many rows with the triggers off.
"""

from __future__ import annotations

from sqlalchemy import event
from sqlalchemy.engine import Connection

from db import summaries

#: Tables computed from others: not backed up, not restored.
DERIVED = frozenset({"order_shape"})


def settled_sql(order_id: str, amount: str) -> str:
    """The ``settled_on`` of line ``order_id`` whose amount is ``amount`` (SQL expressions):
    the earliest payment date D such that at every payment date from D on, the payments dated
    up to it reach the amount. Exact even were a payment negative (a refund): a line paid,
    then unpaid again, is settled only from when it is paid for good."""
    return (f"(SELECT min(p.paid_on) FROM payment p WHERE p.order_id = {order_id} AND p.paid_on IS NOT NULL "
            f"AND NOT EXISTS (SELECT 1 FROM payment q WHERE q.order_id = {order_id} AND q.paid_on >= p.paid_on "
            f"AND (SELECT sum(r.amount) FROM payment r WHERE r.order_id = {order_id} AND r.paid_on <= q.paid_on)"
            f" < coalesce({amount}, 0)))")


def _settle(order_id: str) -> str:
    """Recompute the date of one line (an UPDATE statement)."""
    return f"UPDATE orders SET settled_on = {settled_sql('orders.id', 'orders.amount')} WHERE id = {order_id};"


def _few(order_no: str, limit: int) -> str:
    """How many lines order number ``order_no`` has, counted up to ``limit`` (ix_orders_order_no)."""
    return f"(SELECT count(*) FROM (SELECT 1 FROM orders WHERE order_no = {order_no} LIMIT {limit}))"


def _sqlite_ddl() -> list[str]:
    gained = f"UPDATE order_shape SET repeated = repeated + 1 WHERE id = 1 AND {_few('NEW.order_no', 3)} = 2;"
    lost = f"UPDATE order_shape SET repeated = repeated - 1 WHERE id = 1 AND {_few('OLD.order_no', 2)} = 1;"
    return [
        f"CREATE TRIGGER trg_order_shape_insert AFTER INSERT ON orders BEGIN {gained} END",
        f"CREATE TRIGGER trg_order_shape_delete AFTER DELETE ON orders BEGIN {lost} END",
        "CREATE TRIGGER trg_order_shape_update AFTER UPDATE OF order_no ON orders "
        f"WHEN OLD.order_no IS NOT NEW.order_no BEGIN {lost} {gained} END",
        "CREATE TRIGGER trg_order_settled_insert AFTER INSERT ON orders WHEN NEW.settled_on IS NOT NULL "
        f"BEGIN {_settle('NEW.id')} END",
        "CREATE TRIGGER trg_order_settled_amount AFTER UPDATE OF amount ON orders "
        f"WHEN OLD.amount IS NOT NEW.amount BEGIN {_settle('NEW.id')} END",
        f"CREATE TRIGGER trg_payment_settled_insert AFTER INSERT ON payment BEGIN {_settle('NEW.order_id')} END",
        f"CREATE TRIGGER trg_payment_settled_delete AFTER DELETE ON payment BEGIN {_settle('OLD.order_id')} END",
        "CREATE TRIGGER trg_payment_settled_update AFTER UPDATE OF order_id, amount, paid_on ON payment "
        f"BEGIN {_settle('OLD.order_id')} {_settle('NEW.order_id')} END",
    ]


def _pg_shape_function(op: str, changes: str) -> str:
    """A statement trigger function: per order number touched, (count now > 1) minus (count
    before > 1), where before = now minus the statement's net change ``d``."""
    return (
        f"CREATE OR REPLACE FUNCTION order_shape_{op}() RETURNS trigger LANGUAGE plpgsql AS $$\n"
        "BEGIN\n"
        "  UPDATE order_shape SET repeated = repeated + coalesce((\n"
        "    SELECT sum((x.n > 1)::int - (x.n - x.d > 1)::int) FROM (\n"
        "      SELECT c.order_no, sum(c.d) AS d,\n"
        "             (SELECT count(*) FROM orders o WHERE o.order_no = c.order_no) AS n\n"
        f"      FROM ({changes}) c GROUP BY c.order_no) x), 0)\n"
        "  WHERE id = 1;\n"
        "  RETURN NULL;\n"
        "END $$")


_PG_CHANGES = {
    "insert": "SELECT order_no, 1 AS d FROM new_rows",
    "delete": "SELECT order_no, -1 AS d FROM old_rows",
    "update": ("SELECT o.order_no, -1 AS d FROM old_rows o JOIN new_rows n ON n.id = o.id "
               "WHERE o.order_no IS DISTINCT FROM n.order_no UNION ALL "
               "SELECT n.order_no, 1 AS d FROM old_rows o JOIN new_rows n ON n.id = o.id "
               "WHERE o.order_no IS DISTINCT FROM n.order_no"),
}
_PG_REFERENCING = {"insert": "NEW TABLE AS new_rows", "delete": "OLD TABLE AS old_rows",
                   "update": "OLD TABLE AS old_rows NEW TABLE AS new_rows"}


def _pg_ddl() -> list[str]:
    out = []
    for op, changes in _PG_CHANGES.items():
        out.append(_pg_shape_function(op, changes))
        out.append(f"CREATE TRIGGER trg_order_shape_{op} AFTER {op.upper()} ON orders "
                   f"REFERENCING {_PG_REFERENCING[op]} FOR EACH STATEMENT EXECUTE FUNCTION order_shape_{op}()")
    out += [
        # The line's own date, set before it is written (its payments do not change meanwhile).
        "CREATE OR REPLACE FUNCTION order_settled_own() RETURNS trigger LANGUAGE plpgsql AS $$\n"
        "BEGIN\n"
        f"  NEW.settled_on := {settled_sql('NEW.id', 'NEW.amount')};\n"
        "  RETURN NEW;\n"
        "END $$",
        "CREATE TRIGGER trg_order_settled_insert BEFORE INSERT ON orders FOR EACH ROW "
        "WHEN (NEW.settled_on IS NOT NULL) EXECUTE FUNCTION order_settled_own()",
        "CREATE TRIGGER trg_order_settled_amount BEFORE UPDATE OF amount ON orders FOR EACH ROW "
        "WHEN (OLD.amount IS DISTINCT FROM NEW.amount) EXECUTE FUNCTION order_settled_own()",
        # A payment written: its line's date again, once the statement is done (idempotent).
        "CREATE OR REPLACE FUNCTION payment_settled() RETURNS trigger LANGUAGE plpgsql AS $$\n"
        "BEGIN\n"
        f"  IF TG_OP IN ('DELETE', 'UPDATE') THEN {_settle('OLD.order_id')} END IF;\n"
        f"  IF TG_OP IN ('INSERT', 'UPDATE') THEN {_settle('NEW.order_id')} END IF;\n"
        "  RETURN NULL;\n"
        "END $$",
        "CREATE TRIGGER trg_payment_settled AFTER INSERT OR DELETE OR UPDATE OF order_id, amount, paid_on "
        "ON payment FOR EACH ROW EXECUTE FUNCTION payment_settled()",
    ]
    return out


def trigger_ddl(dialect: str) -> list[str]:
    """The statements that keep ``order_shape`` and ``orders.settled_on`` on this dialect."""
    if dialect == "sqlite":
        return _sqlite_ddl()
    if dialect == "postgresql":
        return _pg_ddl()
    raise NotImplementedError(dialect)


def drop_ddl(dialect: str) -> list[str]:
    if dialect == "sqlite":
        return [f"DROP TRIGGER IF EXISTS {name}" for name in (
            "trg_order_shape_insert", "trg_order_shape_delete", "trg_order_shape_update",
            "trg_order_settled_insert", "trg_order_settled_amount", "trg_payment_settled_insert",
            "trg_payment_settled_delete", "trg_payment_settled_update")]
    out = [f"DROP TRIGGER IF EXISTS trg_order_shape_{op} ON orders" for op in _PG_CHANGES]
    out += ["DROP TRIGGER IF EXISTS trg_order_settled_insert ON orders",
            "DROP TRIGGER IF EXISTS trg_order_settled_amount ON orders",
            "DROP TRIGGER IF EXISTS trg_payment_settled ON payment"]
    out += [f"DROP FUNCTION IF EXISTS order_shape_{op}()" for op in _PG_CHANGES]
    out += ["DROP FUNCTION IF EXISTS order_settled_own()", "DROP FUNCTION IF EXISTS payment_settled()"]
    return out


#: ``settled_on`` of every line with a dated payment, set-based (window functions, SQLite ≥ 3.25
#: and PostgreSQL): per line and payment day, the running sum; a day is "bad" while the sum is
#: below the amount; the line is settled on the first day after which no day is bad — the same
#: date ``settled_sql`` gives one line (tests/services/test_order_summaries.py compares them).
SETTLED_ALL = """
WITH daily AS (
    SELECT order_id, paid_on, sum(amount) AS paid FROM payment
    WHERE paid_on IS NOT NULL GROUP BY order_id, paid_on),
running AS (
    SELECT order_id, paid_on,
           sum(paid) OVER (PARTITION BY order_id ORDER BY paid_on ROWS UNBOUNDED PRECEDING) AS total
    FROM daily),
judged AS (
    SELECT r.order_id, r.paid_on, CASE WHEN r.total < coalesce(o.amount, 0) THEN 1 ELSE 0 END AS bad
    FROM running r JOIN orders o ON o.id = r.order_id),
ahead AS (
    SELECT order_id, paid_on,
           max(bad) OVER (PARTITION BY order_id ORDER BY paid_on DESC ROWS UNBOUNDED PRECEDING) AS bad_ahead
    FROM judged)
SELECT order_id, min(paid_on) AS settled FROM ahead WHERE bad_ahead = 0 GROUP BY order_id
"""


def rebuild(conn: Connection) -> None:
    """Recompute ``order_shape`` and every line's ``settled_on`` from the rows, set-based
    (seconds for 500 000 lines, where a per-line correlated recomputation took 18 s)."""
    conn.exec_driver_sql("DELETE FROM order_shape")
    conn.exec_driver_sql(
        "INSERT INTO order_shape (id, repeated) SELECT 1, count(*) FROM "
        "(SELECT order_no FROM orders GROUP BY order_no HAVING count(*) > 1) r")
    conn.exec_driver_sql("DROP TABLE IF EXISTS tmp_settled")
    conn.exec_driver_sql("CREATE TEMPORARY TABLE tmp_settled (order_id INTEGER PRIMARY KEY, settled DATE)")
    conn.exec_driver_sql(f"INSERT INTO tmp_settled (order_id, settled) {SETTLED_ALL}")
    # Writing half a million dates through the settled-date index costs a random B-tree insert
    # each; dropping the index and building it again afterwards sorts once (5 s → 1 s).
    from db.models import Order  # here: db.models imports this module

    index = next(i for i in Order.__table__.indexes if i.name == "ix_orders_settled")
    index.drop(conn)
    conn.exec_driver_sql(
        "UPDATE orders SET settled_on = NULL WHERE settled_on IS NOT NULL "
        "AND id NOT IN (SELECT order_id FROM tmp_settled)")
    conn.exec_driver_sql(
        "UPDATE orders SET settled_on = t.settled FROM tmp_settled t "
        "WHERE orders.id = t.order_id AND orders.settled_on IS DISTINCT FROM t.settled"
        if conn.dialect.name == "postgresql" else
        "UPDATE orders SET settled_on = t.settled FROM tmp_settled t "
        "WHERE orders.id = t.order_id AND orders.settled_on IS NOT t.settled")
    index.create(conn)
    conn.exec_driver_sql("DROP TABLE tmp_settled")


def install(conn: Connection) -> None:
    """Create the triggers and fill the summaries from the rows already there."""
    rebuild(conn)  # first: filling fires no trigger
    for statement in trigger_ddl(conn.dialect.name):
        conn.exec_driver_sql(statement)


def bulk(conn: Connection) -> summaries.bulk:
    """Many orders and payments written at once (the demo's 500 000): triggers and secondary
    indexes off during the block, then indexes built, summaries rebuilt, triggers back
    (``db.summaries.bulk``)."""
    return summaries.bulk(conn, tables=("orders", "payment"), drop=drop_ddl, install_fn=install)


def attach(metadata) -> None:
    """``metadata.create_all`` also installs the triggers (a new database)."""

    def created(target, connection, tables=(), **kw) -> None:
        if "order_shape" in {t.name for t in tables}:
            install(connection)

    event.listen(metadata, "after_create", created)
