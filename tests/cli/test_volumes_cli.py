"""R13 on the command line: `volume-check` (CLI.md JSON contract) and `notes …`."""

from __future__ import annotations

from datetime import date

import pytest

from db.models import Product, Purchase, VolumeReport, VolumeReportLine

AS_OF = "2025-03-15"


@pytest.fixture
def filled(db, db_path):
    """1200 units of 阿莫西林胶囊 0.25g bought in 2024 (one selected, one non-selected product);
    reported: 800 (−33 %) and a new drug with no history; a second report: 960 (exactly −20 %) for
    "250mg" (= 0.25g). Purchase data run from 2024-05-01 to 2025-01-05."""
    with db.session() as s:
        a = Product(generic_name="阿莫西林胶囊", generic_name_norm="阿莫西林胶囊", spec="0.25g",
                    spec_norm="0.25g", selected=True, category="selected")
        b = Product(generic_name="阿莫西林胶囊", generic_name_norm="阿莫西林胶囊", spec="250mg",
                    spec_norm="250mg", selected=False, category="nonselected")
        s.add_all([a, b])
        s.flush()
        s.add_all([Purchase(product_id=a.id, dedup_key="1", purchase_date=date(2024, 5, 1), quantity=1000),
                   Purchase(product_id=b.id, dedup_key="2", purchase_date=date(2024, 6, 1), quantity=200),
                   Purchase(product_id=a.id, dedup_key="3", purchase_date=date(2025, 1, 5), quantity=7777)])
        rep = VolumeReport(name="续签报量", cycle="2025")
        rep.lines = [
            VolumeReportLine(generic_name="阿莫西林胶囊", generic_name_norm="阿莫西林胶囊", spec="0.25g",
                             spec_norm="0.25g", reported_quantity=800),
            VolumeReportLine(generic_name="新药片", generic_name_norm="新药片", spec="10mg",
                             spec_norm="10mg", reported_quantity=50),
        ]
        second = VolumeReport(name="续签报量（补充）", cycle="2025")
        second.lines = [VolumeReportLine(generic_name="阿莫西林胶囊", generic_name_norm="阿莫西林胶囊", spec="250mg",
                                         spec_norm="250mg", reported_quantity=960)]
        s.add_all([rep, second])
        s.flush()
        ids = [rep.lines[0].id, second.lines[0].id, rep.lines[1].id]
    return db_path, ids


def test_r13_volume_check_json_contract(run_cli, filled):
    """GIVEN the filled database WHEN `volume-check --json` THEN CLI.md's keys and values:
    −0.3333 decrease_over_20; exactly −20 % needs none; no history with change null."""
    path, _ = filled
    result = run_cli("--db", path, "--as-of", AS_OF, "volume-check", "--json")
    assert result.code == 0, result
    cover = {"baseline_covered": False, "data_to": "2025-01-05"}  # data from 2024-05 only (R13 v2)
    assert result.json() == [
        {"generic_name": "阿莫西林胶囊", "spec": "0.25g", "baseline": 1200, "reported": 800,
         "change": -0.3333, "needs_explanation": True, "reason": "decrease_over_20", **cover},
        {"generic_name": "新药片", "spec": "10mg", "baseline": 0, "reported": 50,
         "change": None, "needs_explanation": True, "reason": "no_history", **cover},
        {"generic_name": "阿莫西林胶囊", "spec": "250mg", "baseline": 1200, "reported": 960,
         "change": -0.2, "needs_explanation": False, "reason": None, **cover},
    ]


def test_r13_volume_check_baseline_year_flag(run_cli, filled):
    """WHEN --baseline-year 2025 (after the command) THEN only 2025 purchases count."""
    path, _ = filled
    result = run_cli("volume-check", "--baseline-year", "2025", "--json", "--db", path, "--as-of", AS_OF)
    assert [r["baseline"] for r in result.json()] == [7777, 0, 7777]


def test_r13_volume_check_human_output_in_chinese(run_cli, filled):
    path, _ = filled
    result = run_cli("--db", path, "--as-of", AS_OF, "volume-check")
    assert result.code == 0
    assert "降幅超过20%" in result.out and "无历史采购量" in result.out and "需说明 2 条" in result.out


def test_r13_notes_workflow_set_sign_lock_reopen(run_cli, filled):
    """GIVEN drafted notes WHEN reasons are set and the note signed
    THEN a further edit is refused with exit 4 until it is reopened."""
    path, (falling, _, new) = filled
    common = ("--db", path, "--as-of", AS_OF)
    drafted = run_cli(*common, "notes", "draft", "--json")
    assert drafted.code == 0 and [n["line_id"] for n in drafted.json()] == [falling, new]

    r = run_cli(*common, "notes", "set", falling, "--reasons", "historical_use,clinical_feedback",
                "--text", "门诊量下降")
    assert r.code == 0, r
    shown = run_cli(*common, "notes", "show", falling, "--json").json()
    assert shown["reasons"] == ["historical_use", "clinical_feedback"]
    assert len(shown["months"]) == 12 and shown["months"][0]["month"] == "2024-03"
    assert "门诊量下降" in shown["draft_text"] and "历史使用量、临床反馈" in shown["draft_text"]

    signed = run_cli(*common, "notes", "sign", falling, "--by", "张药师", "--json")
    assert signed.code == 0 and signed.json()["status"] == "signed"
    assert signed.json()["signed_by"] == "张药师"

    locked = run_cli(*common, "notes", "set", falling, "--text", "改")
    assert locked.code == 4 and "签字锁定" in locked.err

    assert run_cli(*common, "notes", "reopen", falling).code == 0
    assert run_cli(*common, "notes", "set", falling, "--text", "改").code == 0
    listed = run_cli(*common, "notes", "list", "--json").json()
    assert [(n["line_id"], n["status"]) for n in listed] == [(falling, "draft"), (new, "draft")]


def test_r13_notes_bad_input_exit_3(run_cli, filled):
    """Unknown reason, unknown line, signing without a reason: exit 3, a Chinese message."""
    path, (falling, _, _) = filled
    common = ("--db", path, "--as-of", AS_OF)
    bad = run_cli(*common, "notes", "set", falling, "--reasons", "weather")
    assert bad.code == 3 and "未知的原因" in bad.err
    assert run_cli(*common, "notes", "show", "999").code == 3
    assert run_cli(*common, "notes", "sign", falling).code == 3
    assert "Traceback" not in bad.err


def test_r13_notes_need_a_subcommand(run_cli, filled):
    path, _ = filled
    assert run_cli("--db", path, "notes").code == 2


def test_r13_volume_check_text_says_the_baseline_year_is_not_covered(run_cli, filled):
    """GIVEN purchase data from 2024-05-01 to 2025-01-05 and baseline year 2024 (R13 v2: not covered)
    WHEN `volume-check` prints text THEN it says the data only cover 2024-05-01 to 2025-01-05 and that the
    2024 baseline is incomplete (only `--json` said so: a reader took 1 200 for a whole year)."""
    path, _ = filled
    result = run_cli("--db", path, "--as-of", AS_OF, "volume-check")
    assert result.code == 0
    assert result.out.splitlines()[-1] == \
        "注意：采购数据只覆盖 2024-05-01 至 2025-01-05，基线年度 2024 的采购量不完整，据此计算的变化幅度仅供参考。"
