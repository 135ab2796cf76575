"""Supply issues (供应问题反馈, R3): file, reply, resolve, close, escalate, list.

State machine (every change is a ``SupplyIssueEvent`` with who, when, what, and an
audit row)::

    open ──reply──▶ replied ──resolve──▶ resolved ──close──▶ closed
      │                │                    ▲
      └──escalate──────┴──▶ escalated ──────┘ (resolve; a late reply is recorded too)

- ``escalate`` is allowed only from ``open``/``replied`` once a due date has passed
  (reply or resolution overdue at the given time); the app then prints the
  escalation letter (reports) with the full timeline.
- ``resolve`` is accepted from ``open`` too: a supply problem can be fixed before a
  formal reply; refusing it would force a fake reply into the record.
- ``close`` normally follows ``resolved``; closing an unresolved issue (filed in
  error, withdrawn) needs a reason (``text``).

Dues are derived from the calendar at read time (domain/supply_issues.py), so a
``calendar set`` correction moves every open issue's dates.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from db.models import Company, Product, Purchase, SupplyIssue, SupplyIssueEvent, SupplyIssuePurchase
from hospital_app.domain import supply_issues as rules
from hospital_app.domain.calendar import WorkCalendar
from hospital_app.domain.findings import Alert
from hospital_app.errors import BadInput, Conflict, NotFound
from hospital_app.i18n import tr
from hospital_app.services import audit
from hospital_app.services.calendar import load_calendar

ISSUE_TYPES = tuple(rules.ISSUE_TYPES)

#: The keys of ``issues list --json`` (CLI.md), in order.
JSON_KEYS = ("id", "product_id", "type", "status", "reported_at", "reply_due", "replied_at",
             "promised_date", "resolution_due", "resolution_due_provisional", "overdue",
             "promise_exceeds_limit")


def type_label(code: str) -> str:
    zh, en = rules.ISSUE_TYPES.get(code, (code, code))
    return tr(zh, en)


def status_label(code: str) -> str:
    zh, en = rules.STATUSES.get(code, (code, code))
    return tr(zh, en)


@dataclass(frozen=True)
class IssueView:
    """One supply issue with its R3 dates at ``as_of``."""

    id: int
    product_id: int
    type: str
    status: str
    reported_at: datetime
    reply_due: date
    replied_at: datetime | None
    promised_date: date | None
    resolution_due: date
    resolution_due_provisional: bool
    overdue: list[str]
    promise_exceeds_limit: bool
    # ---- beyond CLI.md
    product_name: str = ""
    spec: str | None = None
    manufacturer: str | None = None
    company: str | None = None  # the manufacturer the issue is against
    distributor: str | None = None
    description: str | None = None
    reply_text: str | None = None
    promise_limit: date | None = None
    resolved_at: datetime | None = None
    resolution_text: str | None = None
    closed_at: datetime | None = None
    escalated_at: datetime | None = None
    reported_by: str | None = None
    emergency_verified: bool = False
    reply_late_by: int | None = None  # working days (R2) the reply came after its due date
    resolution_late_by: int | None = None
    missing_years: list[int] = field(default_factory=list)  # R1: years without an official schedule
    can_escalate: bool = False
    bureau_reported_at: datetime | None = None  # reported to the insurance bureau (issues report)
    bureau_report_to: str | None = None
    bureau_confirmed_at: datetime | None = None  # the bureau's confirmation (核实, issues confirm)
    bureau_confirm_ref: str | None = None
    product_suspended_on: date | None = None  # R17: shown next to the product (not in the JSON contract)

    def as_dict(self, full: bool = False) -> dict:
        """Exactly the ``issues list --json`` keys of CLI.md; ``full`` appends the rest."""
        out = {k: getattr(self, k) for k in JSON_KEYS}
        out["overdue"] = list(self.overdue)
        if full:
            for k in ("product_name", "spec", "manufacturer", "company", "distributor", "description",
                      "reply_text", "promise_limit", "resolved_at", "resolution_text", "closed_at",
                      "escalated_at", "reported_by", "emergency_verified", "reply_late_by",
                      "resolution_late_by", "missing_years", "can_escalate", "bureau_reported_at",
                      "bureau_report_to", "bureau_confirmed_at", "bureau_confirm_ref"):
                out[k] = getattr(self, k)
        return out


@dataclass(frozen=True)
class IssueEventView:
    at: datetime
    recorded_at: datetime
    who: str | None
    action: str
    from_status: str | None
    to_status: str | None
    detail: str | None

    def as_dict(self) -> dict:
        return dict(self.__dict__)


@dataclass(frozen=True)
class IssueDetail:
    """An issue with its timeline (complaint form, escalation letter, GUI)."""

    issue: IssueView
    events: list[IssueEventView]
    purchase_ids: list[int]

    def as_dict(self) -> dict:
        return {**self.issue.as_dict(full=True), "events": [e.as_dict() for e in self.events],
                "purchase_ids": list(self.purchase_ids)}


# ---------------------------------------------------------------------------- reading


def _view(issue: SupplyIssue, cal: WorkCalendar, as_of: date, names: dict[int, str]) -> IssueView:
    """R3: the issue as it stood at the end of ``as_of`` (later facts are not known yet)."""
    f = rules.facts_as_of(rules.IssueFacts(
        issue.status, issue.replied_at, issue.promised_date, issue.resolved_at, issue.closed_at,
        issue.escalated_at, issue.insurance_notified_at, issue.bureau_confirmed_at), as_of)
    dues = rules.issue_dues(cal, issue.reported_at, f.replied_at, f.promised_date)
    overdue = rules.overdue(dues, f.status, f.replied_at, f.resolved_at, as_of)
    product = issue.product
    return IssueView(
        id=issue.id, product_id=issue.product_id, type=issue.type, status=f.status,
        reported_at=issue.reported_at, reply_due=dues.reply_due.date, replied_at=f.replied_at,
        promised_date=f.promised_date, resolution_due=dues.resolution_due.date,
        resolution_due_provisional=dues.resolution_due_provisional, overdue=overdue,
        promise_exceeds_limit=dues.promise_exceeds_limit,
        product_name=product.generic_name if product else "", spec=product.spec if product else None,
        manufacturer=names.get(product.manufacturer_id) if product and product.manufacturer_id else None,
        company=names.get(issue.company_id) if issue.company_id else None,
        distributor=names.get(issue.distributor_id) if issue.distributor_id else None,
        description=issue.description, reply_text=issue.reply_text if f.replied_at else None,
        promise_limit=dues.promise_limit.date if dues.promise_limit else None,
        resolved_at=f.resolved_at, resolution_text=issue.resolution_text if f.resolved_at else None,
        closed_at=f.closed_at, escalated_at=f.escalated_at, reported_by=issue.reported_by,
        emergency_verified=bool(issue.emergency_verified),
        reply_late_by=rules.late_by(cal, dues.reply_due.date, f.replied_at),
        resolution_late_by=rules.late_by(cal, dues.resolution_due.date, f.resolved_at),
        missing_years=dues.missing_years,
        can_escalate=f.status in ("open", "replied") and bool(overdue),
        bureau_reported_at=f.insurance_notified_at,
        bureau_report_to=issue.bureau_report_to if f.insurance_notified_at else None,
        bureau_confirmed_at=f.bureau_confirmed_at,
        bureau_confirm_ref=issue.bureau_confirm_ref if f.bureau_confirmed_at else None,
        product_suspended_on=product.suspended_on if product else None,
    )


def _company_names(session: Session) -> dict[int, str]:
    return dict(session.execute(select(Company.id, Company.name)).all())


def list_issues(session: Session, as_of: date, open_only: bool = False,
                overdue_only: bool = False) -> list[IssueView]:
    """R3: issues with their state, dues and overdue state at the end of ``as_of`` (newest first).

    ``open_only``: unresolved as of that day (open, replied, escalated); ``overdue_only``:
    something overdue. An issue reported after the as-of day does not exist yet on that day,
    and a reply, resolution, closing or escalation recorded later is not known yet.
    """
    cal = load_calendar(session)
    names = _company_names(session)
    bound = rules.end_of(as_of)
    query = (select(SupplyIssue).join(SupplyIssue.product)
             .where(SupplyIssue.reported_at < bound)
             .order_by(SupplyIssue.reported_at.desc(), SupplyIssue.id.desc()))
    if open_only:  # unresolved now, or resolved/closed only after the as-of day
        query = query.where(or_(SupplyIssue.status.in_(rules.UNRESOLVED), SupplyIssue.resolved_at >= bound,
                                SupplyIssue.closed_at >= bound))
    views = [_view(i, cal, as_of, names) for i in session.scalars(query)]
    if open_only:
        views = [v for v in views if v.status in rules.UNRESOLVED]
    if overdue_only:
        views = [v for v in views if v.overdue]
    return views


def _get(session: Session, issue_id: int) -> SupplyIssue:
    issue = session.get(SupplyIssue, issue_id)
    if issue is None:
        raise NotFound(tr("找不到供应问题 {id}", "No supply issue {id}", id=issue_id))
    return issue


def get_issue(session: Session, issue_id: int, as_of: date) -> IssueDetail:
    """R3: one issue with its timeline (who, when, what) as known at the end of ``as_of``."""
    issue = _get(session, issue_id)
    view = _view(issue, load_calendar(session), as_of, _company_names(session))
    bound = rules.end_of(as_of)
    events = [IssueEventView(e.at, e.recorded_at, e.who, e.action, e.from_status, e.to_status, e.detail)
              for e in issue.events if e.at < bound or e.action not in rules.DATED_EVENTS]
    purchase_ids = list(session.scalars(select(SupplyIssuePurchase.purchase_id)
                                        .where(SupplyIssuePurchase.issue_id == issue_id)
                                        .order_by(SupplyIssuePurchase.purchase_id)))
    return IssueDetail(view, events, purchase_ids)


# ---------------------------------------------------------------------------- changes


def _snapshot(issue: SupplyIssue) -> dict:
    return {"status": issue.status, "replied_at": issue.replied_at, "promised_date": issue.promised_date,
            "resolved_at": issue.resolved_at, "closed_at": issue.closed_at,
            "escalated_at": issue.escalated_at, "emergency_verified": issue.emergency_verified,
            "insurance_notified_at": issue.insurance_notified_at, "bureau_report_to": issue.bureau_report_to,
            "bureau_confirmed_at": issue.bureau_confirmed_at, "bureau_confirm_ref": issue.bureau_confirm_ref}


def _event(session: Session, issue: SupplyIssue, at: datetime, who: str, action: str,
           to_status: str | None, detail: str | None, before: dict | None) -> None:
    from_status = before["status"] if before else None
    if to_status is not None:
        issue.status = to_status
    issue.events.append(SupplyIssueEvent(at=at, recorded_at=datetime.now(), who=who, action=action,
                                         from_status=from_status, to_status=to_status or issue.status,
                                         detail=detail))
    session.flush()
    audit.record(session, who, f"issue.{action}", "supply_issue", issue.id, before, _snapshot(issue))


def _find_company(session: Session, name: str, who: str) -> Company:
    name = name.strip()
    if not name:
        raise BadInput(tr("企业名称不能为空", "company name must not be empty"))
    company = session.scalar(select(Company).where(Company.name == name))
    if company is None:  # a distributor not yet known: record it rather than refuse the complaint
        company = Company(name=name, is_distributor=True)
        session.add(company)
        session.flush()
        audit.record(session, who, "company.add", "company", company.id, None, {"name": name})
    return company


def add_issue(session: Session, product_id: int, type: str, reported_at: datetime,
              company: str | None = None, description: str | None = None,
              who: str | None = None, as_of: date | None = None) -> IssueView:
    """R3: file a supply issue against the product's manufacturer and/or a distributor.

    ``company``: the company named in the complaint; the product's manufacturer, or
    else it is recorded as the distributor concerned.
    """
    who = who or audit.current_user()
    if type not in rules.ISSUE_TYPES:
        raise BadInput(tr("未知的问题类型：{t}（可选：{all}）", "Unknown issue type: {t} (one of: {all})",
                          t=type, all=", ".join(ISSUE_TYPES)))
    product = session.get(Product, product_id)
    if product is None:
        raise NotFound(tr("找不到产品 {id}", "No product {id}", id=product_id))
    if not product.selected:  # R3: issues are filed against a selected product's suppliers
        raise BadInput(tr("产品 {id}（{name}）不是中选产品；供应问题只能针对中选产品（含备供）登记。",
                          "Product {id} ({name}) is not a selected product; supply issues are filed "
                          "against selected products (primary or backup) only.",
                          id=product.id, name=product.generic_name))
    issue = SupplyIssue(product_id=product.id, type=type, description=description, status="open",
                        reported_at=reported_at, reported_by=who, company_id=product.manufacturer_id)
    if company:
        found = _find_company(session, company, who)
        if found.id != product.manufacturer_id:
            if found.is_manufacturer and not found.is_distributor:
                issue.company_id = found.id
            else:
                issue.distributor_id = found.id
    session.add(issue)
    session.flush()
    _event(session, issue, reported_at, who, "filed", "open",
           tr("登记问题：{t}", "filed: {t}", t=type_label(type)) + (f"；{description}" if description else ""),
           None)
    return _view(issue, load_calendar(session), as_of or reported_at.date(), _company_names(session))


def _check_after(at: datetime, earlier: datetime | None, what_zh: str, what_en: str) -> None:
    if earlier is not None and at < earlier:
        raise BadInput(tr("时间 {at} 早于{w}时间 {t}", "time {at} is before the {w} time {t}",
                          at=at.isoformat(sep=" ", timespec="minutes"), w=tr(what_zh, what_en),
                          t=earlier.isoformat(sep=" ", timespec="minutes")))


def reply(session: Session, issue_id: int, at: datetime, promised_date: date | None = None,
          text: str | None = None, who: str | None = None, as_of: date | None = None) -> IssueView:
    """R3: the supplier's reply, with its promised resolution date (flagged when beyond
    R2(replied_at, 5))."""
    who = who or audit.current_user()
    issue = _get(session, issue_id)
    if issue.status not in ("open", "escalated") or issue.replied_at is not None or issue.resolved_at:
        raise Conflict(tr("供应问题 {id} 当前状态为“{s}”，不能再登记答复",
                          "Supply issue {id} is '{s}'; a reply cannot be recorded now",
                          id=issue.id, s=status_label(issue.status)))
    _check_after(at, issue.reported_at, "登记", "report")
    if promised_date is not None and promised_date < at.date():
        raise BadInput(tr("承诺解决日期 {p} 早于答复日期", "promised date {p} is before the reply",
                          p=promised_date.isoformat()))
    before = _snapshot(issue)
    issue.replied_at, issue.promised_date, issue.reply_text = at, promised_date, text
    detail = text or ""
    if promised_date:
        detail = tr("承诺 {p} 前解决", "promises resolution by {p}", p=promised_date.isoformat()) + (
            f"；{text}" if text else "")
    _event(session, issue, at, who, "replied", "replied" if issue.status == "open" else None, detail, before)
    return _view(issue, load_calendar(session), as_of or at.date(), _company_names(session))


def resolve(session: Session, issue_id: int, at: datetime, text: str | None = None,
            who: str | None = None, as_of: date | None = None) -> IssueView:
    """R3: record the resolution (from open, replied or escalated)."""
    who = who or audit.current_user()
    issue = _get(session, issue_id)
    if issue.status not in rules.UNRESOLVED:
        raise Conflict(tr("供应问题 {id} 当前状态为“{s}”，不能登记解决",
                          "Supply issue {id} is '{s}'; it cannot be resolved",
                          id=issue.id, s=status_label(issue.status)))
    _check_after(at, issue.reported_at, "登记", "report")
    _check_after(at, issue.replied_at, "答复", "reply")
    before = _snapshot(issue)
    issue.resolved_at, issue.resolution_text = at, text
    _event(session, issue, at, who, "resolved", "resolved", text, before)
    return _view(issue, load_calendar(session), as_of or at.date(), _company_names(session))


def close(session: Session, issue_id: int, at: datetime, text: str | None = None,
          who: str | None = None, as_of: date | None = None) -> IssueView:
    """R3: close a resolved issue; an unresolved one only with a reason (withdrawn, filed in error)."""
    who = who or audit.current_user()
    issue = _get(session, issue_id)
    if issue.status == "closed":
        raise Conflict(tr("供应问题 {id} 已关闭", "Supply issue {id} is already closed", id=issue.id))
    if issue.status != "resolved" and not (text and text.strip()):
        raise Conflict(tr("供应问题 {id} 尚未解决；关闭未解决的问题须用 --text 说明原因",
                          "Supply issue {id} is not resolved; closing it needs a reason (--text)",
                          id=issue.id))
    _check_after(at, issue.reported_at, "登记", "report")
    _check_after(at, issue.resolved_at, "解决", "resolution")
    before = _snapshot(issue)
    issue.closed_at = at
    _event(session, issue, at, who, "closed", "closed", text, before)
    return _view(issue, load_calendar(session), as_of or at.date(), _company_names(session))


def escalate(session: Session, issue_id: int, at: datetime, text: str | None = None,
             who: str | None = None, as_of: date | None = None) -> IssueView:
    """R3: escalate an unresolved issue past a due date (reply or resolution overdue at ``at``)."""
    who = who or audit.current_user()
    issue = _get(session, issue_id)
    if issue.status not in ("open", "replied"):
        raise Conflict(tr("供应问题 {id} 当前状态为“{s}”，不能上报",
                          "Supply issue {id} is '{s}'; it cannot be escalated",
                          id=issue.id, s=status_label(issue.status)))
    _check_after(at, issue.reported_at, "登记", "report")
    cal = load_calendar(session)
    dues = rules.issue_dues(cal, issue.reported_at, issue.replied_at, issue.promised_date)
    late = rules.overdue(dues, issue.status, issue.replied_at, issue.resolved_at, at.date())
    if not late:
        raise Conflict(tr("供应问题 {id} 尚未逾期（答复期限 {r}，解决期限 {s}），不能上报",
                          "Supply issue {id} is not overdue yet (reply due {r}, resolution due {s})",
                          id=issue.id, r=dues.reply_due.date.isoformat(),
                          s=dues.resolution_due.date.isoformat()))
    before = _snapshot(issue)
    issue.escalated_at = at
    what = "、".join(tr("答复逾期", "reply overdue") if k == "reply" else tr("解决逾期", "resolution overdue")
                    for k in late)
    _event(session, issue, at, who, "escalated", "escalated", what + (f"；{text}" if text else ""), before)
    return _view(issue, cal, as_of or at.date(), _company_names(session))


def report_to_bureau(session: Session, issue_id: int, at: datetime, to: str | None = None,
                     who: str | None = None, as_of: date | None = None) -> IssueView:
    """R3/R11: record that the issue was reported to the medical insurance bureau (上报医保局).

    Sets ``insurance_notified_at`` and ``bureau_report_to``; the state does not change (the
    supplier still owes a reply or a resolution). Recorded once; not before the issue was filed.
    """
    who = who or audit.current_user()
    issue = _get(session, issue_id)
    if issue.insurance_notified_at is not None:
        raise Conflict(tr("供应问题 {id} 已于 {t} 报告医保部门", "Supply issue {id} was already reported to the "
                          "insurance bureau on {t}", id=issue.id,
                          t=issue.insurance_notified_at.isoformat(sep=" ", timespec="minutes")))
    _check_after(at, issue.reported_at, "登记", "report")
    before = _snapshot(issue)
    to = (to or "").strip() or None
    issue.insurance_notified_at, issue.bureau_report_to = at, to
    _event(session, issue, at, who, "reported_to_bureau", None,
           tr("报告医保部门", "reported to the insurance bureau") + (f"：{to}" if to else ""), before)
    return _view(issue, load_calendar(session), as_of or at.date(), _company_names(session))


def confirm_by_bureau(session: Session, issue_id: int, at: datetime, ref: str | None = None,
                      who: str | None = None, as_of: date | None = None) -> IssueView:
    """R3/R11: record the bureau's confirmation (核实) of a reported issue, with its reference."""
    who = who or audit.current_user()
    issue = _get(session, issue_id)
    if issue.insurance_notified_at is None:
        raise Conflict(tr("供应问题 {id} 尚未报告医保部门，不能登记核实",
                          "Supply issue {id} has not been reported to the insurance bureau; "
                          "its confirmation cannot be recorded", id=issue.id))
    if issue.bureau_confirmed_at is not None:
        raise Conflict(tr("供应问题 {id} 已于 {t} 经医保部门核实", "Supply issue {id} was already confirmed by "
                          "the insurance bureau on {t}", id=issue.id,
                          t=issue.bureau_confirmed_at.isoformat(sep=" ", timespec="minutes")))
    _check_after(at, issue.insurance_notified_at, "报告医保部门", "bureau report")
    before = _snapshot(issue)
    ref = (ref or "").strip() or None
    issue.bureau_confirmed_at, issue.bureau_confirm_ref = at, ref
    _event(session, issue, at, who, "bureau_confirmed", None,
           tr("医保部门核实", "confirmed by the insurance bureau") + (f"：{ref}" if ref else ""), before)
    return _view(issue, load_calendar(session), as_of or at.date(), _company_names(session))


def link_purchases(session: Session, issue_id: int, purchase_ids: list[int], who: str | None = None) -> int:
    """R11: link purchases this issue excuses (backup-supplier or non-selected buys). Returns new links."""
    who = who or audit.current_user()
    issue = _get(session, issue_id)
    wanted = set(purchase_ids)
    found = set(session.scalars(select(Purchase.id).where(Purchase.id.in_(wanted))))
    if wanted - found:
        raise NotFound(tr("找不到采购记录：{ids}", "No purchase: {ids}",
                          ids=", ".join(map(str, sorted(wanted - found)))))
    existing = set(session.scalars(select(SupplyIssuePurchase.purchase_id)
                                   .where(SupplyIssuePurchase.issue_id == issue.id)))
    new = sorted(found - existing)
    for pid in new:
        session.add(SupplyIssuePurchase(issue_id=issue.id, purchase_id=pid))
    if new:
        before = _snapshot(issue)
        _event(session, issue, datetime.now(), who, "linked", None,
               tr("关联采购 {n} 条", "linked {n} purchases", n=len(new)), before)
    return len(new)


# ----------------------------------------------------------------------------- alerts


def issue_alerts(session: Session, as_of: date) -> list[Alert]:
    """R3 findings: overdue reply, overdue resolution, a promise beyond 5 working days."""
    alerts: list[Alert] = []
    for v in list_issues(session, as_of, open_only=True):
        name = v.product_name
        if "reply" in v.overdue:
            alerts.append(Alert(
                "R3", "warning",
                tr("供应问题 {id}（{p}）答复逾期：应于 {d} 前答复",
                   "Supply issue {id} ({p}): reply overdue, was due {d}", id=v.id, p=name, d=v.reply_due),
                v.product_id, v.reply_due + timedelta(days=1), f"issue:{v.id}:reply",
                tr("催促供应企业答复；可上报医保部门", "Chase the supplier; you may escalate to the insurance bureau"),
                {"issue_id": v.id}))
        if "resolution" in v.overdue:
            alerts.append(Alert(
                "R3", "serious",
                tr("供应问题 {id}（{p}）解决逾期：应于 {d} 前解决",
                   "Supply issue {id} ({p}): resolution overdue, was due {d}", id=v.id, p=name,
                   d=v.resolution_due),
                v.product_id, v.resolution_due + timedelta(days=1), f"issue:{v.id}:resolution",
                tr("打印上报函，向医保部门上报", "Print the escalation letter for the insurance bureau"),
                {"issue_id": v.id}))
        if v.promise_exceeds_limit:
            alerts.append(Alert(
                "R3", "warning",
                tr("供应问题 {id}（{p}）承诺解决日期 {d} 超过 5 个工作日（最迟 {l}）",
                   "Supply issue {id} ({p}): promised date {d} is beyond 5 working days (limit {l})",
                   id=v.id, p=name, d=v.promised_date, l=v.promise_limit),
                v.product_id, v.replied_at.date() if v.replied_at else None, f"issue:{v.id}:promise",
                tr("要求供应企业在时限内解决", "Ask the supplier to resolve within the limit"),
                {"issue_id": v.id}))
    return alerts
