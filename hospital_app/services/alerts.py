"""Every open finding on ``as_of`` (``alerts --json``, dashboard "今日待办", self-check PDF).

Rules: R3 (supply issues), R4 (orders), R5 (payments) come from their services; this
module adds R6, R8, R9, R10, R12, R14, R16 and R17. R8/R9/R12 come from the progress engine
(the same rows as ``progress``); ended periods are assessed there too (R8 v2: a failed
period stays a finding, with its reasons). Each finding is listed once: an
alert is keyed by (rule, product, subject), where the subject says what the finding
is about beyond the product (a month, a generic name, a period …).

Severities: ``serious`` = the assessment fails or is about to (severely behind, not in
hospital, share over the limit, substitutes over last year, a failed period);
``warning`` = act soon; ``info`` = for the record.

Exempt (R11) and suspended (R17) products get no "behind" alerts (R8/R12): not buying
them is expected; the suspension itself is an R17 alert.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from datetime import date, timedelta
from fractions import Fraction

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from db.models import (
    AgreementPeriod,
    Batch,
    Product,
    ProductDistributor,
    Purchase,
    Substitute,
)
from hospital_app import settings
from hospital_app.domain import monitoring, status as st
from hospital_app.domain.findings import Alert
from hospital_app.domain.periods import AgreedPeriod, below_previous_year
from hospital_app.domain.targets import days_in_month, period_months
from hospital_app.i18n import tr
from hospital_app.services.beside import Beside
from hospital_app.services.progress import ProgressReport, ProgressRow, compute_rows, ratio4
from hospital_app.services.progress.engine import ended_rows, excused
from hospital_app.services.progress.queries import core as _core, linked_purchases

log = logging.getLogger(__name__)

_SEVERITY_ORDER = {"serious": 0, "warning": 1, "info": 2}


_pct = st.percent_text  # 0.4167 → "41.67%"


def _name(row: ProgressRow) -> str:
    return "".join(x for x in (row.generic_name, f"（{row.spec}）" if row.spec else "") if x)


# ----------------------------------------------------------------------- R8 / R12


def _progress_alerts(rows: list[ProgressRow], as_of: date) -> list[Alert]:
    out: list[Alert] = []
    for r in rows:
        if "exempt" in r.flags or "suspended" in r.flags or r.ended:
            continue
        name = _name(r)
        if r.agreement_end is not None:
            left, per_month = r.agreement_end
            out.append(Alert(
                "R8", "warning",
                tr("{n} 协议期将于 {e} 结束（还剩 {d} 天），完成进度 {c}，尚需采购 {l}{u}，"
                   "剩余 {m} 个月每月约 {p}{u}",
                   "{n}: the agreement period ends on {e} ({d} days left) at {c}; {l} {u} still to buy, "
                   "about {p} {u} per remaining month ({m})",
                   n=name, e=r.period_end, d=r.period_days_left, c=_pct(r.completion), l=left, u=r.unit or "",
                   m=st.months_left(r.period_end, as_of), p=per_month),
                r.product_id, max(r.period_start, r.period_end - timedelta(days=r.agreement_end_days)),
                f"period:{r.period_id}:agreement_end",
                tr("协议期结束前完成约定采购量", "Complete the agreed volume before the period ends")))
        if r.status == st.NOT_STARTED:
            if "not_in_hospital" in r.flags:
                since = max(st.not_in_hospital_alert_from(r.first_start), r.period_start)
                out.append(Alert(
                    "R8", "serious",
                    tr("{n} 执行已到第 3 个月仍未进院采购（约定量 {v}{u}）",
                       "{n}: not yet purchased by the hospital in the 3rd month of execution (agreed {v} {u})",
                       n=name, v=r.agreed_volume, u=r.unit or ""),
                    r.product_id, since, f"period:{r.period_id}:not_in_hospital",
                    tr("尽快完成中选产品进院采购", "Get the selected product into the hospital now")))
            elif r.purchased_before_period or as_of >= st.not_in_hospital_alert_from(r.period_start):
                out.append(Alert(
                    "R8", "warning",
                    tr("{n} 本协议年度未开始采购，序时进度 {s}，应采 {t}{u}",
                       "{n}: nothing purchased this agreement year; schedule {s}, due {t} {u}",
                       n=name, s=_pct(r.schedule), t=r.target_to_date, u=r.unit or ""),
                    r.product_id, r.period_start, f"period:{r.period_id}:behind",
                    tr("安排采购中选产品", "Order the selected product")))
        elif r.status in (st.BEHIND, st.SEVERELY_BEHIND) and r.group_members:
            if r.product_id == r.group_members[0]:  # R11: one finding per merged group
                out.append(Alert(
                    "R8", "serious" if r.status == st.SEVERELY_BEHIND else "warning",
                    tr("{n} 等 {k} 个同企业同组别耗材合并考核：完成进度 {c} 低于序时进度 {s}，缺口 {g}{u}",
                       "{n} and the same company's group ({k} products, assessed together): completion {c} "
                       "below schedule {s}, short by {g} {u}",
                       n=name, k=len(r.group_members), c=_pct(r.group_completion), s=_pct(r.group_schedule),
                       g=r.group_shortfall, u=r.unit or ""),
                    r.product_id, r.behind_since or r.period_start,
                    f"group:{','.join(map(str, r.group_members))}:behind",
                    tr("优先采购使用本组中选产品，补足缺口", "Prefer the group's selected products")))
        elif r.status in (st.BEHIND, st.SEVERELY_BEHIND):
            serious = r.status == st.SEVERELY_BEHIND
            out.append(Alert(
                "R8", "serious" if serious else "warning",
                tr("{n} 完成进度 {c} 低于序时进度 {s}，缺口 {g}{u}",
                   "{n}: completion {c} below schedule {s}, short by {g} {u}",
                   n=name, c=_pct(r.completion), s=_pct(r.schedule), g=r.shortfall, u=r.unit or ""),
                r.product_id, r.behind_since or r.period_start, f"period:{r.period_id}:behind",
                tr("优先采购使用中选产品，补足缺口", "Prefer the selected product and make up the shortfall")))
        # R12: clustered months (each month once) and empty months while behind (one per product).
        for mf in r.months:
            if mf.clustered:
                out.append(Alert(
                    "R12", "warning",
                    tr("{n} {m} 采购 {q}{u}，超过月目标 {t} 的 {k} 倍（扎堆采购）",
                       "{n}: {q} {u} bought in {m}, over {k} × the monthly target {t} (clustered buying)",
                       n=name, m=mf.label, q=mf.purchased, u=r.unit or "", t=mf.target,
                       k=r.cluster_k),
                    r.product_id, mf.first_day, f"month:{mf.label}:clustered",
                    tr("按月均衡采购，避免集中采购", "Spread purchases evenly over the months")))
        empties = [mf for mf in r.months if mf.empty]
        if empties and r.status in st.BEHIND_STATES:
            out.append(Alert(
                "R12", "warning",
                tr("{n} 进度滞后且 {c} 个月无采购：{ms}", "{n}: behind and no purchases in {c} month(s): {ms}",
                   n=name, c=len(empties), ms="、".join(m.label for m in empties)),
                r.product_id, empties[0].first_day, f"period:{r.period_id}:empty_months",
                tr("按月均衡采购中选产品", "Buy the selected product every month")))
    return out


def _failed_periods(ended: list[ProgressRow]) -> list[Alert]:
    """R8/R9 v2: every ended period that failed its assessment, with its reason(s): completion
    below 100 % (not exempt) and/or the non-selected share ended above the threshold. The finding
    stands whether or not a later year is running (a failed year stays failed)."""
    out = []
    for r in ended:
        if not r.failed_reasons:
            continue
        why = []
        if st.FAILED_COMPLETION in r.failed_reasons:
            bought, volume = r.purchased, r.agreed_volume
            why.append(tr("完成 {c}（{b}/{v}）", "completion {c} ({b}/{v})",
                          c=_pct(Fraction(bought, volume) if volume else Fraction(1)), b=bought, v=volume))
        if st.FAILED_SHARE in r.failed_reasons:
            why.append(tr("非中选产品采购占比 {p} 超过 {t}", "non-selected share {p} above {t}",
                          p=_pct(r.nonselected_share), t=_pct(r.share_threshold)))
        out.append(Alert(
            "R8", "serious",
            tr("{n} 协议期 {s} 至 {e} 已结束，{w}，考核不合格",
               "{n}: agreement period {s}..{e} ended: {w}: assessment failed",
               n=r.generic_name, s=r.period_start, e=r.period_end, w=tr("；", "; ").join(why)),
            r.product_id, r.period_end + timedelta(days=1), f"period:{r.period_id}:failed",
            tr("在自查报告中说明原因并整改", "Explain and correct it in the self-check report"),
            extra={"failed_reasons": list(r.failed_reasons)}))
    return out


# ------------------------------------------------------------------------------- R9


def _share_alerts(rows: list[ProgressRow]) -> list[Alert]:
    """R9: one finding per generic name and period window (not per selected spec)."""
    seen = {}
    for r in rows:
        if "share_over" not in r.flags or r.ended:
            continue
        key = (r.generic_name_norm, r.period_start, r.period_end)
        if key in seen and seen[key].product_id <= r.product_id:
            continue
        seen[key] = r
    out = []
    for (generic, start, end), r in seen.items():
        out.append(Alert(
            "R9", "serious",
            tr("{g} 非中选产品采购占比 {p}，超过 {t}（非中选 {n}，中选 {s}）",
               "{g}: non-selected share {p} above {t} (non-selected {n}, selected {s})",
               g=r.generic_name, p=_pct(r.nonselected_share), t=_pct(r.share_threshold),
               n=r.share_nonselected, s=r.share_selected),
            r.product_id, r.share_over_since, f"generic:{generic}:{start}:{end}",
            tr("减少非中选产品采购，优先使用中选产品", "Buy less of the non-selected products")))
    return out


# ------------------------------------------------------------------------------ R10


def _substitute_alerts(session: Session, rows: list[ProgressRow], as_of: date) -> list[Alert]:
    mappings: dict[str, set[str]] = defaultdict(set)
    for sel_norm, sub_norm in _core(session, select(Substitute.selected_generic_norm,
                                                     Substitute.substitute_generic_norm)):
        mappings[sel_norm].add(sub_norm)
    if not mappings:
        return []
    # R11 v2: substitutes marked cheaper with equal quality and purchases excused by a supply
    # issue reported to the bureau are outside R10 as well.
    confirmation = settings.get(session, "r11_bureau_confirmation_required")
    subs = set().union(*mappings.values())
    excused_ids = sorted(link.purchase_id for link in linked_purchases(session, as_of)
                         if link.generic_norm in subs and not link.selected
                         and excused(link, as_of, confirmation))
    window: dict[str, ProgressRow] = {}
    for r in rows:
        if r.generic_name_norm in mappings and not r.ended:
            old = window.get(r.generic_name_norm)
            if old is None or r.product_id < old.product_id:
                window[r.generic_name_norm] = r
    out = []
    for generic, r in window.items():
        prev_start, prev_end = monitoring.previous_year_window(r.period_start, r.period_end)
        upto = min(r.period_end, as_of)
        daily = _core(session,
            select(Purchase.purchase_date, func.sum(Purchase.quantity))
            .join(Product, Product.id == Purchase.product_id)
            .where(Product.generic_name_norm.in_(sorted(mappings[generic])),
                   Product.cheaper_equal_quality.is_not(True), Purchase.id.not_in(excused_ids),
                   Purchase.purchase_date >= prev_start, Purchase.purchase_date <= upto)
            .group_by(Purchase.purchase_date))
        previous = sum(int(q or 0) for d, q in daily if d <= prev_end)
        current_days = sorted((d, int(q or 0)) for d, q in daily if d >= r.period_start)
        check = monitoring.substitute_check(sum(q for _, q in current_days), previous, r.schedule)
        if check.level is None:
            continue
        since = _substitute_since(current_days, previous, r, as_of, check.level)
        names = "、".join(sorted(mappings[generic]))
        if check.level == "exceeded":
            out.append(Alert(
                "R10", "serious",
                tr("{g} 的可替代药品（{s}）本协议年度已采购 {c}，超过上一年度 {p}",
                   "{g}: substitutes ({s}) bought {c} this agreement year, above last year's {p}",
                   g=r.generic_name, s=names, c=check.current, p=check.previous),
                r.product_id, since, f"substitutes:{generic}:{r.period_start}",
                tr("控制可替代药品采购，优先使用中选产品", "Limit substitutes; prefer the selected product")))
        else:
            out.append(Alert(
                "R10", "warning",
                tr("{g} 的可替代药品（{s}）按序时进度预计全年 {x}，将超过上一年度 {p}",
                   "{g}: substitutes ({s}) projected at {x} for the year, above last year's {p}",
                   g=r.generic_name, s=names, x=round(float(check.projected)), p=check.previous),
                r.product_id, since, f"substitutes:{generic}:{r.period_start}",
                tr("控制可替代药品采购节奏", "Slow down substitute purchases")))
    return out


def _daily_schedule(start: date, end: date, upto: date) -> dict[date, Fraction]:
    """R7: S(d) for every day d from ``start`` to ``upto`` in one pass — the same exact values
    as ``targets.schedule(start, end, d)`` day by day, without re-adding the months each day."""
    months = period_months(start, end)
    total = sum((w for *_, w in months), Fraction(0))
    out: dict[date, Fraction] = {}
    done = Fraction(0)  # Σ w_m of the months before the current one
    for year, month, first, last, weight in months:
        if first > upto:
            break
        in_month = days_in_month(year, month)
        day = first
        while day <= min(last, upto):
            out[day] = Fraction(1) if day >= end else (done + Fraction((day - first).days + 1, in_month)) / total
            day += timedelta(days=1)
        done += weight
    return out


def _substitute_since(current_days: list[tuple[date, int]], previous: int, r: ProgressRow,
                      as_of: date, level: str) -> date:
    """R10: the first day from which the finding has held without a break up to as_of."""
    by_day = dict(current_days)
    cumulative, since, day = 0, None, r.period_start
    upto = min(r.period_end, as_of)
    schedule = _daily_schedule(r.period_start, r.period_end, upto) if level != "exceeded" else {}
    while day <= upto:
        cumulative += by_day.get(day, 0)
        if level == "exceeded":
            holds = cumulative > previous
        else:
            s_d = schedule[day]
            # cumulative / S > previous, in integers (S = n/d > 0)
            holds = s_d > 0 and cumulative * s_d.denominator > previous * s_d.numerator
        if holds and since is None:
            since = day
        elif not holds:
            since = None
        day += timedelta(days=1)
    return since or as_of


# ------------------------------------------------------------------------------- R6


def _r6_alerts(session: Session) -> list[Alert]:
    """R6 v2: an agreement period's volume below the PREVIOUS period's, compared per month
    (``domain.periods.below_previous_year``: unequal lengths through the R7 weights)."""
    by_product: dict[int, list[AgreedPeriod]] = defaultdict(list)
    names: dict[int, str] = {}
    for pid, start, end, volume, extension, generic in _core(session,
            select(AgreementPeriod.product_id, AgreementPeriod.start, AgreementPeriod.end,
                   AgreementPeriod.agreed_volume, AgreementPeriod.is_extension, Product.generic_name)
            .join(Product, Product.id == AgreementPeriod.product_id).where(Product.selected.is_(True))):
        by_product[pid].append(AgreedPeriod(start, end, int(volume or 0), bool(extension)))
        names[pid] = generic
    out = []
    for pid, periods in by_product.items():
        for p, prev, equivalent in below_previous_year(periods):
            same_length = equivalent == prev.agreed_volume
            out.append(Alert(
                "R6", "warning",
                tr("{n} 协议期 {s} 至 {e} 的约定采购量 {v} 低于上一协议期的 {f}",
                   "{n}: agreed volume {v} for {s}..{e} is below the previous period's {f}",
                   n=names[pid], s=p.start, e=p.end, v=p.agreed_volume, f=prev.agreed_volume)
                if same_length else
                tr("{n} 协议期 {s} 至 {e} 的约定采购量 {v} 按月折算低于上一协议期（{f}，折合本期 {q}）",
                   "{n}: agreed volume {v} for {s}..{e} is below the previous period's per month "
                   "({f}, {q} for this period's length)",
                   n=names[pid], s=p.start, e=p.end, v=p.agreed_volume, f=prev.agreed_volume, q=equivalent),
                pid, p.start, f"period:{p.start}:below_previous",
                tr("核对续签约定量，必要时说明原因", "Check the renewed volume; explain if needed")))
    return out


# ------------------------------------------------------------------------------ R13


def _r13_alerts(session: Session, as_of: date) -> list[Alert]:
    """R13 v2: generic names missing from a volume report — bought but not reported (a finding),
    selected and bought but not reported before submission (a warning: no surplus retention)."""
    from hospital_app.domain import volume_check as vc
    from hospital_app.services.volume_reports import unreported

    out = []
    for u in unreported(session, as_of):
        if u.kind == vc.BOUGHT_NOT_REPORTED:
            out.append(Alert(
                "R13", "serious",
                tr("{g} 未列入报量“{r}”，但 {y} 年采购非中选/可替代产品 {n}（{a} 元）",
                   "{g} is missing from the volume report '{r}' but {n} units ({a} yuan) of non-selected or "
                   "substitute products were bought in {y}",
                   g=u.generic_name, r=u.report_name, y=u.baseline_year, n=u.units, a=u.amount),
                None, None, f"report:{u.report_id}:unreported:{u.generic_name_norm}",
                tr("补报该通用名的采购需求", "Add this generic name to the volume report")))
        else:
            out.append(Alert(
                "R13", "warning",
                tr("中选通用名 {g} {y} 年有采购（{n}），但未列入报量“{r}”：未报量的品种不予拨付结余留用资金",
                   "Selected generic name {g} was bought in {y} ({n} units) but is missing from the volume "
                   "report '{r}': no surplus retention without a report",
                   g=u.generic_name, y=u.baseline_year, n=u.units, r=u.report_name),
                None, None, f"report:{u.report_id}:selected_missing:{u.generic_name_norm}",
                tr("提交报量前补充该通用名", "Add it before submitting the report")))
    return out


# ------------------------------------------------------------------------------ R14


def _r14_alerts(session: Session) -> list[Alert]:
    """R14: the selected product's last purchase price before its batch's execution start.

    One index seek per selected product for the id of its last line before the start (by
    date, then line id), then those lines by primary key.
    """
    last_id = (select(Purchase.id)
               .where(Purchase.product_id == Product.id, Purchase.purchase_date < Batch.execution_start,
                      Purchase.unit_price.is_not(None), Purchase.quantity > 0)
               .order_by(Purchase.purchase_date.desc(), Purchase.id.desc()).limit(1)
               .correlate(Product, Batch).scalar_subquery())
    q = (select(Product.id, Product.generic_name, Product.spec, Product.selected_price, last_id,
                Batch.execution_start)
         .join(Batch, Batch.id == Product.batch_id)
         .where(Product.selected.is_(True), Product.selected_price.is_not(None),
                Batch.execution_start.is_not(None)))
    heads = _core(session, q)
    ids = [line_id for *_, line_id, _start in heads if line_id is not None]
    lines = {line_id: (price, day) for line_id, price, day in _core(session, select(
        Purchase.id, Purchase.unit_price, Purchase.purchase_date).where(Purchase.id.in_(ids)))} if ids else {}
    out = []
    for pid, generic, spec, selected_price, line_id, start in heads:
        price, day = lines.get(line_id, (None, None))
        if monitoring.pre_vbp_price_lower(price, selected_price):
            out.append(Alert(
                "R14", "warning",
                tr("{n}{s} 集采前最后采购价 {p} 元（{d}）低于中选价 {c} 元",
                   "{n} {s}: last pre-VBP price {p} ({d}) is below the selected price {c}",
                   n=generic, s=f"（{spec}）" if spec else "", p=price, d=day, c=selected_price),
                pid, start, "pre_vbp_price",
                tr("按属地原则报医保部门", "Report it to the medical insurance bureau")))
    return out


# ------------------------------------------------------------------------------ R16


def _r16_alerts(session: Session) -> list[Alert]:
    """R16: distributors recorded for a selected product (product_distributor) above the limit.

    Purchase lines are not counted: a platform export names whoever delivered each line,
    which is not the hospital's recorded choice of distributors in the pooling region.
    """
    seen: dict[int, set[int]] = defaultdict(set)
    for pid, cid in _core(session,
            select(ProductDistributor.product_id, ProductDistributor.company_id)
            .join(Product, Product.id == ProductDistributor.product_id).where(Product.selected.is_(True))):
        seen[pid].add(cid)
    if not seen:
        return []
    info = {pid: (name, batch_id) for pid, name, batch_id in _core(  # every selected product: no 2 000-id IN
        session, select(Product.id, Product.generic_name, Product.batch_id).where(Product.selected.is_(True)))}
    batches = {bid: (kind, overrides) for bid, kind, overrides in _core(
        session, select(Batch.id, Batch.kind, Batch.policy_overrides))}  # a few dozen: overrides parsed once
    limits: dict = {}
    out = []
    for pid, companies in seen.items():
        name, batch_id = info.get(pid, ("?", None))
        kind, overrides = batches.get(batch_id, ("drug", None))
        key = "r16_max_distributors_consumable" if kind == "consumable" else "r16_max_distributors_drug"
        cache_key = (key, batch_id)
        if cache_key not in limits:
            limits[cache_key] = settings.get(session, key, overrides or None)
        limit = limits[cache_key]
        if monitoring.distributors_exceeded(len(companies), limit):
            out.append(Alert(
                "R16", "warning",
                tr("{n} 有 {c} 家配送企业，超过上限 {l} 家", "{n}: {c} distributors, more than {l}",
                   n=name, c=len(companies), l=limit),
                pid, None, "distributors",
                tr("核对并精简配送企业", "Check and reduce the distributors")))
    return out


# ------------------------------------------------------------------------------ R17


def _r17_alerts(session: Session, as_of: date) -> list[Alert]:
    out = []
    for p in session.scalars(select(Product).where(Product.suspended_on.is_not(None),
                                                   Product.suspended_on <= as_of)):
        reported = "、".join(_reported_label(x) for x in (p.suspension_reported_to or [])) or tr("尚未报告", "not yet")
        out.append(Alert(
            "R17", "warning",
            tr("{n} 自 {d} 起暂停使用：{r}（已报告：{t}）", "{n}: suspended since {d}: {r} (reported to: {t})",
               n=p.generic_name, d=p.suspended_on, r=p.suspension_reason or "", t=reported),
            p.id, p.suspended_on, "suspended",
            tr("告知生产企业，并向卫生健康和药监部门报告", "Inform the manufacturer and report to the authorities")))
    return out


def _reported_label(code: str) -> str:
    return {"manufacturer": tr("生产企业", "manufacturer"),
            "health_authority": tr("卫生健康部门", "health authority"),
            "drug_authority": tr("药监部门", "drug authority")}.get(code, code)


# --------------------------------------------------------------------------- public


def aggregate_findings(session: Session, as_of: date) -> list[Alert]:
    """R3/R4/R5 findings, each from its own service: aggregates the database computes over the
    supply issues, the orders of three quarters and the unpaid deliveries, a few rows each — what
    ``collect_alerts(…, beside=…)`` reads beside the progress assessment."""
    from hospital_app.services.orders import order_alerts
    from hospital_app.services.payments import payment_alerts
    from hospital_app.services.supply_issues import issue_alerts

    return [*issue_alerts(session, as_of), *order_alerts(session, as_of), *payment_alerts(session, as_of)]


def _listed_findings(session: Session, as_of: date) -> tuple[list[Alert], ...]:
    """R6, R13, R14, R16 and R17: read from the database alone too, but as rows per product or
    period that Python compares (read in the caller's thread: see ``collect_alerts``)."""
    return (_r6_alerts(session), _r13_alerts(session, as_of), _r14_alerts(session), _r16_alerts(session),
            _r17_alerts(session, as_of))


def collect_alerts(session: Session, as_of: date, report: ProgressReport | None = None,
                   beside: Beside | None = None) -> list[Alert]:
    """Every open finding on ``as_of``, each once, most serious first.

    ``report``: a ``compute_progress(session, as_of)`` the caller already has (dashboard,
    self-check report), reused instead of computing progress a second time (issue 12).
    A report of another day, of one batch only or without month figures is not reused.
    ``beside``: read the R3/R4/R5 aggregates there (``aggregate_findings``, a second connection
    when it may, issue 21) while the progress rows are assessed here; the same findings either
    way. The other findings return a row per product or period: read beside, each row would
    wait for Python's lock, which the assessment holds (sqlite3 takes it back after every row),
    so they are read here, after the assessment.
    """
    pending = beside.once(aggregate_findings, as_of) if beside is not None else None
    if report is not None and report.as_of == as_of and report.batch is None and report.months:
        rows, ended = report.rows, report.ended_periods
    else:
        ended = []
        rows = compute_rows(session, as_of, ended=ended)
    behind = _progress_alerts(rows, as_of)
    failed = _failed_periods(ended_rows(session, as_of, rows, ended))
    share = _share_alerts(rows)
    substitutes = _substitute_alerts(session, rows, as_of)
    r6, r13, r14, r16, r17 = _listed_findings(session, as_of)
    services = pending.result() if pending is not None else aggregate_findings(session, as_of)
    # In this order: of two findings with the same key the first is kept.
    found = [*services, *r6, *behind, *failed, *share, *substitutes, *r13, *r14, *r16, *r17]
    unique: dict[tuple, Alert] = {}
    for a in found:
        unique.setdefault((a.rule, a.product_id, a.subject, a.message if a.subject is None else None), a)
    return sorted(unique.values(), key=lambda a: (
        _SEVERITY_ORDER.get(a.severity, 9), int(a.rule[1:]) if a.rule[1:].isdigit() else 99,
        a.product_id or 0, a.subject or ""))


__all__ = ["aggregate_findings", "collect_alerts", "ratio4"]
