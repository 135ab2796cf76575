"""Backup, restore, integrity check and the rotating daily backup.

Two backup formats:

- ``*.zip`` — a **portable archive** for any backend: ``manifest.json`` (format,
  schema revision, per-table file, row count and SHA-256) plus one JSON-lines file
  per table under ``tables/``. ``restore`` loads it into SQLite or PostgreSQL; this
  is how a hospital moves from one workstation to a shared server.
- anything else (SQLite only) — a consistent copy made with SQLite's online backup
  API, safe while the app is open on the same file.

``restore`` reads and verifies the whole source before it touches the target,
keeps a copy of what it replaces, and loads everything in one transaction (a crash
leaves the old data). It refuses archives with unexpected members or paths — it
never extracts to disk, so nothing can be written outside the target.
``check`` runs SQLite's integrity and foreign-key checks, the app's invariants and
the audit chain. Every file written here is readable by its owner only.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import logging
import os
import sqlite3
import tempfile
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path, PurePosixPath
from typing import Any, Callable, Iterator

from sqlalchemy import (JSON, Boolean, Date, DateTime, Integer, String, Table, Text, create_engine,
                        select, text)
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.exc import DatabaseError, SQLAlchemyError
from sqlalchemy.orm import Session

from db.models import AgreementPeriod, Base, Product, Purchase
from db.session import Database, current_revision, head_revision, open_database, optimize, sqlite_path, to_url
from db.types import FixedDecimal
from hospital_app import paths
from hospital_app.errors import BadInput, Refused
from hospital_app.i18n import tr

log = logging.getLogger(__name__)

ARCHIVE_FORMAT = "hospital-app-archive"
ARCHIVE_VERSION = 1
MANIFEST = "manifest.json"
TABLES_DIR = "tables"
MAX_MANIFEST_BYTES = 1_000_000
MAX_ARCHIVE_BYTES = 16 * 1024**3  # uncompressed, all members together
MAX_COMPRESSION_RATIO = 1000  # zip bombs expand far more than JSON lines do
SQLITE_MAGIC = b"SQLite format 3\x00"
ZIP_MAGIC = b"PK\x03\x04"
INSERT_CHUNK = 2000


# ------------------------------------------------------------------ results


@dataclass
class BackupResult:
    path: str
    kind: str  # "sqlite" | "archive"
    revision: str | None
    tables: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict:
        return {"path": self.path, "kind": self.kind, "revision": self.revision,
                "rows": sum(self.tables.values()), "tables": self.tables}


@dataclass
class RestoreResult:
    source: str
    target: str
    kept_copy: str | None
    revision: str
    tables: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict:
        return {"source": self.source, "target": self.target, "kept_copy": self.kept_copy,
                "revision": self.revision, "rows": sum(self.tables.values()), "tables": self.tables}


@dataclass
class CheckProblem:
    code: str
    message: str

    def as_dict(self) -> dict:
        return {"code": self.code, "message": self.message}


@dataclass
class CheckReport:
    location: str
    backend: str
    checks: list[str] = field(default_factory=list)
    problems: list[CheckProblem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def add(self, code: str, message: str) -> None:
        self.problems.append(CheckProblem(code, message))

    def as_dict(self) -> dict:
        return {"database": self.location, "backend": self.backend, "ok": self.ok,
                "checks": self.checks, "problems": [p.as_dict() for p in self.problems]}


# ------------------------------------------------------------------ helpers


@contextlib.contextmanager
def _private_files() -> Iterator[None]:
    """Files and folders created inside are readable by their owner only."""
    old = os.umask(0o077)
    try:
        yield
    finally:
        os.umask(old)


def _stamp() -> str:
    return datetime.now().strftime("%Y%m%d-%H%M%S-%f")


def _os_error(exc: OSError, where: Path | str) -> Refused:
    import errno

    if exc.errno == errno.ENOSPC:
        return Refused(tr("磁盘空间不足，无法写入：{p}", "The disk is full; cannot write: {p}", p=where))
    if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return Refused(tr("没有写入权限：{p}", "No permission to write: {p}", p=where))
    return Refused(tr("无法写入 {p}：{e}", "Cannot write {p}: {e}", p=where, e=exc.strerror or exc))


def _tables() -> list[Table]:
    """All tables of the schema, parents before children."""
    return list(Base.metadata.sorted_tables)


def _sqlite_copy(src: Path, dst: Path, *, source_read_only: bool = False) -> None:
    """Online backup API: a consistent copy even while another program writes.

    The copy is a single self-contained file (rollback-journal mode, no -wal/-shm).
    """
    with _private_files():
        if source_read_only:
            source = sqlite3.connect(f"file:{src}?mode=ro", uri=True, timeout=10)
        else:
            source = sqlite3.connect(str(src), timeout=10)
        try:
            target = sqlite3.connect(str(dst))
            try:
                source.backup(target)
                target.execute("PRAGMA journal_mode = DELETE")
            finally:
                target.close()
        finally:
            source.close()
    os.chmod(dst, 0o600)


def _encode(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    return value


def _decoder(column) -> Callable[[Any], Any]:
    """Turn a JSON value back into the column's Python type; ValueError if it does not fit."""
    t = column.type

    def typed(kind: type | tuple, convert: Callable[[Any], Any] = lambda v: v):
        def decode(v):
            if v is None:
                return None
            if not isinstance(v, kind) or (kind is int and isinstance(v, bool)):
                raise ValueError(type(v).__name__)
            return convert(v)
        return decode

    if isinstance(t, FixedDecimal):
        def dec(v):
            if v is None:
                return None
            if not isinstance(v, str):
                raise ValueError(type(v).__name__)
            try:
                return Decimal(v)
            except InvalidOperation:
                raise ValueError(v) from None
        return dec
    if isinstance(t, DateTime):
        return typed(str, datetime.fromisoformat)
    if isinstance(t, Date):
        return typed(str, date.fromisoformat)
    if isinstance(t, Boolean):
        return typed(bool)
    if isinstance(t, Integer):
        return typed(int)
    if isinstance(t, (String, Text)):
        return typed(str)
    if isinstance(t, JSON):
        return lambda v: v
    raise TypeError(f"no archive decoder for {t!r}")  # a new column type needs one here


# ------------------------------------------------------------------ sources of rows


class _Source:
    """Verified rows of every table, in the app's schema revision."""

    revision: str
    counts: dict[str, int]

    def rows(self, table: Table) -> Iterator[dict]:
        raise NotImplementedError

    def close(self) -> None:
        pass


def _safe_member_name(name: str) -> bool:
    """Zip slip: only plain relative POSIX names, no '..', no drive, no backslash."""
    if not name or "\\" in name or "\x00" in name or name.startswith("/") or ":" in name:
        return False
    parts = PurePosixPath(name).parts
    return all(p not in ("", ".", "..") for p in parts)


class _ArchiveSource(_Source):
    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            self.zip = zipfile.ZipFile(path)
        except (zipfile.BadZipFile, OSError) as exc:
            raise self._bad(tr("不是有效的 zip 文件（{e}）", "not a valid zip file ({e})", e=exc)) from None
        try:
            self._verify()
        except BaseException:
            self.zip.close()
            raise

    def _bad(self, why: str) -> BadInput:
        return BadInput(tr("备份文件无效，未做任何更改：{w}", "Invalid backup archive, nothing was changed: {w}",
                           w=why), file=str(self.path))

    def _verify(self) -> None:
        infos = self.zip.infolist()
        names = [i.filename for i in infos]
        if len(set(names)) != len(names):
            raise self._bad(tr("包含重复的文件名", "it contains duplicate member names"))
        total = 0
        for info in infos:
            if not _safe_member_name(info.filename) or info.is_dir():
                raise self._bad(tr("包含不允许的路径：{n}", "it contains a forbidden path: {n}", n=info.filename))
            if (info.external_attr >> 16) & 0o170000 == 0o120000:
                raise self._bad(tr("包含符号链接：{n}", "it contains a symbolic link: {n}", n=info.filename))
            if info.flag_bits & 0x1:
                raise self._bad(tr("包含加密内容：{n}", "it contains encrypted content: {n}", n=info.filename))
            total += info.file_size
            if info.file_size > 1_000_000 and info.file_size > MAX_COMPRESSION_RATIO * max(info.compress_size, 1):
                raise self._bad(tr("压缩比异常（可能是压缩炸弹）：{n}", "suspicious compression ratio: {n}",
                                   n=info.filename))
        if total > MAX_ARCHIVE_BYTES:
            raise self._bad(tr("内容过大", "its content is too large"))
        if MANIFEST not in names:
            raise self._bad(tr("缺少 manifest.json", "manifest.json is missing"))
        manifest = self._manifest()
        expected = {MANIFEST} | {entry["file"] for entry in manifest["tables"].values()}
        unexpected = sorted(set(names) - expected)
        if unexpected:
            raise self._bad(tr("包含意外的文件：{n}", "unexpected member: {n}", n=", ".join(unexpected[:5])))
        self.revision = manifest["schema_revision"]
        self.entries = manifest["tables"]
        self.counts = {}
        for name, entry in self.entries.items():
            digest, lines = hashlib.sha256(), 0
            with self.zip.open(entry["file"]) as fh:
                for chunk in iter(lambda: fh.read(1 << 20), b""):
                    digest.update(chunk)
                    lines += chunk.count(b"\n")
            if digest.hexdigest() != entry["sha256"] or lines != entry["rows"]:
                raise self._bad(tr("表 {t} 的校验和或行数不符（文件已损坏或被修改）",
                                   "checksum or row count of table {t} does not match (damaged or altered)",
                                   t=name))
            self.counts[name] = lines

    def _manifest(self) -> dict:
        info = self.zip.getinfo(MANIFEST)
        if info.file_size > MAX_MANIFEST_BYTES:
            raise self._bad(tr("manifest.json 过大", "manifest.json is too large"))
        try:
            manifest = json.loads(self.zip.read(MANIFEST).decode("utf-8"))
        except (ValueError, UnicodeDecodeError):
            raise self._bad(tr("manifest.json 不是有效的 JSON", "manifest.json is not valid JSON")) from None
        if not isinstance(manifest, dict) or manifest.get("format") != ARCHIVE_FORMAT:
            raise self._bad(tr("不是本程序的备份", "it is not a backup of this app"))
        if manifest.get("format_version") != ARCHIVE_VERSION:
            raise self._bad(tr("备份格式版本不受支持：{v}", "unsupported archive format version: {v}",
                               v=manifest.get("format_version")))
        tables = manifest.get("tables")
        known = {t.name for t in _tables()}
        if not isinstance(tables, dict) or not isinstance(manifest.get("schema_revision"), str):
            raise self._bad(tr("manifest.json 内容不完整", "manifest.json is incomplete"))
        for name, entry in tables.items():
            if name not in known:
                raise self._bad(tr("包含未知的表：{t}", "unknown table: {t}", t=name))
            if (not isinstance(entry, dict) or entry.get("file") != f"{TABLES_DIR}/{name}.jsonl"
                    or not isinstance(entry.get("rows"), int) or not isinstance(entry.get("sha256"), str)):
                raise self._bad(tr("表 {t} 的清单条目无效", "invalid manifest entry for table {t}", t=name))
        return manifest

    def rows(self, table: Table) -> Iterator[dict]:
        entry = self.entries.get(table.name)
        if entry is None:
            return
        decoders = {c.name: _decoder(c) for c in table.columns}
        with self.zip.open(entry["file"]) as fh:
            for number, line in enumerate(io.TextIOWrapper(fh, encoding="utf-8"), start=1):
                where = tr("表 {t} 第 {n} 行", "table {t} line {n}", t=table.name, n=number)
                try:
                    raw = json.loads(line)
                except ValueError:
                    raise self._bad(tr("{w} 不是有效的 JSON", "{w} is not valid JSON", w=where)) from None
                if not isinstance(raw, dict) or set(raw) != set(decoders):
                    raise self._bad(tr("{w} 的列与数据库结构不符", "{w}: columns do not match the schema", w=where))
                try:
                    yield {k: decoders[k](v) for k, v in raw.items()}
                except (ValueError, TypeError) as exc:
                    raise self._bad(tr("{w} 含有无效的值（{e}）", "{w} has an invalid value ({e})",
                                       w=where, e=exc)) from None

    def close(self) -> None:
        self.zip.close()


class _DatabaseSource(_Source):
    """Rows read through SQLAlchemy Core from a connection with a consistent snapshot."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.counts = {}

    def rows(self, table: Table) -> Iterator[dict]:
        result = self.conn.execution_options(yield_per=INSERT_CHUNK).execute(select(table))
        count = 0
        for row in result.mappings():
            count += 1
            yield dict(row)
        self.counts[table.name] = count


@contextlib.contextmanager
def _snapshot(db: Database) -> Iterator[_DatabaseSource]:
    """A read-only, consistent view of a live database (other programs may keep writing)."""
    path = sqlite_path(db.url)
    if path is None:
        with db.engine.connect() as conn:
            conn = conn.execution_options(isolation_level="REPEATABLE READ")
            with conn.begin():
                yield _DatabaseSource(conn)
        return
    with _private_files(), tempfile.TemporaryDirectory(prefix="hospital-app-snapshot-") as tmp:
        copy = Path(tmp) / "snapshot.db"
        _sqlite_copy(path, copy)
        engine = create_engine("sqlite:///" + str(copy))
        try:
            with engine.connect() as conn:
                yield _DatabaseSource(conn)
        finally:
            engine.dispose()


@contextlib.contextmanager
def _sqlite_file_source(path: Path) -> Iterator[_DatabaseSource]:
    """A backup made by ``backup --out FILE.db`` (read from a private copy, never modified)."""
    with _private_files(), tempfile.TemporaryDirectory(prefix="hospital-app-restore-") as tmp:
        copy = Path(tmp) / "source.db"
        try:
            _sqlite_copy(path, copy, source_read_only=True)
            con = sqlite3.connect(str(copy))
            try:
                result = con.execute("PRAGMA integrity_check").fetchall()
            finally:
                con.close()
        except sqlite3.DatabaseError as exc:
            raise BadInput(tr("备份文件已损坏，未做任何更改：{e}", "The backup file is damaged, nothing was changed: {e}",
                              e=exc), file=str(path)) from None
        if result != [("ok",)]:
            raise BadInput(tr("备份文件已损坏（完整性检查失败），未做任何更改。",
                              "The backup file is damaged (integrity check failed); nothing was changed."),
                           file=str(path))
        engine = create_engine("sqlite:///" + str(copy))
        try:
            try:
                revision = current_revision(engine)
            except SQLAlchemyError:
                revision = None
            if revision is None:
                raise BadInput(tr("此文件不是本程序的数据库备份。", "This file is not a database backup of this app."),
                               file=str(path))
            with engine.connect() as conn:
                source = _DatabaseSource(conn)
                source.revision = revision
                yield source
        finally:
            engine.dispose()


# ------------------------------------------------------------------ backup


def _write_archive(source: _DatabaseSource, revision: str | None, out: Path) -> dict[str, int]:
    entries, counts = {}, {}
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=6) as zf:
        for table in _tables():
            name = f"{TABLES_DIR}/{table.name}.jsonl"
            digest, rows = hashlib.sha256(), 0
            with zf.open(name, "w", force_zip64=True) as fh:
                buffer: list[bytes] = []
                for row in source.rows(table):
                    line = (json.dumps({k: _encode(v) for k, v in row.items()}, ensure_ascii=False,
                                       separators=(",", ":")) + "\n").encode("utf-8")
                    buffer.append(line)
                    rows += 1
                    if len(buffer) >= INSERT_CHUNK:
                        data = b"".join(buffer)
                        digest.update(data)
                        fh.write(data)
                        buffer.clear()
                data = b"".join(buffer)
                digest.update(data)
                fh.write(data)
            entries[table.name] = {"file": name, "rows": rows, "sha256": digest.hexdigest()}
            counts[table.name] = rows
        manifest = {"format": ARCHIVE_FORMAT, "format_version": ARCHIVE_VERSION,
                    "schema_revision": revision, "created_at": datetime.now().isoformat(timespec="seconds"),
                    "tables": entries}
        zf.writestr(MANIFEST, json.dumps(manifest, ensure_ascii=False, indent=1))
    return counts


def backup(db: Database, out_path: str | os.PathLike) -> BackupResult:
    """Back up the open database to ``out_path`` (.zip: portable archive; else SQLite copy).

    Written to a temporary file first and renamed, so an interrupted backup never
    leaves a half file under the requested name.
    """
    out = Path(out_path).expanduser().absolute()
    db_file = sqlite_path(db.url)
    archive = out.suffix.lower() == ".zip"
    if not archive and db_file is None:
        raise BadInput(tr("PostgreSQL 数据库只能备份为可移植的 .zip 归档。",
                          "A PostgreSQL database can only be backed up to a portable .zip archive."))
    if db_file is not None and out.resolve() == db_file.resolve():
        raise BadInput(tr("备份文件不能是数据库本身。", "The backup cannot be the database file itself."))
    if not out.parent.is_dir():
        raise BadInput(tr("备份目录不存在：{p}", "The backup folder does not exist: {p}", p=out.parent))
    revision = current_revision(db.engine)
    tmp = out.with_name(f".{out.name}.{_stamp()}.partial")
    try:
        if archive:
            with _snapshot(db) as source, _private_files():
                counts = _write_archive(source, revision, tmp)
        else:
            _sqlite_copy(db_file, tmp)
            counts = {}
        os.chmod(tmp, 0o600)
        os.replace(tmp, out)
    except OSError as exc:
        raise _os_error(exc, out) from None
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
    log.info("backup of %s written to %s (%s)", db.location, out, "archive" if archive else "sqlite")
    return BackupResult(str(out), "archive" if archive else "sqlite", revision, counts)


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


def _keep_copy(db: Database, existed: bool) -> str | None:
    """What restore replaces is kept: next to an SQLite file, else in the data folder."""
    path = sqlite_path(db.url)
    if path is not None:
        if not existed:
            return None
        copy = path.with_name(f"{path.stem}.before-restore-{_stamp()}{path.suffix or '.db'}")
        try:
            _sqlite_copy(path, copy)
        except OSError as exc:
            raise _os_error(exc, copy) from None
        return str(copy)
    folder = paths.data_dir() / "backups"
    with _private_files():
        folder.mkdir(parents=True, exist_ok=True)
    name = make_url(db.url).database or "database"
    return backup(db, folder / f"{name}.before-restore-{_stamp()}.zip").path


def _reset_sequences(conn: Connection) -> None:
    """PostgreSQL: rows came with their ids, so move each id sequence past the largest one."""
    for table in _tables():
        column = table.autoincrement_column
        if column is None:
            continue
        conn.execute(text(
            f"SELECT setval(pg_get_serial_sequence('{table.name}', '{column.name}'), "
            f"COALESCE((SELECT MAX({column.name}) FROM {table.name}), 0) + 1, false)"))


def _load(db: Database, source: _Source) -> dict[str, int]:
    """Replace every row of the target with the source's, in one transaction."""
    from hospital_app.services import audit

    counts: dict[str, int] = {}
    with db.engine.connect() as conn, conn.begin():
        for table in reversed(_tables()):
            conn.execute(table.delete())
        for table in _tables():
            chunk: list[dict] = []
            n = 0
            for row in source.rows(table):
                chunk.append(row)
                n += 1
                if len(chunk) >= INSERT_CHUNK:
                    conn.execute(table.insert(), chunk)
                    chunk = []
            if chunk:
                conn.execute(table.insert(), chunk)
            counts[table.name] = n
        if conn.dialect.name == "postgresql":
            _reset_sequences(conn)
        with Session(bind=conn) as s:
            audit.record(s, None, "database.restore", "database", None, None,
                         {"rows": sum(counts.values())})
            s.flush()
    return counts


def restore(db_location: str, file: str | os.PathLike) -> RestoreResult:
    """Replace the database at ``db_location`` (path or URL) with a backup.

    The whole source is verified first; the current content is kept as a copy; the
    load is one transaction, so the target ends with either the old or the new data.
    """
    source_path = Path(file).expanduser().absolute()
    url = to_url(db_location)
    target_file = sqlite_path(url)
    if target_file is not None and target_file.exists() and source_path.exists() \
            and source_path.resolve() == target_file.resolve():
        raise BadInput(tr("不能用数据库文件自身来恢复。", "Cannot restore a database from itself."))
    existed = target_file.exists() if target_file is not None else True
    with _open_source(source_path) as source:
        head = head_revision()
        if source.revision != head:
            raise BadInput(tr("备份的数据库结构版本（{a}）与本程序（{b}）不一致，请使用相同版本的程序恢复。",
                              "The backup's schema revision ({a}) differs from this app's ({b}); restore it "
                              "with the matching app version.", a=source.revision, b=head), file=str(source_path))
        db = open_database(url)
        try:
            kept = _keep_copy(db, existed)
            try:
                counts = _load(db, source)
            except OSError as exc:
                raise _os_error(exc, db.location) from None
            optimize(db)  # fresh planner statistics for the loaded tables (issue 12)
            location = db.location
        finally:
            db.dispose()
    log.info("restored %s from %s (kept copy: %s)", location, source_path, kept)
    return RestoreResult(str(source_path), location, kept, head, counts)


# ------------------------------------------------------------------ check


def _sqlite_checks(path: Path, report: CheckReport) -> bool:
    """PRAGMA integrity_check and foreign_key_check. False if the file cannot be read at all."""
    report.checks += ["integrity", "foreign_keys"]
    if not path.exists():
        report.add("missing", tr("数据库文件不存在：{p}", "The database file does not exist: {p}", p=path))
        return False
    try:
        con = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=10)
        try:
            integrity = [r[0] for r in con.execute("PRAGMA integrity_check(20)")]
            fk = con.execute("PRAGMA foreign_key_check").fetchall()
        finally:
            con.close()
    except sqlite3.DatabaseError as exc:
        report.add("corrupt", tr("数据库文件已损坏，无法读取（{e}）。请用最近的备份恢复（restore）。",
                                 "The database file is damaged and cannot be read ({e}). Restore the latest "
                                 "backup (restore).", e=exc))
        return False
    if integrity != ["ok"]:
        report.add("corrupt", tr("数据库文件已损坏（完整性检查失败：{d}）。请用最近的备份恢复（restore）。",
                                 "The database file is damaged (integrity check failed: {d}). Restore the "
                                 "latest backup (restore).", d="; ".join(integrity[:3])))
        return False
    if fk:
        tables = sorted({r[0] for r in fk})
        report.add("foreign_keys", tr("有 {n} 条记录引用了不存在的数据（表：{t}）。",
                                      "{n} rows refer to missing data (tables: {t}).",
                                      n=len(fk), t=", ".join(tables)))
    return True


def _ids(session: Session, query) -> list:
    return list(session.scalars(query.limit(10)))


def _invariants(session: Session, report: CheckReport) -> None:
    """The app's own rules about stored data (R6/R7 periods, purchases)."""
    report.checks += ["invariants", "audit_chain"]
    bad = _ids(session, select(AgreementPeriod.id).where(AgreementPeriod.end < AgreementPeriod.start))
    if bad:
        report.add("period_dates", tr("协议期结束日早于开始日（R6），协议期编号：{ids}",
                                      "Agreement periods end before they start (R6), ids: {ids}", ids=bad))
    bad = _ids(session, select(AgreementPeriod.id).where(AgreementPeriod.agreed_volume < 0))
    if bad:
        report.add("agreed_volume", tr("协议量为负数（R7），协议期编号：{ids}",
                                       "Negative agreed volume (R7), period ids: {ids}", ids=bad))
    bad = _ids(session, select(Purchase.id).outerjoin(Product, Purchase.product_id == Product.id)
               .where(Product.id.is_(None)))
    if bad:
        report.add("purchase_product", tr("采购记录引用了不存在的产品，采购编号：{ids}",
                                          "Purchases refer to missing products, ids: {ids}", ids=bad))
    bad = _ids(session, select(Purchase.id).where(Purchase.quantity < 0, Purchase.is_return.is_(False)))
    if bad:
        report.add("negative_purchase", tr("非退货的采购数量为负数，采购编号：{ids}",
                                           "Negative quantity on a purchase that is not a return, ids: {ids}",
                                           ids=bad))
    from hospital_app.services.audit import verify_chain

    broken = verify_chain(session)
    if broken is not None:
        report.add("audit_chain", tr("审计日志从第 {id} 条起被修改或删除过（哈希链断裂）。",
                                     "The audit log was altered or rows were deleted from entry {id} on "
                                     "(hash chain broken).", id=broken))


def check(db: Database) -> CheckReport:
    """Integrity and foreign keys (SQLite), app invariants, audit chain. Never raises on damage."""
    report = CheckReport(db.location, db.backend)
    path = sqlite_path(db.url)
    if path is not None and not _sqlite_checks(path, report):
        return report
    try:
        revision = current_revision(db.engine)
        report.checks.append("schema_revision")
        if revision is None:
            report.add("not_app_database", tr("这不是本程序的数据库（没有结构版本）。",
                                              "This is not a database of this app (no schema revision)."))
            return report
        with db.read_session() as session:
            _invariants(session, report)
    except DatabaseError as exc:
        report.add("unreadable", tr("读取数据库时出错：{e}", "Error while reading the database: {e}",
                                    e=getattr(exc, "orig", exc)))
    return report


# ------------------------------------------------------------------ daily backup


def _daily_target(db: Database, day: date) -> tuple[Path, str]:
    path = sqlite_path(db.url)
    if path is not None:
        return path.parent / "backups", f"{path.stem}-daily-"
    name = make_url(db.url).database or "database"
    return paths.data_dir() / "backups", f"{name}-daily-"


def daily_backup_if_due(db: Database, today: date | None = None) -> Path | None:
    """The rotating daily backup (setting ``backup_daily_keep``; 0 = off).

    At most one per calendar day, kept in ``backups/`` next to an SQLite file (the
    data folder for PostgreSQL); only the newest N are kept. Called at start by the
    GUI and the CLI; a failure is logged and never stops the app.
    """
    from hospital_app import settings

    today = today or date.today()
    try:
        with db.read_session() as s:
            keep = settings.get(s, "backup_daily_keep")
        if not keep:
            return None
        folder, prefix = _daily_target(db, today)
        ext = ".db" if sqlite_path(db.url) is not None else ".zip"
        target = folder / f"{prefix}{today:%Y%m%d}{ext}"
        if target.exists():
            return None
        with _private_files():
            folder.mkdir(parents=True, exist_ok=True)
        backup(db, target)
        olds = sorted(p for p in folder.glob(f"{prefix}*{ext}") if p.name[len(prefix):-len(ext)].isdigit())
        for old in olds[:-keep]:
            old.unlink()
        return target
    except (Refused, BadInput, OSError, SQLAlchemyError) as exc:
        log.warning("daily backup of %s failed: %s", db.location, exc)
        return None


def backup_files(db: Database) -> list[Path]:
    """The daily backups that exist now, newest first (for the settings page)."""
    folder, prefix = _daily_target(db, date.today())
    return sorted(folder.glob(f"{prefix}*"), reverse=True) if folder.is_dir() else []
