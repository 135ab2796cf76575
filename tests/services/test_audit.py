"""Audit log (issue 11): who/when/before → after, hash-chained, tamper-evident.

Real tampering: rows are edited and deleted with plain SQL, the way someone with
a database tool would do it, and ``verify_chain`` / ``check`` must notice.
"""

from __future__ import annotations

import threading
import time

from sqlalchemy import select, text

from db.models import AuditLog
from db.session import open_database
from hospital_app.services import audit, purchase_digest
from hospital_app.services.backup import check


def _three_rows(db) -> list[int]:
    with db.session() as s:
        ids = [audit.record(s, "王药师", "issue.reply", "supply_issue", 7,
                            {"status": "open"}, {"status": f"replied-{i}"}).id for i in range(3)]
    return ids


def test_intact_chain_verifies_and_names_who_when_before_after(db):
    """GIVEN three recorded changes WHEN the chain is verified THEN it is intact and complete."""
    _three_rows(db)
    with db.session() as s:
        rows = s.scalars(select(AuditLog).order_by(AuditLog.id)).all()
        assert audit.verify_chain(s) is None
    assert [r.who for r in rows] == ["王药师"] * 3
    assert rows[0].before == {"status": "open"} and rows[2].after == {"status": "replied-2"}
    assert rows[0].prev_hash is None and rows[1].prev_hash == rows[0].hash


def test_edited_row_breaks_the_chain_and_check_reports_it(db):
    """GIVEN an audit row edited with SQL WHEN checked THEN the edited row is named (exit-worthy problem)."""
    ids = _three_rows(db)
    with db.engine.begin() as conn:
        conn.execute(text("UPDATE audit_log SET who = '某人' WHERE id = :i"), {"i": ids[1]})
    with db.session() as s:
        assert audit.verify_chain(s) == ids[1]
    report = check(db)
    assert [p.code for p in report.problems] == ["audit_chain"]
    assert f"第 {ids[1]} 条" in report.problems[0].message


def test_deleted_row_breaks_the_chain(db):
    """GIVEN a middle audit row deleted WHEN verified THEN the next row's link is wrong."""
    ids = _three_rows(db)
    with db.engine.begin() as conn:
        conn.execute(text("DELETE FROM audit_log WHERE id = :i"), {"i": ids[1]})
    with db.session() as s:
        assert audit.verify_chain(s) == ids[2]


def test_who_defaults_to_os_user_and_then_to_the_logged_in_user(db):
    """GIVEN no explicit who WHEN recording THEN single-user mode names the OS user, shared mode the login."""
    audit.set_current_user(None)  # an earlier in-process log-in (tests/test_postgres.py) must not leak in
    try:
        with db.session() as s:
            first = audit.record(s, None, "x", "setting", "k", None, {"v": 1})
            audit.set_current_user("li.yaoshi")
            second = audit.record(s, None, "x", "setting", "k", {"v": 1}, {"v": 2})
        assert first.who == audit.os_user()
        assert second.who == "li.yaoshi"
    finally:
        audit.set_current_user(None)


def test_concurrent_appends_from_two_programs_keep_one_chain(any_db_url):
    """GIVEN two workstations recording at the same moment (SQLite file and PostgreSQL)
    WHEN the second starts while the first is still open THEN the chain does not fork."""
    db_a, db_b = open_database(any_db_url), open_database(any_db_url)
    errors: list[BaseException] = []
    try:
        with db_a.session() as s_a:
            audit.record(s_a, "a", "x", "t", 1, None, None)

            def second():
                try:
                    with db_b.session() as s_b:
                        audit.record(s_b, "b", "x", "t", 2, None, None)
                except BaseException as exc:  # noqa: BLE001 - reported below
                    errors.append(exc)

            worker = threading.Thread(target=second)
            worker.start()
            time.sleep(0.5)  # b is now waiting for a's lock
        worker.join(20)
        assert not errors
        with db_a.session() as s:
            assert [r.who for r in s.scalars(select(AuditLog).order_by(AuditLog.id))] == ["a", "b"]
            assert audit.verify_chain(s) is None
    finally:
        db_a.dispose()
        db_b.dispose()


def test_purchase_digest_is_the_keyed_digest_of_each_rows_text_in_id_order(any_db_url):
    """GIVEN purchase lines with a 4-place unit price, negative and missing amounts, a time with
    microseconds and a return flag WHEN the table is digested in its ordered form (one pass, typed
    formatters: issue 21) THEN the digest is HMAC-SHA256 over each row's values as ``_text`` writes
    them ("59.80", "-5.98", "0.5980", "2025-01-05T08:30:00.000123", "True"), joined by "|", in id
    order — the same value the earlier row-by-row digest gave, so stored digests stay valid; and an
    import run's digest covers its own rows only. On SQLite and PostgreSQL (raw values differ by driver)."""
    database = open_database(any_db_url)
    try:
        with database.session() as session:
            _digest_case(session)
    finally:
        database.dispose()


def _digest_case(session) -> None:
    import hashlib
    import hmac
    from datetime import date, datetime
    from decimal import Decimal

    from db import models as m

    product = m.Product(generic_name="甲片", generic_name_norm="甲片", base_unit="片", selected=True,
                        category="selected")
    session.add(product)
    session.flush()
    run = m.ImportRun(kind="purchases", file_name="a.xlsx", sha256="0" * 64, rows=1, who="t")
    session.add(run)
    session.flush()
    lines = [
        m.Purchase(product_id=product.id, dedup_key="a", purchase_date=date(2025, 1, 5), quantity=100,
                   unit_price=Decimal("0.5980"), amount=Decimal("59.80"),
                   order_time=datetime(2025, 1, 5, 8, 30, 0, 123), import_run_id=run.id),
        m.Purchase(product_id=product.id, dedup_key="b", purchase_date=date(2025, 1, 6), quantity=-10,
                   unit_price=Decimal("0.5980"), amount=Decimal("-5.98"), is_return=True),
        m.Purchase(product_id=product.id, dedup_key="c", purchase_date=date(2025, 2, 1), quantity=7),
    ]
    session.add_all(lines)
    session.flush()
    key = b"k" * 32

    def expected(rows) -> str:
        mac = hmac.new(key, b"purchase", hashlib.sha256)
        for r in rows:
            values = [r.id, r.product_id, r.dedup_key, r.order_no, r.line_no, r.order_time, r.purchase_date,
                      r.quantity, r.unit_price, r.amount, r.distributor_id, r.is_return, r.pack_id,
                      r.source_file, r.source_row, r.import_run_id]
            mac.update(("|".join(audit._text(v) for v in values) + "\n").encode("utf-8"))
        return mac.hexdigest()

    assert [c.name for c in m.Purchase.__table__.columns] == [
        "id", "product_id", "dedup_key", "order_no", "line_no", "order_time", "purchase_date", "quantity",
        "unit_price", "amount", "distributor_id", "is_return", "pack_id", "source_file", "source_row",
        "import_run_id"]
    assert audit._text(lines[1].amount) == "-5.98" and audit._text(lines[0].order_time).endswith(".000123")
    whole, own = purchase_digest.ordered(session, key, run.id)
    assert (whole, own) == (expected(lines), expected(lines[:1]))
