"""Supply complaint form (供应问题反馈表, R3) for the supplier and the insurance bureau.

Also holds the pieces the escalation letter shares: the issue timeline table and the
product/company texts.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from reportlab.platypus import Flowable

from hospital_app.i18n import tr
from hospital_app.reports import document as doc
from hospital_app.reports.document import mm

if TYPE_CHECKING:  # pragma: no cover
    from hospital_app.reports.model import IssueDocData

ACTIONS = {
    "filed": ("登记反馈", "filed"),
    "replied": ("企业答复", "supplier replied"),
    "resolved": ("问题解决", "resolved"),
    "closed": ("关闭", "closed"),
    "escalated": ("上报医保部门", "escalated"),
    "note": ("备注", "note"),
    "linked": ("关联采购", "purchases linked"),
    "emergency_verified": ("应急采购核实", "emergency purchase verified"),
    "reported_to_bureau": ("报告医保部门", "reported to the bureau"),
    "bureau_confirmed": ("医保部门核实", "confirmed by the bureau"),
}


def dt_text(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    return value.isoformat() if hasattr(value, "isoformat") else str(value)


def product_text(data: IssueDocData) -> str:
    v = data.detail.issue
    return " ".join(x for x in (v.product_name, v.spec) if x)


def supplier_text(data: IssueDocData) -> str:
    """The company the issue is against: the named manufacturer, else the product's."""
    v = data.detail.issue
    return v.company or v.manufacturer or v.distributor or tr("（未填写）", "(not given)")


def timeline_table(data: IssueDocData, width: float = doc.CONTENT_WIDTH):
    """R3: who did what when — the issue's events, or its dates when no event was kept."""
    from hospital_app.reports.labels import issue_status_label as status_label

    events = list(data.detail.events)
    rows: list[list[Any]] = []
    if events:
        for e in sorted(events, key=lambda e: (e.at, e.recorded_at)):
            change = ""
            if e.to_status and e.to_status != e.from_status:  # a report or a note changes no state
                change = (f"{status_label(e.from_status)} → " if e.from_status else "") + status_label(e.to_status)
            pair = ACTIONS.get(e.action)
            rows.append([dt_text(e.at), tr(*pair) if pair else e.action, change, e.detail or ""])
    else:
        v = data.detail.issue
        for at, action, text in ((v.reported_at, "filed", v.description), (v.replied_at, "replied", v.reply_text),
                                 (v.resolved_at, "resolved", v.resolution_text), (v.closed_at, "closed", None),
                                 (v.escalated_at, "escalated", None)):
            if at is not None:
                rows.append([dt_text(at), tr(*ACTIONS[action]), "", text or ""])
    # No "who" column: the events keep the app's user name, which may be an operating-system
    # login; the form names the hospital's responsible person instead (R19).
    return doc.data_table([tr("时间", "When"), tr("事项", "What"), tr("状态变化", "Status"),
                           tr("说明", "Detail")], rows,
                          [28 * mm, 24 * mm, 30 * mm, width - 82 * mm], font_size=8.5)


def _due_text(due, provisional: bool) -> str:
    text = dt_text(due)
    if provisional:
        text += tr("（暂定）", " (provisional)")
    return text


def render_complaint(path: Path, data: IssueDocData, *, generated_at: datetime) -> int:
    """Build the complaint form PDF; returns the page count."""
    from hospital_app.reports.labels import issue_status_label as status_label, issue_type_label as type_label

    v = data.detail.issue
    title = tr("集中带量采购中选产品供应问题反馈表", "Supply issue report (selected product)")
    promise = ""
    if v.promised_date:
        promise = tr("承诺解决日期：{d}", "promised by {d}", d=dt_text(v.promised_date))
        if v.promise_exceeds_limit:
            promise += tr("（超过答复后 5 个工作日的时限）", " (beyond 5 working days after the reply)")
    reply = "\n".join(x for x in (v.reply_text or "", promise) if x) if v.replied_at else tr("尚未答复", "no reply yet")
    flow: list[Flowable] = [
        doc.title_block(title, tr("反馈编号：{id}　　　填表日期：{d}", "No. {id}    date {d}",
                                  id=v.id, d=data.as_of.isoformat())),
        doc.form_table([
            (tr("反馈医疗机构", "Hospital"), data.hospital_name),
            (tr("机构编码", "Hospital code"), data.hospital_code),
            (tr("产品名称及规格", "Product"), product_text(data)),
            (tr("产品编码", "Product code"), data.product_code),
            (tr("生产企业", "Manufacturer"), supplier_text(data)),
            (tr("配送企业", "Distributor"), v.distributor),
            (tr("问题类型", "Type"), type_label(v.type)),
            (tr("当前状态", "Status"), status_label(v.status)),
            (tr("反馈时间", "Reported at"), dt_text(v.reported_at)),
            (tr("反馈科室", "Department"), data.identity.department),
            (tr("反馈人", "Reported by"), data.identity.responsible),
            (tr("答复期限", "Reply due"), tr("{d}（2 个工作日内）", "{d} (2 working days)", d=dt_text(v.reply_due))),
            (tr("解决期限", "Resolution due"), _due_text(v.resolution_due, v.resolution_due_provisional)),
        ], per_row=2, label_width=26 * mm),
        doc.form_table([
            (tr("问题描述", "Description"), v.description),
            (tr("企业答复", "Supplier's reply"), reply),
            (tr("解决情况", "Resolution"), v.resolution_text if v.resolved_at else tr("尚未解决", "not resolved yet")),
            (tr("联系人及电话", "Contact"), data.contact),
        ], label_width=26 * mm),
        doc.spacer(3),
        doc.heading(tr("处理经过", "Timeline"), 2),
        timeline_table(data),
        doc.spacer(3),
        doc.para(tr("请贵企业自反馈之日起 2 个工作日内书面答复，并在答复后 5 个工作日内（或承诺日期前）解决上述问题。"
                    "逾期未答复或未解决的，我院将按规定向{b}报告。",
                    "Please reply within 2 working days and resolve within 5 working days of the reply; "
                    "otherwise the hospital reports to {b}.", b=data.bureau), "body"),
        doc.para(tr("抄送：{b}", "Copy to: {b}", b=data.bureau), "plain"),
        doc.signature_block([tr("填报人", "Prepared by"), tr("药学部门负责人", "Head of pharmacy")]),
        doc.stamp_block(data.hospital_name),
    ]
    return doc.build_pdf(path, title, flow, hospital_name=data.hospital_name,
                         hospital_code=data.hospital_code, generated_at=generated_at)
