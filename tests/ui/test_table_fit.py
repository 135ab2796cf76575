"""Main tables fit a 1366×768 window without a horizontal scroll bar, in Chinese and in English
(issue 20 §2): long text columns share the width and elide (full text on hover), English titles wrap
onto two lines, and the columns left out at first come back from the header's context menu."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QSettings

from ui.widgets.table_fit import ColumnChooser

#: page name → the object name of its main table
MAIN_TABLES = {"products": "progressTable", "purchases": "purchasesTable", "issues": "issueTable",
               "volumes": "volumeTable", "suppliers": "supplierTable", "retention": "retentionTable"}


def _table(page, name):
    from PySide6.QtWidgets import QTableView

    return page.findChild(QTableView, name)


def _no_horizontal_scrolling(main_window, qtbot) -> list[str]:
    main_window.show()
    main_window.resize(1366, 768)
    wide = []
    for page_name, table_name in MAIN_TABLES.items():
        page = main_window.show_page(page_name)
        qtbot.wait(20)
        table = _table(page, table_name)
        header = table.horizontalHeader()
        visible = [c for c in range(header.count()) if not header.isSectionHidden(c)]
        right = max(header.sectionViewportPosition(c) + header.sectionSize(c) for c in visible)
        if table.horizontalScrollBar().maximum() > 0 or right > table.viewport().width():
            wide.append(f"{page_name}: columns end at {right}, viewport {table.viewport().width()}")
    return wide


@pytest.fixture(autouse=True)
def app_font(qapp):
    """The font the app itself uses (ui/app.py registers the shipped CJK font at start-up)."""
    from ui.app import register_cjk_font

    font = qapp.font()
    register_cjk_font(qapp)
    yield
    qapp.setFont(font)


def test_main_tables_fit_1366_in_chinese(main_window, qtbot):
    """GIVEN the Chinese window at 1366×768 on demo data WHEN the products, purchases, issues, volume
    check, suppliers and surplus retention pages show THEN no main table needs a horizontal scroll bar:
    its last visible column ends inside the viewport."""
    assert _no_horizontal_scrolling(main_window, qtbot) == []


def test_main_tables_fit_1366_in_english(main_window, qtbot, qapp):
    """GIVEN the English window (longer titles, wrapped onto two lines) at 1366×768 WHEN the same pages
    show THEN no main table needs a horizontal scroll bar either."""
    from ui.app import install_translator

    assert install_translator(qapp, "en")
    try:
        from ui.app import create_main_window

        window = create_main_window(main_window.ctx.db_location, main_window.ctx.as_of, "en",
                                    db=main_window.ctx.db)
        qtbot.addWidget(window)
        assert _no_horizontal_scrolling(window, qtbot) == []
        header = window.show_page("products").table.horizontalHeader()
        assert header.height() > 2 * header.fontMetrics().height(), "multi-word titles wrap onto two lines"
    finally:
        install_translator(qapp, "zh")


def test_products_hidden_columns_come_back_from_the_header_menu(main_window, qtbot):
    """GIVEN the products page WHEN it first shows THEN purchased, target to date, agreed volume,
    manufacturer and batch are hidden (they are in the detail pane); WHEN 生产企业 is ticked in the header's
    menu THEN the column shows, and a new window remembers the choice (QSettings)."""
    page = main_window.show_page("products")
    cols = page.model.COLUMNS
    hidden = {cols[c] for c in range(len(cols)) if page.table.isColumnHidden(c)}
    assert hidden == {"purchased", "target_to_date", "agreed_volume", "manufacturer", "batch"}
    menu = page.columns.menu()
    action = next(a for a in menu.actions() if a.text() == "生产企业")
    assert not action.isChecked()
    action.setChecked(True)
    assert not page.table.isColumnHidden(cols.index("manufacturer"))
    again = ColumnChooser(page.table, page.model.headers(), [cols.index("manufacturer")])
    assert cols.index("manufacturer") not in again.hidden()
    assert QSettings().value("columns/progressTable/hidden") is not None


@pytest.mark.parametrize("text, room, tip", [("很长的生产企业名称有限公司", 20, True), ("短", 400, False)])
def test_an_elided_cell_shows_its_whole_text_on_hover(qtbot, text, room, tip):
    """GIVEN a table whose elastic column is ``room`` px wide WHEN the mouse rests on the cell THEN its
    whole text is the tooltip exactly when the text does not fit."""
    from PySide6.QtCore import QEvent, QPoint
    from PySide6.QtGui import QHelpEvent
    from PySide6.QtWidgets import QTableWidget, QTableWidgetItem, QToolTip

    from ui.widgets.table_fit import fit_width

    table = QTableWidget(1, 2)
    qtbot.addWidget(table)
    table.setItem(0, 0, QTableWidgetItem("编号"))
    table.setItem(0, 1, QTableWidgetItem(text))
    fit_width(table, (1,), minimum=10)
    table.resize(table.columnWidth(0) + room + table.verticalHeader().width() + 4, 120)
    table.show()
    qtbot.waitExposed(table)
    QToolTip.hideText()
    rect = table.visualRect(table.model().index(0, 1))
    event = QHelpEvent(QEvent.Type.ToolTip, rect.center(), table.viewport().mapToGlobal(rect.center()))
    table._elided_tips.eventFilter(table.viewport(), event)
    assert (QToolTip.text() == text) == tip
    QToolTip.hideText()


def test_a_page_scrolls_only_below_its_minimum_size(qtbot):
    """GIVEN a page with a word-wrapped label and a part preferring 2000 px but needing 100 px, in the main
    window's scroll area 600 px high WHEN it is shown THEN it fills the viewport without a vertical scroll
    bar (before, QScrollArea asked for the preferred height); GIVEN a viewport lower than its minimum THEN
    it scrolls."""
    from PySide6.QtCore import QSize
    from PySide6.QtWidgets import QFrame, QLabel, QScrollArea, QVBoxLayout, QWidget

    from ui.main_window import _PageHolder

    class Tall(QFrame):
        def sizeHint(self):  # noqa: N802
            return QSize(100, 2000)

        def minimumSizeHint(self):  # noqa: N802
            return QSize(100, 100)

    page = QWidget()
    layout = QVBoxLayout(page)
    label = QLabel("说明 " * 40)
    label.setWordWrap(True)
    layout.addWidget(label)
    layout.addWidget(Tall(), 1)
    area = QScrollArea()
    qtbot.addWidget(area)
    area.setWidgetResizable(True)
    area.setWidget(_PageHolder(page))
    area.resize(800, 600)
    area.show()
    qtbot.waitExposed(area)
    assert not area.verticalScrollBar().isVisible()
    assert page.height() == area.viewport().height()
    area.resize(800, 120)
    qtbot.wait(20)
    assert area.verticalScrollBar().isVisible()
