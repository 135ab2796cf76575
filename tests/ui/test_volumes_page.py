"""Volume report page (R13) driven through its real widgets, on the demo volume report."""

from __future__ import annotations

from pathlib import Path

import pytest

from ui import worker
from ui.widgets import common


@pytest.fixture
def page(make_page):
    from ui.pages.volumes import VolumesPage

    return make_page(VolumesPage, 1200, 750)


def _needing(page):
    return [r for r in page.rows if r.needs_explanation]


def _status_cell(page, line_id: int) -> str:
    return page.proxy.index(page.row_of(line_id), page.COL_STATUS).data()


def test_table_shows_baseline_reported_change_and_need(page):
    """GIVEN the demo volume report WHEN the page opens
    THEN every line is listed with baseline, reported and change, and lines beyond −20 % / +150 % need a note (R13)."""
    assert page.model.rowCount() == len(page.rows) > 0
    assert _needing(page), "the demo report has lines that need an explanation"
    for r in page.rows:
        row = page.row_of(r.line_id)
        assert page.proxy.index(row, page.COL_BASELINE).data() == r.baseline
        assert page.proxy.index(row, page.COL_REPORTED).data() == r.reported
        need = page.proxy.index(row, page.COL_NEED).data()
        assert bool(need) == r.needs_explanation
        if r.baseline > 0 and r.needs_explanation:
            change = (r.reported - r.baseline) / r.baseline
            assert change < -0.2 or change > 1.5


def test_needs_only_filter(page):
    """GIVEN lines with and without a needed note WHEN 只看需说明 is ticked THEN only the needing lines remain."""
    page.needs_only.setChecked(True)
    assert page.proxy.rowCount() == len(_needing(page))
    page.needs_only.setChecked(False)
    assert page.proxy.rowCount() == len(page.rows)


def test_line_within_thresholds_has_no_editor(page):
    """GIVEN a line within the thresholds WHEN it is selected THEN the editor says no note is needed (R13)."""
    fine = [r for r in page.rows if not r.needs_explanation]
    if not fine:
        pytest.skip("demo report has no line within the thresholds")
    page.select_line(fine[0].line_id)
    assert page.note is None
    assert "无需说明" in page.heading.text()
    assert not page.save_button.isEnabled()


def test_editing_a_note_recomposes_the_draft(page):
    """GIVEN a line that needs a note WHEN two reasons are ticked, a text typed and 保存 clicked
    THEN the stored note has those reasons and the draft names them; the table says 草稿."""
    line = _needing(page)[0]
    assert page.select_line(line.line_id)
    page.reason_boxes["clinical_feedback"].setChecked(True)
    page.reason_boxes["treatment_trend"].setChecked(True)
    page.free_text.setPlainText("心内科新开病区，用量增加")
    page.save_button.click()
    assert page.note.reasons == ["clinical_feedback", "treatment_trend"]
    assert page.note.status == "draft"
    assert "临床反馈" in page.draft.toPlainText()
    assert "心内科新开病区" in page.draft.toPlainText()
    assert _status_cell(page, line.line_id) == "草稿"


def test_note_shows_twelve_month_chart(page):
    """GIVEN a line that needs a note WHEN it is selected THEN the chart has the last 12 months (R13)."""
    line = _needing(page)[0]
    page.select_line(line.line_id)
    assert len(page.chart.labels) == 12
    assert page.chart.labels[-1] == "2025-08"  # as-of 2025-09-15: the running month is left out
    assert page.trend_label.text().startswith("近12个月趋势")


def test_signing_a_note_locks_it(page):
    """GIVEN a note with a reason WHEN 签字确认 is clicked
    THEN it is signed, the editor is locked and the table says 已签字 (R13)."""
    line = _needing(page)[0]
    page.select_line(line.line_id)
    page.reason_boxes["historical_use"].setChecked(True)
    page.sign_button.click()
    assert page.note.status == "signed"
    assert "签字确认" in page.signature.text()
    assert not page.save_button.isEnabled() and not page.reason_boxes["other"].isEnabled()
    assert page.reopen_button.isEnabled()
    assert _status_cell(page, line.line_id) == "已签字"


def test_signing_without_a_reason_is_refused(page):
    """GIVEN a note without reasons WHEN 签字确认 is clicked THEN a readable error is shown and nothing is signed."""
    line = _needing(page)[0]
    page.select_line(line.line_id)
    for cb in page.reason_boxes.values():
        cb.setChecked(False)
    page.sign_button.click()
    assert worker.errors(), "the service's BadInput reached the user"
    assert "原因" in worker.describe_error(worker.errors()[-1])
    page.select_line(line.line_id)
    assert page.note.status != "signed"


def test_reopening_a_signed_note_asks_first(page, monkeypatch):
    """GIVEN a signed note WHEN 撤销签字 is clicked and the question answered No THEN it stays signed;
    answered Yes THEN it is a draft again and editable."""
    line = _needing(page)[0]
    page.select_line(line.line_id)
    page.reason_boxes["historical_use"].setChecked(True)
    page.sign_button.click()
    asked: list[str] = []
    monkeypatch.setattr(common, "ask", lambda parent, title, text: asked.append(text) or False)
    page.reopen_button.click()
    assert asked and page.note.status == "signed"
    monkeypatch.setattr(common, "ask", lambda *a: True)
    page.reopen_button.click()
    assert page.note.status == "draft"
    assert page.save_button.isEnabled()


@pytest.mark.parametrize("suffix", [".pdf", ".xlsx"])
def test_export_notes_writes_opens_and_records(page, ctx, opened, monkeypatch, tmp_path, suffix):
    """GIVEN lines that need notes WHEN 导出 is clicked THEN the file exists, is opened (stubbed)
    and appears in the document history."""
    from hospital_app.services.document_history import list_documents

    target = tmp_path / f"notes{suffix}"
    monkeypatch.setattr(common, "choose_save_file", lambda *a: str(target))
    (page.export_pdf_button if suffix == ".pdf" else page.export_xlsx_button).click()
    assert target.exists() and target.stat().st_size > 500
    assert opened == [str(target)]
    with ctx.db.session() as s:
        docs = list_documents(s)
    assert docs[0].kind == "notes" and Path(docs[0].path) == target.resolve()


def test_importing_the_sample_reported_volumes(page, monkeypatch):
    """GIVEN the sample reported-volumes workbook WHEN it is imported through the page
    THEN its lines appear in the table with their R13 verdict."""
    from tests.conftest import SAMPLES

    sample = SAMPLES / "reported_volumes_2026.xlsx"
    before = len(page.rows)
    monkeypatch.setattr(common, "choose_open_file", lambda *a: str(sample))
    page.import_button.click()
    assert not worker.errors(), [worker.describe_error(e) for e in worker.errors()]
    assert len(page.rows) > before
    assert page.model.rowCount() == len(page.rows)


def test_a_draft_without_reasons_prints_no_placeholder(page):
    """GIVEN a line that needs a note and has no reason chosen yet WHEN it is selected THEN the system draft
    has no reasons line and no placeholder such as “（请选择）” (glossary: print nothing until chosen, R13)."""
    line = _needing(page)[0]  # the demo drafts no reasons
    assert page.select_line(line.line_id)
    draft = page.draft.toPlainText()
    assert draft
    assert "（请选择）" not in draft and "原因：" not in draft
