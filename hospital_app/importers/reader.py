"""Streaming readers: xlsx (openpyxl read-only), xls (xlrd), CSV (UTF-8/BOM/GBK/GB18030).

Each reader lists its sheets and yields rows as ``(excel_row_number, values,
formula_columns)``: ``formula_columns`` holds the 0-based columns whose cell is a
formula, which ``Table.records`` reports (IMPORT.md: we never evaluate formulas).

- xlsx is read with ``data_only=False``: openpyxl marks a formula cell with
  ``data_type == "f"`` (its value is the "=..." text), so a *text* cell that merely
  starts with "=" ("=1+2制药") stays data. Iterating read-only cells costs the same
  as ``values_only`` (measured on 50 000 × 16 cells: the XML parse dominates).
- xls (xlrd) keeps no formulas, only their results.
- CSV has no cell types: a text starting with "=" counts as a formula there.

Memory stays flat: rows are produced one at a time.
"""

from __future__ import annotations

import codecs
import csv
import logging
import re
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from hospital_app.errors import BadInput
from hospital_app.i18n import tr
from hospital_app.importers import safety

log = logging.getLogger(__name__)

# openpyxl warns on stderr about odd cells ("serial value outside the limits for dates");
# the importer reports those cells itself, with sheet, row and column, in the user's language.
warnings.filterwarnings("ignore", category=UserWarning, module=r"openpyxl(\..*)?")

Row = tuple[int, list[object], tuple[int, ...]]

_NOTE_SHEET = re.compile(r"说明|备注|注意|填报要求|填表|封面|目录|readme|note|instruction|help|字典|参数", re.I)


@dataclass(frozen=True)
class SheetInfo:
    name: str
    hidden: bool = False
    note: bool = False  # a sheet of notes/instructions, by its name

    def as_dict(self) -> dict:
        return {"name": self.name, "hidden": self.hidden, "note": self.note}


def _sheet(name: str, hidden: bool) -> SheetInfo:
    return SheetInfo(name, hidden, bool(_NOTE_SHEET.search(name)))


def _damaged(file: str, sheet: str | None, exc: BaseException, row: int | None = None) -> BadInput:
    return BadInput(tr("文件内容已损坏，无法读取（{e}）。请在 Excel 中打开并另存为 .xlsx 后再试。",
                       "The file content is damaged and cannot be read ({e}). Open it in Excel, save as "
                       ".xlsx and try again.", e=type(exc).__name__),
                    file=file, sheet=sheet, row=row)


class XlsxSource:
    """openpyxl in read-only mode, rows streamed; formula cells known by their cell type."""

    def __init__(self, path: Path) -> None:
        import openpyxl

        safety.ensure_defusedxml()
        self.file = path.name
        try:
            self._wb = openpyxl.load_workbook(path, read_only=True, data_only=False, keep_links=False)
        except BadInput:
            raise
        except Exception as exc:  # noqa: BLE001 - any parser failure of an untrusted file
            raise _damaged(self.file, None, exc) from None
        self.sheets = [_sheet(ws.title, ws.sheet_state != "visible") for ws in self._wb.worksheets]

    def rows(self, sheet: str) -> Iterator[Row]:
        ws = self._wb[sheet]
        row_no = 0
        try:
            ws.reset_dimensions()  # some exporters write a wrong <dimension>; read what is there
            for row_no, cells in enumerate(ws.iter_rows(), start=1):
                values = [c.value for c in cells]
                formulas = tuple(i for i, c in enumerate(cells) if c.data_type == "f")
                for i in formulas:  # array / data-table formulas arrive as objects: keep their text
                    if not isinstance(values[i], str):
                        values[i] = getattr(values[i], "text", None) or "=?"
                yield row_no, values, formulas
        except BadInput:
            raise
        except Exception as exc:  # noqa: BLE001 - damaged XML inside a valid zip
            raise _damaged(self.file, sheet, exc, row_no + 1) from None

    def estimated_rows(self, sheet: str) -> int | None:
        try:
            ws = self._wb[sheet]
            return ws.max_row
        except Exception:  # noqa: BLE001 - only an estimate for the progress bar
            return None

    def close(self) -> None:
        try:
            self._wb.close()
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
                        values.append(v)
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
                    yield row_no, [v if v.strip() else None for v in values], formulas
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
        limits.scan_xlsx(path)
        return limits.Bounded(XlsxSource(path))
    return limits.Bounded(XlsSource(path) if kind == "xls" else CsvSource(path))

