"""R13: the explanatory notes of a volume report as an A4 PDF for submission.

An overview table first, then one section per line that needs a note (one page each, so
each can be signed): product, baseline, reported volume, change, threshold, a small bar
chart of the last 12 months, reasons, text, signatures. Unsigned notes carry a large
“草稿” watermark; placeholders never print; where the purchase data do not cover the months
shown, the note says so instead of “no purchases” or a trend (``reports.model.NoteDoc``).
"""

from __future__ import annotations

import os
from datetime import date, datetime
from pathlib import Path
from typing import Sequence

from reportlab.platypus import Flowable, PageBreak

from hospital_app.domain import volume_check as vc
from hospital_app.i18n import tr
from hospital_app.reports import document as doc
from hospital_app.reports.model import Identity, NoteDoc


def _status_text(v: NoteDoc) -> str:
    if v.status == "signed":
        when = v.signed_at.strftime("%Y-%m-%d %H:%M") if v.signed_at else ""
        return tr("已签字确认（{t}）", "signed off ({t})", t=when)
    if v.status == "draft":
        return tr("草稿，尚未签字", "draft, not signed")
    return tr("系统根据采购数据起草，尚未审核签字", "drafted from the purchase data, not reviewed or signed")


def _overview(views: Sequence[NoteDoc]) -> Flowable:
    header = [tr("序号", "No."), tr("通用名", "Generic name"), tr("规格", "Spec"),
              tr("基线", "Baseline"), tr("申报量", "Reported"), tr("变化", "Change"),
              tr("触发情形", "Threshold"), tr("状态", "Status")]
    rows = [[str(i), v.generic_name, v.spec, f"{v.baseline:,}", f"{v.reported:,}", vc.format_percent(v.change),
             vc.threshold_label(v.reason),
             {"signed": tr("已签字", "signed"), "draft": tr("草稿", "draft")}.get(v.status, tr("待审核", "to review"))]
            for i, v in enumerate(views, start=1)]
    widths = [10, 0, 24, 20, 20, 17, 26, 16]
    widths[1] = doc.CONTENT_WIDTH / doc.mm - sum(widths)
    return doc.data_table(header, rows, [w * doc.mm for w in widths], align_right=(3, 4, 5))


def _chart(v: NoteDoc) -> Flowable:
    """The small 12-month bar chart; a sentence instead when nothing is on record for them."""
    if not v.months_covered:
        return doc.para(v.coverage or tr("采购数据不覆盖近12个月。", "The purchase data do not cover the last 12 months."),
                        "plain")
    if not any(q for _, q in v.months):
        return doc.para(tr("近12个月（{a} 至 {z}）无采购记录。", "No purchases in the last 12 months ({a} to {z}).",
                           a=v.months[0][0], z=v.months[-1][0]), "plain")
    title = tr("近12个月采购量（趋势：{t}）", "Last 12 months (trend: {t})", t=vc.trend_label(v.trend))
    return doc.bar_chart([m for m, _ in v.months], [q for _, q in v.months], title=title,
                         width=doc.CONTENT_WIDTH, height=52 * doc.mm, value_format="{:.0f}")


def _section(number: int, v: NoteDoc) -> list[Flowable]:
    flow: list[Flowable] = []
    if v.status != "signed":
        flow.append(doc.Watermark(tr("草稿", "DRAFT")))
    flow += [
        doc.heading(tr("{n}. {g}（{s}）", "{n}. {g} ({s})", n=number, g=v.generic_name, s=v.spec or "—")),
        doc.form_table([
            (tr("通用名", "Generic name"), v.generic_name), (tr("规格", "Spec"), v.spec),
            (tr("剂型", "Form"), v.dosage_form), (tr("生产企业", "Manufacturer"), v.manufacturer),
            (tr("产品编码", "Product code"), v.product_code), (tr("报量名称", "Report"), v.report_name),
            (tr("基线（{y}年采购量）", "Baseline ({y} purchases)", y=v.baseline_year), f"{v.baseline:,}"),
            (tr("申报量", "Reported"), f"{v.reported:,}"),
            (tr("变化幅度", "Change"), vc.format_percent(v.change)),
            (tr("触发情形", "Threshold"), vc.threshold_label(v.reason)),
        ], per_row=2, label_width=30 * doc.mm),
        doc.spacer(3),
        _chart(v),
    ]
    if v.reasons:
        flow += [doc.heading(tr("原因", "Reasons"), level=2), doc.para(tr("、", ", ").join(v.reasons), "plain")]
    flow.append(doc.heading(tr("情况说明", "Explanation"), level=2))
    flow += [doc.para(p) for p in v.text]
    flow.append(doc.para(tr("状态：{s}", "Status: {s}", s=_status_text(v)), "note"))
    flow.append(doc.signature_block([tr("经办药师", "Pharmacist"), tr("药学部门负责人", "Head of pharmacy")]))
    return flow


def write_notes_pdf(path: str | os.PathLike, views: Sequence[NoteDoc], *, as_of: date, identity: Identity,
                    generated_at: datetime | None = None) -> Path:
    """Write the notes of ``views`` (the lines that need one, R13); returns the path."""
    names = sorted({v.report_name for v in views})
    title = tr("{r}情况说明", "{r}: explanatory notes", r="、".join(names)) if names else \
        tr("报量情况说明", "Volume report explanatory notes")
    flow: list[Flowable] = [
        doc.title_block(title, tr("{h}　统计日期：{d}　需说明的报量明细：{n} 条", "{h} · as of {d} · lines needing a note: {n}",
                                  h=identity.name, d=as_of.isoformat(), n=len(views))),
        doc.para(tr("根据集中带量采购报量要求，申报量较基线（上一自然年度同通用名、同规格药品的实际采购量，"
                    "含中选与非中选产品）降幅超过20%、增幅超过150%或无历史采购量的，须逐条说明原因。",
                    "Lines whose reported volume falls by more than 20 %, rises by more than 150 % "
                    "against the baseline, or has no purchase history, need an explanation."), "body"),
        doc.para(tr("填报单位：{h}　负责科室：{d}　负责人：{r}　联系方式：{c}", "Hospital: {h} · department: {d} · "
                    "responsible: {r} · contact: {c}", h=identity.name, d=identity.department or "—",
                    r=identity.responsible or "—", c=identity.contact or "—"), "plain"),
    ]
    if views:
        flow.append(_overview(views))
    else:
        flow.append(doc.para(tr("没有需要说明的报量明细。", "No line needs an explanation."), "plain"))
    for i, v in enumerate(views, start=1):
        flow.append(PageBreak())
        flow += _section(i, v)
    doc.build_pdf(path, title, flow, hospital_name=identity.name, hospital_code=identity.code,
                  generated_at=generated_at or datetime.now())
    return Path(path)
