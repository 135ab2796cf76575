"""Backup, restore, check and the daily backup (issue 11).

Faults are real: a second connection holding a write transaction, a file with
overwritten pages, hand-made malicious archives.
"""

from __future__ import annotations

import json
import os
import sqlite3
import stat
import zipfile
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import select, text

from db.models import AgreementPeriod, Batch, Product, Purchase
from db.session import open_database
from hospital_app.errors import BadInput
from hospital_app.services import audit, backup as bk


def _fill(db, purchases: int = 3) -> None:
    """R7 worked example: agreed 12 000 片 for 2024-09-20 … 2025-09-19, some purchases."""
    with db.session() as s:
        b = Batch(name="第十批国家集采", execution_start=date(2024, 9, 20),
                  policy_overrides={"r9_share_threshold": "0.25"})
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


def _snapshot(db) -> dict:
    with db.session() as s:
        return {
            "products": [(p.generic_name, p.selected_price, p.batch.policy_overrides)
                         for p in s.scalars(select(Product))],
            "periods": [(a.start, a.end, a.agreed_volume) for a in s.scalars(select(AgreementPeriod))],
            "purchases": sorted((p.dedup_key, p.quantity, p.amount) for p in s.scalars(select(Purchase))),
        }


def test_archive_round_trip_keeps_every_value_and_a_copy_of_the_replaced_data(db, tmp_path):
    """GIVEN a database with money, dates and JSON WHEN archived and restored over another database
    THEN the values are equal (Decimal exact), the audit chain verifies and the old file is kept."""
    _fill(db)
    archive = bk.backup(db, tmp_path / "monthly.zip")
    assert archive.tables["purchase"] == 3
    other = tmp_path / "other.db"
    other_db = open_database(str(other))
    with other_db.session() as s:
        s.add(Product(generic_name="旧数据", generic_name_norm="旧数据"))
    other_db.dispose()

    result = bk.restore(str(other), archive.path)

    restored = open_database(str(other))
    try:
        assert _snapshot(restored) == _snapshot(db)
        assert bk.check(restored).ok
    finally:
        restored.dispose()
    kept = open_database(result.kept_copy, migrate=False)
    try:
        with kept.session() as s:
            assert [p.generic_name for p in s.scalars(select(Product))] == ["旧数据"]
    finally:
        kept.dispose()


def test_sqlite_backup_is_consistent_while_another_program_writes(db, db_path, tmp_path):
    """GIVEN another connection in the middle of a write transaction WHEN backing up
    THEN the copy has the committed data only and passes the integrity check."""
    _fill(db)
    writer = sqlite3.connect(str(db_path))
    writer.execute("BEGIN IMMEDIATE")
    writer.execute("DELETE FROM purchase")
    try:
        result = bk.backup(db, tmp_path / "copy.db")
    finally:
        writer.rollback()
        writer.close()
    con = sqlite3.connect(result.path)
    try:
        assert con.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert con.execute("SELECT COUNT(*) FROM purchase").fetchone() == (3,)
    finally:
        con.close()
    assert stat.S_IMODE(os.stat(result.path).st_mode) == 0o600


def test_restore_from_a_sqlite_copy(db, tmp_path):
    """GIVEN a .db backup WHEN restored into a new file THEN the data is there."""
    _fill(db)
    copy = bk.backup(db, tmp_path / "copy.db")
    bk.restore(str(tmp_path / "new.db"), copy.path)
    new = open_database(str(tmp_path / "new.db"))
    try:
        assert _snapshot(new) == _snapshot(db)
    finally:
        new.dispose()


def _evil_archive(tmp_path: Path, db, tamper) -> Path:
    good = Path(bk.backup(db, tmp_path / "good.zip").path)
    with zipfile.ZipFile(good) as zf:
        members = {n: zf.read(n) for n in zf.namelist()}
    manifest = json.loads(members.pop(bk.MANIFEST))
    tamper(manifest, members)
    evil = tmp_path / "evil.zip"
    with zipfile.ZipFile(evil, "w") as zf:
        zf.writestr(bk.MANIFEST, json.dumps(manifest))
        for name, data in members.items():
            zf.writestr(name, data)
    return evil


def _slip(manifest, members):
    members["../../escaped.jsonl"] = b""


def _extra(manifest, members):
    members["tables/run_me.py"] = b"import os\n"


def _changed_row(manifest, members):
    members["tables/purchase.jsonl"] = members["tables/purchase.jsonl"].replace(b'"quantity":100', b'"quantity":999')


def _unknown_table(manifest, members):
    members["tables/secrets.jsonl"] = b""
    manifest["tables"]["secrets"] = {"file": "tables/secrets.jsonl", "rows": 0, "sha256": ""}


def _slip_in_manifest(manifest, members):
    members["../product.jsonl"] = members.pop("tables/product.jsonl")
    manifest["tables"]["product"]["file"] = "../product.jsonl"


def _other_revision(manifest, members):
    manifest["schema_revision"] = "9999"


@pytest.mark.parametrize("tamper, words", [
    (_slip, "不允许的路径"),
    (_slip_in_manifest, "不允许的路径"),
    (_extra, "意外的文件"),
    (_changed_row, "校验和"),
    (_unknown_table, "未知的表"),
    (_other_revision, "结构版本"),
])
def test_restore_refuses_a_malicious_or_altered_archive(db, tmp_path, tamper, words):
    """GIVEN an archive with a path outside its target, extra or altered content
    WHEN restoring THEN BadInput (exit 3), the target is untouched and nothing is written outside."""
    _fill(db)
    evil = _evil_archive(tmp_path, db, tamper)
    before = _snapshot(db)
    with pytest.raises(BadInput) as exc:
        bk.restore(db.url, evil)
    assert words in exc.value.message
    assert _snapshot(db) == before
    assert not (tmp_path.parent / "escaped.jsonl").exists()
    assert not list(tmp_path.glob("*.before-restore-*"))


def test_restore_refuses_a_file_that_is_not_a_backup(db, tmp_path):
    """GIVEN a spreadsheet-like file WHEN restored THEN a clear BadInput."""
    bogus = tmp_path / "采购.xlsx.db"
    bogus.write_bytes(b"not a database at all")
    with pytest.raises(BadInput, match="不是本程序的备份文件"):
        bk.restore(db.url, bogus)


def _corrupt(path: Path) -> None:
    """Overwrite a data page in the middle of the file (as a failing disk would)."""
    size = path.stat().st_size
    page = 4096
    with open(path, "r+b") as fh:
        fh.seek((size // page // 2) * page)
        fh.write(b"\xde\xad\xbe\xef" * (page // 4))


def test_check_finds_a_corrupted_file(db, db_path):
    """GIVEN a database whose pages were overwritten WHEN checked THEN 'corrupt' with a Chinese hint."""
    _fill(db, purchases=3000)
    db.dispose()
    con = sqlite3.connect(str(db_path))
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    con.close()
    _corrupt(db_path)
    damaged = open_database(str(db_path), migrate=False)
    try:
        report = bk.check(damaged)
    finally:
        damaged.dispose()
    assert not report.ok
    assert report.problems[0].code == "corrupt"
    assert "已损坏" in report.problems[0].message


def test_check_reports_broken_invariants(db):
    """GIVEN a period ending before it starts (R6) and a negative agreed volume (R7), written with SQL
    WHEN checked THEN both are reported with their ids."""
    _fill(db)
    with db.engine.begin() as conn:
        conn.execute(text("UPDATE agreement_period SET \"end\" = '2024-01-01', agreed_volume = -5"))
    report = bk.check(db)
    assert {p.code for p in report.problems} == {"period_dates", "agreed_volume"}


def test_daily_backup_once_a_day_and_keeps_the_newest(db, db_path):
    """GIVEN backup_daily_keep = 2 WHEN the app starts on four days (twice on the last)
    THEN one backup per day, only the two newest remain, each readable by its owner only."""
    from hospital_app import settings

    with db.session() as s:
        settings.set_value(s, "backup_daily_keep", 2, who="admin")
    made = [bk.daily_backup_if_due(db, date(2025, 3, d)) for d in (1, 2, 3, 4, 4)]
    assert [p is not None for p in made] == [True, True, True, True, False]
    left = sorted(p.name for p in (db_path.parent / "backups").iterdir())
    assert left == ["hospital-daily-20250303.db", "hospital-daily-20250304.db"]
    assert all(stat.S_IMODE(p.stat().st_mode) == 0o600 for p in (db_path.parent / "backups").iterdir())


def test_daily_backup_off_when_keep_is_zero(db, db_path):
    """GIVEN backup_daily_keep = 0 WHEN the app starts THEN no backup."""
    from hospital_app import settings

    with db.session() as s:
        settings.set_value(s, "backup_daily_keep", 0, who="admin")
    assert bk.daily_backup_if_due(db, date(2025, 3, 1)) is None
    assert not (db_path.parent / "backups").exists()


def test_new_database_file_is_readable_by_its_owner_only(db, db_path):
    """GIVEN a new database WHEN created THEN mode 0600 (hospital data)."""
    assert stat.S_IMODE(db_path.stat().st_mode) == 0o600


@pytest.mark.parametrize("suffix", [".zip", ".db"])
def test_orders_round_trip_with_their_derived_summaries_consistent(db, tmp_path, suffix):
    """GIVEN order A of two lines of 10.00 (placed 2025-01-01 09:00, responded 24 h later,
    accepted 2025-01-05), its first line paid 10.00 on 2025-01-09 (R4/R5; issues 17, 21)
    WHEN backed up (archive or SQLite copy) and restored into a new database THEN the lines
    come back with A#1 settled on 2025-01-09 and A#2 not, both responses computed again as
    86 400 000 000 µs, and one order number having several lines."""
    from datetime import datetime

    from db.models import Company, Order, OrderShape, Payment

    with db.session() as s:
        c = Company(name="国药控股", is_distributor=True)
        s.add(c)
        s.flush()
        for n in (1, 2):
            s.add(Order(dedup_key=f"A#{n}", order_no="A", line_no=n, company_id=c.id, amount=Decimal("10.00"),
                        placed_at=datetime(2025, 1, 1, 9), responded_at=datetime(2025, 1, 2, 9),
                        accepted_on=date(2025, 1, 5)))
        s.flush()
        first = s.scalar(select(Order.id).where(Order.dedup_key == "A#1"))
        s.add(Payment(order_id=first, amount=Decimal("10.00"), paid_on=date(2025, 1, 9)))
    made = bk.backup(db, tmp_path / f"orders{suffix}")
    bk.restore(str(tmp_path / "restored.db"), made.path)
    restored = open_database(str(tmp_path / "restored.db"))
    try:
        with restored.session() as s:
            rows = s.execute(select(Order.dedup_key, Order.settled_on, Order.response_us)
                             .order_by(Order.dedup_key)).all()
            assert [tuple(r) for r in rows] == [("A#1", date(2025, 1, 9), 86_400_000_000),
                                                ("A#2", None, 86_400_000_000)]
            assert s.scalar(select(OrderShape.repeated)) == 1
    finally:
        restored.dispose()
