"""Escalation letter to the medical insurance bureau for an overdue supply issue (R3).

States which dues were missed and by how many working days (R2), gives the full
timeline and says what the hospital asks for.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from reportlab.platypus import Flowable

from hospital_app.i18n import tr
from hospital_app.reports import document as doc
from hospital_app.reports.complaint import dt_text, product_text, supplier_text, timeline_table
from hospital_app.reports.document import mm

if TYPE_CHECKING:  # pragma: no cover
    from hospital_app.reports.model import IssueDocData


def _cn_date(d) -> str:
    return tr("{y}年{m}月{d}日", "{y}-{m:02d}-{d:02d}", y=d.year, m=d.month, d=d.day)


def missed_rows(data: IssueDocData) -> list[list[str]]:
    what = {"reply": tr("书面答复", "reply"), "resolution": tr("解决问题", "resolution")}
    rows = []
    for m in data.missed:
        done = dt_text(m.done) if m.done else tr("截至 {a} 仍未完成", "not done as of {a}", a=data.as_of.isoformat())
        rows.append([what.get(m.what, m.what), dt_text(m.due), done,
                     tr("{n} 个工作日", "{n} working day(s)", n=m.working_days)])
    return rows


def render_escalation(path: Path, data: IssueDocData, *, generated_at: datetime) -> int:
    """Build the escalation letter PDF; returns the page count."""
    from hospital_app.reports.labels import issue_type_label as type_label

    v = data.detail.issue
    supplier = supplier_text(data)
    product = product_text(data)
    kind = type_label(v.type)
    org = data.hospital_name or tr("我院", "The hospital")
    title = tr("关于{c}{p}供应问题逾期未解决的报告", "Report: overdue supply issue — {p} ({c})",
               c=supplier, p=product)
    missed = "；".join(f"{r[0]}{tr('期限', ' due')} {r[1]}，{tr('逾期', 'late by')} {r[3]}"
                      for r in missed_rows(data))
    flow: list[Flowable] = [
        doc.title_block(title, tr("（供应问题编号：{id}）", "(supply issue no. {id})", id=v.id)),
        doc.para(tr("{b}：", "To {b}:", b=data.bureau), "plain"),
        doc.para(tr(
            "{rd}，我院向{c}反馈其中选产品{p}存在“{k}”问题{dist}。问题情况：{desc}",
            "On {rd} the hospital reported a “{k}” problem with {p} to {c}{dist}. Details: {desc}",
            rd=_cn_date(v.reported_at), c=supplier, p=product, k=kind,
            dist=tr("（配送企业：{d}）", " (distributor: {d})", d=v.distributor) if v.distributor else "",
            desc=v.description or tr("见附件处理经过。", "see the timeline."))),
        doc.para(tr(
            "按照集中带量采购中选产品供应问题处理的有关规定，企业应在 2 个工作日内答复（期限 {r}），"
            "并在答复后 5 个工作日内或承诺日期前解决（期限 {d}）。截至 {a}，该问题仍未解决：{m}。",
            "The supplier had to reply within 2 working days (by {r}) and resolve within 5 working days of the "
            "reply or by its promise (by {d}). As of {a} the problem is not resolved: {m}.",
            r=dt_text(v.reply_due), d=dt_text(v.resolution_due), a=dt_text(data.as_of), m=missed or "—")),
        doc.heading(tr("一、逾期情况", "1. Missed due dates"), 2),
        doc.data_table([tr("应完成事项", "What"), tr("期限", "Due"), tr("实际完成", "Done"),
                        tr("逾期", "Late by")], missed_rows(data),
                       [36 * mm, 30 * mm, doc.CONTENT_WIDTH - 106 * mm, 40 * mm], font_size=9),
        doc.para(tr("注：逾期天数按国家法定节假日安排计算工作日，期限当日 24 时前完成的不计逾期。",
                    "Working days follow the official holiday schedule; a due date is met until the end of that day."),
                 "note"),
        doc.heading(tr("二、处理经过", "2. Timeline"), 2),
        timeline_table(data),
        doc.heading(tr("三、请求事项", "3. Requests"), 2),
        doc.para(tr("1. 请贵局督促{c}立即落实供应责任，尽快恢复{p}的正常供应，并书面说明逾期原因。",
                    "1. Urge {c} to restore supply of {p} at once and explain the delay in writing.",
                    c=supplier, p=product), "plain"),
        # R11 v2: only verified backup-supplier purchases count as selected; other products of the
        # same generic name bought meanwhile are left out of the assessment (not counted as selected).
        doc.para(tr("2. 请贵局核实上述供应问题。在问题解决前，同意我院采购备供企业产品或同通用名其他产品保障"
                    "临床用药：经核实的备供企业产品采购量按规定计入中选产品约定采购量完成情况；同通用名非中选"
                    "产品的采购量不纳入本院集中带量采购执行考核（不计入约定采购量完成情况，也不计入非中选产品"
                    "采购占比）。",
                    "2. Please verify this supply issue. Until it is resolved, allow the hospital to buy from "
                    "backup suppliers or other products of the same generic name: backup-supplier purchases, once "
                    "verified, count toward the selected product's agreed volume; non-selected purchases are left "
                    "out of the hospital's assessment (neither toward the agreed volume nor in the non-selected "
                    "share)."), "plain"),
        doc.para(tr("3. 将该企业的履约情况按规定纳入中选企业履约评价及信用管理。",
                    "3. Record the supplier's default in its performance and credit evaluation."), "plain"),
        doc.spacer(2),
        doc.para(tr("特此报告。", "Respectfully submitted."), "body"),
        doc.para(tr("联系人及电话：{c}", "Contact: {c}", c=data.contact or "—"), "plain"),
        doc.para(tr("附件：供应问题反馈表（编号 {id}）", "Attachment: supply issue form no. {id}", id=v.id), "plain"),
        doc.stamp_block(org, _cn_date(data.as_of)),
    ]
    return doc.build_pdf(path, tr("供应问题上报函", "Escalation letter"), flow, hospital_name=data.hospital_name,
                         hospital_code=data.hospital_code, generated_at=generated_at)
