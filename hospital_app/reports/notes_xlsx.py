"""R13: the explanatory notes as one xlsx row per volume-report line (for upload).

Text that came from a user or an imported file is written as a text cell, never a
formula (CLI.md): "=1+1" stays the four characters "=1+1".
"""

from __future__ import annotations

import os
import tempfile
from datetime import date
from pathlib import Path
from typing import Any, Sequence

from openpyxl import Workbook
from openpyxl.cell.cell import Cell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from hospital_app.domain import volume_check as vc
from hospital_app.i18n import tr

from hospital_app.reports.model import Identity, NoteDoc

_HEAD_FILL = PatternFill("solid", fgColor="E6E9EF")


def _status_label(status: str) -> str:
    return {"signed": tr("已签字", "signed"), "draft": tr("草稿", "draft")}.get(
        status, tr("待审核", "to review"))


def _columns() -> list[tuple[str, float]]:
    return [
        (tr("序号", "No."), 6), (tr("报量明细ID", "Line ID"), 10), (tr("报量名称", "Report"), 22),
        (tr("产品编码", "Product code"), 16), (tr("通用名", "Generic name"), 22),
        (tr("剂型", "Form"), 10), (tr("规格", "Spec"), 14), (tr("生产企业", "Manufacturer"), 22),
        (tr("基线年度", "Baseline year"), 10), (tr("基线采购量", "Baseline"), 12),
        (tr("申报量", "Reported"), 12), (tr("变化幅度", "Change"), 10),
        (tr("触发情形", "Threshold"), 16), (tr("近12个月采购量", "Last 12 months"), 40),
        (tr("趋势", "Trend"), 8), (tr("原因", "Reasons"), 26), (tr("补充说明", "Free text"), 40),
        (tr("说明全文", "Note"), 70), (tr("状态", "Status"), 10), (tr("签字人", "Signed by"), 12),
        (tr("签字时间", "Signed at"), 18),
    ]


def _put(cell: Cell, value: Any) -> None:
    """Numbers as numbers; every string as a text cell (never a formula)."""
    cell.value = value
    if isinstance(value, str):
        cell.data_type = "s"
        if value[:1] in ("=", "+", "-", "@"):
            cell.quotePrefix = True  # Excel shows it as typed, even after an edit


def write_notes_xlsx(path: str | os.PathLike, views: Sequence[NoteDoc], *, as_of: date,
                     identity: Identity) -> Path:
    """Write one row per line that needs a note (R13); atomically replaces ``path``."""
    path = Path(path)
    wb = Workbook()
    ws = wb.active
    ws.title = tr("报量说明", "Notes")
    columns = _columns()
    for c, (title, width) in enumerate(columns, start=1):
        cell = ws.cell(row=1, column=c, value=title)
        cell.font = Font(bold=True)
        cell.fill = _HEAD_FILL
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        ws.column_dimensions[get_column_letter(c)].width = width
    ws.freeze_panes = "A2"
    wrap = Alignment(vertical="top", wrap_text=True)
    for i, v in enumerate(views, start=1):
        values: list[Any] = [
            i, v.line_id, v.report_name, v.product_code, v.generic_name, v.dosage_form,
            v.spec, v.manufacturer, v.baseline_year, v.baseline, v.reported,
            vc.round_ratio(v.change), vc.threshold_label(v.reason),
            tr("，", ", ").join(f"{m}: {q}" for m, q in v.months) if v.months_covered else v.coverage,
            vc.trend_label(v.trend) if v.months_covered else "", tr("、", ", ").join(v.reasons), v.free_text,
            "\n".join(v.text), _status_label(v.status), v.signed_by,
            v.signed_at.strftime("%Y-%m-%d %H:%M") if v.signed_at else "",
        ]
        for c, value in enumerate(values, start=1):
            cell = ws.cell(row=i + 1, column=c)
            _put(cell, value)
            cell.alignment = wrap
        ws.cell(row=i + 1, column=12).number_format = "0.00%"
    meta = wb.create_sheet(tr("说明", "About"))
    _put(meta.cell(row=1, column=1), tr("报量情况说明", "Volume report notes"))
    _put(meta.cell(row=2, column=1), tr("统计日期：{d}", "As of {d}", d=as_of.isoformat()))
    _put(meta.cell(row=4, column=1), tr("填报单位：{h}　负责科室：{d}　负责人：{r}　联系方式：{c}",
                                        "Hospital: {h} · department: {d} · responsible: {r} · contact: {c}",
                                        h=identity.name, d=identity.department, r=identity.responsible,
                                        c=identity.contact))
    _put(meta.cell(row=3, column=1), tr(
        "仅列出变化幅度低于 -20% 或高于 +150% 以及无历史采购量的报量明细。",
        "Only lines below -20 %, above +150 % or without purchase history are listed."))
    meta.column_dimensions["A"].width = 80

    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=".xlsx", dir=str(path.parent))
    os.close(fd)
    try:
        wb.save(tmp)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path
