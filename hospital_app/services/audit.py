"""Audit log: every change, who, when, before → after, hash-chained (append-only).

Each row's hash covers its content and the previous row's hash, so editing or
deleting a row breaks the chain; ``verify_chain`` finds the first broken row
(``check`` reports it). Services call ``record`` inside the same transaction as the
change itself.

Several workstations may append at the same moment (shared PostgreSQL database, or
two programs on one SQLite file), so ``record`` first takes the database's write
lock for the audit chain; otherwise two rows could link to the same predecessor and
the chain would fork.

Known limit: deleting the *newest* rows leaves a shorter but valid chain; the
daily backups (services/backup.py) keep older copies to compare against.
"""

from __future__ import annotations

import getpass
import hashlib
import json
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from db.models import AuditLog

# Key of the PostgreSQL transaction-scoped advisory lock that serialises appends.
AUDIT_LOCK_KEY = 0x41554449  # "AUDI"

_logged_in: str | None = None


def set_current_user(username: str | None) -> None:
    """Shared mode: the user who logged in (None = back to the OS user name)."""
    global _logged_in
    _logged_in = username


def os_user() -> str:
    try:
        return getpass.getuser()
    except Exception:  # noqa: BLE001 - no user name on some service accounts
        return "unknown"


def current_user() -> str:
    """The logged-in user (shared mode), else the OS user name (single-user SQLite)."""
    return _logged_in or os_user()


def _default(value):
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return str(value)


def _canonical(value) -> object:
    """JSON-safe form (what the JSON column stores, so the hash can be recomputed)."""
    if value is None:
        return None
    return json.loads(json.dumps(value, default=_default, ensure_ascii=False, sort_keys=True))


def _digest(prev_hash: str | None, at: datetime, who, action, entity, entity_id, before, after) -> str:
    payload = json.dumps(
        [prev_hash, at.isoformat(timespec="microseconds"), who, action, entity, entity_id, before, after],
        ensure_ascii=False, sort_keys=True, separators=(",", ":"),
    )
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def _lock_chain(session: Session) -> None:
    """Hold the write lock for the rest of the transaction before reading the chain's end."""
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": AUDIT_LOCK_KEY})
    elif dialect == "sqlite":
        # A write statement that changes nothing still takes SQLite's RESERVED lock,
        # so no other connection can append between our read and our insert.
        session.execute(text("UPDATE audit_log SET id = id WHERE 0"))


def record(session: Session, who: str | None, action: str, entity: str, entity_id,
           before: dict | None, after: dict | None) -> AuditLog:
    """Append one audit row in the caller's transaction."""
    who = who or current_user()
    _lock_chain(session)
    session.flush()  # earlier audit rows of this transaction come first in the chain
    last = session.execute(select(AuditLog.hash).order_by(AuditLog.id.desc()).limit(1)).scalar()
    at = datetime.now()
    before_c, after_c = _canonical(before), _canonical(after)
    entity_id = None if entity_id is None else str(entity_id)
    row = AuditLog(at=at, who=who, action=action, entity=entity, entity_id=entity_id,
                   before=before_c, after=after_c, prev_hash=last,
                   hash=_digest(last, at, who, action, entity, entity_id, before_c, after_c))
    session.add(row)
    session.flush()
    return row


def verify_chain(session: Session) -> int | None:
    """Id of the first row whose hash or link is wrong, or None if the chain is intact."""
    prev = None
    for row in session.scalars(select(AuditLog).order_by(AuditLog.id).execution_options(yield_per=2000)):
        expected = _digest(prev, row.at, row.who, row.action, row.entity, row.entity_id, row.before, row.after)
        if row.prev_hash != prev or row.hash != expected:
            return row.id
        prev = row.hash
    return None


def restored(session: Session, info: dict) -> AuditLog:
    """The restore of a backup, recorded in the restored database's own chain."""
    return record(session, None, "database.restore", "database", None, None, info)
