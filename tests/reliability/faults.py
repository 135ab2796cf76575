"""Fault injection shared by the reliability tests (issue 23).

``fill_disk(folder, monkeypatch)``: from then on every write under ``folder`` fails as
on a full disk — SQLite connections to files there get ``max_page_count = 1`` (SQLite
itself then reports SQLITE_FULL, "database or disk is full"), and Python file writes
raise ``OSError(ENOSPC)`` after the first 4 KiB.
"""

from __future__ import annotations

import builtins
import errno
import io
import sqlite3
from pathlib import Path


class _FullFile(io.RawIOBase):
    def __init__(self, inner, budget: int) -> None:
        self.inner, self.budget = inner, budget

    def write(self, data) -> int:
        if len(data) > self.budget:
            raise OSError(errno.ENOSPC, "No space left on device")
        self.budget -= len(data)
        return self.inner.write(data)

    def __getattr__(self, name):
        return getattr(self.inner, name)

    def writable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return self.inner.seekable()

    def tell(self) -> int:
        return self.inner.tell()

    def seek(self, *a) -> int:
        return self.inner.seek(*a)

    def flush(self) -> None:
        if not self.inner.closed:
            self.inner.flush()

    def close(self) -> None:
        if not self.inner.closed:
            self.inner.close()
        super().close()


def fill_disk(folder: Path, monkeypatch) -> None:
    folder = Path(folder).resolve()
    real_connect, real_open = sqlite3.connect, builtins.open

    def inside(target) -> bool:
        try:
            return Path(str(target).removeprefix("file:").split("?")[0]).resolve().is_relative_to(folder)
        except (TypeError, ValueError):
            return False

    def connect(database, *args, **kwargs):
        con = real_connect(database, *args, **kwargs)
        if inside(database):
            con.execute("PRAGMA max_page_count = 1")
        return con

    def open_(file, mode="r", *args, **kwargs):
        handle = real_open(file, mode, *args, **kwargs)
        if isinstance(file, (str, Path)) and inside(file) and any(m in mode for m in "wax+"):
            return _FullFile(handle, 4096)
        return handle

    monkeypatch.setattr(sqlite3, "connect", connect)
    monkeypatch.setattr(builtins, "open", open_)
    monkeypatch.setattr(io, "open", open_)


def corrupt(path: Path) -> None:
    """Overwrite a data page in the middle of the file (as a failing disk would)."""
    con = real_sqlite_connect(path)
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    con.close()
    size = path.stat().st_size
    page = 4096
    with open(path, "r+b") as fh:
        fh.seek((size // page // 2) * page)
        fh.write(b"\xde\xad\xbe\xef" * (page // 4))


real_sqlite_connect = sqlite3.connect
