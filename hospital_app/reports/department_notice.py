"""The department notice (科室通报, R21) for the pharmacy-and-therapeutics meeting.

For one department and one report period (month, quarter, year): its part in the lagging
selected products (each product's shortfall × the department's share of the generic name's
use in the period) and its use of non-selected products, computed as of the period's last
day (or the as-of date when the period is still running), from ``services.departments``.
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

from hospital_app.domain.periods import ReportPeriod
from hospital_app.domain.status import percent_text
from hospital_app.i18n import tr
from hospital_app.reports import document as doc
from hospital_app.reports.document import mm


def _cn_date(d: date) -> str:
    return tr("{y}年{m}月{d}日", "{y}-{m:02d}-{d:02d}", y=d.year, m=d.month, d=d.day)


def _pct(value) -> str:
    return percent_text(value, none="—")


def _product(p) -> str:
    return f"{p.generic_name} {p.spec or ''}".strip()


def render_department_notice(path: Path, detail, period: ReportPeriod, *, hospital_name: str,
                             hospital_code: str, threshold, generated_at: datetime) -> int:
    """Build the notice PDF; returns the page count."""
    s = detail.summary
    org = hospital_name
    start = detail.since or period.start
    flow = [
        doc.title_block(tr("关于{d}集采中选产品使用情况的通报", "Notice to {d}: use of selected (VBP) products",
                           d=detail.department),
                        tr("（统计期间：{a} 至 {b}）", "(period {a} to {b})", a=start.isoformat(),
                           b=detail.as_of.isoformat())),
        doc.para(tr("{d}：", "To {d}:", d=detail.department), "plain"),
        doc.para(tr(
            "根据医院信息系统发药/领用数据，统计期间贵科室使用国家及省级集中带量采购品种（同通用名）共 {t} 个最小制剂单位，"
            "其中中选产品 {a}，非中选产品 {b}，非中选产品使用占比 {p}。贵科室涉及未达序时进度的中选产品 {n} 个，"
            "按贵科室在各品种用量中的占比折算，应承担的完成缺口合计 {c} 个最小制剂单位。",
            "From the hospital's dispensing data, in the period the department used {t} base units of generic names "
            "under volume-based procurement: {a} of selected products and {b} of non-selected ones (non-selected "
            "share {p}). It takes part in {n} selected product(s) behind schedule; by its share of their use its "
            "part of the hospital's shortfall is {c} base units.",
            t=max(0, s.selected) + max(0, s.nonselected), a=s.selected, b=s.nonselected, p=_pct(s.nonselected_share),
            n=len(detail.lagging), c=s.shortfall_part)),
        doc.heading(tr("一、未达序时进度的中选产品", "1. Selected products behind schedule"), 2),
    ]
    w = doc.CONTENT_WIDTH
    if detail.lagging:
        rows = [[_product(p), p.status, str(p.shortfall), _pct(f.use_share), str(f.shortfall_part),
                 _pct(f.nonselected_share)] for p, f in detail.lagging]
        flow.append(doc.data_table(
            [tr("药品（通用名 规格）", "Product"), tr("全院状态", "Hospital status"), tr("全院缺口", "Shortfall"),
             tr("本科室用量占比", "Dept. share of use"), tr("本科室应承担缺口", "Dept. part"),
             tr("本科室非中选占比", "Dept. non-selected")],
            rows, [w - 126 * mm, 22 * mm, 22 * mm, 27 * mm, 28 * mm, 27 * mm], status_column=1,
            align_right=(2, 3, 4, 5), font_size=8.5))
    else:
        flow.append(doc.para(tr("统计期间贵科室没有涉及未达序时进度的中选产品。",
                                "No selected product the department uses is behind schedule."), "plain"))
    flow.append(doc.heading(tr("二、非中选产品使用情况", "2. Use of non-selected products"), 2))
    if detail.nonselected:
        over = [i for i, (p, _f) in enumerate(detail.nonselected) if p.share_over]
        rows = [[_product(p), str(f.selected), str(f.nonselected), _pct(f.nonselected_share),
                 _pct(p.nonselected_share)] for p, f in detail.nonselected]
        flow.append(doc.data_table(
            [tr("通用名（对应中选产品）", "Generic name (selected product)"), tr("本科室中选", "Dept. selected"),
             tr("本科室非中选", "Dept. non-selected"), tr("本科室非中选占比", "Dept. non-selected share"),
             tr("全院非中选占比", "Hospital non-selected share")],
            rows, [w - 112 * mm, 24 * mm, 26 * mm, 31 * mm, 31 * mm], align_right=(1, 2, 3, 4),
            highlight_rows=over, font_size=8.5))
        flow.append(doc.para(tr("注：红色行为全院非中选产品采购占比超过 {t} 的品种，数量单位为最小制剂单位，退药已扣除。",
                                "Rows in red: the hospital's non-selected share is above {t}. Base units, "
                                "returns deducted.", t=_pct(threshold)), "note"))
    else:
        flow.append(doc.para(tr("统计期间贵科室没有使用同通用名的非中选产品。",
                                "The department used no non-selected product of these generic names."), "plain"))
    flow += [
        doc.heading(tr("三、工作要求", "3. What we ask"), 2),
        doc.para(tr("1. 请科室组织医师学习集中带量采购政策，临床用药优先使用中选产品，确保完成约定采购量。",
                    "1. Brief the physicians on volume-based procurement and prescribe the selected products first "
                    "so that the agreed volumes are met."), "plain"),
        doc.para(tr("2. 确需使用非中选产品的，请在病历中注明临床理由；药学部门将按月跟踪并在药事管理与药物治疗学"
                    "委员会会议上通报。",
                    "2. Where a non-selected product is clinically necessary, record the reason in the patient record; "
                    "the pharmacy follows up monthly and reports to the pharmacy and therapeutics committee."),
                 "plain"),
        doc.para(tr("3. 如中选产品存在供应或质量问题，请及时反馈药学部门。",
                    "3. Report any supply or quality problem with a selected product to the pharmacy at once."),
                 "plain"),
        doc.signature_block([tr("药学部门负责人", "Head of pharmacy"), tr("科室负责人", "Head of department")]),
        doc.stamp_block(org, _cn_date(detail.as_of)),
    ]
    return doc.build_pdf(path, tr("科室通报", "Department notice"), flow, hospital_name=hospital_name,
                         hospital_code=hospital_code, generated_at=generated_at)
