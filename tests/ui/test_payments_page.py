"""Payments page (R5 v2) driven through its widgets: the list as of the app's day, part payments."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import pytest
from PySide6.QtCore import QDate
from PySide6.QtWidgets import QDialogButtonBox


@pytest.fixture
def page(make_page, ctx):
    """The payments page on the demo database (as of 2025-09-15) with order UIPAY1: 300.00 accepted
    2025-07-10, so due 2025-08-31 and overdue on 09-15."""
    from db.models import Company, Order
    from ui.pages.payments import PaymentsPage

    with ctx.db.session() as s:
        dist = Company(name="测试配送公司", is_distributor=True)
        s.add(dist)
        s.flush()
        s.add(Order(dedup_key="UIPAY1#1", order_no="UIPAY1", line_no=1, company_id=dist.id,
                    placed_at=datetime(2025, 7, 1, 9), accepted_on=date(2025, 7, 10), amount=Decimal("300.00")))
    return make_page(PaymentsPage, 1200, 700)


def _row(page, order_no):
    return next(r for r in page.rows if r["order_no"] == order_no)


def test_r5_part_payment_then_the_rest_through_the_dialog(page):
    """GIVEN UIPAY1 (300.00, overdue) WHEN 登记付款 records a part payment of 120 on 2025-09-10 THEN it shows 120.00
    paid, still overdue and open; WHEN the rest is paid on 09-12 THEN it leaves the open list; with 只看未付清
    off it shows paid 09-12, paid late (R5)."""
    assert page.select_order("UIPAY1")
    r = _row(page, "UIPAY1")
    assert (r["amount"], r["paid_amount"], r["due"], r["overdue"]) == ("300.00", "0.00", date(2025, 8, 31), True)
    dialog = page.record_selected()
    dialog.paid_on.setDate(QDate(2025, 9, 10))
    dialog.part.setChecked(True)
    dialog.amount.setText("300.01")
    assert not dialog.buttons.button(QDialogButtonBox.StandardButton.Ok).isEnabled()
    dialog.amount.setText("120")
    dialog.buttons.button(QDialogButtonBox.StandardButton.Ok).click()
    r = _row(page, "UIPAY1")
    assert (r["paid_amount"], r["overdue"], r["paid_on"]) == ("120.00", True, None)
    assert page.select_order("UIPAY1")
    dialog = page.record_selected()
    dialog.paid_on.setDate(QDate(2025, 9, 12))
    assert dialog.values()["amount"] is None  # the rest
    dialog.accept()
    assert all(x["order_no"] != "UIPAY1" for x in page.rows)
    page.open_only.setChecked(False)
    r = _row(page, "UIPAY1")
    assert (r["paid_amount"], r["paid_on"], r["paid_late"], r["overdue"]) == (
        "300.00", date(2025, 9, 12), True, False)
