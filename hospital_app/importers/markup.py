"""".xls" files that are really markup (IMPORT.md v2 "File types lie"): HTML tables and Excel 2003
XML (SpreadsheetML), as platforms export them.

- HTML is read with the standard library's ``html.parser``: a tokenizer only — it fetches
  nothing, runs no script and knows no DTD, so a hostile page can do no more than be text. Each
  ``<table>`` is a sheet ("表1", "表2" …); ``colspan`` repeats nothing (the merged title sits in its
  first column, as openpyxl reports merged cells).
- SpreadsheetML is parsed with ``defusedxml.ElementTree.iterparse``: DTDs, entity declarations
  and external references are refused (billion laughs, XXE), and rows are streamed and cleared.
  ``ss:Index`` / ``ss:MergeAcross`` place cells; ``ss:Formula`` marks a formula cell, which the
  import refuses like a formula in xlsx.

Both yield ``(excel_row_number, values, formula_columns)`` like the other readers.
"""

from __future__ import annotations

import re
from datetime import datetime
from html.parser import HTMLParser
from pathlib import Path
from typing import Iterator

from hospital_app.errors import BadInput
from hospital_app.i18n import tr
from hospital_app.importers.reader_base import Row, SheetInfo, cell_text, damaged, sheet_info

_CHARSET = re.compile(rb"""charset\s*=\s*["']?([A-Za-z0-9_\-]+)""", re.I)


def _decode(data: bytes) -> str:
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="replace")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16", errors="replace")
    m = _CHARSET.search(data[:4096])
    for enc in ([m.group(1).decode("ascii")] if m else []) + ["utf-8", "gb18030"]:
        try:
            return data.decode(enc)
        except (LookupError, UnicodeDecodeError):
            continue
    return data.decode("gb18030", errors="replace")


class _Tables(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tables: list[list[list[object]]] = []
        self._depth = 0
        self._row: list[object] | None = None
        self._cell: list[str] | None = None
        self._span = 1

    def handle_starttag(self, tag, attrs):
        if tag == "table":
            self._depth += 1
            if self._depth == 1:
                self.tables.append([])
        elif self._depth == 1 and tag == "tr":
            self._row = []
        elif self._depth == 1 and tag in ("td", "th") and self._row is not None:
            self._cell = []
            span = dict(attrs).get("colspan") or "1"
            self._span = int(span) if span.isdigit() and 0 < int(span) <= 1000 else 1
        elif tag == "br" and self._cell is not None:
            self._cell.append("\n")

    def handle_endtag(self, tag):
        if tag == "table":
            self._depth = max(0, self._depth - 1)
        elif self._depth == 1 and tag in ("td", "th") and self._cell is not None and self._row is not None:
            text = cell_text("".join(self._cell).strip())
            self._row.append(text or None)
            self._row.extend([None] * (self._span - 1))
            self._cell = None
        elif self._depth == 1 and tag == "tr" and self._row is not None:
            self.tables[-1].append(self._row)
            self._row = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


class HtmlSource:
    """An HTML page with one or more tables (a platform's "Excel" export)."""

    def __init__(self, path: Path) -> None:
        self.file = path.name
        parser = _Tables()
        try:
            parser.feed(_decode(path.read_bytes()))
            parser.close()
        except Exception as exc:  # noqa: BLE001 - any parser failure of an untrusted file
            raise damaged(self.file, None, exc) from None
        self._tables = [t for t in parser.tables if t]
        if not self._tables:
            raise BadInput(tr("这个网页格式的文件里没有表格。", "This HTML file holds no table."), file=self.file)
        self.sheets = [sheet_info(tr("表{n}", "Table {n}", n=i + 1), False) for i in range(len(self._tables))]

    def rows(self, sheet: str) -> Iterator[Row]:
        index = [s.name for s in self.sheets].index(sheet)
        for n, values in enumerate(self._tables[index], start=1):
            formulas = tuple(i for i, v in enumerate(values) if isinstance(v, str) and v[:1] == "=" and len(v) > 1)
            yield n, list(values), formulas

    def estimated_rows(self, sheet: str) -> int | None:
        return len(self._tables[[s.name for s in self.sheets].index(sheet)])

    def close(self) -> None:
        pass


_SS = "urn:schemas-microsoft-com:office:spreadsheet"


def _q(tag: str) -> str:
    return "{%s}%s" % (_SS, tag)


class SpreadsheetMLSource:
    """Excel 2003 XML (SpreadsheetML), streamed through defusedxml."""

    def __init__(self, path: Path) -> None:
        self.file = path.name
        self._path = path
        names = []
        try:
            for _event, el in self._iter(("start",)):
                if el.tag == _q("Worksheet"):
                    names.append(el.get(_q("Name")) or tr("表{n}", "Sheet {n}", n=len(names) + 1))
        except BadInput:
            raise
        except Exception as exc:  # noqa: BLE001 - damaged or hostile XML
            raise damaged(self.file, None, exc) from None
        if not names:
            raise BadInput(tr("这个 XML 文件不是 Excel 工作簿（没有工作表）。",
                              "This XML file is not an Excel workbook (it has no worksheet)."), file=self.file)
        self.sheets = [sheet_info(n, False) for n in names]

    def _iter(self, events):
        from defusedxml import DefusedXmlException
        from defusedxml.ElementTree import iterparse

        try:
            yield from iterparse(str(self._path), events=events, forbid_dtd=True)
        except DefusedXmlException:
            raise BadInput(tr("XML 文件含有实体声明或外部引用，出于安全考虑拒绝导入。请在 Excel 中另存为 .xlsx 再导入。",
                              "The XML file declares entities or external references; refused for safety. Save it "
                              "as .xlsx in Excel and import that."), file=self.file) from None

    def rows(self, sheet: str) -> Iterator[Row]:
        current = None
        row_no = 0
        try:
            for event, el in self._iter(("start", "end")):
                if event == "start":
                    if el.tag == _q("Worksheet"):
                        current = el.get(_q("Name"))
                        row_no = 0
                    continue
                if el.tag == _q("Row"):
                    if current == sheet:
                        index = el.get(_q("Index"))
                        row_no = int(index) if index and index.isdigit() else row_no + 1
                        values, formulas = self._row(el)
                        yield row_no, values, formulas
                    el.clear()
                elif el.tag == _q("Worksheet") and current == sheet:
                    return
        except BadInput:
            raise
        except Exception as exc:  # noqa: BLE001
            raise damaged(self.file, sheet, exc, row_no + 1) from None

    @staticmethod
    def _row(el) -> tuple[list[object], tuple[int, ...]]:
        values: list[object] = []
        formulas = []
        for cell in el.findall(_q("Cell")):
            index = cell.get(_q("Index"))
            if index and index.isdigit() and int(index) - 1 > len(values):
                values.extend([None] * (int(index) - 1 - len(values)))
            data = cell.find(_q("Data"))
            value: object = None
            if data is not None:
                text = "".join(data.itertext())
                kind = data.get(_q("Type"))
                value = _typed(text, kind)
            if cell.get(_q("Formula")):
                formulas.append(len(values))
                value = cell.get(_q("Formula"))
            values.append(value)
            merge = cell.get(_q("MergeAcross"))
            if merge and merge.isdigit():
                values.extend([None] * min(int(merge), 1000))
        return values, tuple(formulas)

    def estimated_rows(self, sheet: str) -> int | None:
        return None

    def close(self) -> None:
        pass


def _typed(text: str, kind: str | None) -> object:
    if kind == "Number":
        try:
            return int(text) if re.fullmatch(r"-?\d+", text.strip()) else float(text)
        except ValueError:
            return cell_text(text)
    if kind == "DateTime":
        try:
            return datetime.fromisoformat(text.strip()[:19])
        except ValueError:
            return cell_text(text)
    if kind == "Boolean":
        return text.strip() in ("1", "true")
    return cell_text(text) if text.strip() else None
