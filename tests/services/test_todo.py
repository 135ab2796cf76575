"""今日待办 as a core service (issue 20): actions grouped by what to do, state-aware (R3, R5, R8,
R12, R13, R17), no rule ids in any text."""

from __future__ import annotations

import re
from datetime import date, datetime

import pytest

from hospital_app.domain.findings import Alert
from hospital_app.services import supply_issues as si
from hospital_app.services import todo

AS_OF = date(2025, 6, 20)


@pytest.fixture
def product_id(session):
    from db import models as m

    maker = m.Company(name="华北制药", is_manufacturer=True)
    session.add(maker)
    session.flush()
    p = m.Product(code="T001", generic_name="阿莫西林胶囊", generic_name_norm="阿莫西林胶囊", spec="0.25g",
                  spec_norm="0.25g", units_per_pack=24, base_unit="粒", pack_unit="盒",
                  manufacturer_id=maker.id, selected=True, category="selected")
    session.add(p)
    session.flush()
    return p.id


def _issue(session, product_id, reported, replied=None, promised=None, escalated=None):
    v = si.add_issue(session, product_id, "shortage", reported, company="华北制药", as_of=AS_OF)
    if replied:
        si.reply(session, v.id, replied, promised, "已安排", as_of=AS_OF)
    if escalated:
        si.escalate(session, v.id, escalated, "上报", as_of=AS_OF)
    return v.id


def _by_group(groups):
    return {g.key: g for g in groups}


def test_r3_issue_items_are_state_aware(session, product_id):
    """R3 + R2 worked example (Mon 2025-06-09 10:00, 2 working days → Wed 06-11).
    GIVEN on 2025-06-20: A never answered; B answered and already escalated; C answered late
    (06-12, no promise → resolution due R2(06-12, 5) = Thu 06-19); D answered 06-17 promising
    06-30, beyond the limit R2(06-17, 5) = Tue 06-24
    WHEN the to-do list is built
    THEN A is "答复催办" (due 06-11) and "逾期上报" (provisional due R2(06-11, 5) = 06-18);
    B appears nowhere (no second escalation); C is only "逾期上报" due 06-19 (no overdue reply
    once replied); D is "问题跟进" due 06-24."""
    a = _issue(session, product_id, datetime(2025, 6, 9, 10))
    b = _issue(session, product_id, datetime(2025, 6, 9, 10), datetime(2025, 6, 10, 10), date(2025, 6, 13),
               escalated=datetime(2025, 6, 16, 9))
    c = _issue(session, product_id, datetime(2025, 6, 9, 10), datetime(2025, 6, 12, 10))
    d = _issue(session, product_id, datetime(2025, 6, 16, 10), datetime(2025, 6, 17, 10), date(2025, 6, 30))

    items = todo.issue_items(si.list_issues(session, AS_OF, open_only=True), AS_OF)
    got = sorted((i.group, i.issue_id, i.due, i.action) for i in items)

    assert got == sorted([
        ("chase_reply", a, date(2025, 6, 11), todo.OPEN_ISSUE),
        ("escalate", a, date(2025, 6, 18), todo.PRINT_ESCALATION),
        ("escalate", c, date(2025, 6, 19), todo.PRINT_ESCALATION),
        ("follow_up", d, date(2025, 6, 24), todo.OPEN_ISSUE),
    ])
    assert all(i.issue_id != b for i in items)
    chase = next(i for i in items if i.group == "chase_reply")
    assert chase.overdue_days == 9  # 06-11 → 06-20


def _alert(rule, product_id, subject, since=None, severity="warning", message="消息"):
    return Alert(rule, severity, message, product_id, since, subject, "做点什么")


def test_findings_become_one_action_per_product():
    """R8/R12/R5/R9: GIVEN product 1 behind with empty months, product 2 with two clustered months,
    a distributor's overdue payments (first due 2025-05-31, so the finding is dated 06-01) and a share
    finding for product 3 WHEN turned into actions THEN product 1 is one "补足采购" item due at the month
    end (no separate "均衡采购"), product 2 one "均衡采购" item naming both months, the payment an
    "付款" item due 05-31 that opens the payments page, product 3 a "控制非中选采购" item."""
    alerts = [
        _alert("R8", 1, "period:7:behind", date(2025, 3, 1)),
        _alert("R12", 1, "period:7:empty_months", date(2025, 4, 1)),
        _alert("R12", 2, "month:2025-03:clustered", date(2025, 3, 1), message="2025-03 扎堆"),
        _alert("R12", 2, "month:2025-05:clustered", date(2025, 5, 1), message="2025-05 扎堆"),
        _alert("R5", None, "payments:国药控股", date(2025, 6, 1)),
        _alert("R9", 3, "generic:x:2025-03-01:2026-02-28", severity="serious"),
        _alert("R3", 1, "issue:4:reply"),  # comes from the issues themselves, not from the finding
    ]
    items = todo.alert_items(alerts, AS_OF)
    got = sorted((i.group, i.product_id, i.due, i.action, i.page) for i in items)
    assert got == sorted([
        ("make_up", 1, date(2025, 6, 30), todo.OPEN_PRODUCT, None),
        ("spread", 2, None, todo.OPEN_PRODUCT, None),
        ("payments", None, date(2025, 5, 31), todo.OPEN_PAGE, "payments"),
        ("curb_nonselected", 3, None, todo.OPEN_PRODUCT, None),
    ], key=str)
    spread = next(i for i in items if i.group == "spread")
    assert "2025-03" in spread.text and "2025-05" in spread.text


def test_r17_suspension_is_a_todo_until_reported_to_everyone(session, product_id):
    """R17: GIVEN a product suspended on 2025-06-02 and reported to the manufacturer only
    THEN one "质量停用" item naming the two authorities still to inform; once all three are
    recorded, none."""
    from db import models as m

    p = session.get(m.Product, product_id)
    p.suspended_on, p.suspension_reason, p.suspension_reported_to = date(2025, 6, 2), "不良反应", ["manufacturer"]
    session.flush()
    items = todo.quality_items(session, AS_OF)
    assert [(i.group, i.product_id, i.due) for i in items] == [("quality", product_id, date(2025, 6, 2))]
    assert "卫生健康部门" in items[0].text and "药监部门" in items[0].text and "生产企业" not in items[0].text

    p.suspension_reported_to = ["manufacturer", "health_authority", "drug_authority"]
    session.flush()
    assert todo.quality_items(session, AS_OF) == []


def test_groups_are_ordered_counted_and_free_of_rule_ids(session, product_id):
    """Issue 20: GIVEN issue A (overdue reply and resolution) and a behind product WHEN the whole list
    is built THEN the groups come in the fixed order (答复催办, 逾期上报, 补足采购) with counts 1, 1, 1 and
    the earliest due per group; no title, hint or text carries a rule id such as "R3"."""
    _issue(session, product_id, datetime(2025, 6, 9, 10))
    alerts = [_alert("R8", product_id, "period:1:behind", date(2025, 3, 1), message="阿莫西林胶囊 完成进度偏低")]
    groups = todo.todo_list(session, AS_OF, alerts=alerts)
    assert [(g.key, g.title, g.count, g.due) for g in groups] == [
        ("chase_reply", "答复催办", 1, date(2025, 6, 11)),
        ("escalate", "逾期上报", 1, date(2025, 6, 18)),
        ("make_up", "补足采购", 1, date(2025, 6, 30)),
    ]
    words = [g.title for g in groups] + [g.hint for g in groups] + [i.text for g in groups for i in g.items]
    assert not [w for w in words if re.search(r"\bR\d{1,2}\b", w)]


def test_an_issue_reported_after_as_of_is_not_a_todo(session, product_id):
    """R3 "as of d": GIVEN an issue filed on 2025-06-23 THEN the list of 2025-06-20 has no item for it."""
    _issue(session, product_id, datetime(2025, 6, 23, 9))
    assert todo.issue_items(si.list_issues(session, AS_OF, open_only=True), AS_OF) == []
