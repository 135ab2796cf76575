"""Streaming readers: xlsx (openpyxl read-only), xls (xlrd), CSV (UTF-8/BOM/GBK/GB18030); HTML
tables and SpreadsheetML named .xls are in ``markup``. The content decides, never the name
(``safety.sniff``); every text cell passes through ``reader_base.cell_text``.

Each reader lists its sheets and yields rows as ``(excel_row_number, values,
formula_columns)``: ``formula_columns`` holds the 0-based columns whose cell is a
formula, which ``Table.records`` reports (IMPORT.md: we never evaluate formulas).

- xlsx: most workbooks are read by python-calamine (Rust; a monthly file in 0.25 s where
  openpyxl takes 2.2 s, issue 21) — when ``limits.scan_xlsx``, which reads every worksheet's
  bytes anyway, saw no formula, no error or ISO-date cell, and no worksheet over
  ``CALAMINE_MAX_BYTES`` (calamine holds a whole sheet in memory). Its values are given the
  shapes openpyxl gives (``_as_openpyxl``), so the rest of the import cannot tell the readers
  apart. Any other workbook is streamed by openpyxl (read-only) with ``data_only=False``:
  openpyxl marks a formula cell with ``data_type == "f"`` (its value is the "=..." text), so a
  *text* cell that merely starts with "=" ("=1+2制药") stays data; a workbook without any
  formula is read there as ``values_only`` (no cell object per cell). A sheet of at least
  ``child_reader.MIN_BYTES`` is read past its first ``HEAD_ROWS`` rows by a child process running
  the same row loop (``sheet_rows``), while the import works on the rows before (``child_reader``).
- xls (xlrd) keeps no formulas, only their results.
- CSV has no cell types: a text starting with "=" counts as a formula there.

Memory stays flat: rows are produced one at a time.
"""

from __future__ import annotations

import codecs
import csv
import io
import logging
import warnings
from datetime import date, datetime
from pathlib import Path
from typing import Iterator

from hospital_app.errors import BadInput
from hospital_app.i18n import tr
from hospital_app.importers import safety
from hospital_app.importers.reader_base import Row, SheetInfo, cell_text, damaged, sheet_info

log = logging.getLogger(__name__)

# openpyxl warns on stderr about odd cells ("serial value outside the limits for dates");
# the importer reports those cells itself, with sheet, row and column, in the user's language.
warnings.filterwarnings("ignore", category=UserWarning, module=r"openpyxl(\..*)?")

_sheet = sheet_info
_damaged = damaged


#: The largest worksheet part (uncompressed XML) read with python-calamine, which holds the whole
#: sheet in memory (~2 × the XML: a 100 000-line purchases sheet of 62 MB peaks at +116 MB).
#: Larger sheets (a million department-usage lines) are streamed by openpyxl.
CALAMINE_MAX_BYTES = 96 * 1024 * 1024

_EXACT_INT = 2 ** 53  # floats below this that are whole numbers are the integers openpyxl returns


def _as_openpyxl(values: list) -> list:
    """One row from python-calamine in the shapes openpyxl returns: an empty cell is None, not
    ""; a whole number is an int (Excel writes "14", which openpyxl reads as 14, calamine as
    14.0); a date-only cell is a datetime at midnight. Trailing empty cells are dropped."""
    out = []
    for v in values:
        cls = v.__class__
        if cls is str:
            v = cell_text(v) if v else None
        elif cls is float:
            if v.is_integer() and -_EXACT_INT < v < _EXACT_INT:
                v = int(v)
        elif cls is date:
            v = datetime(v.year, v.month, v.day)
        out.append(v)
    while out and out[-1] is None:
        out.pop()
    return out


class CalamineSource:
    """python-calamine: a formula-free workbook without error cells, one sheet at a time."""

    def __init__(self, path: Path) -> None:
        from python_calamine import CalamineWorkbook, SheetTypeEnum, SheetVisibleEnum

        self.file = path.name
        self._sheet_name: str | None = None
        self._sheet = None
        try:
            # From the bytes, not the path: calamine picks its parser by the name's extension, and
            # platforms name their xlsx exports .xls (IMPORT.md v2 "File types lie").
            self._wb = CalamineWorkbook.from_filelike(io.BytesIO(path.read_bytes()))
            self.sheets = [_sheet(m.name, m.visible != SheetVisibleEnum.Visible) for m in self._wb.sheets_metadata
                           if m.typ == SheetTypeEnum.WorkSheet]
        except Exception as exc:  # noqa: BLE001 - any parser failure of an untrusted file
            raise _damaged(self.file, None, exc) from None

    def _load(self, sheet: str):
        if self._sheet_name != sheet:
            self._sheet = None  # release the previous sheet first
            try:
                self._sheet = self._wb.get_sheet_by_name(sheet)
            except Exception as exc:  # noqa: BLE001 - damaged XML inside a valid zip
                raise _damaged(self.file, sheet, exc) from None
            self._sheet_name = sheet
        return self._sheet

    def rows(self, sheet: str) -> Iterator[Row]:
        data = self._load(sheet)
        # iter_rows (lighter than to_python: one row at a time) yields every row from the first,
        # its cells from the first used column: put back the columns before it, so that row and
        # column numbers are Excel's.
        pad = [None] * (data.start[1] if data.start else 0)
        row_no = 0
        try:
            for row_no, values in enumerate(data.iter_rows(), start=1):
                yield row_no, _as_openpyxl(pad + values if pad else values), ()
        except Exception as exc:  # noqa: BLE001 - a cell calamine cannot convert
            raise _damaged(self.file, sheet, exc, row_no + 1) from None

    def estimated_rows(self, sheet: str) -> int | None:
        return self._load(sheet).total_height

    def close(self) -> None:
        self._sheet = None
        try:
            self._wb.close()
        except Exception:  # noqa: BLE001 pragma: no cover - closing must not hide the real outcome
            log.debug("closing %s failed", self.file, exc_info=True)


def sheet_rows(ws, formulas: bool) -> Iterator[Row]:
    """The rows of an openpyxl read-only worksheet, numbered from 1 (``XlsxSource.rows``; the child
    reader runs the same loop). ``formulas=False``: plain values, no cell objects."""
    if not formulas:
        for row_no, cells in enumerate(ws.iter_rows(values_only=True), start=1):
            yield row_no, [cell_text(v) if v.__class__ is str else v for v in cells], ()
        return
    for row_no, cells in enumerate(ws.iter_rows(), start=1):
        values = [cell_text(v) if v.__class__ is str else v for v in (c.value for c in cells)]
        found = tuple(i for i, c in enumerate(cells) if c.data_type == "f")
        for i in found:  # array / data-table formulas arrive as objects: keep their text
            if not isinstance(values[i], str):
                values[i] = getattr(values[i], "text", None) or "=?"
        yield row_no, values, found


#: Rows read in-process before a big sheet is handed to the child reader: the header search and
#: the preview stop before this, so they never start a process.
HEAD_ROWS = 500


class XlsxSource:
    """openpyxl in read-only mode, rows streamed; formula cells known by their cell type."""

    def __init__(self, path: Path, formulas: bool = True, in_child: bool = False) -> None:
        """``formulas=False``: the caller knows that no worksheet holds a formula
        (``limits.scan_xlsx``), so cells are read as plain values. ``in_child``: a sheet read past
        its first ``HEAD_ROWS`` rows is read on by a child process (``child_reader``)."""
        import openpyxl

        safety.ensure_defusedxml()
        self.file = path.name
        self._path = path
        self._formulas = formulas
        self._in_child = in_child
        # A file object, not the path: openpyxl refuses a name ending in .xls, and platforms name
        # their xlsx exports .xls (IMPORT.md v2 "File types lie"); the content was sniffed already.
        self._fh = open(path, "rb")
        try:
            self._wb = openpyxl.load_workbook(self._fh, read_only=True, data_only=False, keep_links=False)
        except BadInput:
            self._fh.close()
            raise
        except Exception as exc:  # noqa: BLE001 - any parser failure of an untrusted file
            self._fh.close()
            raise self._damage(None, exc) from None
        self.sheets = [_sheet(ws.title, ws.sheet_state != "visible") for ws in self._wb.worksheets]

    def rows(self, sheet: str) -> Iterator[Row]:
        if not self._in_child:
            yield from self._rows_here(sheet)
            return
        here = self._rows_here(sheet)
        last = 0
        for row in here:
            if last >= HEAD_ROWS:  # a row past the head: a long sheet, the child reads on from it
                here.close()
                break
            yield row
            last = row[0]
        else:
            return  # the whole sheet was short
        from hospital_app.importers import child_reader

        rest = child_reader.rows(self._path, sheet, self._formulas, last,
                                 lambda exc, row: self._damage(sheet, exc, row))
        if rest is None:  # no process could be started: read on here
            rest = (row for row in self._rows_here(sheet) if row[0] > last)
        yield from rest

    def _rows_here(self, sheet: str) -> Iterator[Row]:
        ws = self._wb[sheet]
        row_no = 0
        try:
            ws.reset_dimensions()  # some exporters write a wrong <dimension>; read what is there
            for row in sheet_rows(ws, self._formulas):
                row_no = row[0]
                yield row
        except BadInput:
            raise
        except Exception as exc:  # noqa: BLE001 - damaged XML inside a valid zip
            raise self._damage(sheet, exc, row_no + 1) from None

    def _damage(self, sheet: str | None, exc: BaseException, row: int | None = None) -> BadInput:
        """The error for a part openpyxl could not parse. Ordinary parts skip the expat pass before
        reading (``limits.scan_xlsx``), so it runs now: it names the part and the line and column
        of the damage, where openpyxl only says "ParseError"."""
        from hospital_app.importers import limits

        try:
            limits.scan_xlsx(self._path, exact=True)
        except BadInput as precise:
            return BadInput(precise.message, file=self.file, sheet=precise.sheet or sheet, row=row)
        return _damaged(self.file, sheet, exc, row)

    def estimated_rows(self, sheet: str) -> int | None:
        try:
            ws = self._wb[sheet]
            return ws.max_row
        except Exception:  # noqa: BLE001 - only an estimate for the progress bar
            return None

    def close(self) -> None:
        try:
            self._wb.close()
            self._fh.close()
        except Exception:  # noqa: BLE001 pragma: no cover - closing must not hide the real outcome
            log.debug("closing %s failed", self.file, exc_info=True)


class XlsSource:
    """Old .xls workbooks (hospital information systems) through xlrd."""

    def __init__(self, path: Path) -> None:
        import xlrd

        self.file = path.name
        try:
            self._book = xlrd.open_workbook(str(path), on_demand=True, formatting_info=False)
        except Exception as exc:  # noqa: BLE001 - xlrd raises many kinds on bad input
            if "encrypt" in str(exc).lower():
                raise BadInput(tr("文件已加密（设置了密码），请在 Excel 中取消密码后再导入。",
                                  "The file is encrypted; remove the password in Excel and import again."),
                               file=self.file) from None
            raise BadInput(tr("这不是有效的 Excel 文件（.xls 已损坏或不受支持）。",
                              "This is not a valid Excel file (the .xls is damaged or unsupported)."),
                           file=self.file) from None
        self.sheets = []
        for i, name in enumerate(self._book.sheet_names()):
            try:
                hidden = bool(self._book.sheet_by_index(i).visibility)
            except Exception:  # noqa: BLE001 - a damaged sheet is treated as hidden
                hidden = True
            self.sheets.append(_sheet(name, hidden))

    def rows(self, sheet: str) -> Iterator[Row]:
        import xlrd

        r = 0
        try:
            sh = self._book.sheet_by_name(sheet)
            datemode = self._book.datemode
            for r in range(sh.nrows):
                values: list[object] = []
                for cell in sh.row(r):
                    ctype, v = cell.ctype, cell.value
                    if ctype in (xlrd.XL_CELL_EMPTY, xlrd.XL_CELL_BLANK):
                        values.append(None)
                    elif ctype == xlrd.XL_CELL_DATE:
                        values.append(xlrd.xldate.xldate_as_datetime(v, datemode))
                    elif ctype == xlrd.XL_CELL_BOOLEAN:
                        values.append(bool(v))
                    elif ctype == xlrd.XL_CELL_ERROR:
                        values.append(xlrd.error_text_from_code.get(v, "#ERR"))
                    else:
                        values.append(cell_text(v) if isinstance(v, str) else v)
                yield r + 1, values, ()
        except BadInput:
            raise
        except Exception as exc:  # noqa: BLE001
            raise _damaged(self.file, sheet, exc, r + 1) from None

    def estimated_rows(self, sheet: str) -> int | None:
        try:
            return self._book.sheet_by_name(sheet).nrows
        except Exception:  # noqa: BLE001
            return None

    def close(self) -> None:
        try:
            self._book.release_resources()
        except Exception:  # noqa: BLE001 pragma: no cover - closing must not hide the real outcome
            log.debug("closing %s failed", self.file, exc_info=True)


def detect_encoding(sample: bytes) -> str:
    """UTF-8 (with or without BOM) if the bytes decode as UTF-8, else GB18030 (⊇ GBK)."""
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    try:
        codecs.getincrementaldecoder("utf-8")().decode(sample, final=False)
        return "utf-8"
    except UnicodeDecodeError:
        return "gb18030"


class CsvSource:
    """A CSV export: one sheet named after the file; every value is text."""

    SAMPLE_BYTES = 256 * 1024

    def __init__(self, path: Path) -> None:
        self.file = path.name
        self._path = path
        with open(path, "rb") as fh:
            sample = fh.read(self.SAMPLE_BYTES)
        self.encoding = detect_encoding(sample)
        text = sample.decode(self.encoding, errors="ignore")
        first = text.splitlines()[:5]
        counts = {d: sum(line.count(d) for line in first) for d in (",", "\t", ";", "|")}
        self.delimiter = max(counts, key=lambda d: counts[d]) if any(counts.values()) else ","
        self.sheets = [SheetInfo(path.stem)]

    def rows(self, sheet: str) -> Iterator[Row]:
        row_no = 0
        try:
            with open(self._path, "r", encoding=self.encoding, errors="strict", newline="") as fh:
                for row_no, values in enumerate(csv.reader(fh, delimiter=self.delimiter), start=1):
                    formulas = tuple(i for i, v in enumerate(values) if v[:1] == "=" and len(v) > 1)
                    yield row_no, [cell_text(v) if v.strip() else None for v in values], formulas
        except UnicodeDecodeError:
            raise BadInput(tr("CSV 文件的文字编码无法识别（第 {r} 行附近）。请另存为 UTF-8 编码再导入。",
                              "The CSV text encoding is not recognised (near row {r}). Save it as UTF-8 and "
                              "import again.", r=row_no + 1), file=self.file, row=row_no + 1) from None
        except csv.Error as exc:
            raise BadInput(tr("CSV 格式错误（第 {r} 行）：{e}", "CSV format error (row {r}): {e}",
                              r=row_no + 1, e=exc), file=self.file, row=row_no + 1) from None

    def estimated_rows(self, sheet: str) -> int | None:
        return None

    def close(self) -> None:
        pass


def open_source(path: Path, max_mb: int):
    """Check the file (safety.sniff) and open the matching reader."""
    from hospital_app.importers import limits  # text bounds, same on every backend (issue 23 §4/§9)

    kind = safety.sniff(path, max_mb)
    if kind == "xlsx":
        # shared strings and cells bounded before a reader reads a byte; what to read it with, seen on the way
        facts = limits.scan_xlsx(path)
        if not facts.formulas and not facts.typed_cells and facts.largest_sheet <= CALAMINE_MAX_BYTES:
            return limits.Bounded(CalamineSource(path))
        from hospital_app.importers import child_reader

        return limits.Bounded(XlsxSource(path, formulas=facts.formulas,
                                         in_child=child_reader.wanted(facts.largest_sheet)))
    if kind == "xls":
        return limits.Bounded(XlsSource(path))
    if kind == "html":
        from hospital_app.importers.markup import HtmlSource

        return limits.Bounded(HtmlSource(path))
    if kind == "spreadsheetml":
        from hospital_app.importers.markup import SpreadsheetMLSource

        return limits.Bounded(SpreadsheetMLSource(path))
    return limits.Bounded(CsvSource(path))

