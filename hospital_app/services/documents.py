"""Documents: self-check report (自查自纠), supply complaint, escalation letter (PDF).

Each ``make_*`` function gathers plain data from the other services, hands it to a
renderer in ``hospital_app.reports`` and records the file in ``GeneratedDocument``.
The caller owns the transaction (the CLI's ``with db.session()`` commits).

Sources are imported lazily: a section whose service is missing says “（暂无数据）”
instead of failing the whole report.
"""

from __future__ import annotations

import importlib
import logging
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, Callable

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import Exemption, GeneratedDocument, Product, ReportText
from hospital_app.domain.orders import ratio
from hospital_app.domain.periods import ReportPeriod, parse_period
from hospital_app.errors import Conflict
from hospital_app.i18n import tr
from hospital_app.services import audit

log = logging.getLogger(__name__)

NO_DATA = "（暂无数据）"

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
    "R6": ("按时签订年度采购协议，约定采购量原则上不低于首年。",
           "Sign the yearly agreements on time; agreed volumes not below the first year."),
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


# ------------------------------------------------------------------------- helpers


def _optional(module: str, name: str) -> Callable | None:
    """``module.name`` if that service has landed, else None (the section shows 暂无数据)."""
    try:
        mod = importlib.import_module(module)
    except ModuleNotFoundError as exc:
        if exc.name != module:  # a real failure inside the service must not read as "no data"
            raise
        log.info("document source %s not available: %s", module, exc)
        return None
    return getattr(mod, name, None)


def _get(obj: Any, key: str, default: Any = None) -> Any:
    """Read a field from a dict, a dataclass or an object with ``as_dict``."""
    if obj is None:
        return default
    if isinstance(obj, dict):
        return obj.get(key, default)
    if hasattr(obj, key):
        return getattr(obj, key)
    if hasattr(obj, "as_dict"):
        return obj.as_dict().get(key, default)
    return default


def record_document(session: Session, kind: str, path: Path, params: dict, who: str | None = None) -> None:
    """Remember a generated file (GeneratedDocument: the reports page's history)."""
    session.add(GeneratedDocument(kind=kind, path=str(Path(path).resolve()), params=params,
                                  created_by=who or audit.current_user(), created_at=datetime.now()))
    session.flush()


def _identity(session: Session) -> dict[str, str]:
    from hospital_app.reports.document import identity

    return identity(session)


def _setting(session: Session, key: str) -> Any:
    from hospital_app import settings

    return settings.get(session, key)


# --------------------------------------------------------------- self-check: data


@dataclass
class BatchSummary:
    name: str
    products: int
    by_status: dict[str, int]
    agreed: int
    target: int
    purchased: int
    completion: float | None  # Σ purchased / Σ agreed over assessed products
    schedule: float | None  # Σ target_to_date / Σ agreed
    burnup_labels: list[str] = field(default_factory=list)
    burnup_purchased: list[int] = field(default_factory=list)
    burnup_schedule: list[int] = field(default_factory=list)


@dataclass
class SelfCheckData:
    """Everything the self-check report prints; ``None`` in a section = 暂无数据."""

    period: ReportPeriod
    as_of: date
    hospital_name: str
    hospital_code: str
    progress: list[dict] | None
    batches: list[BatchSummary] | None
    nonselected: list[dict] | None  # generic_name, share, threshold, over
    exemptions: list[dict]
    issues: list[Any] | None  # supply_issues.IssueView
    orders: list[dict] | None
    payments: list[dict] | None  # per company summary
    overdue_payments: list[dict] | None
    notes: list[Any] | None  # volume_reports.NoteView
    alerts: list[Any] | None
    findings_text: str
    findings_stored: bool
    r9_threshold: Decimal = Decimal("0.30")


def _progress(session: Session, as_of: date) -> tuple[Any, list[dict] | None]:
    """(the progress report object, its rows as ``progress --json`` dicts) — or (None, None)."""
    compute = _optional("hospital_app.services.progress", "compute_progress")
    if compute is None:
        return None, None
    report = compute(session, as_of)
    return report, [r.as_dict() if hasattr(r, "as_dict") else dict(r) for r in report]


def _ratio4(value: Any) -> float | None:
    if value is None:
        return None
    return round(float(value), 4)


def _burnup(rows: list[Any], as_of: date) -> tuple[list[str], list[int], list[int]]:
    """R7/R8 burn-up of one batch: the progress service's one calculation (also the dashboard's)."""
    from hospital_app.services.progress import burn_up

    b = burn_up(rows, as_of)
    return b.labels, b.purchased, b.schedule


def _batch_summaries(session: Session, report: Any, rows: list[dict], as_of: date) -> list[BatchSummary]:
    """R8 per batch (``progress.batch_summary``): products by status, completion vs schedule."""
    summarise = _optional("hospital_app.services.progress", "batch_summary")
    objects: dict[str, list[Any]] = defaultdict(list)
    for r in report:
        objects[_get(r, "batch") or ""].append(r)
    out = []
    if summarise is not None:
        for b in summarise(session, as_of, report):
            name = _get(b, "batch")
            labels, bought, sched = _burnup(objects.get(name, []), as_of)
            out.append(BatchSummary(name, int(_get(b, "products") or 0), dict(_get(b, "counts") or {}),
                                    int(_get(b, "agreed_volume") or 0), int(_get(b, "target_to_date") or 0),
                                    int(_get(b, "purchased") or 0), _ratio4(_get(b, "completion")),
                                    _ratio4(_get(b, "schedule")), labels, bought, sched))
        return out
    groups: dict[str, list[dict]] = defaultdict(list)
    for r in rows:
        groups[r.get("batch") or ""].append(r)
    for name in sorted(groups):
        rs = groups[name]
        agreed = sum(int(r.get("agreed_volume") or 0) for r in rs)
        target = sum(int(r.get("target_to_date") or 0) for r in rs)
        purchased = sum(int(r.get("purchased") or 0) for r in rs)
        labels, bought, sched = _burnup(objects.get(name, []), as_of)
        out.append(BatchSummary(name, len(rs), dict(Counter(r.get("status") for r in rs)), agreed, target,
                                purchased, ratio(purchased, agreed), ratio(target, agreed),
                                labels, bought, sched))
    return out


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


def _period_issues(session: Session, period: ReportPeriod, as_of: date) -> list[Any] | None:
    """R3: issues reported in the period, or still unresolved when it began."""
    list_issues = _optional("hospital_app.services.supply_issues", "list_issues")
    if list_issues is None:
        return None
    out = []
    for v in list_issues(session, as_of):
        reported = _get(v, "reported_at").date()
        if reported > as_of:
            continue
        resolved = _get(v, "resolved_at") or _get(v, "closed_at")
        if reported >= period.start or resolved is None or resolved.date() >= period.start:
            out.append(v)
    out.sort(key=lambda v: (_get(v, "reported_at"), _get(v, "id")))
    return out


def _order_rows(session: Session, period: ReportPeriod, as_of: date) -> list[dict] | None:
    stats = _optional("hospital_app.services.orders", "order_stats")
    if stats is None:
        return None
    rows: list[dict] = []
    for q in period.quarters():
        qstart = date(int(q[:4]), 3 * int(q[-1]) - 2, 1)
        if qstart > as_of:
            break
        try:
            rows += [dict(r) for r in stats(session, q, as_of=as_of)]
        except TypeError:  # an older signature without as_of
            rows += [dict(r) for r in stats(session, q)]
    return rows


def _payments(session: Session, period: ReportPeriod, as_of: date) -> tuple[list[dict] | None, list[dict] | None]:
    """R5: per company, payments due in the period (up to as_of): on time, late, unpaid."""
    lister = _optional("hospital_app.services.payments", "list_payments")
    if lister is None:
        return None, None
    per: dict[str, dict] = {}
    overdue: list[dict] = []
    for p in lister(session, as_of):
        due = _get(p, "due")
        due = date.fromisoformat(due) if isinstance(due, str) else due
        if due is None or not (period.start <= due <= as_of):
            continue
        paid = _get(p, "paid_on")
        paid = date.fromisoformat(paid) if isinstance(paid, str) else paid
        company = _get(p, "company") or ""
        amount = Decimal(str(_get(p, "amount") or "0"))
        s = per.setdefault(company, {"company": company, "due": 0, "on_time": 0, "late": 0, "unpaid": 0,
                                     "amount_due": Decimal("0"), "amount_unpaid": Decimal("0")})
        s["due"] += 1
        s["amount_due"] += amount
        if paid is not None and paid <= due:
            s["on_time"] += 1
        elif paid is not None and paid <= as_of:
            s["late"] += 1
        else:
            s["unpaid"] += 1
            s["amount_unpaid"] += amount
            overdue.append({"order_no": _get(p, "order_no"), "company": company,
                            "accepted_on": _get(p, "accepted_on"), "due": due, "amount": amount})
    rows = sorted(per.values(), key=lambda s: s["company"])
    for s in rows:
        s["rate"] = ratio(s["on_time"], s["due"])
    return rows, overdue


def _notes(session: Session, as_of: date) -> list[Any] | None:
    lister = _optional("hospital_app.services.volume_reports", "list_notes")
    if lister is None:
        return None
    return list(lister(session, as_of))


def _alerts(session: Session, as_of: date, report: Any = None) -> list[Any] | None:
    """Every open alert on ``as_of``; ``report``: the progress report already computed for
    the same day, reused by ``collect_alerts`` instead of a second progress pass (issue 12)."""
    collect = _optional("hospital_app.services.alerts", "collect_alerts")
    if collect is None:
        return None
    return list(collect(session, as_of, report=report))


# -------------------------------------------------------------- findings (editable)


def findings_key(period: str | ReportPeriod) -> str:
    p = period if isinstance(period, ReportPeriod) else parse_period(period)
    return f"self-check:{p.key}"


def draft_findings(alerts: list[Any] | None) -> str:
    """Findings and corrective measures drafted from the open alerts, grouped by rule."""
    if not alerts:
        return tr("一、存在的问题\n本期未发现需要整改的问题。\n\n二、整改措施\n继续按月跟踪约定采购量完成进度，"
                  "优先使用中选产品，及时处理供应问题。",
                  "1. Findings\nNo findings in this period.\n\n2. Corrective measures\n"
                  "Keep tracking progress monthly.")
    by_rule: dict[str, list[Any]] = defaultdict(list)
    for a in alerts:
        by_rule[_get(a, "rule") or "?"].append(a)
    order = sorted(by_rule, key=lambda r: (int(r[1:]) if r[1:].isdigit() else 99, r))
    nums = "一二三四五六七八九十"
    lines = [tr("一、存在的问题", "1. Findings")]
    for i, rule in enumerate(order):
        items = by_rule[rule]
        title = tr(*RULE_TITLES.get(rule, (rule, rule)))
        serious = sum(1 for a in items if _get(a, "severity") == "serious")
        head = tr("（{n}）{t}：共 {c} 项", "({n}) {t}: {c} item(s)", n=nums[i] if i < 10 else i + 1,
                  t=title, c=len(items))
        if serious:
            head += tr("，其中严重 {s} 项", ", {s} serious", s=serious)
        lines.append(head + tr("。", "."))
        for a in items[:8]:
            lines.append(f"    · {_get(a, 'message')}")
        if len(items) > 8:
            lines.append(tr("    · 另有 {k} 项，详见系统预警列表。", "    · {k} more in the alert list.",
                            k=len(items) - 8))
    lines += ["", tr("二、整改措施", "2. Corrective measures")]
    for i, rule in enumerate(order):
        measure = RULE_MEASURES.get(rule)
        if measure:
            lines.append(f"{i + 1}. {tr(*measure)}")
    return "\n".join(lines)


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


# ---------------------------------------------------------------- self-check: make


def self_check_data(session: Session, period: str | ReportPeriod, as_of: date | None = None) -> SelfCheckData:
    """Gather the self-check report's figures for ``period`` as of its end (or ``as_of`` if earlier)."""
    p = period if isinstance(period, ReportPeriod) else parse_period(period)
    day = p.as_of(as_of)
    if day < p.start:
        raise Conflict(tr("报告期间 {p} 尚未开始（统计截止日 {d}）。", "Period {p} has not started (as of {d}).",
                          p=p.key, d=day.isoformat()))
    ident = _identity(session)
    report, rows = _progress(session, day)
    threshold = Decimal(str(_setting(session, "r9_share_threshold")))
    alerts = _alerts(session, day, report)
    stored = get_findings_text(session, p)
    pay_rows, pay_overdue = _payments(session, p, day)
    return SelfCheckData(
        period=p, as_of=day, hospital_name=ident["hospital_name"], hospital_code=ident["hospital_code"],
        progress=rows,
        batches=_batch_summaries(session, report, rows, day) if rows is not None else None,
        nonselected=_nonselected(rows, threshold) if rows is not None else None,
        exemptions=_exemptions(session, p, day),
        issues=_period_issues(session, p, day),
        orders=_order_rows(session, p, day),
        payments=pay_rows, overdue_payments=pay_overdue,
        notes=_notes(session, day),
        alerts=alerts,
        findings_text=stored if stored is not None else draft_findings(alerts),
        findings_stored=stored is not None,
        r9_threshold=threshold,
    )


def make_self_check(session: Session, period: str, out_path: str | Path, as_of: date | None = None,
                    who: str | None = None, generated_at: datetime | None = None) -> dict:
    """Write the self-check report PDF; returns {"path", "pages", "period", "as_of"}."""
    from hospital_app.reports.self_check import render_self_check

    data = self_check_data(session, period, as_of)
    path = Path(out_path)
    pages = render_self_check(path, data, generated_at=generated_at or datetime.now())
    params = {"period": data.period.key, "as_of": data.as_of.isoformat()}
    record_document(session, "self-check", path, params, who)
    return {"path": str(path), "pages": pages, **params}


# ------------------------------------------------------- complaint and escalation


@dataclass
class MissedDue:
    what: str  # reply | resolution
    due: date
    done: datetime | None  # when it finally happened (None: still not)
    working_days: int  # by how many working days (R2) it was missed, up to as_of


@dataclass
class IssueDocData:
    detail: Any  # supply_issues.IssueDetail
    as_of: date
    hospital_name: str
    hospital_code: str
    contact: str
    bureau: str
    product_code: str | None
    missed: list[MissedDue]


def _issue_doc_data(session: Session, issue_id: int, as_of: date) -> IssueDocData:
    from hospital_app.services.calendar import load_calendar
    from hospital_app.services.supply_issues import get_issue

    detail = get_issue(session, issue_id, as_of)
    v = detail.issue
    cal = load_calendar(session)
    missed: list[MissedDue] = []
    # R2: a due date is met until the end of that day; late by working days in (due, done].
    checks = [("reply", v.reply_due, v.replied_at), ("resolution", v.resolution_due, v.resolved_at)]
    for what, due, done in checks:
        end = done.date() if done else as_of
        if end > due:
            missed.append(MissedDue(what, due, done, cal.working_days_between(due, end)))
    ident = _identity(session)
    product = session.get(Product, v.product_id)
    return IssueDocData(detail, as_of, ident["hospital_name"], ident["hospital_code"],
                        _setting(session, "hospital_contact") or "", _setting(session, "insurance_bureau") or "",
                        product.code if product else None, missed)


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
                          id=issue_id, s=_status_text(v.status)))
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


def _status_text(code: str) -> str:
    from hospital_app.services.supply_issues import status_label

    return status_label(code)


def list_documents(session: Session, limit: int = 100) -> list[dict]:
    """History of generated documents, newest first (reports page)."""
    q = select(GeneratedDocument).order_by(GeneratedDocument.id.desc()).limit(limit)
    return [{"id": d.id, "kind": d.kind, "path": d.path, "params": dict(d.params or {}),
             "created_by": d.created_by, "created_at": d.created_at} for d in session.scalars(q)]
