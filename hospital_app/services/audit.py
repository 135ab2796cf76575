"""Audit log: every change, who, when, before → after — a **keyed** chain (issue 23 §10).

Each row's ``hash`` is an HMAC-SHA256, under a secret key kept outside the database
(``audit_key``), of its content, the previous row's hash and ``row_digest``; editing,
inserting or deleting a row breaks the chain, and re-chaining needs the key. The keys
in use are listed in the setting row ``audit.keys`` as *epochs* ``{id, from, tag}``
(the tag, keyed too, fixes where the epoch starts); a computer that lacks the current
key starts a new epoch with a new one. Rows written before this version keep their
keyless SHA-256 chain up to the first epoch.

``row_digest`` holds a keyed digest of what the change left behind, so ``check``
finds direct edits that bypass the app:

- for ``supply_issue`` and ``exemption`` changes: the whole row as written (an issue's
  reported time, a reason …); the newest audit row of each must match the row now;
- for imports, demo data and restores: the whole ``purchase`` table (every quantity
  and amount; ``purchase_digest``: an import adds what it changed to the digest recorded
  last), and ``import_run.content_digest`` the run's own inserted rows.

Several workstations may append at the same moment (shared PostgreSQL database, or
two programs on one SQLite file), so ``record`` first takes the database's write
lock for the audit chain; otherwise two rows could link to the same predecessor and
the chain would fork.

Known limits: deleting the *newest* rows leaves a shorter but valid chain (the daily
backups keep older copies to compare against); rows written before this version are
only as strong as their keyless chain.
"""

from __future__ import annotations

import getpass
import hashlib
import hmac
import json
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from db.models import AuditLog, Exemption, ImportRun, Setting, SupplyIssue
from hospital_app.services import audit_key, purchase_digest

# Key of the PostgreSQL transaction-scoped advisory lock that serialises appends.
AUDIT_LOCK_KEY = 0x41554449  # "AUDI"
EPOCHS_SETTING = "audit.keys"
#: Entities whose row is digested on every audited change (check compares the row now).
DIGESTED = {"supply_issue": SupplyIssue, "exemption": Exemption}
#: Actions after which the digest of the whole purchase table is recorded.
TABLE_DIGEST_ACTIONS = ("import", "demo.generate", "database.restore")

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


def _legacy_digest(prev_hash, at: datetime, who, action, entity, entity_id, before, after) -> str:
    """The keyless SHA-256 of rows written before the chain was keyed."""
    payload = json.dumps(
        [prev_hash, at.isoformat(timespec="microseconds"), who, action, entity, entity_id, before, after],
        ensure_ascii=False, sort_keys=True, separators=(",", ":"),
    )
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def _keyed_digest(key: bytes, prev_hash, at: datetime, who, action, entity, entity_id, before, after,
                  row_digest) -> str:
    payload = json.dumps(
        ["v2", prev_hash, at.isoformat(timespec="microseconds"), who, action, entity, entity_id, before, after,
         row_digest], ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hmac.new(key, payload.encode("utf-8"), hashlib.sha256).hexdigest()


def _mac(key: bytes, data: str) -> str:
    return hmac.new(key, data.encode("utf-8"), hashlib.sha256).hexdigest()


# ------------------------------------------------------------------ key epochs


def _epochs(session: Session) -> list[dict]:
    row = session.get(Setting, EPOCHS_SETTING)
    if row is None:
        return []
    try:
        epochs = json.loads(row.value)
    except ValueError:
        return [{"id": None, "from": 0, "tag": None}]  # unreadable: nothing after it verifies
    if not isinstance(epochs, list) or not all(isinstance(e, dict) and isinstance(e.get("from"), int)
                                               for e in epochs):
        return [{"id": None, "from": 0, "tag": None}]
    return sorted(epochs, key=lambda e: e["from"])


def _epoch_tag(key: bytes, key_id: str, start: int) -> str:
    return _mac(key, f"epoch:{key_id}:{start}")


def _signing_key(session: Session) -> tuple[bytes, list[dict]]:
    """The key of the current epoch; a new epoch (and key) when this computer lacks it."""
    epochs = _epochs(session)
    if epochs:
        last = epochs[-1]
        key = audit_key.load(last.get("id"))
        if key is not None and hmac.compare_digest(str(last.get("tag")), _epoch_tag(key, last["id"], last["from"])):
            return key, epochs
    key_id, key = audit_key.create()
    start = (session.scalar(select(func.max(AuditLog.id))) or 0) + 1
    epochs = [*epochs, {"id": key_id, "from": start, "tag": _epoch_tag(key, key_id, start)}]
    row = session.get(Setting, EPOCHS_SETTING)
    value = json.dumps(epochs)
    if row is None:
        session.add(Setting(key=EPOCHS_SETTING, value=value, updated_by="audit", updated_at=datetime.now()))
    else:
        row.value, row.updated_by, row.updated_at = value, "audit", datetime.now()
    session.flush()
    return key, epochs


def _epoch_of(epochs: list[dict], row_id: int) -> dict | None:
    found = None
    for e in epochs:
        if e["from"] <= row_id:
            found = e
    return found


# ------------------------------------------------------------------ digests of rows


def _text(value) -> str:
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)
    if isinstance(value, datetime):
        return value.isoformat(timespec="microseconds")
    return "" if value is None else str(value)


def _row_mac(key: bytes, table, row) -> str:
    return _mac(key, table.name + "|" + "|".join(f"{c.name}={_text(row[c.name])}" for c in table.columns))


def entity_digest(session: Session, key: bytes, entity: str, entity_id) -> str | None:
    """Keyed digest of one audited row as it is now (None: no such row)."""
    model = DIGESTED[entity]
    table = model.__table__
    pk = list(table.primary_key.columns)[0]
    try:
        ident = int(entity_id)
    except (TypeError, ValueError):
        return None
    row = session.execute(select(table).where(pk == ident)).mappings().first()
    return None if row is None else _row_mac(key, table, row)


def _last_table_digest(session: Session) -> AuditLog | None:
    """The newest audit row that recorded the purchase table's digest."""
    return session.scalar(select(AuditLog).where(AuditLog.action.in_(TABLE_DIGEST_ACTIONS),
                                                 AuditLog.row_digest.is_not(None))
                          .order_by(AuditLog.id.desc()).limit(1))


def _table_digest(session: Session, key: bytes, epochs: list[dict], run: ImportRun | None,
                  changes: purchase_digest.Changes | None) -> str:
    """The purchase table's summed digest after an import, demo or restore. An import that
    kept its ``changes`` adds them to the digest recorded last, when that one is summed and
    under the same key, or to the empty table's when the table was empty before it (issue 21:
    the monthly import no longer reads 500 000 lines); otherwise (the first import after an
    upgrade, a new key, a demo, a restore) the whole table is read."""
    if changes is not None:
        previous = None
        last = _last_table_digest(session)
        if last is not None and purchase_digest.is_summed(last.row_digest):
            epoch = _epoch_of(epochs, last.id)
            if epoch is not None and audit_key.load(epoch.get("id")) == key:
                previous = last.row_digest
        if previous is None and changes.floor == 0:
            previous = purchase_digest.EMPTY
        if previous is not None:
            whole, own = changes.digests(session, key, previous, run.id if run is not None else None)
            if run is not None:
                run.content_digest = own
            return whole
        if run is not None:
            run.content_digest = changes.own_digest(session, key, run.id)
    elif run is not None:
        run.content_digest = purchase_digest.ordered(session, key, run.id)[1]
    return purchase_digest.summed(session, key)


def _row_digest(session: Session, key: bytes, epochs: list[dict], action: str, entity: str, entity_id,
                changes: purchase_digest.Changes | None = None) -> str | None:
    if action in TABLE_DIGEST_ACTIONS:
        run = session.get(ImportRun, int(entity_id)) if entity == "import_run" and entity_id is not None else None
        whole = _table_digest(session, key, epochs, run, changes)
        session.flush()
        return whole
    if entity in DIGESTED and entity_id is not None:
        return entity_digest(session, key, entity, entity_id)
    return None


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
           before: dict | None, after: dict | None,
           purchase_changes: purchase_digest.Changes | None = None) -> AuditLog:
    """Append one audit row in the caller's transaction (after the change itself).
    ``purchase_changes``: what an import did to the purchase table (``purchase_digest.Changes``)."""
    who = who or current_user()
    _lock_chain(session)
    session.flush()  # earlier audit rows of this transaction come first in the chain
    key, epochs = _signing_key(session)
    last = session.execute(select(AuditLog.hash).order_by(AuditLog.id.desc()).limit(1)).scalar()
    at = datetime.now()
    before_c, after_c = _canonical(before), _canonical(after)
    entity_id = None if entity_id is None else str(entity_id)
    digest = _row_digest(session, key, epochs, action, entity, entity_id, purchase_changes)
    row = AuditLog(at=at, who=who, action=action, entity=entity, entity_id=entity_id,
                   before=before_c, after=after_c, prev_hash=last, row_digest=digest,
                   hash=_keyed_digest(key, last, at, who, action, entity, entity_id, before_c, after_c, digest))
    session.add(row)
    session.flush()
    return row


def restored(session: Session, info: dict) -> AuditLog:
    """The restore of a backup, recorded in the restored database's own chain."""
    return record(session, None, "database.restore", "database", None, None, info)


def ensure_keyed(session: Session) -> bool:
    """A log written before this version gets its first key epoch now (one 'audit.keyed' row).
    True when it did; called at start with a writable session."""
    if session.get(Setting, EPOCHS_SETTING) is not None:
        return False
    count = session.scalar(select(func.count()).select_from(AuditLog))
    if not count:
        return False
    record(session, "system", "audit.keyed", "audit_log", None, None, {"earlier_rows": count})
    return True


# ------------------------------------------------------------------ verification


def verify(session: Session) -> list[tuple[str, str, object]]:
    """Every problem of the chain: (code, detail, row id). Codes: 'chain' (first broken row),
    'key_missing' (an epoch whose key is not on this computer), 'unkeyed' (rows but no key)."""
    epochs = _epochs(session)
    keys = {e.get("id"): audit_key.load(e.get("id")) for e in epochs}
    problems: list[tuple[str, str, object]] = []
    for e in epochs:
        key = keys.get(e.get("id"))
        if key is None:
            problems.append(("key_missing", str(e.get("id")), e["from"]))
        elif not hmac.compare_digest(str(e.get("tag")), _epoch_tag(key, e["id"], e["from"])):
            problems.append(("chain", "epoch", e["from"]))
            return problems
    prev, rows = None, 0
    for row in session.scalars(select(AuditLog).order_by(AuditLog.id).execution_options(yield_per=2000)):
        rows += 1
        epoch = _epoch_of(epochs, row.id)
        if row.prev_hash != prev:
            problems.append(("chain", "link", row.id))
            return problems
        if epoch is None:
            ok = row.row_digest is None and row.hash == _legacy_digest(
                prev, row.at, row.who, row.action, row.entity, row.entity_id, row.before, row.after)
        else:
            key = keys.get(epoch.get("id"))
            ok = key is None or hmac.compare_digest(row.hash, _keyed_digest(
                key, prev, row.at, row.who, row.action, row.entity, row.entity_id, row.before, row.after,
                row.row_digest))
        if not ok:
            problems.append(("chain", "hash", row.id))
            return problems
        prev = row.hash
    if rows and not epochs:
        problems.append(("unkeyed", "", None))
    return problems


def verify_chain(session: Session) -> int | None:
    """Id of the first row whose hash or link is wrong, or None if the chain is intact."""
    for code, _detail, row_id in verify(session):
        if code == "chain":
            return row_id
    return None


def changed_rows(session: Session) -> list[tuple[str, str, int]]:
    """Rows changed since their last audited write, outside the app: (entity, id, audit row id).
    'purchase' with id '*' means the purchase table differs from the last import/restore."""
    epochs = _epochs(session)
    found: list[tuple[str, str, int]] = []

    def key_for(row_id: int) -> bytes | None:
        epoch = _epoch_of(epochs, row_id)
        return audit_key.load(epoch.get("id")) if epoch else None

    newest = (select(AuditLog.entity, AuditLog.entity_id, func.max(AuditLog.id).label("last"))
              .where(AuditLog.entity.in_(list(DIGESTED)), AuditLog.entity_id.is_not(None))
              .group_by(AuditLog.entity, AuditLog.entity_id).subquery())
    for audit_row in session.scalars(select(AuditLog).join(newest, AuditLog.id == newest.c.last)
                                     .order_by(AuditLog.id)):
        key = key_for(audit_row.id)
        if key is None or audit_row.row_digest is None:
            continue
        if entity_digest(session, key, audit_row.entity, audit_row.entity_id) != audit_row.row_digest:
            found.append((audit_row.entity, audit_row.entity_id, audit_row.id))
    last_table = _last_table_digest(session)
    if last_table is not None:
        key = key_for(last_table.id)
        if key is not None and not purchase_digest.matches(session, key, last_table.row_digest):
            found.append(("purchase", "*", last_table.id))
    return found
