"""Suspension editor (R17) opened from the product detail, the suspension marker wherever the product
appears, and the 价低且同等质量 mark (R11 v2) in the adjustments editor — through the real widgets.

Issue 20 item 6. "Today" is tests.ui.conftest.AS_OF = 2025-09-15.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import pytest
from PySide6.QtCore import QDate, Qt

from tests.ui.test_english_ui import _problems, data_values, english  # noqa: F401 (fixtures)

NAME = "暂停测试片"
MARK = "［暂停］"


@pytest.fixture
def product(ctx):
    """GIVEN selected product 暂停测试片 (batch 暂停测试批, 2025-03-01..2026-02-28, V = 12 000) with two
    purchases and one open supply issue, and non-selected 价低替代片; returns (selected id, non-selected id)."""
    from db.models import AgreementPeriod, Batch, Company, Product, Purchase
    from hospital_app.services.supply_issues import add_issue

    with ctx.db.session() as s:
        maker = Company(name="暂停测试药业", is_manufacturer=True)
        b = Batch(name="暂停测试批", kind="drug", execution_start=date(2025, 3, 1), cycle_end=date(2026, 2, 28))
        s.add_all([maker, b])
        s.flush()
        p = Product(batch_id=b.id, generic_name=NAME, generic_name_norm=NAME, spec="10mg", selected=True,
                    category="selected", supply_role="primary", manufacturer_id=maker.id)
        cheap = Product(generic_name="价低替代片", generic_name_norm="价低替代片", spec="10mg", selected=False,
                        category="catalogue", manufacturer_id=maker.id)
        s.add_all([p, cheap])
        s.flush()
        s.add(AgreementPeriod(product_id=p.id, year_index=1, start=date(2025, 3, 1), end=date(2026, 2, 28),
                              agreed_volume=12000))
        for n, day in enumerate((date(2025, 4, 10), date(2025, 8, 20))):
            s.add(Purchase(product_id=p.id, dedup_key=f"susp{n}", order_no=f"SUSP{n}", line_no=1,
                           purchase_date=day, quantity=600, unit_price=Decimal("0.5000"), amount=Decimal("300.00")))
        s.flush()
        add_issue(s, p.id, "shortage", datetime(2025, 9, 1, 9, 0), description="断货", as_of=date(2025, 9, 1))
        return p.id, cheap.id


@pytest.fixture
def page(make_page, product):
    from ui.pages.products import ProductsPage

    return make_page(ProductsPage, 1200, 700)


def _stored(ctx, pid):
    from db.models import AuditLog, Product

    with ctx.db.session() as s:
        p = s.get(Product, pid)
        actions = [a.action for a in s.query(AuditLog).filter(AuditLog.entity_id == pid)
                   .filter(AuditLog.action.like("product.%suspend")).order_by(AuditLog.id)]
        return p.suspended_on, p.suspension_reason, list(p.suspension_reported_to or []), actions


def _open(page, pid):
    page.select_product(pid)
    assert page.detail.detail.product_id == pid
    assert page.detail.suspension_button.isEnabled()
    return page.open_suspension_editor()


def _name_cell(page, pid):
    row = next(r for r, v in enumerate(page.model.rows) if v.product_id == pid)
    return page.model.index(row, 0)


def test_r17_suspend_from_the_product_detail(page, product, ctx):
    """GIVEN 暂停测试片, not suspended WHEN the dialog records a suspension on 2025-09-01 for a failed batch,
    reported to the manufacturer, the drug authority and two recipients typed in THEN the product stores exactly
    that through management.suspend (audited as product.suspend), the dialog offers 恢复使用, and the products
    table and detail show it."""
    pid, _ = product
    dialog = _open(page, pid)
    assert "正常使用" in dialog.state.text()
    assert not dialog.lift_button.isEnabled()
    assert _name_cell(page, pid).data() == NAME

    dialog.on.setDate(QDate(2025, 9, 1))
    dialog.reason.setPlainText("批号 240312 抽检不合格")
    dialog.reported["manufacturer"].setChecked(True)
    dialog.reported["drug_authority"].setChecked(True)
    dialog.others.setText("市药品不良反应监测中心、省药监局")
    dialog.suspend_button.click()

    assert _stored(ctx, pid) == (date(2025, 9, 1), "批号 240312 抽检不合格",
                                 ["manufacturer", "drug_authority", "市药品不良反应监测中心", "省药监局"],
                                 ["product.suspend"])
    assert dialog.message.text() == "已登记暂停使用。"
    assert dialog.state.text() == ("当前：自 2025-09-01 起暂停使用。原因：批号 240312 抽检不合格。"
                                   "已报告给：生产企业、药品监督管理部门、市药品不良反应监测中心、省药监局。")
    assert dialog.lift_button.isEnabled() and dialog.suspend_button.text() == "保存修改"
    assert page.detail.suspension.text() == "2025-09-01 起停用：批号 240312 抽检不合格"
    cell = _name_cell(page, pid)
    assert cell.data() == MARK + NAME
    assert cell.data(Qt.ItemDataRole.ForegroundRole).color().name() == "#b3261e"


def test_r17_reason_is_required(page, product, ctx):
    """GIVEN the dialog WHEN 暂停使用 is clicked with an empty reason THEN the service's message shows in the
    dialog and nothing is stored."""
    pid, _ = product
    dialog = _open(page, pid)
    dialog.reason.setPlainText("   ")
    dialog.suspend_button.click()
    assert dialog.message.text() == "请填写暂停使用的原因"
    assert _stored(ctx, pid) == (None, None, [], [])


def test_r17_lifting_asks_first(page, product, ctx, monkeypatch):
    """GIVEN 暂停测试片 suspended since 2025-08-01 WHEN 恢复使用 is refused THEN it stays suspended; WHEN confirmed
    THEN the suspension is cleared (audited as product.unsuspend) and the marker is gone."""
    from hospital_app.services.management import suspend
    from ui.widgets import common

    pid, _ = product
    with ctx.db.session() as s:
        suspend(s, pid, date(2025, 8, 1), "不良反应：皮疹", ["health_authority"])
    page.refresh()
    assert _name_cell(page, pid).data() == MARK + NAME
    dialog = _open(page, pid)
    assert dialog.state.text() == "当前：自 2025-08-01 起暂停使用。原因：不良反应：皮疹。已报告给：卫生健康部门。"
    assert dialog.reported["health_authority"].isChecked() and not dialog.reported["manufacturer"].isChecked()

    asked = []
    monkeypatch.setattr(common, "ask", lambda *a: asked.append(a[2]) or False)
    dialog.lift_button.click()
    assert asked == [f"确定恢复使用“{NAME}”吗？恢复后该产品不再标记为暂停使用。"]
    assert _stored(ctx, pid)[0] == date(2025, 8, 1)

    monkeypatch.setattr(common, "ask", lambda *a: True)
    dialog.lift_button.click()
    assert _stored(ctx, pid) == (None, None, [], ["product.suspend", "product.unsuspend"])
    assert dialog.state.text() == "当前：正常使用（未暂停）。"
    assert not dialog.lift_button.isEnabled()
    assert page.detail.suspension.text() == "未停用"
    assert _name_cell(page, pid).data() == NAME


def test_r17_marker_on_purchases_and_issues_pages(make_page, product, ctx, qtbot):
    """GIVEN 暂停测试片 suspended on 2025-09-01 (before today 2025-09-15) WHEN the purchases page shows its two
    purchases and the issues page its issue THEN the product name is preceded by ［暂停］ in red on every row; GIVEN
    a suspension dated 2025-10-01 (after today) THEN no marker yet (as of d)."""
    from hospital_app.services.management import suspend
    from ui.pages.issues import IssuesPage
    from ui.pages.purchases import PurchasesPage

    pid, _ = product
    with ctx.db.session() as s:
        suspend(s, pid, date(2025, 9, 1), "质量风险", [])
    purchases = make_page(PurchasesPage)
    purchases.date_from.setDate(QDate(2025, 1, 1))
    purchases.show_product(pid)
    qtbot.waitUntil(lambda: purchases.model.complete)
    assert purchases.model.rowCount() == 2
    names = [purchases.model.index(r, 3).data() for r in range(2)]
    assert names == [MARK + NAME, MARK + NAME]
    assert purchases.model.index(0, 3).data(Qt.ItemDataRole.ForegroundRole).color().name() == "#b3261e"
    assert purchases.model.index(0, 3).data(Qt.ItemDataRole.ToolTipRole) == "该产品自 2025-09-01 起暂停使用"

    issues = make_page(IssuesPage)
    [mine] = [v for v in issues.issues if v.product_id == pid]
    row = next(r for r in range(issues.model.rowCount()) if issues.model.item(r, 0).text() == str(mine.id))
    assert issues.model.item(row, 1).text() == f"{MARK}{NAME} 10mg"
    issues.select_issue(mine.id)
    assert issues.heading.text().startswith(f"#{mine.id}  {MARK}{NAME} 10mg — ")

    with ctx.db.session() as s:
        suspend(s, pid, date(2025, 10, 1), "质量风险", [])
    issues.refresh()
    row = next(r for r in range(issues.model.rowCount()) if issues.model.item(r, 0).text() == str(mine.id))
    assert issues.model.item(row, 1).text() == f"{NAME} 10mg"


def test_r11_cheaper_equal_quality_mark_on_a_non_selected_product(make_page, product, ctx):
    """GIVEN the adjustments editor WHEN non-selected 价低替代片 is chosen THEN 价低且同等质量 can be set (stored)
    and cleared, with the plain explanation beside it; WHEN selected 暂停测试片 is chosen THEN the mark is not
    offered (R11 v2: only non-selected or substitute products are outside the assessment)."""
    from hospital_app.services.lookups import product_marks
    from ui.pages.settings import SettingsPage

    pid, cheap = product
    page = make_page(SettingsPage, 1200, 800)
    page.tabs.setCurrentWidget(page.adjustments_tab)
    adj = page.adjustments
    box = adj.mark_boxes["cheaper_equal_quality"]
    assert "非中选产品" in adj.mark_help.text() and "不计入考核" in adj.mark_help.text()
    assert box.toolTip() == adj.mark_help.text()

    adj.mark_product.search.setText("价低替代片")
    assert adj.mark_product.product_id() == cheap
    assert box.isEnabled() and not box.isChecked()
    box.click()
    with ctx.db.session() as s:
        assert product_marks(s, cheap)["cheaper_equal_quality"] is True
    assert box.isChecked()
    box.click()
    with ctx.db.session() as s:
        assert product_marks(s, cheap)["cheaper_equal_quality"] is False

    adj.mark_product.search.setText(NAME)
    assert adj.mark_product.product_id() == pid
    assert not box.isEnabled() and not box.isChecked()
    assert adj.mark_boxes["shortage"].isEnabled()


def test_suspension_dialog_is_english(product, english, main_window, qtbot, data_values):  # noqa: F811
    """GIVEN lang=en WHEN the suspension dialog is opened on a suspended product THEN it shows no Chinese except
    data (the product, its reason and the recipients typed in)."""
    from hospital_app.services.management import suspend

    pid, _ = product
    with main_window.ctx.db.session() as s:
        suspend(s, pid, date(2025, 9, 1), "批号 240312 抽检不合格", ["manufacturer"], reported_other=["省药监局"])
    main_window.show()
    products = main_window.show_page("products")
    dialog = _open(products, pid)
    qtbot.addWidget(dialog)
    values = sorted(set(data_values) | {"批号 240312 抽检不合格", "省药监局"}, key=len, reverse=True)
    assert not _problems(dialog, values, "suspension dialog")
    assert "Suspended since 2025-09-01" in dialog.state.text()
