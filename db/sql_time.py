"""Exact clock-hour windows in SQL, on SQLite and PostgreSQL alike (R4: 48 h / 4 h windows).

``within_hours(earlier, later, hours)`` is true when ``later - earlier <= hours`` clock hours,
exact to the microsecond (an exact 48:00:00 is in time, 48:00:00.000001 is not), and NULL when
either time is NULL. It is the SQL form of ``domain.orders.responded_in_time`` /
``delivered_in_time`` so that R4 can be counted by a GROUP BY instead of row by row in Python
(issue 21); tests/services/test_orders_sql.py checks both dialects at the edges.

- PostgreSQL: ``later <= earlier + make_interval(hours => h)`` (timestamps are exact).
- SQLite stores ``DateTime`` as text ``YYYY-MM-DD HH:MM:SS.ffffff``. ``julianday`` differences
  are floating point (inexact at the edge), so the difference is taken in integer
  microseconds: whole seconds from ``unixepoch`` (``strftime('%s')`` before SQLite 3.38) plus
  the fraction digits read as an integer (padded to 6 digits; none = 0).
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Boolean, Computed, literal_column
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement


class within_hours(FunctionElement):  # noqa: N801 - used like an SQL function
    """``within_hours(earlier, later, hours)``: ``later - earlier <= hours`` h, exactly."""

    type = Boolean()
    inherit_cache = True
    name = "within_hours"

    def __init__(self, earlier, later, hours: int) -> None:
        super().__init__(earlier, later, literal_column(str(int(hours))))


@compiles(within_hours)
def _within_hours_default(element, compiler, **kw):
    earlier, later, hours = (compiler.process(c, **kw) for c in element.clauses)
    return f"({later} <= {earlier} + make_interval(hours => {hours}))"


def _sqlite_micros(compiler, text: str) -> tuple[str, str]:
    """SQL for (whole seconds since the epoch, microseconds 0..999999) of an SQLite time text."""
    info = getattr(getattr(compiler.dialect, "dbapi", None), "sqlite_version_info", (0, 0, 0))
    seconds = f"unixepoch({text})" if tuple(info) >= (3, 38) else f"CAST(strftime('%s', {text}) AS INTEGER)"
    fraction = f"CAST(substr(substr({text}, 21) || '000000', 1, 6) AS INTEGER)"
    return seconds, fraction


@compiles(within_hours, "sqlite")
def _within_hours_sqlite(element, compiler, **kw):
    earlier, later, hours = (compiler.process(c, **kw) for c in element.clauses)
    s0, f0 = _sqlite_micros(compiler, earlier)
    s1, f1 = _sqlite_micros(compiler, later)
    return f"((({s1} - {s0}) * 1000000 + ({f1} - {f0})) <= {hours} * 3600000000)"


class micros_between(FunctionElement):  # noqa: N801 - used like an SQL function
    """``later - earlier`` in whole microseconds (NULL when either is NULL), exact on both
    dialects. Used as the expression of the generated columns ``orders.response_us`` /
    ``delivery_us`` (R4, issue 21), so it is deterministic: on SQLite ``strftime('%s')``
    (whatever the library's version) plus the fraction digits; on PostgreSQL the epoch of
    the interval (numeric, exact)."""

    type = BigInteger()
    inherit_cache = True
    name = "micros_between"

    def __init__(self, earlier, later) -> None:
        super().__init__(earlier, later)


@compiles(micros_between)
def _micros_between_default(element, compiler, **kw):
    earlier, later = (compiler.process(c, **kw) for c in element.clauses)
    return f"CAST(EXTRACT(EPOCH FROM ({later} - {earlier})) * 1000000 AS BIGINT)"


@compiles(micros_between, "sqlite")
def _micros_between_sqlite(element, compiler, **kw):
    earlier, later = (compiler.process(c, **kw) for c in element.clauses)

    def parts(text: str) -> tuple[str, str]:
        return (f"CAST(strftime('%s', {text}) AS INTEGER)",
                f"CAST(substr(substr({text}, 21) || '000000', 1, 6) AS INTEGER)")

    (s0, f0), (s1, f1) = parts(earlier), parts(later)
    return f"(({s1} - {s0}) * 1000000 + ({f1} - {f0}))"


@compiles(Computed, "postgresql")
def _stored_on_postgresql(element, compiler, **kw):
    """PostgreSQL's generated columns are STORED, said explicitly: the R4 durations sit in an
    index, which PostgreSQL 18's default (VIRTUAL) columns cannot be part of."""
    text = compiler.sql_compiler.process(element.sqltext, include_table=False, literal_binds=True)
    return f"GENERATED ALWAYS AS ({text}) STORED"
