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
    """R8, issue 20: GIVEN demo data WHEN the dashboard opens THEN every batch has a row with completion
    and schedule in percent and no summed quantities (a batch mixes units), the batch chart shows each
    batch's completion and schedule in percent, and the status chart has six bars."""
    page = main_window.show_page("dashboard")
    assert page.batch_table.rowCount() == len(page.data.batches) > 0
    headers = [page.batch_table.horizontalHeaderItem(c).text() for c in range(page.batch_table.columnCount())]
    assert headers == ["批次", "中选产品", "进度落后", "完成进度", "序时进度"]
    assert page.batch_table.item(0, 3).text().endswith("%")
    assert [name for name, _c, _s in page.batch_chart.rows] == [b.batch for b in page.data.batches]
    assert all(0 <= c <= 2 and 0 <= s <= 1 for _n, c, s in page.batch_chart.rows)
    assert len(page.status_chart.counts) == 6


def test_dashboard_todo_summarises_the_groups(main_window):
    """Issue 20: GIVEN demo data WHEN the dashboard opens THEN 今日待办 shows one line per kind of action
    with its count (no rule ids); double-clicking a line opens the 今日待办 page."""
    page = main_window.show_page("dashboard")
    assert page.todo.count() == len(page.data.todo) > 0
    first = page.data.todo[0]
    assert page.todo.item(0).text().startswith(f"{first.title}：{first.count} 项")
    assert not any("[R" in page.todo.item(r).text() for r in range(page.todo.count()))
    page.todo.itemDoubleClicked.emit(page.todo.item(0))
    assert main_window.current_page().page_name == "today"


def test_dashboard_open_issues_and_payments(main_window):
    """R3, issue 20: GIVEN demo data WHEN the dashboard opens THEN open supply issues and unpaid deliveries
    are listed; an issue is marked overdue only for the due it shows (the reply due before a reply, the
    resolution due after it; an escalated issue says so instead)."""
    page = main_window.show_page("dashboard")
    assert page.issues.count() == len(page.data.issues) > 0
    assert page.issue_number.text() == str(len(page.data.issues))
    expected = [i for i in page.data.issues
                if (i.status == "open" and i.replied_at is None and "reply" in i.overdue)
                or (i.status in ("open", "replied") and i.replied_at is not None and "resolution" in i.overdue)]
    texts = [page.issues.item(r).text() for r in range(page.issues.count())]
    assert sum("已逾期" in t for t in texts) == len(expected)
    for issue, text in zip(page.data.issues, texts):
        if issue.replied_at is not None and issue.status != "escalated":
            assert "答复期限" not in text and "解决期限" in text


def test_dashboard_payments_card_counts_every_unpaid_delivery_and_lists_the_first(main_window, filled_db,
                                                                                 monkeypatch):
    """R5, issue 21: GIVEN demo data and a list cut at 2 deliveries WHEN the dashboard opens THEN the
    card counts every unpaid delivery of ``payments --open``, the list shows its first 2 (overdue
    first, in due order) and a last line says how many of how many are shown and opens the payments page."""
    from hospital_app.services.payments import list_payments
    from ui.pages import dashboard

    monkeypatch.setattr(dashboard, "PAYMENTS_SHOWN", 2)
    with filled_db.session() as s:
        unpaid = list_payments(s, AS_OF, open_only=True)
    assert len(unpaid) > 2
    page = main_window.show_page("dashboard")
    assert page.payment_number.text() == str(len(unpaid))
    assert [p["order_no"] for p in page.data.payments] == [p["order_no"] for p in unpaid[:2]]
    assert [(not p["overdue"], p["due"]) for p in unpaid] == sorted((not p["overdue"], p["due"]) for p in unpaid)
    assert page.payments.count() == 3
    last = page.payments.item(2)
    assert last.text() == f"以上为最早到期的 2 笔（共 {len(unpaid)} 笔），全部请见“货款结算”页"
    page.payments.itemDoubleClicked.emit(last)
    assert main_window.current_page().page_name == "payments"

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
    status, completion = page.model.COLUMNS.index("status"), page.model.COLUMNS.index("completion")
    first_status = page.proxy.index(0, status).data(Qt.ItemDataRole.UserRole)
    assert first_status == min(page.proxy.index(r, status).data(Qt.ItemDataRole.UserRole)
                               for r in range(len(rows)))
    assert page.proxy.index(0, completion).data().endswith("%")


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
    column = page.model.COLUMNS.index("completion")
    page.table.sortByColumn(column, Qt.SortOrder.DescendingOrder)
    values = [page.proxy.index(r, column).data(Qt.ItemDataRole.UserRole) for r in range(page.proxy.rowCount())]
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


def test_products_columns_fit_1366_and_detail_shows_shortfall(main_window, qtbot):
    """Issue 20, R8: GIVEN the window at 1366×768 WHEN the products page shows THEN status, completion,
    schedule, shortfall, remaining and non-selected share lie inside the table's viewport without
    scrolling, and the detail pane names the selected product's shortfall and what is left of the volume."""
    main_window.show()
    main_window.resize(1366, 768)
    page = main_window.show_page("products")
    qtbot.wait(10)
    columns = page.model.COLUMNS
    last = columns.index("nonselected_share")
    assert columns[:last + 1] == ("generic_name", "status", "completion", "schedule", "shortfall", "remaining",
                                  "nonselected_share")
    header = page.table.horizontalHeader()
    assert header.sectionViewportPosition(last) + header.sectionSize(last) <= page.table.viewport().width()
    row = page.detail.detail.progress
    facts = page.detail.facts.text()
    assert f"缺口：{row.shortfall:,}" in facts
    assert f"距约定量尚余：{max(row.agreed_volume - row.purchased, 0):,}" in facts


def test_dashboard_with_many_batches_keeps_the_todo_list_on_the_first_screen(main_window, qtbot):
    """Issue 20/21: GIVEN a hospital with 12 batches (the demo's, repeated with other names and
    completions) WHEN the dashboard shows them in a 1366×768 window THEN the batch table and the
    indicators show 3 rows each and scroll the rest, the batch chart shows the 4 batches furthest
    behind their schedule (and says so), and the to-do list starts inside the window."""
    from dataclasses import replace
    from fractions import Fraction

    from ui.pages.dashboard import BATCH_ROWS_SHOWN, CHART_BATCHES

    main_window.show()
    main_window.resize(1366, 768)
    page = main_window.show_page("dashboard")
    qtbot.waitUntil(lambda: page.data is not None, timeout=10000)
    data = page.data
    batches = [replace(b, batch=f"{b.batch} {i}", completion=Fraction(i, 20), schedule=Fraction(1, 2))
               for i in range(6) for b in data.batches]
    indicators = replace(data.indicators, batches=[replace(b, batch=f"{b.batch} {i}") for i in range(6)
                                                   for b in data.indicators.batches])
    page.show_data(replace(data, batches=batches, indicators=indicators))
    qtbot.wait(20)
    for table in (page.batch_table, page.indicators_panel.table):
        assert table.rowCount() == 12
        row = table.rowHeight(0)
        assert table.horizontalHeader().height() + BATCH_ROWS_SHOWN * row <= table.height() \
            < table.horizontalHeader().height() + (BATCH_ROWS_SHOWN + 1) * row
    behind = sorted(batches, key=lambda b: (b.completion - b.schedule, b.batch))[:CHART_BATCHES]
    assert [name for name, _c, _s in page.batch_chart.rows] == [b.batch for b in behind]
    assert page.batch_chart.chart().title().startswith(f"落后最多的 {CHART_BATCHES} 个批次")
    top = page.todo.mapTo(main_window, page.todo.rect().topLeft()).y()
    assert 0 < top < main_window.height() - 40
