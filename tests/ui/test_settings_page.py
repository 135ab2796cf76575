"""Settings page: policy values round trip, the calendar editor (R1) moving supply-issue
dues (R2/R3), adjustments (R10/R11), database test, backup/restore, language."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import pytest
from PySide6.QtCore import QSettings

from ui import worker
from ui.widgets import common


@pytest.fixture
def page(make_page):
    from ui.pages.settings import SettingsPage

    return make_page(SettingsPage, 1200, 800)


def _stored(ctx, key):
    from hospital_app import settings

    with ctx.db.session() as s:
        return settings.get(s, key)


def _calendar(page):
    page.tabs.setCurrentWidget(page.calendar_tab)
    return page.calendar


# ------------------------------------------------------------------ policies


def test_every_registered_setting_has_an_editor_and_its_default(page):
    """GIVEN the settings registry WHEN the page opens THEN every value (but the language, on its own tab)
    has an editor, its DOMAIN.md default and a reset button."""
    from hospital_app.settings import REGISTRY

    for key, d in REGISTRY.items():
        if key == "ui_language":
            continue
        assert key in page.editors, key
        assert page.default_labels[key].text()
    assert page.default_labels["r9_share_threshold"].text() == "0.30"
    assert page.default_labels["r12_cluster_factor"].text() == "2"


def test_settings_round_trip(page, ctx, qtbot):
    """GIVEN the settings page WHEN the hospital name and the R9 threshold are changed and saved
    THEN they are stored, and a freshly opened page shows them."""
    page.editors["hospital.name"].setText("测试市人民医院")
    page.editors["r9_share_threshold"].setText("0.25")
    page.editors["r6_renewal_alignment"].setChecked(True)
    page.save_button.click()
    assert _stored(ctx, "hospital.name") == "测试市人民医院"
    assert _stored(ctx, "r9_share_threshold") == Decimal("0.25")
    assert _stored(ctx, "r6_renewal_alignment") is True

    from ui.pages.settings import SettingsPage

    again = SettingsPage(ctx)
    qtbot.addWidget(again)
    again.refresh()
    assert again.editors["hospital.name"].text() == "测试市人民医院"
    assert again.editors["r9_share_threshold"].text() == "0.25"
    assert again.reset_buttons["r9_share_threshold"].isEnabled()


def test_an_invalid_value_stores_nothing(page, ctx):
    """GIVEN a valid and an out-of-range value (R9 share 1.5) WHEN saved together
    THEN a readable error is shown and neither is stored."""
    before = _stored(ctx, "hospital.code")
    page.editors["hospital.code"].setText("H999")
    page.editors["r9_share_threshold"].setText("1.5")
    page.save_button.click()
    assert worker.errors()
    assert "r9_share_threshold" in worker.describe_error(worker.errors()[-1])
    assert _stored(ctx, "hospital.code") == before
    assert _stored(ctx, "r9_share_threshold") == Decimal("0.30")


def test_reset_to_default_and_undo(page, ctx):
    """GIVEN a changed R12 factor WHEN 恢复默认 is clicked THEN the default 2 is back;
    WHEN 撤销 is clicked THEN the changed value returns."""
    page.editors["r12_cluster_factor"].setText("3")
    page.save_button.click()
    assert _stored(ctx, "r12_cluster_factor") == Decimal("3")
    page.reset_buttons["r12_cluster_factor"].click()
    assert _stored(ctx, "r12_cluster_factor") == Decimal("2")
    assert page.editors["r12_cluster_factor"].text() == "2"
    assert not page.reset_buttons["r12_cluster_factor"].isEnabled()
    page.undo_bar.button.click()
    assert _stored(ctx, "r12_cluster_factor") == Decimal("3")


# ------------------------------------------------------------------ calendar


def test_calendar_shows_official_holidays_and_makeup_days(page):
    """GIVEN 2025 WHEN the calendar tab opens THEN 10-01 is a statutory holiday and Sun 09-28 a make-up
    working day (R1), and there is no provisional banner."""
    cal = _calendar(page)
    cal.year.setValue(2025)
    assert cal.cells[date(2025, 10, 1)].kind == "holiday"
    assert cal.cells[date(2025, 9, 28)].kind == "makeup"
    assert not cal.banner.isVisibleTo(cal)
    cal.select_day(date(2025, 10, 1))
    assert "法定节假日" in cal.day_state.text() and "国庆" in cal.day_state.text()


def test_year_without_official_schedule_shows_a_banner(page):
    """GIVEN a year the library does not cover WHEN it is shown THEN a banner says it is provisional (R1)."""
    cal = _calendar(page)
    cal.year.setValue(2031)
    assert cal.banner.isVisibleTo(cal)
    assert "2031" in cal.banner.text()
    assert cal.cells[date(2031, 1, 6)].provisional


def test_changing_a_calendar_day_moves_an_issue_due(page, ctx, qtbot):
    """GIVEN an issue reported Mon 2025-06-09 10:00 (reply due Wed 06-11, R2) shown on the issues page
    WHEN Tue 06-10 is made a day off in the calendar editor
    THEN the issues page shows reply due Thu 06-12 at once; WHEN undone THEN 06-11 again."""
    from hospital_app.services import supply_issues
    from ui.pages.issues import IssuesPage

    with ctx.db.session() as s:
        product_id = next(p.id for p in __import__("hospital_app.services.lookups", fromlist=["x"])
                          .search_products(s, "", limit=20) if p.selected)
        issue_id = supply_issues.add_issue(s, product_id, "shortage", datetime(2025, 6, 9, 10, 0)).id
    issues = IssuesPage(ctx)
    qtbot.addWidget(issues)
    issues.show()
    issues.ensure_fresh()
    due = lambda: issues.proxy.index(issues.row_of(issue_id), issues.COL_REPLY_DUE).data()  # noqa: E731
    assert due() == "2025-06-11"

    cal = _calendar(page)
    cal.year.setValue(2025)
    cal.select_day(date(2025, 6, 10))
    cal.note.setText("全院停电检修")
    cal.holiday_button.click()
    assert cal.cells[date(2025, 6, 10)].kind == "user_holiday"
    assert due() == "2025-06-12"

    cal.undo_bar.button.click()
    assert cal.cells[date(2025, 6, 10)].kind == "workday"
    assert due() == "2025-06-11"


def test_make_a_weekend_a_working_day_and_clear_it(page, ctx):
    """GIVEN Sat 2025-06-14 WHEN it is set as a working day THEN it is a user correction with its note;
    WHEN the correction is cleared THEN it is a weekend again."""
    from hospital_app.services.calendar import load_calendar

    cal = _calendar(page)
    cal.year.setValue(2025)
    cal.select_day(date(2025, 6, 14))
    assert cal.workday_button.isEnabled() and not cal.clear_button.isEnabled()
    cal.note.setText("补班")
    cal.workday_button.click()
    cell = cal.cells[date(2025, 6, 14)]
    assert cell.kind == "user_workday" and cell.note == "补班"
    with ctx.db.session() as s:
        assert load_calendar(s).is_workday(date(2025, 6, 14))
    cal.select_day(date(2025, 6, 14))
    cal.clear_button.click()
    assert cal.cells[date(2025, 6, 14)].kind == "weekend"


# --------------------------------------------------------------- adjustments


def test_substitute_mapping_add_delete_with_confirmation_and_undo(page, ctx, monkeypatch):
    """GIVEN a selected generic name WHEN a substitute mapping is added THEN it is listed (R10);
    WHEN delete is refused THEN it stays; WHEN confirmed THEN it is gone; WHEN undone THEN it is back."""
    from hospital_app.services.lookups import search_products

    with ctx.db.session() as s:
        generic = next(p.generic_name for p in search_products(s, "", limit=20) if p.selected)
    page.tabs.setCurrentWidget(page.adjustments_tab)
    adj = page.adjustments
    adj.selected_generic.setText(generic)
    adj.substitute_generic.setText("测试替代药")
    adj.findChild(type(adj.remove_substitute_button), "addSubstitute").click()
    names = [m.substitute_generic for m in adj.substitutes]
    assert "测试替代药" in names
    adj.substitute_table.selectRow(names.index("测试替代药"))
    monkeypatch.setattr(common, "ask", lambda *a: False)
    adj.remove_substitute_button.click()
    assert "测试替代药" in [m.substitute_generic for m in adj.substitutes]
    monkeypatch.setattr(common, "ask", lambda *a: True)
    adj.remove_substitute_button.click()
    assert "测试替代药" not in [m.substitute_generic for m in adj.substitutes]
    adj.undo_bar.button.click()
    assert "测试替代药" in [m.substitute_generic for m in adj.substitutes]


def test_product_mark_toggle(page, ctx):
    """GIVEN a product WHEN its 短缺药品 mark is ticked THEN the product carries the mark (R11)."""
    from hospital_app.services.lookups import product_marks

    page.tabs.setCurrentWidget(page.adjustments_tab)
    adj = page.adjustments
    pid = adj.mark_product.product_id()
    assert pid is not None
    box = adj.mark_boxes["shortage"]
    box.click()
    with ctx.db.session() as s:
        assert product_marks(s, pid)["shortage"] is box.isChecked()


# ------------------------------------------------------------ database, backup


def test_connection_test_for_sqlite_paths(page, tmp_path, db_path):
    """GIVEN the database tab WHEN an existing database is tested THEN it connects and can be chosen
    (remembered for the next start); a folder that does not exist is refused."""
    page.sqlite_path.setText(str(db_path))
    page.test_button.click()
    assert page.last_check.ok and page.use_button.isEnabled()
    page.use_button.click()
    assert QSettings().value("database/location") == str(db_path)
    page.sqlite_path.setText(str(tmp_path / "no-such-dir" / "x.db"))
    assert not page.use_button.isEnabled()
    page.test_button.click()
    assert not page.last_check.ok and not page.use_button.isEnabled()


def test_connection_test_of_a_bad_postgres_url_is_a_message(page):
    """GIVEN a PostgreSQL URL nobody listens on WHEN tested THEN a readable failure, no crash."""
    page.use_postgres.setChecked(True)
    page.pg_url.setText("postgresql+psycopg://u:p@127.0.0.1:1/none")
    page.test_button.click()
    assert "连接失败" in page.check_result.text() or "无法" in page.check_result.text()
    assert not page.use_button.isEnabled()


def test_backup_then_restore_asks_and_brings_data_back(page, ctx, monkeypatch, tmp_path):
    """GIVEN a backup made from the page WHEN a setting changes and the backup is restored (confirmed)
    THEN the old value is back; a refused confirmation restores nothing."""
    target = tmp_path / "backup.zip"
    monkeypatch.setattr(common, "choose_save_file", lambda *a: str(target))
    page.backup_button.click()
    assert target.exists() and page.last_backup is not None
    before = _stored(ctx, "hospital.name")

    page.editors["hospital.name"].setText("恢复前的名称")
    page.save_button.click()
    monkeypatch.setattr(common, "choose_open_file", lambda *a: str(target))
    monkeypatch.setattr(common, "ask", lambda *a: False)
    page.restore_button.click()
    assert _stored(ctx, "hospital.name") == "恢复前的名称"
    monkeypatch.setattr(common, "ask", lambda *a: True)
    page.restore_button.click()
    assert _stored(ctx, "hospital.name") == before
    assert "恢复" in page.backup_result.text()


@pytest.fixture
def restore_chinese(qapp):
    yield
    from ui.app import install_translator

    install_translator(qapp, "zh")  # later tests expect the Chinese source strings


def test_language_switch_is_remembered(page, ctx, restore_chinese):
    """GIVEN Chinese WHEN English is applied THEN QSettings and the ui_language setting say en."""
    from hospital_app import i18n

    page.tabs.setCurrentIndex(4)
    page.language.setCurrentIndex(page.language.findData("en"))
    page.findChild(type(page.save_button), "applyLanguage").click()
    assert QSettings().value("ui/language") == "en"
    assert _stored(ctx, "ui_language") == "en"
    assert i18n.language() == "en"
