"""The same code on SQLite and on a real PostgreSQL server (issue 11).

``any_db_url`` runs each test on an SQLite file and on a fresh PostgreSQL database
(tests/conftest_pg.py starts the server; in CI a missing server fails loudly).
R7/R8/R9 progress must be identical on both for the same data.
"""

from __future__ import annotations

import pytest

AS_OF = "2025-09-15"
DEMO = ("demo", "--seed", "3", "--products", "6", "--months", "6")


def _ok(result):
    assert result.code == 0, result
    return result


def test_init_creates_the_schema_on_both_backends(run_cli, any_db_url):
    """GIVEN an empty database WHEN init THEN it is at the head revision on either backend."""
    from db.session import head_revision

    doc = _ok(run_cli("--db", any_db_url, "init", "--json")).json()
    assert doc["revision"] == head_revision()
    assert doc["backend"] == ("postgresql" if any_db_url.startswith("postgresql") else "sqlite")


@pytest.mark.postgres
def test_same_demo_gives_the_same_progress_on_sqlite_and_postgresql(run_cli, tmp_path, pg_url):
    """GIVEN the same demo data (seed 3) in SQLite and PostgreSQL
    WHEN progress --json (R7/R8/R9) THEN the documents are identical."""
    sqlite = str(tmp_path / "hospital.db")
    for url in (sqlite, pg_url):
        _ok(run_cli("--db", url, "--as-of", AS_OF, *DEMO))
    on_sqlite = _ok(run_cli("--db", sqlite, "--as-of", AS_OF, "progress", "--json")).json()
    on_pg = _ok(run_cli("--db", pg_url, "--as-of", AS_OF, "progress", "--json")).json()
    assert on_sqlite["rows"], "demo data must give progress rows"
    assert on_pg == on_sqlite


@pytest.mark.postgres
def test_move_from_a_workstation_to_the_shared_server_and_back(run_cli, tmp_path, pg_url, monkeypatch):
    """GIVEN a workstation SQLite file with demo data
    WHEN backed up to a portable archive and restored into PostgreSQL (and back into a new SQLite file)
    THEN progress is unchanged, check passes and new rows get fresh ids on the server."""
    workstation = str(tmp_path / "workstation.db")
    _ok(run_cli("--db", workstation, "--as-of", AS_OF, *DEMO))
    expected = _ok(run_cli("--db", workstation, "--as-of", AS_OF, "progress", "--json")).json()
    archive = tmp_path / "move.zip"
    _ok(run_cli("--db", workstation, "backup", "--out", archive))

    _ok(run_cli("--db", pg_url, "restore", archive))
    assert _ok(run_cli("--db", pg_url, "--as-of", AS_OF, "progress", "--json")).json() == expected
    _ok(run_cli("--db", pg_url, "check"))
    # Sequences were moved past the restored ids: new rows (a user, its audit row) can be written.
    from db.session import open_database
    from hospital_app.services import users

    secret = "S3rver-Passw0rd"
    db = open_database(pg_url)
    try:
        with db.session() as s:
            users.add_user(s, "zhang", secret, "admin")
    finally:
        db.dispose()
    # From now on the server is shared: commands need a log-in.
    assert run_cli("--db", pg_url, "backup", "--out", tmp_path / "refused.zip").code == 4
    monkeypatch.setenv("HOSPITAL_APP_USER", "zhang")
    monkeypatch.setenv("HOSPITAL_APP_PASSWORD", secret)
    back = tmp_path / "back.zip"
    _ok(run_cli("--db", pg_url, "backup", "--out", back))
    again = str(tmp_path / "again.db")
    _ok(run_cli("--db", again, "restore", back))
    assert _ok(run_cli("--db", again, "--as-of", AS_OF, "progress", "--json")).json() == expected
    _ok(run_cli("--db", again, "check"))


@pytest.mark.postgres
def test_reads_beside_on_postgresql_only_while_the_transaction_wrote_nothing(pg_url):
    """GIVEN a PostgreSQL database (issue 21, ``services.beside``) WHEN the session has only read,
    has flushed an uncommitted product, then committed THEN a second connection reads beside
    only when the transaction has no id (nothing written); beside, a job counts what the session
    counts on a second connection, and after the write the job runs on the session itself."""
    import threading

    from sqlalchemy import func, select

    from db.models import Product
    from db.session import open_database
    from hospital_app.services.beside import Beside, can_read_beside

    def count(session):
        return session.scalar(select(func.count()).select_from(Product)), threading.current_thread().name

    db = open_database(pg_url)
    try:
        with db.session() as s:
            assert can_read_beside(s)
            s.scalar(select(func.count()).select_from(Product))
            assert can_read_beside(s)
            with Beside(s) as beside:
                assert beside.parallel
                n, thread = beside.submit(count).result()
            assert n == 0 and thread.startswith("read-beside")
            s.add(Product(generic_name="测试药", generic_name_norm="测试药", spec="1mg"))
            s.flush()
            assert not can_read_beside(s)
            with Beside(s) as beside:
                assert not beside.parallel
                assert beside.submit(count).result() == (1, threading.current_thread().name)
            s.commit()
            assert can_read_beside(s)
    finally:
        db.dispose()
