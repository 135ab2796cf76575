"""The bureau's execution report workbook (R20, 国采医疗机构带量执行报表): write it in the
bureau's own layout (one sheet, the 23 headers in row 1, one row per batch) and read a
filled one back.

CLI.md: text is never written as a formula (every text cell has ``data_type = "s"``).
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

from openpyxl import Workbook, load_workbook
from openpyxl.styles import Alignment, Font


from hospital_app.errors import BadInput
from hospital_app.i18n import tr

SHEET = "国采医疗机构带量执行报表"
#: The bureau's 23 columns in its order: (header, what fills it).
COLUMNS: tuple[tuple[str, str], ...] = (
    ("医疗机构", "hospital"), ("医疗机构编码", "hospital_code"), ("地区", "region"),
    ("批次名称", "batch"), ("批次开始时间", "start"), ("批次结束时间", "end"), ("序时进度", "schedule"),
    ("签约产品总数", "total"), ("零采购产品数", "zero"), ("零采购产品数占比", "zero_share"),
    ("低于序时进度产品数", "below_schedule"), ("低于序时进度产品数占比", "below_schedule_share"),
    ("超量采购产品数", "over_purchase"), ("超量采购产品数占比", "over_purchase_share"),
    ("正常采购产品数", "normal"), ("正常采购产品数占比", "normal_share"),
    ("对应非中选产品总数", "nonselected_total"), ("采购非中选产品数", "nonselected_bought"),
    ("非中选超量产品数", "nonselected_over_quantity"), ("非中选超额产品数", "nonselected_over_amount"),
    ("对应可替代产品总数", "substitute_total"), ("采购可替代产品数", "substitute_bought"),
    ("低于序时进度且非中选超量的产品数", "below_and_nonselected_over"),
)
HEADERS = tuple(h for h, _k in COLUMNS)
TEXT = {"hospital", "hospital_code", "region", "batch"}
DATES = {"start", "end"}
RATIOS = {"schedule", "zero_share", "below_schedule_share", "over_purchase_share", "normal_share"}


def _text_cell(ws, row: int, col: int, value: Any):
    cell = ws.cell(row=row, column=col)
    if value is not None and value != "":
        cell.value = str(value)
        cell.data_type = "s"  # never a formula, whatever the text starts with
    return cell


def write_bureau_report(path: str | Path, report, identity: dict[str, str]) -> Path:
    """R20: ``report`` (an ``IndicatorReport``) in the bureau's layout; ``identity``: hospital,
    hospital_code, region."""
    path = Path(path)
    wb = Workbook()
    ws = wb.active
    ws.title = SHEET
    header_font = Font(name="Arial", size=10)
    for c, header in enumerate(HEADERS, start=1):
        cell = _text_cell(ws, 1, c, header)
        cell.font = header_font
        cell.alignment = Alignment(horizontal="center", wrap_text=True)
    ws.row_dimensions[1].height = 53
    ws.column_dimensions["A"].width = 20
    ws.column_dimensions["G"].width = 15
    ws.freeze_panes = "A2"  # the bureau's template freezes the header row too (A4 there: same row)
    for r, b in enumerate(report.batches, start=2):
        values = b.as_dict()
        values.update(hospital=identity.get("hospital", ""), hospital_code=identity.get("hospital_code", ""),
                      region=identity.get("region", ""))
        values["start"], values["end"], values["schedule"] = b.start, b.end, b.schedule
        for c, (_h, key) in enumerate(COLUMNS, start=1):
            value = values.get(key)
            if key in TEXT:
                _text_cell(ws, r, c, value)
            elif key in DATES:
                cell = ws.cell(row=r, column=c, value=value)
                cell.number_format = "yyyy-mm-dd"
            elif key in RATIOS:
                share = b.share(key[:-6]) if key.endswith("_share") else value
                cell = ws.cell(row=r, column=c, value=None if share is None else round(float(share), 6))
                cell.number_format = "0.00%"
            else:
                ws.cell(row=r, column=c, value=int(value))
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
    return path


@dataclass
class BureauRow:
    """One batch row of the bureau's filled file: its counts by indicator key."""

    row: int
    batch: str
    counts: dict[str, int | None]


def _bad(path: Path, message_zh: str, message_en: str, **kw) -> BadInput:
    return BadInput(tr("{f}：" + message_zh, "{f}: " + message_en, f=path.name, **kw))


def _count(path: Path, sheet: str, row: int, header: str, value: Any) -> int | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        if isinstance(value, bool):
            raise ValueError
        number = Fraction(str(value).strip().replace(",", ""))
        if number.denominator != 1 or number < 0:
            raise ValueError
        return int(number)
    except (ValueError, ZeroDivisionError):
        raise _bad(path, "工作表“{s}”第 {r} 行“{c}”列应为非负整数：{v}",
                   "sheet '{s}' row {r} column '{c}' must be a whole number ≥ 0: {v}",
                   s=sheet, r=row, c=header, v=value) from None


def read_bureau_report(path: str | Path) -> list[BureauRow]:
    """R20: the count columns of the bureau's filled file (same layout; header row found
    in the first 10 rows of the first sheet that has it, columns matched by header)."""
    from hospital_app.domain.normalize import clean_text

    path = Path(path)
    if not path.is_file():
        raise BadInput(tr("找不到文件：{f}", "File not found: {f}", f=str(path)))
    try:
        wb = load_workbook(path, read_only=True, data_only=True)
    except Exception:  # openpyxl raises many kinds for a file that is not a workbook
        raise _bad(path, "无法读取，请提供 .xlsx 格式的执行报表", "cannot be read; give the report as .xlsx") from None
    try:
        for ws in wb.worksheets:
            rows = list(ws.iter_rows(values_only=True))
            for i, values in enumerate(rows[:10], start=1):
                names = [clean_text(v) if v is not None else "" for v in values]
                if "批次名称" not in names:
                    continue
                where = {h: names.index(h) for h in HEADERS if h in names}
                counts_keys = [(h, k) for h, k in COLUMNS if k not in TEXT | DATES | RATIOS]
                missing = [h for h, _k in counts_keys if h not in where]
                if len(missing) == len(counts_keys):
                    raise _bad(path, "工作表“{s}”第 {r} 行没有任何指标列", "sheet '{s}' row {r} has no indicator column",
                               s=ws.title, r=i)
                out = []
                for r, line in enumerate(rows[i:], start=i + 1):
                    line = list(line) + [None] * (len(names) - len(line))
                    batch = clean_text(line[where["批次名称"]]) if line[where["批次名称"]] is not None else ""
                    if not batch:
                        continue
                    counts = {k: (_count(path, ws.title, r, h, line[where[h]]) if h in where else None)
                              for h, k in counts_keys}
                    out.append(BureauRow(r, batch, counts))
                return out
        raise _bad(path, "前 10 行中找不到表头“批次名称”（应为国采医疗机构带量执行报表的格式）",
                   "no header '批次名称' in the first 10 rows (expected the bureau's execution report layout)")
    finally:
        wb.close()

