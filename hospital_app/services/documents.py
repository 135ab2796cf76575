"""Documents: self-check report (自查自纠, R19), supply complaint and escalation letter (R3),
volume-report notes (R13) — as PDF.

Each ``make_*`` function gathers plain data (``hospital_app.reports.model``) from the other
services, hands it to a renderer in ``hospital_app.reports`` and records the file in
``GeneratedDocument``. The caller owns the transaction (the CLI's ``with db.session()``
commits). Every document needs the hospital's name (``settings set hospital.name``):
without it the maker refuses (exit 4) before computing anything.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from db.models import AgreementPeriod, Exemption, GeneratedDocument, Product, Purchase, ReportText
from hospital_app import settings
from hospital_app.domain.findings import Alert
from hospital_app.domain.orders import ratio
from hospital_app.domain.periods import ReportPeriod, parse_period
from hospital_app.errors import Conflict
from hospital_app.i18n import tr
from hospital_app.reports.model import (
    AgreementBlock, BatchSummary, IssueDocData, IssueLine, Measure, MissedDue, NoteDoc, NoteLine, OverduePayment,
    PaymentSummary, PrepaymentLine, SelectedShare, SelfCheckData, SupplierLine, Suspension,
)
from hospital_app.services import alerts as alert_service
from hospital_app.services import audit, corrective_measures, orders, payments, progress, supply_issues
from hospital_app.services import volume_reports
from hospital_app.services.settings_service import hospital_identity, require_identity

EXEMPTION_REASONS = {
    "key_monitoring": ("列入重点监控药品目录", "listed in the key-monitoring drug list"),
    "public_health_event": ("突发公共卫生事件", "public health event"),
    "guideline_change": ("临床指南推荐变化", "change of clinical guideline recommendation"),
}

RULE_TITLES = {
    "R3": ("供应问题反馈与处理", "supply issues"),
    "R4": ("订单响应与配送及时性", "order response and delivery"),
    "R5": ("货款结算", "payment"),
    "R6": ("采购协议签订", "agreements"),
    "R8": ("约定采购量完成进度", "completion of agreed volumes"),
    "R9": ("非中选产品采购占比", "non-selected share"),
    "R10": ("替代药品使用", "substitutes"),
    "R12": ("均衡采购", "even purchasing"),
    "R13": ("报量情况说明", "volume reports"),
    "R14": ("集采前采购价格", "pre-VBP prices"),
    "R16": ("配送企业数量", "distributors"),
    "R17": ("质量安全", "quality"),
}

RULE_MEASURES = {
    "R3": ("对逾期未答复或未解决的供应问题，及时向医保部门报告并跟踪至问题解决；必要时启用备选供应企业保障临床用药。",
           "Report overdue supply issues to the insurance bureau and follow them up; use backup suppliers if needed."),
    "R4": ("约谈订单响应率、配送及时率偏低的配送企业，督促其限期整改，整改不到位的按规定报告。",
           "Meet distributors with low response or timeliness rates and set deadlines for improvement."),
    "R5": ("规范货款结算流程，确保在交货验收合格后次月底前完成货款支付。",
           "Pay every accepted delivery by the end of the following month."),
    "R6": ("按时签订年度采购协议，约定采购量原则上不低于上一年度协议采购量。",
           "Sign the yearly agreements on time; agreed volumes not below the previous year's."),
    "R8": ("对完成进度滞后的品种逐一分析原因，督促临床科室优先使用中选产品，按月跟踪序时进度，确保协议期内完成约定采购量。",
           "Analyse every product behind schedule, make departments prefer selected products and track monthly."),
    "R9": ("加强非中选产品采购管控，将同通用名非中选产品采购占比控制在规定比例以内。",
           "Control non-selected purchases so that their share stays below the limit."),
    "R10": ("加强替代药品使用监测，防止以替代药品规避中选产品使用。",
            "Monitor substitutes so they do not replace selected products."),
    "R12": ("均衡安排采购计划，避免月度集中扎堆采购。", "Spread purchases evenly; avoid clustered buying."),
    "R13": ("按要求完成报量情况说明并经负责人签字确认。", "Complete and sign the volume-report notes."),
    "R14": ("对集采前采购价格低于中选价格的情况按要求报告。", "Report pre-VBP prices below the selected price."),
    "R16": ("核查各中选产品配送企业数量，超出上限的及时调整。", "Reduce distributors above the limit."),
    "R17": ("对存在质量风险的产品及时暂停使用并按规定报告。", "Suspend and report products with quality risks."),
}



def record_document(session: Session, kind: str, path: Path, params: dict, who: str | None = None) -> None:
    """Remember a generated file (GeneratedDocument: the reports page's history)."""
    session.add(GeneratedDocument(kind=kind, path=str(Path(path).resolve()), params=params,
                                  created_by=who or audit.current_user(), created_at=datetime.now()))
    session.flush()


# ------------------------------------------------------- self-check: agreement periods


def failed_reasons(row: progress.ProgressRow) -> list[str]:
    """R8/R9 v2 for a period computed as of its own last day (the self-check's final
    assessment): the rule book's one ``failed_reasons``, with the period taken as ended."""
    from hospital_app.domain import monitoring, status as st

    return st.failed_reasons(True, row.purchased, row.agreed_volume, exempt=row.exempt,
                             share_over=monitoring.share_exceeds(row.nonselected_share, row.share_threshold))


def _batches(session: Session, rows: list[progress.ProgressRow], dicts: list[dict],
             as_of: date) -> list[BatchSummary]:
    """R8 per batch for the self-check: the progress service's batch figures and burn-up, in
    money at the selected price (a batch mixes tablets, vials and stents; issue 20)."""
    from hospital_app.services.progress import burn_up
    from hospital_app.services.progress.weights import AMOUNT, batch_figures, selected_prices, weights_for

    groups: dict[str, list[int]] = defaultdict(list)
    for i, r in enumerate(rows):
        groups[r.batch or ""].append(i)
    prices = selected_prices(session, (r.product_id for r in rows))
    out = []
    for name in sorted(groups):
        rs = [rows[i] for i in groups[name]]
        weights = weights_for(rs, prices)
        fig = batch_figures(rs, weights)
        b = burn_up(rs, as_of, weights)
        money = fig.kind == AMOUNT
        out.append(BatchSummary(name, len(rs), dict(Counter(r.status for r in rs)),
                                float(fig.agreed) if money else None, float(fig.target) if money else None,
                                float(fig.purchased) if money else None,
                                float(fig.completion) if fig.agreed else None,
                                float(fig.schedule) if fig.agreed else None,
                                sum(1 for i in groups[name] if dicts[i].get("failed_reasons")),
                                b.labels, b.purchased, b.schedule, weighting=fig.kind))
    return out


def _blocks(session: Session, p: ReportPeriod, day: date) -> tuple[list[AgreementBlock], list, list]:
    """R19: every agreement period overlapping the report period. One that ended by ``day``
    shows its final assessment (computed as of its last day); one still running its state on
    ``day``. Returns the blocks (by start, end), the ProgressRows of the running ones and, per
    block, (the day it is assessed as of, its ProgressRows) for the departments (R21)."""
    spans = session.execute(
        select(AgreementPeriod.start, AgreementPeriod.end).join(Product, Product.id == AgreementPeriod.product_id)
        .where(Product.selected.is_(True), AgreementPeriod.start <= day, AgreementPeriod.end >= p.start)
        .distinct()).all()

    def ended(end: date) -> bool:  # a period ends at the end of its last day
        return end < day or (end == day == p.end)

    reasons = dict(session.execute(select(Product.id, Product.lag_reason)
                                   .where(Product.selected.is_(True), Product.lag_reason.is_not(None))).all())
    picked: dict[tuple[date, date, bool], list[progress.ProgressRow]] = defaultdict(list)
    running_rows: list[progress.ProgressRow] = []
    for end in sorted({e for _, e in spans if ended(e)}):
        for r in progress.compute_progress(session, end).rows:
            if r.period_end == end:
                picked[(r.period_start, end, True)].append(r)
    if any(not ended(e) for _, e in spans):
        running_rows = [r for r in progress.compute_progress(session, day).rows if not ended(r.period_end)]
        for r in running_rows:
            picked[(r.period_start, r.period_end, False)].append(r)
    blocks, assessed = [], []
    for (start, end, is_ended), rows in sorted(picked.items(), key=lambda kv: (kv[0][1], kv[0][0])):
        rows.sort(key=lambda r: (r.batch or "", r.generic_name, r.spec or "", r.product_id))
        dicts = []
        for r in rows:
            d = r.as_dict()
            d["lag_reason"] = reasons.get(r.product_id)
            d["failed_reasons"] = failed_reasons(r) if is_ended else []
            dicts.append(d)
        at = end if is_ended else day
        blocks.append(AgreementBlock(start, end, is_ended, at, dicts, _batches(session, rows, dicts, at)))
        assessed.append((at, rows))
    return blocks, running_rows, assessed


# ------------------------------------------------------------- self-check: sections


def _selected_share(session: Session, p: ReportPeriod, day: date) -> SelectedShare:
    """R19 (中选产品采购数量占比): selected purchases ÷ all purchases of the generic names that
    have a selected product, by base units and by amount, dated in the period up to ``day``."""
    names = select(Product.generic_name_norm).where(Product.selected.is_(True))
    sel = Product.selected.is_(True)
    q, sq, a, sa = session.execute(
        select(func.coalesce(func.sum(Purchase.quantity), 0),
               func.coalesce(func.sum(case((sel, Purchase.quantity), else_=0)), 0),
               func.coalesce(func.sum(Purchase.amount), 0),
               func.coalesce(func.sum(case((sel, Purchase.amount), else_=0)), 0))
        .join(Product, Product.id == Purchase.product_id)
        .where(Product.generic_name_norm.in_(names), Purchase.purchase_date >= p.start,
               Purchase.purchase_date <= day)).one()
    a, sa = Decimal(str(a)).quantize(Decimal("0.01")), Decimal(str(sa)).quantize(Decimal("0.01"))
    return SelectedShare(int(sq), int(q), sa, a, ratio(int(sq), int(q)),
                         float(round(sa / a, 4)) if a else None)


def _nonselected(rows: list[dict], threshold: Decimal) -> list[dict]:
    """R9: one line per generic name (the share is the generic's, repeated on its products)."""
    seen: dict[str, float] = {}
    for r in rows:
        share = r.get("nonselected_share")
        if share is None:
            continue
        name = r.get("generic_name") or ""
        seen[name] = max(seen.get(name, 0.0), float(share))
    return [{"generic_name": n, "share": s, "threshold": float(threshold), "over": s > float(threshold)}
            for n, s in sorted(seen.items(), key=lambda kv: (-kv[1], kv[0]))]


def _exemptions(session: Session, period: ReportPeriod, as_of: date) -> list[dict]:
    """R11: exemptions in force at any time in the period (up to as_of)."""
    q = (select(Exemption, Product).join(Product, Product.id == Exemption.product_id)
         .where((Exemption.start.is_(None)) | (Exemption.start <= as_of))
         .where((Exemption.end.is_(None)) | (Exemption.end >= period.start))
         .order_by(Product.generic_name, Exemption.id))
    out = []
    for ex, p in session.execute(q):
        pair = EXEMPTION_REASONS.get(ex.reason)
        out.append({"product": _product_text(p), "reason": tr(*pair) if pair else ex.reason,
                    "document_ref": ex.document_ref or "", "note": ex.note or "",
                    "start": ex.start, "end": ex.end})
    return out


def _product_text(p: Product) -> str:
    return " ".join(x for x in (p.generic_name, p.dosage_form, p.spec) if x)


def _issues(session: Session, period: ReportPeriod, as_of: date) -> list[IssueLine]:
    """R3: issues reported in the period, or still unresolved when it began, as they stood on
    ``as_of`` (the service leaves out issues reported later)."""
    out = []
    for v in supply_issues.list_issues(session, as_of):
        resolved = v.resolved_at or v.closed_at
        if resolved is not None and resolved.date() > as_of:
            resolved = None  # not known yet on the report's day
        if v.reported_at.date() >= period.start or resolved is None or resolved.date() >= period.start:
            out.append(IssueLine(v.id, " ".join(x for x in (v.product_name, v.spec) if x),
                                 v.company or v.manufacturer or v.distributor or "",
                                 supply_issues.type_label(v.type), v.reported_at, v.reply_due, v.resolution_due,
                                 supply_issues.status_label(v.status), list(v.overdue), resolved))
    out.sort(key=lambda v: (v.reported_at, v.id))
    return out


def _order_rows(session: Session, period: ReportPeriod, as_of: date) -> list[dict]:
    """R4 per supplier and quarter of the period, as of the report's day."""
    rows: list[dict] = []
    for q in period.quarters():
        if date(int(q[:4]), 3 * int(q[-1]) - 2, 1) > as_of:
            break
        rows += [dict(r) for r in orders.order_stats(session, q, as_of=as_of)]
    return rows


def _payments(session: Session, period: ReportPeriod, as_of: date) -> tuple[list[PaymentSummary],
                                                                              list[OverduePayment]]:
    """R5: per company, payments due in the period (up to as_of): on time, late, unpaid."""
    per: dict[str, dict] = {}
    overdue: list[OverduePayment] = []
    # R5: due = the end of the month after acceptance, so a delivery due in [period start, as_of]
    # was accepted from the first day of the month before the period's first month, up to as_of.
    first = (period.start.replace(day=1) - timedelta(days=1)).replace(day=1)
    for p in payments.list_payments(session, as_of, accepted_from=first, accepted_to=as_of):
        due, paid = p["due"], p["paid_on"]
        if not (period.start <= due <= as_of):
            continue
        company, amount = p["company"] or "", Decimal(str(p["amount"] or "0"))
        s = per.setdefault(company, {"due": 0, "on_time": 0, "late": 0, "unpaid": 0,
                                     "amount_due": Decimal("0"), "amount_unpaid": Decimal("0")})
        s["due"] += 1
        s["amount_due"] += amount
        if paid is not None and paid <= due:
            s["on_time"] += 1
        elif paid is not None:
            s["late"] += 1
        else:
            s["unpaid"] += 1
            s["amount_unpaid"] += amount
            overdue.append(OverduePayment(p["order_no"] or "", company, p["accepted_on"], due, amount))
    rows = [PaymentSummary(c, s["due"], s["on_time"], s["late"], s["unpaid"], ratio(s["on_time"], s["due"]),
                           s["amount_due"], s["amount_unpaid"]) for c, s in sorted(per.items())]
    overdue.sort(key=lambda o: (o.due, o.company, o.order_no))
    return rows, overdue


def _notes(session: Session, as_of: date) -> list[NoteLine]:
    """R13: the volume-report lines that need a note, with the note's state."""
    out = []
    for n in volume_reports.list_notes(session, as_of):
        r = n.row
        out.append(NoteLine(r.report_name, r.generic_name, r.spec or "", r.baseline, r.reported,
                            float(round(r.change, 4)) if r.change is not None else None, n.status,
                            n.signed_at.date().isoformat() if n.status == "signed" and n.signed_at else ""))
    return out


def _suspensions(session: Session, as_of: date) -> list[Suspension]:
    """R17: products suspended on or before the report's day."""
    q = (select(Product).where(Product.suspended_on.is_not(None), Product.suspended_on <= as_of)
         .order_by(Product.suspended_on, Product.generic_name))
    from hospital_app.services.alerts import _reported_label  # the recipients' names, as the alerts say them

    return [Suspension(_product_text(p), p.suspended_on, p.suspension_reason or "",
                       "、".join(_reported_label(x) for x in p.suspension_reported_to or []))
            for p in session.scalars(q)]


# Sections being built by other engineers: each returns its plain rows for the report's day,
# or None while the rule's service is not there (the section is then not printed).


def _prepayment(session: Session, p: ReportPeriod, day: date):
    """R15 prepayment per batch and agreement year as of the report's day, for the agreement
    years overlapping the report period (years not begun by that day are not listed)."""
    from hospital_app.services.prepayment import prepayments

    return [PrepaymentLine(r.batch, str(r.year), r.agreed_amount, float(r.rate), r.prepayment, r.offset,
                           r.outstanding, r.period_start, r.period_end, r.recover_by)
            for r in prepayments(session, day) if r.period_start <= p.end and r.period_end >= p.start]


def _suppliers(session: Session, p: ReportPeriod, day: date) -> list[SupplierLine]:
    """R4 version 2: the supplier scorecard as of the report's day — for a year report the
    calendar year, otherwise the calendar quarter holding the period (a month's report shows
    its quarter up to that day: the scorecard is kept per quarter and per year). Manufacturers
    first, then distributors; suppliers with neither orders nor supply issues are left out."""
    from hospital_app.domain.orders import Quarter
    from hospital_app.services.progress import ratio4
    from hospital_app.services.suppliers import scorecard

    if p.kind == "year":
        scores = scorecard(session, day, year=p.start.year)
    else:
        scores = scorecard(session, day, quarter=str(Quarter.of(p.start)))
    return [SupplierLine(s.company, s.role, s.period, s.placed, ratio4(s.response_rate), ratio4(s.timeliness),
                         ratio4(s.delivery_rate), s.issues, ratio4(s.issues_on_time_rate), s.escalations, s.level)
            for s in scores if s.placed or s.issues]


def _departments(session: Session, p: ReportPeriod, assessed: list):
    """R19/R21: the departments behind each lag and non-selected share finding of the blocks
    (``services.self_check_departments``); None for a hospital without department data."""
    from hospital_app.services.self_check_departments import department_lines

    return department_lines(session, p, assessed)


# -------------------------------------------------------------- findings (editable)


def findings_key(period: str | ReportPeriod) -> str:
    p = period if isinstance(period, ReportPeriod) else parse_period(period)
    return f"self-check:{p.key}"


def _rule_order(alerts: list[Alert]) -> list[str]:
    rules = {a.rule for a in alerts}
    return sorted(rules, key=lambda r: (int(r[1:]) if r[1:].isdigit() else 99, r))


def draft_findings(alerts: list[Alert] | None) -> str:
    """The findings drafted from the open alerts: one line per kind of finding with its count;
    every item is listed in the report's appendix (a bureau has no access to our alert list)."""
    if not alerts:
        return tr("本期未发现需要整改的问题。继续按月跟踪约定采购量完成进度，优先使用中选产品，及时处理供应问题。",
                  "No findings in this period. Keep tracking completion monthly, prefer selected products "
                  "and handle supply issues promptly.")
    from hospital_app.reports.self_check_tables import cn_number

    lines = []
    for i, rule in enumerate(_rule_order(alerts)):
        items = [a for a in alerts if a.rule == rule]
        title = tr(*RULE_TITLES.get(rule, ("其他", "other")))
        serious = sum(1 for a in items if a.severity == "serious")
        head = tr("（{n}）{t}：共 {c} 项", "({m}) {t}: {c} item(s)", n=cn_number(i + 1), m=i + 1,
                  t=title, c=len(items))
        if serious:
            head += tr("，其中严重 {s} 项", ", {s} serious", s=serious)
        lines.append(head + tr("（逐项列于附表）。", " (each listed in the appendix)."))
    return "\n".join(lines)


def _problems(alerts: list[Alert]) -> list[tuple[str, str]]:
    """(problem, corrective measure) per kind of finding, for the drafted measures."""
    out = []
    for rule in _rule_order(alerts):
        n = sum(1 for a in alerts if a.rule == rule)
        title = tr(*RULE_TITLES.get(rule, ("其他", "other")))
        measure = RULE_MEASURES.get(rule)
        out.append((tr("{t}：{n} 项", "{t}: {n} item(s)", t=title, n=n), tr(*measure) if measure else ""))
    return out


def get_findings_text(session: Session, period: str | ReportPeriod) -> str | None:
    """The stored (edited) findings of a self-check period, or None if never edited."""
    row = session.get(ReportText, findings_key(period))
    return row.text if row is not None else None


def set_findings_text(session: Session, period: str | ReportPeriod, text: str, who: str | None = None,
                      expected_version: int | None = None) -> int:
    """Store the edited findings of a period (audited). Returns the new version.

    ``expected_version``: the version the editor started from; a different stored
    version means someone else saved in between → Conflict.
    """
    key = findings_key(period)
    who = who or audit.current_user()
    row = session.get(ReportText, key)
    if row is not None and expected_version is not None and row.version != expected_version:
        raise Conflict(tr("自查报告文字已被他人修改，请重新打开后再编辑。",
                          "The findings were changed by someone else; reopen them before editing."))
    before = None if row is None else {"text": row.text}
    if row is None:
        row = ReportText(key=key, text=text, updated_by=who, updated_at=datetime.now())
        session.add(row)
    else:
        row.text, row.updated_by, row.updated_at = text, who, datetime.now()
    session.flush()
    audit.record(session, who, "report_text.set", "report_text", key, before, {"text": text})
    return row.version


def clear_findings_text(session: Session, period: str | ReportPeriod, who: str | None = None) -> bool:
    """Drop the edited text: the next report drafts the findings from the alerts again."""
    key = findings_key(period)
    row = session.get(ReportText, key)
    if row is None:
        return False
    audit.record(session, who or audit.current_user(), "report_text.clear", "report_text", key,
                 {"text": row.text}, None)
    session.delete(row)
    session.flush()
    return True


def measures_for(session: Session, period: str | ReportPeriod, as_of: date | None = None) -> list[Measure]:
    """R19: the period's stored corrective measures, else the ones drafted from its findings
    (what the findings editor opens with)."""
    p = period if isinstance(period, ReportPeriod) else parse_period(period)
    stored = corrective_measures.list_measures(session, p)
    if stored:
        return stored
    day = p.as_of(as_of)
    found = alert_service.collect_alerts(session, day)
    # The editor may open before the hospital's identity is set: the drafts then name no department.
    return corrective_measures.draft_measures(_problems(found), hospital_identity(session), day)


# ---------------------------------------------------------------- self-check: make


def self_check_data(session: Session, period: str | ReportPeriod, as_of: date | None = None) -> SelfCheckData:
    """R19: the self-check of ``period`` computed as of its last day (or ``as_of`` if earlier)."""
    p = period if isinstance(period, ReportPeriod) else parse_period(period)
    ident = require_identity(session)
    day = p.as_of(as_of)
    if day < p.start:
        raise Conflict(tr("报告期间 {p} 尚未开始（统计截止日 {d}）。", "Period {p} has not started (as of {d}).",
                          p=p.key, d=day.isoformat()))
    blocks, running, assessed = _blocks(session, p, day)
    all_rows = [r for b in blocks for r in b.rows]
    threshold = Decimal(str(settings.get(session, "r9_share_threshold")))
    report = progress.ProgressReport(as_of=day, rows=running)
    found = alert_service.collect_alerts(session, day, report=report)
    stored = get_findings_text(session, p)
    measures = corrective_measures.list_measures(session, p) or corrective_measures.draft_measures(
        _problems(found), ident, day)
    pay_rows, pay_overdue = _payments(session, p, day)
    return SelfCheckData(
        period_key=p.key, period_label=p.label, period_start=p.start, period_end=p.end, as_of=day,
        identity=ident, blocks=blocks, share=_selected_share(session, p, day),
        nonselected=_nonselected(all_rows, threshold),
        substitutes=[{"message": a.message, "since": a.since} for a in found if a.rule == "R10"],
        not_in_hospital=[r for r in all_rows if "not_in_hospital" in r["flags"]],
        clustered=[r for r in all_rows if {"clustered", "empty_month"} & set(r["flags"])],
        exemptions=_exemptions(session, p, day), issues=_issues(session, p, day),
        orders=_order_rows(session, p, day), payments=pay_rows, overdue_payments=pay_overdue,
        notes=_notes(session, day), suspensions=_suspensions(session, day), measures=measures,
        findings_text=stored if stored is not None else draft_findings(found),
        findings_stored=stored is not None, r9_threshold=threshold,
        prepayment=_prepayment(session, p, day), suppliers=_suppliers(session, p, day),
        departments=_departments(session, p, assessed),
        alerts=[(tr(*RULE_TITLES.get(a.rule, ("其他", "other"))), a.message) for a in found],
    )


def make_self_check(session: Session, period: str, out_path: str | Path, as_of: date | None = None,
                    who: str | None = None, generated_at: datetime | None = None) -> dict:
    """Write the self-check report PDF; returns {"path", "pages", "period", "as_of"}."""
    from hospital_app.reports.self_check import render_self_check

    data = self_check_data(session, period, as_of)
    path = Path(out_path)
    pages = render_self_check(path, data, generated_at=generated_at or datetime.now())
    params = {"period": data.period_key, "as_of": data.as_of.isoformat()}
    record_document(session, "self-check", path, params, who)
    return {"path": str(path), "pages": pages, **params}


# ------------------------------------------------------- complaint and escalation


def _issue_doc_data(session: Session, issue_id: int, as_of: date) -> IssueDocData:
    from hospital_app.services.calendar import load_calendar

    detail = supply_issues.get_issue(session, issue_id, as_of)  # an unknown issue: NotFound (exit 3) first
    ident = require_identity(session)
    v = detail.issue
    cal = load_calendar(session)
    missed: list[MissedDue] = []
    # R2: a due date is met until the end of that day; late by working days in (due, done].
    for what, due, done in (("reply", v.reply_due, v.replied_at), ("resolution", v.resolution_due, v.resolved_at)):
        end = done.date() if done else as_of
        if end > due:
            missed.append(MissedDue(what, due, done, cal.working_days_between(due, end)))
    product = session.get(Product, v.product_id)
    return IssueDocData(detail, as_of, ident, product.code if product else None, missed)


def make_complaint(session: Session, issue_id: int, out_path: str | Path, as_of: date,
                   who: str | None = None, generated_at: datetime | None = None) -> dict:
    """R3: the supply-issue form for the supplier and the insurance bureau."""
    from hospital_app.reports.complaint import render_complaint

    data = _issue_doc_data(session, issue_id, as_of)
    path = Path(out_path)
    pages = render_complaint(path, data, generated_at=generated_at or datetime.now())
    record_document(session, "complaint", path, {"issue_id": issue_id, "as_of": as_of.isoformat()}, who)
    return {"path": str(path), "pages": pages, "issue_id": issue_id}


def make_escalation(session: Session, issue_id: int, out_path: str | Path, as_of: date,
                    who: str | None = None, generated_at: datetime | None = None) -> dict:
    """R3: the escalation letter to the insurance bureau — only for an unresolved issue past a due date."""
    from hospital_app.reports.escalation import render_escalation

    data = _issue_doc_data(session, issue_id, as_of)
    v = data.detail.issue
    if v.status not in ("open", "replied", "escalated") or v.resolved_at is not None:
        raise Conflict(tr("供应问题 {id} 当前状态为“{s}”，无需上报。", "Supply issue {id} is {s}; nothing to escalate.",
                          id=issue_id, s=supply_issues.status_label(v.status)))
    if not v.overdue:
        raise Conflict(tr("供应问题 {id} 尚未逾期（答复期限 {r}，解决期限 {d}），截至 {a} 不能上报。",
                          "Supply issue {id} is not overdue (reply due {r}, resolution due {d}) as of {a}.",
                          id=issue_id, r=v.reply_due.isoformat(), d=v.resolution_due.isoformat(),
                          a=as_of.isoformat()))
    path = Path(out_path)
    pages = render_escalation(path, data, generated_at=generated_at or datetime.now())
    record_document(session, "escalation", path, {"issue_id": issue_id, "as_of": as_of.isoformat()}, who)
    return {"path": str(path), "pages": pages, "issue_id": issue_id,
            "missed": [{"what": m.what, "due": m.due.isoformat(), "working_days": m.working_days}
                       for m in data.missed]}


def list_documents(session: Session, limit: int = 100) -> list[dict]:
    """History of generated documents, newest first (reports page)."""
    q = select(GeneratedDocument).order_by(GeneratedDocument.id.desc()).limit(limit)
    return [{"id": d.id, "kind": d.kind, "path": d.path, "params": dict(d.params or {}),
             "created_by": d.created_by, "created_at": d.created_at} for d in session.scalars(q)]


# ------------------------------------------------------------------ R13 notes (PDF, xlsx)

_PLACEHOLDERS = ("（请选择）", "(to be chosen)", "（未选择）", "(none chosen)")


def _month_first(label: str) -> date:
    return date(int(label[:4]), int(label[5:7]), 1)


def note_doc(view: volume_reports.NoteView, span: tuple[date | None, date | None]) -> NoteDoc:
    """R13: a note as the documents print it — placeholders dropped, and where the purchase data
    do not cover the baseline year or the 12 months shown, that is said instead of reading the gap
    as “no purchases” or a trend."""
    r = view.row
    first, last = span
    months = [(m.month, m.quantity) for m in view.months]
    covered = bool(months) and first is not None and last is not None and \
        _month_first(months[0][0]) >= first.replace(day=1) and _month_first(months[-1][0]) <= last.replace(day=1)
    base_covered = first is not None and last is not None and first <= date(r.baseline_year, 1, 1) \
        and last >= date(r.baseline_year, 12, 1)
    coverage = ""
    if first is None:
        coverage = tr("尚无采购数据。", "No purchase data on record.")
    elif not covered or not base_covered:
        coverage = tr("采购数据只覆盖 {a} 至 {z}，此范围以外的月份不能据此判断是否采购。",
                      "The purchase data only cover {a} to {z}; months outside cannot be read as without purchases.",
                      a=first.isoformat(), z=last.isoformat())
    text = []
    for line in (view.draft_text or "").split("\n"):
        line = line.strip()
        if not line or any(p in line for p in _PLACEHOLDERS):
            continue
        if not covered and (line.startswith(("近 12 个月", "近12个月", "Over the last 12", "No purchases in the last"))):
            continue  # a statement about months the data do not cover
        text.append(line)
    return NoteDoc(view.line_id, r.report_name, r.product_code or "", r.generic_name, r.dosage_form or "",
                   r.spec or "", r.manufacturer or "", r.baseline_year, r.baseline, r.reported, r.change, r.reason,
                   months, view.trend, covered, coverage, view.reason_labels(), view.free_text or "", text,
                   view.status, "", view.signed_at)  # no user name: it may be a login


def make_notes(session: Session, out_path: str | Path, as_of: date, baseline_year: int | None = None,
               who: str | None = None, generated_at: datetime | None = None) -> Path:
    """R13: the notes of the lines that need one — PDF (``.pdf``, unsigned notes marked 草稿) or
    xlsx (``.xlsx``). Refused without the hospital's name."""
    from hospital_app.errors import BadInput

    path = Path(out_path)
    suffix = path.suffix.lower()
    if suffix not in (".pdf", ".xlsx"):
        raise BadInput(tr("输出文件应为 .pdf 或 .xlsx：{p}", "The output must be .pdf or .xlsx: {p}", p=path.name))
    ident = require_identity(session)
    span = volume_reports.data_span(session, as_of)
    notes = [note_doc(v, span) for v in volume_reports.list_notes(session, as_of, baseline_year)]
    if suffix == ".pdf":
        from hospital_app.reports.notes_pdf import write_notes_pdf

        write_notes_pdf(path, notes, as_of=as_of, identity=ident, generated_at=generated_at)
    else:
        from hospital_app.reports.notes_xlsx import write_notes_xlsx

        write_notes_xlsx(path, notes, as_of=as_of, identity=ident)
    return path
