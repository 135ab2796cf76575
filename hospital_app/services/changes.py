"""What a unit of work changed, as topics (Anki's ``OpChanges``), found from the SQL it ran.

Callers no longer name refresh topics by hand: :func:`track` watches every INSERT,
UPDATE and DELETE the engine runs on this thread while a unit of work runs (ORM flushes,
bulk ``session.execute(insert(...))`` and ``session.connection().execute(...)`` alike)
and :class:`Changes` says which *topics* those tables belong to. A front end hands the
:class:`Changes` to every view; each view refreshes when the change touches a topic it
shows (:meth:`Changes.touches`).

No Qt here: the desktop app delivers a ``Changes`` through its worker; a test or the CLI
can use :func:`track` the same way.
"""

from __future__ import annotations

import re
import threading
import weakref
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Iterable, Iterator

#: Every topic a view can listen to. ``all`` means "anything may have changed" (a restore,
#: switching databases, a language change).
TOPICS = ("purchases", "products", "issues", "payments", "orders", "volumes", "settings", "calendar",
          "documents", "departments", "users", "imports", "all")

#: Table → topics it belongs to. A purchase linked to a supply issue changes the issue and
#: the product's non-selected share (R9/R11), so ``supply_issue_purchase`` is both.
TABLE_TOPICS: dict[str, tuple[str, ...]] = {
    "batch": ("products",),
    "company": ("products", "purchases", "issues", "payments", "orders"),
    "product": ("products",),
    "product_pack": ("products",),
    "agreement_period": ("products",),
    "product_distributor": ("products",),
    "exemption": ("products",),
    "substitute": ("products",),
    "purchase": ("purchases",),
    "orders": ("orders", "payments"),
    "payment": ("payments",),
    "supply_issue": ("issues",),
    "supply_issue_event": ("issues",),
    "supply_issue_purchase": ("issues", "purchases"),
    "volume_report": ("volumes",),
    "volume_report_line": ("volumes",),
    "explanatory_note": ("volumes",),
    "calendar_day": ("calendar",),
    "setting": ("settings",),
    "report_text": ("documents",),
    "corrective_measure": ("documents",),
    "generated_document": ("documents",),
    "department": ("departments",),
    "department_usage": ("departments",),
    "app_user": ("users",),
    "import_run": ("imports",),
    "import_mapping": ("imports",),
}
#: Tables whose writes are bookkeeping only (the audit trail of every change).
QUIET_TABLES = frozenset({"audit_log", "alembic_version"})

_WRITE = re.compile(r'^\s*(?:INSERT(?:\s+OR\s+\w+)?\s+INTO|UPDATE|DELETE\s+FROM)\s+[`"\[]?(\w+)',
                    re.IGNORECASE)


@dataclass(frozen=True)
class Changes:
    """The topics a change touched (immutable; ``Changes.of("issues")``, ``a | b``)."""

    topics: frozenset[str] = frozenset()

    @classmethod
    def of(cls, *topics: str) -> Changes:
        unknown = set(topics) - set(TOPICS)
        if unknown:
            raise ValueError(f"unknown change topics: {sorted(unknown)}")
        return cls(frozenset(topics))

    @classmethod
    def everything(cls) -> Changes:
        return cls(frozenset({"all"}))

    @classmethod
    def from_tables(cls, tables: Iterable[str]) -> Changes:
        """Topics of the written tables; a table this module does not know is ``all`` (safe)."""
        topics: set[str] = set()
        for table in tables:
            if table in QUIET_TABLES:
                continue
            topics.update(TABLE_TOPICS.get(table, ("all",)))
        return cls(frozenset(topics))

    @classmethod
    def coerce(cls, value: Changes | str | Iterable[str] | None) -> Changes:
        """A ``Changes`` from a topic name or names (older callers announce strings)."""
        if value is None:
            return cls()
        if isinstance(value, Changes):
            return value
        if isinstance(value, str):
            return cls(frozenset({value}))
        return cls(frozenset(value))

    def __or__(self, other: Changes) -> Changes:
        return Changes(self.topics | other.topics)

    def __bool__(self) -> bool:
        return bool(self.topics)

    def touches(self, topics: Iterable[str]) -> bool:
        """Whether a view showing ``topics`` must refresh (``all`` on either side always does)."""
        wanted = set(topics)
        return bool(self.topics) and ("all" in self.topics or "all" in wanted or bool(self.topics & wanted))


class ChangeCollector:
    """Tables written while :func:`track` is active (filled by the engine listener)."""

    def __init__(self) -> None:
        self.tables: set[str] = set()

    @property
    def changes(self) -> Changes:
        return Changes.from_tables(self.tables)


_local = threading.local()
_registered: weakref.WeakSet = weakref.WeakSet()
_registry_lock = threading.Lock()


def _statement_table(context, statement: str) -> str | None:
    compiled = getattr(context, "compiled", None)
    stmt = getattr(compiled, "statement", None)
    if getattr(stmt, "is_dml", False):
        table = getattr(stmt, "table", None)
        name = getattr(table, "name", None)
        if name:
            return str(name)
    match = _WRITE.match(statement or "")
    return match.group(1).lower() if match else None


def _before_cursor_execute(conn, cursor, statement, parameters, context, executemany) -> None:
    collectors = getattr(_local, "collectors", None)
    if not collectors:
        return
    table = _statement_table(context, statement)
    if table is not None:
        for collector in collectors:
            collector.tables.add(table)


def _listen(engine) -> None:
    from sqlalchemy import event

    with _registry_lock:
        if engine in _registered:
            return
        event.listen(engine, "before_cursor_execute", _before_cursor_execute)
        _registered.add(engine)


@contextmanager
def track(engine) -> Iterator[ChangeCollector]:
    """Collect the tables written on this thread through ``engine`` until the block ends.

    Use it around a unit of work; read ``collector.changes`` only after the commit (a
    rolled-back change changed nothing)."""
    _listen(engine)
    collector = ChangeCollector()
    stack = getattr(_local, "collectors", None)
    if stack is None:
        stack = _local.collectors = []
    stack.append(collector)
    try:
        yield collector
    finally:
        stack.remove(collector)
