"""`progress`, `alerts` and the management commands through the CLI (CLI.md)."""

from __future__ import annotations

import re
from datetime import date

from tests.services import monitoring_data as md


def _example(db):
    with db.session() as s:
        _, p = md.worked_example(s)
        md.buy(s, p, date(2024, 10, 15), 2500)
        md.buy(s, p, date(2025, 1, 15), 2500)
        md.buy(s, p, date(2025, 4, 15), 999)  # after as-of: never counted
        pid = p.id
    return pid


def test_progress_json_is_the_worked_example(db, db_path, run_cli):
    """GIVEN the R7 example with 5 000 bought WHEN `progress --json --as-of 2025-03-31`
    THEN the row of CLI.md: 6 367 / 5 000 / 1 367, 0.4167 vs 0.5306."""
    pid = _example(db)
    r = run_cli("--db", db_path, "--as-of", "2025-03-31", "progress", "--json")
    assert r.code == 0, r
    doc = r.json()
    assert doc["as_of"] == "2025-03-31"
    (row,) = doc["rows"]
    assert row["product_id"] == pid
    assert (row["target_to_date"], row["purchased"], row["shortfall"]) == (6367, 5000, 1367)
    assert (row["completion"], row["schedule"], row["status"]) == (0.4167, 0.5306, "severely_behind")


def test_progress_csv_has_bom_and_neutralises_formulas(db, db_path, run_cli, capfdbinary):
    """GIVEN a generic name starting with '=' WHEN `progress --csv` THEN BOM + quoted-out formula."""
    with db.session() as s:
        b = md.batch(s)
        p = md.product(s, b, generic="=HYPERLINK(1)")
        md.period(s, p)
    r = run_cli("--db", db_path, "--as-of", "2025-03-31", "progress", "--csv")
    assert r.code == 0, r
    assert r.out.splitlines()[0].startswith("product_id,batch,generic_name")
    assert "'=HYPERLINK(1)" in r.out


def test_progress_table_and_unknown_batch(db, db_path, run_cli):
    _example(db)
    r = run_cli("--db", db_path, "--as-of", "2025-03-31", "progress")
    assert r.code == 0 and "严重滞后" in r.out and "阿托伐他汀钙片" in r.out
    r = run_cli("--db", db_path, "progress", "--batch", "没有")
    assert r.code == 3 and "找不到批次" in r.err


def test_alerts_json_and_text(db, db_path, run_cli):
    """GIVEN the example WHEN `alerts --json` THEN R8 serious once with since; text output in Chinese,
    naming the topic in words, never the rule id (issue 20: no rule ids in what a user reads)."""
    pid = _example(db)
    r = run_cli("--db", db_path, "--as-of", "2025-03-31", "alerts", "--json")
    assert r.code == 0, r
    r8 = [a for a in r.json() if a["rule"] == "R8"]
    assert len(r8) == 1 and r8[0]["product_id"] == pid and r8[0]["severity"] == "serious"
    assert r8[0]["since"] == "2025-02-01"  # on schedule at the end of January, behind since
    r = run_cli("--db", db_path, "--as-of", "2025-03-31", "alerts")
    assert r.code == 0 and "[严重] 约定采购量完成进度" in r.out
    assert not re.search(r"\bR\d+\b", r.out), r.out


def test_manage_commands_change_progress(db, db_path, run_cli):
    """GIVEN the example WHEN `exemption add` THEN progress says exempt; bad reason → exit 2; unknown product → 3."""
    pid = _example(db)
    r = run_cli("--db", db_path, "exemption", "add", "--product", pid, "--reason", "public_health_event",
                "--document", "吉医保发〔2025〕3号", "--json")
    assert r.code == 0, r
    doc = run_cli("--db", db_path, "--as-of", "2025-03-31", "progress", "--json").json()
    assert doc["rows"][0]["status"] == "exempt" and "exempt" in doc["rows"][0]["flags"]
    assert run_cli("--db", db_path, "exemption", "add", "--product", pid, "--reason", "x",
                   "--document", "d").code == 2
    assert run_cli("--db", db_path, "exemption", "add", "--product", 999, "--reason", "guideline_change",
                   "--document", "d").code == 3
    assert run_cli("--db", db_path, "product", "suspend", pid, "--on", "2025-03-01", "--reason", "质量风险",
                   "--reported-to", "manufacturer,drug_authority").code == 0
    assert run_cli("--db", db_path, "product", "mark", pid, "shortage").code == 0
    assert run_cli("--db", db_path, "batch", "set-policy", "十六省联盟", "r8_severe_gap", "0.2").code == 0
    assert run_cli("--db", db_path, "substitute", "add", "--selected", "阿托伐他汀钙片",
                   "--substitute", "匹伐他汀钙片").code == 0
    flags = run_cli("--db", db_path, "--as-of", "2025-03-31", "progress", "--json").json()["rows"][0]["flags"]
    assert flags[:3] == ["exempt", "suspended", "shortage"]
