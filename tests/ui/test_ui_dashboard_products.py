"""Dashboard and products pages on demo data (issue 9, parts 3 and 4; R3, R5, R7, R8)."""

from __future__ import annotations

from PySide6.QtCore import Qt

from tests.ui.conftest import AS_OF


def _progress_rows(db):
    from hospital_app.services.progress import compute_progress

    with db.session() as s:
        return compute_progress(s, AS_OF).rows


def test_dashboard_counts_products_by_status(main_window, filled_db):
    """GIVEN demo data WHEN the dashboard opens THEN each R8 status card shows the number of products
    in that status, as the progress service computes it."""
    page = main_window.show_page("dashboard")
    rows = _progress_rows(filled_db)
    for status, label in page.status_numbers.items():
        assert label.text() == str(sum(1 for r in rows if r.status == status))
    assert sum(int(label.text()) for label in page.status_numbers.values()) == len(rows)


def test_dashboard_batch_table_and_charts(main_window):
    """GIVEN demo data WHEN the dashboard opens THEN every batch has a row with completion and schedule,
    the burn-up chart's cumulative purchases never decrease, and the status chart has six bars."""
    page = main_window.show_page("dashboard")
    assert page.batch_table.rowCount() == len(page.data.batches) > 0
    assert page.batch_table.item(0, 4).text().endswith("%")
    bought = page.burn_up.purchased
    assert bought and all(a <= b for a, b in zip(bought, bought[1:]))
    assert len(page.status_chart.counts) == 6


def test_dashboard_todo_lists_alerts_with_actions(main_window):
    """GIVEN demo data with overdue issues WHEN the dashboard opens THEN 今日待办 lists the alerts, each
    with its rule id, and an action line where the alert names one."""
    page = main_window.show_page("dashboard")
    assert page.todo.count() == len(page.data.alerts) > 0
    first = page.data.alerts[0]
    assert page.todo.item(0).text().startswith(f"[{first.rule}]")
    if first.action:
        assert first.action in page.todo.item(0).text()


def test_dashboard_open_issues_and_payments(main_window):
    """GIVEN demo data WHEN the dashboard opens THEN open supply issues (R3) and unpaid deliveries (R5)
    are listed, overdue ones marked."""
    page = main_window.show_page("dashboard")
    assert page.issues.count() == len(page.data.issues) > 0
    assert page.issue_number.text() == str(len(page.data.issues))
    overdue = [i for i in page.data.issues if i.overdue]
    assert sum("已逾期" in page.issues.item(r).text() for r in range(page.issues.count())) == len(overdue)


def test_clicking_a_todo_item_opens_the_product(main_window, qtbot):
    """GIVEN an alert about a product WHEN it is double-clicked THEN the products page opens with that
    product selected and its detail shown."""
    main_window.show()
    page = main_window.show_page("dashboard")
    index = next(r for r in range(page.todo.count())
                 if page.todo.item(r).data(Qt.ItemDataRole.UserRole) is not None
                 and page.todo.item(r).data(Qt.ItemDataRole.UserRole + 1) is None)
    item = page.todo.item(index)
    product_id = item.data(Qt.ItemDataRole.UserRole)
    page.todo.itemDoubleClicked.emit(item)
    products = main_window.current_page()
    assert products.page_name == "products"
    assert products.detail.detail is not None and products.detail.detail.product_id == product_id


def test_clicking_an_issue_opens_the_issues_page(main_window):
    """GIVEN an open issue on the dashboard WHEN double-clicked THEN the issues page is shown."""
    page = main_window.show_page("dashboard")
    page.issues.itemDoubleClicked.emit(page.issues.item(0))
    assert main_window.current_page().page_name == "issues"


def test_products_table_lists_progress_rows(main_window, filled_db):
    """GIVEN demo data WHEN the products page opens THEN one row per progress row, not-started and
    behind products first (status sort), with a status label and a percentage."""
    page = main_window.show_page("products")
    rows = _progress_rows(filled_db)
    assert page.proxy.rowCount() == len(rows)
    first_status = page.proxy.index(0, 2).data(Qt.ItemDataRole.UserRole)
    assert first_status == min(page.proxy.index(r, 2).data(Qt.ItemDataRole.UserRole) for r in range(len(rows)))
    assert page.proxy.index(0, 3).data().endswith("%")


def test_products_filter_by_status_and_text(main_window, filled_db):
    """GIVEN the products page WHEN filtered by 严重滞后 THEN only those rows remain; WHEN a name is
    typed THEN only matching products remain."""
    page = main_window.show_page("products")
    rows = _progress_rows(filled_db)
    page.status.setCurrentIndex(page.status.findData("severely_behind"))
    assert page.proxy.rowCount() == sum(1 for r in rows if r.status == "severely_behind")
    page.status.setCurrentIndex(0)
    name = rows[0].generic_name
    page.search.setText(name)
    assert page.proxy.rowCount() == sum(1 for r in rows if name in r.generic_name or name in (r.manufacturer or ""))
    assert "显示" in page.count_label.text()


def test_products_filter_by_batch(main_window, filled_db):
    """GIVEN two demo batches WHEN one is chosen THEN only its products remain."""
    page = main_window.show_page("products")
    rows = _progress_rows(filled_db)
    page.batch.setCurrentIndex(1)
    batch = page.batch.currentData()
    assert page.proxy.rowCount() == sum(1 for r in rows if r.batch == batch) > 0


def test_products_sort_by_completion(main_window):
    """GIVEN the table WHEN sorted by 完成率 descending THEN completion never increases down the table."""
    page = main_window.show_page("products")
    page.table.sortByColumn(3, Qt.SortOrder.DescendingOrder)
    values = [page.proxy.index(r, 3).data(Qt.ItemDataRole.UserRole) for r in range(page.proxy.rowCount())]
    assert values == sorted(values, reverse=True)


def test_product_detail_shows_monthly_targets_and_periods(main_window):
    """GIVEN a selected product WHEN its detail loads THEN the chart has the R7 monthly targets of its
    current period (summing to the agreed volume) and the periods table lists its periods."""
    page = main_window.show_page("products")
    page.table.setCurrentIndex(page.proxy.index(1, 0))
    detail = page.detail.detail
    current = next(p for p in detail.periods if p.current)
    assert sum(page.detail.chart.targets) == current.agreed_volume
    assert page.detail.periods.rowCount() == len(detail.periods)
    assert page.detail.heading.text().startswith(detail.generic_name)


def test_products_export_xlsx(main_window, tmp_path):
    """GIVEN the products page WHEN exported THEN an xlsx workbook is written with the title row."""
    import openpyxl

    page = main_window.show_page("products")
    out = tmp_path / "进度.xlsx"
    page.export_xlsx(str(out))
    wb = openpyxl.load_workbook(out)
    assert "2025-09-15" in str(wb.active["A1"].value)


def test_product_detail_button_filters_purchases(main_window):
    """GIVEN a product's detail WHEN 查看采购明细 is pressed THEN the purchases page shows only its lines."""
    page = main_window.show_page("products")
    product_id = page.detail.detail.product_id
    page.detail.purchases_button.click()
    purchases = main_window.current_page()
    assert purchases.page_name == "purchases"
    assert purchases.filters().product_id == product_id


def test_product_flags_are_shown_in_words_not_codes(qtbot, ctx):
    """The 提示 column shows 非中选超比例 / 免考核 …, never the JSON codes (share_over, exempt)."""
    from ui.pages.products import ProductsPage

    page = ProductsPage(ctx)
    qtbot.addWidget(page)
    page.show()
    page.ensure_fresh()
    source = page.model
    flags_col = source.COLUMNS.index("flags")
    texts = [source.data(source.index(r, flags_col)) for r in range(source.rowCount())]
    joined = "、".join(t for t in texts if t)
    assert joined, "the demo data has flagged products"
    assert not any(code in joined for code in ("share_over", "exempt", "empty_month", "clustered", "shortage"))
    assert "免考核" in joined
