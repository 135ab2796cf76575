"""Issue 17 GUI: the R20 indicators panel, the R4 Suppliers page and the R18 Retention page."""

from __future__ import annotations

import openpyxl

from ui.pages.retention import RetentionPage
from ui.pages.suppliers import ROLE_ID, SuppliersPage


def test_r20_dashboard_panel_numbers_open_their_products(main_window, qtbot):
    """GIVEN the demo dashboard WHEN clicking the signed-products number of a batch THEN a list of exactly that many
    products opens, and double-clicking one asks for its progress."""
    page = main_window.show_page("dashboard")
    panel = page.indicators_panel
    assert panel.report is not None and panel.table.rowCount() == len(panel.report.batches)
    batch = panel.report.batches[0]
    dialog = panel.show_products(0, "total")
    assert dialog.table.rowCount() == batch.counts["total"] > 0
    opened = []
    page.ctx.events.open_product.connect(opened.append)
    dialog.table.cellDoubleClicked.emit(0, 0)
    assert opened == [batch.products["total"][0].product_id]


def test_r4_suppliers_page_drill_down(make_page, opened):
    """GIVEN the demo WHEN selecting the supplier with the most orders THEN the orders tab lists at least as many
    lines as it has orders, and the PDF button writes the one-page sheet."""
    page = make_page(SuppliersPage)
    assert page.table.rowCount() == len(page.rows) > 0
    busiest = max(range(len(page.rows)), key=lambda i: page.rows[i].placed)
    row = [r for r in range(page.table.rowCount()) if int(page.table.item(r, 0).data(ROLE_ID)) == busiest][0]
    page.select_row(row)
    assert page.orders.rowCount() >= page.rows[busiest].placed > 0
    page.print_card()
    assert page.last_document and opened == [page.last_document]


def test_r4_suppliers_page_sorts_by_number(make_page):
    """GIVEN the scorecard WHEN sorting by orders THEN rows go by the number, not by its text."""
    page = make_page(SuppliersPage)
    page.table.sortItems(2)
    values = [int(page.table.item(r, 2).text()) for r in range(page.table.rowCount())]
    assert values == sorted(values)


def test_r18_retention_page_and_export(make_page, monkeypatch, tmp_path):
    """GIVEN the demo WHEN opening the retention page THEN one row per product and agreement year and the total;
    exporting writes the workbook."""
    from ui.widgets import common

    page = make_page(RetentionPage)
    assert page.table.rowCount() == len(page.report.rows) > 0
    target = tmp_path / "r.xlsx"
    monkeypatch.setattr(common, "choose_save_file", lambda *a, **k: str(target))
    page.export()
    assert page.last_export == str(target)
    assert openpyxl.load_workbook(target).active.max_row >= len(page.report.rows) + 3
