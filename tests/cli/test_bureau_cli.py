"""CLI for issue 17: `indicators` (R20), `indicators compare`, `suppliers` (R4 v2), `retention` (R18)."""

from __future__ import annotations

from datetime import date

import openpyxl
import pytest

from tests.conftest import REAL
from tests.services.bureau_data import indicator_world


@pytest.fixture
def world_db(db):
    with db.session() as s:
        indicator_world(s)
    return db


def test_r20_json_keys(run_cli, db_path, world_db):
    """GIVEN batches A and B WHEN `indicators --json` as of 2025-06-30 THEN one object per batch with the counts
    and shares of R20 (batch A: 5 signed, 1 zero, share 0.2)."""
    res = run_cli("--db", str(db_path), "--as-of", "2025-06-30", "indicators", "--json")
    assert res.code == 0, res.err
    a = [b for b in res.json()["batches"] if b["batch"] == "批次A"][0]
    assert (a["total"], a["zero"], a["zero_share"], a["normal"], a["normal_share"]) == (5, 1, 0.2, 2, 0.4)


def test_r20_xlsx_has_the_bureau_layout_and_reads_back(run_cli, db_path, world_db, tmp_path):
    """GIVEN the bureau's template WHEN `indicators --out` THEN row 1 holds exactly its 23 headers and one row per
    batch; WHEN the bureau's copy says 3 zero-purchase products for 批次A THEN `compare` lists 零采购 3 vs 1 and the
    zero product's neighbours, exit 0; the unchanged file shows no difference."""
    template = openpyxl.load_workbook(REAL / "bureau_execution_report_template.xlsx").active
    out = tmp_path / "report.xlsx"
    assert run_cli("--db", str(db_path), "--as-of", "2025-06-30", "indicators", "--out", str(out)).code == 0
    wb = openpyxl.load_workbook(out)
    ws = wb.active
    assert [c.value for c in ws[1]] == [c.value for c in template[1]]
    assert ws.max_row == 3 and ws.title == template.title
    res = run_cli("--db", str(db_path), "--as-of", "2025-06-30", "indicators", "compare", str(out), "--json")
    assert res.code == 0 and all(b["differences"] == [] for b in res.json()["batches"])
    row = [r for r in range(2, 4) if ws.cell(r, 4).value == "批次A"][0]
    ws.cell(row, 9).value = 3  # 零采购产品数
    wb.save(out)
    res = run_cli("--db", str(db_path), "--as-of", "2025-06-30", "indicators", "compare", str(out), "--json")
    [diff] = [b for b in res.json()["batches"] if b["batch"] == "批次A"][0]["differences"]
    assert (diff["indicator"], diff["bureau"], diff["ours"], diff["difference"]) == ("zero", 3, 1, -2)
    assert diff["products"], "the products nearest to zero purchase are listed"


def test_r20_compare_bad_file(run_cli, db_path, world_db, tmp_path):
    """GIVEN a count cell holding text WHEN comparing THEN exit 3 naming the sheet, row and column."""
    wb = openpyxl.load_workbook(REAL / "bureau_execution_report_template.xlsx")
    ws = wb.active
    ws.append(["医院", "H1", "某市", "批次A", None, None, None, "五"])
    bad = tmp_path / "bad.xlsx"
    wb.save(bad)
    res = run_cli("--db", str(db_path), "indicators", "compare", str(bad))
    assert res.code == 3
    assert "第 2 行" in res.err and "签约产品总数" in res.err


def test_r20_xlsx_text_is_never_a_formula(run_cli, db_path, db, tmp_path):
    """GIVEN a batch named like a formula WHEN exporting THEN the cell is text, not a formula."""
    from tests.services.monitoring_data import batch

    with db.session() as s:
        batch(s, "=1+1", start=date(2025, 1, 1))
    out = tmp_path / "r.xlsx"
    assert run_cli("--db", str(db_path), "indicators", "--out", str(out)).code == 0
    cell = openpyxl.load_workbook(out).active["D2"]
    assert cell.value == "=1+1" and cell.data_type == "s"


def test_r4_suppliers_json_keys(run_cli, db_path, world_db):
    """GIVEN companies without orders WHEN `suppliers --quarter 2025Q2 --json` THEN CLI.md keys with null rates."""
    res = run_cli("--db", str(db_path), "--as-of", "2025-06-30", "suppliers", "--quarter", "2025Q2", "--json")
    assert res.code == 0, res.err
    for row in res.json():
        assert list(row)[:11] == ["company", "role", "period", "placed", "response_rate", "timeliness",
                                  "delivery_rate", "issues", "issues_on_time_rate", "escalations", "level"]
        assert row["placed"] == 0 and row["response_rate"] is None and row["level"] is None


def test_r4_suppliers_bad_quarter(run_cli, db_path, world_db):
    """GIVEN a quarter written wrongly WHEN asking THEN exit 3 with a message."""
    assert run_cli("--db", str(db_path), "suppliers", "--quarter", "2025-2").code == 3


def test_r18_retention_json(run_cli, db_path, world_db, tmp_path):
    """GIVEN no volume report WHEN `retention --json` THEN every product estimates 0 with the reason; `--out` writes
    a workbook."""
    res = run_cli("--db", str(db_path), "--as-of", "2025-06-30", "retention", "--json")
    assert res.code == 0, res.err
    rows = res.json()["rows"]
    assert rows and all(r["estimate"] == "0.00" and "报量" in r["note"] for r in rows)
    out = tmp_path / "ret.xlsx"
    assert run_cli("--db", str(db_path), "--as-of", "2025-06-30", "retention", "--out", str(out)).code == 0
    assert openpyxl.load_workbook(out).active["A3"].value == "批次"


def test_r20_compare_text_says_what_the_product_list_is(run_cli, db_path, world_db, tmp_path):
    """GIVEN the bureau counts 3 zero-purchase products of 批次A where we count 1 (R20) WHEN `indicators compare`
    prints text THEN the products listed under the difference are introduced as the nearest candidates to check,
    not left bare under the bureau's count (a reader took bought products for "zero purchase" ones); GIVEN the
    bureau counts fewer signed products THEN the list is introduced as the products we counted."""
    out = tmp_path / "report.xlsx"
    assert run_cli("--db", str(db_path), "--as-of", "2025-06-30", "indicators", "--out", str(out)).code == 0
    wb = openpyxl.load_workbook(out)
    ws = wb.active
    row = [r for r in range(2, 4) if ws.cell(r, 4).value == "批次A"][0]
    ws.cell(row, 9).value = 3  # 零采购产品数: bureau 3, ours 1
    ws.cell(row, 8).value = 4  # 签约产品总数: bureau 4, ours 5
    wb.save(out)
    res = run_cli("--db", str(db_path), "--as-of", "2025-06-30", "indicators", "compare", str(out))
    assert res.code == 0, res.err
    text = res.out
    zero = text[text.index("零采购产品数：医保 3，本院 1"):]
    assert zero.splitlines()[1].strip().startswith("本院未计入、最接近该项的产品")
    total = text[text.index("签约产品总数：医保 4，本院 5"):]
    assert total.splitlines()[1].strip().startswith("本院计入该项的产品")


def test_r4_suppliers_text_lists_the_active_companies_first_and_counts_the_idle(run_cli, db_path, world_db):
    """GIVEN two manufacturers without orders in 2025Q2, plus one distributor with one order placed then
    (R4) WHEN `suppliers --quarter 2025Q2` prints text THEN the table holds that distributor and not the idle
    companies (a catalogue import brings hundreds of them, which buried the few that matter), and a closing line
    counts the idle ones; `--json` still lists every company."""
    from datetime import datetime

    from db.models import Company, Order

    with world_db.session() as s:
        s.add_all([Company(name="甲制药有限公司", is_manufacturer=True), Company(name="乙制药有限公司", is_manufacturer=True)])
        d = Company(name="某某医药配送有限公司", is_distributor=True)
        s.add(d)
        s.flush()
        s.add(Order(dedup_key="Q#1", order_no="Q", line_no=1, company_id=d.id, quantity=10,
                    placed_at=datetime(2025, 5, 6, 9), responded_at=datetime(2025, 5, 6, 15)))
    res = run_cli("--db", str(db_path), "--as-of", "2025-06-30", "suppliers", "--quarter", "2025Q2")
    assert res.code == 0, res.err
    body = res.out.splitlines()
    assert [line.split()[0] for line in body[3:-1]] == ["某某医药配送有限公司"]
    res = run_cli("--db", str(db_path), "--as-of", "2025-06-30", "suppliers", "--quarter", "2025Q2", "--json")
    every = [r["company"] for r in res.json()]
    assert {"甲制药有限公司", "乙制药有限公司", "某某医药配送有限公司"} <= set(every)
    assert body[-1] == f"另有 {len(every) - 1} 家企业本期没有订单和供应问题，未列出（--json 列出全部）。"
