"""Supply issues page (R1–R3) driven through its real widgets.

The worker is synchronous (tests/ui/conftest.py), so a click's effect is visible at
once. Worked examples are DOMAIN.md's R2 table.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import pytest
from PySide6.QtCore import QDate, QDateTime, QTime, Qt
from PySide6.QtWidgets import QDialogButtonBox

from ui.widgets import common


@pytest.fixture
def page(make_page, ctx):
    """The issues page "today" 2025-10-20, so that DOMAIN's R2 examples (reported 2025-09-30 …)
    are in the past: an issue reported after the as-of day is not listed yet."""
    from ui.pages.issues import IssuesPage

    ctx.as_of = date(2025, 10, 20)
    return make_page(IssuesPage, 1200, 700)


def _qdt(value: datetime) -> QDateTime:
    return QDateTime(QDate(value.year, value.month, value.day), QTime(value.hour, value.minute))


def _selected_product(ctx) -> int:
    from hospital_app.services.lookups import search_products

    with ctx.db.session() as s:
        return next(p.id for p in search_products(s, "", limit=50) if p.selected)


def _file(page, ctx, reported: datetime, type_code: str = "shortage", description: str = "缺货") -> int:
    """File an issue through the dialog; returns the new issue's id."""
    product_id = _selected_product(ctx)
    dialog = page.new_issue()
    assert dialog.select_product(product_id)
    dialog.type.setCurrentIndex(dialog.type.findData(type_code))
    dialog.description.setPlainText(description)
    dialog.reported_at.setDateTime(_qdt(reported))
    dialog.buttons.button(QDialogButtonBox.StandardButton.Ok).click()
    assert page.detail is not None
    return page.detail.issue.id


def _cell(page, issue_id: int, column: int) -> str:
    row = page.row_of(issue_id)
    assert row is not None
    return page.proxy.index(row, column).data()


def test_filing_an_issue_shows_the_R2_reply_due(page, ctx):
    """GIVEN the issues page
    WHEN an issue reported Tue 2025-09-30 16:00 is filed through the dialog
    THEN the list shows reply due Fri 2025-10-10 (R2, National Day) and a provisional resolution due."""
    issue_id = _file(page, ctx, datetime(2025, 9, 30, 16, 0))
    assert _cell(page, issue_id, page.COL_REPLY_DUE) == "2025-10-10"
    assert "暂定" in _cell(page, issue_id, page.COL_RESOLUTION_DUE)
    assert page.detail.issue.status == "open"
    assert [e.action for e in page.detail.events] == ["filed"]


def test_new_issue_dialog_needs_a_product_and_defaults_to_now(page, ctx):
    """GIVEN the new-issue dialog WHEN no product is chosen THEN 登记 is disabled;
    the reported time defaults to now on the app's as-of day."""
    dialog = page.new_issue()
    dialog.search.setText("不存在的药品名称XYZ")
    assert dialog.products.count() == 0
    assert not dialog.buttons.button(QDialogButtonBox.StandardButton.Ok).isEnabled()
    assert dialog.values()["reported_at"].date() == ctx.as_of
    dialog.reject()


def test_product_search_filters_the_picker(page, ctx):
    """GIVEN products in the database WHEN the pharmacist types part of a generic name
    THEN only matching products remain in the picker."""
    from hospital_app.services.lookups import search_products

    with ctx.db.session() as s:
        name = search_products(s, "", limit=1)[0].generic_name
    dialog = page.new_issue()
    dialog.search.setText(name[:2])
    labels = [dialog.products.item(i).text() for i in range(dialog.products.count())]
    assert labels and all(name[:2] in label for label in labels)
    dialog.reject()


def test_linking_purchases_when_filing(page, ctx):
    """GIVEN a product with purchases WHEN one is ticked in the dialog (R11 link)
    THEN the timeline records the link."""
    from hospital_app.services.lookups import recent_purchases, search_products

    with ctx.db.session() as s:
        product_id = next(p.id for p in search_products(s, "", limit=50)
                          if p.selected and recent_purchases(s, [p.id], limit=1))
    dialog = page.new_issue()
    assert dialog.select_product(product_id)
    assert dialog.purchases.count() > 0
    dialog.purchases.item(0).setCheckState(Qt.CheckState.Checked)
    dialog.reported_at.setDateTime(_qdt(datetime(2025, 9, 1, 9, 0)))
    dialog.buttons.button(QDialogButtonBox.StandardButton.Ok).click()
    assert [e.action for e in page.detail.events] == ["filed", "linked"]
    assert len(page.detail.purchase_ids) == 1


def test_reply_past_the_five_day_limit_warns_and_is_flagged(page, ctx):
    """GIVEN an open issue
    WHEN the supplier replies Thu 2025-10-09 11:00 promising 2025-10-20
    THEN the dialog shows the limit Wed 2025-10-15 (R2: Sat 10-11 works) and a red warning,
    AND after saving the issue is flagged as promising beyond 5 working days (R3)."""
    issue_id = _file(page, ctx, datetime(2025, 10, 9, 9, 0))
    dialog = page.reply_selected()
    dialog.replied_at.setDateTime(_qdt(datetime(2025, 10, 9, 11, 0)))
    assert dialog.limit == date(2025, 10, 15)
    assert "2025-10-15" in dialog.limit_label.text()
    dialog.has_promise.setChecked(True)
    dialog.promised.setDate(QDate(2025, 10, 20))
    assert dialog.exceeds_limit() and dialog.warning.isVisibleTo(dialog)
    dialog.accept()
    v = page.detail.issue
    assert v.status == "replied" and v.promise_exceeds_limit
    assert "承诺超过5个工作日" in _cell(page, issue_id, page.COL_FLAGS)
    assert "超过5个工作日期限" in page.fields["promise"].text()


def test_reply_within_the_limit_has_no_warning(page, ctx):
    """GIVEN an open issue WHEN the promise is the last allowed day (2025-10-15)
    THEN no warning, and the resolution due becomes the promise, no longer provisional (R3)."""
    issue_id = _file(page, ctx, datetime(2025, 10, 9, 9, 0))
    dialog = page.reply_selected()
    dialog.replied_at.setDateTime(_qdt(datetime(2025, 10, 9, 11, 0)))
    dialog.has_promise.setChecked(True)
    dialog.promised.setDate(QDate(2025, 10, 15))
    assert not dialog.exceeds_limit() and not dialog.warning.isVisibleTo(dialog)
    dialog.accept()
    assert page.detail.issue.promise_exceeds_limit is False
    assert _cell(page, issue_id, page.COL_RESOLUTION_DUE) == "2025-10-15"


def test_resolving_an_issue_through_the_buttons(page, ctx, qtbot):
    """GIVEN a replied issue WHEN 登记解决 is clicked and the dialog accepted
    THEN it is resolved, the timeline has filed → replied → resolved, and reply is disabled."""
    _file(page, ctx, datetime(2025, 9, 8, 9, 0))
    page.reply_selected().accept()
    qtbot.mouseClick(page.resolve_button, Qt.MouseButton.LeftButton)
    dialog = page.dialog
    dialog.text.setPlainText("已到货 2000 片")
    dialog.accept()
    assert page.detail.issue.status == "resolved"
    assert [e.action for e in page.detail.events] == ["filed", "replied", "resolved"]
    assert page.timeline.topLevelItemCount() == 3
    assert not page.reply_button.isEnabled() and not page.resolve_button.isEnabled()
    assert page.close_button.isEnabled()


def test_closing_an_unresolved_issue_needs_a_reason(page, ctx):
    """GIVEN an open issue WHEN 关闭 is chosen THEN OK stays disabled until a reason is typed (R3)."""
    _file(page, ctx, datetime(2025, 9, 8, 9, 0))
    dialog = page.act_on_selected("close")
    ok = dialog.buttons.button(QDialogButtonBox.StandardButton.Ok)
    assert not ok.isEnabled()
    dialog.text.setPlainText("误报，撤回")
    assert ok.isEnabled()
    ok.click()
    assert page.detail.issue.status == "closed"


def test_overdue_issue_is_red_and_can_be_escalated_and_printed(page, ctx, opened, monkeypatch):
    """GIVEN an issue reported 2025-08-20 with no reply (reply due 08-22, as-of 09-15)
    THEN its row is red and 上报 is enabled;
    WHEN it is escalated and the letter printed
    THEN the status is escalated and a PDF that exists was opened (R3)."""
    from ui.pages.issues import OVERDUE_COLOUR

    issue_id = _file(page, ctx, datetime(2025, 8, 20, 9, 0))
    row = page.row_of(issue_id)
    colour = page.proxy.index(row, 1).data(Qt.ItemDataRole.ForegroundRole).color()
    assert colour == OVERDUE_COLOUR
    assert "答复逾期" in _cell(page, issue_id, page.COL_FLAGS)
    assert page.escalate_button.isEnabled()
    monkeypatch.setattr(common, "ask", lambda *a: True)
    dialog = page.act_on_selected("escalate")
    dialog.accept()
    assert page.detail.issue.status == "escalated"
    assert len(opened) == 1 and opened[0].endswith(".pdf")
    from pathlib import Path

    assert Path(opened[0]).stat().st_size > 1000
    assert Path(opened[0]).read_bytes()[:4] == b"%PDF"


def test_escalation_is_disabled_before_any_due_date_passes(page, ctx):
    """GIVEN an issue reported on the as-of day WHEN it is shown THEN 上报 and the letter are disabled (R3)."""
    _file(page, ctx, datetime.combine(ctx.as_of, time(9, 0)))
    assert not page.escalate_button.isEnabled()
    assert not page.escalation_button.isEnabled()
    assert page.complaint_button.isEnabled()


def test_print_complaint_writes_and_opens_a_pdf(page, ctx, opened):
    """GIVEN a filed issue WHEN 打印反馈单 is clicked THEN a PDF is written and opened (stubbed)."""
    from pathlib import Path

    _file(page, ctx, datetime(2025, 9, 10, 9, 0))
    page.complaint_button.click()
    assert len(opened) == 1
    assert Path(opened[0]).exists() and Path(opened[0]).read_bytes()[:4] == b"%PDF"
    assert page.last_document == opened[0]


def test_overdue_filter_and_text_filter(page, ctx):
    """GIVEN one overdue and one fresh issue WHEN 只看逾期 is ticked THEN only the overdue one is listed;
    the text filter narrows by type label."""
    late = _file(page, ctx, datetime(2025, 8, 20, 9, 0), type_code="quality")
    fresh = _file(page, ctx, datetime.combine(ctx.as_of, time(9, 0)), type_code="packaging")
    page.overdue_only.setChecked(True)
    assert page.row_of(late) is not None and page.row_of(fresh) is None
    page.overdue_only.setChecked(False)
    page.filter.setText("包装不合理")
    assert page.row_of(fresh) is not None and page.row_of(late) is None


def test_calendar_correction_moves_an_open_issue_due(page, ctx):
    """GIVEN an issue reported Mon 2025-06-09 10:00 (reply due Wed 06-11, R2)
    WHEN the user marks Tue 2025-06-10 as a holiday (R1 correction wins)
    THEN the page shows reply due Thu 06-12 after refreshing on the calendar event."""
    from hospital_app.services.calendar import set_day

    issue_id = _file(page, ctx, datetime(2025, 6, 9, 10, 0))
    assert _cell(page, issue_id, page.COL_REPLY_DUE) == "2025-06-11"
    ctx.change(lambda s: set_day(s, date(2025, 6, 10), False, "停电"), topics=("calendar",))
    assert _cell(page, issue_id, page.COL_REPLY_DUE) == "2025-06-12"


def test_select_issue_from_elsewhere(page, ctx):
    """GIVEN several issues WHEN select_issue(id) is called (dashboard link) THEN that issue's detail shows."""
    first = _file(page, ctx, datetime(2025, 9, 1, 9, 0))
    _file(page, ctx, datetime(2025, 9, 2, 9, 0))
    assert page.select_issue(first)
    assert page.detail.issue.id == first
    assert page.heading.text().startswith(f"#{first}")


def test_new_issue_cannot_be_reported_after_the_as_of_day(page, ctx):
    """GIVEN the new-issue dialog WHEN a time after the as-of day is typed THEN it is held at the
    end of the as-of day (an issue reported later would not be listed as of today)."""
    page.new_issue()
    dialog = page.dialog
    dialog.reported_at.setDateTime(_qdt(datetime.combine(ctx.as_of, time(9, 0)) + timedelta(days=3)))
    assert dialog.values()["reported_at"] <= datetime.combine(ctx.as_of, time(23, 59))
    dialog.reject()


def test_reply_dialog_defaults_to_no_promise(page, ctx):
    """GIVEN an open issue WHEN the reply dialog opens for a reply Thu 2025-10-09 11:00 and is saved untouched
    THEN no promise is recorded (not "today"), so the resolution is due R2(replied, 5) = Wed 2025-10-15 (R3);
    ticking the box proposes that limit."""
    issue_id = _file(page, ctx, datetime(2025, 10, 9, 9, 0))
    dialog = page.reply_selected()
    dialog.replied_at.setDateTime(_qdt(datetime(2025, 10, 9, 11, 0)))
    assert not dialog.has_promise.isChecked() and dialog.values()["promised_date"] is None
    dialog.has_promise.setChecked(True)
    assert dialog.values()["promised_date"] == date(2025, 10, 15)
    dialog.has_promise.setChecked(False)
    dialog.accept()
    v = page.detail.issue
    assert v.promised_date is None and v.resolution_due == date(2025, 10, 15)
    assert _cell(page, issue_id, page.COL_RESOLUTION_DUE) == "2025-10-15"


def test_report_to_bureau_and_confirm_through_the_buttons(page, ctx):
    """GIVEN an issue filed 2025-10-09 WHEN 上报医保局 is recorded on 10-10 (to 市医保局) and 医保局核实 on 10-13
    (ref 核字1号) THEN the detail shows both with their dates, the timeline has both events, and both buttons
    are then disabled (R3)."""
    _file(page, ctx, datetime(2025, 10, 9, 9, 0))
    assert page.report_button.isEnabled() and not page.confirm_button.isEnabled()
    dialog = page.act_on_selected("report")
    dialog.at.setDateTime(_qdt(datetime(2025, 10, 10, 9, 0)))
    dialog.text.setPlainText("市医保局")
    dialog.accept()
    assert page.confirm_button.isEnabled() and not page.report_button.isEnabled()
    dialog = page.act_on_selected("confirm")
    dialog.at.setDateTime(_qdt(datetime(2025, 10, 13, 9, 0)))
    dialog.text.setPlainText("核字1号")
    dialog.accept()
    v = page.detail.issue
    assert v.bureau_reported_at == datetime(2025, 10, 10, 9, 0) and v.bureau_report_to == "市医保局"
    assert v.bureau_confirmed_at == datetime(2025, 10, 13, 9, 0) and v.bureau_confirm_ref == "核字1号"
    text = page.fields["bureau"].text()
    assert "2025-10-10" in text and "市医保局" in text and "2025-10-13" in text and "核字1号" in text
    assert [e.action for e in page.detail.events] == ["filed", "reported_to_bureau", "bureau_confirmed"]
    assert not page.report_button.isEnabled() and not page.confirm_button.isEnabled()


def test_page_shows_the_state_as_of_the_app_day(page, ctx):
    """GIVEN an issue filed 2025-10-09 and resolved 2025-10-14 WHEN the app's as-of day is 10-13 THEN the
    page shows it open with the as-of day named; on 10-20 resolved (R3 as of d)."""
    issue_id = _file(page, ctx, datetime(2025, 10, 9, 9, 0))
    dialog = page.act_on_selected("resolve")
    dialog.at.setDateTime(_qdt(datetime(2025, 10, 14, 9, 0)))
    dialog.accept()
    assert page.detail.issue.status == "resolved"
    ctx.as_of = date(2025, 10, 13)
    page.refresh()
    page.select_issue(issue_id)
    assert page.detail.issue.status == "open" and page.detail.issue.resolved_at is None
    assert "2025-10-13" in page.as_of_label.text()
