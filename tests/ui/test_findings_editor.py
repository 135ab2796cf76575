"""Reports page: the self-check findings & corrective measures editor (issue 10).

The stored text is what the next self-check report prints (documents.self_check_data);
saving never overwrites a colleague's text silently (issue 11 §4).
"""

from __future__ import annotations

from datetime import date

import pytest
from PySide6.QtWidgets import QApplication, QPushButton

from ui import worker
from ui.widgets import common

AS_OF = date(2025, 9, 15)
PERIOD = "2025Q3"


@pytest.fixture
def answers(monkeypatch):
    """Stub for yes/no questions: pops the next prepared answer, records the question."""
    state = {"answers": [], "asked": []}

    def ask(_parent, title, text):
        state["asked"].append(text)
        return state["answers"].pop(0)

    monkeypatch.setattr(common, "ask", ask)
    return state


@pytest.fixture
def page(make_page):
    from ui.pages.reports import ReportsPage

    return make_page(ReportsPage, 1100, 800)


def _stored(db, period: str = PERIOD):
    from hospital_app.services import documents

    with db.session() as s:
        return documents.get_findings_text(s, period)


def _report_text(db, period: str = PERIOD) -> str:
    """What the next generated self-check report prints as findings."""
    from hospital_app.services import documents

    with db.session() as s:
        return documents.self_check_data(s, period, AS_OF).findings_text


def _type(editor, text: str) -> None:
    editor.edit.selectAll()
    editor.edit.insertPlainText(text)


def test_draft_from_alerts_then_save_is_used_by_the_next_report(page, filled_db):
    """GIVEN 2025Q3 with nothing stored WHEN 从预警生成草稿 is clicked, a line added and 保存 clicked
    THEN the stored findings are that text and the next report prints it (not the automatic draft)."""
    editor = page.findings
    assert editor.period == PERIOD and editor.edit.toPlainText() == ""
    assert "自动起草" in editor.state.text() and not editor.save_button.isEnabled()

    editor.draft_button.click()
    draft = editor.edit.toPlainText()
    # One line per kind of finding with its count; every item is in the report's appendix (R19).
    assert draft.startswith("（一）") and "（逐项列于附表）" in draft and "（11）" not in draft
    assert editor.is_modified() and editor.save_button.isEnabled()

    editor.edit.appendPlainText("3. 药学部每月初召开集采执行分析会。")
    editor.save_button.click()
    text = draft + "\n3. 药学部每月初召开集采执行分析会。"
    assert _stored(filled_db) == text
    assert _report_text(filled_db) == text
    assert not editor.is_modified() and "已保存" in editor.state.text()


def test_generating_with_unsaved_findings_saves_them_first(page, filled_db, opened):
    """GIVEN edited but unsaved findings WHEN 生成并打开 is clicked THEN the text is saved in the same
    unit of work, the report is written and opened, and the editor is no longer modified."""
    _type(page.findings, "一、存在的问题\n本季度无。\n\n二、整改措施\n保持。")
    page.generate_button.click()
    assert _stored(filled_db) == "一、存在的问题\n本季度无。\n\n二、整改措施\n保持。"
    assert len(opened) == 1 and opened[0].endswith(".pdf")
    assert not page.findings.is_modified()


def test_save_over_a_colleagues_text_is_refused_and_reload_shows_theirs(page, filled_db):
    """GIVEN the editor loaded 2025Q3 (nothing stored) and a colleague then saved “同事的文字”
    WHEN the user saves “我的文字” THEN the conflict dialog appears, the colleague's text stays,
    and 重新加载 shows it while the user's text goes to the clipboard."""
    from hospital_app.services import documents

    with filled_db.session() as other:
        documents.set_findings_text(other, PERIOD, "同事的文字", who="colleague")
    _type(page.findings, "我的文字")
    page.findings.save_button.click()

    boxes = [b for b in worker.open_boxes() if b.objectName() == "conflictBox"]
    assert len(boxes) == 1 and "该记录已被其他人修改" in boxes[0].text()
    assert _stored(filled_db) == "同事的文字"

    next(b for b in boxes[0].findChildren(QPushButton) if b.objectName() == "conflictReload").click()
    assert page.findings.edit.toPlainText() == "同事的文字" and not page.findings.is_modified()
    assert QApplication.clipboard().text() == "我的文字"


def test_a_second_save_checks_the_version_of_our_own_first_save(page, filled_db):
    """GIVEN the user saved “第一稿” and a colleague then replaced it WHEN the user saves again
    THEN it is refused (expected_version / loaded text) and the colleague's text stays."""
    from hospital_app.services import documents

    _type(page.findings, "第一稿")
    page.findings.save_button.click()
    assert _stored(filled_db) == "第一稿" and page.findings.version is not None
    with filled_db.session() as other:
        documents.set_findings_text(other, PERIOD, "同事改过", who="colleague")
    _type(page.findings, "第二稿")
    page.findings.save_button.click()
    assert _stored(filled_db) == "同事改过"
    assert [b.objectName() for b in worker.open_boxes()] == ["conflictBox"]
    worker.open_boxes()[0].done(0)


def test_changing_period_with_unsaved_findings_asks_first(page, filled_db, answers):
    """GIVEN unsaved findings for 2025Q3 WHEN 2025Q2 is chosen and the user keeps the edits
    THEN the picker returns to 2025Q3 with the text; WHEN the user discards THEN 2025Q2 loads."""
    _type(page.findings, "未保存的文字")
    answers["answers"] = [False]
    page.set_period("quarter", 2025, 2)
    assert page.period() == PERIOD and page.findings.edit.toPlainText() == "未保存的文字"
    assert "2025Q3" in answers["asked"][0]

    answers["answers"] = [True]
    page.set_period("quarter", 2025, 2)
    assert page.period() == "2025Q2" and page.findings.period == "2025Q2"
    assert page.findings.edit.toPlainText() == "" and _stored(filled_db) is None


def test_reset_to_automatic_draft_drops_the_stored_text(page, filled_db, answers):
    """GIVEN stored findings WHEN 恢复自动起草 is confirmed THEN nothing is stored and the report drafts
    its findings from the alerts again."""
    _type(page.findings, "手写的整改措施")
    page.findings.save_button.click()
    assert page.findings.clear_button.isEnabled()
    answers["answers"] = [True]
    page.findings.clear_button.click()
    assert _stored(filled_db) is None
    assert page.findings.edit.toPlainText() == "" and not page.findings.clear_button.isEnabled()
    assert _report_text(filled_db).startswith("（一）")  # the v2 automatic draft


# ------------------------------------------------------------- corrective measures (issue 18, R19)


def _stored_measures(db, period: str = PERIOD):
    from hospital_app.services import corrective_measures

    with db.session() as s:
        return corrective_measures.list_measures(s, period)


def _set(table, row: int, col: int, text: str) -> None:
    from PySide6.QtWidgets import QTableWidgetItem

    table.setItem(row, col, QTableWidgetItem(text))


def test_measures_table_opens_with_drafts_then_edited_rows_are_printed(page, filled_db, opened):
    """R19: GIVEN 2025Q3 with no stored measures WHEN the page opens THEN the table shows one drafted measure
    per kind of finding (due 2025-10-31, the end of the month after 2025-09-15) and nothing is stored;
    WHEN the first row's cause, person and due date are edited, a row is added and 保存整改措施 is clicked
    THEN the stored measures are those rows; WHEN the report is generated THEN it prints them."""
    from pypdf import PdfReader

    editor = page.findings.measures
    table = editor.table
    drafted = table.rowCount()
    assert drafted >= 1 and _stored_measures(filled_db) == []
    assert table.item(0, 5).text() == "2025-10-31" and "起草" in editor.state.text()
    _set(table, 0, 1, "配送企业库存不足")
    _set(table, 0, 4, "赵科长")
    _set(table, 0, 5, "2025-11-15")
    editor.add_button.click()
    last = table.rowCount() - 1
    _set(table, last, 0, "二甲双胍片报量说明未签字")
    _set(table, last, 2, "负责人本周内签字确认")
    assert editor.modified and editor.save_button.isEnabled()
    editor.save_button.click()

    stored = _stored_measures(filled_db)
    assert len(stored) == drafted + 1
    assert (stored[0].cause, stored[0].responsible, stored[0].due_date.isoformat()) == \
        ("配送企业库存不足", "赵科长", "2025-11-15")
    assert (stored[-1].problem, stored[-1].measure) == ("二甲双胍片报量说明未签字", "负责人本周内签字确认")
    assert not editor.modified and "已保存" in editor.state.text()

    page.generate_button.click()
    text = "".join(p.extract_text() for p in PdfReader(opened[-1]).pages).replace("\n", "")
    assert "配送企业库存不足" in text and "赵科长" in text and "2025-11-15" in text


def test_measures_bad_due_date_is_refused_and_nothing_stored(page, filled_db):
    """R19: GIVEN a due date typed as 2025/11/15 WHEN 保存整改措施 is clicked THEN the save is refused with a
    message naming the column and the value, and nothing is stored."""
    editor = page.findings.measures
    _set(editor.table, 0, 5, "2025/11/15")
    editor.save_button.click()
    assert _stored_measures(filled_db) == []
    assert editor.modified
    texts = [b.text() for b in worker.open_boxes()]
    assert any("完成时限" in t and "2025/11/15" in t for t in texts), texts


def test_measures_redraft_deletes_the_stored_rows(page, filled_db, answers):
    """R19: GIVEN saved measures WHEN 恢复自动起草 is confirmed THEN nothing is stored and the table shows the
    drafted measures again."""
    editor = page.findings.measures
    _set(editor.table, 0, 1, "原因")
    editor.save_button.click()
    assert _stored_measures(filled_db) and editor.redraft_button.isEnabled()
    answers["answers"] = [True]
    editor.redraft_button.click()
    assert _stored_measures(filled_db) == [] and editor.table.item(0, 1).text() == ""
    assert not editor.stored and not editor.redraft_button.isEnabled()
