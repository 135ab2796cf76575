"""Reports page: the self-check report through the period picker, the progress workbook,
and the document history (the system viewer is stubbed)."""

from __future__ import annotations

from pathlib import Path

import pytest

from ui.widgets import common


@pytest.fixture
def page(make_page):
    from ui.pages.reports import ReportsPage

    return make_page(ReportsPage, 1100, 700)


def test_period_picker_builds_the_CLI_period_keys(page):
    """GIVEN the period picker WHEN month / quarter / year are chosen
    THEN the period text is 2025-06 / 2025Q2 / 2025 (CLI.md) and the label names the dates."""
    assert page.period() == "2025Q3"  # default: the quarter of the as-of date 2025-09-15
    page.set_period("month", 2025, 6)
    assert page.period() == "2025-06"
    assert "2025-06-01" in page.period_label.text() and "2025-06-30" in page.period_label.text()
    page.set_period("quarter", 2025, 2)
    assert page.period() == "2025Q2"
    page.set_period("year", 2024)
    assert page.period() == "2024" and not page.part.isVisibleTo(page)


def test_future_period_cannot_be_generated(page):
    """GIVEN as-of 2025-09-15 WHEN 2025Q4 is chosen THEN 生成 is disabled and the label says it has not started."""
    page.set_period("quarter", 2025, 4)
    assert not page.generate_button.isEnabled()
    assert "尚未开始" in page.period_label.text()


def test_generating_a_self_check_report_writes_opens_and_lists_it(page, opened):
    """GIVEN the demo data WHEN the Q2 2025 self-check is generated through the page
    THEN a PDF exists, the (stubbed) viewer was asked to open it, and the history lists it first."""
    page.set_period("quarter", 2025, 2)
    page.generate_button.click()
    assert len(opened) == 1
    pdf = Path(opened[0])
    assert pdf.exists() and pdf.read_bytes()[:4] == b"%PDF"
    assert page.documents and Path(page.documents[0].path) == pdf.resolve()
    assert page.table.item(0, 1).text() == "自查自纠报告"
    assert "2025Q2" in page.table.item(0, 2).text()


def test_reopening_a_document_from_the_history(page, opened):
    """GIVEN a generated report WHEN its history row is selected and 打开 clicked THEN it is opened again;
    a file deleted since is greyed and not opened."""
    page.set_period("month", 2025, 8)
    page.generate_button.click()
    page.table.selectRow(0)
    page.open_button.click()
    assert len(opened) == 2 and opened[0] == opened[1]
    Path(opened[0]).unlink()
    page.refresh()
    page.table.selectRow(0)
    assert not page.open_button.isEnabled()
    assert "文件已不存在" in page.table.item(0, 4).text()


def test_export_progress_workbook(page, opened, monkeypatch, tmp_path):
    """GIVEN the demo data WHEN 导出执行进度表 is clicked and a file chosen
    THEN an xlsx with one row per selected product is written and opened (R7/R8)."""
    from openpyxl import load_workbook

    target = tmp_path / "progress.xlsx"
    monkeypatch.setattr(common, "choose_save_file", lambda *a: str(target))
    page.progress_button.click()
    assert target.exists() and opened == [str(target)]
    ws = load_workbook(target).active
    assert ws.max_row > 2
    assert page.table.item(0, 1).text() == "执行进度表"
