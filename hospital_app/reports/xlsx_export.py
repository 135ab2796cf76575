"""``export progress --out FILE.xlsx``: the progress table (R7/R8/R9) as a workbook a
pharmacist can hand in — title with hospital and as-of date, frozen header, column
widths, number formats, status colours, autofilter, A4 landscape print setup.

CLI.md: text that came from a user or an imported file is never written as a formula.
openpyxl turns any str starting with "=" into a formula, so every text cell is
written with ``data_type = "s"`` explicitly (``_text``).
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from hospital_app.domain.status import flag_label, status_label
from hospital_app.i18n import tr

# (key of ProgressRow.as_dict(), zh, en, width, kind)
COLUMNS: tuple[tuple[str, str, str, int, str], ...] = (
    ("batch", "批次", "Batch", 26, "text"),
    ("generic_name", "通用名", "Generic name", 22, "text"),
    ("dosage_form", "剂型", "Form", 8, "text"),
    ("spec", "规格", "Spec", 12, "text"),
    ("manufacturer", "生产企业", "Manufacturer", 26, "text"),
    ("unit", "单位", "Unit", 6, "text"),
    ("period_start", "协议期开始", "Period start", 12, "date"),
    ("period_end", "协议期结束", "Period end", 12, "date"),
    ("agreed_volume", "约定采购量", "Agreed volume", 12, "int"),
    ("target_to_date", "序时目标", "Target to date", 11, "int"),
    ("purchased", "已采购", "Purchased", 11, "int"),
    ("completion", "完成进度", "Completion", 10, "pct"),
    ("schedule", "序时进度", "Schedule", 10, "pct"),
    ("status", "状态", "Status", 11, "status"),
    ("shortfall", "缺口", "Shortfall", 10, "int"),
    ("remaining", "剩余量", "Remaining", 10, "int"),
    ("nonselected_share", "非中选占比", "Non-selected share", 11, "pct"),
    ("flags", "提示", "Notes", 30, "text"),
    ("lag_reason", "未完成原因", "Reason for lagging", 30, "text"),
)

STATUS_FILLS = {
    "completed": "C6EFCE",  # green
    "on_track": "E2EFDA",
    "behind": "FFEB9C",  # amber
    "severely_behind": "FFC7CE",  # red
    "not_started": "F8CBAD",
    "exempt": "D9D9D9",
}

_THIN = Side(style="thin", color="BFBFBF")
_BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")


def _text(ws: Worksheet, row: int, col: int, value: Any):
    """A text cell that stays text: a leading '=' is not a formula (CLI.md)."""
    cell = ws.cell(row=row, column=col)
    if value is None:
        return cell
    cell.value = str(value)
    cell.data_type = "s"
    return cell


def _row_dict(row: Any) -> dict:
    return row.as_dict() if hasattr(row, "as_dict") else dict(row)


def export_progress(path: str | Path, report: Any, hospital_name: str, as_of: date) -> Path:
    """Write ``report`` (a ProgressReport or anything with ``rows`` of ``as_dict()``) to ``path``."""
    path = Path(path)
    wb = Workbook()
    ws = wb.active
    ws.title = tr("执行进度", "Progress")
    ncol = len(COLUMNS)
    last = get_column_letter(ncol)

    title = tr("{h}集中带量采购执行进度表（截至 {d}）", "{h} VBP execution progress (as of {d})",
               h=hospital_name or "", d=as_of.isoformat())
    _text(ws, 1, 1, title).font = Font(size=14, bold=True)
    ws.merge_cells(f"A1:{last}1")
    ws["A1"].alignment = Alignment(horizontal="center", vertical="center")
    ws.row_dimensions[1].height = 26
    _text(ws, 2, 1, tr("完成进度 = 已采购 ÷ 约定采购量；序时进度按约定采购量按月均摊累计；非中选占比 = 同通用名非中选产品采购量 ÷ "
                       "同通用名采购总量。",
                       "Completion = purchased ÷ agreed volume; schedule: the agreed volume spread evenly per month, "
                       "cumulative; non-selected share = non-selected units ÷ all units of the generic name.")).font = Font(size=9, color="595959")
    ws.merge_cells(f"A2:{last}2")

    header_row = 3
    for c, (_key, zh, en, width, _kind) in enumerate(COLUMNS, start=1):
        cell = _text(ws, header_row, c, tr(zh, en))
        cell.font = Font(bold=True)
        cell.fill = _HEADER_FILL
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        cell.border = _BORDER
        ws.column_dimensions[get_column_letter(c)].width = width

    rows = list(getattr(report, "rows", report))
    r = header_row
    for r, row in enumerate((_row_dict(x) for x in rows), start=header_row + 1):
        status = row.get("status")
        fill = PatternFill("solid", fgColor=STATUS_FILLS[status]) if status in STATUS_FILLS else None
        for c, (key, _zh, _en, _w, kind) in enumerate(COLUMNS, start=1):
            value = row.get(key)
            if kind == "text":
                if isinstance(value, (list, tuple)):  # flags: codes → words a pharmacist reads
                    value = tr("、", ", ").join(flag_label(str(v)) for v in value) or None
                cell = _text(ws, r, c, value)
            elif kind == "status":
                cell = _text(ws, r, c, status_label(value))
                if fill is not None:
                    cell.fill = fill
            elif kind == "date":
                cell = ws.cell(row=r, column=c, value=date.fromisoformat(value) if isinstance(value, str) else value)
                cell.number_format = "yyyy-mm-dd"
            elif kind == "pct":
                cell = ws.cell(row=r, column=c, value=None if value is None else float(value))
                cell.number_format = "0.00%"
            else:
                cell = ws.cell(row=r, column=c, value=None if value is None else int(value))
                cell.number_format = "#,##0"
            cell.border = _BORDER

    ws.freeze_panes = ws.cell(row=header_row + 1, column=3)
    ws.auto_filter.ref = f"A{header_row}:{last}{max(r, header_row)}"
    ws.print_title_rows = f"{header_row}:{header_row}"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_options.horizontalCentered = True
    ws.page_margins.left = ws.page_margins.right = 0.4
    ws.oddFooter.center.text = tr("第 &P 页，共 &N 页", "Page &P of &N")
    path.parent.mkdir(parents=True, exist_ok=True)
    # Owner-only and atomic like every other output (mkstemp makes 0600; issue 23 §14).
    import os
    import tempfile

    fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=".xlsx", dir=str(path.parent))
    os.close(fd)
    try:
        wb.save(tmp)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path
