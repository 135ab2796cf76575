"""Departments page (R21): departments × lagging products, sortable, detail and notice."""

from __future__ import annotations

from datetime import date

import pytest

from tests.services.test_departments import HEAD, LINES, _scene
from tests.services.import_helpers import xlsx

D = date(2025, 3, 31)


@pytest.fixture
def dept_window(qtbot, tmp_path):
    """The main window on the R21 test scene (tests/services/test_departments.py), as of 2025-03-31."""
    from db.session import open_database
    from hospital_app.services.importing import import_file
    from ui.app_context import AppContext
    from ui.main_window import MainWindow

    db = open_database(str(tmp_path / "dept.db"))
    with db.session() as s:
        _scene(s)
        import_file(s, "departments", xlsx(tmp_path / "his.xlsx", {"科室发药": [HEAD, *LINES]}), who="test")
    ctx = AppContext(str(tmp_path / "dept.db"), D, db=db)
    win = MainWindow(ctx)
    qtbot.addWidget(win)
    yield win
    db.dispose()


def _column(page, title):
    m = page.model
    return next(c for c in range(m.columnCount()) if m.horizontalHeaderItem(c).text() == title)


def test_r21_page_lists_departments_with_share_and_parts_sorted(dept_window):
    """GIVEN the scene WHEN the departments page shows THEN 4 departments sorted by shortfall part (心血管内科
    879 first), 内分泌科's non-selected share 100.0 %, a column per problem product with the parts
    (阿托伐他汀钙片: 879/293/195; 苯磺酸氨氯地平片: 普外科 37); sorting by non-selected share puts 内分泌科 first."""
    from PySide6.QtCore import Qt

    page = dept_window.show_page("departments")
    proxy = page.proxy
    names = [proxy.index(r, 0).data() for r in range(proxy.rowCount())]
    assert names == ["心血管内科", "内分泌科", "老年病科", "普外科"]
    share = {proxy.index(r, 0).data(): proxy.index(r, 1).data() for r in range(proxy.rowCount())}
    assert share["内分泌科"] == "100.0%" and share["老年病科"] == "0.0%"
    statin, amlo = _column(page, "阿托伐他汀钙片 20mg"), _column(page, "苯磺酸氨氯地平片 5mg")
    parts = {proxy.index(r, 0).data(): (proxy.index(r, statin).data(), proxy.index(r, amlo).data())
             for r in range(proxy.rowCount())}
    assert parts == {"心血管内科": ("879", ""), "内分泌科": ("293", ""), "老年病科": ("195", ""),
                     "普外科": ("", "37")}
    page.table.sortByColumn(1, Qt.SortOrder.DescendingOrder)
    assert proxy.index(0, 0).data() == "内分泌科"


def test_r21_page_detail_of_a_department(dept_window):
    """GIVEN the page WHEN 内分泌科 is shown THEN its detail lists 阿托伐他汀钙片 with part 293 and 1 200
    non-selected units, and the notice button is enabled."""
    page = dept_window.show_page("departments")
    page.show_department("内分泌科")
    m = page.detail_model
    assert m.rowCount() == 1
    assert [m.index(0, c).data() for c in (0, 2, 3, 4)] == ["阿托伐他汀钙片 20mg", "293", "1200", "100.0%"]
    assert page.notice_button.isEnabled()
