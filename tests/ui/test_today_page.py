"""今日待办 page (issue 20): the page shows the to-do service's groups and each button does its action."""

from __future__ import annotations

from pathlib import Path

from tests.ui.conftest import AS_OF


def _groups(db):
    from hospital_app.services.todo import todo_list

    with db.session() as s:
        return todo_list(s, AS_OF)


def _button_for(page, action: str):
    for button in page.buttons():
        if button.objectName() == f"todoAction_{action}":
            return button
    raise AssertionError(f"no {action} button")


def test_today_shows_each_group_with_count_and_items(main_window, filled_db):
    """GIVEN demo data WHEN 今日待办 opens THEN one top row per group, "标题（n 项）", then the group's hint and
    its n items, each with a due date (or 尽快) and one action button."""
    page = main_window.show_page("today")
    groups = _groups(filled_db)
    assert page.tree.topLevelItemCount() == len(groups) > 0
    for g, group in enumerate(groups):
        top = page.tree.topLevelItem(g)
        assert top.text(0) == f"{group.title}（{group.count} 项）"
        assert top.child(0).text(0) == group.hint
        assert top.childCount() == group.count + 1
        for c, item in enumerate(group.items, start=1):
            assert top.child(c).text(0) == item.text
            assert top.child(c).text(1).startswith(item.due.isoformat() if item.due else "尽快")
    assert len(page.buttons()) == sum(g.count for g in groups)


def test_print_escalation_prints_the_letter_of_that_issue(main_window, filled_db, opened):
    """R3: GIVEN an issue overdue for resolution on the list WHEN 打印上报函 is clicked THEN the issues page
    shows that issue and its escalation letter (PDF) is written and opened."""
    main_window.show()
    page = main_window.show_page("today")
    escalate = next(g for g in _groups(filled_db) if g.key == "escalate").items[0]
    _button_for(page, "print_escalation").click()
    issues = main_window.current_page()
    assert issues.page_name == "issues" and issues.selected_id() == escalate.issue_id
    assert len(opened) == 1 and Path(opened[0]).name.startswith(f"供应问题上报函-{escalate.issue_id}-")
    assert Path(opened[0]).read_bytes().startswith(b"%PDF")


def test_open_product_and_open_issue_buttons(main_window, filled_db):
    """GIVEN 补足采购 and 答复催办 items WHEN their buttons are clicked THEN the products page shows that
    product's detail, and the issues page that issue."""
    main_window.show()
    groups = {g.key: g for g in _groups(filled_db)}
    page = main_window.show_page("today")
    first_product = next(i for i in page.buttons() if i.objectName() == "todoAction_open_product")
    expected_product = next(i.product_id for g in groups.values() for i in g.items if i.action == "open_product")
    first_product.click()
    products = main_window.current_page()
    assert products.page_name == "products" and products.detail.detail.product_id == expected_product

    page = main_window.show_page("today")
    _button_for(page, "open_issue").click()
    issues = main_window.current_page()
    expected_issue = groups["chase_reply"].items[0].issue_id
    assert issues.page_name == "issues" and issues.selected_id() == expected_issue
