"""Import wizard end to end on the shared sample file (issue 9, part 6; IMPORT.md)."""

from __future__ import annotations

import shutil

import pytest
from PySide6.QtWidgets import QWizard

from tests.conftest import SAMPLES

SAMPLE = SAMPLES / "platform_purchases_2023-09_2025-08.xlsx"


@pytest.fixture
def wizard(qtbot, db, db_path):
    from ui.app_context import AppContext
    from ui.import_wizard import ImportWizard
    from tests.ui.conftest import AS_OF

    ctx = AppContext(str(db_path), AS_OF, "zh", db=db)
    wiz = ImportWizard(ctx)
    qtbot.addWidget(wiz)
    wiz.show()
    return wiz


def _count(db, model):
    from sqlalchemy import func, select

    with db.session() as s:
        return s.scalar(select(func.count()).select_from(model))


def _go_to_mapping(wizard, path):
    wizard.file_page.path.setText(str(path))
    assert wizard.file_page.isComplete()
    wizard.next()  # → preview
    assert wizard.currentPage() is wizard.preview_page
    wizard.next()  # → mapping
    assert wizard.currentPage() is wizard.mapping_page


def test_preview_detects_sheet_and_header(wizard):
    """GIVEN the platform export WHEN chosen THEN the wizard shows sheet 采购明细, header row 4 and rows."""
    wizard.file_page.path.setText(str(SAMPLE))
    wizard.next()
    assert wizard.preview_page.sheet.currentData() == "采购明细"
    assert "第 4 行" in wizard.preview_page.info.text()
    table = wizard.preview_page.table
    assert table.horizontalHeaderItem(0).text() == "订单编号" and table.rowCount() > 0


def test_mapping_is_prefilled_from_synonyms(wizard):
    """GIVEN the sample WHEN the mapping page opens THEN 采购数量 → quantity and 验收日期 → purchase_date
    are chosen already, and the page is complete (all required fields present)."""
    _go_to_mapping(wizard, SAMPLE)
    page = wizard.mapping_page
    assert page.combos["quantity"].currentText() == "采购数量"
    assert page.combos["purchase_date"].currentText() == "验收日期"
    assert page.isComplete()


def test_either_or_fields_are_labelled_as_such(wizard):
    """GIVEN purchases (code or generic name; purchase date or order time) WHEN the mapping page
    opens THEN those fields say which other one can stand in, and either one is enough."""
    _go_to_mapping(wizard, SAMPLE)
    page = wizard.mapping_page
    label = page.form.labelForField(page.combos["product_code"]).text()
    assert label == "药品编码 *（或通用名）"
    assert page.form.labelForField(page.combos["quantity"]).text() == "采购数量 *"
    page.combos["product_code"].setCurrentIndex(0)
    page.combos["order_time"].setCurrentIndex(0)
    assert page.isComplete()
    page.combos["generic_name"].setCurrentIndex(0)
    assert not page.isComplete()


def test_unmapping_a_required_column_blocks_next(wizard):
    """GIVEN the mapping page WHEN 采购数量 is set to （不导入） THEN the page names the missing column
    and cannot go on."""
    _go_to_mapping(wizard, SAMPLE)
    page = wizard.mapping_page
    page.combos["quantity"].setCurrentIndex(0)
    assert not page.isComplete()
    assert "采购数量" in page.missing.text()


def test_save_and_apply_a_preset(wizard, db):
    """GIVEN a changed mapping WHEN saved as preset 平台导出 THEN it is stored, listed, and choosing it
    again restores the columns."""
    _go_to_mapping(wizard, SAMPLE)
    page = wizard.mapping_page
    page.combos["amount"].setCurrentIndex(0)  # do not import the amount
    page.preset_name.setText("平台导出")
    page.save_preset()
    assert page.preset.findData("平台导出") > 0
    page.combos["amount"].setCurrentIndex(page.combos["amount"].findData("采购金额"))
    page._apply_preset(page.preset.findData("平台导出"))
    assert page.combos["amount"].currentData() == "-"


def test_import_end_to_end_then_again_changes_nothing(wizard, qtbot, db):
    """GIVEN an empty database WHEN the sample goes through dry run and import THEN purchases are written,
    the summary counts them; a second import of the same file inserts nothing (IMPORT.md idempotency)."""
    from db.models import Purchase

    _go_to_mapping(wizard, SAMPLE)
    wizard.next()  # → dry run
    dry = wizard.dry_run_page
    assert dry.problems == [], [p.message for p in dry.problems[:3]]
    assert dry.isComplete() and "检查通过" in dry.summary.text()
    assert _count(db, Purchase) == 0  # the dry run wrote nothing
    wizard.next()  # → import
    result = wizard.import_page.result
    assert result is not None and result.inserted > 0
    assert _count(db, Purchase) == result.inserted
    assert "新增" in wizard.import_page.summary.text()
    assert wizard.button(QWizard.WizardButton.FinishButton).isEnabled()

    wizard.restart()
    _go_to_mapping(wizard, SAMPLE)
    wizard.next()
    wizard.next()
    assert wizard.import_page.result.inserted == 0
    assert _count(db, Purchase) == result.inserted


def test_bad_rows_are_listed_and_nothing_is_written(wizard, tmp_path, db):
    """GIVEN a copy of the sample with a non-numeric quantity in one row WHEN checked THEN the dry run
    lists that row, cannot go on, clicking the error shows the row, and nothing was written."""
    import openpyxl

    from db.models import Purchase

    bad = tmp_path / "bad.xlsx"
    shutil.copyfile(SAMPLE, bad)
    wb = openpyxl.load_workbook(bad)
    ws = wb["采购明细"]
    header = [c.value for c in ws[4]]
    ws.cell(row=7, column=header.index("采购数量") + 1, value="三盒")
    wb.save(bad)

    _go_to_mapping(wizard, bad)
    wizard.next()
    page = wizard.dry_run_page
    assert page.problems and any(p.row == 7 for p in page.problems)
    assert not page.isComplete()
    assert "没有写入" in page.summary.text()
    index = next(i for i, p in enumerate(page.problems) if p.row == 7)
    page.errors.cellClicked.emit(index, 0)
    assert "第 7 行" in page.row_view.text() and "三盒" in page.row_view.text()
    assert _count(db, Purchase) == 0


def test_file_page_refuses_other_files(wizard, tmp_path):
    """GIVEN a .txt file WHEN typed in THEN the wizard does not go on."""
    txt = tmp_path / "notes.txt"
    txt.write_text("x")
    wizard.file_page.path.setText(str(txt))
    assert not wizard.file_page.isComplete()


def test_main_window_opens_the_wizard_on_a_dropped_file(main_window):
    """GIVEN the main window WHEN asked to import a file THEN the wizard opens with that file filled in."""
    wiz = main_window.open_import_wizard(str(SAMPLE))
    try:
        assert wiz.file_page.path.text() == str(SAMPLE)
        assert wiz.isVisible()
    finally:
        wiz.reject()


def test_summary_lists_the_import_warnings(wizard, tmp_path, db):
    """GIVEN 第九批国家集采 executing 2024-09-20 … 2025-09-19 (imported before) WHEN a products list
    whose row 3 has a period from 2024-06-01 to 2025-12-31 goes through the wizard THEN the import
    succeeds and its summary page lists both warnings (stored dates kept) with row and column;
    an import without warnings shows no warning list (IMPORT.md, R8 execution dates)."""
    from datetime import datetime

    from hospital_app.services.importing import import_file
    from tests.services.test_import_realities import PRODUCT_HEADER, xlsx

    def line(code, start, end):
        return [1, "第九批国家集采", code, f"药品{code}", "片剂", "20mg", 14, "片", "齐鲁制药有限公司", 3.26, 840,
                start, end]

    first = xlsx(tmp_path / "p.xlsx", {"中选": [PRODUCT_HEADER, line("A1", datetime(2024, 9, 20),
                                                                       datetime(2025, 9, 19))]})
    with db.session() as s:
        assert import_file(s, "products", first).warnings == []
    second = xlsx(tmp_path / "q.xlsx", {"中选": [PRODUCT_HEADER,
                                                line("A1", datetime(2024, 9, 20), datetime(2025, 9, 19)),
                                                line("A2", datetime(2024, 6, 1), datetime(2025, 12, 31))]})

    wizard.file_page.kind.setCurrentIndex(wizard.file_page.kind.findData("products"))
    _go_to_mapping(wizard, second)
    wizard.next()  # → dry run
    assert wizard.dry_run_page.isComplete(), [p.message for p in wizard.dry_run_page.problems]
    wizard.next()  # → import
    page = wizard.import_page
    assert page.result is not None and page.result.inserted == 1
    table = page.warnings
    assert table.isVisible() and page.warning_note.isVisible() and "2 条提示" in page.warning_note.text()
    cells = [(table.item(r, 0).text(), table.item(r, 1).text()) for r in range(table.rowCount())]
    assert cells == [("3", "执行开始日期"), ("3", "执行结束日期")]
    assert "已保留" in table.item(0, 2).text() and "2024-06-01" in table.item(0, 2).text()

    wizard.restart()  # the first file again: its dates agree with the stored ones
    wizard.file_page.kind.setCurrentIndex(wizard.file_page.kind.findData("products"))
    _go_to_mapping(wizard, first)
    wizard.next()
    wizard.next()
    assert wizard.import_page.result.warnings == []
    assert not wizard.import_page.warnings.isVisible() and not wizard.import_page.warning_note.isVisible()
