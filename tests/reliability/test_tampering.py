"""Issue 23 §10: `check` finds what is changed outside the app — a purchase quantity, an
issue's reported time, an audit log re-chained with the app's own keyless hash. The key
lives outside the database (owner-only), so whoever edits the file cannot re-sign."""

from __future__ import annotations

import hashlib
import json
import sqlite3
import stat

import pytest

from hospital_app.services import audit_key

AS_OF = "2025-06-30"
DEMO = ("demo", "--seed", "1", "--products", "8", "--months", "6")


@pytest.fixture
def demo_db(db_path, run_cli):
    assert run_cli("--db", str(db_path), "--as-of", AS_OF, *DEMO).code == 0
    assert run_cli("--db", str(db_path), "check").code == 0
    return db_path


def _sql(path, *statements) -> None:
    con = sqlite3.connect(str(path))
    for statement in statements:
        con.execute(statement)
    con.commit()
    con.close()


def test_direct_edit_of_a_purchase_quantity_is_found(demo_db, run_cli):
    """GIVEN demo purchases (their digest recorded) WHEN one quantity is raised by 1 with SQL
    THEN check exits 3 and names the purchase lines."""
    _sql(demo_db, "UPDATE purchase SET quantity = quantity + 1 WHERE id = (SELECT MIN(id) FROM purchase)")
    result = run_cli("--db", str(demo_db), "check")
    assert result.code == 3, result
    assert "采购记录" in result.err and "程序以外" in result.err


def test_direct_edit_of_an_issues_reported_time_is_found(demo_db, run_cli):
    """GIVEN an issue filed through the app (R3 clock starts at its reported time)
    WHEN its reported_at is moved a day later with SQL THEN check exits 3 naming the issue."""
    filed = run_cli("--db", str(demo_db), "--as-of", AS_OF, "issues", "add", "--product", "1", "--type",
                    "shortage", "--reported-at", "2025-06-20T09:00", "--json")
    assert filed.code == 0, filed
    issue = filed.json()["id"]
    assert run_cli("--db", str(demo_db), "check").code == 0
    _sql(demo_db, f"UPDATE supply_issue SET reported_at = '2025-06-21 09:00:00.000000' WHERE id = {issue}")
    result = run_cli("--db", str(demo_db), "check")
    assert result.code == 3, result
    assert f"supply_issue 第 {issue} 条" in result.err


def _legacy(prev, row) -> str:
    """The app's old keyless row hash (what an attacker can recompute without the key)."""
    at, who, action, entity, entity_id, before, after = row
    payload = json.dumps([prev, at.replace(" ", "T"), who, action, entity, entity_id,
                          json.loads(before) if before else None, json.loads(after) if after else None],
                         ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(payload.encode()).hexdigest()


@pytest.mark.parametrize("drop_keys", [False, True])
def test_an_audit_log_rechained_without_the_key_is_found(demo_db, run_cli, drop_keys):
    """GIVEN an attacker who edits an audit row's 'who' and re-chains every row with the keyless
    SHA-256 (optionally also deleting the key list) WHEN check THEN exit 3."""
    con = sqlite3.connect(str(demo_db))
    con.execute("UPDATE audit_log SET who = '别人' WHERE id = 1")
    prev = None
    rows = con.execute("SELECT id, at, who, action, entity, entity_id, before, after FROM audit_log "
                       "ORDER BY id").fetchall()
    for row in rows:
        digest = _legacy(prev, row[1:])
        con.execute("UPDATE audit_log SET prev_hash = ?, hash = ?, row_digest = NULL WHERE id = ?",
                    (prev, digest, row[0]))
        prev = digest
    if drop_keys:
        con.execute("DELETE FROM setting WHERE key = 'audit.keys'")
    con.commit()
    con.close()
    result = run_cli("--db", str(demo_db), "check")
    assert result.code == 3, result
    assert "审计日志" in result.err


def test_the_key_is_outside_the_database_and_owner_only(demo_db):
    """GIVEN a keyed database WHEN looking at the key THEN it is a 0600 file in a 0700 folder
    outside the database, and its bytes appear nowhere in the database file."""
    keys = list(audit_key.key_dir().glob("*.key"))
    assert len(keys) == 1
    assert stat.S_IMODE(keys[0].stat().st_mode) == 0o600
    assert stat.S_IMODE(audit_key.key_dir().stat().st_mode) == 0o700
    assert keys[0].read_bytes() not in demo_db.read_bytes()
    assert keys[0].read_bytes().hex() not in demo_db.read_bytes().decode("latin-1")


def test_a_computer_without_the_key_reports_it_and_starts_a_new_epoch(demo_db, run_cli, monkeypatch, tmp_path):
    """GIVEN the database opened on a computer without its key (another key folder)
    WHEN a change is made and check runs THEN check names the missing key (exit 3), and
    with the key folder back everything verifies again (exit 0)."""
    monkeypatch.setenv(audit_key.KEY_DIR_ENV, str(tmp_path / "other-computer"))
    filed = run_cli("--db", str(demo_db), "--as-of", AS_OF, "issues", "add", "--product", "1", "--type",
                    "shortage", "--reported-at", "2025-06-20T09:00")
    assert filed.code == 0, filed
    con = sqlite3.connect(str(demo_db))
    epochs = json.loads(con.execute("SELECT value FROM setting WHERE key = 'audit.keys'").fetchone()[0])
    con.close()
    assert len(epochs) == 2 and epochs[1]["from"] > epochs[0]["from"]
    result = run_cli("--db", str(demo_db), "check")
    assert result.code == 3 and "审计密钥" in result.err, result
    monkeypatch.delenv(audit_key.KEY_DIR_ENV)
    for key in (tmp_path / "other-computer").glob("*.key"):
        key.rename(audit_key.key_dir() / key.name)
    assert run_cli("--db", str(demo_db), "check").code == 0
