"""Summary tables kept up to date by the database itself (issues 17, 21).

``purchase_month`` holds, per product and calendar month, the sum of the purchase lines:
quantity (base units), amount (scaled fen, non-null amounts only), how many lines had an
amount, the value in 0.0001 元 (the amount, else unit price × quantity: what the bureau's
amount shares count, R20) and how many lines there are. Triggers on ``purchase``
maintain it on every INSERT, UPDATE and DELETE, whatever writes them (an import, an undo, a restore, a correction by
hand, a script), so it can never disagree with the lines. Progress, indicators and the
volume checks read whole months from it and only the partial months at the edges of a
window from the lines (``hospital_app/services/purchase_totals.py``).

A summary table is *derived*: backups and restores skip it (``DERIVED``), since inserting
the lines rebuilds it. ``install`` creates the triggers on a fresh database (``create_all``
calls it) and in revision 0003; ``rebuild`` recomputes the table from the lines.

Revision 0003 calls this module as it is now. A later change to the triggers or to the
table's columns goes into a new revision that drops and re-installs them — and 0003 must then
keep its own copy of today's statements (``tests/migrations/`` upgrades from every revision and
compares the triggers with a fresh database's, so a mismatch shows there).
"""

from __future__ import annotations

from sqlalchemy import event
from sqlalchemy.engine import Connection

#: Tables computed from others: not backed up, not restored (their triggers rebuild them).
DERIVED = frozenset({"purchase_month"})

_MONTH = {"sqlite": "substr({d}, 1, 7)", "postgresql": "to_char({d}, 'YYYY-MM')"}
_FLAG = {"sqlite": "({a} IS NOT NULL)", "postgresql": "({a} IS NOT NULL)::int"}
#: A line's value in 0.0001 元 (amount is fen ×100, unit price is ×10 000); 0 when neither is known.
_VALUE = "coalesce({r}.amount * 100, {r}.unit_price * {r}.quantity, 0)"


def _parts(dialect: str, row: str) -> dict[str, str]:
    return {"month": _MONTH[dialect].format(d=f"{row}.purchase_date"),
            "flag": _FLAG[dialect].format(a=f"{row}.amount"), "value": _VALUE.format(r=row)}


def _add(dialect: str, row: str) -> str:
    p = _parts(dialect, row)
    target = "purchase_month." if dialect == "postgresql" else ""
    return (f"INSERT INTO purchase_month (product_id, month, quantity, amount, amount_lines, value, lines) "
            f"VALUES ({row}.product_id, {p['month']}, {row}.quantity, coalesce({row}.amount, 0), {p['flag']}, "
            f"{p['value']}, 1) "
            f"ON CONFLICT (product_id, month) DO UPDATE SET quantity = {target}quantity + excluded.quantity, "
            f"amount = {target}amount + excluded.amount, "
            f"amount_lines = {target}amount_lines + excluded.amount_lines, "
            f"value = {target}value + excluded.value, lines = {target}lines + 1;")


def _remove(dialect: str, row: str) -> str:
    p = _parts(dialect, row)
    where = f"product_id = {row}.product_id AND month = {p['month']}"
    return (f"UPDATE purchase_month SET quantity = quantity - {row}.quantity, "
            f"amount = amount - coalesce({row}.amount, 0), amount_lines = amount_lines - {p['flag']}, "
            f"value = value - {p['value']}, lines = lines - 1 WHERE {where}; "
            f"DELETE FROM purchase_month WHERE {where} AND lines <= 0;")


_WATCHED = "product_id, purchase_date, quantity, amount, unit_price"


def trigger_ddl(dialect: str) -> list[str]:
    """The statements that make ``purchase_month`` follow ``purchase`` on this dialect."""
    if dialect == "sqlite":
        return [
            f"CREATE TRIGGER trg_purchase_month_insert AFTER INSERT ON purchase BEGIN {_add('sqlite', 'NEW')} END",
            f"CREATE TRIGGER trg_purchase_month_delete AFTER DELETE ON purchase BEGIN "
            f"{_remove('sqlite', 'OLD')} END",
            f"CREATE TRIGGER trg_purchase_month_update AFTER UPDATE OF {_WATCHED} ON purchase BEGIN "
            f"{_remove('sqlite', 'OLD')} {_add('sqlite', 'NEW')} END",
        ]
    if dialect == "postgresql":
        return [
            "CREATE OR REPLACE FUNCTION purchase_month_sync() RETURNS trigger LANGUAGE plpgsql AS $$\n"
            "BEGIN\n"
            f"  IF TG_OP IN ('DELETE', 'UPDATE') THEN {_remove('postgresql', 'OLD')} END IF;\n"
            f"  IF TG_OP IN ('INSERT', 'UPDATE') THEN {_add('postgresql', 'NEW')} END IF;\n"
            "  RETURN NULL;\n"
            "END $$",
            f"CREATE TRIGGER trg_purchase_month AFTER INSERT OR DELETE OR UPDATE OF {_WATCHED} ON purchase "
            "FOR EACH ROW EXECUTE FUNCTION purchase_month_sync()",
        ]
    raise NotImplementedError(dialect)


def drop_ddl(dialect: str) -> list[str]:
    if dialect == "sqlite":
        return [f"DROP TRIGGER IF EXISTS trg_purchase_month_{op}" for op in ("insert", "delete", "update")]
    return ["DROP TRIGGER IF EXISTS trg_purchase_month ON purchase", "DROP FUNCTION IF EXISTS purchase_month_sync()"]


def rebuild(conn: Connection) -> None:
    """Recompute ``purchase_month`` from the purchase lines (one GROUP BY)."""
    dialect = conn.dialect.name
    month = _MONTH[dialect].format(d="purchase_date")
    flag = _FLAG[dialect].format(a="amount")
    conn.exec_driver_sql("DELETE FROM purchase_month")
    value = _VALUE.format(r="purchase")
    conn.exec_driver_sql(
        f"INSERT INTO purchase_month (product_id, month, quantity, amount, amount_lines, value, lines) "
        f"SELECT product_id, {month}, sum(quantity), coalesce(sum(amount), 0), sum({flag}), sum({value}), "
        f"count(*) FROM purchase GROUP BY product_id, {month}")


def install(conn: Connection) -> None:
    """Create the triggers and fill the table from the lines already there."""
    for statement in trigger_ddl(conn.dialect.name):
        conn.exec_driver_sql(statement)
    rebuild(conn)


def secondary_indexes(tables: tuple[str, ...]):
    """The non-unique indexes of these tables, as the models define them."""
    from db.models import Base  # here: db.models imports this module

    return [i for name in tables for i in Base.metadata.tables[name].indexes if not i.unique]


class bulk:  # noqa: N801 - used as a context manager, like contextlib's
    """Many rows written at once (the demo's 500 000 lines): the triggers and the tables'
    secondary indexes are dropped; after the block the indexes are built again (one sort each
    instead of a random B-tree insert per row), the summaries rebuilt and the triggers
    re-created — inside the caller's transaction, so nobody ever sees a summary that disagrees
    with the rows. ``order_summaries.bulk`` is the same for orders and payments."""

    def __init__(self, conn: Connection, *, tables: tuple[str, ...] = ("purchase",), drop=None,
                 install_fn=None) -> None:
        self.conn, self.tables = conn, tables
        self._drop, self._install = drop or drop_ddl, install_fn or install

    def __enter__(self) -> Connection:
        for statement in self._drop(self.conn.dialect.name):
            self.conn.exec_driver_sql(statement)
        self.indexes = secondary_indexes(self.tables)
        for index in self.indexes:
            index.drop(self.conn)
        return self.conn

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is None:
            for index in self.indexes:
                index.create(self.conn)
            self._install(self.conn)


def attach(metadata) -> None:
    """``metadata.create_all`` also installs the triggers (a new database)."""

    def created(target, connection, tables=(), **kw) -> None:
        if "purchase_month" in {t.name for t in tables}:
            install(connection)

    event.listen(metadata, "after_create", created)
