"""One-page supplier sheet (R4 v2) for the meeting with a supplier's representative:
the scorecard figures of the period, the orders not responded to / delivered in time or
not in full, and the supply issues filed against the company with their outcome."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from hospital_app.domain.status import percent_text
from hospital_app.i18n import tr
from hospital_app.reports import document as doc
from hospital_app.reports.complaint import dt_text
from hospital_app.reports.document import mm

MAX_ROWS = 12  # keep it on one page: the rest is counted, not listed


@dataclass
class SupplierCardData:
    score: object  # services.suppliers.SupplierScore
    orders: list  # OrderLineView of the period
    issues: list  # IssueFactView of the period
    as_of: date
    hospital_name: str
    hospital_code: str


def level_text(level: str | None) -> str:
    return {"serious": tr("严重（连续两个季度配送及时率低于 90%）", "serious (timeliness below 90 % two quarters running)"),
            "warning": tr("预警", "warning"), "incentive": tr("激励", "incentive")}.get(
        level or "", tr("本期无订单，不评价", "no orders in the period: not rated"))


def _rate(part: int, whole: int, value) -> str:
    return "—" if value is None else f"{percent_text(value)}（{part}/{whole}）"


def _delivered(o) -> str:
    """Units delivered as known on d; a delivery without a delivered quantity is in full (R4)."""
    if o.delivered_at is None:
        return "—"
    value = o.delivered_quantity if o.delivered_quantity is not None else o.quantity
    return "—" if value is None else str(value)


def render_supplier_card(path: Path, data: SupplierCardData, *, generated_at: datetime) -> int:
    from hospital_app.services.supply_issues import type_label

    s = data.score
    role = tr("生产企业", "Manufacturer") if s.role == "manufacturer" else tr("配送企业", "Distributor")
    title = tr("集中带量采购供应企业履约情况", "Supplier performance (VBP)")
    outcome = {True: tr("按时", "on time"), False: tr("逾期", "late"), None: tr("处理中", "pending")}
    flow = [
        doc.title_block(title, tr("{c}（{r}）　{p}　截至 {d}", "{c} ({r})  {p}  as of {d}",
                                  c=s.company, r=role, p=s.period, d=data.as_of.isoformat())),
        doc.form_table([
            (tr("订单数", "Orders placed"), str(s.placed)),
            (tr("评价", "Level"), level_text(s.level)),
            (tr("订单响应率", "Response rate"), _rate(s.responded_in_time, s.placed, s.response_rate)),
            (tr("配送及时率", "Timeliness"), _rate(s.delivered_in_time, s.delivered, s.timeliness)),
            (tr("订单配送率", "Order delivery rate"), _rate(s.lines_in_full, s.lines, s.delivery_rate)),
            (tr("供应问题", "Supply issues"), tr("{n} 件，其中上报 {e} 件", "{n}, escalated {e}",
                                              n=s.issues, e=s.escalations)),
            (tr("问题按时答复并解决", "Replied and resolved in time"),
             _rate(s.issues_on_time, s.issues - s.issues_pending, s.issues_on_time_rate)),
            (tr("问题最多的产品", "Products with most issues"),
             "；".join(f"{p['name']}（{p['issues']}）" for p in s.top_products) or "—"),
        ], per_row=2, label_width=28 * mm),
        doc.spacer(3),
    ]
    late = [o for o in data.orders if not (o.responded_in_time and o.delivered_in_time and o.in_full)]
    flow.append(doc.heading(tr("未按时响应、未按时配送或未足量配送的订单（{n} 行）", "Order lines late or not in full ({n})",
                               n=len(late)), 2))
    if late:
        rows = [[o.order_no, o.product, dt_text(o.placed_at), dt_text(o.responded_at), dt_text(o.delivered_at),
                 f"{_delivered(o)}/{o.quantity if o.quantity is not None else '—'}"]
                for o in late[:MAX_ROWS]]
        flow.append(doc.data_table([tr("订单号", "Order"), tr("产品", "Product"), tr("下单", "Placed"),
                                    tr("响应", "Responded"), tr("送达", "Delivered"), tr("到货/订购", "Deliv./ordered")],
                                   rows, [31 * mm, 42 * mm, 26 * mm, 26 * mm, 26 * mm, doc.CONTENT_WIDTH - 151 * mm],
                                   font_size=7.5))
        if len(late) > MAX_ROWS:
            flow.append(doc.para(tr("另有 {n} 行未列出。", "{n} more not listed.", n=len(late) - MAX_ROWS), "plain"))
    else:
        flow.append(doc.para(tr("无。", "None."), "plain"))
    flow += [doc.spacer(2), doc.heading(tr("供应问题（{n} 件）", "Supply issues ({n})", n=len(data.issues)), 2)]
    if data.issues:
        rows = [[str(i.issue_id), i.product, type_label(i.type), dt_text(i.reported_at), dt_text(i.replied_at),
                 dt_text(i.resolved_at), outcome[i.on_time] + (tr("，已上报", ", escalated") if i.escalated else "")]
                for i in data.issues[:MAX_ROWS]]
        flow.append(doc.data_table([tr("编号", "No."), tr("产品", "Product"), tr("类型", "Type"), tr("反馈", "Reported"),
                                    tr("答复", "Replied"), tr("解决", "Resolved"), tr("结果", "Outcome")],
                                   rows, [11 * mm, 40 * mm, 22 * mm, 26 * mm, 26 * mm, 26 * mm,
                                          doc.CONTENT_WIDTH - 151 * mm], font_size=7.5,
                                   highlight_rows=[k for k, i in enumerate(data.issues[:MAX_ROWS]) if i.on_time is False]))
    else:
        flow.append(doc.para(tr("无。", "None."), "plain"))
    flow += [doc.spacer(3),
             doc.para(tr("订单响应率 = 48 小时内响应的订单 ÷ 订单数；配送及时率 = 时限内送达的订单 ÷ 已送达订单；"
                         "订单配送率 = 足量送达的订单行 ÷ 订单行。",
                         "Response rate = orders responded within 48 h ÷ orders; timeliness = orders delivered within "
                         "the window ÷ orders delivered; delivery rate = order lines delivered in full ÷ order lines."),
                      "plain"),
             doc.signature_block([tr("医院经办人", "For the hospital"), tr("企业代表", "Supplier's representative")])]
    return doc.build_pdf(path, title, flow, hospital_name=data.hospital_name, hospital_code=data.hospital_code,
                         generated_at=generated_at)
