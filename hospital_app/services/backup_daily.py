"""The rotating daily backup, verified on both ends (issue 11; issue 23 §1, §2, §13).

At most one per calendar day (setting ``backup_daily_keep``; 0 = off), kept in
``backups/`` next to an SQLite file, or in the data folder for PostgreSQL under a
name made of host, port and database (two servers never collide).

SQLite: before copying, the source gets ``PRAGMA quick_check``. A damaged source is
**refused** — :class:`DamagedDatabase` (exit 3) names the newest good backup — so
the damage is noticed the day it happens and the good copies are never rotated
out. The copy is written under a temporary name, checked again, and only then
takes its place; only verified copies are ever counted for rotation.

Any other failure (a full disk, a read-only folder, a locked file) is logged and
never stops the app or the command.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sqlite3
from datetime import date
from pathlib import Path

from sqlalchemy.exc import SQLAlchemyError

from db.session import Database, daily_backup_place, newest_daily_backup, sqlite_path, sqlite_read_only_uri
from hospital_app import paths
from hospital_app.errors import AppError, BadInput
from hospital_app.i18n import tr

log = logging.getLogger(__name__)


class DamagedDatabase(BadInput):
    """The database file failed SQLite's quick check (exit 3)."""


def quick_check(path: Path) -> list[str]:
    """``PRAGMA quick_check`` of an SQLite file, read-only: [] when it is sound, else the findings."""
    try:
        con = sqlite3.connect(sqlite_read_only_uri(path), uri=True, timeout=10)
        try:
            found = [r[0] for r in con.execute("PRAGMA quick_check(10)")]
        finally:
            con.close()
    except sqlite3.DatabaseError as exc:
        if "locked" in str(exc).lower() or "busy" in str(exc).lower():
            raise
        return [str(exc)]
    return [] if found == ["ok"] else found


def damaged(path: Path, findings: list[str]) -> DamagedDatabase:
    good = newest_daily_backup(path)
    hint = (tr("最近一份完好的每日备份：{b}。请用它恢复（restore）。",
               "The newest good daily backup is {b}; restore it (restore).", b=good) if good else
            tr("没有找到每日备份，请用最近的备份恢复（restore）。",
               "No daily backup was found; restore the latest backup you have (restore)."))
    return DamagedDatabase(tr("数据库文件已损坏（{d}），未做每日备份，保留了之前完好的备份。",
                              "The database file is damaged ({d}); the daily backup was not taken and the "
                              "earlier good backups were kept.", d="; ".join(findings[:2])[:200]) + " " + hint,
                           file=str(path))


def _target(db: Database) -> tuple[Path, str, str]:
    path = sqlite_path(db.url)
    if path is not None:
        folder, prefix = daily_backup_place(path)
        return folder, prefix, ".db"
    from hospital_app.services.backup import server_label

    return paths.data_dir() / "backups", f"{server_label(db.url)}-daily-", ".zip"


def _dailies(folder: Path, prefix: str, ext: str) -> list[Path]:
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.glob(f"{prefix}*{ext}") if p.name[len(prefix):-len(ext)].isdigit())


def _write_verified(db: Database, target: Path, include_users: bool | None) -> bool:
    """Write the copy under a temporary name, check it, then move it into place."""
    from hospital_app.services.backup import backup

    tmp = target.with_name(f".{target.stem}.checking{target.suffix}")
    backup(db, tmp, include_users=include_users)
    try:
        if target.suffix == ".db":
            findings = quick_check(tmp)
            if findings:
                log.error("daily backup copy %s is damaged (%s); the earlier backups were kept", tmp, findings[:2])
                return False
        os.replace(tmp, target)
        return True
    finally:
        with contextlib.suppress(OSError):
            tmp.unlink()


def daily_backup_if_due(db: Database, today: date | None = None) -> Path | None:
    """Take today's backup if it is due. Raises :class:`DamagedDatabase` (exit 3) when the
    SQLite source is damaged; every other failure is logged and returns None."""
    from hospital_app import settings

    today = today or date.today()
    try:
        with db.read_session() as s:
            keep = settings.get(s, "backup_daily_keep")
        if not keep:
            return None
        folder, prefix, ext = _target(db)
        target = folder / f"{prefix}{today:%Y%m%d}{ext}"
        if target.exists():
            return None
        source = sqlite_path(db.url)
        if source is not None:
            findings = quick_check(source)
            if findings:
                raise damaged(source, findings)
        old = os.umask(0o077)
        try:
            folder.mkdir(parents=True, exist_ok=True)
        finally:
            os.umask(old)
        # Next to an SQLite file a full copy adds nothing the file does not hold; a server's
        # backup on a workstation leaves out the users unless an administrator took it (§6).
        if not _write_verified(db, target, True if source is not None else None):
            return None
        for stale in _dailies(folder, prefix, ext)[:-keep]:
            stale.unlink()
        return target
    except DamagedDatabase:
        raise
    except (AppError, OSError, sqlite3.Error, SQLAlchemyError) as exc:
        log.warning("daily backup of %s failed: %s", db.location, getattr(exc, "message", exc))
        return None


def backup_files(db: Database) -> list[Path]:
    """The daily backups that exist now, newest first (for the settings page)."""
    folder, prefix, ext = _target(db)
    return list(reversed(_dailies(folder, prefix, ext)))
