"""R13: the explanatory notes of a volume report as an A4 PDF for submission.

An overview table first, then one section per line that needs a note (one page
each, so each can be signed): product, baseline, reported volume, change,
threshold, a small bar chart of the last 12 months, reasons, text, signatures.
Built on the shared ``hospital_app.reports.document`` module (embedded CJK font,
"第 X 页 共 Y 页").
"""

from __future__ import annotations

import os
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Sequence

from reportlab.platypus import Flowable, PageBreak

from hospital_app.domain import volume_check as vc
from hospital_app.i18n import tr
from hospital_app.reports import document as doc

if TYPE_CHECKING:  # pragma: no cover
    from hospital_app.services.volume_reports import NoteView


def _status_text(v: NoteView) -> str:
    if v.status == "signed":
        when = v.signed_at.strftime("%Y-%m-%d %H:%M") if v.signed_at else ""
        return tr("已签字（{w}，{t}）", "signed ({w}, {t})", w=v.signed_by or "", t=when)
    if v.status == "draft":
        return tr("草稿（未签字）", "draft (unsigned)")
    return tr("未起草（系统草拟）", "not drafted (generated text)")


def _overview(views: Sequence[NoteView]) -> Flowable:
    header = [tr("序号", "No."), tr("通用名", "Generic name"), tr("规格", "Spec"),
              tr("基线", "Baseline"), tr("申报量", "Reported"), tr("变化", "Change"),
              tr("触发情形", "Threshold"), tr("状态", "Status")]
    rows = [[str(i), v.row.generic_name, v.row.spec or "", f"{v.row.baseline:,}", f"{v.row.reported:,}",
             vc.format_percent(v.row.change), vc.threshold_label(v.row.reason),
             {"signed": tr("已签字", "signed"), "draft": tr("草稿", "draft")}.get(v.status, tr("未起草", "none"))]
            for i, v in enumerate(views, start=1)]
    widths = [10, 44, 24, 20, 20, 17, 24, 15]
    return doc.data_table(header, rows, [w * doc.mm for w in widths], align_right=(3, 4, 5))


def _chart(v: NoteView) -> Flowable:
    """The small 12-month bar chart; a sentence instead when nothing was bought."""
    if not any(m.quantity for m in v.months):
        return doc.para(tr("近12个月采购量：无采购记录。", "Last 12 months: no purchases."), "plain")
    title = tr("近12个月采购量（趋势：{t}）", "Last 12 months (trend: {t})", t=vc.trend_label(v.trend))
    return doc.bar_chart([m.month for m in v.months], [m.quantity for m in v.months], title=title,
                         width=doc.CONTENT_WIDTH, height=52 * doc.mm, value_format="{:.0f}")


def _section(number: int, v: NoteView) -> list[Flowable]:
    r = v.row
    flow: list[Flowable] = [
        doc.heading(tr("{n}. {g}（{s}）", "{n}. {g} ({s})", n=number, g=r.generic_name, s=r.spec or "—")),
        doc.form_table([
            (tr("通用名", "Generic name"), r.generic_name), (tr("规格", "Spec"), r.spec),
            (tr("剂型", "Form"), r.dosage_form), (tr("生产企业", "Manufacturer"), r.manufacturer),
            (tr("产品编码", "Product code"), r.product_code), (tr("报量名称", "Report"), r.report_name),
            (tr("基线（{y}年采购量）", "Baseline ({y} purchases)", y=r.baseline_year), f"{r.baseline:,}"),
            (tr("申报量", "Reported"), f"{r.reported:,}"),
            (tr("变化幅度", "Change"), vc.format_percent(r.change)),
            (tr("触发情形", "Threshold"), vc.threshold_label(r.reason)),
        ], per_row=2, label_width=30 * doc.mm),
        doc.spacer(3),
        _chart(v),
        doc.heading(tr("原因", "Reasons"), level=2),
        doc.para(tr("、", ", ").join(v.reason_labels()) or tr("（未选择）", "(none chosen)"), "plain"),
        doc.heading(tr("情况说明", "Explanation"), level=2),
    ]
    flow += [doc.para(p) for p in v.draft_text.split("\n") if p.strip()]
    flow.append(doc.para(tr("状态：{s}", "Status: {s}", s=_status_text(v)), "note"))
    flow.append(doc.signature_block([tr("经办药师", "Pharmacist"), tr("药学部门负责人", "Head of pharmacy")]))
    return flow


def write_notes_pdf(path: str | os.PathLike, views: Sequence[NoteView], *, as_of: date,
                    hospital_name: str = "", hospital_code: str = "",
                    generated_at: datetime | None = None) -> Path:
    """Write the notes of ``views`` (the lines that need one, R13); returns the path."""
    title = tr("报量情况说明", "Volume report explanatory notes")
    flow: list[Flowable] = [
        doc.title_block(title, tr("统计日期：{d}　需说明的报量明细：{n} 条", "As of {d} · lines needing a note: {n}",
                                  d=as_of.isoformat(), n=len(views))),
        doc.para(tr("根据集中带量采购报量要求，申报量较基线（上一自然年度同通用名、同规格药品的实际采购量，"
                    "含中选与非中选产品）降幅超过20%、增幅超过150%或无历史采购量的，须逐条说明原因。",
                    "Lines whose reported volume falls by more than 20 %, rises by more than 150 % "
                    "against the baseline, or has no purchase history, need an explanation."), "body"),
    ]
    if views:
        flow.append(_overview(views))
    else:
        flow.append(doc.para(tr("没有需要说明的报量明细。", "No line needs an explanation."), "plain"))
    for i, v in enumerate(views, start=1):
        flow.append(PageBreak())
        flow += _section(i, v)
    doc.build_pdf(path, title, flow, hospital_name=hospital_name, hospital_code=hospital_code,
                  generated_at=generated_at or datetime.now())
    return Path(path)
