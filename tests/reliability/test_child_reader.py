"""Issue 21: a big worksheet that openpyxl streams is read on by a child process
(hospital_app/importers/child_reader.py) while the import works on the rows before. The rows must
be exactly those the in-process reader gives, a sheet the child cannot parse must give the user the
same error, a reader closed early must not leave a process behind, and an import must still work
where no process can be started."""

from __future__ import annotations

import multiprocessing
from datetime import datetime
from pathlib import Path

import pytest
from openpyxl import Workbook

from hospital_app.errors import BadInput
from hospital_app.importers import child_reader, reader
from hospital_app.importers.reader import XlsxSource
from tests.reliability.test_formula_scan import _workbook

HEAD = 3  # rows the parent reads itself before the child takes over (HEAD_ROWS, made small)


@pytest.fixture(autouse=True)
def _small_head(monkeypatch):
    monkeypatch.setattr(reader, "HEAD_ROWS", HEAD)


@pytest.fixture
def spy(monkeypatch):
    """Counts the child readers started (``child_reader.rows`` returning a reader, not None)."""
    started = []
    real = child_reader.rows

    def rows(*args, **kwargs):
        out = real(*args, **kwargs)
        started.append(out is not None)
        return out

    monkeypatch.setattr(child_reader, "rows", rows)
    return started


def _book(path: Path, n: int, formula_row: int | None = None) -> Path:
    wb = Workbook()
    ws = wb.active
    ws.title = "科室发药"
    ws.append(["发药日期", "科室名称", "药品名称", "发药数量", "备注"])
    for i in range(n):
        ws.append([datetime(2026, 1, 1 + i % 28), f"科室{i % 7}", f"药品 {i}", i - 5 if i % 11 else 1.5,
                   None if i % 3 else "退药"])
    if formula_row:
        ws.cell(formula_row, 4).value = "=SUM(D2:D3)"
    wb.save(path)
    return path


def _read(path: Path, in_child: bool, formulas: bool, sheet: str = "科室发药") -> list:
    source = XlsxSource(path, formulas=formulas, in_child=in_child)
    try:
        return list(source.rows(sheet))
    finally:
        source.close()


@pytest.mark.parametrize("formulas", [False, True])
def test_the_child_gives_the_rows_the_in_process_reader_gives(tmp_path, spy, formulas):
    """GIVEN a 60-line sheet (dates, texts, negative and decimal numbers, empty cells; with
    ``formulas`` a formula cell in row 40) WHEN read in-process and with the child taking over after
    row 3 THEN both give the same row numbers, values and formula columns, and a child did read."""
    path = _book(tmp_path / "d.xlsx", 60, formula_row=40 if formulas else None)
    here = _read(path, in_child=False, formulas=formulas)
    there = _read(path, in_child=True, formulas=formulas)
    assert spy == [True]
    assert there == here
    assert [r[0] for r in there] == list(range(1, 62))
    if formulas:
        assert there[39][2] == (3,) and there[39][1][3] == "=SUM(D2:D3)"


def test_a_short_sheet_never_starts_a_process(tmp_path, spy):
    """GIVEN a sheet of a header and two lines (within the rows the parent reads itself) WHEN read with
    the child allowed THEN no process is started (the header search and short files stay in-process)."""
    path = _book(tmp_path / "short.xlsx", 2)
    assert _read(path, in_child=True, formulas=False) == _read(path, in_child=False, formulas=False)
    assert spy == []


def _with_bad_number(path: Path, bad_row: int, rows: int = 20) -> Path:
    """A workbook (sheet "明细") whose numeric cell at ``bad_row`` holds letters: well-formed XML that
    openpyxl cannot convert."""
    cells = "".join(f'<row r="{r}"><c r="A{r}" t="inlineStr"><is><t>行{r}</t></is></c><c r="B{r}"><v>'
                    f'{"abc" if r == bad_row else r}</v></c></row>' for r in range(1, rows + 1))
    return _workbook(path, cells)


def test_a_cell_the_child_cannot_read_gives_the_in_process_error(tmp_path, spy):
    """GIVEN a sheet whose row 12 holds letters in a numeric cell WHEN read in-process and through the
    child THEN both raise the same error for the user: file, sheet, row 12 and the same words (the
    parent words it; nothing of the child's reaches the user)."""
    path = _with_bad_number(tmp_path / "bad.xlsx", 12)
    with pytest.raises(BadInput) as here:
        _read(path, in_child=False, formulas=False, sheet="明细")
    with pytest.raises(BadInput) as there:
        _read(path, in_child=True, formulas=False, sheet="明细")
    assert spy == [True]
    assert (there.value.message, there.value.file, there.value.sheet, there.value.row) == \
        (here.value.message, here.value.file, here.value.sheet, here.value.row)
    assert (there.value.sheet, there.value.row) == ("明细", 12)


def test_a_reader_closed_early_leaves_no_process(tmp_path, spy):
    """GIVEN a 400-line sheet read through the child WHEN the caller stops after 10 rows (an import
    stopped at a bad line) THEN the child process is gone once the reader is closed."""
    path = _book(tmp_path / "big.xlsx", 400)
    source = XlsxSource(path, formulas=False, in_child=True)
    rows = source.rows("科室发药")
    taken = [next(rows) for _ in range(10)]
    assert [r[0] for r in taken] == list(range(1, 11)) and spy == [True]
    assert any(p.name == "xlsx-reader" for p in multiprocessing.active_children())
    rows.close()
    source.close()
    assert not [p for p in multiprocessing.active_children() if p.name == "xlsx-reader"]


def test_where_no_process_can_be_started_the_sheet_is_read_in_process(tmp_path, monkeypatch, spy):
    """GIVEN an operating system that refuses to start a process WHEN a big sheet is read THEN every
    row still comes, read in-process, the same as without the child."""
    path = _book(tmp_path / "d.xlsx", 30)

    def refuse(self):
        raise OSError("not permitted")

    monkeypatch.setattr(multiprocessing.get_context("spawn").Process, "start", refuse)
    assert _read(path, in_child=True, formulas=False) == _read(path, in_child=False, formulas=False)
    assert spy == [False]


@pytest.mark.parametrize("setting, size, expected", [
    (None, child_reader.MIN_BYTES, True), (None, child_reader.MIN_BYTES - 1, False),
    ("0", 1, True), ("off", 10 ** 9, False), ("OFF ", 10 ** 9, False), ("2.5", 3 * 2 ** 20, True),
    ("2.5", 2 * 2 ** 20, False), ("abc", child_reader.MIN_BYTES, True), ("abc", 1, False),
])
def test_which_sheets_go_to_the_child(monkeypatch, setting, size, expected):
    """GIVEN the environment setting (unset: the 32 MB default; a number of MB; "off"; nonsense: the
    default) WHEN a workbook's largest sheet has ``size`` bytes THEN it is read by a child or not."""
    if setting is None:
        monkeypatch.delenv(child_reader.ENV, raising=False)
    else:
        monkeypatch.setenv(child_reader.ENV, setting)
    assert child_reader.wanted(size) is expected


def test_an_import_through_the_child_writes_what_an_in_process_import_writes(tmp_path, monkeypatch, spy):
    """GIVEN a 40-line purchases workbook that goes to openpyxl WHEN imported with the child reader
    (``HOSPITAL_APP_READER_PROCESS_MB=0``; a child did read) and, into another database, without it
    (``off``; none did) THEN both report the same counts, problems and lines."""
    from db.models import Purchase
    from db.session import open_database
    from hospital_app.services.importing import import_file
    from sqlalchemy import select

    monkeypatch.setattr(reader, "CALAMINE_MAX_BYTES", 0)
    wb = Workbook()
    ws = wb.active
    ws.title = "采购明细"
    ws.append(["采购日期", "通用名", "剂型", "规格", "生产企业", "采购数量", "单位", "采购金额（元）", "配送企业"])
    for i in range(40):
        ws.append([datetime(2025, 3, 1 + i % 28), "阿莫西林胶囊", "胶囊剂", "0.25g", "华北制药", 10 + i, "粒",
                   12.5 * (i + 1), "国药控股"])
    path = tmp_path / "p.xlsx"
    wb.save(path)
    seen = {}
    for mode in ("0", "off"):
        monkeypatch.setenv(child_reader.ENV, mode)
        db = open_database(str(tmp_path / f"{mode}.db"))
        with db.session() as s:
            result = import_file(s, "purchases", path, who="test")
            s.commit()
            lines = s.execute(select(Purchase.purchase_date, Purchase.quantity, Purchase.amount, Purchase.source_row)
                              .order_by(Purchase.source_row)).all()
        db.dispose()
        seen[mode] = (result.inserted, result.errors, [tuple(r) for r in lines])
        assert (True in spy) is (mode == "0")
        spy.clear()
    assert seen["0"] == seen["off"]
    assert seen["0"][0] == 40 and len(seen["0"][2]) == 40
