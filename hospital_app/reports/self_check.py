"""The self-check report (自查自纠报告) as a PDF, from ``services.documents.SelfCheckData``.

Layout: title and summary per batch (portrait) → the full product table (landscape)
→ non-selected share, exemptions, supply issues, orders, payments, volume notes,
findings and corrective measures, signatures and seal (portrait).
Figures are printed exactly as ``progress --json`` gives them (R7, R8, R9).
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from reportlab.lib import colors
from reportlab.platypus import Flowable, NextPageTemplate, PageBreak, Table, TableStyle

from hospital_app.domain.payments import money
from hospital_app.domain.status import percent_text
from hospital_app.i18n import tr
from hospital_app.reports import document as doc
from hospital_app.reports.document import mm

if TYPE_CHECKING:  # pragma: no cover
    from hospital_app.services.documents import SelfCheckData

NO_DATA = "（暂无数据）"
STATUS_ORDER = ("completed", "on_track", "behind", "severely_behind", "not_started", "exempt")
NUMS = "一二三四五六七八九十"
MAX_OVERDUE_LISTED = 30


def pct(value: Any) -> str:
    """0.4167 → "41.67%" (ratios are fractions in data, percentages on paper)."""
    return percent_text(value)


def _d(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    return value.isoformat() if hasattr(value, "isoformat") else str(value)


def _g(obj: Any, key: str, default: Any = None) -> Any:
    from hospital_app.services.documents import _get

    return _get(obj, key, default)


def _no_data() -> Flowable:
    return doc.para(tr(NO_DATA, "(no data yet)"), "plain")


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
                 height: float = 62 * mm) -> None:
        super().__init__()
        self.labels, self.purchased, self.schedule = list(labels), list(purchased), list(schedule)
        self.agreed, self.title = agreed, title
        self.width, self.height = width, height

    def wrap(self, avail_width: float, avail_height: float) -> tuple[float, float]:  # noqa: D102
        return self.width, self.height

    def _series(self) -> list[tuple[list[float], Any, float, list[float] | None, str]]:
        out = [(self.purchased, doc._PURCHASE_COLOUR, 1.6, None, tr("累计采购量", "Purchased (cumulative)")),
               (self.schedule, doc._SCHEDULE_COLOUR, 1.1, [4, 2], tr("序时进度目标", "Schedule (cumulative)"))]
        if self.agreed is not None:
            out.append(([float(self.agreed)] * len(self.labels), doc._AGREED_COLOUR, 1.1, [3, 2],
                        tr("约定采购量", "Agreed volume")))
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
            c.drawRightString(x0 - 5, y - 2.5, doc._fmt_axis(tick))
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


class _Sections:
    """Numbers the chapter headings 一、二、三 … in the order they are added."""

    def __init__(self) -> None:
        self.n = 0

    def __call__(self, title: str) -> Flowable:
        self.n += 1
        prefix = NUMS[self.n - 1] + "、" if self.n <= 10 else f"{self.n}. "
        return doc.heading(prefix + title)


def render_self_check(path: Path, data: SelfCheckData, *, generated_at: datetime) -> int:
    """Build the PDF; returns the page count."""
    head = _Sections()
    title = tr("集中带量采购执行情况自查自纠报告", "VBP execution self-check report")
    org = data.hospital_name or ""
    flow: list[Flowable] = [
        doc.title_block(f"{org}{title}" if org else title,
                        tr("报告期间：{l}（{s} 至 {e}）　统计截止日：{a}",
                           "Period: {l} ({s} – {e})   as of {a}", l=data.period.label,
                           s=data.period.start.isoformat(), e=data.period.end.isoformat(),
                           a=data.as_of.isoformat())),
        doc.para(tr("根据医疗保障部门关于集中带量采购中选结果落地执行情况自查自纠的工作要求，我院对{l}"
                    "集中带量采购中选产品的采购进度、非中选产品使用、供应保障、货款结算及报量等情况进行了全面自查，"
                    "现将有关情况报告如下。",
                    "As required by the medical insurance bureau, the hospital checked its execution of "
                    "volume-based procurement for {l}. The results follow.", l=data.period.label)),
    ]
    flow += _summary(head, data)
    flow += _product_table(head, data)
    flow += _nonselected(head, data)
    flow += _exemptions(head, data)
    flow += _issues(head, data)
    flow += _orders(head, data)
    flow += _payments(head, data)
    flow += _notes(head, data)
    flow += _findings(head, data)
    return doc.build_pdf(path, title, flow, hospital_name=data.hospital_name,
                         hospital_code=data.hospital_code, generated_at=generated_at)


# ----------------------------------------------------------------------- sections


def _summary(head: _Sections, data: SelfCheckData) -> list[Flowable]:
    out: list[Flowable] = [head(tr("总体执行情况", "Overview"))]
    if data.batches is None or data.progress is None:
        return out + [_no_data()]
    rows = data.progress
    counts = {s: sum(1 for r in rows if r.get("status") == s) for s in STATUS_ORDER}
    out.append(doc.para(tr(
        "截至 {a}，我院执行集中带量采购批次 {b} 个，中选产品 {n} 个。其中已完成约定采购量 {c} 个，"
        "进度正常 {o} 个，进度滞后 {h} 个，严重滞后 {sv} 个，尚未采购 {ns} 个，豁免考核 {ex} 个。",
        "As of {a}: {b} batch(es), {n} selected product(s): {c} completed, {o} on track, {h} behind, "
        "{sv} severely behind, {ns} not started, {ex} exempt.",
        a=data.as_of.isoformat(), b=len(data.batches), n=len(rows), c=counts["completed"],
        o=counts["on_track"], h=counts["behind"], sv=counts["severely_behind"],
        ns=counts["not_started"], ex=counts["exempt"])))
    if not rows:
        out.append(doc.para(tr("截至 {a}，没有处于协议期内的中选产品。", "As of {a} no selected product is in an "
                               "agreement period.", a=data.as_of.isoformat())))
        return out
    header = [tr("批次", "Batch"), tr("产品数", "Products")] + [doc.status_label(s) for s in STATUS_ORDER] + [
        tr("约定采购量", "Agreed"), tr("序时目标", "Target"), tr("已采购", "Purchased"),
        tr("总体完成进度", "Completion"), tr("序时进度", "Schedule")]
    table_rows = []
    for b in data.batches:
        table_rows.append([b.name, b.products] + [b.by_status.get(s, 0) for s in STATUS_ORDER]
                          + [b.agreed, b.target, b.purchased, pct(b.completion), pct(b.schedule)])
    widths = [34 * mm, 11 * mm] + [10 * mm] * 6 + [17 * mm, 17 * mm, 17 * mm, 15 * mm, 13 * mm]
    scale = doc.CONTENT_WIDTH / sum(widths)
    out.append(doc.data_table(header, table_rows, [w * scale for w in widths], font_size=7.5,
                              align_right=list(range(1, 13))))
    out.append(doc.para(tr("注：总体完成进度 = 各产品已采购量之和 ÷ 约定采购量之和；序时进度按约定采购量加权；"
                           "产品数含尚无当期协议的中选产品。", "Note: completion = Σ purchased ÷ Σ agreed volume; "
                           "schedule weighted by agreed volume."), "note"))
    out.append(doc.spacer(3))
    from reportlab.platypus import KeepTogether

    colours = [doc.STATUS_COLOURS[s][0] for s in STATUS_ORDER]
    out.append(KeepTogether([doc.bar_chart([doc.status_label(s) for s in STATUS_ORDER],
                                           [counts[s] for s in STATUS_ORDER],
                                           title=tr("中选产品执行状态分布（个）", "Products by status"),
                                           bar_colours=colours)]))
    for b in data.batches:
        if not b.burnup_labels:
            continue
        out.append(BurnUpChart(b.burnup_labels, b.burnup_purchased, b.burnup_schedule, agreed=b.agreed or None,
                               title=tr("{b}：累计采购量与序时进度", "{b}: purchases against the schedule",
                                        b=b.name)))
    return out


def _product_table(head: _Sections, data: SelfCheckData) -> list[Flowable]:
    out: list[Flowable] = [NextPageTemplate("landscape"), PageBreak(),
                           head(tr("中选产品执行明细", "Selected products"))]
    if data.progress is None:
        return out + [_no_data(), NextPageTemplate("portrait"), PageBreak()]
    out += product_tables(data.progress)
    out += [NextPageTemplate("portrait"), PageBreak()]
    return out


PRODUCT_COLUMNS: list[tuple[str, str, float]] = [
    # (progress --json key, Chinese header, width mm) — every column of CLI.md progress;
    # the batch is the group row above its products.
    ("generic_name", "通用名", 30), ("dosage_form", "剂型", 12), ("spec", "规格", 20),
    ("manufacturer", "生产企业", 34), ("unit", "单位", 8), ("period", "协议期", 19),
    ("agreed_volume", "约定采购量", 16), ("target_to_date", "序时目标", 16), ("purchased", "已采购量", 16),
    ("completion", "完成进度", 14), ("schedule", "序时进度", 14), ("status", "状态", 14),
    ("shortfall", "缺口", 14), ("nonselected_share", "非中选占比", 14), ("flags", "提示", 19),
]
STATUS_COL = [k for k, _, _ in PRODUCT_COLUMNS].index("status")
NUMERIC_COLS = [i for i, (k, _, _) in enumerate(PRODUCT_COLUMNS)
                if k in ("agreed_volume", "target_to_date", "purchased", "completion", "schedule", "shortfall",
                         "nonselected_share")]

FLAG_LABELS = {
    "exempt": ("免考核", "exempt"), "suspended": ("暂停使用", "suspended"), "shortage": ("短缺", "shortage"),
    "emergency": ("急抢救", "emergency"), "key_monitoring": ("重点监控", "key monitoring"),
    "backup": ("备供", "backup"), "merged": ("合并考核", "merged"), "not_in_hospital": ("未进院", "not in hospital"),
    "clustered": ("扎堆采购", "clustered"), "empty_month": ("空月", "empty month"),
    "share_over": ("非中选超比例", "share over limit"),
}


def flag_text(flags: Any) -> str:
    return "、".join(tr(*FLAG_LABELS[f]) if f in FLAG_LABELS else str(f) for f in (flags or []))


def product_columns() -> tuple[list[str], list[float]]:
    total = sum(w for _, _, w in PRODUCT_COLUMNS)
    scale = doc.CONTENT_WIDTH_LANDSCAPE / (total * mm)
    return [h for _, h, _ in PRODUCT_COLUMNS], [w * mm * scale for _, _, w in PRODUCT_COLUMNS]


def product_row(r: dict) -> list[Any]:
    out: list[Any] = []
    for key, _, _ in PRODUCT_COLUMNS:
        if key == "period":
            out.append(f"{r.get('period_start') or '—'}\n{r.get('period_end') or ''}")
        elif key in ("completion", "schedule", "nonselected_share"):
            out.append(pct(r.get(key)))
        elif key == "flags":
            out.append(flag_text(r.get("flags")))
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


def product_table(rows: list[dict], *, font_size: float = 7) -> Table:
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
    cmds: list[tuple] = [
        ("FONTNAME", (0, 0), (-1, -1), doc.FONT),
        ("FONTSIZE", (0, 0), (-1, -1), font_size),
        ("LEADING", (0, 0), (-1, -1), font_size * 1.25),
        ("TEXTCOLOR", (0, 0), (-1, -1), doc.INK),
        ("GRID", (0, 0), (-1, -1), 0.4, doc.GRID),
        ("BOX", (0, 0), (-1, -1), 0.8, doc.RULE),
        ("BACKGROUND", (0, 0), (-1, 0), doc.HEAD_BG),
        ("ALIGN", (0, 0), (-1, 0), "CENTER"),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("LEFTPADDING", (0, 0), (-1, -1), doc._PAD),
        ("RIGHTPADDING", (0, 0), (-1, -1), doc._PAD),
        ("TOPPADDING", (0, 0), (-1, -1), 2),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 2.5),
    ]
    cmds += [("ALIGN", (c, 1), (c, -1), "RIGHT") for c in NUMERIC_COLS]
    cmds.append(("ALIGN", (STATUS_COL, 1), (STATUS_COL, -1), "CENTER"))
    colours: list[Any] = [None]  # per table row (None: the header, no status)
    for row in rows:
        cells = product_row(row)
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
    table = Table(data, colWidths=list(widths), repeatRows=1, hAlign="LEFT")
    table.setStyle(TableStyle(cmds))
    return table


def product_tables(rows: list[dict]) -> list[Flowable]:
    """The full product table: one table per batch under its own heading
    “（一）第九批…（43 个产品）”, products by generic name and spec.

    Per batch rather than one 2 000-row table: reportlab re-measures the rest of a table at
    every page split (quadratic in its length) and spans across such a table cost more
    still — measured: one table with batch group rows 5.6 s, these tables 1.0 s (issue 12).
    """
    out: list[Flowable] = []
    for i, (name, members) in enumerate(_by_batch(rows)):
        out.append(doc.keep_space(30))
        out.append(doc.heading(tr("（{n}）{b}（{c} 个产品）", "({n}) {b} ({c} products)",
                                  n=NUMS[i] if i < 10 else i + 1, b=name, c=len(members)), 2))
        out.append(product_table(members))
    return out


def _nonselected(head: _Sections, data: SelfCheckData) -> list[Flowable]:
    out: list[Flowable] = [head(tr("非中选产品采购占比", "Non-selected share"))]
    if data.nonselected is None:
        return out + [_no_data()]
    over = [r for r in data.nonselected if r["over"]]
    out.append(doc.para(tr("按通用名统计非中选产品采购量占同通用名产品采购总量的比例，控制上限为 {t}。"
                           "共 {n} 个通用名，其中 {o} 个超过上限。",
                           "Share of non-selected units per generic name; limit {t}. {n} generic names, "
                           "{o} above the limit.", t=pct(data.r9_threshold), n=len(data.nonselected),
                           o=len(over))))
    if data.nonselected:
        rows = [[r["generic_name"], pct(r["share"]), pct(r["threshold"]),
                 tr("超过上限", "above") if r["over"] else tr("未超过", "within")] for r in data.nonselected]
        out.append(doc.data_table([tr("通用名", "Generic name"), tr("非中选占比", "Share"),
                                   tr("控制上限", "Limit"), tr("结论", "Result")], rows,
                                  [80 * mm, 30 * mm, 30 * mm, doc.CONTENT_WIDTH - 140 * mm], font_size=8.5,
                                  align_right=[1, 2],
                                  highlight_rows=[i for i, r in enumerate(data.nonselected) if r["over"]]))
    return out


def _exemptions(head: _Sections, data: SelfCheckData) -> list[Flowable]:
    out: list[Flowable] = [head(tr("豁免考核情况", "Exemptions"))]
    if not data.exemptions:
        return out + [doc.para(tr("本期无豁免考核的产品。", "No exempt products in this period."), "plain")]
    rows = [[e["product"], e["reason"], e["document_ref"] or "—", _d(e["start"]), _d(e["end"]), e["note"]]
            for e in data.exemptions]
    out.append(doc.data_table([tr("产品", "Product"), tr("豁免原因", "Reason"), tr("依据文件", "Document"),
                               tr("起始日", "From"), tr("截止日", "To"), tr("说明", "Note")], rows,
                              [42 * mm, 34 * mm, 34 * mm, 19 * mm, 19 * mm, doc.CONTENT_WIDTH - 148 * mm],
                              font_size=8))
    return out


def _issues(head: _Sections, data: SelfCheckData) -> list[Flowable]:
    from hospital_app.services.supply_issues import status_label, type_label

    out: list[Flowable] = [head(tr("供应问题反馈及处理情况", "Supply issues"))]
    if data.issues is None:
        return out + [_no_data()]
    if not data.issues:
        return out + [doc.para(tr("本期未发生供应问题。", "No supply issues in this period."), "plain")]
    overdue_idx = [i for i, v in enumerate(data.issues) if _g(v, "overdue")]
    out.append(doc.para(tr("本期涉及供应问题 {n} 件，其中逾期未答复或未解决 {o} 件（红色标示）。",
                           "{n} supply issue(s) in this period, {o} overdue (in red).",
                           n=len(data.issues), o=len(overdue_idx))))
    what = {"reply": tr("答复逾期", "reply overdue"), "resolution": tr("解决逾期", "resolution overdue")}
    rows = []
    for v in data.issues:
        product = " ".join(x for x in (_g(v, "product_name"), _g(v, "spec")) if x)
        company = _g(v, "company") or _g(v, "manufacturer") or _g(v, "distributor") or "—"
        rows.append([_g(v, "id"), product, company, type_label(_g(v, "type")), _d(_g(v, "reported_at")),
                     _d(_g(v, "reply_due")), _d(_g(v, "resolution_due")), status_label(_g(v, "status")),
                     "、".join(what.get(o, o) for o in _g(v, "overdue") or []) or "—"])
    out.append(doc.data_table([tr("编号", "No."), tr("产品", "Product"), tr("企业", "Company"),
                               tr("问题类型", "Type"), tr("反馈时间", "Reported"), tr("答复期限", "Reply due"),
                               tr("解决期限", "Resolution due"), tr("状态", "Status"), tr("逾期", "Overdue")],
                              rows, [9 * mm, 30 * mm, 28 * mm, 19 * mm, 22 * mm, 18 * mm, 18 * mm, 14 * mm,
                                     doc.CONTENT_WIDTH - 158 * mm],
                              font_size=7.5, highlight_rows=overdue_idx))
    return out


def _orders(head: _Sections, data: SelfCheckData) -> list[Flowable]:
    out: list[Flowable] = [head(tr("订单响应及配送情况", "Orders"))]
    if data.orders is None:
        return out + [_no_data()]
    if not data.orders:
        return out + [doc.para(tr("本期无订单记录。", "No orders in this period."), "plain")]
    level = {"warning": tr("预警", "warning"), "serious": tr("严重", "serious")}
    rows = [[r.get("company"), r.get("quarter"), r.get("placed"), r.get("responded_in_time"),
             pct(r.get("response_rate")), r.get("delivered"), r.get("delivered_in_time"),
             pct(r.get("timeliness")), level.get(r.get("level"), "—")] for r in data.orders]
    out.append(doc.data_table([tr("配送企业", "Company"), tr("季度", "Quarter"), tr("订单数", "Placed"),
                               tr("48小时内响应", "Responded in time"), tr("响应率", "Response rate"),
                               tr("已配送", "Delivered"), tr("按时配送", "In time"), tr("配送及时率", "Timeliness"),
                               tr("结论", "Level")], rows,
                              [doc.CONTENT_WIDTH - 128 * mm, 16 * mm, 13 * mm, 16 * mm, 15 * mm, 13 * mm,
                               15 * mm, 17 * mm, 23 * mm],
                              font_size=8, align_right=[2, 3, 4, 5, 6, 7],
                              highlight_rows=[i for i, r in enumerate(data.orders) if r.get("level")]))
    out.append(doc.para(tr("注：订单响应率 = 48 小时内响应的订单 ÷ 订单总数；配送及时率 = 在配送时限内送达的订单 ÷ "
                           "已配送订单（R4）。", "Note: R4 definitions."), "note"))
    return out


def _payments(head: _Sections, data: SelfCheckData) -> list[Flowable]:
    out: list[Flowable] = [head(tr("货款结算情况", "Payments"))]
    if data.payments is None:
        return out + [_no_data()]
    if not data.payments:
        return out + [doc.para(tr("本期无到期应付货款。", "No payments due in this period."), "plain")]
    rows = [[s["company"], s["due"], s["on_time"], s["late"], s["unpaid"], pct(s["rate"]),
             money(s["amount_due"]), money(s["amount_unpaid"])] for s in data.payments]
    out.append(doc.para(tr("按“交货验收合格后次月底前付款”的要求，统计本期到期应付货款的结算情况。",
                           "Payments due in the period (due by the end of the month after acceptance)."), "body"))
    out.append(doc.data_table([tr("企业", "Company"), tr("到期笔数", "Due"), tr("按时支付", "On time"),
                               tr("逾期已付", "Late"), tr("逾期未付", "Unpaid"), tr("按时支付率", "Rate"),
                               tr("到期金额（元）", "Amount due"), tr("未付金额（元）", "Unpaid amount")], rows,
                              [doc.CONTENT_WIDTH - 124 * mm, 14 * mm, 14 * mm, 14 * mm, 14 * mm, 16 * mm,
                               26 * mm, 26 * mm], font_size=8, align_right=[1, 2, 3, 4, 5, 6, 7],
                              highlight_rows=[i for i, s in enumerate(data.payments) if s["unpaid"]]))
    if data.overdue_payments:
        out.append(doc.heading(tr("逾期未付明细", "Overdue payments"), 2))
        shown = sorted(data.overdue_payments, key=lambda p: (p["due"], p["company"] or ""))[:MAX_OVERDUE_LISTED]
        rows = [[p["order_no"], p["company"], _d(p["accepted_on"]), _d(p["due"]), money(p["amount"])]
                for p in shown]
        out.append(doc.data_table([tr("订单号", "Order"), tr("企业", "Company"), tr("验收日期", "Accepted"),
                                   tr("付款期限", "Due"), tr("金额（元）", "Amount")], rows,
                                  [36 * mm, doc.CONTENT_WIDTH - 120 * mm, 28 * mm, 28 * mm, 28 * mm],
                                  font_size=8, align_right=[4]))
        rest = len(data.overdue_payments) - len(shown)
        if rest > 0:
            out.append(doc.para(tr("另有 {n} 笔逾期未付货款未列出，详见系统“货款结算”列表。",
                                   "{n} more overdue payments are in the payments list.", n=rest), "note"))
    return out


def _notes(head: _Sections, data: SelfCheckData) -> list[Flowable]:
    out: list[Flowable] = [head(tr("报量情况说明", "Volume-report notes"))]
    if data.notes is None:
        return out + [_no_data()]
    if not data.notes:
        return out + [doc.para(tr("本期报量无需填写情况说明。", "No line needs an explanatory note."), "plain")]
    labels = {"none": tr("未起草", "not drafted"), "draft": tr("草稿", "draft"), "signed": tr("已签字", "signed")}
    counts = {k: sum(1 for n in data.notes if _g(n, "status") == k) for k in labels}
    out.append(doc.para(tr("报量变化超过规定幅度、需要填写情况说明的共 {n} 条：已签字 {s} 条，草稿 {d} 条，"
                           "未起草 {x} 条。", "{n} line(s) need a note: {s} signed, {d} draft, {x} not drafted.",
                           n=len(data.notes), s=counts["signed"], d=counts["draft"], x=counts["none"])))
    rows = []
    for n in data.notes:
        row = _g(n, "row")
        change = _g(row, "change")
        rows.append([_g(row, "report_name"), _g(row, "generic_name"), _g(row, "spec") or "",
                     _g(row, "baseline"), _g(row, "reported"), pct(change) if change is not None else "—",
                     labels.get(_g(n, "status"), _g(n, "status")), _g(n, "signed_by") or ""])
    out.append(doc.data_table([tr("报量", "Report"), tr("通用名", "Generic name"), tr("规格", "Spec"),
                               tr("基线用量", "Baseline"), tr("报送量", "Reported"), tr("变化", "Change"),
                               tr("说明状态", "Note"), tr("签字人", "Signed by")], rows,
                              [30 * mm, doc.CONTENT_WIDTH - 152 * mm, 22 * mm, 18 * mm, 18 * mm, 16 * mm,
                               16 * mm, 32 * mm], font_size=8, align_right=[3, 4, 5],
                              highlight_rows=[i for i, n in enumerate(data.notes) if _g(n, "status") != "signed"]))
    return out


def _findings(head: _Sections, data: SelfCheckData) -> list[Flowable]:
    out: list[Flowable] = [head(tr("存在的问题及整改措施", "Findings and corrective measures"))]
    for block in (data.findings_text or "").split("\n"):
        if not block.strip():
            out.append(doc.spacer(2))
        else:
            out.append(doc.para(block.strip(), "plain"))
    out.append(doc.spacer(6))
    out.append(doc.para(tr("特此报告。", "Submitted."), "body"))
    out.append(doc.signature_block([tr("填报人", "Prepared by"), tr("药学部门负责人", "Head of pharmacy"),
                                    tr("分管院领导", "Responsible director")]))
    out.append(doc.stamp_block(data.hospital_name))
    return out
