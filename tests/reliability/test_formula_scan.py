"""Issue 21: the import's safety scan (hospital_app/importers/limits.py) also notes whether a
workbook holds a formula or a cell typed as an error or ISO date; reader.open_source reads one
without either with python-calamine, in the shapes openpyxl gives, and any other with openpyxl,
which keeps the cell types that tell a formula from a text starting with "=" (IMPORT.md: formulas
are never evaluated)."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from hospital_app.errors import BadInput
from hospital_app.importers import limits
from hospital_app.importers.reader import CalamineSource, XlsxSource, open_source

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
        assert limits._plainly_within(zf, "xl/worksheets/sheet1.xml", shared=False) == (True, formula, False)
        assert limits._scan_part(zf, "xl/worksheets/sheet1.xml", shared=False) == (formula, False)
    assert limits.scan_xlsx(path).formulas is formula


TYPED = [('<c r="B1" t="e"><v>#N/A</v></c>', True), ("<c r='B1' t = 'd'><v>2025-01-02T00:00:00</v></c>", True),
         ('<c r="B1" t="n"><v>3</v></c>', False), ('<c r="B1" t="inlineStr"><is><t>t="e"</t></is></c>', False)]


@pytest.mark.parametrize("chunk", [1 << 20, 5, 1])
@pytest.mark.parametrize("cell, typed", TYPED)
def test_error_and_iso_date_cells_are_noted_as_the_expat_scan_does(tmp_path, monkeypatch, chunk, cell, typed):
    """GIVEN a sheet with an error cell (t="e"), an ISO-date cell (t='d', spaces around "="), a number,
    or a text reading t="e" WHEN read in chunks down to one byte THEN the byte check and the expat
    scan agree on whether it holds a typed cell (the text may count: that only costs speed)."""
    monkeypatch.setattr(limits, "CHUNK", chunk)
    path = _workbook(tmp_path / "t.xlsx", ROW.format(cell))
    with zipfile.ZipFile(path) as zf:
        plain, formulas, by_bytes = limits._plainly_within(zf, "xl/worksheets/sheet1.xml", shared=False)
        by_expat = limits._scan_part(zf, "xl/worksheets/sheet1.xml", shared=False)[1]
    assert (plain, formulas, by_expat) == (True, False, typed)
    assert by_bytes is typed or (by_bytes and "inlineStr" in cell)


@pytest.mark.parametrize("chunk", [1 << 20, 100, 7])
@pytest.mark.parametrize("name, formula", [("p" * 1100, False), ("p" * 1100 + ":f", True)])
def test_a_long_element_name_cut_by_chunks_is_judged_whole(tmp_path, monkeypatch, chunk, name, formula):
    """GIVEN a sheet with an element whose name runs over 1 000 bytes (a formula only under that long
    prefix) WHEN the byte check reads it whole or cut by chunks' ends THEN the same answer."""
    monkeypatch.setattr(limits, "CHUNK", chunk)
    path = _workbook(tmp_path / "long.xlsx", ROW.format('<c r="B1"><v>3</v></c>') + f'<{name} a="1"/>')
    with zipfile.ZipFile(path) as zf:
        assert limits._plainly_within(zf, "xl/worksheets/sheet1.xml", shared=False) == (True, formula, False)


def _rows(source, sheet: str) -> list:
    """(row number, values) of the non-empty rows, trailing empty cells dropped (openpyxl ends a
    row at its last written cell, calamine at the sheet's last used column)."""
    out = []
    for row_no, values, _formulas in source.rows(sheet):
        values = list(values)
        while values and values[-1] is None:
            values.pop()
        if values:
            out.append((row_no, values, [type(v) for v in values]))
    return out


REAL = sorted(DATA.glob("*.xlsx")) + sorted((DATA / "real").glob("*.xlsx"))


@pytest.mark.parametrize("path", REAL, ids=lambda p: p.name)
def test_calamine_reads_every_sample_as_openpyxl_does(path):
    """GIVEN every workbook of tests/data, the published provincial lists included WHEN opened for
    import THEN python-calamine reads it (no formula, error cell or huge sheet), and every row —
    its number, values and their types — equals what openpyxl reads."""
    facts = limits.scan_xlsx(path)
    assert (facts.formulas, facts.typed_cells) == (False, False)
    fast, typed = open_source(path, max_mb=200), XlsxSource(path, formulas=True)
    try:
        assert isinstance(fast._source, CalamineSource)
        assert fast.sheets == typed.sheets
        for sheet in fast.sheets:
            assert _rows(fast, sheet.name) == _rows(typed, sheet.name)
    finally:
        fast.close()
        typed.close()


def test_calamine_gives_the_shapes_openpyxl_gives(tmp_path):
    """GIVEN a workbook written by openpyxl with whole and decimal numbers, a big number, booleans,
    texts with spaces, a datetime with microseconds, a date-only cell, a time, a duration, a 1904
    date, a hidden sheet and a sheet starting at C5 WHEN read by calamine and by openpyxl THEN the
    same sheets and, row for row, the same values of the same types."""
    import datetime as dt

    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "类型"
    values = [1, 1.5, 14, -2, 0, 1e20, 123456789012345, True, False, "文本", " 前后空格 ", 20230001, 1e-7,
              dt.datetime(2025, 1, 2, 3, 4, 5, 123456), dt.time(8, 30), dt.timedelta(hours=30)]
    for i, v in enumerate(values, start=2):
        ws.cell(i, 2, v)
    for row, (serial, fmt) in enumerate([(45000, "yyyy-mm-dd"), (45000.75, "yyyy-mm-dd hh:mm"), (0.25, "hh:mm"),
                                         (1.25, "[h]:mm:ss"), (0.125, "0.00%"), (45000, 'yyyy"年"m"月"d"日"'),
                                         (60, "yyyy-mm-dd")], start=2):
        ws.cell(row, 3, serial).number_format = fmt
    wb.create_sheet("隐藏").sheet_state = "hidden"
    wb["隐藏"]["A1"] = "h"
    wb.create_sheet("偏移")["C5"] = "从 C5 开始"
    wb["偏移"]["D7"] = 3
    for name, epoch in (("1900.xlsx", None), ("1904.xlsx", openpyxl.utils.datetime.CALENDAR_MAC_1904)):
        if epoch:
            wb.epoch = epoch
        path = tmp_path / name
        wb.save(path)
        fast, typed = open_source(path, max_mb=200), XlsxSource(path, formulas=True)
        try:
            assert isinstance(fast._source, CalamineSource)
            assert fast.sheets == typed.sheets and [s.hidden for s in fast.sheets] == [False, True, False]
            for sheet in fast.sheets:
                assert _rows(fast, sheet.name) == _rows(typed, sheet.name)
        finally:
            fast.close()
            typed.close()


@pytest.mark.parametrize("cell", ['<c r="B1"><f>C1*2</f><v>6</v></c>', '<c r="B1" t="e"><v>#N/A</v></c>'])
def test_a_workbook_with_a_formula_or_an_error_cell_is_read_by_openpyxl(tmp_path, cell):
    """GIVEN a workbook holding a formula (then an error cell) WHEN opened for import THEN openpyxl
    reads it: the formula comes as a formula column, the error as its text (calamine would give
    an empty cell for both)."""
    path = _workbook(tmp_path / "f.xlsx", ROW.format(cell))
    source = open_source(path, max_mb=200)
    try:
        assert isinstance(source._source, XlsxSource)
        (row_no, values, formulas), = source.rows("明细")
    finally:
        source.close()
    assert (row_no, values[0]) == (1, "通用名")
    assert (values[1], formulas) == (("=C1*2", (1,)) if "<f>" in cell else ("#N/A", ()))


def test_a_sheet_over_the_calamine_bound_is_streamed_by_openpyxl(tmp_path, monkeypatch):
    """GIVEN a formula-free workbook whose sheet is larger than the bound on what calamine holds in
    memory WHEN opened for import THEN openpyxl streams it (as plain values), the rows the same."""
    from hospital_app.importers import reader

    path = DATA / "platform_purchases_2023-09_2025-08.xlsx"
    monkeypatch.setattr(reader, "CALAMINE_MAX_BYTES", limits.scan_xlsx(path).largest_sheet - 1)
    source = open_source(path, max_mb=200)
    try:
        assert isinstance(source._source, XlsxSource) and source._source._formulas is False
        assert len(_rows(source, source.sheets[0].name)) > 600
    finally:
        source.close()


def test_a_formula_in_a_sheet_stored_elsewhere_is_still_found(tmp_path):
    """GIVEN a workbook whose relationships put its sheet at an unusual place (/data/s.xml) and whose
    B1 is a formula WHEN opened for import THEN the scan reads that part too: the row comes with
    its formula column, not the formula's text as data."""
    path = _workbook(tmp_path / "odd.xlsx", ROW.format('<c r="B1"><f>C1*2</f><v>6</v></c>'), sheet_part="data/s.xml")
    assert limits.scan_xlsx(path).formulas is True
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


def test_a_truncated_worksheet_is_refused_never_read_in_part(tmp_path):
    """GIVEN the sample purchases workbook whose sheet part stops in the middle of a row (a valid zip:
    an exporter that crashed while writing) WHEN it is opened for import THEN BadInput naming the
    part, and no row is read (python-calamine alone would have read the rows before the cut)."""
    original = DATA / "platform_purchases_2023-09_2025-08.xlsx"
    path = tmp_path / "cut.xlsx"
    with zipfile.ZipFile(original) as zin, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zout:
        for item in zin.infolist():
            data = zin.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = data[:len(data) // 2]
            zout.writestr(item, data)
    with pytest.raises(BadInput) as exc:
        open_source(path, max_mb=200)
    assert "xl/worksheets/sheet1.xml" in exc.value.problems[0].message
