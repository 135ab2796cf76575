"""Supply-issue deadlines and overdue state (R3), derived from the calendar. Pure.

Dues are never stored: they are computed from the event times and the current
calendar, so a calendar correction (R1) moves every open issue's dates at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from hospital_app.domain.calendar import Due, WorkCalendar

REPLY_WORKING_DAYS = 2
RESOLUTION_WORKING_DAYS = 5

ISSUE_TYPES: dict[str, tuple[str, str]] = {
    "shortage": ("供应短缺", "supply shortage"),
    "late_delivery": ("配送不及时", "late delivery"),
    "selective_delivery": ("选择性配送", "selective delivery"),
    "stopped_after_volume": ("完成约定量后停止供应", "no delivery after the agreed volume is reached"),
    "unsuitable_form_spec": ("剂型或规格不适宜", "unsuitable dosage form or spec"),
    "packaging": ("包装不合理", "unreasonable packaging"),
    "batch_number_printing": ("批号印刷不清", "unclear batch-number printing"),
    "quality": ("质量问题", "quality problem"),
    "other": ("其他", "other"),
}

STATUSES: dict[str, tuple[str, str]] = {
    "open": ("待答复", "open"),
    "replied": ("已答复", "replied"),
    "resolved": ("已解决", "resolved"),
    "closed": ("已关闭", "closed"),
    "escalated": ("已上报", "escalated"),
}

#: Statuses in which the supplier still owes something.
UNRESOLVED = ("open", "replied", "escalated")


@dataclass(frozen=True)
class IssueDues:
    """R3 dates of one issue."""

    reply_due: Due
    promise_limit: Due | None  # R2(replied_at, 5); None before a reply
    resolution_due: Due
    resolution_due_provisional: bool  # before a reply, or the calendar is provisional
    promise_exceeds_limit: bool

    @property
    def missing_years(self) -> list[int]:
        years = set(self.reply_due.missing_years) | set(self.resolution_due.missing_years)
        if self.promise_limit:
            years |= set(self.promise_limit.missing_years)
        return sorted(years)


def issue_dues(cal: WorkCalendar, reported_at: datetime, replied_at: datetime | None,
               promised_date: date | None) -> IssueDues:
    """R3: reply due = R2(reported_at, 2); resolution due = promise, else R2(replied_at, 5);
    before any reply R2(reply_due, 5), provisional; a promise beyond R2(replied_at, 5) is flagged."""
    reply_due = cal.due(reported_at, REPLY_WORKING_DAYS)
    if replied_at is None:
        resolution = cal.due(reply_due.date, RESOLUTION_WORKING_DAYS)
        missing = sorted(set(reply_due.missing_years) | set(resolution.missing_years))
        return IssueDues(reply_due, None, Due(resolution.date, True, missing), True, False)
    limit = cal.due(replied_at, RESOLUTION_WORKING_DAYS)
    if promised_date is not None:
        resolution = Due(promised_date, cal.is_provisional(promised_date),
                         [promised_date.year] if cal.is_provisional(promised_date) else [])
    else:
        resolution = limit
    exceeds = promised_date is not None and promised_date > limit.date
    return IssueDues(reply_due, limit, resolution, resolution.provisional, exceeds)


def overdue(dues: IssueDues, status: str, replied_at: datetime | None, resolved_at: datetime | None,
            as_of: date) -> list[str]:
    """R3: what is overdue at the end of ``as_of``: ``reply`` and/or ``resolution``.

    A due date is met until the end of that day; only an unresolved issue is overdue.
    """
    if status not in UNRESOLVED or resolved_at is not None:
        return []
    out = []
    if replied_at is None and as_of > dues.reply_due.date:
        out.append("reply")
    if as_of > dues.resolution_due.date:
        out.append("resolution")
    return out


#: Timeline events that are dated facts of R3 "as of d" (hidden when dated after d). Book-keeping
#: events (linked purchases, notes) carry the time they were entered and are always shown.
DATED_EVENTS = frozenset({"filed", "replied", "resolved", "closed", "escalated", "reported_to_bureau",
                          "bureau_confirmed"})


def end_of(d: date) -> datetime:
    """The first instant after day ``d`` (exclusive bound of "known at the end of d")."""
    return datetime.combine(d + timedelta(days=1), time.min)


def known(at: datetime | None, as_of: date) -> datetime | None:
    """R3 "as of d": a fact recorded with a time after the end of ``as_of`` is not known yet."""
    return at if at is not None and at < end_of(as_of) else None


@dataclass(frozen=True)
class IssueFacts:
    """The dated facts of one issue (its stored state)."""

    status: str
    replied_at: datetime | None = None
    promised_date: date | None = None
    resolved_at: datetime | None = None
    closed_at: datetime | None = None
    escalated_at: datetime | None = None
    insurance_notified_at: datetime | None = None
    bureau_confirmed_at: datetime | None = None


def facts_as_of(facts: IssueFacts, as_of: date) -> IssueFacts:
    """R3: the issue as it stood at the end of ``as_of``.

    A reply (with its promise), resolution, closing, escalation, report to the bureau or
    the bureau's confirmation dated later is not known yet; the state is then derived
    from what is known (closed > resolved > escalated > replied > open, the order the
    state machine allows). When nothing is hidden the stored state is kept as it is.
    """
    replied = known(facts.replied_at, as_of)
    resolved = known(facts.resolved_at, as_of)
    closed = known(facts.closed_at, as_of)
    escalated = known(facts.escalated_at, as_of)
    reported = known(facts.insurance_notified_at, as_of)
    confirmed = known(facts.bureau_confirmed_at, as_of)
    hidden = (replied, resolved, closed, escalated) != (facts.replied_at, facts.resolved_at, facts.closed_at,
                                                         facts.escalated_at)
    if not hidden:
        status = facts.status
    elif closed:
        status = "closed"
    elif resolved:
        status = "resolved"
    elif escalated:
        status = "escalated"
    elif replied:
        status = "replied"
    else:
        status = "open"
    return IssueFacts(status, replied, facts.promised_date if replied else None, resolved, closed, escalated,
                      reported, confirmed)


def late_by(cal: WorkCalendar, due: date, done: datetime | date | None) -> int | None:
    """Working days by which an event missed its due date (None if in time or not done)."""
    if done is None:
        return None
    d = done.date() if isinstance(done, datetime) else done
    return cal.working_days_between(due, d) if d > due else None
