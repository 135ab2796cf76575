"""R21 CLI: `import departments`, `departments list|rename|merge`, exit codes (CLI.md)."""

from __future__ import annotations

from datetime import date

from tests.services.import_helpers import xlsx
from tests.services.test_departments import HEAD, LINES, _scene


def _ready(session, db_path, tmp_path, run_cli):
    _scene(session)
    session.close()
    path = xlsx(tmp_path / "his.xlsx", {"科室发药": [HEAD, *LINES]})
    res = run_cli("--db", str(db_path), "import", "departments", str(path), "--json")
    assert res.code == 0, res
    return res.json()


def test_r21_cli_import_json_then_rename_and_merge(session, db_path, tmp_path, run_cli):
    """GIVEN the R21 scene WHEN ``import departments --json`` THEN 9 inserted; WHEN ``departments rename 普外科
    普通外科`` and ``departments merge 老年病科 心血管内科`` THEN exit 0 and ``departments list --json`` shows
    普通外科 (alias 普外科) and 心血管内科 with 4 + 2 = 6 usage lines (alias 老年病科); merging again → exit 4,
    renaming an unknown department → exit 3."""
    doc = _ready(session, db_path, tmp_path, run_cli)
    assert (doc["rows"], doc["inserted"], doc["errors"]) == (9, 9, [])
    db = ("--db", str(db_path))
    assert run_cli(*db, "departments", "rename", "普外科", "普通外科").code == 0
    assert run_cli(*db, "departments", "merge", "老年病科", "心血管内科").code == 0
    listed = {d["name"]: d for d in run_cli(*db, "departments", "list", "--json").json()}
    assert set(listed) == {"普通外科", "心血管内科", "内分泌科"}
    assert listed["普通外科"]["aliases"] == ["普外科"]
    assert (listed["心血管内科"]["usage_rows"], listed["心血管内科"]["aliases"]) == (6, ["老年病科"])
    assert run_cli(*db, "departments", "merge", "老年病科", "心血管内科").code == 4
    assert run_cli(*db, "departments", "rename", "没有这个科", "x").code == 3


def test_r21_cli_departments_text_names_the_departments(session, db_path, tmp_path, run_cli):
    """GIVEN the R21 scene imported WHEN ``departments --as-of 2025-03-31`` THEN exit 0 and the text names
    the departments to address for 阿托伐他汀钙片 in order 内分泌科、心血管内科、老年病科."""
    _ready(session, db_path, tmp_path, run_cli)
    res = run_cli("--db", str(db_path), "--as-of", date(2025, 3, 31).isoformat(), "departments")
    assert res.code == 0, res
    assert "重点科室：内分泌科、心血管内科、老年病科" in res.out
