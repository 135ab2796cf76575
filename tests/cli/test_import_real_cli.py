"""Issue 15 "Done when": Guizhou's real list (2 885 rows) through the CLI — all-or-nothing with one
grouped message by default, ``--skip-invalid`` imports the complete rows, ``--json`` gives
error_count / errors_truncated / skipped, and ``products list --json`` shows every pack."""

from __future__ import annotations

from decimal import Decimal

import openpyxl

from tests.conftest import REAL

GUIZHOU = REAL / "guizhou_selected_drugs.xlsx"


def _rows_without_company() -> list[int]:
    ws = openpyxl.load_workbook(GUIZHOU, read_only=True).active
    return [n for n, r in enumerate(ws.iter_rows(values_only=True), start=1) if n > 1 and not r[4]]


def test_guizhou_all_or_nothing_then_skip_invalid(run_cli, db_path):
    """GIVEN the real Guizhou list WHEN imported without a flag THEN exit 3, nothing written, one message
    grouping the 2 195 rows without 中选企业 plus row 1233 (the 30粒/盒 pack of row 1231 again at another
    price), error_count 2 196; WITH --skip-invalid THEN exit 0, exactly those rows skipped with their
    reasons and the other 689 rows imported; a second run changes nothing."""
    db = str(db_path)
    missing = _rows_without_company()
    assert len(missing) == 2195
    res = run_cli("--db", db, "import", "products", GUIZHOU, "--batch", "贵州", "--json")
    assert res.code == 3
    doc = res.json()
    assert (doc["error_count"], doc["errors_truncated"], len(doc["errors"])) == (2196, False, 2)
    assert doc["errors"][0]["column"] == "中选企业" and "共 2195 行" in doc["errors"][0]["message"]
    assert doc["errors"][1]["row"] == 1233 and "第 1231 行" in doc["errors"][1]["message"]
    assert run_cli("--db", db, "products", "list", "--json").json() == []
    res = run_cli("--db", db, "import", "products", GUIZHOU, "--batch", "贵州", "--skip-invalid", "--json")
    assert res.code == 0, res
    doc = res.json()
    assert sorted(s["row"] for s in doc["skipped"]) == sorted(missing + [1233])
    assert doc["rows"] == 2885 and doc["inserted"] + doc["updated"] + doc["unchanged"] == 2885 - 2196
    again = run_cli("--db", db, "import", "products", GUIZHOU, "--batch", "贵州", "--skip-invalid", "--json").json()
    assert (again["inserted"], again["updated"], again["unchanged"]) == (0, 0, 689)


def test_guizhou_packs_are_read_not_the_strength(run_cli, db_path):
    """GIVEN the real list imported WHEN listed THEN 非那雄胺片 "5mg×10片/盒" at 5.98 is 10 片 per 盒 at
    0.5980 元/片 (issue 15: not 50 mg); 阿卡波糖片 50mg of 北京博康健 keeps its three packs
    (8.68/30 = 0.2893, 12.83/45 = 0.2851, 16.93/60 = 0.2822 元/片); the (25R) and (50R) insulins of one
    company are two products."""
    db = str(db_path)
    assert run_cli("--db", db, "import", "products", GUIZHOU, "--batch", "贵州", "--skip-invalid").code == 0
    products = run_cli("--db", db, "products", "list", "--batch", "贵州", "--json").json()
    fin = next(p for p in products if p["generic_name"] == "非那雄胺片" and "圣和" in p["manufacturer"])
    assert (fin["base_unit"], fin["kind"], fin["selected"]) == ("片", "drug", True)
    assert [(k["units_per_pack"], k["pack_unit"], k["price_per_pack"], k["price_per_unit"]) for k in fin["packs"]] \
        == [(10, "盒", "5.9800", "0.5980")]
    acarbose = next(p for p in products if p["generic_name"] == "阿卡波糖片" and "博康健" in p["manufacturer"])
    assert [(k["units_per_pack"], Decimal(k["price_per_unit"])) for k in acarbose["packs"]] == [
        (30, Decimal("0.2893")), (45, Decimal("0.2851")), (60, Decimal("0.2822"))]
    insulins = {p["generic_name"] for p in products if p["generic_name"].startswith("精蛋白锌重组赖脯胰岛素混合注射液")}
    assert insulins == {"精蛋白锌重组赖脯胰岛素混合注射液(25R)", "精蛋白锌重组赖脯胰岛素混合注射液(50R)"}
