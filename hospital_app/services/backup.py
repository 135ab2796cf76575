"""Backup and restore (issue 11; issue 23 §1, §6, §11, §13).

Two backup formats (the archive format is in ``backup_archive``):

- ``*.zip`` — a **portable archive** for any backend; ``restore`` loads it into
  SQLite or PostgreSQL (how a hospital moves from a workstation to a shared server).
- anything else (SQLite only) — a consistent copy made with SQLite's online backup
  API, safe while the app is open on the same file.

``backup`` writes to a hidden temporary name and renames, and removes that file
on any failure (a full disk included), so no ``.partial`` is ever left behind.
In shared mode only administrators get a full backup; anyone else's backup leaves
out the user table (password hashes).

``restore`` reads and verifies the whole source before it touches the target,
migrates a backup of an older schema revision forward (it refuses only a newer
one), keeps a copy of what it replaces (never a 0-byte one; old kept copies are
rotated) and loads everything in one transaction (a crash leaves the old data).
Rows that break the schema's rules (a foreign key, a duplicate id, a number too
large) are bad input (exit 3) and change nothing.

``check`` lives in ``db_check``, the rotating daily backup in ``backup_daily``.
Every file written here is readable by its owner only.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import sqlite3
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

from sqlalchemy import Column, MetaData, Table, create_engine, text
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.exc import DataError, IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Session

from db.session import Database, current_revision, head_revision, open_database, optimize, sqlite_path, to_url
from hospital_app import paths
from hospital_app.errors import BadInput
from hospital_app.i18n import tr
from hospital_app.services.backup_archive import (ARCHIVE_FORMAT, ARCHIVE_VERSION, INSERT_CHUNK, MANIFEST,
                                                  TABLES_DIR, SQLITE_MAGIC, ZIP_MAGIC, _ArchiveSource,
                                                  _DatabaseSource, _private_files, _snapshot, _Source,
                                                  _sqlite_copy, _sqlite_file_source, _stamp, _tables,
                                                  _write_archive, remove_quietly, storage_error)

log = logging.getLogger(__name__)
__all__ = ["ARCHIVE_FORMAT", "ARCHIVE_VERSION", "MANIFEST", "TABLES_DIR", "backup", "restore"]

#: Copies kept by ``restore`` of what it replaced; older ones are removed (issue 23 §13).
BEFORE_RESTORE_KEEP = 5
#: Tables a backup for someone other than an administrator leaves out (issue 23 §6).
USER_TABLES = ("app_user",)


def __getattr__(name: str):
    """``backup.check`` / ``backup.daily_backup_if_due`` still work for older callers."""
    if name in ("check", "CheckReport", "CheckProblem"):
        from hospital_app.services import db_check

        return getattr(db_check, name)
    if name in ("daily_backup_if_due", "backup_files", "DamagedDatabase"):
        from hospital_app.services import backup_daily

        return getattr(backup_daily, name)
    raise AttributeError(name)


# ------------------------------------------------------------------ results


@dataclass
class BackupResult:
    path: str
    kind: str  # "sqlite" | "archive"
    revision: str | None
    tables: dict[str, int] = field(default_factory=dict)
    without_users: bool = False

    def as_dict(self) -> dict:
        return {"path": self.path, "kind": self.kind, "revision": self.revision,
                "rows": sum(self.tables.values()), "tables": self.tables, "without_users": self.without_users}


@dataclass
class RestoreResult:
    source: str
    target: str
    kept_copy: str | None
    revision: str
    tables: dict[str, int] = field(default_factory=dict)
    migrated_from: str | None = None

    def as_dict(self) -> dict:
        return {"source": self.source, "target": self.target, "kept_copy": self.kept_copy,
                "revision": self.revision, "migrated_from": self.migrated_from,
                "rows": sum(self.tables.values()), "tables": self.tables}


def server_label(url: str) -> str:
    """A file-name-safe name for a PostgreSQL database: host, port and database, so two
    servers with a database of the same name never share backup files (issue 23 §13)."""
    u = make_url(url)
    raw = "-".join(str(p) for p in (u.host or "local", u.port or "", u.database or "database") if p != "")
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", raw).strip("._") or "database"


# ------------------------------------------------------------------ backup


def _strip_users(copy: Path) -> None:
    """Remove the user table's rows from an SQLite copy, overwriting the freed pages."""
    con = sqlite3.connect(str(copy))
    try:
        con.execute("PRAGMA secure_delete = ON")
        for table in USER_TABLES:
            con.execute(f"DELETE FROM {table}")
        con.commit()
    finally:
        con.close()


class _WithoutTables(_Source):
    def __init__(self, inner: _Source, left_out: tuple[str, ...]) -> None:
        self.inner, self.left_out = inner, left_out

    def rows(self, table):
        if table.name in self.left_out:
            return iter(())
        return self.inner.rows(table)


def backup(db: Database, out_path: str | os.PathLike, *, include_users: bool | None = None) -> BackupResult:
    """Back up the open database to ``out_path`` (.zip: portable archive; else SQLite copy).

    Written to a temporary file first and renamed, so an interrupted or failed backup
    never leaves a file under the requested name nor a temporary one (issue 23 §1).
    ``include_users=False`` leaves out the user table; the default (None) does so unless
    the database is single-user or the logged-in user is an administrator.
    """
    if include_users is None:
        from hospital_app.services.users import full_backup_allowed

        include_users = full_backup_allowed(db)
    out = Path(out_path).expanduser().absolute()
    db_file = sqlite_path(db.url)
    archive = out.suffix.lower() == ".zip"
    if not archive and db_file is None:
        raise BadInput(tr("PostgreSQL 数据库只能备份为可移植的 .zip 归档。",
                          "A PostgreSQL database can only be backed up to a portable .zip archive."))
    if db_file is not None and out.resolve() == db_file.resolve():
        raise BadInput(tr("备份文件不能是数据库本身。", "The backup cannot be the database file itself."))
    if out.is_dir():
        raise BadInput(tr("备份文件不能是一个目录：{p}", "The backup file cannot be a folder: {p}", p=out))
    if not out.parent.is_dir():
        raise BadInput(tr("备份目录不存在：{p}", "The backup folder does not exist: {p}", p=out.parent))
    revision = current_revision(db.engine)
    tmp = out.with_name(f".{out.name}.{_stamp()}.partial")
    try:
        if archive:
            with _snapshot(db) as source, _private_files():
                rows = source if include_users else _WithoutTables(source, USER_TABLES)
                counts = _write_archive(rows, revision, tmp)
        else:
            _sqlite_copy(db_file, tmp)
            if not include_users:
                _strip_users(tmp)
            counts = {}
        os.chmod(tmp, 0o600)
        os.replace(tmp, out)
    except (OSError, sqlite3.Error, SQLAlchemyError) as exc:
        remove_quietly(tmp)
        refused = storage_error(exc, out)
        if refused is None:
            raise
        raise refused from None
    except BaseException:
        remove_quietly(tmp)
        raise
    log.info("backup of %s written to %s (%s%s)", db.location, out, "archive" if archive else "sqlite",
             "" if include_users else ", without users")
    return BackupResult(str(out), "archive" if archive else "sqlite", revision, counts,
                        without_users=not include_users)


# ------------------------------------------------------------------ restore


def _open_source(path: Path):
    try:
        with open(path, "rb") as fh:
            magic = fh.read(16)
    except FileNotFoundError:
        raise BadInput(tr("找不到备份文件：{p}", "Backup file not found: {p}", p=path), file=str(path)) from None
    except OSError as exc:
        raise BadInput(tr("无法读取备份文件 {p}：{e}", "Cannot read the backup file {p}: {e}",
                          p=path, e=exc.strerror), file=str(path)) from None
    if magic.startswith(ZIP_MAGIC):
        return contextlib.closing(_ArchiveSource(path))
    if magic == SQLITE_MAGIC:
        return _sqlite_file_source(path)
    raise BadInput(tr("不是本程序的备份文件（应为 .zip 归档或 SQLite 数据库）：{p}",
                      "Not a backup of this app (expected a .zip archive or an SQLite database): {p}", p=path),
                   file=str(path))


def _known_revisions() -> list[str]:
    """Every shipped revision, oldest first."""
    from alembic.script import ScriptDirectory

    from db.session import alembic_config

    script = ScriptDirectory.from_config(alembic_config())
    return [r.revision for r in reversed(list(script.walk_revisions()))]


def _old_schema_tables(engine) -> list[Table]:
    """The tables of an older revision, typed like the app's models where a column still
    exists (money stays Decimal), else as the database reports them."""
    reflected = MetaData()
    reflected.reflect(engine)
    head = {t.name: t for t in _tables()}
    typed = MetaData()
    result = []
    for table in reflected.sorted_tables:
        if table.name == "alembic_version":
            continue
        model = head.get(table.name)
        columns = [Column(c.name, model.c[c.name].type if model is not None and c.name in model.c else c.type,
                          primary_key=c.primary_key, autoincrement=False)
                   for c in table.columns if c.computed is None]  # generated columns are not backed up
        result.append(Table(table.name, typed, *columns))
    return result


@contextlib.contextmanager
def _migrated(source: _Source, where: Path) -> Iterator[_Source]:
    """A backup of an older schema revision, carried forward to head in a private
    temporary SQLite file: built at the backup's revision, loaded, upgraded with the
    app's own migrations (issue 23 §13). A newer or unknown revision is refused."""
    from alembic import command

    from db.session import _upgrade, alembic_config

    revisions = _known_revisions()
    if source.revision not in revisions:
        raise BadInput(tr("此备份来自更新版本的程序（数据库结构版本 {a}，本程序为 {b}），请用更新的程序恢复。",
                         "This backup comes from a newer version of the app (schema revision {a}; this app "
                         "has {b}); restore it with a newer version.", a=source.revision, b=revisions[-1]),
                       file=str(where))
    with _private_files(), tempfile.TemporaryDirectory(prefix="hospital-app-migrate-") as tmp:
        engine = create_engine("sqlite:///" + str(Path(tmp) / "old.db"))
        try:
            with engine.begin() as conn:
                command.upgrade(alembic_config(conn), source.revision)
            tables = _old_schema_tables(engine)
            names = {t.name for t in tables}
            unknown = sorted(set(getattr(source, "counts", {}) or {}) - names)
            if unknown:
                raise BadInput(tr("备份包含该版本没有的表：{t}", "The backup has tables its revision does not: {t}",
                                  t=", ".join(unknown[:5])), file=str(where))
            with engine.begin() as conn:
                for table in tables:
                    _insert_rows(conn, table, source.rows(table))
            try:
                _upgrade(engine)
            except Exception as exc:  # noqa: BLE001 - whatever the old data breaks is bad input
                raise BadInput(tr("无法把备份升级到当前版本（{e}），未做任何更改。",
                                  "The backup could not be upgraded to this version ({e}); nothing was changed.",
                                  e=str(exc)[:300]), file=str(where)) from None
            with engine.connect() as conn:
                migrated = _DatabaseSource(conn)
                migrated.revision = head_revision()
                yield migrated
        finally:
            engine.dispose()


def _insert_rows(conn: Connection, table: Table, rows) -> int:
    chunk: list[dict] = []
    n = 0
    for row in rows:
        chunk.append(row)
        n += 1
        if len(chunk) >= INSERT_CHUNK:
            conn.execute(table.insert(), chunk)
            chunk = []
    if chunk:
        conn.execute(table.insert(), chunk)
    return n


def _rotate(folder: Path, pattern: str, keep: int) -> None:
    for old in sorted(folder.glob(pattern))[:-keep]:
        with contextlib.suppress(OSError):
            old.unlink()


def _keep_copy(db: Database, existed: bool) -> str | None:
    """What restore replaces is kept: next to an SQLite file, else in the data folder.
    Only the newest ``BEFORE_RESTORE_KEEP`` such copies are kept."""
    path = sqlite_path(db.url)
    if path is not None:
        if not existed:
            return None
        copy = path.with_name(f"{path.stem}.before-restore-{_stamp()}{path.suffix or '.db'}")
        try:
            _sqlite_copy(path, copy)
        except (OSError, sqlite3.Error) as exc:
            raise (storage_error(exc, copy) or exc) from None
        _rotate(path.parent, f"{path.stem}.before-restore-*{path.suffix or '.db'}", BEFORE_RESTORE_KEEP)
        return str(copy)
    folder = paths.data_dir() / "backups"
    with _private_files():
        folder.mkdir(parents=True, exist_ok=True)
    label = server_label(db.url)
    kept = backup(db, folder / f"{label}.before-restore-{_stamp()}.zip").path
    _rotate(folder, f"{label}.before-restore-*.zip", BEFORE_RESTORE_KEEP)
    return kept


def _reset_sequences(conn: Connection) -> None:
    """PostgreSQL: rows came with their ids, so move each id sequence past the largest one."""
    for table in _tables():
        column = table.autoincrement_column
        if column is None:
            continue
        conn.execute(text(
            f"SELECT setval(pg_get_serial_sequence('{table.name}', '{column.name}'), "
            f"COALESCE((SELECT MAX({column.name}) FROM {table.name}), 0) + 1, false)"))


def _load(db: Database, source: _Source, where: Path) -> dict[str, int]:
    """Replace every row of the target with the source's, in one transaction."""
    from hospital_app.services import audit

    counts: dict[str, int] = {}
    try:
        with db.engine.connect() as conn, conn.begin():
            for table in reversed(_tables()):
                conn.execute(table.delete())
            for table in _tables():
                counts[table.name] = _insert_rows(conn, table, source.rows(table))
            if conn.dialect.name == "postgresql":
                _reset_sequences(conn)
            with Session(bind=conn) as s:
                audit.restored(s, {"rows": sum(counts.values())})
                s.flush()
    except (IntegrityError, DataError) as exc:
        detail = str(getattr(exc, "orig", exc)).strip().splitlines()[0][:300]
        raise BadInput(tr("备份中的数据违反数据库规则（{e}），未做任何更改。",
                          "The backup's data break the database's rules ({e}); nothing was changed.",
                          e=detail), file=str(where)) from None
    return counts


def restore(db_location: str, file: str | os.PathLike) -> RestoreResult:
    """Replace the database at ``db_location`` (path or URL) with a backup.

    The whole source is verified first (and carried forward when it is of an older
    schema revision); the current content is kept as a copy; the load is one
    transaction, so the target ends with either the old or the new data.
    """
    source_path = Path(file).expanduser().absolute()
    url = to_url(db_location)
    target_file = sqlite_path(url)
    if target_file is not None and target_file.exists() and source_path.exists() \
            and source_path.resolve() == target_file.resolve():
        raise BadInput(tr("不能用数据库文件自身来恢复。", "Cannot restore a database from itself."))
    existed = target_file.exists() if target_file is not None else True
    with contextlib.ExitStack() as stack:
        source = stack.enter_context(_open_source(source_path))
        head = head_revision()
        migrated_from = None
        if source.revision != head:
            migrated_from = source.revision
            source = stack.enter_context(_migrated(source, source_path))
        db = open_database(url)
        try:
            kept = _keep_copy(db, existed)
            try:
                counts = _load(db, source, source_path)
            except (OSError, sqlite3.Error, SQLAlchemyError) as exc:
                refused = storage_error(exc, db.location)
                if refused is None:
                    raise
                raise refused from None
            optimize(db)  # fresh planner statistics for the loaded tables (issue 12)
            location = db.location
        finally:
            db.dispose()
    log.info("restored %s from %s (kept copy: %s, migrated from %s)", location, source_path, kept, migrated_from)
    return RestoreResult(str(source_path), location, kept, head, counts, migrated_from)
