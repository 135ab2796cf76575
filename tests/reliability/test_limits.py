"""Issue 23 §4 (memory bombs) and §9 (text PostgreSQL refuses): documented limits of
hospital_app/importers/limits.py and db/text_limits.py, the same on both backends."""

from __future__ import annotations

import tracemalloc
import zipfile
from pathlib import Path

import pytest

from db.models import Company
from db.session import open_database
from hospital_app.errors import BadInput
from hospital_app.importers import limits
from hospital_app.importers.reader import open_source


def _xlsx_with_shared_string(path: Path, text: str, prolog: str = "") -> None:
    """A minimal valid workbook whose A2 refers to one shared string (``prolog``: written before the
    shared strings' root element)."""
    ct = ('<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
          'content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships'
          '+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" '
          'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override '
          'PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.'
          'spreadsheetml.worksheet+xml"/><Override PartName="/xl/sharedStrings.xml" ContentType="application/'
          'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>')
    rels = ('<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
            'officeDocument" Target="xl/workbook.xml"/></Relationships>')
    wb = ('<?xml version="1.0"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
          'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets>'
          '<sheet name="采购明细" sheetId="1" r:id="rId1"/></sheets></workbook>')
    wb_rels = ('<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/'
               'relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
               'relationships/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="http://'
               'schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" '
               'Target="sharedStrings.xml"/></Relationships>')
    sheet = ('<?xml version="1.0"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
             '<sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>通用名</t></is></c></row>'
             '<row r="2"><c r="A2" t="s"><v>0</v></c></row></sheetData></worksheet>')
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", ct)
        zf.writestr("_rels/.rels", rels)
        zf.writestr("xl/workbook.xml", wb)
        zf.writestr("xl/_rels/workbook.xml.rels", wb_rels)
        zf.writestr("xl/worksheets/sheet1.xml", sheet)
        with zf.open("xl/sharedStrings.xml", "w", force_zip64=True) as fh:
            fh.write(b'<?xml version="1.0"?>' + prolog.encode() + b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
                     b'count="1" uniqueCount="1"><si><t>')
            data = text.encode()
            for i in range(0, len(data), 1 << 20):
                fh.write(data[i:i + (1 << 20)])
            fh.write(b"</t></si></sst>")


def test_a_huge_shared_string_is_refused_while_streaming(tmp_path):
    """GIVEN an xlsx of a few hundred KB whose one shared string has 30 million characters
    WHEN it is opened for import THEN BadInput naming the limit, and the reader never held
    the string: Python's peak allocation stays under 8 MB."""
    block = "".join(chr(0x4E00 + (i * 7919) % 20000) for i in range(4096))  # varied CJK text
    path = tmp_path / "bomb.xlsx"
    _xlsx_with_shared_string(path, block * (30_000_000 // len(block)))
    assert path.stat().st_size < 2_000_000
    tracemalloc.start()
    try:
        with pytest.raises(BadInput) as exc:
            open_source(path, max_mb=200)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert "10,000" in exc.value.message and exc.value.problems[0].file == "bomb.xlsx"
    assert peak < 8_000_000, peak


def test_a_normal_shared_string_still_reads(tmp_path):
    """GIVEN an xlsx whose shared string is a normal name WHEN read THEN the row arrives unchanged."""
    path = tmp_path / "ok.xlsx"
    _xlsx_with_shared_string(path, "阿托伐他汀钙片")
    source = open_source(path, max_mb=200)
    try:
        rows = list(source.rows("采购明细"))
    finally:
        source.close()
    assert [r[1] for r in rows] == [["通用名"], ["阿托伐他汀钙片"]]



@pytest.mark.parametrize("chars, refused", [(10_000, False), (10_001, True)])
def test_the_cell_limit_counts_characters_not_bytes(tmp_path, chars, refused):
    """GIVEN a shared string of 10 000 (then 10 001) Chinese characters — 30 000 bytes, over the
    byte check's bound, so expat counts them WHEN the file is opened THEN 10 000 reads and 10 001
    is refused naming the limit."""
    path = tmp_path / "cjk.xlsx"
    _xlsx_with_shared_string(path, "长" * chars)
    if refused:
        with pytest.raises(BadInput) as exc:
            open_source(path, max_mb=200)
        assert "10,000" in exc.value.message
        return
    source = open_source(path, max_mb=200)
    try:
        assert [r[1] for r in source.rows("采购明细")][1] == ["长" * chars]
    finally:
        source.close()


@pytest.mark.parametrize("prolog", ['<!DOCTYPE sst [<!ENTITY a "aaaaaaaaaa">]>', "<!-- a comment -->"])
def test_declarations_in_a_part_go_to_the_expat_scan(tmp_path, monkeypatch, prolog):
    """GIVEN a shared-strings part with a DTD (then only a comment) before its root WHEN opened THEN
    the expat scan judges that part: the DTD is refused as before, the comment passes."""
    path = tmp_path / "dtd.xlsx"
    _xlsx_with_shared_string(path, "阿托伐他汀钙片", prolog)
    scanned = []
    real = limits._scan_part
    monkeypatch.setattr(limits, "_scan_part", lambda zf, member, shared: scanned.append(member) or real(zf, member, shared))
    if "DOCTYPE" in prolog:
        with pytest.raises(BadInput) as exc:
            open_source(path, max_mb=200)
        assert "DTD" in exc.value.message
    else:
        open_source(path, max_mb=200).close()
    assert scanned == ["xl/sharedStrings.xml"]


def test_an_ordinary_workbook_is_cleared_without_the_expat_scan(monkeypatch):
    """Issue 21: GIVEN the platform purchases workbook of tests/data (no long text, no declarations)
    WHEN it is opened for import THEN no part needed the expat scan."""
    monkeypatch.setattr(limits, "_scan_part", lambda *a: pytest.fail(f"expat scan of {a[1]}"))
    source = open_source(Path(__file__).resolve().parent.parent / "data" / "platform_purchases_2023-09_2025-08.xlsx",
                         max_mb=200)
    source.close()

def test_a_long_csv_cell_is_refused_naming_row_and_column(tmp_path):
    """GIVEN a CSV whose B3 holds 12 000 characters WHEN read THEN BadInput at row 3, column B."""
    path = tmp_path / "long.csv"
    path.write_text("通用名,备注\n甲,短\n乙," + "长" * 12_000 + "\n", encoding="utf-8")
    source = open_source(path, max_mb=200)
    with pytest.raises(BadInput) as exc:
        list(source.rows(source.sheets[0].name))
    source.close()
    problem = exc.value.problems[0]
    assert (problem.row, problem.column) == (3, "B")


def test_control_characters_are_stripped_from_cells():
    """GIVEN cells with NUL, BEL and ESC (tab/newline kept) WHEN bounded THEN they are removed."""
    rows = list(limits.bounded_rows(iter([(2, ["阿\x00托\x07伐\x1b他汀", "a\tb\nc", 5], ())]), "f.csv", "s"))
    assert rows == [(2, ["阿托伐他汀", "a\tb\nc", 5], ())]


@pytest.mark.parametrize("value, words", [("甲" * 201, "过长"), ("甲\x00乙", "NUL")])
def test_text_postgresql_refuses_is_refused_alike_on_both_backends(any_db_url, value, words):
    """GIVEN a company name over its 200-character column or with a NUL
    WHEN saved on SQLite and on PostgreSQL THEN the same BadInput (exit 3) and nothing is written."""
    db = open_database(any_db_url)
    try:
        with pytest.raises(BadInput, match=words):
            with db.session() as s:
                s.add(Company(name=value))
        with db.session() as s:
            assert s.query(Company).count() == 0
    finally:
        db.dispose()


def test_a_damaged_part_the_byte_check_cleared_is_named_with_line_and_column(tmp_path):
    """Issue 21: GIVEN the sample purchases workbook with a mismatched tag in its sheet (short texts,
    no declarations: the byte check clears it) WHEN it is opened for import THEN BadInput names the
    part, line and column (the byte check runs expat without handlers: python-calamine, which
    would read it next, does not check) and the sheet, not only a parser's "ParseError"."""
    original = Path(__file__).resolve().parent.parent / "data" / "platform_purchases_2023-09_2025-08.xlsx"
    path = tmp_path / "broken.xlsx"
    with zipfile.ZipFile(original) as zin, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zout:
        for item in zin.infolist():
            data = zin.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = data.replace(b"</row>", b"</rowX>", 3)
            zout.writestr(item, data)
    with pytest.raises(BadInput) as exc:
        open_source(path, max_mb=200)
    problem = exc.value.problems[0]
    assert "xl/worksheets/sheet1.xml" in problem.message and "line 1, column" in problem.message
    assert (problem.file, problem.sheet) == ("broken.xlsx", "采购明细")
