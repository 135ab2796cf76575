"""Old .xls workbooks (hospital information systems) go through the same pipeline (issue 5 §1)."""

from __future__ import annotations

from datetime import datetime

import xlwt  # test extra: writes the old .xls format that hospital systems still export
from openpyxl import load_workbook

from tests.conftest import SAMPLES

PRODUCTS = SAMPLES / "selected_products_and_volumes.xlsx"
PURCHASES = SAMPLES / "platform_purchases_2023-09_2025-08.xlsx"


def _as_xls(source, target, *, hidden_first_sheet=False, corrupt=None):
    """Write the sample's cells into an .xls: date cells stay dates, a hidden notes sheet first."""
    rows = list(load_workbook(source, read_only=True).active.iter_rows(values_only=True))
    book = xlwt.Workbook(encoding="utf-8")
    if hidden_first_sheet:
        notes = book.add_sheet("说明")
        notes.write(0, 0, "本表由医院信息系统导出")
        notes.visibility = 1
    sheet = book.add_sheet("采购明细")
    date_style = xlwt.easyxf(num_format_str="yyyy-mm-dd hh:mm")
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            if corrupt and (r, c) == corrupt[0]:
                value = corrupt[1]
            if value is None:
                continue
            if isinstance(value, datetime):
                sheet.write(r, c, value, date_style)
            else:
                sheet.write(r, c, value)
    book.save(str(target))
    return target


def test_xls_purchases_import_like_the_xlsx(run_cli, tmp_path):
    """GIVEN the purchases sample saved as .xls with a hidden note sheet first WHEN imported THEN the
    same rows land as from the .xlsx, and a second import of the .xls inserts nothing."""
    xlsx_db, xls_db = tmp_path / "a.db", tmp_path / "b.db"
    for db in (xlsx_db, xls_db):
        assert run_cli("--db", db, "import", "products", PRODUCTS).code == 0
    from_xlsx = run_cli("--db", xlsx_db, "import", "purchases", PURCHASES, "--json")
    xls = _as_xls(PURCHASES, tmp_path / "采购明细.xls", hidden_first_sheet=True)
    from_xls = run_cli("--db", xls_db, "import", "purchases", xls, "--json")
    assert from_xls.code == 0, from_xls
    assert from_xls.json()["inserted"] == from_xlsx.json()["inserted"] > 600
    again = run_cli("--db", xls_db, "import", "purchases", xls, "--json").json()
    assert again["inserted"] == 0 and again["unchanged"] == from_xls.json()["inserted"]
    progress_a = run_cli("--db", xlsx_db, "--as-of", "2025-06-30", "progress", "--json").json()["rows"]
    progress_b = run_cli("--db", xls_db, "--as-of", "2025-06-30", "progress", "--json").json()["rows"]
    assert [r["purchased"] for r in progress_a] == [r["purchased"] for r in progress_b]


def test_xls_bad_quantity_names_row_and_column_and_writes_nothing(run_cli, tmp_path, db_path):
    assert run_cli("--db", db_path, "import", "products", PRODUCTS).code == 0
    # Excel row 7 is index 6; column J (index 9) is 采购数量.
    xls = _as_xls(PURCHASES, tmp_path / "bad.xls", corrupt=((6, 9), "三盒"))
    result = run_cli("--db", db_path, "import", "purchases", xls, "--json")
    assert result.code == 3, result
    errors = result.json()["errors"]
    assert any(e["row"] == 7 and e["column"] == "采购数量" for e in errors), errors
    counts = run_cli("--db", db_path, "--as-of", "2025-06-30", "progress", "--json").json()["rows"]
    assert all(r["purchased"] == 0 for r in counts)
