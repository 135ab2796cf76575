"""One term for payments (docs/GLOSSARY.md: 货款结算): the side bar, the page, the dashboard and the to-do
list no longer mix 回款 and 付款 (issue 20 §1, issue 18 §4; R5)."""

from __future__ import annotations

from tests.ui.test_english_ui import _visible_texts


def test_payments_are_called_by_the_glossary_term(main_window, qtbot):
    """GIVEN the Chinese window on demo data WHEN the payments page, the dashboard and the to-do page show
    THEN the side bar and the page title read 货款结算 and no visible text says 回款."""
    main_window.show()
    names = [main_window.nav.item(i).text() for i in range(main_window.nav.count())]
    assert "货款结算" in names and "回款" not in names
    said = []
    for name in ("payments", "dashboard", "today"):
        page = main_window.show_page(name)
        said += [text for _where, text in _visible_texts(page) if "回款" in text]
    assert main_window.page("payments").title() == "货款结算"
    assert said == []
