"""R3 supply issues: states, dues derived from the R1/R2 calendar, overdue, promises, bad input."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from sqlalchemy import func, select

from db.models import AuditLog, Company, Product, SupplyIssue, SupplyIssueEvent
from hospital_app.errors import BadInput, Conflict, NotFound
from hospital_app.services import calendar as calendar_service
from hospital_app.services import supply_issues as svc


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


def _counts(session) -> tuple[int, int, int]:
    return (session.scalar(select(func.count()).select_from(SupplyIssue)),
            session.scalar(select(func.count()).select_from(SupplyIssueEvent)),
            session.scalar(select(func.count()).select_from(AuditLog)))


def test_r3_new_issue_dues_before_reply(session, product_id):
    """GIVEN an issue reported Tue 2025-09-30 16:00 WHEN filed THEN reply due = R2(t, 2) = 10-10 and
    resolution due = R2(reply due, 5) = 10-16 (Sat 10-11 is a make-up day), provisional (R3); the filing is an event with who."""
    view = svc.add_issue(session, product_id, "shortage", datetime(2025, 9, 30, 16, 0), who="张药师",
                         as_of=date(2025, 9, 30))
    assert view.status == "open"
    assert view.reply_due == date(2025, 10, 10)
    assert view.resolution_due == date(2025, 10, 16)
    assert view.resolution_due_provisional is True
    assert view.overdue == [] and view.promise_exceeds_limit is False
    assert view.company == "华北制药"
    detail = svc.get_issue(session, view.id, date(2025, 9, 30))
    assert [(e.action, e.who, e.to_status) for e in detail.events] == [("filed", "张药师", "open")]


def test_r3_overdue_reply_then_resolution(session, product_id):
    """GIVEN an unanswered issue (reply due 10-10, resolution 10-16) WHEN viewed on 10-10, 10-11, 10-17
    THEN nothing is overdue on the due day itself, then 'reply', then 'reply' and 'resolution' (R3)."""
    issue_id = svc.add_issue(session, product_id, "late_delivery", datetime(2025, 9, 30, 16, 0)).id

    def overdue(as_of):
        return svc.list_issues(session, as_of)[0].overdue

    assert overdue(date(2025, 10, 10)) == []
    assert overdue(date(2025, 10, 11)) == ["reply"]
    assert overdue(date(2025, 10, 16)) == ["reply"]
    assert overdue(date(2025, 10, 17)) == ["reply", "resolution"]
    assert [v.id for v in svc.list_issues(session, date(2025, 10, 11), overdue_only=True)] == [issue_id]
    assert svc.list_issues(session, date(2025, 10, 10), overdue_only=True) == []


def test_r3_reply_with_promise_within_limit(session, product_id):
    """GIVEN a reply Thu 2025-10-09 11:00 promising 10-14 WHEN viewed THEN resolution due = the promise,
    the limit is R2(replied, 5) = Wed 10-15 and the promise is within it (R3)."""
    issue_id = svc.add_issue(session, product_id, "shortage", datetime(2025, 10, 8, 9, 0)).id
    view = svc.reply(session, issue_id, datetime(2025, 10, 9, 11, 0), promised_date=date(2025, 10, 14),
                     text="已安排调货", as_of=date(2025, 10, 9))
    assert view.status == "replied"
    assert view.promise_limit == date(2025, 10, 15)
    assert view.resolution_due == date(2025, 10, 14)
    assert view.resolution_due_provisional is False
    assert view.promise_exceeds_limit is False


def test_r3_promise_beyond_limit_is_recorded_and_flagged(session, product_id):
    """GIVEN a reply on 2025-10-09 promising 10-20 (beyond 10-15) WHEN recorded THEN kept as resolution due,
    flagged, and reported as an R3 alert."""
    issue_id = svc.add_issue(session, product_id, "shortage", datetime(2025, 10, 8, 9, 0)).id
    view = svc.reply(session, issue_id, datetime(2025, 10, 9, 11, 0), promised_date=date(2025, 10, 20))
    assert view.promised_date == date(2025, 10, 20) and view.resolution_due == date(2025, 10, 20)
    assert view.promise_exceeds_limit is True
    alerts = svc.issue_alerts(session, date(2025, 10, 10))
    assert [(a.rule, a.subject) for a in alerts] == [("R3", f"issue:{issue_id}:promise")]


def test_r3_reply_without_promise_uses_five_working_days(session, product_id):
    """GIVEN a reply Thu 2025-10-09 11:00 without a promise WHEN viewed THEN resolution due = Wed 10-15 (R2/R3)."""
    issue_id = svc.add_issue(session, product_id, "quality", datetime(2025, 10, 8, 9, 0)).id
    view = svc.reply(session, issue_id, datetime(2025, 10, 9, 11, 0))
    assert view.resolution_due == date(2025, 10, 15)
    assert svc.list_issues(session, date(2025, 10, 16))[0].overdue == ["resolution"]


def test_r3_full_life_cycle_keeps_every_change(session, product_id):
    """GIVEN an issue WHEN replied, resolved, closed THEN the states follow R3 and each change is an event."""
    issue_id = svc.add_issue(session, product_id, "packaging", datetime(2025, 6, 9, 10, 0), who="a").id
    svc.reply(session, issue_id, datetime(2025, 6, 10, 9, 0), who="b")
    view = svc.resolve(session, issue_id, datetime(2025, 6, 12, 9, 0), text="已更换包装", who="c")
    assert view.status == "resolved" and view.overdue == []
    view = svc.close(session, issue_id, datetime(2025, 6, 13, 9, 0), who="d")
    assert view.status == "closed"
    events = svc.get_issue(session, issue_id, date(2025, 6, 13)).events
    assert [(e.action, e.from_status, e.to_status, e.who) for e in events] == [
        ("filed", None, "open", "a"), ("replied", "open", "replied", "b"),
        ("resolved", "replied", "resolved", "c"), ("closed", "resolved", "closed", "d")]
    assert svc.list_issues(session, date(2025, 7, 1), open_only=True) == []


def test_r3_escalate_only_when_overdue(session, product_id):
    """GIVEN reply due 2025-10-10 WHEN escalating on 10-10 THEN refused (Conflict); on 10-13 THEN escalated,
    and a late reply afterwards keeps the issue escalated but stops the reply being overdue."""
    issue_id = svc.add_issue(session, product_id, "shortage", datetime(2025, 9, 30, 16, 0)).id
    with pytest.raises(Conflict):
        svc.escalate(session, issue_id, datetime(2025, 10, 10, 17, 0))
    view = svc.escalate(session, issue_id, datetime(2025, 10, 13, 9, 0), who="张药师")
    assert view.status == "escalated" and view.escalated_at == datetime(2025, 10, 13, 9, 0)
    with pytest.raises(Conflict):
        svc.escalate(session, issue_id, datetime(2025, 10, 14, 9, 0))
    view = svc.reply(session, issue_id, datetime(2025, 10, 14, 9, 0), as_of=date(2025, 10, 14))
    assert view.status == "escalated" and view.overdue == []
    assert view.reply_late_by == 3  # Sat 10-11 (make-up day), 10-13, 10-14


def test_r1_calendar_correction_moves_open_issue_dues(session, product_id):
    """GIVEN an open issue with reply due Fri 2025-10-10 WHEN the user marks 10-10 a holiday (R1)
    THEN the reply due moves to Sat 10-11 (make-up day) and the resolution due follows: 10-16 → 10-17 (R3)."""
    issue_id = svc.add_issue(session, product_id, "shortage", datetime(2025, 9, 30, 16, 0)).id
    before = svc.get_issue(session, issue_id, date(2025, 10, 1)).issue
    assert (before.reply_due, before.resolution_due) == (date(2025, 10, 10), date(2025, 10, 16))
    calendar_service.set_day(session, date(2025, 10, 10), False, "院内调休", who="admin")
    after = svc.get_issue(session, issue_id, date(2025, 10, 1)).issue
    assert after.reply_due == date(2025, 10, 11)
    assert after.resolution_due == date(2025, 10, 17)  # 13, 14, 15, 16, 17
    calendar_service.set_day(session, date(2025, 10, 13), False, None, who="admin")
    assert svc.get_issue(session, issue_id, date(2025, 10, 1)).issue.resolution_due == date(2025, 10, 20)


def test_r1_issue_dues_in_uncovered_year_are_provisional(session, product_id):
    """GIVEN an issue reported 2026-12-30 WHEN its dues cross into 2027 THEN they name 2027 as provisional (R1)."""
    issue_id = svc.add_issue(session, product_id, "shortage", datetime(2026, 12, 30, 10, 0)).id
    view = svc.reply(session, issue_id, datetime(2026, 12, 31, 10, 0))
    assert view.promise_limit == date(2027, 1, 7)  # 01-01 Fri by Mon–Fri rule, 04, 05, 06, 07
    assert view.resolution_due_provisional is True and view.missing_years == [2027]


@pytest.mark.parametrize(("call", "error"), [
    (lambda s, pid: svc.add_issue(s, pid, "bogus", datetime(2025, 6, 9, 10)), BadInput),
    (lambda s, pid: svc.add_issue(s, 999, "shortage", datetime(2025, 6, 9, 10)), NotFound),
    (lambda s, pid: svc.reply(s, 999, datetime(2025, 6, 9, 10)), NotFound),
])
def test_r3_bad_input_writes_nothing(session, product_id, call, error):
    """GIVEN an unknown type, product or issue WHEN called THEN BadInput/NotFound and nothing is written."""
    before = _counts(session)
    with pytest.raises(error):
        call(session, product_id)
    assert _counts(session) == before


def test_r3_reply_before_report_and_reply_to_resolved_are_refused(session, product_id):
    """GIVEN an issue reported 2025-06-09 10:00 WHEN a reply is dated earlier THEN BadInput (exit 3);
    WHEN replying to a resolved issue THEN Conflict (exit 4); nothing is written either time."""
    issue_id = svc.add_issue(session, product_id, "shortage", datetime(2025, 6, 9, 10, 0)).id
    before = _counts(session)
    with pytest.raises(BadInput):
        svc.reply(session, issue_id, datetime(2025, 6, 9, 9, 59))
    with pytest.raises(BadInput):
        svc.reply(session, issue_id, datetime(2025, 6, 10, 9, 0), promised_date=date(2025, 6, 9))
    assert _counts(session) == before
    svc.resolve(session, issue_id, datetime(2025, 6, 10, 9, 0))
    before = _counts(session)
    with pytest.raises(Conflict):
        svc.reply(session, issue_id, datetime(2025, 6, 11, 9, 0))
    with pytest.raises(Conflict):
        svc.resolve(session, issue_id, datetime(2025, 6, 11, 9, 0))
    assert _counts(session) == before
    assert session.get(SupplyIssue, issue_id).status == "resolved"


def test_r3_close_unresolved_needs_a_reason(session, product_id):
    """GIVEN an open issue WHEN closed without a reason THEN Conflict; with a reason THEN closed (withdrawn)."""
    issue_id = svc.add_issue(session, product_id, "other", datetime(2025, 6, 9, 10, 0)).id
    with pytest.raises(Conflict):
        svc.close(session, issue_id, datetime(2025, 6, 9, 11, 0))
    assert svc.close(session, issue_id, datetime(2025, 6, 9, 11, 0), text="误报").status == "closed"


def test_r3_distributor_named_in_complaint(session, product_id):
    """GIVEN a distributor's name WHEN filing THEN the issue names the manufacturer and that distributor."""
    session.add(Company(name="国药控股", is_distributor=True))
    session.flush()
    view = svc.add_issue(session, product_id, "late_delivery", datetime(2025, 6, 9, 10), company="国药控股")
    full = view.as_dict(full=True)
    assert (full["company"], full["distributor"]) == ("华北制药", "国药控股")
    assert list(view.as_dict()) == list(svc.JSON_KEYS)


def test_r3_alerts_for_overdue_issue(session, product_id):
    """GIVEN an unanswered issue past both dues WHEN collecting alerts THEN an R3 reply and resolution alert,
    each since the day after its due date."""
    issue_id = svc.add_issue(session, product_id, "shortage", datetime(2025, 9, 30, 16, 0)).id
    alerts = {a.subject: a for a in svc.issue_alerts(session, date(2025, 10, 20))}
    assert alerts[f"issue:{issue_id}:reply"].since == date(2025, 10, 11)
    assert alerts[f"issue:{issue_id}:resolution"].since == date(2025, 10, 17)
    assert alerts[f"issue:{issue_id}:resolution"].severity == "serious"


def test_r3_issue_against_a_non_selected_product_is_refused_and_nothing_written(session):
    """R3: an issue is filed against a selected product's manufacturer/distributor; a non-selected
    product is bad input (exit 3) and nothing is written."""
    from datetime import datetime

    import pytest
    from sqlalchemy import func, select

    from db.models import Product, SupplyIssue
    from hospital_app.errors import BadInput
    from hospital_app.services.supply_issues import add_issue

    p = Product(generic_name="阿托伐他汀钙片", generic_name_norm="阿托伐他汀钙片", selected=False,
                category="nonselected")
    session.add(p)
    session.flush()
    with pytest.raises(BadInput, match="不是中选产品"):
        add_issue(session, p.id, "shortage", datetime(2025, 6, 9, 10))
    assert session.scalar(select(func.count()).select_from(SupplyIssue)) == 0


def test_r3_an_issue_reported_after_the_as_of_day_is_not_listed_yet(session):
    """GIVEN an issue reported 2025-10-09 11:00 WHEN listing as of 10-08 THEN it is not there yet;
    as of 10-09 it is (the as-of day counts whole)."""
    from datetime import date, datetime

    from db.models import Product
    from hospital_app.services.supply_issues import add_issue, issue_alerts, list_issues

    p = Product(generic_name="阿托伐他汀钙片", generic_name_norm="阿托伐他汀钙片", selected=True, category="selected")
    session.add(p)
    session.flush()
    add_issue(session, p.id, "shortage", datetime(2025, 10, 9, 11, 0))
    assert list_issues(session, date(2025, 10, 8)) == []
    assert issue_alerts(session, date(2025, 10, 8)) == []
    [view] = list_issues(session, date(2025, 10, 9))
    assert view.as_dict()["reply_due"] == date(2025, 10, 11)  # Sat 10-11 is a make-up working day
