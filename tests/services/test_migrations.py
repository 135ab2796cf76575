"""Migrations (foundation): empty → head; reopen unchanged; failed upgrade restores the backup."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import inspect

import db.session as dbs
from db.models import Base
from hospital_app.errors import MigrationFailed


def _schema(path: Path) -> list[tuple]:
    con = sqlite3.connect(path)
    try:
        return sorted(con.execute("select type, name, sql from sqlite_master where name not like 'sqlite_%'"))
    finally:
        con.close()


def test_new_database_is_created_at_head_with_every_table(tmp_path):
    """GIVEN no file WHEN opened THEN it is at the head revision and has every model table."""
    path = tmp_path / "new.db"
    database = dbs.open_database(str(path))
    try:
        assert dbs.current_revision(database.engine) == dbs.head_revision()
        tables = set(inspect(database.engine).get_table_names())
        assert set(Base.metadata.tables) <= tables
    finally:
        database.dispose()


def test_migrated_schema_matches_the_models(tmp_path):
    """GIVEN a database built by the migrations WHEN compared with the models THEN nothing differs."""
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    database = dbs.open_database(str(tmp_path / "cmp.db"))
    try:
        with database.engine.connect() as conn:
            ctx = MigrationContext.configure(conn, opts={"compare_type": False})
            diff = compare_metadata(ctx, Base.metadata)
        assert diff == []
    finally:
        database.dispose()


def test_database_is_private_wal_and_enforces_foreign_keys(tmp_path):
    path = tmp_path / "p.db"
    database = dbs.open_database(str(path))
    try:
        with database.engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == dbs.BUSY_TIMEOUT_MS
    finally:
        database.dispose()
    assert path.stat().st_mode & 0o077 == 0


def test_reopening_a_head_database_changes_nothing_and_takes_no_backup(tmp_path):
    path = tmp_path / "h.db"
    dbs.open_database(str(path)).dispose()
    before = _schema(path)
    dbs.open_database(str(path)).dispose()
    assert _schema(path) == before
    assert list(tmp_path.glob("*pre-migration*")) == []


def _scripts_with_extra_revision(tmp_path: Path, body: str) -> Path:
    """A copy of the shipped migrations plus one more revision on top."""
    scripts = tmp_path / "migrations"
    shutil.copytree(dbs.MIGRATIONS_DIR, scripts, ignore=shutil.ignore_patterns("__pycache__"))
    head = dbs.head_revision()
    (scripts / "versions" / "9999_test.py").write_text(
        f'revision = "9999"\ndown_revision = "{head}"\nbranch_labels = None\ndepends_on = None\n'
        "from alembic import op\nimport sqlalchemy as sa\n\n"
        f"def upgrade():\n{body}\n\ndef downgrade():\n    pass\n", encoding="utf-8")
    return scripts


def test_older_database_is_backed_up_then_upgraded(tmp_path, monkeypatch):
    """GIVEN a database at the old head WHEN a newer revision ships THEN a backup is taken, then upgraded."""
    path = tmp_path / "old.db"
    dbs.open_database(str(path)).dispose()
    old_head = dbs.head_revision()
    scripts = _scripts_with_extra_revision(
        tmp_path, '    op.add_column("setting", sa.Column("extra_test", sa.Integer(), nullable=True))')
    monkeypatch.setattr(dbs, "MIGRATIONS_DIR", scripts)
    database = dbs.open_database(str(path))
    try:
        assert dbs.current_revision(database.engine) == "9999"
    finally:
        database.dispose()
    backups = list(tmp_path.glob("old.pre-migration-*.db"))
    assert len(backups) == 1
    con = sqlite3.connect(backups[0])
    assert con.execute("select version_num from alembic_version").fetchone()[0] == old_head
    con.close()


def test_failed_upgrade_restores_the_backup_and_refuses(tmp_path, monkeypatch, run_cli):
    """GIVEN an upgrade that fails half-way WHEN the database is opened THEN the backup is restored, exit 4."""
    path = tmp_path / "old.db"
    database = dbs.open_database(str(path))
    with database.session() as s:
        from hospital_app import settings

        settings.set_value(s, "hospital.name", "测试医院", who="t")
    database.dispose()
    before = _schema(path)
    scripts = _scripts_with_extra_revision(
        tmp_path,
        '    op.add_column("setting", sa.Column("half_done", sa.Integer(), nullable=True))\n'
        '    raise RuntimeError("boom in the middle of an upgrade")')
    monkeypatch.setattr(dbs, "MIGRATIONS_DIR", scripts)
    with pytest.raises(MigrationFailed):
        dbs.open_database(str(path))
    assert _schema(path) == before
    result = run_cli("--db", path, "init")
    assert result.code == 4
    assert "备份" in result.err
    con = sqlite3.connect(path)
    assert con.execute("select value from setting where key='hospital.name'").fetchone()[0] == '"测试医院"'
    con.close()


def test_foreign_sqlite_file_is_refused_not_touched(tmp_path):
    path = tmp_path / "other.db"
    con = sqlite3.connect(path)
    con.execute("create table patients (id integer primary key)")
    con.commit()
    con.close()
    with pytest.raises(MigrationFailed):
        dbs.open_database(str(path))
    assert _schema(path) == [("table", "patients", "CREATE TABLE patients (id integer primary key)")]


def test_damaged_file_is_refused_with_a_clear_message(tmp_path, cli_subprocess):
    """GIVEN a file that is not SQLite WHEN any command opens it THEN exit 3 (damaged data is bad input, issue 23 §2), a clear message, file untouched."""
    path = tmp_path / "damaged.db"
    path.write_bytes(b"this is not a database" * 300)
    before = path.read_bytes()
    result = cli_subprocess("--db", path, "progress", "--json")
    assert result.code == 3, result
    assert "不是有效的数据库" in result.err and "Traceback" not in result.err
    assert path.read_bytes() == before


def test_head_read_from_revision_files_agrees_with_alembic():
    """The fast head check (no Alembic import when already at head) names Alembic's head."""
    from alembic.script import ScriptDirectory

    assert dbs.head_revision() == ScriptDirectory.from_config(dbs.alembic_config()).get_current_head()


def test_opening_a_head_database_does_not_import_alembic(tmp_path):
    import subprocess
    import sys

    path = tmp_path / "fast.db"
    dbs.open_database(str(path)).dispose()
    code = ("import sys, db.session as s; s.open_database(sys.argv[1]).dispose(); "
            "print(any(m == 'alembic' or m.startswith('alembic.') for m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True, text=True,
                         cwd=Path(__file__).resolve().parents[2])
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "False"
