"""SQLite connections read through a memory map (issue 21, ``db.session._sqlite_pragmas``).

The map changes how pages are read, never what is read: these tests check that every
connection of a writable file database has it, that a read-only file has none, and that a
second engine reading through its map sees what another engine committed, also after the
file has grown well past the size it had when the map was made.
"""

from __future__ import annotations

import os

from sqlalchemy import text

from db.session import MMAP_BYTES, open_database


def _mmap_size(conn) -> int:
    return conn.exec_driver_sql("PRAGMA mmap_size").scalar()


def test_every_connection_of_a_file_database_reads_through_the_map(tmp_path):
    """GIVEN a new file database WHEN two connections are open at once (a session and a second
    one, as ``services.beside`` takes) THEN both report ``mmap_size`` = MMAP_BYTES."""
    db = open_database(str(tmp_path / "h.db"))
    try:
        with db.engine.connect() as first, db.engine.connect() as second:
            assert _mmap_size(first) == MMAP_BYTES
            assert _mmap_size(second) == MMAP_BYTES
    finally:
        db.dispose()


def test_a_read_only_file_is_read_without_a_map(tmp_path, monkeypatch):
    """GIVEN a database file that cannot be written here (read-only medium or share: what
    ``sqlite_read_only`` says; forced, since root ignores permission bits) WHEN its engine
    connects THEN the connection is query-only and has no map (``mmap_size`` 0)."""
    from db import session as session_module

    path = tmp_path / "h.db"
    open_database(str(path)).dispose()
    monkeypatch.setattr(session_module, "sqlite_read_only", lambda p: p == path)
    engine = session_module.make_engine("sqlite:///" + str(path))
    try:
        with engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA query_only").scalar() == 1
            assert _mmap_size(conn) == 0
    finally:
        engine.dispose()


def test_a_reader_sees_what_another_engine_commits_as_the_file_grows(tmp_path):
    """GIVEN two engines on one file (two workstation processes), the reader's map made while
    the file was small WHEN the writer commits 20 000 rows (the file grows by megabytes) in
    four commits THEN after each commit the reader counts every row and the exact sum."""
    path = str(tmp_path / "h.db")
    writer, reader = open_database(path), open_database(path)
    try:
        with writer.engine.begin() as conn:
            conn.exec_driver_sql("CREATE TABLE scratch (id INTEGER PRIMARY KEY, v INTEGER, pad TEXT)")
        size_before = os.path.getsize(path)
        with reader.engine.connect() as r:
            assert r.execute(text("SELECT count(*) FROM scratch")).scalar() == 0
            written = 0
            for part in range(4):
                with writer.engine.begin() as w:
                    w.execute(text("INSERT INTO scratch (v, pad) VALUES (:v, :pad)"),
                              [{"v": written + i, "pad": "x" * 200} for i in range(5000)])
                written += 5000
                r.commit()  # end the reader's snapshot, as each new session does
                n, total = r.execute(text("SELECT count(*), sum(v) FROM scratch")).one()
                assert (n, total) == (written, written * (written - 1) // 2), part
        with writer.engine.connect() as w:
            w.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        assert os.path.getsize(path) > size_before + 4_000_000  # the rows are in the file now
        with reader.engine.connect() as r:
            assert r.execute(text("SELECT count(*), sum(v) FROM scratch")).one() == (20000, 20000 * 19999 // 2)
    finally:
        writer.dispose()
        reader.dispose()
