"""Issue 21: the import's safety scan (hospital_app/importers/limits.py) also tells whether a
workbook holds any formula; one without is read as plain values (importers/reader.py), one with
keeps the cell types that tell a formula from a text starting with "=" (IMPORT.md: formulas are
never evaluated)."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from hospital_app.errors import BadInput
from hospital_app.importers import limits
from hospital_app.importers.reader import XlsxSource, open_source

DATA = Path(__file__).resolve().parent.parent / "data"
MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"


def _workbook(path: Path, cells: str, sheet_part: str = "xl/worksheets/sheet1.xml", prefix: str = "") -> Path:
    """A minimal workbook of one sheet "明细" whose sheetData holds ``cells`` (elements under
    ``prefix``), stored at ``sheet_part`` and reached through the workbook's relationships."""
    p = f"{prefix}:" if prefix else ""
    ns = f'xmlns:{prefix}="{MAIN}"' if prefix else f'xmlns="{MAIN}"'
    target = "/" + sheet_part if not sheet_part.startswith("xl/") else sheet_part.removeprefix("xl/")
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/'
                    'package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxml'
                    'formats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
                    '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-'
                    'officedocument.spreadsheetml.sheet.main+xml"/></Types>')
        zf.writestr("_rels/.rels", '<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/'
                    f'package/2006/relationships"><Relationship Id="rId1" Type="{REL}/officeDocument" '
                    'Target="xl/workbook.xml"/></Relationships>')
        zf.writestr("xl/workbook.xml", f'<?xml version="1.0"?><workbook xmlns="{MAIN}" xmlns:r="{REL}"><sheets>'
                    '<sheet name="明细" sheetId="1" r:id="rId1"/></sheets></workbook>')
        zf.writestr("xl/_rels/workbook.xml.rels", '<?xml version="1.0"?><Relationships xmlns="http://schemas.'
                    f'openxmlformats.org/package/2006/relationships"><Relationship Target="{target}" '
                    f"Type='{REL}/worksheet' Id=\"rId1\"/></Relationships>")
        zf.writestr(sheet_part, f'<?xml version="1.0"?><{p}worksheet {ns}><{p}sheetData>{cells}'
                                f'</{p}sheetData></{p}worksheet>')
    return path


ROW = '<row r="1"><c r="A1" t="inlineStr"><is><t>通用名</t></is></c>{}</row>'
CASES = [
    ('<c r="B1"><f>SUM(C1:C2)</f><v>3</v></c>', "", True),
    ('<c r="B1"><f t="shared" ref="B1:B3" si="0"/><v>3</v></c>', "", True),
    ('<c r="B1"><f\tt="array" ref="B1">C1*2</f></c>', "", True),
    ('<x:c r="B1"><x:f>C1*2</x:f><x:v>3</x:v></x:c>', "x", True),
    ('<c r="B1" t="inlineStr"><is><t>=1+2制药</t></is></c>', "", False),
    ('<c r="B1"><v>3</v></c></row></sheetData><dataValidations count="1"><dataValidation sqref="B1">'
     '<formula1>"甲,乙"</formula1></dataValidation></dataValidations><sheetData><row r="2">', "", False),
]


@pytest.mark.parametrize("chunk", [1 << 20, 7, 2, 1])
@pytest.mark.parametrize("cell, prefix, formula", CASES)
def test_the_byte_check_finds_formulas_as_the_expat_scan_does(tmp_path, monkeypatch, chunk, cell, prefix, formula):
    """GIVEN a sheet with (or without) a formula element — plain, shared, array, under a prefix; or
    only a text starting with "=", or a data validation's <formula1> — read in chunks down to one
    byte, so that every tag is cut WHEN the byte check and the expat scan judge it THEN both say
    whether it holds a formula, and the byte check clears the part."""
    monkeypatch.setattr(limits, "CHUNK", chunk)
    row = ROW.format(cell)
    if prefix:
        row = row.replace("<row", "<x:row").replace("</row>", "</x:row>").replace('<c r="A1" t="inlineStr"><is><t>',
                          '<x:c r="A1" t="inlineStr"><x:is><x:t>').replace("</t></is></c>", "</x:t></x:is></x:c>")
    path = _workbook(tmp_path / "f.xlsx", row, prefix=prefix)
    with zipfile.ZipFile(path) as zf:
        assert limits._plainly_within(zf, "xl/worksheets/sheet1.xml", shared=False) == (True, formula)
        assert limits._scan_part(zf, "xl/worksheets/sheet1.xml", shared=False) is formula
    assert limits.scan_xlsx(path) is formula


@pytest.mark.parametrize("chunk, name, formula", [(1 << 20, "p" * 1100, False), (1 << 20, "p" * 1100 + ":f", True),
                                                  (100, "p" * 1100, True)])
def test_an_element_name_too_long_to_follow_counts_as_a_formula(tmp_path, monkeypatch, chunk, name, formula):
    """GIVEN a sheet with an element whose name runs over 1 024 bytes WHEN the byte check reads it
    whole THEN it judges it exactly (a formula only under a prefix); cut by chunks' ends THEN it
    answers "may hold a formula", so the cell types are kept."""
    monkeypatch.setattr(limits, "CHUNK", chunk)
    path = _workbook(tmp_path / "long.xlsx", ROW.format('<c r="B1"><v>3</v></c>') + f'<{name} a="1"/>')
    with zipfile.ZipFile(path) as zf:
        assert limits._plainly_within(zf, "xl/worksheets/sheet1.xml", shared=False) == (True, formula)


def test_a_workbook_without_formulas_reads_the_same_as_plain_values():
    """GIVEN the platform purchases workbook of tests/data (no formula anywhere) WHEN opened for
    import THEN the scan says so and the rows read as plain values equal, cell for cell, the rows
    read with cell types (no formula column in either)."""
    path = DATA / "platform_purchases_2023-09_2025-08.xlsx"
    assert limits.scan_xlsx(path) is False
    fast, typed = open_source(path, max_mb=200), XlsxSource(path, formulas=True)
    try:
        assert fast.sheets == typed.sheets
        for sheet in fast.sheets:
            a, b = list(fast.rows(sheet.name)), list(typed.rows(sheet.name))
            assert len(a) > 10 and a == b
    finally:
        fast.close()
        typed.close()


def test_a_formula_in_a_sheet_stored_elsewhere_is_still_found(tmp_path):
    """GIVEN a workbook whose relationships put its sheet at an unusual place (/data/s.xml) and whose
    B1 is a formula WHEN opened for import THEN the scan reads that part too: the row comes with
    its formula column, not the formula's text as data."""
    path = _workbook(tmp_path / "odd.xlsx", ROW.format('<c r="B1"><f>C1*2</f><v>6</v></c>'), sheet_part="data/s.xml")
    assert limits.scan_xlsx(path) is True
    source = open_source(path, max_mb=200)
    try:
        (row_no, values, formulas), = source.rows("明细")
    finally:
        source.close()
    assert (row_no, values[0], formulas) == (1, "通用名", (1,))


def test_a_long_text_in_a_sheet_stored_elsewhere_is_refused(tmp_path):
    """GIVEN a sheet at an unusual place holding a 12 000-character cell WHEN opened THEN the
    cell limit applies to it as to any sheet (BadInput naming the limit)."""
    cell = '<c r="B1" t="inlineStr"><is><t>' + "长" * 12_000 + "</t></is></c>"
    path = _workbook(tmp_path / "odd.xlsx", ROW.format(cell), sheet_part="data/s.xml")
    with pytest.raises(BadInput) as exc:
        open_source(path, max_mb=200)
    assert "10,000" in exc.value.message
