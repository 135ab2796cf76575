"""Concurrent edits in the GUI (issue 11 §4): a lost update is never a silent overwrite.

Two sessions edit the same supply issue (R3): one through a direct service call (the
colleague at another workstation), one through the issues page. The page's change is
refused, the user sees “该记录已被其他人修改，请重新加载” and 重新加载 shows the
colleague's data.
"""

from __future__ import annotations

from datetime import date, datetime

import pytest
from PySide6.QtWidgets import QDialogButtonBox, QMessageBox, QPushButton

from ui import worker


@pytest.fixture
def page(make_page):
    from ui.pages.issues import IssuesPage

    return make_page(IssuesPage, 1200, 700)


def _new_issue(db) -> int:
    from hospital_app.services import supply_issues
    from hospital_app.services.lookups import search_products

    with db.session() as s:
        product_id = next(p.id for p in search_products(s, "", limit=50) if p.selected)
        return supply_issues.add_issue(s, product_id, "shortage", datetime(2025, 9, 1, 9, 0),
                                       description="缺货", as_of=date(2025, 9, 15)).id


def _conflict_box() -> QMessageBox:
    boxes = [b for b in worker.open_boxes() if b.objectName() == "conflictBox"]
    assert len(boxes) == 1, "exactly one conflict dialog is expected"
    return boxes[0]


def _issue_row(db, issue_id: int):
    from hospital_app.services import supply_issues

    with db.session() as s:
        return supply_issues.get_issue(s, issue_id, date(2025, 9, 15))


def test_R3_reply_over_a_colleagues_reply_shows_the_reload_dialog(page, ctx, filled_db):
    """GIVEN an open issue shown on the page, and a colleague who records the supplier's reply
    in another session WHEN the user records a reply through the page's dialog
    THEN nothing is overwritten (the colleague's reply and promise stay, one reply event),
    the conflict dialog appears, and 重新加载 shows the colleague's reply on the page."""
    from hospital_app.services import supply_issues

    issue_id = _new_issue(filled_db)
    page.refresh()
    assert page.select_issue(issue_id) and page.detail.issue.status == "open"

    with filled_db.session() as other:  # the colleague, at another workstation
        supply_issues.reply(other, issue_id, datetime(2025, 9, 2, 10, 0), date(2025, 9, 5), "同事登记的答复",
                            who="colleague")

    dialog = page.reply_selected()
    dialog.text.setPlainText("我的答复")
    dialog.findChild(QDialogButtonBox).button(QDialogButtonBox.StandardButton.Ok).click()

    box = _conflict_box()
    assert "该记录已被其他人修改，请重新加载" in box.text()
    assert "没有保存" in box.informativeText()
    stored = _issue_row(filled_db, issue_id)
    assert stored.issue.reply_text == "同事登记的答复"
    assert stored.issue.promised_date == date(2025, 9, 5)
    assert [e.action for e in stored.events].count("replied") == 1
    assert page.detail.issue.status == "open"  # the page still shows what it had loaded

    reload_button = next(b for b in box.findChildren(QPushButton) if b.objectName() == "conflictReload")
    reload_button.click()
    assert page.detail is not None and page.detail.issue.id == issue_id
    assert page.detail.issue.status == "replied"
    assert page.detail.issue.reply_text == "同事登记的答复"
    assert worker.open_boxes() == []


def test_lost_update_StaleDataError_in_a_change_shows_the_reload_dialog(ctx, filled_db, qtbot):
    """GIVEN a change that read an issue (version 1), and a colleague who changes the same issue
    and commits before the change is written WHEN the change is flushed THEN SQLAlchemy's optimistic
    lock refuses it (StaleDataError), it is rolled back, and the user gets the conflict dialog."""
    from hospital_app.services import supply_issues
    from db.models import SupplyIssue

    issue_id = _new_issue(filled_db)
    done: list = []

    def edit(session):
        issue = session.get(SupplyIssue, issue_id)
        with filled_db.session() as other:
            supply_issues.resolve(other, issue_id, datetime(2025, 9, 3, 9, 0), "同事：已到货", who="colleague")
        issue.description = "我改的描述"
        session.flush()
        return issue.id

    ctx.change(edit, done.append, topics=("issues",))

    assert done == []
    box = _conflict_box()
    assert "该记录已被其他人修改" in box.text()
    stored = _issue_row(filled_db, issue_id)
    assert stored.issue.description == "缺货" and stored.issue.status == "resolved"
    box.done(0)


def test_a_custom_error_handler_still_gets_the_conflict(ctx):
    """GIVEN a change with its own on_error (the import wizard shows errors in place)
    WHEN the service raises Conflict THEN the handler gets it and no dialog opens."""
    from hospital_app.errors import Conflict

    got: list = []

    def refuse(_session):
        raise Conflict("状态已变化")

    ctx.change(refuse, on_error=got.append)
    assert [type(e) for e in got] == [Conflict] and worker.open_boxes() == []


def test_is_conflict_recognises_Conflict_and_StaleDataError_only():
    """GIVEN the core helper THEN Conflict and StaleDataError are conflicts, BadInput is not."""
    from sqlalchemy.orm.exc import StaleDataError

    from hospital_app.errors import BadInput, Conflict, is_conflict

    assert is_conflict(Conflict("x")) and is_conflict(StaleDataError("y"))
    assert not is_conflict(BadInput("z")) and not is_conflict(ValueError())
