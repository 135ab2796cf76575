"""R18 surplus-retention estimate as a workbook: one row per product and agreement year with
every input, the total, and the generic names left out of the volume report (R13 v2).

Text is never written as a formula (CLI.md): text cells carry ``data_type = "s"``.
"""

from __future__ import annotations

from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from hospital_app.i18n import tr

_HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")

# (attribute, zh, en, width, kind)
COLUMNS = (
    ("batch", "批次", "Batch", 24, "text"), ("generic_name", "通用名", "Generic name", 20, "text"),
    ("spec", "规格", "Spec", 12, "text"), ("manufacturer", "生产企业", "Manufacturer", 24, "text"),
    ("year", "协议年度", "Agreement year", 9, "int"), ("period_start", "协议期开始", "Period start", 12, "date"),
    ("period_end", "协议期结束", "Period end", 12, "date"), ("reported", "报量", "Reported", 11, "int"),
    ("counted", "计入采购量", "Counted purchases", 12, "int"),
    ("pre_vbp_unit_price", "集采前单价", "Pre-VBP unit price", 12, "price"),
    ("price_source", "单价来源", "Price from", 14, "source"),
    ("selected_unit_price", "中选单价", "Selected unit price", 12, "price"),
    ("saving", "节约金额", "Saving", 14, "money"), ("rate", "留用比例", "Rate", 9, "pct"),
    ("estimate", "结余留用估算", "Estimated retention", 14, "money"), ("note", "说明", "Note", 40, "text"),
)


def _text(ws, row: int, col: int, value):
    cell = ws.cell(row=row, column=col)
    if value not in (None, ""):
        cell.value = str(value)
        cell.data_type = "s"
    return cell


def source_label(source: str | None) -> str:
    return {"history": tr("执行前 12 个月均价", "average of the 12 months before"),
            "reference": tr("参考价", "reference price")}.get(source or "", "")


def write_retention(path: str | Path, report, hospital_name: str) -> Path:
    path = Path(path)
    wb = Workbook()
    ws = wb.active
    ws.title = tr("结余留用估算", "Retention estimate")
    last = get_column_letter(len(COLUMNS))
    _text(ws, 1, 1, tr("{h}集中带量采购结余留用估算（截至 {d}，估算值，以医保部门核定为准）",
                       "{h} VBP surplus retention estimate (as of {d}; an estimate, the bureau decides)",
                       h=hospital_name or "", d=report.as_of.isoformat())).font = Font(size=13, bold=True)
    ws.merge_cells(f"A1:{last}1")
    _text(ws, 2, 1, tr("节约金额 = (集采前单价 − 中选单价) × min(报量, 计入采购量)；估算 = 节约金额 × 留用比例",
                       "Saving = (pre-VBP unit price − selected unit price) × min(reported, counted); "
                       "estimate = saving × rate")).font = Font(size=9, color="595959")
    ws.merge_cells(f"A2:{last}2")
    for c, (_a, zh, en, width, _k) in enumerate(COLUMNS, start=1):
        cell = _text(ws, 3, c, tr(zh, en))
        cell.font, cell.fill = Font(bold=True), _HEADER_FILL
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        ws.column_dimensions[get_column_letter(c)].width = width
    r = 3
    for r, row in enumerate(report.rows, start=4):
        for c, (attr, _zh, _en, _w, kind) in enumerate(COLUMNS, start=1):
            value = getattr(row, attr)
            if kind == "text":
                _text(ws, r, c, value)
            elif kind == "source":
                _text(ws, r, c, source_label(value))
            else:
                cell = ws.cell(row=r, column=c, value=value)
                cell.number_format = {"int": "#,##0", "date": "yyyy-mm-dd", "price": "0.0000",
                                      "money": "#,##0.00", "pct": "0%"}[kind]
    total_row = r + 1
    _text(ws, total_row, 1, tr("合计", "Total")).font = Font(bold=True)
    cell = ws.cell(row=total_row, column=15, value=report.total)
    cell.number_format, cell.font = "#,##0.00", Font(bold=True)
    ws.freeze_panes = "C4"
    if report.left_out:
        ws2 = wb.create_sheet(tr("未报量提醒", "Not reported"))
        _text(ws2, 1, 1, tr("以下中选品种在基线年度有采购，但不在报量中（未报量的品种不予拨付结余留用资金）",
                            "These selected generic names were bought in the baseline year but are missing from the "
                            "volume report (nothing is paid for them)")).font = Font(bold=True)
        for c, h in enumerate((tr("批次", "Batch"), tr("通用名", "Generic name"), tr("规格", "Spec"),
                               tr("基线年度采购量", "Bought in the baseline year")), start=1):
            _text(ws2, 2, c, h).font = Font(bold=True)
            ws2.column_dimensions[get_column_letter(c)].width = 24
        for i, x in enumerate(report.left_out, start=3):
            _text(ws2, i, 1, x.batch)
            _text(ws2, i, 2, x.generic_name)
            _text(ws2, i, 3, x.spec)
            ws2.cell(row=i, column=4, value=x.bought).number_format = "#,##0"
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
    return path
