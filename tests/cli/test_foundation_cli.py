"""CLI skeleton (CLI.md): exit codes, global flags, init, demo."""

from __future__ import annotations

import json
import sqlite3

import pytest


def test_init_creates_the_database_and_reports_location_and_revision(run_cli, db_path):
    result = run_cli("--db", db_path, "init")
    assert result.code == 0, result
    assert str(db_path) in result.out
    from db.session import head_revision

    assert f"结构版本：{head_revision()}" in result.out
    assert db_path.exists()


def test_global_options_are_accepted_after_the_command(run_cli, db_path):
    result = run_cli("init", "--db", db_path, "--json")
    assert result.code == 0, result
    assert result.json()["database"] == str(db_path)


def test_english_messages_with_lang_en(run_cli, db_path):
    result = run_cli("--lang", "en", "--db", db_path, "init")
    assert result.code == 0
    assert "Schema revision" in result.out


@pytest.mark.parametrize("argv", [
    ["no-such-command"],
    ["init", "--no-such-flag"],
    ["--as-of", "2025-13-40", "init"],
    ["demo", "--products", "-3"],
    ["calendar"],
])
def test_usage_errors_exit_2_with_a_chinese_message(run_cli, db_path, argv):
    result = run_cli("--db", db_path, *argv)
    assert result.code == 2, result
    assert "用法错误" in result.err
    assert "Traceback" not in result.err


def test_unwritable_db_location_is_refused_with_exit_4(cli_subprocess, tmp_path):
    """GIVEN --db in a folder that does not exist WHEN init THEN exit 4, a message, no traceback."""
    result = cli_subprocess("--db", tmp_path / "missing" / "dir" / "x.db", "init")
    assert result.code == 4, result
    assert "Traceback" not in result.err
    assert "目录" in result.err


def test_default_database_comes_from_the_environment(cli_subprocess, tmp_path):
    target = tmp_path / "env.db"
    result = cli_subprocess("init", "--json", env={"HOSPITAL_APP_DB": str(target)})
    assert result.code == 0, result
    assert json.loads(result.out)["database"] == str(target)


def _dump(path) -> dict[str, list]:
    con = sqlite3.connect(path)
    try:
        tables = [r[0] for r in con.execute(
            "select name from sqlite_master where type='table' and name not in ('audit_log','import_run')")]
        # Audit and import-run rows carry wall-clock times; everything else must be identical.
        skip_cols = {"created_at", "updated_at", "recorded_at"}
        out = {}
        for t in tables:
            cols = [c[1] for c in con.execute(f"pragma table_info({t})") if c[1] not in skip_cols]
            where = " where key != 'audit.keys'" if t == "setting" else ""  # random audit key ids (issue 23)
            out[t] = sorted(con.execute(f"select {', '.join(cols)} from {t}{where}").fetchall(), key=repr)
        return out
    finally:
        con.close()


def test_demo_is_reproducible_with_the_same_seed(run_cli, tmp_path):
    """GIVEN two fresh databases WHEN demo runs with the same seed and as-of THEN the data is identical."""
    a, b, c = tmp_path / "a.db", tmp_path / "b.db", tmp_path / "c.db"
    for path, seed in ((a, 7), (b, 7), (c, 8)):
        result = run_cli("--db", path, "--as-of", "2025-06-30", "demo", "--seed", seed, "--json")
        assert result.code == 0, result
    dump_a = _dump(a)
    assert dump_a == _dump(b)
    assert dump_a["purchase"] != _dump(c)["purchase"]


def test_demo_has_what_the_issue_asks_for(run_cli, db_path):
    result = run_cli("--db", db_path, "--as-of", "2025-06-30", "demo", "--json")
    assert result.code == 0, result
    summary = result.json()
    assert summary["selected_products"] >= 40
    con = sqlite3.connect(db_path)
    try:
        kinds = {r[0] for r in con.execute("select kind from batch")}
        assert {"drug", "consumable"} <= kinds
        states = {r[0] for r in con.execute("select status from supply_issue")}
        assert {"open", "replied", "resolved", "closed", "escalated"} <= states
        cats = {r[0] for r in con.execute("select category from product")}
        assert cats == {"selected", "nonselected", "catalogue"}
        years = con.execute("select count(distinct year_index) from agreement_period").fetchone()[0]
        assert years >= 2
        span = con.execute("select min(purchase_date), max(purchase_date) from purchase").fetchone()
        assert span[0] <= "2023-08-01" and span[1] == "2025-06-30"
        assert con.execute("select count(*) from orders where responded_at is not null").fetchone()[0] > 0
        assert con.execute("select count(*) from payment").fetchone()[0] > 0
        assert con.execute("select count(*) from volume_report_line").fetchone()[0] >= 5
    finally:
        con.close()


def test_demo_exact_purchase_count(run_cli, db_path):
    result = run_cli("--db", db_path, "demo", "--products", 60, "--purchases", 9000, "--json")
    assert result.code == 0, result
    con = sqlite3.connect(db_path)
    assert con.execute("select count(*) from purchase").fetchone()[0] == 9000
    con.close()


def test_demo_twice_changes_nothing_and_real_data_is_refused(run_cli, db_path):
    assert run_cli("--db", db_path, "demo").code == 0
    again = run_cli("--db", db_path, "demo", "--json")
    assert again.code == 0
    assert again.json()["status"] == "exists"
    con = sqlite3.connect(db_path)
    con.execute("delete from import_run where kind='demo'")
    con.commit()
    con.close()
    refused = run_cli("--db", db_path, "demo")
    assert refused.code == 4
    assert "演示数据" in refused.err


def test_demo_text_summary_is_in_chinese(run_cli, db_path):
    """GIVEN a fresh database WHEN `demo` prints its summary as text THEN every line after the first is a
    Chinese label with its figure (the Chinese CLI printed "status: created", "orders: 3926"); run again,
    it says only that nothing changed, not "演示数据已生成" (CLI.md: Chinese messages by default)."""
    import re

    result = run_cli("--db", db_path, "--as-of", "2025-06-30", "demo")
    assert result.code == 0, result
    lines = result.out.splitlines()
    assert lines[0].startswith("演示数据已生成：")
    assert not re.search(r"[A-Za-z]", "\n".join(lines[1:])), lines
    assert any(line.strip().startswith("中选产品：") for line in lines)
    again = run_cli("--db", db_path, "--as-of", "2025-06-30", "demo")
    assert again.code == 0 and again.out.splitlines()[0] == "数据库中已有演示数据，未做更改。"
    assert not re.search(r"[A-Za-z]", again.out), again.out


def test_check_text_names_the_checks_in_chinese(run_cli, db_path):
    """GIVEN a fresh database WHEN `check` passes THEN its one line names what was checked in Chinese (it listed
    "integrity, foreign_keys, schema_revision …" in the Chinese CLI) and `--json` keeps the codes (CLI.md)."""
    import re

    assert run_cli("--db", db_path, "init").code == 0
    result = run_cli("--db", db_path, "check")
    assert result.code == 0, result
    assert result.out.startswith("检查通过：") and "文件完整性" in result.out
    assert not re.search(r"[A-Za-z]", result.out.replace(str(db_path), "")), result.out
    assert "integrity" in run_cli("--db", db_path, "check", "--json").json()["checks"]
