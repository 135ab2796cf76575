"""Change notifications (issue 20, Anki's OpChanges): a change made anywhere reaches every page that shows
what it touched, without naming topics and without a restart — one test per page."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select

from tests.ui.conftest import AS_OF


def _file_issue(ctx, product_id: int, reported: datetime, purchase_ids=()):
    """File an issue (and link purchases, reported to the bureau and confirmed by it the same
    day, as R11 v2 requires for them to be excused) through ctx.change, as a dialog elsewhere
    would (no topics named)."""
    from hospital_app.services import supply_issues as si

    def work(session):
        view = si.add_issue(session, product_id, "shortage", reported, as_of=AS_OF)
        if purchase_ids:
            si.link_purchases(session, view.id, list(purchase_ids))
            si.report_to_bureau(session, view.id, reported)
            si.confirm_by_bureau(session, view.id, reported)
        return view.id

    got = []
    ctx.change(work, got.append)
    return got[0]


def _nonselected_case(db):
    """A selected product with a non-selected share, and the non-selected purchases of its generic name in
    its current period up to the as-of day."""
    from db import models as m
    from hospital_app.services.progress import compute_progress

    with db.session() as s:
        row = max((r for r in compute_progress(s, AS_OF).rows if r.share_nonselected),
                  key=lambda r: r.share_nonselected)
        ids = s.scalars(select(m.Purchase.id).join(m.Product, m.Product.id == m.Purchase.product_id).where(
            m.Product.selected.is_(False), m.Product.generic_name_norm == row.generic_name_norm,
            m.Purchase.purchase_date >= row.period_start, m.Purchase.purchase_date <= AS_OF)).all()
    return row, ids


def test_products_page_share_follows_linked_purchases(make_page, ctx, filled_db):
    """R9/R11: GIVEN the products page showing a product's non-selected share WHEN an issue filed, reported
    and confirmed at the start of its period links the non-selected purchases (elsewhere, through ctx.change)
    THEN the page's share falls at once to what the progress service now computes."""
    from hospital_app.services.progress import compute_progress
    from ui.pages.products import ProductsPage

    page = make_page(ProductsPage)
    row, purchase_ids = _nonselected_case(filled_db)
    shown = {r.product_id: r for r in page.model.rows}
    before = shown[row.product_id].nonselected_share
    assert before > 0 and purchase_ids

    _file_issue(ctx, row.product_id, datetime.combine(row.period_start, datetime.min.time()), purchase_ids)

    with filled_db.session() as s:
        now = next(r for r in compute_progress(s, AS_OF).rows if r.product_id == row.product_id)
    after = {r.product_id: r for r in page.model.rows}[row.product_id].nonselected_share
    assert after == now.nonselected_share < before


def test_dashboard_counts_a_new_issue(make_page, ctx, filled_db):
    """R3: GIVEN the dashboard WHEN an issue is filed elsewhere THEN its open-issue card counts one more."""
    from ui.pages.dashboard import DashboardPage

    page = make_page(DashboardPage)
    before = int(page.issue_number.text())
    _file_issue(ctx, _any_selected(filled_db), datetime(2025, 9, 12, 9))
    assert int(page.issue_number.text()) == before + 1


def _any_selected(db) -> int:
    from db import models as m

    with db.session() as s:
        return s.scalars(select(m.Product.id).where(m.Product.selected.is_(True)).order_by(m.Product.id)).first()


def test_today_page_lists_a_new_overdue_reply(make_page, ctx, filled_db):
    """R3 + R2: GIVEN 今日待办 WHEN an issue reported on Mon 2025-09-01 (reply due Wed 09-03) with no reply is
    filed elsewhere THEN 答复催办 lists it."""
    from ui.pages.today import TodayPage

    page = make_page(TodayPage)
    issue_id = _file_issue(ctx, _any_selected(filled_db), datetime(2025, 9, 1, 10))
    chase = next(g for g in page.groups if g.key == "chase_reply")
    assert any(i.issue_id == issue_id and i.due.isoformat() == "2025-09-03" for i in chase.items)


def test_issues_page_lists_a_new_issue(make_page, ctx, filled_db):
    """R3: GIVEN the issues page WHEN an issue is filed elsewhere THEN the page can select it."""
    from ui.pages.issues import IssuesPage

    page = make_page(IssuesPage)
    issue_id = _file_issue(ctx, _any_selected(filled_db), datetime(2025, 9, 12, 9))
    assert page.select_issue(issue_id)


def test_purchases_page_shows_a_new_purchase(make_page, ctx, filled_db):
    """GIVEN the purchases page WHEN a purchase line is written elsewhere THEN the page counts one more line."""
    from db import models as m
    from ui.pages.purchases import PurchasesPage

    page = make_page(PurchasesPage)
    with filled_db.session() as s:
        total = s.scalar(select(func.count(m.Purchase.id)))
    product_id = _any_selected(filled_db)

    def add(session):
        session.add(m.Purchase(product_id=product_id, dedup_key="new-line", purchase_date=AS_OF, quantity=10))

    ctx.change(add)
    assert page.count_label.text() == f"共 {total + 1:,} 条采购记录"


def test_settings_page_shows_a_value_set_elsewhere(make_page, ctx):
    """GIVEN the settings page WHEN a policy value is set elsewhere THEN its editor shows the new value."""
    from hospital_app import settings as registry
    from ui.pages.settings import SettingsPage

    page = make_page(SettingsPage)
    ctx.change(lambda s: registry.set_value(s, "r9_share_threshold", "0.25"))
    editor = page.findChild(object, "setting_r9_share_threshold")
    assert "0.25" in (editor.text() if hasattr(editor, "text") else str(editor.value()))
