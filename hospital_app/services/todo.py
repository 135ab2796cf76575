"""今日待办: what the pharmacist has to *do* on ``as_of``, grouped by the action (issue 20).

The findings of the alerts service (R3–R17) are facts ("completion below schedule");
this module turns them into actions ("补足采购"), one item per thing to act on, each
with a due date where the rule book gives one and the one-click way to do it:

- ``open_issue`` / ``print_escalation`` (with ``issue_id``), ``open_product`` (with
  ``product_id``), ``open_page`` (with ``page``, a ``gui --page`` name).

Items are state-aware: an issue already escalated is never offered for escalation
again, an issue already answered never for an overdue reply (R3); a suspension already
reported to everyone it must be reported to is not a to-do (R17); a signed note is done
(R13). Texts are plain words in the user's language — no rule ids (``source`` keeps the
rule id for tests and logs only).
"""

from __future__ import annotations

import calendar as _calendar
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Iterable, Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from hospital_app.domain.findings import Alert
from hospital_app.i18n import tr

OPEN_ISSUE = "open_issue"
PRINT_ESCALATION = "print_escalation"
OPEN_PRODUCT = "open_product"
OPEN_PAGE = "open_page"

#: Everyone a quality suspension is reported to (R17).
SUSPENSION_RECIPIENTS = ("manufacturer", "health_authority", "drug_authority")


def _titles() -> dict[str, tuple[str, str]]:
    """Group key → (title, what to do), in the order the page shows them (most urgent first)."""
    return {
        "chase_reply": (tr("答复催办", "Chase replies"),
                        tr("供应企业逾期未答复：催促企业答复，必要时上报医保部门。",
                           "The supplier has not replied in time: chase it; escalate if needed.")),
        "escalate": (tr("逾期上报", "Escalate"),
                     tr("供应问题逾期未解决：打印上报函，报医保部门。",
                        "Supply issues not resolved in time: print the letter for the insurance bureau.")),
        "follow_up": (tr("问题跟进", "Follow up"),
                      tr("企业承诺的解决日期超过时限：要求企业在时限内解决。",
                         "The promised date is beyond the limit: ask the supplier to resolve in time.")),
        "quality": (tr("质量停用", "Quality suspensions"),
                    tr("已停用的产品尚未向所有相关方报告：告知生产企业，并报卫生健康和药监部门。",
                       "Suspended products not yet reported to everyone: inform the manufacturer and "
                       "the health and drug authorities.")),
        "make_up": (tr("补足采购", "Make up purchases"),
                    tr("完成进度低于序时进度：优先采购使用中选产品，补足缺口。",
                       "Completion below schedule: prefer the selected product and make up the shortfall.")),
        "payments": (tr("付款", "Payments"),
                     tr("已验收的货款逾期未付：通知财务部门付款。",
                        "Accepted deliveries unpaid past due: ask the finance department to pay.")),
        "volume_notes": (tr("报量说明", "Volume-report notes"),
                         tr("报量变化超过阈值：填写并签署说明。",
                            "Reported volumes beyond the thresholds: write and sign the notes.")),
        "curb_nonselected": (tr("控制非中选采购", "Curb non-selected buying"),
                             tr("非中选产品或可替代药品用量偏高：优先使用中选产品。",
                                "Non-selected or substitute use is high: prefer the selected product.")),
        "distributors": (tr("配送企业", "Distributors"),
                         tr("配送不及时或配送企业过多：与配送企业沟通并记录。",
                            "Late deliveries or too many distributors: take it up and keep a record.")),
        "explain": (tr("说明未完成原因", "Explain unmet volumes"),
                    tr("协议年度结束时未完成约定量：记录原因。",
                       "An agreement year ended short of its volume: record why.")),
        "check_agreement": (tr("核对协议", "Check agreements"),
                            tr("约定量或价格需要核对：核对后必要时报医保部门。",
                               "Volumes or prices to check; report to the insurance bureau if needed.")),
        "spread": (tr("均衡采购", "Spread purchases"),
                   tr("有扎堆采购或空月：按月均衡采购。",
                      "Clustered or empty months: buy evenly every month.")),
    }


GROUP_ORDER = ("chase_reply", "escalate", "follow_up", "quality", "make_up", "payments", "volume_notes",
               "curb_nonselected", "distributors", "explain", "check_agreement", "spread")


@dataclass(frozen=True)
class TodoItem:
    """One thing to do. ``due``: by when (None: as soon as possible, no date in the rules)."""

    group: str
    text: str
    due: date | None
    severity: str  # serious | warning | info
    action: str  # OPEN_ISSUE | PRINT_ESCALATION | OPEN_PRODUCT | OPEN_PAGE
    product_id: int | None = None
    issue_id: int | None = None
    page: str | None = None
    overdue_days: int | None = None  # calendar days past ``due`` (None: not yet due / no due)
    source: str = ""  # the rule id, for tests and logs; never shown


@dataclass(frozen=True)
class TodoGroup:
    key: str
    title: str
    hint: str
    items: tuple[TodoItem, ...] = field(default_factory=tuple)

    @property
    def count(self) -> int:
        return len(self.items)

    @property
    def due(self) -> date | None:
        """The earliest due date in the group."""
        dues = [i.due for i in self.items if i.due is not None]
        return min(dues) if dues else None


def _late(due: date | None, as_of: date) -> int | None:
    return (as_of - due).days if due is not None and as_of > due else None


def _month_end(d: date) -> date:
    return d.replace(day=_calendar.monthrange(d.year, d.month)[1])


# ---------------------------------------------------------------------------- R3 issues


def issue_items(issues: Iterable, as_of: date) -> list[TodoItem]:
    """R3: overdue replies (only while no reply is recorded), overdue resolutions (only while not
    escalated: the letter is printed once), promises beyond the limit (only before resolution is
    overdue). ``issues``: ``supply_issues.list_issues(open_only=True)`` views."""
    from hospital_app.services.supply_issues import type_label

    items: list[TodoItem] = []
    for v in issues:
        what = tr("{p}（{t}）", "{p} ({t})", p=v.product_name, t=type_label(v.type))
        who = v.company or v.distributor or tr("供应企业", "the supplier")
        if v.status == "open" and v.replied_at is None and "reply" in v.overdue:
            items.append(TodoItem(
                "chase_reply",
                tr("{w}：{c} 应于 {d} 前答复，尚未答复", "{w}: {c} should have replied by {d}",
                   w=what, c=who, d=v.reply_due),
                v.reply_due, "warning", OPEN_ISSUE, v.product_id, v.id, overdue_days=_late(v.reply_due, as_of),
                source="R3"))
        if v.status in ("open", "replied") and v.escalated_at is None and "resolution" in v.overdue:
            items.append(TodoItem(
                "escalate",
                tr("{w}：应于 {d} 前解决，尚未解决", "{w}: should have been resolved by {d}",
                   w=what, d=v.resolution_due),
                v.resolution_due, "serious", PRINT_ESCALATION, v.product_id, v.id,
                overdue_days=_late(v.resolution_due, as_of), source="R3"))
        elif (v.status == "replied" and v.promise_exceeds_limit and v.promise_limit is not None
              and "resolution" not in v.overdue):
            items.append(TodoItem(
                "follow_up",
                tr("{w}：企业承诺 {p} 解决，超过时限 {l}", "{w}: promised {p}, beyond the limit {l}",
                   w=what, p=v.promised_date, l=v.promise_limit),
                v.promise_limit, "warning", OPEN_ISSUE, v.product_id, v.id,
                overdue_days=_late(v.promise_limit, as_of), source="R3"))
    return items


# ------------------------------------------------------------------------ other findings


def _kind(alert: Alert) -> str | None:
    """The group of a finding (None: not an action for today, or handled elsewhere)."""
    subject = alert.subject or ""
    if alert.rule == "R8":
        return "explain" if subject.endswith(":failed") else "make_up"
    if alert.rule in ("R9", "R10"):
        return "curb_nonselected"
    if alert.rule == "R5":
        return "payments"
    if alert.rule in ("R4", "R16"):
        return "distributors"
    if alert.rule in ("R6", "R14"):
        return "check_agreement"
    if alert.rule == "R12":
        return "spread"
    return None  # R3 comes from the issues themselves, R17 from the products (state-aware)


def alert_items(alerts: Sequence[Alert], as_of: date) -> list[TodoItem]:
    """R4–R16 findings as actions: one item per product and group (a product behind with empty
    months is one "补足采购" item; its empty months are not also a "均衡采购" item)."""
    behind = {a.product_id for a in alerts if _kind(a) == "make_up"}
    items: list[TodoItem] = []
    seen: set[tuple[str, int | None, str | None]] = set()
    spread: dict[int | None, list[Alert]] = {}
    for a in alerts:
        group = _kind(a)
        if group is None:
            continue
        if group == "spread":
            if a.product_id in behind and (a.subject or "").endswith(":empty_months"):
                continue
            spread.setdefault(a.product_id, []).append(a)
            continue
        key = (group, a.product_id, a.subject if a.product_id is None else None)
        if key in seen:
            continue
        seen.add(key)
        if group == "payments":
            due = a.since - timedelta(days=1) if a.since else None
            items.append(TodoItem(group, a.message, due, a.severity, OPEN_PAGE, page="payments",
                                  overdue_days=_late(due, as_of), source=a.rule))
        elif group == "make_up":
            due = _month_end(as_of)
            items.append(TodoItem(group, a.message, due, a.severity, OPEN_PRODUCT, a.product_id, source=a.rule))
        elif a.product_id is None:
            items.append(TodoItem(group, a.message, None, a.severity, OPEN_PAGE, page="purchases", source=a.rule))
        else:
            items.append(TodoItem(group, a.message, None, a.severity, OPEN_PRODUCT, a.product_id, source=a.rule))
    for product_id, found in spread.items():
        text = "；".join(a.message for a in found)
        items.append(TodoItem("spread", text, None, "info", OPEN_PRODUCT, product_id, source="R12"))
    return items


def _recipient_label(code: str) -> str:
    return {"manufacturer": tr("生产企业", "the manufacturer"),
            "health_authority": tr("卫生健康部门", "the health authority"),
            "drug_authority": tr("药监部门", "the drug authority")}.get(code, code)


def quality_items(session: Session, as_of: date) -> list[TodoItem]:
    """R17: suspended products (on ``as_of``) not yet reported to everyone."""
    from db.models import Product

    items = []
    for p in session.scalars(select(Product).where(Product.suspended_on.is_not(None),
                                                   Product.suspended_on <= as_of).order_by(Product.id)):
        missing = [c for c in SUSPENSION_RECIPIENTS if c not in (p.suspension_reported_to or [])]
        if not missing:
            continue
        items.append(TodoItem(
            "quality",
            tr("{n} 自 {d} 起停用，尚未报告：{m}", "{n}: suspended since {d}, not yet reported to {m}",
               n=p.generic_name + (f"（{p.spec}）" if p.spec else ""), d=p.suspended_on,
               m=tr("、", ", ").join(_recipient_label(c) for c in missing)),
            p.suspended_on, "serious", OPEN_PRODUCT, p.id, overdue_days=None, source="R17"))
    return items


def note_items(notes: Iterable) -> list[TodoItem]:
    """R13: lines that need an explanatory note and have none signed yet."""
    from hospital_app.domain.volume_check import threshold_label
    from hospital_app.services.volume_reports import NOTE_SIGNED

    items = []
    for n in notes:
        if n.status == NOTE_SIGNED:
            continue
        row = n.row
        items.append(TodoItem(
            "volume_notes",
            tr("{g}{s}：{r}，需要说明（{st}）", "{g} {s}: {r}; a note is needed ({st})",
               g=row.generic_name, s=f"（{row.spec}）" if row.spec else "", r=threshold_label(row.reason),
               st=tr("未签署", "not signed") if n.status != "none" else tr("未起草", "not drafted")),
            None, "warning", OPEN_PAGE, page="volumes", source="R13"))
    return items


# ---------------------------------------------------------------------------- public


def group_items(items: Iterable[TodoItem]) -> list[TodoGroup]:
    """Items → groups in :data:`GROUP_ORDER`, each sorted by due date (undated last), then
    severity; empty groups are left out."""
    titles = _titles()
    by_group: dict[str, list[TodoItem]] = {}
    for item in items:
        by_group.setdefault(item.group, []).append(item)
    severity = {"serious": 0, "warning": 1, "info": 2}
    out = []
    for key in GROUP_ORDER:
        found = by_group.get(key)
        if not found:
            continue
        found.sort(key=lambda i: (i.due is None, i.due or date.max, severity.get(i.severity, 9), i.text))
        title, hint = titles[key]
        out.append(TodoGroup(key, title, hint, tuple(found)))
    return out


def todo_list(session: Session, as_of: date, *, alerts: Sequence[Alert] | None = None,
              issues: Sequence | None = None, report=None) -> list[TodoGroup]:
    """今日待办 on ``as_of``: the actions, grouped. ``alerts`` / ``issues`` / ``report``: what the
    caller already has (the dashboard), so nothing is computed twice."""
    from hospital_app.services.alerts import collect_alerts
    from hospital_app.services.supply_issues import list_issues
    from hospital_app.services.volume_reports import list_notes

    if issues is None:
        issues = list_issues(session, as_of, open_only=True)
    if alerts is None:
        alerts = collect_alerts(session, as_of, report=report)
    items = issue_items(issues, as_of) + alert_items(alerts, as_of) + quality_items(session, as_of)
    items += note_items(list_notes(session, as_of))
    return group_items(items)


__all__ = ["TodoGroup", "TodoItem", "todo_list", "group_items", "issue_items", "alert_items",
           "quality_items", "note_items", "OPEN_ISSUE", "PRINT_ESCALATION", "OPEN_PRODUCT", "OPEN_PAGE"]
