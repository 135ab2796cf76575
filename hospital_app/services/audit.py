"""Audit log: every change, who, when, before → after, hash-chained (append-only).

Each row's hash covers its content and the previous row's hash, so editing or
deleting a row breaks the chain; ``verify_chain`` finds the first broken row.
Services call ``record`` inside the same transaction as the change itself.
"""

from __future__ import annotations

import getpass
import hashlib
import json
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import AuditLog


def current_user() -> str:
    """Single-user SQLite: the OS user name (shared mode sets the logged-in user)."""
    try:
        return getpass.getuser()
    except Exception:  # noqa: BLE001 - no user name on some service accounts
        return "unknown"


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


def record(session: Session, who: str | None, action: str, entity: str, entity_id,
           before: dict | None, after: dict | None) -> AuditLog:
    """Append one audit row in the caller's transaction."""
    who = who or current_user()
    last = session.execute(select(AuditLog.hash).order_by(AuditLog.id.desc()).limit(1)).scalar()
    at = datetime.now()
    before_c, after_c = _canonical(before), _canonical(after)
    entity_id = None if entity_id is None else str(entity_id)
    row = AuditLog(at=at, who=who, action=action, entity=entity, entity_id=entity_id,
                   before=before_c, after=after_c, prev_hash=last,
                   hash=_digest(last, at, who, action, entity, entity_id, before_c, after_c))
    session.add(row)
    session.flush([row])
    return row


def verify_chain(session: Session) -> int | None:
    """Id of the first row whose hash or link is wrong, or None if the chain is intact."""
    prev = None
    for row in session.scalars(select(AuditLog).order_by(AuditLog.id)):
        expected = _digest(prev, row.at, row.who, row.action, row.entity, row.entity_id, row.before, row.after)
        if row.prev_hash != prev or row.hash != expected:
            return row.id
        prev = row.hash
    return None
