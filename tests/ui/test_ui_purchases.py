"""Purchases page: the lazy model, filters and copy-as-TSV (issue 9, part 5)."""

from __future__ import annotations

from datetime import date

from PySide6.QtCore import QDate, QItemSelectionModel, Qt
from PySide6.QtGui import QGuiApplication

from hospital_app.services import purchases_query as q


def _page(main_window, qtbot):
    main_window.show()
    page = main_window.show_page("purchases")
    qtbot.waitUntil(lambda: page.model.complete)
    return page


def _expected_count(filled_db, **kw) -> int:
    with filled_db.session() as s:
        return q.count_purchases(s, q.PurchaseFilters(**kw))


def test_opening_shows_every_purchase_line(main_window, qtbot, filled_db):
    """GIVEN the demo data WHEN the purchases page opens THEN the table has one row per purchase line
    and the count label says how many."""
    page = _page(main_window, qtbot)
    total = _expected_count(filled_db)
    assert total > 0
    assert page.model.rowCount() == total
    assert f"{total:,}" in page.count_label.text()


def test_rows_are_newest_first_and_fetched_lazily(main_window, qtbot):
    """GIVEN the page WHEN it opens THEN only the first block of rows is in memory, and the dates
    run newest first."""
    from ui.models.purchases_model import BLOCK

    page = _page(main_window, qtbot)
    assert len(page.model._rows) <= BLOCK
    dates = [page.model.index(r, 0).data() for r in range(20)]
    assert dates == sorted(dates, reverse=True)


def test_a_far_row_is_fetched_when_asked(main_window, qtbot):
    """GIVEN the page WHEN the view asks for the last row THEN it reads '…' first, then the real date."""
    page = _page(main_window, qtbot)
    last = page.model.index(page.model.rowCount() - 1, 0)
    if page.model.rowCount() > 200:
        assert last.data() == "…"
    qtbot.waitUntil(lambda: last.data() != "…")
    assert len(last.data()) == 10


def test_filter_selected_only(main_window, qtbot, filled_db):
    """GIVEN the page WHEN '仅中选产品' is chosen THEN only purchases of selected products are listed."""
    page = _page(main_window, qtbot)
    page.selected.setCurrentIndex(page.selected.findData("yes"))
    assert page.model.rowCount() == _expected_count(filled_db, selected=True)
    column = 6  # 中选
    assert {page.model.index(r, column).data() for r in range(min(50, page.model.rowCount()))} == {"是"}


def test_filter_non_selected_only(main_window, qtbot, filled_db):
    """GIVEN the page WHEN '仅非中选产品' is chosen THEN only non-selected products' purchases remain."""
    page = _page(main_window, qtbot)
    page.selected.setCurrentIndex(page.selected.findData("no"))
    expected = _expected_count(filled_db, selected=False)
    assert page.model.rowCount() == expected
    assert expected < _expected_count(filled_db)


def test_filter_by_date_range(main_window, qtbot, filled_db):
    """GIVEN the page WHEN the date range 2025-03-01..2025-03-31 is set THEN only March purchases remain."""
    page = _page(main_window, qtbot)
    page.date_from.setDate(QDate(2025, 3, 1))
    page.date_to.setDate(QDate(2025, 3, 31))
    page.use_dates.setChecked(True)
    expected = _expected_count(filled_db, date_from=date(2025, 3, 1), date_to=date(2025, 3, 31))
    assert 0 < page.model.rowCount() == expected
    dates = {page.model.index(r, 0).data() for r in range(min(100, expected))}
    assert all("2025-03-01" <= d <= "2025-03-31" for d in dates)


def test_filter_by_product(main_window, qtbot, filled_db):
    """GIVEN the product list WHEN one product is chosen THEN only its purchases are listed."""
    page = _page(main_window, qtbot)
    assert page.product.count() > 1
    page.product.setCurrentIndex(1)
    product_id = page.product.currentData()
    assert page.model.rowCount() == _expected_count(filled_db, product_id=product_id)


def test_text_search_after_typing(main_window, qtbot, filled_db):
    """GIVEN the page WHEN a product code is typed THEN after the debounce only that product's rows remain."""
    page = _page(main_window, qtbot)
    code = page.model.index(0, 2).data()
    qtbot.keyClicks(page.search, code)
    qtbot.waitUntil(lambda: not page._debounce.isActive(), timeout=2000)
    assert page.model.rowCount() == _expected_count(filled_db, text=code)
    assert {page.model.index(r, 2).data() for r in range(page.model.rowCount())} == {code}


def test_sorting_by_quantity(main_window, qtbot):
    """GIVEN the page WHEN the quantity header sorts descending THEN the largest quantities come first."""
    page = _page(main_window, qtbot)
    page.table.sortByColumn(7, Qt.SortOrder.DescendingOrder)
    qtbot.waitUntil(lambda: page.model.complete)
    quantities = [int(page.model.index(r, 7).data()) for r in range(10)]
    assert quantities == sorted(quantities, reverse=True)


def test_copy_selection_as_tsv(main_window, qtbot):
    """GIVEN two selected rows WHEN 复制所选 is pressed THEN the clipboard holds a header line and
    two tab-separated rows, as Excel pastes them."""
    page = _page(main_window, qtbot)
    selection = page.table.selectionModel()
    for row in (0, 1):
        selection.select(page.model.index(row, 0),
                         QItemSelectionModel.SelectionFlag.Select | QItemSelectionModel.SelectionFlag.Rows)
    qtbot.mouseClick(page.copy_button, Qt.MouseButton.LeftButton)
    lines = QGuiApplication.clipboard().text().split("\r\n")
    assert lines[0].split("\t")[:2] == ["日期", "订单号"]
    assert len(lines) == 4 and lines[3] == ""
    assert lines[1].split("\t")[0] == page.model.index(0, 0).data()
    assert len(lines[1].split("\t")) == page.model.columnCount()


def test_copy_rows_not_yet_loaded(main_window, qtbot):
    """GIVEN a selection that includes rows not fetched yet WHEN copied THEN they are fetched and copied."""
    page = _page(main_window, qtbot)
    last = page.model.rowCount() - 1
    page.table.selectionModel().select(
        page.model.index(last, 0),
        QItemSelectionModel.SelectionFlag.Select | QItemSelectionModel.SelectionFlag.Rows)
    page.copy_selection()
    lines = QGuiApplication.clipboard().text().split("\r\n")
    assert len(lines) == 3 and lines[1].count("\t") == page.model.columnCount() - 1


def test_reversed_date_range_is_refused_with_a_message():
    """GIVEN from > to WHEN counted THEN BadInput with a Chinese message (nothing silently empty)."""
    import pytest

    from hospital_app.errors import BadInput

    with pytest.raises(BadInput, match="晚于"):
        q._filtered(None, q.PurchaseFilters(date_from=date(2025, 5, 1), date_to=date(2025, 4, 1)))
