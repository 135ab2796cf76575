"""Keyed digests of the purchase table (issue 23 §10): what ``check`` compares to find purchase
lines changed outside the app after the last import.

A row's text is each of its values as ``audit._text`` writes it ("59.80", "0.5980",
"2025-01-05T08:30:00.000123", "True"), joined by "|", plus a newline. Two forms of the table's
digest, both 64 characters (the ``audit_log.row_digest`` column):

- **ordered** (64 hex digits; what every import recorded until issue 21's fourth round, still
  verified): HMAC-SHA256 over every row's text in id order. Recording it reads the whole table
  again, ~4 s at a large hospital's 500 000 lines, on every import.
- **summed** (``"m:"`` + 62 hex digits): the sum modulo 2^248 of a keyed BLAKE2b-248 of each
  row's text — a keyed multiset hash. It does not depend on the rows' order and adds up, so
  an import records the previous digest plus what it changed (its inserted rows in; the rows it
  updated: the old text out, the new in), reading only those rows (``Changes``). ``check``
  recomputes it from the whole table and compares, as before. Without the key nobody can
  compute a row's share, so no edit can be made to add up to the recorded sum.

Both read the values raw from the driver and write them with per-column formatters chosen once
(the same text as ``_text``, without a datetime or Decimal per value).
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterable, Iterator
from datetime import datetime

from sqlalchemy import JSON, Boolean, DateTime, func, select, text
from sqlalchemy.orm import Session

from db.models import Purchase
from db.types import FixedDecimal

SUMMED_PREFIX = "m:"
_BITS = 248
_MODULUS = 1 << _BITS
_CHUNK = 5000


def _datetime_text(value) -> str:
    """``_text`` of a DateTime value, raw or parsed: SQLite hands back the stored text
    ("2025-01-05 08:30:00.000123"), other drivers a datetime."""
    if isinstance(value, str):
        if len(value) == 26 and value[10] == " ":
            return f"{value[:10]}T{value[11:]}"
        value = datetime.fromisoformat(value)
    return value.isoformat(timespec="microseconds")


def _json_text(value) -> str:
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)
    return "" if value is None else str(value)


def _column_text(column):
    """The text of one column's raw database values, chosen once per column. Money columns hold
    scaled integers and are written as the Decimal they stand for prints ("59.80", "-5.98");
    booleans as "True"/"False"."""
    kind = column.type
    if isinstance(kind, FixedDecimal):
        scale = kind.scale

        def money(raw) -> str:
            if raw is None:
                return ""
            raw = int(raw)
            sign, raw = ("-", -raw) if raw < 0 else ("", raw)
            whole, part = divmod(raw, 10 ** scale)
            return f"{sign}{whole}.{part:0{scale}d}"
        return money
    if isinstance(kind, DateTime):
        return lambda value: "" if value is None else _datetime_text(value)
    if isinstance(kind, Boolean):
        return lambda value: "" if value is None else str(bool(value))
    if isinstance(kind, JSON):
        return lambda value: _json_text(json.loads(value) if isinstance(value, str) else value)
    return lambda value: "" if value is None else str(value)


def _rows(session: Session, where: str = "", params: dict | None = None) -> Iterator[list]:
    """Chunks of raw purchase rows (every column, in id order), optionally filtered."""
    table = Purchase.__table__
    names = ", ".join(f'"{c.name}"' for c in table.columns)
    sql = f'SELECT {names} FROM "{table.name}"{(" WHERE " + where) if where else ""} ORDER BY "id"'
    # text() without column types: the values come back raw from the driver, as the formatters expect
    result = session.connection().execute(text(sql), params or {})
    while part := result.fetchmany(_CHUNK):
        yield part


def _by_id(session: Session, ids: list[int]) -> Iterator[list]:
    """Chunks of the raw rows with these ids (500 per read)."""
    for start in range(0, len(ids), 500):
        part = ids[start:start + 500]
        marks = ", ".join(f":i{n}" for n in range(len(part)))
        yield from _rows(session, f'"id" IN ({marks})', {f"i{n}": v for n, v in enumerate(part)})


def _lines(chunks: Iterable[list]) -> Iterator[tuple[tuple, bytes]]:
    """(raw row, its text as bytes) for every row of the chunks."""
    texts = [_column_text(c) for c in Purchase.__table__.columns]
    for part in chunks:
        for row in part:
            yield row, ("|".join([f(v) for f, v in zip(texts, row)]) + "\n").encode("utf-8")


def _run_index() -> int:
    return list(Purchase.__table__.columns).index(Purchase.__table__.c.import_run_id)


# ------------------------------------------------------------------------------ ordered form


def ordered(session: Session, key: bytes, run_id: int | None = None) -> tuple[str, str | None]:
    """The ordered digests of every purchase row and of one import run's rows, in one pass in id
    order (the run's rows are a subsequence of the table's)."""
    run_index = _run_index()
    whole = hmac.new(key, b"purchase", hashlib.sha256)
    own = hmac.new(key, b"purchase", hashlib.sha256) if run_id is not None else None
    for row, line in _lines(_rows(session)):
        whole.update(line)
        if own is not None and row[run_index] == run_id:
            own.update(line)
    return whole.hexdigest(), None if own is None else own.hexdigest()


# ------------------------------------------------------------------------------- summed form


def _share(key: bytes, line: bytes) -> int:
    """One row's keyed share of the summed digest."""
    return int.from_bytes(hashlib.blake2b(line, key=key, digest_size=_BITS // 8).digest(), "big")


def _format(total: int) -> str:
    return f"{SUMMED_PREFIX}{total % _MODULUS:062x}"


#: The summed digest of an empty table.
EMPTY = _format(0)


def is_summed(digest: str | None) -> bool:
    return bool(digest) and digest.startswith(SUMMED_PREFIX) and len(digest) == 64


def summed(session: Session, key: bytes) -> str:
    """The summed digest of the whole purchase table."""
    return _format(sum(_share(key, line) for _row, line in _lines(_rows(session))))


def matches(session: Session, key: bytes, recorded: str) -> bool:
    """Does the table now give the digest recorded (in the form it was recorded in)?"""
    now = summed(session, key) if is_summed(recorded) else ordered(session, key)[0]
    return hmac.compare_digest(now, recorded)


class Changes:
    """What one import does to the purchase table, kept to update the summed digest.

    ``start`` before the import writes: the highest purchase id then (0 for an empty table);
    every row the import inserts gets a higher one, on SQLite's rowids and on PostgreSQL's
    sequence alike. ``before_update`` with the ids of rows about to be updated: their text
    before. ``digests`` at the end, under the audit chain's lock: the new summed digest from
    the previous one, and the ordered digest of the run's own rows (``import_run.content_digest``)."""

    def __init__(self, floor: int) -> None:
        self.floor = floor
        self._before: dict[int, bytes] = {}  # id → text before this import changed it

    @classmethod
    def start(cls, session: Session) -> Changes:
        session.flush()
        return cls(int(session.scalar(select(func.max(Purchase.id))) or 0))

    def before_update(self, session: Session, ids: Iterable[int]) -> None:
        """Keep the text of rows about to be updated (rows this import inserted are read at the
        end anyway; a row updated twice keeps its text from before the import)."""
        todo = sorted({int(i) for i in ids if int(i) <= self.floor and int(i) not in self._before})
        for row, line in _lines(_by_id(session, todo)):
            self._before[int(row[0])] = line

    def digests(self, session: Session, key: bytes, previous: str, run_id: int | None) -> tuple[str, str | None]:
        """(the table's summed digest after the import, given the one recorded before it;
        the ordered digest of the run's own inserted rows, or None without a run)."""
        session.flush()
        total = int(previous[len(SUMMED_PREFIX):], 16)
        total -= sum(_share(key, line) for line in self._before.values())
        total += sum(_share(key, line) for _row, line in _lines(_by_id(session, sorted(self._before))))
        own, shares = self._own(session, key, run_id)
        return _format(total + shares), own

    def own_digest(self, session: Session, key: bytes, run_id: int) -> str:
        """The ordered digest of the run's own inserted rows alone."""
        session.flush()
        return self._own(session, key, run_id)[0]

    def _own(self, session: Session, key: bytes, run_id: int | None) -> tuple[str | None, int]:
        """The run's inserted rows (above the floor, with its id): their ordered digest and the
        sum of their shares."""
        if run_id is None:
            return None, 0
        own, shares = hmac.new(key, b"purchase", hashlib.sha256), 0
        chunks = _rows(session, '"id" > :floor AND "import_run_id" = :run', {"floor": self.floor, "run": run_id})
        for _row, line in _lines(chunks):
            own.update(line)
            shares += _share(key, line)
        return own.hexdigest(), shares
