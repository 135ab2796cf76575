"""The self-check's charts and product tables (R7, R8): the per-batch burn-up drawn straight
on the canvas and the landscape product table, one per batch (issue 12: fast at 2 000 products);
and the R21 departments behind each problem row, looked up by row (``DepartmentIndex``)."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from reportlab.lib import colors
from reportlab.platypus import Flowable, Table

from hospital_app.domain.status import percent_text
from hospital_app.i18n import tr
from hospital_app.reports import document as doc
from hospital_app.reports.document import mm
from hospital_app.reports.model import DepartmentLine

STATUS_ORDER = ("completed", "on_track", "behind", "severely_behind", "not_started", "exempt")


def cn_number(n: int) -> str:
    """1 → 一, 10 → 十, 12 → 十二, 21 → 二十一 (section numbers)."""
    digits = "零一二三四五六七八九"
    if n <= 10:
        return "十" if n == 10 else digits[n]
    tens, ones = divmod(n, 10)
    return (digits[tens] if tens > 1 else "") + "十" + (digits[ones] if ones else "")


def pct(value: Any) -> str:
    """0.4167 → "41.67%" (ratios are fractions in data, percentages on paper)."""
    return percent_text(value)


def num(value: Any) -> str:
    """A whole quantity with thousands separators; blank for None."""
    return "" if value is None or value == "" else f"{int(value):,}"


def _nice_step(top: float) -> float:
    """A round step (1, 2, 2.5 or 5 × 10ⁿ; whole units, at least 1) giving at most about five
    grid lines up to ``top``."""
    import math

    raw = max(top, 5.0) / 5
    mag = 10 ** math.floor(math.log10(raw))
    factors = (1, 2, 2.5, 5, 10) if mag >= 10 else (1, 2, 5, 10)  # 2.5 only where it stays whole
    return float(next(f * mag for f in factors if f * mag >= raw))


class BurnUpChart(Flowable):
    """One batch's burn-up (R7/R8): cumulative purchases against the cumulative schedule and
    the agreed volume, per month — the picture of ``document.burnup_chart`` drawn straight on
    the canvas. The report draws one per batch (48 at hospital scale); reportlab's chart
    widgets expand each into hundreds of nodes, which took a quarter of the rendering
    (issue 12)."""

    LEFT, BOTTOM, RIGHT = 42.0, 30.0, 110.0

    def __init__(self, labels: list[str], purchased: list[float], schedule: list[float], *,
                 agreed: float | None, title: str, width: float = doc.CONTENT_WIDTH,
                 height: float = 62 * mm, money: bool = True) -> None:
        super().__init__()
        scale = 1.0 if money else 100.0  # without prices the values are fractions of the agreed volume: percent
        self.labels = list(labels)
        self.purchased, self.schedule = [v * scale for v in purchased], [v * scale for v in schedule]
        self.agreed = None if agreed is None else agreed * scale
        self.title, self.money = title, money
        self.width, self.height = width, height

    def wrap(self, avail_width: float, avail_height: float) -> tuple[float, float]:  # noqa: D102
        return self.width, self.height

    def _series(self) -> list[tuple[list[float], Any, float, list[float] | None, str]]:
        if self.money:
            names = (tr("累计采购金额", "Purchased (cumulative)"), tr("序时进度金额", "Schedule (cumulative)"),
                     tr("约定采购金额", "Agreed amount"))
        else:
            names = (tr("平均完成进度", "Average completion"), tr("序时进度", "Schedule"), tr("约定量", "Agreed"))
        out = [(self.purchased, doc._PURCHASE_COLOUR, 1.6, None, names[0]),
               (self.schedule, doc._SCHEDULE_COLOUR, 1.1, [4, 2], names[1])]
        if self.agreed is not None:
            out.append(([float(self.agreed)] * len(self.labels), doc._AGREED_COLOUR, 1.1, [3, 2], names[2]))
        return out

    def draw(self) -> None:
        c = self.canv
        top_pad = 16 if self.title else 6
        x0, y0 = self.LEFT, self.BOTTOM
        w, h = self.width - self.LEFT - self.RIGHT, self.height - self.BOTTOM - top_pad
        series = self._series()
        top = max([float(v) for values, *_ in series for v in values] + [1.0])
        step = _nice_step(top)
        y_max = step * -(-top // step)
        n = max(1, len(self.labels))
        band = w / n

        def px(i: int) -> float:
            return x0 + (i + 0.5) * band

        def py(v: float) -> float:
            return y0 + h * float(v) / y_max

        c.saveState()
        c.setFont(doc.FONT, 7)
        c.setFillColor(doc.INK)
        c.setStrokeColor(colors.HexColor("#dddddd"))  # value grid and labels
        c.setLineWidth(0.4)
        tick = 0.0
        while tick <= y_max + step / 1000:
            y = py(tick)
            if tick:
                c.line(x0, y, x0 + w, y)
            c.drawRightString(x0 - 5, y - 2.5, doc._fmt_axis(tick) if self.money else f"{tick:g}%")
            tick += step
        c.setStrokeColor(colors.black)
        c.setLineWidth(1)
        c.line(x0, y0, x0 + w, y0)
        c.line(x0, y0, x0, y0 + h)
        tick = 0.0
        while tick <= y_max + step / 1000:  # tick marks on both axes
            c.line(x0 - 3, py(tick), x0, py(tick))
            tick += step
        for i in range(n + 1):
            c.line(x0 + i * band, y0, x0 + i * band, y0 - 3)
        every = max(1, (len(self.labels) + 11) // 12)
        for i, label in enumerate(self.labels):
            if i % every == 0:
                c.drawCentredString(px(i), y0 - 10, label)
        for values, colour, width, dash, _name in series:
            if not values:
                continue
            c.setStrokeColor(colour)
            c.setLineWidth(width)
            c.setDash(dash or [])
            path = c.beginPath()
            path.moveTo(px(0), py(values[0]))
            for i, v in enumerate(values[1:], start=1):
                path.lineTo(px(i), py(v))
            c.drawPath(path, stroke=1, fill=0)
        c.setDash([])
        lx, ly = self.width - self.RIGHT + 10, self.height - top_pad - 10
        c.setFont(doc.FONT, 7.5)
        for k, (_values, colour, width, dash, name) in enumerate(series):  # the legend
            y = ly - k * 12
            c.setStrokeColor(colour)
            c.setLineWidth(width)
            c.setDash(dash or [])
            c.line(lx, y + 2.5, lx + 14, y + 2.5)
            c.setDash([])
            c.setFillColor(doc.INK)
            c.drawString(lx + 19, y, name)
        if self.title:
            c.setFont(doc.FONT, 9.5)
            c.drawCentredString(self.width / 2, self.height - 11, self.title)
        c.restoreState()


PRODUCT_COLUMNS: list[tuple[str, str, float]] = [
    # (progress --json key, Chinese header, width mm) — every column of CLI.md progress plus the
    # assessment and the pharmacist's reason (R19); the batch is the heading above its table.
    ("generic_name", "通用名", 28), ("dosage_form", "剂型", 11), ("spec", "规格", 18),
    ("manufacturer", "生产企业", 30), ("unit", "单位", 8), ("period", "协议期", 19),
    ("agreed_volume", "约定采购量", 16), ("target_to_date", "序时目标", 16), ("purchased", "已采购量", 16),
    ("completion", "完成进度", 14), ("schedule", "序时进度", 14), ("status", "状态", 15),
    ("shortfall", "缺口", 13), ("nonselected_share", "非中选占比", 14), ("flags", "提示", 17),
    ("assessment", "考核结果及未完成原因", 34),
]
STATUS_COL = [k for k, _, _ in PRODUCT_COLUMNS].index("status")
NUMERIC_COLS = [i for i, (k, _, _) in enumerate(PRODUCT_COLUMNS)
                if k in ("agreed_volume", "target_to_date", "purchased", "completion", "schedule", "shortfall",
                         "nonselected_share")]

FAILED_LABELS = {"completion": ("未完成约定采购量", "agreed volume not reached"),
                 "share": ("非中选产品采购占比超过上限", "non-selected share above the limit")}


def flag_text(flags: Any) -> str:
    """The row's marks in words, through the one label table of ``domain.status`` (R8–R12, R17): this
    copy lacked over_purchase, ended, failed … and printed the codes."""
    from hospital_app.domain.status import flag_label

    return tr("、", ", ").join(flag_label(str(f)) for f in (flags or []))


def failed_text(reasons: list[str]) -> str:
    return tr("、", ", ").join(tr(*FAILED_LABELS.get(r, (r, r))) for r in reasons)


def assessment_text(r: dict, ended: bool) -> str:
    """R8/R19: “合格” / “不合格：未完成约定采购量” for an ended period, then the reason kept by the
    pharmacist (未完成原因)."""
    parts = []
    if ended:
        reasons = r.get("failed_reasons") or []
        parts.append(tr("不合格：{r}", "failed: {r}", r=failed_text(reasons)) if reasons else tr("合格", "passed"))
    if r.get("lag_reason"):
        parts.append(tr("原因：{t}", "reason: {t}", t=r["lag_reason"]))
    return "\n".join(parts)


def product_columns() -> tuple[list[str], list[float]]:
    total = sum(w for _, _, w in PRODUCT_COLUMNS)
    scale = doc.CONTENT_WIDTH_LANDSCAPE / (total * mm)
    return [h for _, h, _ in PRODUCT_COLUMNS], [w * mm * scale for _, _, w in PRODUCT_COLUMNS]


def product_row(r: dict, ended: bool = False) -> list[Any]:
    out: list[Any] = []
    for key, _, _ in PRODUCT_COLUMNS:
        if key == "period":
            out.append(f"{r.get('period_start') or '—'}\n{r.get('period_end') or ''}")
        elif key in ("completion", "schedule", "nonselected_share"):
            out.append(pct(r.get(key)))
        elif key in ("agreed_volume", "target_to_date", "purchased", "shortfall"):
            out.append(num(r.get(key)))
        elif key == "flags":
            out.append(flag_text(r.get("flags")))
        elif key == "assessment":
            out.append(assessment_text(r, ended))
        else:
            v = r.get(key)
            out.append("" if v is None else v)
    return out


def _by_batch(rows: list[dict]) -> list[tuple[str, list[dict]]]:
    """The rows per batch (batches by name; products by generic name, spec, id)."""
    groups: dict[str, list[dict]] = {}
    for r in rows:
        groups.setdefault(r.get("batch") or tr("（未分批次）", "(no batch)"), []).append(r)
    order = lambda r: (r.get("generic_name") or "", r.get("spec") or "", r.get("product_id") or 0)  # noqa: E731
    return [(name, sorted(groups[name], key=order)) for name in sorted(groups)]


def _cell(value: Any, width: float, size: float, measure) -> str:
    text = "" if value is None else str(value)
    if text and ("\n" in text or measure(text, size) > width):
        return doc.wrap_text(text, width, size)
    return text


def product_table(rows: list[dict], *, font_size: float = 7, ended: bool = False) -> Table:
    """One progress table (landscape width): every column of ``progress``, the header
    repeated on every page, the R8 status cells coloured; ``rows`` in the given order.

    Built here rather than with ``document.data_table``: reportlab re-applies every style
    command on each page split, so the status colours take one command pair per run of
    equally *coloured* cells (正常 and 已完成 share green) — issue 12.
    """
    from reportlab.pdfbase import pdfmetrics

    doc.register_fonts()
    header, widths = product_columns()
    avail = [max(6.0, w - 2 * doc._PAD) for w in widths]
    measure = pdfmetrics.getFont(doc.FONT).stringWidth
    labels = {key: doc.status_label(key) for key in STATUS_ORDER}
    data: list[list[str]] = [[doc.wrap_text(h, avail[i], font_size) for i, h in enumerate(header)]]
    cmds = doc.text_table_style(font_size)
    cmds += [("ALIGN", (c, 1), (c, -1), "RIGHT") for c in NUMERIC_COLS]
    cmds.append(("ALIGN", (STATUS_COL, 1), (STATUS_COL, -1), "CENTER"))
    colours: list[Any] = [None]  # per table row (None: the header, no status)
    for row in rows:
        cells = product_row(row, ended)
        status = cells[STATUS_COL]
        cells[STATUS_COL] = labels.get(status) or doc.status_label(status or None)
        data.append([_cell(v, avail[k], font_size, measure) for k, v in enumerate(cells)])
        colours.append(doc.STATUS_COLOURS.get(status))
    start = 0
    for k in range(1, len(colours) + 1):
        if k == len(colours) or colours[k] != colours[start]:
            if colours[start] is not None:
                cmds.append(("TEXTCOLOR", (STATUS_COL, start), (STATUS_COL, k - 1), colours[start][0]))
                cmds.append(("BACKGROUND", (STATUS_COL, start), (STATUS_COL, k - 1), colours[start][1]))
            start = k
    return doc.text_table(data, widths, font_size, cmds)


def product_tables(rows: list[dict], *, ended: bool = False) -> list[Flowable]:
    """The full product table: one table per batch under its own heading
    “1. 第九批…（43 个产品）” (the third heading level: the
    agreement period is “（一）” above it), products by generic name and spec.

    Per batch rather than one 2 000-row table: reportlab re-measures the rest of a table at
    every page split (quadratic in its length) and spans across such a table cost more
    still — measured: one table with batch group rows 5.6 s, these tables 1.0 s (issue 12).
    """
    out: list[Flowable] = []
    for i, (name, members) in enumerate(_by_batch(rows)):
        out.append(doc.heading(tr("{n}. {b}（{c} 个产品）", "{n}. {b} ({c} products)",
                                  n=i + 1, b=name, c=len(members)), 2))
        out.append(product_table(members, ended=ended))
    return out


def _names(rows: list[DepartmentLine]) -> str:
    return tr("、", ", ").join(dict.fromkeys(r.department for r in rows if r.department))


class DepartmentIndex:
    """R21: the report's department lines by the problem they are behind, looked up per row.

    Built once per section: a self-check has hundreds of problem rows and thousands of
    department lines, and a scan of every line per row was quadratic (0.2 s of the 2 000-product
    report, issue 21). Lines keep the report's order within each key."""

    def __init__(self, lines: list[DepartmentLine] | None) -> None:
        self.any = bool(lines)
        self._own: dict[tuple, list[DepartmentLine]] = defaultdict(list)
        self._share_of_period: dict[tuple, list[DepartmentLine]] = defaultdict(list)
        self._share_over: dict[str, list[DepartmentLine]] = defaultdict(list)
        for r in lines or ():
            if r.period_start is not None:
                start = r.period_start.isoformat()
                self._own[(start, r.product_id)].append(r)
                if r.share_over and not r.lagging:
                    self._share_of_period[(start, r.generic_name)].append(r)
            if r.share_over and r.nonselected > 0:
                self._share_over[r.generic_name].append(r)

    def lagging(self, row: dict) -> str:
        """The departments behind a product row's problem (its own lines; for an R9 finding
        listed once per generic name, that generic name's lines of the same period)."""
        if not self.any:
            return ""
        start = row.get("period_start")
        own = self._own.get((start, row.get("product_id")), [])
        if not own and "share_over" in (row.get("flags") or []):
            own = self._share_of_period.get((start, row.get("generic_name")), [])
        return _names(own)

    def share(self, generic_name: str) -> str:
        """The departments using non-selected products of a generic name above the R9 limit."""
        return _names(self._share_over.get(generic_name, []))
