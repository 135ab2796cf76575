"""From a file to records: pick the sheet, find the header, map columns, skip non-data rows.

``open_table(path, kind, ...)`` returns a ``Table`` whose ``records()`` yields one
``Record`` per data row: field → raw cell value, with the Excel row number. Title
rows, blank rows, repeated headers, totals (合计/总计/小计) and notes under the table
are skipped here, so the import services see only data.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

from hospital_app.domain.normalize import clean_text, to_halfwidth
from hospital_app.errors import BadInput
from hospital_app.i18n import tr
from hospital_app.importers.headers import (
    HEADER_SCAN_ROWS,
    KIND_REQUIRED,
    Header,
    canonical_field,
    compact,
    detect_header,
    field_label,
    missing_required,
    normalize_header,
)
from hospital_app.importers.reader import SheetInfo, open_source

_TOTAL = re.compile(r"^(合计|总计|小计|总合计|合计金额|本页合计|本页小计|本表合计|累计|共计)[:：]?")
# Lines under (or between) the table that are not data. "共 12 条" but not "共轭雌激素片".
_NOTE = re.compile(r"^(注|备注|说明|填表|填报|制表|审核|负责人|经办人|数据来源|导出|打印|单位负责人|联系人|签字|盖章"
                   r"|数据截[止至]|截[止至]\s*\d|统计时间|统计日期|共\s*\d+\s*[条行笔项]|第\s*\d+\s*页|\*|※|\d+[.、])")
# Stop hunting for data after this many blank rows in a row (a stray cell far below).
MAX_BLANK_RUN = 10_000


@dataclass
class Record:
    row: int  # Excel row number
    values: dict[str, object]  # field → raw cell value
    formulas: set[str] = field(default_factory=set)  # fields whose cell is a formula (reader's cell type)


@dataclass
class Table:
    file: str
    kind: str
    sheet: str
    sheets: list[SheetInfo]
    header: Header
    _source: object
    user_mapping: dict[str, str] = field(default_factory=dict)

    def column(self, fname: str) -> str:
        return self.header.column_of(fname)

    def has(self, fname: str) -> bool:
        return fname in self.header.mapping

    def cell_ref(self, fname: str, row: int) -> str:
        from openpyxl.utils import get_column_letter

        idx = self.header.mapping.get(fname)
        return f"{get_column_letter(idx + 1)}{row}" if idx is not None else str(row)

    def estimated_rows(self) -> int | None:
        n = self._source.estimated_rows(self.sheet)
        return None if n is None else max(0, n - self.header.row)

    def close(self) -> None:
        self._source.close()

    def raw_rows(self, limit: int | None = None) -> Iterator[tuple[int, list[object]]]:
        """Rows below the header as read (for the preview)."""
        count = 0
        for row_no, values, _f in self._source.rows(self.sheet):
            if row_no <= self.header.row:
                continue
            if limit is not None and count >= limit:
                return
            count += 1
            yield row_no, values

    def records(self) -> Iterator[Record]:
        mapping = self.header.mapping
        items = sorted(mapping.items(), key=lambda kv: kv[1])
        required_cols = _required_columns(self.kind, mapping)
        first_col = items[0][1] if items else 0
        header_texts = self.header.texts
        # First characters of the header texts: a cheap filter before comparing whole texts.
        header_starts = {t[:1] for t in header_texts}
        blank_run = 0
        ended = False
        for row_no, values, formulas in self._source.rows(self.sheet):
            if row_no <= self.header.row:
                continue
            if not any(v is not None and (not isinstance(v, str) or v.strip()) for v in values):
                blank_run += 1
                if blank_run > MAX_BLANK_RUN:
                    return
                continue
            blank_run = 0
            width = len(values)
            if any(isinstance(v, str) and "计" in v for v in values[:12]):
                texts = [clean_text(v).replace(" ", "") for v in values[:12] if isinstance(v, str)][:6]
                if any(_TOTAL.match(t) for t in texts):
                    if any(t.startswith(("合计", "总计", "总合计")) for t in texts):
                        ended = True
                    continue
            present = [i for i in required_cols if i < width and not _blank(values[i])]
            if not present:
                continue  # a note, a section title or a stray cell: nothing this kind needs
            if len(present) < len(required_cols) or ended:
                nonblank = [v for v in values if not _blank(v)]
                if len(nonblank) <= 2 and isinstance(nonblank[0], str) and _NOTE.match(clean_text(nonblank[0])):
                    continue
                if ended and len(present) < len(required_cols):
                    continue  # notes below the totals
                if _repeats_header(nonblank, header_texts):
                    continue  # a title or one row of a two-row header repeated at a page break
            first = values[first_col] if first_col < width else None
            if (isinstance(first, str) and to_halfwidth(first.lstrip()[:1]) in header_starts
                    and compact(first) in header_texts and _repeats_header(values, header_texts)):
                continue  # the header repeated (multi-page exports)
            record = Record(row_no, {f: (values[i] if i < width else None) for f, i in items})
            if formulas:  # the reader knows which cells are formulas (not texts starting with "=")
                record.formulas = {f for f, i in items if i in formulas}
            yield record


def _repeats_header(values: list[object], header_texts: frozenset[str]) -> bool:
    """Every non-blank cell is a text of the header area (title, group or column title)."""
    seen = False
    for v in values:
        if _blank(v):
            continue
        if not isinstance(v, str) or compact(v) not in header_texts:
            return False
        seen = True
    return seen


def _blank(v: object) -> bool:
    return v is None or (isinstance(v, str) and not v.strip())


def _required_columns(kind: str, mapping: dict[str, int]) -> list[int]:
    cols = []
    for req in KIND_REQUIRED[kind]:
        for alt in (req if isinstance(req, tuple) else (req,)):
            if alt in mapping:
                cols.append(mapping[alt])
    return sorted(set(cols))


def parse_user_mapping(mapping: dict | None) -> dict[str, str]:
    """{field: header} (a saved mapping or JSON file) → {normalised header: field}."""
    if not mapping:
        return {}
    if not isinstance(mapping, dict):
        raise BadInput(tr("映射应为 JSON 对象：{\"字段\": \"表头\"}", "A mapping must be a JSON object {\"field\": \"header\"}"))
    result = {}
    for key, header in mapping.items():
        fname = canonical_field(str(key))
        if fname is None:
            raise BadInput(tr("映射中的字段“{k}”不认识。", "Unknown field '{k}' in the mapping.", k=key))
        if not isinstance(header, str) or not header.strip():
            raise BadInput(tr("映射中字段“{k}”的表头为空。", "Empty header for field '{k}' in the mapping.", k=key))
        result[normalize_header(header)[0]] = fname
    return result


def _head_rows(source, sheet: str) -> list[tuple[int, list[object]]]:
    rows = []
    for row_no, values, _f in source.rows(sheet):
        rows.append((row_no, values))
        if len(rows) >= HEADER_SCAN_ROWS:
            break
    return rows


def open_table(path: str | Path, kind: str, *, sheet: str | None = None, mapping: dict | None = None,
               max_mb: int = 200, extra_present: set[str] = frozenset(), strict: bool = True) -> Table:
    """Open ``path`` and locate the data of ``kind`` (IMPORT.md).

    The sheet is ``sheet`` when given, else the first visible, non-note sheet whose
    header holds the fields ``kind`` requires (hidden and note sheets are tried last).
    Missing required fields → BadInput naming them and listing the headers found.
    ``extra_present`` names required fields supplied otherwise (``--batch``).
    ``strict=False`` (the wizard's preview) returns the best sheet even when fields are missing.
    """
    path = Path(path)
    user = parse_user_mapping(mapping)
    source = open_source(path, max_mb)
    try:
        names = [s.name for s in source.sheets]
        if sheet is not None:
            if sheet not in names:
                raise BadInput(tr("找不到工作表“{s}”。文件中的工作表：{n}", "No sheet '{s}'. Sheets in the file: {n}",
                                  s=sheet, n="、".join(names)), file=path.name)
            order = [s for s in source.sheets if s.name == sheet]
        else:
            order = ([s for s in source.sheets if not s.hidden and not s.note]
                     + [s for s in source.sheets if s.hidden or s.note])
        best: tuple[int, SheetInfo, Header | None, list[str]] | None = None
        for info in order:
            header = detect_header(_head_rows(source, info.name), kind, user)
            if header is None:
                if best is None:
                    best = (-1, info, None, [])
                continue
            missing = missing_required(kind, header.mapping, extra_present)
            if not missing:
                return Table(path.name, kind, info.name, source.sheets, header, source, user)
            if best is None or header.score > best[0]:
                best = (header.score, info, header, missing)
        if best is None:
            raise BadInput(tr("文件中没有工作表。", "The file has no sheets."), file=path.name)
        _score, info, header, missing = best
        if header is not None and not strict:
            return Table(path.name, kind, info.name, source.sheets, header, source, user)
        if header is None and not strict:
            empty = Header(row=0, first_row=0, columns=[], hints=[])
            return Table(path.name, kind, info.name, source.sheets, empty, source, user)
        if header is None:
            raise BadInput(tr("在工作表“{s}”的前 {n} 行中找不到表头（例如“通用名”“规格”“采购数量”）。"
                              "请检查文件，或在导入向导中手动指定列。",
                              "No header found in the first {n} rows of sheet '{s}' (e.g. 通用名, 规格, 采购数量). "
                              "Check the file or map the columns by hand in the import wizard.",
                              s=info.name, n=HEADER_SCAN_ROWS), file=path.name, sheet=info.name)
        found = "、".join(c for c in header.columns if c) or tr("（无）", "(none)")
        raise BadInput(tr("工作表“{s}”缺少必需的列：{m}。找到的表头：{h}。可用 --mapping 指定列对应关系。",
                          "Sheet '{s}' lacks required columns: {m}. Headers found: {h}. Use --mapping to map "
                          "columns.", s=info.name, m="、".join(missing), h=found),
                       file=path.name, sheet=info.name, row=header.row, column=missing[0])
    except BaseException:
        source.close()
        raise


__all__ = ["Record", "Table", "open_table", "parse_user_mapping", "field_label"]
