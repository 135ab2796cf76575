"""CLI ``import`` / ``export progress`` (CLI.md): JSON keys, exit codes, untrusted files,
dry run leaves the database file unchanged, export never writes a formula."""

from __future__ import annotations

import hashlib
import json
import random
import zipfile
from datetime import date
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook

from tests.conftest import SAMPLES  # noqa: E402 - copies of the shared samples
PRODUCTS = SAMPLES / "selected_products_and_volumes.xlsx"
PURCHASES = SAMPLES / "platform_purchases_2023-09_2025-08.xlsx"
REPORTED = SAMPLES / "reported_volumes_2026.xlsx"
KEYS = {"rows", "inserted", "updated", "unchanged", "errors"}


def _wb(path: Path, rows: list[list]) -> Path:
    wb = Workbook()
    for row in rows:
        wb.active.append(row)
    wb.save(path)
    return path


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_samples_import_json_and_reimport(run_cli, db_path):
    """GIVEN the shared samples WHEN imported with --json THEN CLI.md keys, exit 0; the
    purchases file imports as purchases and as orders; a second run inserts nothing."""
    db = str(db_path)
    res = run_cli("--db", db, "import", "products", PRODUCTS, "--json")
    assert res.code == 0, res
    doc = res.json()
    assert KEYS <= doc.keys() and (doc["rows"], doc["inserted"], doc["errors"]) == (20, 20, [])
    for kind, path, rows in (("purchases", PURCHASES, 624), ("orders", PURCHASES, 624),
                             ("reported-volumes", REPORTED, 20), ("volumes", PRODUCTS, 20)):
        first = run_cli("--db", db, "import", kind, path, "--json")
        assert first.code == 0, first
        again = run_cli("--db", db, "import", kind, path, "--json").json()
        assert again["rows"] == rows and again["inserted"] == 0 and again["unchanged"] == rows, kind


def test_dry_run_leaves_database_file_byte_for_byte_unchanged(run_cli, db_path):
    """GIVEN a database WHEN a dry run imports purchases THEN the file is unchanged and the
    counts are those of the real run."""
    db = str(db_path)
    assert run_cli("--db", db, "import", "products", PRODUCTS).code == 0
    before = _digest(db_path)
    dry = run_cli("--db", db, "import", "purchases", PURCHASES, "--dry-run", "--json")
    assert dry.code == 0 and dry.json()["dry_run"] is True
    assert _digest(db_path) == before
    real = run_cli("--db", db, "import", "purchases", PURCHASES, "--json").json()
    assert (dry.json()["inserted"], dry.json()["rows"]) == (real["inserted"], real["rows"]) == (624, 624)


def test_row_errors_exit_3_with_row_and_column(run_cli, db_path, tmp_path):
    """GIVEN a file with a bad date and a bad number WHEN imported THEN exit 3, JSON errors
    name the Excel row and the column header, nothing is written."""
    db = str(db_path)
    assert run_cli("--db", db, "import", "products", PRODUCTS).code == 0
    bad = _wb(tmp_path / "bad.xlsx", [["药品编码", "采购数量", "采购单位", "采购日期"],
                                      ["XY0220000", 5, "盒", "2024-10-01"],
                                      ["XY0220000", "五盒", "盒", "2024-10-02"],
                                      ["XY0220000", 5, "盒", "昨天"]])
    res = run_cli("--db", db, "import", "purchases", bad, "--json")
    assert res.code == 3
    errors = res.json()["errors"]
    assert [(e["row"], e["column"]) for e in errors] == [(3, "采购数量"), (4, "采购日期")]
    assert all(e["message"] for e in errors)
    again = run_cli("--db", db, "import", "purchases", bad)
    assert again.code == 3 and "第 3 行" in again.err and "采购数量" in again.err
    fixed = _wb(tmp_path / "ok.xlsx", [["药品编码", "采购数量", "采购单位", "采购日期"],
                                       ["XY0220000", 5, "盒", "2024-10-01"]])
    assert run_cli("--db", db, "import", "purchases", fixed, "--json").json()["inserted"] == 1  # nothing from bad


def _zip_bomb(path: Path) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        zf.writestr("xl/workbook.xml", "<workbook/>")
        zf.writestr("xl/worksheets/sheet1.xml", b"\0" * (300 * 1024 * 1024))
    return path


def _external_link(path: Path) -> Path:
    _wb(path, [["药品编码", "采购数量"], ["X", 1]])
    with zipfile.ZipFile(path, "a") as zf:
        zf.writestr("xl/externalLinks/externalLink1.xml", "<externalLink/>")
    return path


def _encrypted(path: Path) -> Path:
    data = bytearray(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 1024)
    data += "EncryptedPackage".encode("utf-16-le") + b"\0" * 512
    path.write_bytes(bytes(data))
    return path


@pytest.mark.parametrize("make, words", [
    (lambda p: (p.write_bytes(b"hello, this is not a workbook \x00\x01"), p)[1], "不是"),
    (lambda p: (p.write_bytes(b"PK\x03\x04garbage-garbage"), p)[1], "不是有效的 Excel"),
    # issue 15: an HTML table is read (v1 refused it); a page without a header is refused for that
    (lambda p: (p.write_bytes(b"<html><table><tr><td>1</td></tr></table></html>"), p)[1], "表头"),
    (lambda p: (p.write_bytes(b"MIME-Version: 1.0\r\nContent-Type: multipart/related\r\n\r\n<html>"), p)[1], "网页"),
    (_encrypted, "加密"),
    (_zip_bomb, "压缩炸弹"),
    (_external_link, "外部链接"),
    (lambda p: (p.write_bytes(b""), p)[1], "空"),
])
def test_untrusted_files_exit_3_with_clear_message(run_cli, db_path, tmp_path, make, words):
    """GIVEN a file that is not a workbook / damaged / HTML / encrypted / a zip bomb /
    externally linked / empty WHEN imported THEN exit 3 with a clear message, no traceback."""
    path = make(tmp_path / "file.xlsx")
    res = run_cli("--db", str(db_path), "import", "purchases", path, "--json")
    assert res.code == 3, res
    assert words in res.json()["errors"][0]["message"]
    assert "Traceback" not in res.err


def test_batch_date_contradiction_is_a_note_not_an_error(run_cli, db_path, tmp_path):
    """GIVEN the sample list imported (batch executing from 2024-09-20, R8) WHEN a file puts a
    period of that batch earlier THEN exit 0, JSON "warnings" name row and column, the text
    output shows the note, and the stored start stays."""
    db = str(db_path)
    assert run_cli("--db", db, "import", "products", PRODUCTS).code == 0
    header = ["采购批次", "药品编码", "通用名", "规格", "转换比", "最小制剂单位", "生产企业", "中选价格（元/盒）",
              "约定采购量", "执行开始日期", "执行结束日期"]
    early = _wb(tmp_path / "early.xlsx", [header, ["十六省（区）联盟药品集中带量采购", "NEW1", "新药片", "1mg", 10, "片",
                                                   "某厂", 1.0, 100, date(2024, 6, 1), date(2025, 5, 31)]])
    doc = run_cli("--db", db, "import", "products", early, "--json")
    assert doc.code == 0, doc
    (warning,) = doc.json()["warnings"]
    assert (warning["row"], warning["column"]) == (2, "执行开始日期") and "2024-09-20" in warning["message"]
    text = run_cli("--db", db, "import", "products", early)
    assert text.code == 0 and "2024-09-20" in text.out and "已保留" in text.out


def test_size_limit_setting(run_cli, db_path, tmp_path):
    """GIVEN import_max_file_mb = 1 WHEN a 2 MB file is imported THEN exit 3 naming the limit."""
    from db.session import open_database
    from hospital_app import settings

    database = open_database(str(db_path))
    with database.session() as s:
        settings.set_value(s, "import_max_file_mb", 1)
    database.dispose()
    big = tmp_path / "big.csv"
    big.write_bytes(b"a,b\r\n" + b"1,2\r\n" * 450_000)
    res = run_cli("--db", str(db_path), "import", "purchases", big)
    assert res.code == 3 and "上限" in res.err


def test_mapping_json_file(run_cli, db_path, tmp_path):
    """GIVEN unknown headers WHEN --mapping names a JSON file field → header THEN it imports."""
    db = str(db_path)
    assert run_cli("--db", db, "import", "products", PRODUCTS).code == 0
    path = _wb(tmp_path / "his.xlsx", [["药品编码", "出库件数", "采购单位", "业务日期"],
                                       ["XY0220000", 2, "盒", "2024-10-01"]])
    res = run_cli("--db", db, "import", "purchases", path, "--json")
    assert res.code == 3 and "采购数量" in res.json()["errors"][0]["message"]
    mapping = tmp_path / "m.json"
    mapping.write_text(json.dumps({"quantity": "出库件数", "purchase_date": "业务日期"}, ensure_ascii=False),
                       encoding="utf-8")
    ok = run_cli("--db", db, "import", "purchases", path, "--mapping", mapping, "--json")
    assert ok.code == 0 and ok.json()["inserted"] == 1
    missing = run_cli("--db", db, "import", "purchases", path, "--mapping", "没有这个映射")
    assert missing.code == 3


def test_export_progress_is_formatted_and_never_writes_formulas(run_cli, db_path, tmp_path):
    """GIVEN a product whose imported name starts with '=' WHEN exported THEN the cell is text,
    the sheet is frozen, filtered, A4 landscape with status colours (CLI.md exports)."""
    from hospital_app.reports.xlsx_export import export_progress

    class Row:
        def __init__(self, name, status):
            self.d = {"product_id": 1, "batch": "第九批", "generic_name": name, "dosage_form": "片剂",
                      "spec": "10mg", "manufacturer": "@SUM(1)", "unit": "片", "period_start": "2024-09-20",
                      "period_end": "2025-09-19", "agreed_volume": 12000, "target_to_date": 6367,
                      "purchased": 5000, "completion": 0.4167, "schedule": 0.5306, "status": status,
                      "shortfall": 1367, "nonselected_share": 0.12, "flags": ["+cmd|' /C calc'!A0"]}

        def as_dict(self):
            return self.d

    class Report:
        rows = [Row('=HYPERLINK("http://x","点我")', "severely_behind"), Row("阿托伐他汀钙片", "on_track")]

    out = export_progress(tmp_path / "p.xlsx", Report(), "某市人民医院", date(2025, 3, 31))
    ws = load_workbook(out).active
    assert "某市人民医院" in ws["A1"].value and "2025-03-31" in ws["A1"].value
    assert ws["B4"].value.startswith("=HYPERLINK") and ws["B4"].data_type == "s"
    assert ws["E4"].data_type == "s" and ws["R4"].data_type == "s"  # R: flags (v2 adds remaining, lag reason)
    assert ws.freeze_panes == "C4" and ws.auto_filter.ref == "A3:S5"
    assert ws.page_setup.orientation == "landscape" and str(ws.page_setup.paperSize) == "9"
    assert ws["L4"].number_format == "0.00%" and ws["N4"].fill.fgColor.rgb.endswith("FFC7CE")
    with zipfile.ZipFile(out) as zf:
        assert "<f>" not in zf.read("xl/worksheets/sheet1.xml").decode()

    db = str(db_path)
    assert run_cli("--db", db, "import", "products", PRODUCTS).code == 0
    res = run_cli("--db", db, "--as-of", "2025-03-31", "export", "progress", "--out", tmp_path / "x.xlsx")
    assert res.code == 0, res
    assert load_workbook(tmp_path / "x.xlsx").active.max_row == 3 + 20


def _mutate(data: bytes, rng: random.Random) -> bytes:
    buf = bytearray(data)
    for _ in range(rng.randint(1, 8)):
        i = rng.randrange(len(buf))
        buf[i] = rng.randrange(256)
    if rng.random() < 0.2:
        del buf[rng.randrange(len(buf)):]
    return bytes(buf)


def _cell_mutant(path: Path, rng: random.Random) -> Path:
    wb = load_workbook(PURCHASES)
    ws = wb.active
    junk = [None, "", "=1+1", "１２，０００盒", -5, 0, "2024-02-30", "合计", 10 ** 20, "退货", "x\ty", 1e308,
            "阿托伐他汀钙片", "盒", "瓢", True, date(1900, 1, 1)]
    for _ in range(rng.randint(1, 6)):
        ws.cell(row=rng.randint(3, 12), column=rng.randint(1, 17), value=rng.choice(junk))
    ws.delete_rows(13, ws.max_row)
    try:
        wb.save(path)
    except Exception:  # noqa: BLE001 - openpyxl refuses some junk (control characters): skip it
        _wb(path, [["x"]])
    return path


@pytest.mark.slow
def test_fuzz_only_exit_0_or_3_never_a_traceback(cli_subprocess, run_cli, db_path, tmp_path):
    """GIVEN 1 000 mutated workbooks (cells and zip bytes; issues 5 and 11) WHEN imported THEN the
    command only ever exits 0 or 3, never prints a traceback, and a refused real run writes nothing."""
    db = str(db_path)
    assert run_cli("--db", db, "import", "products", PRODUCTS).code == 0
    rng = random.Random(20240920)
    original = PURCHASES.read_bytes()
    import sqlite3

    def purchase_count() -> int:
        con = sqlite3.connect(db)
        try:
            return con.execute("select count(*) from purchase").fetchone()[0]
        finally:
            con.close()

    for i in range(1000):
        path = tmp_path / f"m{i % 20}.xlsx"
        if i % 2:
            path.write_bytes(_mutate(original, rng))
        else:
            _cell_mutant(path, rng)
        kind = rng.choice(["purchases", "orders", "products", "reported-volumes"])
        real = i % 5 == 0 and kind == "purchases"
        before = purchase_count() if real else None
        res = run_cli("--db", db, "import", kind, path, "--json", *([] if real else ["--dry-run"]))
        assert res.code in (0, 3), (i, kind, res)
        assert "Traceback" not in res.err
        json.loads(res.out)
        if real and res.code == 3:
            assert purchase_count() == before, (i, "a refused import wrote rows")
    # and once through a real process, for the exit code and stderr as users see them
    res = cli_subprocess("--db", db, "import", "purchases", tmp_path / "m1.xlsx")
    assert res.code in (0, 3)
    assert "Traceback" not in res.err


def test_failed_import_text_states_each_problem_once(run_cli, db_path):
    """GIVEN Guizhou's real list, whose rows 3… lack 中选企业 and whose row 1233 repeats a pack of row 1231 at
    another price (issue 15) WHEN imported without --skip-invalid THEN exit 3 and stderr opens with the count
    alone, then lists each problem once (the headline repeated the first problem, which the list printed
    again)."""
    from tests.conftest import REAL

    r = run_cli("--db", db_path, "import", "products", str(REAL / "guizhou_selected_drugs.xlsx"),
                "--batch", "贵州药品集采", "--dry-run")
    assert r.code == 3
    lines = r.err.splitlines()
    assert lines[0] == "错误：导入失败：发现 2196 处问题，没有写入任何数据。"
    assert sum("“中选企业”不能为空" in line for line in lines) == 1
    assert lines[1].startswith("  - 文件 guizhou_selected_drugs.xlsx, 工作表 Sheet1, 第 3 行")


def test_a_single_problem_names_its_sheet_row_and_column(run_cli, db_path, tmp_path):
    """GIVEN a CSV whose B3 holds 12 000 characters, then an xlsx whose sheet is cut in the middle
    WHEN imported THEN exit 3, one line naming the file and where in it (sheet, row, column for
    the cell; the sheet for the damaged part), and nothing is written."""
    from db.models import Product
    from db.session import open_database

    long = tmp_path / "long.csv"
    long.write_text("通用名,备注\n甲,短\n乙," + "长" * 12_000 + "\n", encoding="utf-8")
    res = run_cli("--db", str(db_path), "import", "products", long, "--batch", "X")
    assert res.code == 3 and "Traceback" not in res.err
    assert res.err.startswith("错误：文件“long.csv”，工作表“long”，第 3 行，列“B”：单元格内容超过 10,000 个字符")
    original = Path(__file__).resolve().parent.parent / "data" / "platform_purchases_2023-09_2025-08.xlsx"
    cut = tmp_path / "cut.xlsx"
    with zipfile.ZipFile(original) as zin, zipfile.ZipFile(cut, "w", zipfile.ZIP_DEFLATED) as zout:
        for item in zin.infolist():
            data = zin.read(item.filename)
            zout.writestr(item, data[:len(data) // 2] if item.filename == "xl/worksheets/sheet1.xml" else data)
    res = run_cli("--db", str(db_path), "import", "purchases", cut)
    assert res.code == 3 and res.err.startswith("错误：文件“cut.xlsx”，工作表“采购明细”：文件内容已损坏")
    database = open_database(str(db_path))
    with database.session() as s:
        assert s.query(Product).count() == 0
    database.dispose()
