"""One file imported once at a time on a shared server (issue 23 §8).

PostgreSQL: before any work, an import takes a transaction-scoped advisory lock keyed
by the file's SHA-256. A second workstation importing the same file waits at most
``WAIT_SECONDS``; if the first is still at it, it is refused (exit 4) naming who holds
the lock; if the first finished meanwhile, it is refused (exit 4) with "already
imported by …" — never a long wait ending in an IntegrityError. SQLite needs nothing:
its single writer lock already serialises the two.
"""

from __future__ import annotations

import time
from datetime import datetime, timedelta

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from db.models import ImportRun
from hospital_app.errors import Refused
from hospital_app.i18n import tr

WAIT_SECONDS = 5.0
POLL_SECONDS = 0.2


def lock_key(sha256: str) -> int:
    """The file's SHA-256 as a signed 64-bit advisory lock key."""
    return int.from_bytes(bytes.fromhex(sha256[:16]), "big", signed=True)


def _holder(session: Session, key: int) -> str:
    unsigned = key & 0xFFFFFFFFFFFFFFFF
    row = session.execute(text(
        "SELECT a.usename, a.client_addr, a.application_name FROM pg_locks l "
        "JOIN pg_stat_activity a ON a.pid = l.pid WHERE l.locktype = 'advisory' AND l.granted "
        "AND l.classid = :hi AND l.objid = :lo AND l.objsubid = 1 LIMIT 1"),
        {"hi": unsigned >> 32, "lo": unsigned & 0xFFFFFFFF}).first()
    if row is None:
        return tr("另一个会话", "another session")
    user, addr, app = row
    return f"{user or '?'}@{addr or 'local'}" + (f" ({app})" if app else "")


def claim_file(session: Session, kind: str, sha256: str, file_name: str) -> None:
    """Take the file's import lock for this transaction, or refuse (see the module docstring)."""
    if session.get_bind().dialect.name != "postgresql":
        return
    key = lock_key(sha256)
    started = datetime.now()
    deadline = time.monotonic() + WAIT_SECONDS
    waited = False
    while not session.execute(text("SELECT pg_try_advisory_xact_lock(:k)"), {"k": key}).scalar():
        waited = True
        if time.monotonic() >= deadline:
            raise Refused(tr("文件 {f} 正在由 {h} 导入，未重复导入。请稍后查看导入记录。",
                             "{f} is being imported by {h} right now; it was not imported again. Look at the "
                             "import history in a moment.", f=file_name, h=_holder(session, key)))
        time.sleep(POLL_SECONDS)
    if not waited:
        return
    done = session.execute(select(ImportRun.who, ImportRun.finished_at)
                           .where(ImportRun.sha256 == sha256, ImportRun.kind == kind,
                                  ImportRun.finished_at >= started - timedelta(seconds=WAIT_SECONDS))
                           .order_by(ImportRun.id.desc()).limit(1)).first()
    if done is not None:
        raise Refused(tr("文件 {f} 已由 {w} 在 {t} 导入，未重复导入。",
                         "{f} was already imported by {w} at {t}; it was not imported again.",
                         f=file_name, w=done.who or tr("另一个会话", "another session"),
                         t=done.finished_at.strftime("%H:%M:%S")))
