"""Bad input names the file (DEVELOPERS: file, sheet, row and column; exit 3; nothing written)."""

from __future__ import annotations

import openpyxl


def test_a_damaged_workbook_is_named_in_the_message(run_cli, db_path, tmp_path):
    """GIVEN a file that is not a workbook but is named .xlsx WHEN imported THEN exit 3 and the
    message names the file."""
    bad = tmp_path / "采购明细-坏.xlsx"
    bad.write_bytes(b"not a workbook")
    result = run_cli("--db", db_path, "import", "purchases", bad)
    assert result.code == 3
    assert "采购明细-坏.xlsx" in result.err and "Traceback" not in result.err


def test_a_single_bad_cell_names_file_sheet_row_and_column(run_cli, db_path, tmp_path):
    """GIVEN one purchase line dated 2025-02-30 WHEN imported THEN exit 3, nothing written, and the
    message names the file, the sheet, row 2 and the column 采购日期."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "采购明细"
    ws.append(["订单编号", "采购日期", "药品编码", "通用名", "剂型", "规格", "生产企业", "采购数量", "采购单位"])
    ws.append(["A1", "2025-02-30", "X1", "某某片", "片剂", "10mg", "甲厂", 5, "片"])
    path = tmp_path / "二月采购.xlsx"
    wb.save(path)
    result = run_cli("--db", db_path, "import", "purchases", path)
    assert result.code == 3
    for part in ("二月采购.xlsx", "采购明细", "第 2 行", "采购日期"):
        assert part in result.err, part
    assert run_cli("--db", db_path, "progress", "--json").json()["rows"] == []
