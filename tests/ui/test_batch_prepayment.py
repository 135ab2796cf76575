"""Issue 17 item 3 (R15): the batch editor's 医保预付款 section, through the widgets."""

from __future__ import annotations

from datetime import date

import pytest

NAME = "预付界面批"


@pytest.fixture
def dialog(qtbot, ctx):
    """The batch editor opened on drug batch 预付界面批 (cycle 2024-03-01..2026-02-28), its one product at
    0.5000 元 with year 1 = 2024-03-01..2025-02-28 (V = 100 000, 40 000 bought) and year 2 =
    2025-03-01..2026-02-28 (V = 100 000, nothing bought); one more purchase after the 计算日期 2025-09-15."""
    from db.models import Batch
    from tests.services import monitoring_data as md
    from ui.dialogs.batch_dialog import BatchEditorDialog

    with ctx.db.session() as s:
        b = Batch(name=NAME, kind="drug", execution_start=date(2024, 3, 1), cycle_end=date(2026, 2, 28))
        s.add(b)
        s.flush()
        p = md.product(s, b, generic="预付界面片", spec="10mg", price="0.5000")
        md.period(s, p, start=date(2024, 3, 1), end=date(2025, 2, 28), volume=100000, year_index=1)
        md.period(s, p, start=date(2025, 3, 1), end=date(2026, 2, 28), volume=100000, year_index=2)
        md.buy(s, p, date(2024, 6, 1), 30000)
        md.buy(s, p, date(2025, 1, 20), 10000)
        md.buy(s, p, date(2025, 10, 1), 50000)  # after the 计算日期
    d = BatchEditorDialog(ctx, batch=NAME)
    qtbot.addWidget(d)
    d.show()
    return d


def _row(table, r: int) -> list[str]:
    return [table.item(r, c).text() for c in range(table.columnCount())]


def test_r15_batch_editor_shows_the_prepayment_per_year(dialog):
    """R15: GIVEN year 1 agreed 100 000 × 0.5 = 50 000.00 元 with 40 % bought and year 2 with nothing bought
    WHEN the editor shows the batch as of 2025-09-15 THEN year 1: 50 % → 25,000.00 元 prepaid, 10,000.00 元
    offset, 15,000.00 元 outstanding; year 2: 25,000.00 元 prepaid, 0.00 元 offset, 25,000.00 元 outstanding;
    both recovered by 2026-02-28 + 2 months = 2026-04-28; the rate box shows 50 % (drug default)."""
    panel = dialog.prepayment
    assert panel.table.rowCount() == 2
    assert _row(panel.table, 0) == ["第 1 年", "2024-03-01 至 2025-02-28", "50,000.00 元", "50 %", "25,000.00 元",
                                    "10,000.00 元", "15,000.00 元", "2026-04-28"]
    assert _row(panel.table, 1) == ["第 2 年", "2025-03-01 至 2026-02-28", "50,000.00 元", "50 %", "25,000.00 元",
                                    "0.00 元", "25,000.00 元", "2026-04-28"]
    assert "2025-09-15" in panel.note.text()
    assert panel.rate.value() == 50.0 and "药品默认" in panel.rate_info.text()
    assert not panel.reset_button.isEnabled()


def test_r15_batch_editor_overrides_and_resets_the_rate(dialog, ctx):
    """R15 per-batch rate: GIVEN the batch WHEN 30 % is saved THEN the batch stores r15_prepay_rate_drug = 0.3
    (the batch-policy override) and year 1 shows 15,000.00 元 prepaid, 6,000.00 元 offset, 9,000.00 元
    outstanding with the default 50 % named; WHEN 恢复默认比例 is clicked THEN the override is gone and
    year 1 shows 25,000.00 元 again."""
    from hospital_app.services.management import batch_policies

    panel = dialog.prepayment
    panel.rate.setValue(30)
    panel.save_button.click()
    assert _row(panel.table, 0)[3:7] == ["30 %", "15,000.00 元", "6,000.00 元", "9,000.00 元"]
    assert "50 %" in panel.rate_info.text() and panel.reset_button.isEnabled()
    with ctx.db.session() as s:
        from db.models import Batch
        from sqlalchemy import select

        assert s.scalar(select(Batch).where(Batch.name == NAME)).policy_overrides == {"r15_prepay_rate_drug": "0.3"}
    panel.reset_button.click()
    assert _row(panel.table, 0)[3:5] == ["50 %", "25,000.00 元"]
    with ctx.db.session() as s:
        assert str(batch_policies(s, NAME)["r15_prepay_rate_drug"]) == "0.50"
    assert not panel.reset_button.isEnabled()


@pytest.fixture
def english(qapp):
    from ui.app import install_translator

    assert install_translator(qapp, "en"), "resources/translations/hospital_app_en.qm must load"
    yield
    install_translator(qapp, "zh")  # later tests expect the Chinese source strings


def test_r15_prepayment_section_in_english(english, dialog):
    """R15 in the English UI: GIVEN the batch WHEN the editor shows it THEN the section's title, headers, note,
    buttons, rate text and cells carry no Chinese, and money reads "CNY 25,000.00"."""
    import re

    panel = dialog.prepayment
    table = panel.table
    texts = [panel.title(), panel.note.text(), panel.rate_info.text(), panel.save_button.text(),
             panel.reset_button.text(), *(table.horizontalHeaderItem(c).text() for c in range(table.columnCount())),
             *_row(table, 0), *_row(table, 1)]
    assert [t for t in texts if re.search(r"[\u4e00-\u9fff]", t)] == []
    assert _row(table, 0)[:5] == ["Year 1", "2024-03-01 to 2025-02-28", "CNY 50,000.00", "50 %", "CNY 25,000.00"]
    assert panel.title() == "Insurance prepayment" and "drug" in panel.rate_info.text()
