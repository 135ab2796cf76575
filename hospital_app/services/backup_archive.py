"""The portable backup archive and the row sources that backup and restore read.

``*.zip`` — ``manifest.json`` (format, schema revision, per-table file, row count and
SHA-256) plus one JSON-lines file per table under ``tables/``. Reading verifies the
whole archive first (member names, no links or encryption, compression ratio, sizes,
checksums) and never extracts to disk. Every value is decoded to its column's type
and range-checked (a 10^30 integer is bad input, not a crash — issue 23 §11).
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import re
import sqlite3
import tempfile
import zipfile
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path, PurePosixPath
from typing import Any, Callable, Iterator

from sqlalchemy import (JSON, Boolean, Column, Date, DateTime, Integer, String, Table, Text, create_engine,
                        select)
from sqlalchemy.engine import Connection
from sqlalchemy.exc import SQLAlchemyError

from db.models import Base
from db.session import Database, current_revision, sqlite_path
from db.types import FixedDecimal
from hospital_app.errors import BadInput, Refused
from hospital_app.i18n import tr

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
INT64_MAX = 2**63 - 1
_TABLE_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


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
    """The tables a backup holds, parents before children: all but the derived summaries,
    which the database rebuilds from the lines as they are inserted (db/summaries.py)."""
    return [t for t in Base.metadata.sorted_tables if not t.info.get("derived")]


def stored_columns(table: Table) -> list[Column]:
    """The columns a backup holds: all but those the database computes (generated columns such
    as ``orders.response_us``), which can be neither written nor need to be."""
    return [c for c in table.columns if c.computed is None]


def _sqlite_copy(src: Path, dst: Path, *, source_read_only: bool = False) -> None:
    """Online backup API: a consistent copy even while another program writes.

    The copy is a single self-contained file (rollback-journal mode, no -wal/-shm).
    On any failure (a full disk included) nothing is left at ``dst`` — neither a
    0-byte or half file nor its journal (issue 23 §1); the error is re-raised.
    """
    try:
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
    except BaseException:
        remove_quietly(dst)
        raise


def remove_quietly(path: Path) -> None:
    """Remove a file we were writing and SQLite's side files of it, ignoring what is absent."""
    for p in (path, path.with_name(path.name + "-journal"), path.with_name(path.name + "-wal"),
              path.with_name(path.name + "-shm")):
        with contextlib.suppress(OSError):
            p.unlink()


def storage_error(exc: BaseException, where: Path | str) -> Refused | None:
    """A full disk / read-only medium / missing permission as a clear refusal (exit 4), or None.

    SQLite reports a full disk as ``sqlite3.OperationalError('database or disk is full')``,
    not as an ``OSError`` — both are recognised (issue 23 §1)."""
    if isinstance(exc, OSError):
        return _os_error(exc, where)
    text = str(getattr(exc, "orig", exc)).lower()
    if "disk is full" in text or "disk i/o error" in text:
        return Refused(tr("磁盘空间不足，无法写入：{p}", "The disk is full; cannot write: {p}", p=where))
    if "readonly" in text.replace("-", "").replace(" ", "") or "unable to open" in text:
        return Refused(tr("没有写入权限：{p}", "No permission to write: {p}", p=where))
    return None


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
        limit = Decimal(INT64_MAX) / (Decimal(10) ** t.scale)

        def dec(v):
            if v is None:
                return None
            if not isinstance(v, str) or len(v) > 40:
                raise ValueError(type(v).__name__)
            try:
                value = Decimal(v)
            except InvalidOperation:
                raise ValueError(v) from None
            if not value.is_finite() or abs(value) >= limit:
                raise ValueError(v)
            return value
        return dec
    if isinstance(t, DateTime):
        return typed(str, datetime.fromisoformat)
    if isinstance(t, Date):
        return typed(str, date.fromisoformat)
    if isinstance(t, Boolean):
        return typed(bool)
    if isinstance(t, Integer):
        def in_range(v: int) -> int:
            if not -INT64_MAX - 1 <= v <= INT64_MAX:  # 10^30 fits no database column
                raise ValueError(str(v)[:20] + "…")
            return v
        return typed(int, in_range)
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


def _head() -> str:
    from db.session import head_revision

    return head_revision()


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
        older = manifest.get("schema_revision") != _head()
        for name, entry in tables.items():
            if not (name in known or (older and isinstance(name, str) and _TABLE_NAME.match(name))):
                raise self._bad(tr("包含未知的表：{t}", "unknown table: {t}", t=name))
            if (not isinstance(entry, dict) or entry.get("file") != f"{TABLES_DIR}/{name}.jsonl"
                    or not isinstance(entry.get("rows"), int) or not isinstance(entry.get("sha256"), str)):
                raise self._bad(tr("表 {t} 的清单条目无效", "invalid manifest entry for table {t}", t=name))
        return manifest

    def rows(self, table: Table) -> Iterator[dict]:
        entry = self.entries.get(table.name)
        if entry is None:
            return
        decoders = {c.name: _decoder(c) for c in stored_columns(table)}
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
        query = select(*stored_columns(table))
        result = self.conn.execution_options(yield_per=INSERT_CHUNK).execute(query)
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

