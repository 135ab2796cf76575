"""Engine, sessions and automatic migrations.

``open_database(url)`` is the one way in: it creates a new database at the head
revision, or backs up an older one and upgrades it (restoring the backup if the
upgrade fails), and returns a ``Database`` with a session factory.
SQLite runs with WAL, foreign keys on and a busy timeout.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import shutil
import sqlite3
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Iterator

from sqlalchemy import create_engine, event, inspect, text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import DatabaseError as DBAPIDatabaseError
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from hospital_app.errors import BadInput, DatabaseLocked, MigrationFailed, Refused
from hospital_app.i18n import tr

log = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
BUSY_TIMEOUT_MS = 5000
#: SQLite reads the database file through a memory map of up to this many bytes (``PRAGMA
#: mmap_size``; SQLite's default is 0, no map). See ``_sqlite_pragmas``.
MMAP_BYTES = 1 << 30


def to_url(url_or_path: str) -> str:
    """CLI.md: an SQLAlchemy URL, or a path to an SQLite file."""
    if "://" in url_or_path:
        return url_or_path
    return "sqlite:///" + str(Path(url_or_path).expanduser().resolve())


def sqlite_path(url: str) -> Path | None:
    u = make_url(url)
    if u.get_backend_name() != "sqlite" or not u.database or u.database == ":memory:":
        return None
    return Path(u.database)


def daily_backup_place(path: Path) -> tuple[Path, str]:
    """Folder and name prefix of an SQLite file's daily backups (``backups/<stem>-daily-YYYYMMDD.db``)."""
    return path.parent / "backups", f"{path.stem}-daily-"


def newest_daily_backup(path: Path) -> Path | None:
    """The newest daily backup of an SQLite file (each was checked when written), if any."""
    folder, prefix = daily_backup_place(path)
    if not folder.is_dir():
        return None
    found = sorted(p for p in folder.glob(f"{prefix}*.db") if p.name[len(prefix):-3].isdigit())
    return found[-1] if found else None


def _sqlite_pragmas(dbapi_conn, _record) -> None:
    cur = dbapi_conn.cursor()
    cur.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    cur.execute("PRAGMA foreign_keys = ON")
    cur.execute("PRAGMA journal_mode = WAL")
    cur.execute("PRAGMA synchronous = NORMAL")
    # 64 MiB page cache (allocated only as used; SQLite's default is 2 MiB): the 500 000-order
    # aggregates of the scorecard, payments and alerts otherwise re-read the same index pages
    # from the OS thousands of times (issues 17/21: a fifth of their time was system time).
    cur.execute("PRAGMA cache_size = -65536")
    # Reads through a memory map: a page already in the operating system's file cache is used
    # where it lies, without a read() call and a copy into SQLite's own cache per page — what a
    # fresh process (every CLI command, the GUI's first load) otherwise pays for each page of
    # the 500 000-order aggregates (issue 21: `alerts --json` 0.15–0.2 s faster at hospital
    # scale). Writes still go through the WAL. SQLite's caveats: a file shrunk by another
    # process — the app never shrinks it (no VACUUM); a file on a network share — WAL already
    # rules that out (shared use is PostgreSQL's), and a read-only file, possibly on a share,
    # is opened without a map; a disk failing under a mapped page ends the process instead of
    # giving an error (nothing is written by a read, so no data is lost either way).
    cur.execute(f"PRAGMA mmap_size = {MMAP_BYTES}")
    cur.close()


def sqlite_read_only(path: Path) -> bool:
    """The file exists but cannot be written here (read-only medium, share or file)."""
    return path.is_file() and not (os.access(path, os.W_OK) and os.access(path.parent, os.W_OK))


def sqlite_read_only_uri(path: Path) -> str:
    """An ``sqlite3`` URI that reads ``path`` without writing anything next to it. On a folder
    nobody can write (read-only medium) the file is opened immutable: SQLite then needs no
    ``-shm``/``-wal`` file, so a WAL database is readable from a CD or a read-only share
    (issue 23 §12)."""
    from urllib.parse import quote

    uri = f"file:{quote(str(path))}?mode=ro"
    return uri + ("&immutable=1" if not os.access(path.parent, os.W_OK) else "")


def _sqlite_read_only_pragmas(dbapi_conn, _record) -> None:
    cur = dbapi_conn.cursor()
    cur.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    cur.execute("PRAGMA query_only = ON")
    cur.close()


def make_engine(url: str) -> Engine:
    from db import text_limits

    engine = _make_engine(url)
    text_limits.install(engine)  # the same text limits on SQLite as on PostgreSQL (issue 23 §9)
    return engine


def _make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        path = sqlite_path(url)
        if path is not None and sqlite_read_only(path):
            engine = create_engine("sqlite:///" + sqlite_read_only_uri(path) + "&uri=true",
                                   connect_args={"timeout": BUSY_TIMEOUT_MS / 1000})
            event.listen(engine, "connect", _sqlite_read_only_pragmas)
            return engine
        engine = create_engine(url, connect_args={"timeout": BUSY_TIMEOUT_MS / 1000})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, pool_pre_ping=True)


def alembic_config(engine_or_conn=None):
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    if engine_or_conn is not None:
        cfg.attributes["connection"] = engine_or_conn
    return cfg


_REVISION = re.compile(r"""^revision\s*=\s*['"]([^'"]+)['"]""", re.M)
_DOWN = re.compile(r"""^down_revision\s*=\s*(?:None|['"]([^'"]*)['"])""", re.M)


def head_revision() -> str:
    """The newest revision shipped, read from the revision files' headers.

    Opening a database that is already at head must not pay for importing Alembic
    (~0.25 s on every command and GUI start, issue 12); Alembic is loaded only to
    upgrade. tests/services/test_migrations.py checks this agrees with Alembic.
    """
    revisions, parents = set(), set()
    for path in (MIGRATIONS_DIR / "versions").glob("*.py"):
        text = path.read_text(encoding="utf-8")
        rev, down = _REVISION.search(text), _DOWN.search(text)
        if rev:
            revisions.add(rev.group(1))
            if down and down.group(1):
                parents.add(down.group(1))
    heads = revisions - parents
    if len(heads) != 1:
        from alembic.script import ScriptDirectory  # let Alembic explain branches

        return ScriptDirectory.from_config(alembic_config()).get_current_head()
    return heads.pop()


def current_revision(engine: Engine) -> str | None:
    """The database's schema revision (None for a new, empty database)."""
    with engine.connect() as conn:
        if not inspect(conn).has_table("alembic_version"):
            return None
        return conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalar()


def _upgrade(engine: Engine, target: str = "head") -> None:
    """Upgrade to ``target``. On SQLite foreign keys are off while it runs: batch mode
    rebuilds a table by dropping it, which with foreign keys on would cascade-delete the
    rows that reference it (supply issues' linked purchases). They are checked after."""
    from alembic import command

    sqlite = engine.dialect.name == "sqlite"
    with engine.connect() as conn:
        if sqlite:
            conn.exec_driver_sql("PRAGMA foreign_keys=OFF")
            conn.commit()  # the PRAGMA is a no-op inside a transaction
        try:
            with conn.begin():
                command.upgrade(alembic_config(conn), target)
                if sqlite:
                    broken = conn.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                    if broken:
                        raise RuntimeError(f"foreign key check failed after upgrade: {broken[:5]}")
        finally:
            if sqlite:
                conn.rollback()
                conn.exec_driver_sql("PRAGMA foreign_keys=ON")
                conn.commit()


def backup_sqlite_file(path: Path, suffix: str) -> Path:
    """Copy a live SQLite file with the online backup API (safe with WAL)."""
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S-%f")
    target = path.with_name(f"{path.stem}.{suffix}-{stamp}{path.suffix}")
    src = sqlite3.connect(str(path))
    old_umask = os.umask(0o077)  # a copy of hospital data: readable by its owner only
    try:
        dst = sqlite3.connect(str(target))
        try:
            src.backup(dst)
        finally:
            dst.close()
    finally:
        os.umask(old_umask)
        src.close()
    return target


@dataclass
class Database:
    url: str
    engine: Engine
    factory: sessionmaker

    @property
    def backend(self) -> str:
        return self.engine.dialect.name

    @property
    def location(self) -> str:
        """Where the data is, for people (never shows a password)."""
        path = sqlite_path(self.url)
        if path is not None:
            return str(path)
        return mask_url(self.url)

    @contextlib.contextmanager
    def session(self) -> Iterator[Session]:
        """A unit of work: commit on success, roll back on any error."""
        session = self.factory()
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    def read_session(self) -> Session:
        return self.factory()

    def dispose(self) -> None:
        """Close the connections. SQLite first runs ``PRAGMA optimize`` (what SQLite advises
        before closing): it re-analyses only tables whose statistics went stale, e.g. after a
        big import in the GUI, and costs nothing otherwise."""
        if self.backend == "sqlite":
            try:
                with self.engine.begin() as conn:
                    conn.exec_driver_sql(f"PRAGMA analysis_limit = {ANALYSIS_LIMIT}")
                    conn.exec_driver_sql("PRAGMA optimize")
            except SQLAlchemyError:
                log.debug("PRAGMA optimize skipped", exc_info=True)
        self.engine.dispose()


#: Rows SQLite samples per index when analysing (approximate statistics, milliseconds).
ANALYSIS_LIMIT = 2000


def optimize(db: Database) -> None:
    """Refresh the query planner's statistics after bulk writes (demo, import).

    Without statistics SQLite's planner guesses and can pick the date index for a
    per-product aggregation — 10× slower on 500 000 purchase lines (issue 12).
    SQLite: ``ANALYZE`` with a sampling limit; PostgreSQL: ``ANALYZE``. Best effort:
    a locked or read-only database keeps its old statistics (logged, not raised).
    """
    try:
        with db.engine.begin() as conn:
            if db.backend == "sqlite":
                conn.exec_driver_sql(f"PRAGMA analysis_limit = {ANALYSIS_LIMIT}")
            conn.exec_driver_sql("ANALYZE")
    except SQLAlchemyError:
        log.warning("could not refresh the planner statistics", exc_info=True)


SUPPORTED_BACKENDS = ("sqlite", "postgresql")


def _check_backend(url: str) -> None:
    """Only SQLite files and PostgreSQL servers (CLI.md); anything else is bad input (exit 3)."""
    from sqlalchemy.exc import ArgumentError

    try:
        backend = make_url(url).get_backend_name()
    except ArgumentError:
        backend = None
    if backend not in SUPPORTED_BACKENDS:
        raise BadInput(tr("不支持的数据库类型：{u}（只支持 SQLite 文件和 PostgreSQL）。",
                          "Unsupported database type: {u} (only SQLite files and PostgreSQL).",
                          u=mask_url(url)), column="--db")


def _check_sqlite_location(path: Path) -> None:
    from hospital_app.paths import network_location

    share = network_location(path)
    if share is not None:
        raise Refused(tr(
            "数据库文件 {p} 位于网络共享（{s}）上。多台电脑通过共享文件夹同时使用同一个 SQLite 文件会损坏数据，"
            "因此不允许。请把数据库放在本机，或让多台工作站共用一个 PostgreSQL 数据库"
            "（--db postgresql+psycopg://用户@服务器/数据库）。",
            "The database file {p} is on a network share ({s}). Several computers using one SQLite file "
            "through a shared folder corrupt it, so this is refused. Keep the database on this computer, or "
            "let the workstations share a PostgreSQL database (--db postgresql+psycopg://user@server/db).",
            p=path, s=share))
    parent = path.parent
    if path.is_dir():
        raise BadInput(tr("{p} 是一个文件夹，不是数据库文件。", "{p} is a folder, not a database file.", p=path))
    if path.exists():
        if not os.access(path, os.R_OK):
            raise Refused(tr("无法读取数据库文件：{p}", "Cannot read the database file: {p}", p=path))
        return
    if not parent.is_dir():
        raise Refused(tr("数据库所在目录不存在：{p}", "The database folder does not exist: {p}", p=parent))
    if not os.access(parent, os.W_OK):
        raise Refused(tr("没有权限在此目录创建数据库：{p}",
                         "No permission to create the database in: {p}", p=parent))


def open_database(url_or_path: str, *, migrate: bool = True) -> Database:
    """Open (create or upgrade) the database. Raises Refused / MigrationFailed (exit 4)."""
    url = to_url(url_or_path)
    _check_backend(url)
    path = sqlite_path(url)
    new_file = False
    if path is not None:
        _check_sqlite_location(path)
        new_file = not path.exists()
    engine = make_engine(url)
    try:
        if path is not None and new_file:
            # Created readable by its owner only (hospital data).
            old_umask = os.umask(0o077)
            try:
                with engine.connect():
                    pass
            finally:
                os.umask(old_umask)
        if migrate:
            _migrate(engine, path)
    except (Refused, MigrationFailed):
        engine.dispose()
        raise
    except DBAPIDatabaseError as exc:
        engine.dispose()
        if "not a database" in str(exc).lower() or "malformed" in str(exc).lower():
            good = newest_daily_backup(path) if path is not None else None
            hint = tr("最近的每日备份：{b}。", "The newest daily backup is {b}. ", b=good) if good else ""
            raise BadInput(tr("文件 {p} 不是有效的数据库或已损坏。{h}请从备份恢复（hospital-app restore 备份文件）。",
                              "{p} is not a valid database or is damaged. {h}Restore it from a backup "
                              "(hospital-app restore BACKUP).", p=path or mask_url(url), h=hint)) from exc
        if "locked" in str(exc).lower():
            raise DatabaseLocked(tr("数据库正被其他程序占用，请稍后重试。",
                                    "The database is locked by another program; try again later.")) from exc
        raise Refused(tr("无法打开数据库 {loc}：{err}", "Cannot open the database {loc}: {err}",
                         loc=path or mask_url(url),
                         err=mask_url(str(exc.orig)))) from exc
    factory = sessionmaker(engine, expire_on_commit=False)
    return Database(url=url, engine=engine, factory=factory)


def _migrate(engine: Engine, path: Path | None) -> None:
    head = head_revision()
    current = current_revision(engine)
    if current == head:
        return
    tables = set(inspect(engine).get_table_names())
    if current is None and tables - {"alembic_version"} and _never_used(engine, tables):
        # Left by a crash during the first start of an older version (tables, no version,
        # no rows): nothing to lose, so it is built again (issue 23 §3).
        log.warning("rebuilding %s: app tables without a schema revision and without any rows", path)
        _drop_all(engine, tables)
        tables = set()
    if current is None and tables - {"alembic_version"}:
        raise MigrationFailed(tr("此文件不是本程序的数据库（没有版本信息）：{p}",
                                 "This file is not a database of this app (no schema revision): {p}",
                                 p=path or mask_url(str(engine.url))))
    if current is None:
        _create_fresh(engine)
        return
    backup = None
    if current is not None and path is not None:
        engine.dispose()
        backup = backup_sqlite_file(path, "pre-migration")
        log.info("backed up %s to %s before migrating %s → %s", path, backup, current, head)
    try:
        _upgrade(engine)
    except (SQLAlchemyError, Exception) as exc:  # noqa: BLE001 - any failure must restore
        log.exception("migration failed")
        engine.dispose()
        if backup is not None and path is not None:
            _restore_file(backup, path)
            raise MigrationFailed(tr(
                "数据库升级失败，已恢复升级前的备份（{b}）。原因：{e}",
                "The database upgrade failed; the backup taken before it ({b}) was restored. Cause: {e}",
                b=backup, e=exc)) from exc
        raise MigrationFailed(tr("数据库升级失败，未做任何更改。原因：{e}",
                                 "The database upgrade failed; nothing was changed. Cause: {e}",
                                 e=exc)) from exc


def _create_fresh(engine: Engine) -> None:
    """A new database is built from the models and stamped at head in one transaction, so a
    crash half-way leaves an empty file that the next start builds again (issue 23 §3).
    tests/migrations/ prove that the migrations from 0001 arrive at the same schema."""
    from db.models import Base

    def build(conn) -> None:
        Base.metadata.create_all(conn)
        conn.exec_driver_sql("CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL, "
                             "CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num))")
        conn.execute(text("INSERT INTO alembic_version (version_num) VALUES (:v)"), {"v": head_revision()})

    if engine.dialect.name != "sqlite":
        with engine.begin() as conn:
            build(conn)
        return
    with engine.connect() as conn:
        conn.exec_driver_sql("BEGIN")  # pysqlite would run the DDL outside any transaction
        try:
            build(conn)
        except BaseException:
            conn.exec_driver_sql("ROLLBACK")
            raise
        conn.exec_driver_sql("COMMIT")


def _never_used(engine: Engine, tables: set[str]) -> bool:
    """Only this app's tables (and Alembic's), every one of them empty — but the derived
    summaries, which the database fills itself (``order_shape`` holds its counter row)."""
    from db.models import Base

    if not tables <= set(Base.metadata.tables) | {"alembic_version"}:
        return False
    derived = {t.name for t in Base.metadata.sorted_tables if t.info.get("derived")}
    with engine.connect() as conn:
        return all(conn.exec_driver_sql(f'SELECT 1 FROM "{t}" LIMIT 1').first() is None
                   for t in tables - derived)


def _drop_all(engine: Engine, tables: set[str]) -> None:
    from db.models import Base

    with engine.begin() as conn:
        Base.metadata.drop_all(conn, tables=[t for t in Base.metadata.sorted_tables if t.name in tables])
        if "alembic_version" in tables:
            conn.exec_driver_sql("DROP TABLE alembic_version")


def mask_url(url: str) -> str:
    """A database URL for people: no password, neither in the URL nor as ``?password=``."""
    from hospital_app.secrets import mask_url as mask

    return mask(url)


def _restore_file(backup: Path, path: Path) -> None:
    for extra in (path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        with contextlib.suppress(FileNotFoundError):
            extra.unlink()
    shutil.copy2(backup, path)
