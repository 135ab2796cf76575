"""Issue 23 §1, §2, §3, §11 (restore), §13: full disks, damaged files, bricked files,
hostile archives, older backups. Each test reproduced the fault before the fix.

Faults are real: SQLite's own "database or disk is full" (max_page_count) and
ENOSPC from file writes (tests/reliability/faults.py), overwritten pages, archives
written by hand, a database built by the released revision 0001's migration.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import zipfile
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy import select

from db.models import AgreementPeriod, Base, Batch, Product, Purchase
from db.session import head_revision, open_database
from hospital_app import settings
from hospital_app.errors import BadInput, Refused
from hospital_app.services import audit, backup as bk, backup_daily
from tests.reliability.faults import corrupt, fill_disk


def _fill(db, purchases: int = 3) -> None:
    """R7 worked example: agreed 12 000 片 for 2024-09-20 … 2025-09-19, some purchases."""
    with db.session() as s:
        b = Batch(name="第十批国家集采", execution_start=date(2024, 9, 20))
        s.add(b)
        s.flush()
        p = Product(batch_id=b.id, generic_name="阿托伐他汀钙片", generic_name_norm="阿托伐他汀钙片",
                    spec="20mg", selected=True, selected_price=Decimal("0.1234"), base_unit="片")
        s.add(p)
        s.flush()
        s.add(AgreementPeriod(product_id=p.id, start=date(2024, 9, 20), end=date(2025, 9, 19),
                              agreed_volume=12000))
        for i in range(purchases):
            s.add(Purchase(product_id=p.id, dedup_key=f"PO{i}#1", purchase_date=date(2025, 1, 2),
                           quantity=100 + i, unit_price=Decimal("0.1234"), amount=Decimal("12.34")))
        audit.record(s, "王药师", "product.add", "product", p.id, None, {"name": p.generic_name})


def _quantities(db) -> list[int]:
    with db.session() as s:
        return sorted(s.scalars(select(Purchase.quantity)))


def _files(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


# ------------------------------------------------------------------ §1 nearly full disk


def test_daily_backup_on_a_full_disk_is_logged_and_leaves_nothing(db, db_path, monkeypatch):
    """GIVEN the backups folder's disk is full WHEN the daily backup is due
    THEN it returns None (the command goes on) and no partial or journal file is left."""
    backups = db_path.parent / "backups"
    backups.mkdir()
    _fill(db)
    fill_disk(backups, monkeypatch)
    assert backup_daily.daily_backup_if_due(db, date(2025, 3, 1)) is None
    assert _files(backups) == []


def test_read_only_command_exits_0_when_the_daily_backup_hits_a_full_disk(db_path, run_cli, monkeypatch):
    """GIVEN a database whose backups folder is on a full disk WHEN `progress` runs (daily backup due)
    THEN exit 0 — a failed daily backup never fails a command."""
    assert run_cli("--db", str(db_path), "init").code == 0
    backups = db_path.parent / "backups"
    for p in backups.glob("*"):
        p.unlink()
    fill_disk(backups, monkeypatch)
    result = run_cli("--db", str(db_path), "--as-of", "2025-06-30", "progress", "--json")
    assert result.code == 0, result
    assert _files(backups) == []


@pytest.mark.parametrize("name", ["copy.db", "archive.zip"])
def test_backup_out_to_a_full_disk_exits_4_and_leaves_no_partial(db, db_path, tmp_path, run_cli, monkeypatch,
                                                                  name):
    """GIVEN another disk that is full WHEN `backup --out` (SQLite copy or archive)
    THEN exit 4 'disk is full' and that disk holds no file at all (no .partial, no journal)."""
    _fill(db, purchases=400)
    other = tmp_path / "other-disk"
    other.mkdir()
    fill_disk(other, monkeypatch)
    result = run_cli("--db", str(db_path), "backup", "--out", str(other / name))
    assert result.code == 4, result
    assert "磁盘空间不足" in result.err and "Traceback" not in result.err
    assert _files(other) == []


def test_restore_on_a_full_disk_leaves_no_empty_kept_copy_and_the_data(db, db_path, tmp_path, monkeypatch):
    """GIVEN a backup and a database on a disk that then fills up WHEN restore
    THEN refused (exit 4), no 0-byte 'kept copy' is left and the data are unchanged."""
    _fill(db, purchases=3)
    archive = bk.backup(db, tmp_path / "b.zip").path
    with db.session() as s:
        s.add(Purchase(product_id=1, dedup_key="NEW#1", purchase_date=date(2025, 2, 1), quantity=7,
                       unit_price=Decimal("0.1234"), amount=Decimal("0.86")))
    db.dispose()
    before = sorted(p.name for p in db_path.parent.iterdir())
    fill_disk(db_path.parent, monkeypatch)
    with pytest.raises(Refused, match="磁盘空间不足"):
        bk.restore(str(db_path), archive)
    monkeypatch.undo()
    assert sorted(p.name for p in db_path.parent.iterdir()) == before
    again = open_database(str(db_path))
    try:
        assert _quantities(again) == [7, 100, 101, 102]
    finally:
        again.dispose()


# ------------------------------------------------------------------ §2 damaged database, daily backups


def _keep(db, n: int) -> None:
    with db.session() as s:
        settings.set_value(s, "backup_daily_keep", n, who="admin")


def test_damaged_database_is_refused_and_the_good_daily_backups_are_kept(db, db_path):
    """GIVEN two good daily backups (keep 2) and then one damaged page
    WHEN the daily backup is due on the next days THEN DamagedDatabase (exit 3) naming the newest
    good backup, and both good backups are still there, unchanged."""
    _fill(db, purchases=3000)
    _keep(db, 2)
    backup_daily.daily_backup_if_due(db, date(2025, 3, 1))
    backup_daily.daily_backup_if_due(db, date(2025, 3, 2))
    backups = db_path.parent / "backups"
    digests = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in backups.iterdir()}
    db.dispose()
    corrupt(db_path)
    for day in (3, 4, 5):
        with pytest.raises(backup_daily.DamagedDatabase) as exc:
            backup_daily.daily_backup_if_due(db, date(2025, 3, day))
        assert exc.value.exit_code == 3
        assert "hospital-daily-20250302.db" in exc.value.message
    assert {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in backups.iterdir()} == digests
    assert backup_daily.quick_check(backups / "hospital-daily-20250302.db") == []


def test_damaged_database_makes_a_read_command_exit_3_with_the_backup_name(db_path, run_cli):
    """GIVEN a database with a damaged page and a good daily backup from yesterday
    WHEN `progress` starts THEN exit 3 and the message names the good backup."""
    assert run_cli("--db", str(db_path), "--as-of", "2025-06-30", "demo", "--seed", "1",
                   "--products", "20", "--months", "12").code == 0
    backups = db_path.parent / "backups"
    for p in backups.glob("*"):
        p.rename(backups / "hospital-daily-20000101.db")
    corrupt(db_path)
    result = run_cli("--db", str(db_path), "--as-of", "2025-06-30", "progress")
    assert result.code == 3, result
    assert "hospital-daily-20000101.db" in result.err and "Traceback" not in result.err


def test_a_damaged_copy_never_replaces_a_good_backup(db, db_path, monkeypatch):
    """GIVEN one good daily backup (keep 1) WHEN the next day's copy fails its check
    THEN the good backup stays and no other file appears."""
    _fill(db)
    _keep(db, 1)
    assert backup_daily.daily_backup_if_due(db, date(2025, 3, 1)) is not None
    real = backup_daily.quick_check
    monkeypatch.setattr(backup_daily, "quick_check",
                        lambda p: ["page 3: btreeInitPage() returns error code 11"] if ".checking" in p.name
                        else real(p))
    assert backup_daily.daily_backup_if_due(db, date(2025, 3, 2)) is None
    assert _files(db_path.parent / "backups") == ["hospital-daily-20250301.db"]


# ------------------------------------------------------------------ §3 bricked by a crash during the first init


@pytest.mark.parametrize("version_table", [False, True])
def test_init_recovers_a_file_left_without_schema_revision_by_a_crash(tmp_path, run_cli, version_table):
    """GIVEN a file with every app table but no (or an empty) alembic_version and no rows — what
    kill -9 during the old first `init` left WHEN `init` THEN it is built again at head (exit 0)."""
    path = tmp_path / "bricked.db"
    engine = sa.create_engine(f"sqlite:///{path}")
    Base.metadata.create_all(engine)
    if version_table:
        with engine.begin() as conn:
            conn.exec_driver_sql("CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL)")
    engine.dispose()
    result = run_cli("--db", str(path), "init", "--json")
    assert result.code == 0, result
    assert result.json()["revision"] == head_revision()


def test_a_file_with_rows_but_no_revision_is_still_refused(tmp_path, run_cli):
    """GIVEN app tables without a revision but with a row (someone's data) WHEN init
    THEN refused (exit 4) and the row is still there."""
    path = tmp_path / "foreign.db"
    engine = sa.create_engine(f"sqlite:///{path}")
    Base.metadata.create_all(engine)
    with engine.begin() as conn:
        conn.exec_driver_sql("INSERT INTO company (id, name, is_manufacturer, is_distributor, version) VALUES (1, '某公司', 1, 0, 1)")
    engine.dispose()
    result = run_cli("--db", str(path), "init")
    assert result.code == 4, result
    con = sqlite3.connect(str(path))
    assert con.execute("SELECT name FROM company").fetchall() == [("某公司",)]
    con.close()


# ------------------------------------------------------------------ §11 hostile archives → exit 3


def _archive_with(tmp_path: Path, db, change) -> Path:
    good = Path(bk.backup(db, tmp_path / "good.zip").path)
    with zipfile.ZipFile(good) as zf:
        members = {n: zf.read(n) for n in zf.namelist()}
    manifest = json.loads(members.pop(bk.MANIFEST))
    rows = [json.loads(line) for line in members["tables/purchase.jsonl"].splitlines()]
    change(rows)
    data = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows).encode()
    members["tables/purchase.jsonl"] = data
    manifest["tables"]["purchase"].update(rows=len(rows), sha256=hashlib.sha256(data).hexdigest())
    out = tmp_path / "hostile.zip"
    with zipfile.ZipFile(out, "w") as zf:
        zf.writestr(bk.MANIFEST, json.dumps(manifest))
        for name, blob in members.items():
            zf.writestr(name, blob)
    return out


def _missing_product(rows):
    rows[0]["product_id"] = 999


def _duplicate_id(rows):
    rows[1]["id"] = rows[0]["id"]


def _huge_integer(rows):
    rows[0]["quantity"] = 10**30


@pytest.mark.parametrize("change", [_missing_product, _duplicate_id, _huge_integer])
def test_restore_of_an_archive_breaking_the_schema_exits_3_and_changes_nothing(db, db_path, tmp_path, run_cli,
                                                                              change):
    """GIVEN a consistent archive (checksums recomputed) with a foreign-key violation, a duplicate id
    or a 10^30 quantity WHEN `restore` THEN exit 3 (bad input), the database is unchanged."""
    _fill(db)
    hostile = _archive_with(tmp_path, db, change)
    with db.session() as s:
        s.add(Purchase(product_id=1, dedup_key="NEW#1", purchase_date=date(2025, 2, 1), quantity=7,
                       unit_price=Decimal("0.1234"), amount=Decimal("0.86")))
    result = run_cli("--db", str(db_path), "restore", str(hostile))
    assert result.code == 3, result
    assert "Traceback" not in result.err
    assert _quantities(db) == [7, 100, 101, 102]


# ------------------------------------------------------------------ §13 older backups, names, rotation


def _build_0001(path: Path) -> None:
    """A database made by the released revision 0001 with one product and two purchases."""
    from alembic import command

    from db.session import alembic_config

    engine = sa.create_engine(f"sqlite:///{path}")
    with engine.begin() as conn:
        command.upgrade(alembic_config(conn), "0001")
        conn.exec_driver_sql("INSERT INTO product (id, generic_name, generic_name_norm, selected, category, "
                             "is_shortage, is_emergency, cheaper_equal_quality, key_monitoring, created_at, "
                             "version, selected_price, suspension_reported_to) VALUES (1, '氨氯地平片', '氨氯地平片', 1, 'selected', 0, "
                             "0, 0, 0, '2025-01-01 00:00:00', 1, 1234, '[]')")
        for i, qty in ((1, 30), (2, 40)):
            conn.exec_driver_sql(
                "INSERT INTO purchase (id, product_id, dedup_key, purchase_date, quantity, unit_price, amount, "
                f"is_return) VALUES ({i}, 1, 'PO{i}#1', '2025-01-0{i}', {qty}, 1234, {qty * 1234 // 100}, 0)")
    engine.dispose()


def _archive_of_0001(db_file: Path, out: Path) -> None:
    """The portable archive the 0001 app wrote: every table of that revision as JSON lines."""
    from hospital_app.services.backup_archive import _encode

    engine = sa.create_engine(f"sqlite:///{db_file}")
    entries = {}
    with zipfile.ZipFile(out, "w") as zf, engine.connect() as conn:
        for table in bk._old_schema_tables(engine):
            data = "".join(json.dumps({k: _encode(v) for k, v in row.items()}, ensure_ascii=False) + "\n"
                           for row in conn.execute(table.select()).mappings()).encode()
            name = f"tables/{table.name}.jsonl"
            zf.writestr(name, data)
            entries[table.name] = {"file": name, "rows": data.count(b"\n"),
                                   "sha256": hashlib.sha256(data).hexdigest()}
        zf.writestr(bk.MANIFEST, json.dumps({"format": bk.ARCHIVE_FORMAT, "format_version": bk.ARCHIVE_VERSION,
                                             "schema_revision": "0001", "tables": entries}))
    engine.dispose()


@pytest.mark.parametrize("kind", ["archive", "sqlite"])
def test_a_backup_from_revision_0001_restores_into_head(tmp_path, run_cli, kind):
    """GIVEN a backup made at the released revision 0001 (archive or SQLite copy)
    WHEN restored by this version THEN it is migrated forward: price 0.1234, quantities 30 and 40,
    the new columns empty, check passes."""
    old = tmp_path / "old.db"
    _build_0001(old)
    source = old
    if kind == "archive":
        source = tmp_path / "old.zip"
        _archive_of_0001(old, source)
    target = tmp_path / "new.db"
    result = run_cli("--db", str(target), "restore", str(source), "--json")
    assert result.code == 0, result
    assert result.json()["migrated_from"] == "0001"
    db = open_database(str(target))
    try:
        with db.session() as s:
            product = s.get(Product, 1)
            assert product.selected_price == Decimal("0.1234") and product.reference_price is None
            assert sorted(s.scalars(select(Purchase.quantity))) == [30, 40]
    finally:
        db.dispose()
    assert run_cli("--db", str(target), "check").code == 0


def test_server_backups_are_named_by_host_port_and_database():
    """GIVEN two servers each with a database 'hospital' WHEN naming their backups
    THEN the names differ and hold no password."""
    a = bk.server_label("postgresql+psycopg://u:secret@10.0.0.1:5432/hospital")
    b = bk.server_label("postgresql+psycopg://u:secret@10.0.0.2:5432/hospital")
    assert a == "10.0.0.1-5432-hospital" and b == "10.0.0.2-5432-hospital"
    assert "secret" not in a + b


def test_before_restore_copies_are_rotated(db, db_path, tmp_path):
    """GIVEN seven restores in a row WHEN looking next to the database
    THEN only the newest five 'before-restore' copies are kept."""
    _fill(db)
    archive = bk.backup(db, tmp_path / "b.zip").path
    db.dispose()
    for _ in range(7):
        bk.restore(str(db_path), archive)
    kept = sorted(db_path.parent.glob("hospital.before-restore-*.db"))
    assert len(kept) == bk.BEFORE_RESTORE_KEEP == 5
