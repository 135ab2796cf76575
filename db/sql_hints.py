"""SQL written so that the database can answer it from an index.

``indexed_by``: a table alias that asks SQLite for one index (``INDEXED BY``), plain elsewhere.

SQLite's planner, fed by sampled statistics (``db.session.optimize``), sometimes prefers a
skip-scan of a narrow index plus a table lookup per row over a covering index that answers
the query alone (issue 21: R4 over ~190 000 orders, 0.39 s against 0.16 s). PostgreSQL plans
for itself; the hint is only rendered for SQLite, which fails loudly should the index be missing.
"""

from __future__ import annotations

from sqlalchemy import Table, func, select
from sqlalchemy.orm import Session
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.selectable import Alias


class IndexedAlias(Alias):
    """An alias of a table read through the named index on SQLite."""

    inherit_cache = False  # the index name is not part of the cache key: compile each time
    index_name: str = ""


def indexed_by(table: Table, index_name: str, name: str | None = None) -> IndexedAlias:
    alias = IndexedAlias._construct(table, name=name or table.name)
    alias.index_name = index_name
    return alias


@compiles(IndexedAlias, "sqlite")
def _indexed_by_sqlite(element, compiler, **kw):
    text = compiler.visit_alias(element, **kw)
    if kw.get("asfrom") and not kw.get("lateral"):
        text += f" INDEXED BY {compiler.preparer.quote(element.index_name)}"
    return text


def min_and_max(column, *where):
    """``SELECT min(column), max(column) WHERE …`` as two scalar subqueries. SQLite answers a
    lone ``min()`` or ``max()`` with one index seek, but a query holding both scans the whole
    index range (issue 21: the first and last of 500 000 purchase dates, 49 ms against 0.1 ms).
    PostgreSQL does the same with either form."""
    return select(select(func.min(column)).where(*where).scalar_subquery(),
                  select(func.max(column)).where(*where).scalar_subquery())


def unique_index(session: Session, table: Table, column: str) -> str | None:
    """SQLite: the name of the unique index on ``column`` alone — for a UNIQUE constraint, the
    ``sqlite_autoindex_…`` SQLite made — to read through with ``indexed_by``; None elsewhere.

    Why: the planner trusts the statistics ANALYZE took, even inside the import that is making
    them wrong. After a small first import, a lookup of 2 000 keys in ``dedup_key IN (…)`` is
    planned as a scan of the whole table, and a big second import then scans the growing table
    once per chunk (issue 21: a million department lines went from 40 to 240 µs a line)."""
    conn = session.connection()
    if conn.dialect.name != "sqlite":
        return None
    cache = session.info.setdefault("unique_indexes", {})
    key = (table.name, column)
    if key not in cache:
        cache[key] = None
        quote = conn.dialect.identifier_preparer.quote
        for _seq, name, unique, *_rest in conn.exec_driver_sql(f"PRAGMA index_list({quote(table.name)})").all():
            columns = [row[2] for row in conn.exec_driver_sql(f"PRAGMA index_info({quote(name)})").all()]
            if unique and columns == [column]:
                cache[key] = name
                break
    return cache[key]
