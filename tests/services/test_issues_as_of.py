"""R3 v2 "as of d": an issue is in the state it had at the end of d; reports to the bureau and the
bureau's confirmation (核实) are recorded with their times, events and audit rows.

Calendar facts used (2025, official schedule): Mon 06-09 .. Fri 06-13 and Mon 06-16 .. are working days;
Dragon Boat Festival 2025-05-31..06-02 is before these dates.
"""

from __future__ import annotations

from datetime import date, datetime

import pytest
from sqlalchemy import select

from db.models import AuditLog, Company, Product
from hospital_app.errors import BadInput, Conflict
from hospital_app.services import supply_issues as svc
from hospital_app.services.alerts import collect_alerts


@pytest.fixture
def product_id(session) -> int:
    maker = Company(name="华北制药", is_manufacturer=True)
    session.add(maker)
    session.flush()
    p = Product(generic_name="阿莫西林胶囊", generic_name_norm="阿莫西林胶囊", spec="0.25g",
                manufacturer_id=maker.id, selected=True, category="selected")
    session.add(p)
    session.flush()
    return p.id


@pytest.fixture
def resolved_07_01(session, product_id) -> int:
    """An issue reported Mon 2025-06-09 10:00 (reply due R2(t, 2) = Wed 06-11, resolution due before a
    reply R2(06-11, 5) = Wed 06-18), replied Fri 2025-06-20 09:00 without a promise, resolved 2025-07-01."""
    issue_id = svc.add_issue(session, product_id, "shortage", datetime(2025, 6, 9, 10, 0)).id
    svc.reply(session, issue_id, datetime(2025, 6, 20, 9, 0), text="调货中")
    svc.resolve(session, issue_id, datetime(2025, 7, 1, 15, 0), text="已到货")
    return issue_id


def test_r3_as_of_issue_resolved_later_is_open_and_overdue(session, resolved_07_01):
    """GIVEN an issue resolved on 07-01 WHEN listed as of 06-19 THEN it is open (the 06-20 reply is not known
    yet), reply and resolution overdue (due 06-11 and 06-18), and its resolution is not shown (R3)."""
    v = svc.list_issues(session, date(2025, 6, 19))[0]
    assert v.status == "open"
    assert v.replied_at is None and v.reply_text is None and v.resolved_at is None and v.resolution_text is None
    assert v.reply_due == date(2025, 6, 11) and v.resolution_due == date(2025, 6, 18)
    assert v.overdue == ["reply", "resolution"]
    assert v.can_escalate is True
    assert [x.id for x in svc.list_issues(session, date(2025, 6, 19), open_only=True)] == [resolved_07_01]


def test_r3_as_of_reply_known_resolution_not_yet(session, resolved_07_01):
    """GIVEN the same issue WHEN as of 06-20 (the reply day) THEN it is replied; resolution due is
    R2(replied 06-20, 5) = Fri 06-27, so nothing is overdue on 06-20, the reply itself came 7 working days
    late (06-12,13,16,17,18,19,20), and as of 06-30 the resolution is overdue (R3)."""
    v = svc.list_issues(session, date(2025, 6, 20))[0]
    assert v.status == "replied"
    assert v.replied_at == datetime(2025, 6, 20, 9, 0) and v.reply_text == "调货中"
    assert v.resolution_due == date(2025, 6, 27) and v.resolution_due_provisional is False
    assert v.overdue == []
    assert v.reply_late_by == 7
    later = svc.list_issues(session, date(2025, 6, 30))[0]
    assert later.status == "replied" and later.overdue == ["resolution"]


def test_r3_as_of_after_resolution_is_resolved(session, resolved_07_01):
    """GIVEN the same issue WHEN as of 07-01 THEN it is resolved, nothing is overdue, it is no longer
    open, and the resolution came 2 working days late (06-30, 07-01) (R3)."""
    v = svc.list_issues(session, date(2025, 7, 1))[0]
    assert v.status == "resolved" and v.overdue == [] and v.resolution_late_by == 2
    assert svc.list_issues(session, date(2025, 7, 1), open_only=True) == []


def test_r3_as_of_timeline_and_alerts(session, resolved_07_01):
    """GIVEN the same issue WHEN its detail and the alerts are read as of 06-19 THEN the timeline holds
    only the filing, and the alerts include its overdue reply and overdue resolution; as of 07-02 no R3
    alert remains (R3: alerts and documents use the same as-of state)."""
    detail = svc.get_issue(session, resolved_07_01, date(2025, 6, 19))
    assert [e.action for e in detail.events] == ["filed"]
    subjects = {a.subject for a in collect_alerts(session, date(2025, 6, 19)) if a.rule == "R3"}
    assert subjects == {f"issue:{resolved_07_01}:reply", f"issue:{resolved_07_01}:resolution"}
    assert [a for a in collect_alerts(session, date(2025, 7, 2)) if a.rule == "R3"] == []


def test_r3_as_of_escalation_and_closing_not_known_yet(session, product_id):
    """GIVEN an issue reported 06-09 10:00, escalated 06-12 (reply overdue after 06-11) and closed with a
    reason on 06-20 WHEN as of 06-11, 06-12 and 06-20 THEN open, escalated, closed (R3)."""
    issue_id = svc.add_issue(session, product_id, "late_delivery", datetime(2025, 6, 9, 10, 0)).id
    svc.escalate(session, issue_id, datetime(2025, 6, 12, 9, 0))
    svc.close(session, issue_id, datetime(2025, 6, 20, 9, 0), text="误报")
    states = [svc.list_issues(session, d)[0].status for d in (date(2025, 6, 11), date(2025, 6, 12),
                                                               date(2025, 6, 20))]
    assert states == ["open", "escalated", "closed"]


def test_r3_report_and_confirm_recorded_with_events_audit_and_as_of(session, product_id):
    """GIVEN an issue reported 06-09 WHEN reported to the bureau on 06-10 and confirmed on 06-16 THEN the
    dates, recipient and reference are stored, each is a timeline event with an audit row, and as of 06-10
    the confirmation is not known yet while as of 06-09 neither is (R3)."""
    issue_id = svc.add_issue(session, product_id, "shortage", datetime(2025, 6, 9, 10, 0)).id
    svc.report_to_bureau(session, issue_id, datetime(2025, 6, 10, 14, 0), to="吉林市医疗保障局", who="张药师")
    svc.confirm_by_bureau(session, issue_id, datetime(2025, 6, 16, 9, 30), ref="吉医保核〔2025〕12号",
                          who="张药师")
    full = svc.get_issue(session, issue_id, date(2025, 6, 16))
    assert full.issue.bureau_reported_at == datetime(2025, 6, 10, 14, 0)
    assert full.issue.bureau_report_to == "吉林市医疗保障局"
    assert full.issue.bureau_confirmed_at == datetime(2025, 6, 16, 9, 30)
    assert full.issue.bureau_confirm_ref == "吉医保核〔2025〕12号"
    assert full.issue.status == "open"  # the supplier still owes the reply
    assert [e.action for e in full.events] == ["filed", "reported_to_bureau", "bureau_confirmed"]
    actions = session.scalars(select(AuditLog.action).where(AuditLog.entity == "supply_issue")).all()
    assert "issue.reported_to_bureau" in actions and "issue.bureau_confirmed" in actions
    mid = svc.list_issues(session, date(2025, 6, 10))[0]
    assert mid.bureau_reported_at is not None and mid.bureau_confirmed_at is None and mid.bureau_confirm_ref is None
    assert svc.list_issues(session, date(2025, 6, 9))[0].bureau_reported_at is None


def test_r3_confirm_refused_before_report_and_twice(session, product_id):
    """GIVEN an issue not yet reported to the bureau WHEN a confirmation is recorded THEN it is refused
    (Conflict, exit 4); a report before the filing time is bad input; a second report is refused (R3)."""
    issue_id = svc.add_issue(session, product_id, "shortage", datetime(2025, 6, 9, 10, 0)).id
    with pytest.raises(Conflict):
        svc.confirm_by_bureau(session, issue_id, datetime(2025, 6, 16, 9, 0))
    with pytest.raises(BadInput):
        svc.report_to_bureau(session, issue_id, datetime(2025, 6, 8, 9, 0))
    svc.report_to_bureau(session, issue_id, datetime(2025, 6, 10, 9, 0))
    with pytest.raises(Conflict):
        svc.report_to_bureau(session, issue_id, datetime(2025, 6, 11, 9, 0))
    with pytest.raises(BadInput):
        svc.confirm_by_bureau(session, issue_id, datetime(2025, 6, 9, 12, 0))
