"""Batch editor (R6 v2: kind, extension) and the lag reason on the product detail, through the widgets."""

from __future__ import annotations

from datetime import date

import pytest
from PySide6.QtCore import QDate


@pytest.fixture
def page(make_page, ctx):
    """The products page, plus batch “UI测试批” (2024-03-01..2025-02-28) whose one product has V = 12 000."""
    from db.models import AgreementPeriod, Batch, Product
    from ui.pages.products import ProductsPage

    with ctx.db.session() as s:
        b = Batch(name="UI测试批", kind="drug", execution_start=date(2024, 3, 1), cycle_end=date(2025, 2, 28))
        s.add(b)
        s.flush()
        p = Product(batch_id=b.id, generic_name="测试片", generic_name_norm="测试片", selected=True,
                    category="selected", supply_role="primary")
        s.add(p)
        s.flush()
        s.add(AgreementPeriod(product_id=p.id, year_index=1, start=date(2024, 3, 1), end=date(2025, 2, 28),
                              agreed_volume=12000))
    return make_page(ProductsPage, 1200, 700)


def test_r6_batch_editor_sets_kind_and_extends(page, ctx):
    """GIVEN batch UI测试批 WHEN the editor sets it to 耗材 and extends it to 2025-08-31 without a file THEN the kind
    is consumable and the product gets 2025-03-01..2025-08-31 with 12 000 × 6 / 12 = 6 000 (R6)."""
    from hospital_app.services.batches import list_batches

    dialog = page.open_batch_editor()
    dialog.batch.setCurrentIndex(dialog.batch.findText("UI测试批"))
    assert "2025-02-28" in dialog.info.text()
    dialog.kind.setCurrentIndex(dialog.kind.findData("consumable"))
    dialog.kind_button.click()
    dialog.extend_to.setDate(QDate(2025, 8, 31))
    dialog.extend_button.click()
    [ext] = dialog.last_result.periods
    assert (ext.start, ext.end, ext.agreed_volume, ext.source) == (date(2025, 3, 1), date(2025, 8, 31), 6000,
                                                                    "prorated")
    with ctx.db.session() as s:
        b = next(v for v in list_batches(s) if v.name == "UI测试批")
    assert (b.kind, b.extended_to) == ("consumable", date(2025, 8, 31))
    assert "2025-08-31" in dialog.info.text()


def test_lag_reason_edit_on_the_product_detail(page, ctx):
    """GIVEN a product shown in the detail WHEN its lag reason is saved THEN the detail shows it and the product
    stores it (R8/R19 未完成原因)."""
    from db.models import Product

    page.select_product(page.model.rows[0].product_id)
    product_id = page.detail.detail.product_id
    page.edit_lag_reason("配送企业断货")
    assert page.detail.lag_reason.text() == "配送企业断货"
    with ctx.db.session() as s:
        assert s.get(Product, product_id).lag_reason == "配送企业断货"
