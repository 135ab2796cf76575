"""The self-check report (自查自纠报告, R19) as a PDF, from ``reports.model.SelfCheckData``.

Layout: title and the hospital's identity → 一 overview per agreement period (ended ones with
their final assessment) → the product tables (landscape) → the remaining R19 content, one
numbered chapter each → problems, causes and corrective measures, signatures and seal →
appendix listing every finding. Chapters are numbered once, in print order; sections whose
data another engineer is still building (prepayment, supplier scorecard, departments) have
one builder each here and are printed when the service fills their list.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from reportlab.lib import colors
from reportlab.platypus import Flowable, KeepTogether, NextPageTemplate, PageBreak, Table  # noqa: F401

from hospital_app.i18n import tr
from hospital_app.reports import document as doc
from hospital_app.reports.document import mm
from hospital_app.reports.labels import money_text
from hospital_app.reports.model import (
    AgreementBlock, DepartmentLine, PrepaymentLine, SelfCheckData, SupplierLine,
)
from hospital_app.reports.self_check_tables import (  # noqa: F401 - re-exported for callers and tests
    PRODUCT_COLUMNS, STATUS_COL, STATUS_ORDER, BurnUpChart, DepartmentIndex, _nice_step, cn_number, failed_text,
    flag_text, num, pct, product_columns, product_row, product_table, product_tables,
)

W = doc.CONTENT_WIDTH


def _d(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    return value.isoformat() if hasattr(value, "isoformat") else str(value)


def _yuan(value: Any) -> str:
    """Amount in a column headed “（元）”: thousands separators, 2 places."""
    from decimal import Decimal

    return f"{Decimal(str(value or 0)).quantize(Decimal('0.01')):,}"


class _Sections:
    """Numbers the chapter headings 一、二、三 … in the order they are printed."""

    def __init__(self) -> None:
        self.n = 0

    def __call__(self, title: str) -> Flowable:
        self.n += 1
        return doc.heading(tr("{n}、{t}", "{m}. {t}", n=cn_number(self.n), m=self.n, t=title))


def _sub(i: int, title: str) -> Flowable:
    return doc.heading(tr("（{n}）{t}", "({m}) {t}", n=cn_number(i), m=i, t=title), 2)


def _plain(text: str) -> Flowable:
    return doc.para(text, "plain")


def block_title(b: AgreementBlock) -> str:
    if b.ended:
        return tr("协议期 {s} 至 {e}（已结束，最终考核结果）", "Agreement period {s} – {e} (ended: final assessment)",
                  s=b.start.isoformat(), e=b.end.isoformat())
    return tr("协议期 {s} 至 {e}（执行中，截至 {a} 的进度）", "Agreement period {s} – {e} (running, as of {a})",
              s=b.start.isoformat(), e=b.end.isoformat(), a=b.assessed_on.isoformat())


def render_self_check(path: Path, data: SelfCheckData, *, generated_at: datetime) -> int:
    """Build the PDF; returns the page count."""
    head = _Sections()
    ident = data.identity
    title = tr("集中带量采购执行情况自查自纠报告", "VBP execution self-check report")
    flow: list[Flowable] = [
        doc.title_block(f"{ident.name}{title}", tr(
            "报告期间：{l}（{s} 至 {e}）　统计截止日：{a}", "Period: {l} ({s} – {e})   as of {a}",
            l=data.period_label, s=data.period_start.isoformat(), e=data.period_end.isoformat(),
            a=data.as_of.isoformat())),
        doc.form_table([(tr("填报单位", "Hospital"), ident.name), (tr("负责科室", "Department"), ident.department),
                        (tr("负责人", "Responsible"), ident.responsible), (tr("联系方式", "Contact"), ident.contact)],
                       per_row=2, label_width=24 * mm),
        doc.spacer(3),
        doc.para(tr("根据医疗保障部门关于集中带量采购中选结果落地执行情况自查自纠的工作要求，我院对{l}"
                    "集中带量采购中选产品的采购进度、非中选产品使用、供应保障、货款结算及报量等情况进行了全面自查，"
                    "现将有关情况报告如下。",
                    "As required by the medical insurance bureau, the hospital checked its execution of "
                    "volume-based procurement for {l}. The results follow.", l=data.period_label)),
    ]
    flow += _overview(head, data)
    flow += _product_chapter(head, data)
    flow += _share(head, data)
    flow += _not_in_hospital(head, data)
    flow += _clustering(head, data)
    flow += _exemptions(head, data)
    flow += _issues(head, data)
    flow += _orders(head, data)
    if data.suppliers is not None:
        flow += supplier_section(head, data.suppliers, data.as_of)
    flow += _payments(head, data)
    if data.prepayment is not None:
        flow += prepayment_section(head, data.prepayment)
    flow += _notes(head, data)
    flow += _suspensions(head, data)
    if data.departments is not None:
        flow += department_section(head, data.departments, data.blocks)
    flow += _findings(head, data)
    flow += _appendix(data)
    return doc.build_pdf(path, title, flow, hospital_name=ident.name, hospital_code=ident.code,
                         generated_at=generated_at)


# ----------------------------------------------------------------------- sections


def _overview(head: _Sections, data: SelfCheckData) -> list[Flowable]:
    out: list[Flowable] = [head(tr("总体执行情况", "Overview"))]
    if not data.blocks:
        return out + [_plain(tr("报告期间内没有处于协议期内的中选产品。",
                                "No selected product had an agreement period in the report period."))]
    out.append(doc.para(tr("报告期间涉及 {n} 个协议期：已结束的协议期列出最终考核结果，执行中的协议期列出截至 {a} 的进度。",
                           "{n} agreement period(s) overlap the report period: ended ones show their final "
                           "assessment, running ones their state on {a}.", n=len(data.blocks),
                           a=data.as_of.isoformat())))
    for i, b in enumerate(data.blocks, start=1):
        out.append(_sub(i, block_title(b)))
        out += _block_summary(b)
    return out


def _block_summary(b: AgreementBlock) -> list[Flowable]:
    counts = {s: sum(1 for r in b.rows if r.get("status") == s) for s in STATUS_ORDER}
    failed = sum(1 for r in b.rows if r.get("failed_reasons"))
    if b.ended:
        text = tr("中选产品 {n} 个，考核合格 {p} 个，不合格 {f} 个（其中未完成约定采购量 {c} 个，非中选产品采购占比超过上限 {s} 个）。",
                  "{n} selected product(s): {p} passed, {f} failed ({c} below the agreed volume, {s} with the "
                  "non-selected share above the limit).", n=len(b.rows), p=len(b.rows) - failed, f=failed,
                  c=sum(1 for r in b.rows if "completion" in (r.get("failed_reasons") or [])),
                  s=sum(1 for r in b.rows if "share" in (r.get("failed_reasons") or [])))
    else:
        text = tr("中选产品 {n} 个：已完成约定采购量 {c} 个，进度正常 {o} 个，进度滞后 {h} 个，严重滞后 {sv} 个，"
                  "未开始采购 {ns} 个，免考核 {ex} 个。",
                  "{n} selected product(s): {c} completed, {o} on track, {h} behind, {sv} severely behind, "
                  "{ns} not started, {ex} exempt.", n=len(b.rows), c=counts["completed"], o=counts["on_track"],
                  h=counts["behind"], sv=counts["severely_behind"], ns=counts["not_started"], ex=counts["exempt"])
    out: list[Flowable] = [doc.para(text)]
    if b.ended:  # the final assessment: passed / failed per batch
        header = [tr("批次", "Batch"), tr("产品数", "Products"), tr("考核合格", "Passed"), tr("考核不合格", "Failed"),
                  tr("约定采购金额（元）", "Agreed (CNY)"), tr("已采购金额（元）", "Purchased (CNY)"),
                  tr("完成进度", "Completion")]
        widths = [60 * mm, 16 * mm, 18 * mm, 18 * mm, 26 * mm, 26 * mm, 20 * mm]
        rows = [[s.name, s.products, s.products - s.failed, s.failed, _amount(s.agreed), _amount(s.purchased),
                 pct(s.completion)] for s in b.batches]
    else:
        header = [tr("批次", "Batch"), tr("产品数", "Products")] + [doc.status_label(s) for s in STATUS_ORDER] + [
            tr("约定采购金额（元）", "Agreed (CNY)"), tr("序时金额（元）", "Scheduled (CNY)"),
            tr("已采购金额（元）", "Purchased (CNY)"), tr("完成进度", "Completion"), tr("序时进度", "Schedule")]
        widths = [34 * mm, 11 * mm] + [11 * mm] * 6 + [20 * mm, 20 * mm, 20 * mm, 15 * mm, 15 * mm]
        rows = [[s.name, s.products] + [s.by_status.get(k, 0) for k in STATUS_ORDER] + [
            _amount(s.agreed), _amount(s.target), _amount(s.purchased), pct(s.completion), pct(s.schedule)]
            for s in b.batches]
    scale = W / sum(widths)
    out.append(doc.data_table(header, rows, [w * scale for w in widths], font_size=7.5,
                              align_right=list(range(1, len(header)))))
    out.append(doc.para(tr("注：一个批次包含片、支、粒等不同单位的产品，数量不能相加，故按中选价折算为金额：完成进度 = "
                           "已采购金额 ÷ 约定采购金额，序时进度同样按金额加权；批次中有产品缺少中选价时，各产品按其自身"
                           "完成进度平均计算，金额列显示“—”。",
                           "Note: a batch mixes tablets, vials and other units, which cannot be added up, so its "
                           "figures are amounts at the selected price: completion = purchased ÷ agreed amount, the "
                           "schedule weighted the same way; where a product has no selected price, the products' "
                           "own percentages are averaged and the amount columns show “—”."), "note"))
    for s in b.batches:
        if s.burnup_labels:
            money = s.weighting == "amount"
            out.append(BurnUpChart(
                s.burnup_labels, s.burnup_purchased, s.burnup_schedule, agreed=s.agreed if money else 1.0,
                title=tr("{b}：累计采购金额与序时进度（元，按中选价）", "{b}: purchases against the schedule (CNY at "
                         "the selected price)", b=s.name) if money else
                tr("{b}：各产品平均完成进度与序时进度（%）", "{b}: average completion against the schedule (%)",
                   b=s.name),
                money=money))
    return out


def _amount(value: float | None) -> str:
    return "—" if value is None else f"{value:,.2f}"


def _product_chapter(head: _Sections, data: SelfCheckData) -> list[Flowable]:
    if not data.blocks:
        return []
    out: list[Flowable] = [NextPageTemplate("landscape"), PageBreak(),
                           head(tr("中选产品执行明细", "Selected products"))]
    for i, b in enumerate(data.blocks, start=1):
        out.append(_sub(i, block_title(b)))
        out += product_tables(b.rows, ended=b.ended)
    return out + [NextPageTemplate("portrait"), PageBreak()]


def _share(head: _Sections, data: SelfCheckData) -> list[Flowable]:
    out: list[Flowable] = [head(tr("中选产品采购占比及非中选、可替代产品使用", "Selected share, non-selected and substitutes"))]
    s = data.share
    if s is not None and s.total_quantity:
        out.append(doc.para(tr(
            "报告期间，有中选产品的通用名共采购 {q}（最小使用单位），其中中选产品 {sq}，中选产品采购数量占比 {qs}；"
            "采购金额 {a}，其中中选产品 {sa}，金额占比 {as_}。",
            "In the period the generic names with a selected product were bought {q} base units, {sq} of them "
            "selected ({qs}); amount {a}, selected {sa} ({as_}).", q=num(s.total_quantity), sq=num(s.selected_quantity),
            qs=pct(s.quantity_share), a=money_text(s.total_amount), sa=money_text(s.selected_amount),
            as_=pct(s.amount_share))))
    else:
        out.append(_plain(tr("报告期间没有中选产品通用名的采购记录。", "No purchases of the selected generic names in the period.")))
    over = [r for r in data.nonselected if r["over"]]
    out.append(doc.para(tr("按通用名统计非中选产品采购量占同通用名产品采购总量的比例，控制上限为 {t}。共 {n} 个通用名，其中 {o} 个超过上限。",
                           "Share of non-selected units per generic name; limit {t}. {n} generic names, {o} above the limit.",
                           t=pct(data.r9_threshold), n=len(data.nonselected), o=len(over))))
    if data.nonselected:
        rows = [[r["generic_name"], pct(r["share"]), pct(r["threshold"]),
                 tr("超过上限", "above") if r["over"] else tr("未超过", "within")] for r in data.nonselected]
        header = [tr("通用名", "Generic name"), tr("非中选占比", "Share"), tr("控制上限", "Limit"), tr("结论", "Result")]
        widths = [W - 100 * mm, 30 * mm, 30 * mm, 40 * mm]
        if data.departments is not None:  # R21: who buys the non-selected products
            departments = DepartmentIndex(data.departments)
            for row, r in zip(rows, data.nonselected):
                row.append(departments.share(r["generic_name"]) if r["over"] else "")
            header.append(tr("使用非中选产品的主要科室", "Main departments using non-selected"))
            widths = [W - 142 * mm, 22 * mm, 22 * mm, 22 * mm, 76 * mm]
        out.append(doc.data_table(header, rows, widths, font_size=8.5, align_right=[1, 2],
                                  highlight_rows=[i for i, r in enumerate(data.nonselected) if r["over"]]))
    if data.substitutes:
        out.append(doc.para(tr("可替代药品使用超过上年同期的 {n} 项：", "{n} substitute finding(s):",
                               n=len(data.substitutes))))
        out.append(doc.data_table([tr("序号", "No."), tr("情况", "Finding")],
                                  [[i, s["message"]] for i, s in enumerate(data.substitutes, start=1)],
                                  [12 * mm, W - 12 * mm], font_size=8))
    else:
        out.append(_plain(tr("未发现以可替代药品替代中选产品的情况。", "No substitute used in place of a selected product.")))
    return out


def _not_in_hospital(head: _Sections, data: SelfCheckData) -> list[Flowable]:
    out: list[Flowable] = [head(tr("中选产品未进院情况", "Selected products not in the hospital"))]
    if not data.not_in_hospital:
        return out + [_plain(tr("执行满两个月的中选产品均已采购进院。", "Every selected product in its third month "
                                                                   "or later has been bought."))]
    rows = [[r["generic_name"], r.get("spec") or "", r.get("manufacturer") or "", r["batch"] or "",
             r.get("lag_reason") or ""] for r in data.not_in_hospital]
    return out + [doc.para(tr("执行满两个月仍未采购的中选产品 {n} 个：", "{n} product(s) not bought by their third month:",
                              n=len(rows))),
                  doc.data_table([tr("通用名", "Generic name"), tr("规格", "Spec"), tr("生产企业", "Manufacturer"),
                                  tr("批次", "Batch"), tr("未完成原因", "Reason")], rows,
                                 [36 * mm, 22 * mm, 36 * mm, 36 * mm, W - 130 * mm], font_size=8)]


def _clustering(head: _Sections, data: SelfCheckData) -> list[Flowable]:
    out: list[Flowable] = [head(tr("均衡采购情况", "Even purchasing"))]
    if not data.clustered:
        return out + [_plain(tr("未发现扎堆采购或整月未采购的情况。", "No clustered buying and no month without purchases."))]
    rows = [[r["generic_name"], r.get("spec") or "", r["batch"] or "", flag_text(
        [f for f in r["flags"] if f in ("clustered", "empty_month")])] for r in data.clustered]
    return out + [doc.para(tr("存在扎堆采购或整月未采购的中选产品 {n} 个：", "{n} product(s) with clustered buying or "
                              "months without purchases:", n=len(rows))),
                  doc.data_table([tr("通用名", "Generic name"), tr("规格", "Spec"), tr("批次", "Batch"),
                                  tr("情况", "Finding")], rows, [46 * mm, 26 * mm, 50 * mm, W - 122 * mm], font_size=8)]


def _exemptions(head: _Sections, data: SelfCheckData) -> list[Flowable]:
    out: list[Flowable] = [head(tr("免考核情况", "Exemptions"))]
    if not data.exemptions:
        return out + [_plain(tr("本期无免考核的产品。", "No exempt products in this period."))]
    rows = [[e["product"], e["reason"], e["document_ref"] or "—", _d(e["start"]), _d(e["end"]), e["note"]]
            for e in data.exemptions]
    return out + [doc.data_table([tr("产品", "Product"), tr("免考核原因", "Reason"), tr("依据文件", "Document"),
                                  tr("起始日", "From"), tr("截止日", "To"), tr("说明", "Note")], rows,
                                 [42 * mm, 34 * mm, 34 * mm, 19 * mm, 19 * mm, W - 148 * mm], font_size=8)]


def _issues(head: _Sections, data: SelfCheckData) -> list[Flowable]:
    out: list[Flowable] = [head(tr("供应问题反馈及处理情况", "Supply issues"))]
    if not data.issues:
        return out + [_plain(tr("本期未发生供应问题。", "No supply issues in this period."))]
    overdue_idx = [i for i, v in enumerate(data.issues) if v.overdue]
    out.append(doc.para(tr("本期涉及供应问题 {n} 件，截至 {a} 逾期未答复或未解决 {o} 件（红色标示）。",
                           "{n} supply issue(s) in this period, {o} overdue on {a} (in red).",
                           n=len(data.issues), o=len(overdue_idx), a=data.as_of.isoformat())))
    what = {"reply": tr("答复逾期", "reply overdue"), "resolution": tr("解决逾期", "resolution overdue")}
    rows = [[v.id, v.product, v.company or "—", v.type_label, _d(v.reported_at), _d(v.reply_due),
             _d(v.resolution_due), v.status_label, "、".join(what.get(o, o) for o in v.overdue) or "—"]
            for v in data.issues]
    out.append(doc.data_table([tr("编号", "No."), tr("产品", "Product"), tr("企业", "Company"),
                               tr("问题类型", "Type"), tr("反馈时间", "Reported"), tr("答复期限", "Reply due"),
                               tr("解决期限", "Resolution due"), tr("状态", "Status"), tr("逾期", "Overdue")],
                              rows, [9 * mm, 30 * mm, 28 * mm, 19 * mm, 22 * mm, 18 * mm, 18 * mm, 14 * mm,
                                     W - 158 * mm], font_size=7.5, highlight_rows=overdue_idx))
    return out


def _orders(head: _Sections, data: SelfCheckData) -> list[Flowable]:
    out: list[Flowable] = [head(tr("订单响应及配送情况", "Orders"))]
    if not data.orders:
        return out + [_plain(tr("本期无订单记录。", "No orders in this period."))]
    level = {"warning": tr("预警", "warning"), "serious": tr("严重", "serious")}
    rows = [[r.get("company"), r.get("quarter"), num(r.get("placed")), num(r.get("responded_in_time")),
             pct(r.get("response_rate")), num(r.get("delivered")), num(r.get("delivered_in_time")),
             pct(r.get("timeliness")), level.get(r.get("level"), "—")] for r in data.orders]
    out.append(doc.data_table([tr("配送企业", "Company"), tr("季度", "Quarter"), tr("订单数", "Placed"),
                               tr("按时响应", "Responded in time"), tr("响应率", "Response rate"),
                               tr("已配送", "Delivered"), tr("按时配送", "In time"), tr("配送及时率", "Timeliness"),
                               tr("结论", "Level")], rows,
                              [W - 128 * mm, 16 * mm, 13 * mm, 16 * mm, 15 * mm, 13 * mm, 15 * mm, 17 * mm, 23 * mm],
                              font_size=8, align_right=[2, 3, 4, 5, 6, 7],
                              highlight_rows=[i for i, r in enumerate(data.orders) if r.get("level")]))
    out.append(doc.para(tr("注：订单响应率 = 在响应时限内响应的订单 ÷ 订单总数；配送及时率 = 在配送时限内送达的订单 ÷ 已配送订单。",
                           "Note: response rate = orders answered in time ÷ orders placed; timeliness = orders "
                           "delivered in time ÷ orders delivered."), "note"))
    return out


def supplier_section(head: _Sections, rows: list[SupplierLine], as_of=None) -> list[Flowable]:
    """R4 version 2: the supplier scorecard (filled by ``documents._suppliers``): manufacturers,
    then distributors, each with orders, response, timeliness, delivery rate and supply issues."""
    out: list[Flowable] = [head(tr("供应企业履约评价", "Supplier scorecard"))]
    if not rows:
        return out + [_plain(tr("本期无供应企业订单或供应问题记录。", "No supplier orders or issues in this period."))]
    period = rows[0].period
    span = tr("{y}年度", "year {y}", y=period) if len(period) == 4 else \
        tr("{y}年第{q}季度", "{y} Q{n}", y=period[:4], q=cn_number(int(period[-1])), n=period[-1])
    out.append(doc.para(tr("按{p}统计（截至 {a}），生产企业与配送企业分别评价；本期既无订单也无供应问题的企业未列出。",
                           "Figures for {p} (as of {a}), manufacturers and distributors rated separately; "
                           "suppliers with neither orders nor supply issues are not listed.",
                           p=span, a=_d(as_of) if as_of else "—")))
    role = {"manufacturer": tr("生产企业", "Manufacturer"), "distributor": tr("配送企业", "Distributor")}
    level = {"serious": tr("严重", "serious"), "warning": tr("预警", "warning"), "incentive": tr("激励", "incentive")}
    table = [[r.company, role.get(r.role, r.role), num(r.placed), pct(r.response_rate), pct(r.timeliness),
              pct(r.delivery_rate), num(r.issues), pct(r.issues_on_time_rate), num(r.escalations),
              level.get(r.level or "", "—")] for r in rows]
    out.append(doc.data_table([tr("企业", "Company"), tr("类型", "Role"), tr("订单数", "Placed"),
                               tr("响应率", "Response"), tr("配送及时率", "Timeliness"), tr("订单配送率", "Delivery"),
                               tr("供应问题", "Issues"), tr("按时解决率", "On time"), tr("上报", "Escalated"),
                               tr("评价", "Level")], table,
                              [W - 136 * mm, 16 * mm, 13 * mm, 14 * mm, 16 * mm, 16 * mm, 14 * mm, 16 * mm, 12 * mm,
                               19 * mm], font_size=7.5, align_right=list(range(2, 9)),
                              highlight_rows=[i for i, r in enumerate(rows) if r.level in ("warning", "serious")]))
    out.append(doc.para(tr("注：订单配送率 = 足量配送的订单行 ÷ 订单行；按时解决率 = 在期限内答复并解决的供应问题 ÷ 已有结果的供应问题；"
                           "未发生订单的企业不计算比率，也不评价。",
                           "Note: delivery rate = order lines delivered in full ÷ order lines; on time = issues replied "
                           "to and resolved within their dues ÷ issues with an outcome; no orders: no rates, no level."),
                        "note"))
    return out


def _payments(head: _Sections, data: SelfCheckData) -> list[Flowable]:
    out: list[Flowable] = [head(tr("货款结算情况", "Payments"))]
    if not data.payments:
        return out + [_plain(tr("本期无到期应付货款。", "No payments due in this period."))]
    rows = [[s.company, num(s.due), num(s.on_time), num(s.late), num(s.unpaid), pct(s.rate), _yuan(s.amount_due),
             _yuan(s.amount_unpaid)] for s in data.payments]
    out.append(doc.para(tr("按“交货验收合格后次月底前付款”的要求，统计本期到期应付货款的结算情况。",
                           "Payments due in the period (due by the end of the month after acceptance).")))
    out.append(doc.data_table([tr("企业", "Company"), tr("到期笔数", "Due"), tr("按时支付", "On time"),
                               tr("逾期已付", "Late"), tr("逾期未付", "Unpaid"), tr("按时支付率", "Rate"),
                               tr("到期金额（元）", "Amount due (CNY)"), tr("未付金额（元）", "Unpaid (CNY)")], rows,
                              [W - 128 * mm, 14 * mm, 14 * mm, 14 * mm, 14 * mm, 16 * mm, 28 * mm, 28 * mm],
                              font_size=8, align_right=[1, 2, 3, 4, 5, 6, 7],
                              highlight_rows=[i for i, s in enumerate(data.payments) if s.unpaid]))
    if data.overdue_payments:
        out.append(doc.para(tr("逾期未付货款 {n} 笔，合计 {a}，逐笔列于附表。", "{n} overdue payment(s), {a} in total, "
                               "each listed in the appendix.", n=len(data.overdue_payments),
                               a=money_text(sum(p.amount for p in data.overdue_payments)))))
    return out


def prepayment_section(head: _Sections, rows: list[PrepaymentLine]) -> list[Flowable]:
    """R15: prepayment per batch and agreement year (filled by ``documents._prepayment``), with the
    day by which what is not offset is recovered."""
    out: list[Flowable] = [head(tr("医保基金预付情况", "Prepayment"))]
    if not rows:
        return out + [_plain(tr("本期无预付记录。", "No prepayment in this period."))]
    out.append(doc.para(tr("医保基金按约定采购金额的一定比例预付，随采购进度逐步冲抵；采购周期结束后 2 个月内收回未冲抵部分。",
                           "The insurance fund prepays a share of the agreed amount, offset as purchasing "
                           "progresses; what is not offset is recovered within 2 months after the cycle ends.")))
    table = [[r.batch, _year_cell(r), _yuan(r.agreed_amount), pct(r.rate), _yuan(r.prepayment), _yuan(r.offset),
              _yuan(r.outstanding), _d(r.recover_by)] for r in rows]
    return out + [doc.data_table([tr("批次", "Batch"), tr("协议年度", "Year"), tr("约定金额（元）", "Agreed (CNY)"),
                                  tr("预付比例", "Rate"), tr("预付金额（元）", "Prepaid (CNY)"),
                                  tr("已冲抵（元）", "Offset (CNY)"), tr("未冲抵（元）", "Outstanding (CNY)"),
                                  tr("收回期限", "Recover by")], table,
                                 [W - 144 * mm, 22 * mm, 22 * mm, 14 * mm, 22 * mm, 22 * mm, 22 * mm, 20 * mm],
                                 font_size=8, align_right=[2, 3, 4, 5, 6])]


def _year_cell(r: PrepaymentLine) -> str:
    """“第1年” over the year's dates (R15 is per agreement year)."""
    text = tr("第{n}年", "Year {n}", n=r.year)
    if r.period_start and r.period_end:
        text += "\n" + tr("{s}\n至 {e}", "{s}\nto {e}", s=r.period_start.isoformat(), e=r.period_end.isoformat())
    return text


def _notes(head: _Sections, data: SelfCheckData) -> list[Flowable]:
    out: list[Flowable] = [head(tr("报量情况说明", "Volume-report notes"))]
    if not data.notes:
        return out + [_plain(tr("报量无需填写情况说明。", "No line needs an explanatory note."))]
    labels = {"none": tr("待审核", "to review"), "draft": tr("草稿（未签字）", "draft"),
              "signed": tr("已签字", "signed")}
    counts = {k: sum(1 for n in data.notes if n.status == k) for k in labels}
    out.append(doc.para(tr("报量变化超过规定幅度、需要填写情况说明的共 {n} 条：已签字 {s} 条，草稿 {d} 条，待审核 {x} 条。",
                           "{n} line(s) need a note: {s} signed, {d} draft, {x} to review.",
                           n=len(data.notes), s=counts["signed"], d=counts["draft"], x=counts["none"])))
    rows = [[n.report_name, n.generic_name, n.spec, num(n.baseline), num(n.reported),
             pct(n.change) if n.change is not None else "—", labels.get(n.status, n.status), n.signed_on]
            for n in data.notes]
    out.append(doc.data_table([tr("报量", "Report"), tr("通用名", "Generic name"), tr("规格", "Spec"),
                               tr("基线用量", "Baseline"), tr("报送量", "Reported"), tr("变化", "Change"),
                               tr("说明状态", "Note"), tr("签字日期", "Signed on")], rows,
                              [30 * mm, W - 156 * mm, 22 * mm, 18 * mm, 18 * mm, 16 * mm, 24 * mm, 28 * mm],
                              font_size=8, align_right=[3, 4, 5],
                              highlight_rows=[i for i, n in enumerate(data.notes) if n.status != "signed"]))
    return out


def _suspensions(head: _Sections, data: SelfCheckData) -> list[Flowable]:
    out: list[Flowable] = [head(tr("质量安全及暂停使用情况", "Quality suspensions"))]
    if not data.suspensions:
        return out + [_plain(tr("本期无因质量问题暂停使用的产品。", "No product suspended for quality reasons."))]
    rows = [[s.product, _d(s.since), s.reason, s.reported_to or "—"] for s in data.suspensions]
    return out + [doc.data_table([tr("产品", "Product"), tr("暂停日期", "Since"), tr("原因", "Reason"),
                                  tr("已报告", "Reported to")], rows, [50 * mm, 22 * mm, W - 122 * mm, 50 * mm],
                                 font_size=8)]


def department_section(head: _Sections, rows: list[DepartmentLine],
                       blocks: list[AgreementBlock] | None = None) -> list[Flowable]:
    """R19/R21: the departments behind each lagging product and each non-selected share finding
    (filled by ``documents._departments``; not printed for a hospital without department data),
    one table per agreement period shown; the product and its problem head each group of lines."""
    out: list[Flowable] = [head(tr("问题品种涉及科室情况", "Departments behind the problems"))]
    if not rows:
        return out + [_plain(tr("报告期间没有进度滞后或非中选产品采购占比超过上限的中选产品。",
                                "No selected product lags and no non-selected share is above the limit."))]
    out.append(doc.para(tr(
        "根据本院科室发药（领用）记录，统计报告期间起至统计截止日（已结束的协议期至其结束日）各科室对存在问题品种的使用情况："
        "进度滞后的产品，其缺口按各科室用量占该通用名用量的比例分摊；非中选产品采购占比超过上限的通用名，列出使用非中选产品的科室。"
        "用量为最小使用单位，已扣除退药。",
        "From the hospital's department dispensing records, each department's use of the problem products from "
        "the period start to the report's day (an ended agreement period: to its last day): a lagging product's "
        "shortfall is split by the departments' shares of the generic name's use; for a non-selected share above "
        "the limit, the departments using non-selected products are listed. Base units, returns subtracted.")))
    spans = [(b.start, b.end, b) for b in blocks or []]
    groups = [(b, [r for r in rows if (r.period_start, r.period_end) == (s, e)]) for s, e, b in spans]
    groups = [(b, g) for b, g in groups if g] or [(None, rows)]
    for i, (b, lines) in enumerate(groups, start=1):
        if b is not None and len(groups) > 1:
            out.append(_sub(i, block_title(b)))
        out.append(_department_table(lines))
    return out


def _problem_text(r: DepartmentLine) -> str:
    problem = []
    if r.lagging:  # a merged consumable lags as a group, without a shortfall of its own (R11)
        problem.append(tr("进度滞后，缺口 {n}", "behind, shortfall {n}", n=num(r.shortfall)) if r.shortfall
                       else tr("进度滞后", "behind"))
    if r.share_over:
        problem.append(tr("非中选占比 {s}", "non-selected {s}", s=pct(r.hospital_share)))
    return "\n".join(problem)


def _department_table(rows: list[DepartmentLine]) -> Table:
    table, inner, last = [], [], None
    for r in rows:
        key = (r.product_id, r.period_start)
        same, last = key == last, key
        if same:  # the same product: its cells left blank, the line above them hidden
            inner.append(len(table) + 1)  # + 1: the header row
        product = r.generic_name if r.share_over and not r.lagging else " ".join(x for x in (r.generic_name, r.spec) if x)
        head = ["", ""] if same else [product, _problem_text(r)]
        if not r.department:
            none = tr("无科室使用非中选产品记录", "no non-selected use recorded") if r.share_over and not r.lagging \
                else tr("无科室使用记录", "no use recorded")
            table.append(head + [none, "", "", "", ""])
            continue
        table.append(head + [r.department, num(r.selected), num(r.nonselected), pct(r.share),
                             num(r.shortfall_part) if r.lagging and r.shortfall else "—"])
    t = doc.data_table([tr("产品", "Product"), tr("问题", "Problem"), tr("科室", "Department"),
                        tr("中选用量", "Selected"), tr("非中选用量", "Non-selected"),
                        tr("科室非中选占比", "Dept. non-selected share"), tr("分摊缺口", "Part of shortfall")],
                       table, [W - 144 * mm, 32 * mm, 30 * mm, 18 * mm, 20 * mm, 22 * mm, 22 * mm],
                       font_size=8, align_right=[3, 4, 5, 6])
    t.setStyle([("LINEABOVE", (0, i), (1, i), 0.6, colors.white) for i in inner])
    return t


def _findings(head: _Sections, data: SelfCheckData) -> list[Flowable]:
    out: list[Flowable] = [head(tr("存在的问题、原因及整改措施", "Findings, causes and corrective measures"))]
    out.append(_sub(1, tr("存在的问题", "Findings")))
    for line in (data.findings_text or "").split("\n"):
        out.append(doc.spacer(2) if not line.strip() else _plain(line.strip()))
    lagging = [r for b in data.blocks for r in b.rows
               if r.get("failed_reasons") or r.get("status") in ("behind", "severely_behind", "not_started")]
    out.append(_sub(2, tr("未完成原因", "Causes")))
    if lagging:
        departments = DepartmentIndex(data.departments)
        rows = [[r["generic_name"], r.get("spec") or "", r.get("batch") or "",
                 failed_text(r["failed_reasons"]) if r.get("failed_reasons") else doc.status_label(r["status"]),
                 _cause(departments, r)] for r in lagging]
        out.append(doc.data_table([tr("通用名", "Generic name"), tr("规格", "Spec"), tr("批次", "Batch"),
                                   tr("问题", "Problem"), tr("未完成原因", "Cause")], rows,
                                  [34 * mm, 22 * mm, 34 * mm, 34 * mm, W - 124 * mm], font_size=8))
    else:
        out.append(_plain(tr("没有未完成或进度滞后的中选产品。", "No selected product failed or lags.")))
    out.append(_sub(3, tr("整改措施", "Corrective measures")))
    if data.measures:
        rows = [[i, m.problem, m.cause, m.measure, m.department, m.responsible, _d(m.due_date)]
                for i, m in enumerate(data.measures, start=1)]
        out.append(doc.data_table([tr("序号", "No."), tr("问题", "Problem"), tr("原因", "Cause"), tr("整改措施", "Measure"),
                                   tr("责任科室", "Department"), tr("责任人", "Responsible"), tr("完成时限", "Due")],
                                  rows, [9 * mm, 32 * mm, 26 * mm, W - 138 * mm, 26 * mm, 22 * mm, 23 * mm],
                                  font_size=8))
    else:
        out.append(_plain(tr("本期无需整改的问题。", "Nothing to correct in this period.")))
    out.append(doc.spacer(4))
    out.append(doc.para(tr("特此报告。", "Submitted.")))
    ident = data.identity
    out.append(KeepTogether([
        doc.form_table([(tr("填报科室", "Department"), ident.department), (tr("负责人", "Responsible"), ident.responsible),
                        (tr("联系方式", "Contact"), ident.contact), (tr("统计截止日", "As of"), data.as_of.isoformat())],
                       per_row=2, label_width=24 * mm),
        doc.signature_block([tr("填报人", "Prepared by"), tr("药学部门负责人", "Head of pharmacy"),
                             tr("分管院领导", "Responsible director")]),
        doc.stamp_block(ident.name)]))
    return out


def _cause(departments: DepartmentIndex, row: dict) -> str:
    """The pharmacist's 未完成原因, then the departments behind the product (R21)."""
    cause = row.get("lag_reason") or tr("未填写", "not given")
    names = departments.lagging(row)
    return cause + ("\n" + tr("涉及科室：{d}", "Departments: {d}", d=names) if names else "")


def _appendix(data: SelfCheckData) -> list[Flowable]:
    """Every finding and every overdue payment, listed in full (the bureau cannot see our lists)."""
    out: list[Flowable] = []
    if data.alerts:
        out += [PageBreak(), doc.heading(tr("附表1　存在问题明细（共 {n} 项）", "Appendix 1: findings ({n})",
                                          n=len(data.alerts))),
                doc.data_table([tr("序号", "No."), tr("类别", "Kind"), tr("问题", "Finding")],
                               [[i, k, m] for i, (k, m) in enumerate(data.alerts, start=1)],
                               [12 * mm, 36 * mm, W - 48 * mm], font_size=7.5)]
    if data.overdue_payments:
        n = 2 if data.alerts else 1
        rows = [[p.order_no, p.company, _d(p.accepted_on), _d(p.due), _yuan(p.amount)] for p in data.overdue_payments]
        out += [doc.heading(tr("附表{k}　逾期未付货款明细（共 {n} 笔）", "Appendix {k}: overdue payments ({n})",
                               k=n, n=len(rows))),
                doc.data_table([tr("订单号", "Order"), tr("企业", "Company"), tr("验收日期", "Accepted"),
                                tr("付款期限", "Due"), tr("金额（元）", "Amount (CNY)")], rows,
                               [36 * mm, W - 120 * mm, 28 * mm, 28 * mm, 28 * mm], font_size=8, align_right=[4])]
    return out
