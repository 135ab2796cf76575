"""Chinese throughout (issue 20): in the Chinese app no page or dialog shows a Latin-letter word other than
product data, units and codes — including Qt's own buttons (确定/取消 from qtbase_zh_CN)."""

from __future__ import annotations

import re
import unicodedata

import pytest
from PySide6.QtWidgets import QDialogButtonBox, QMessageBox, QWidget

from tests.ui.test_english_ui import _visible_texts
from ui.main_window import PAGE_NAMES

WORD = re.compile(r"[A-Za-z][A-Za-z]+")
#: Units and file formats, which Chinese text writes in Latin letters too.
UNITS_AND_FORMATS = {"mg", "ml", "mL", "kg", "mm", "cm", "IU", "μg", "ug", "Excel", "PDF", "CSV", "xlsx", "xls",
                     "xlsm", "csv", "pdf", "db", "MB", "GB", "SQLite", "PostgreSQL", "URL",
                     "HIS"}  # 医院信息系统: the name hospitals use for the system that exports department use


@pytest.fixture
def data_words(filled_db) -> set[str]:
    """Every Latin word in the stored data (codes, specs, names, file paths) — data, not UI text."""
    from sqlalchemy import String, Text, select

    from db.models import Base

    words: set[str] = set()
    with filled_db.session() as s:
        for table in Base.metadata.sorted_tables:
            for column in table.columns:
                if isinstance(column.type, (String, Text)):
                    for value in s.execute(select(column).distinct()).scalars():
                        if isinstance(value, str):
                            words.update(WORD.findall(unicodedata.normalize("NFKC", value)))
    return words


def _latin(widget: QWidget, allowed: set[str], extra: set[str] = frozenset()) -> list[tuple[str, str]]:
    bad = []
    for where, text in _visible_texts(widget):
        text = unicodedata.normalize("NFKC", text)
        text = re.sub(r"\S+[/\\]\S+", "", text)  # a file path or URL shown as data
        words = [w for w in WORD.findall(text) if w not in allowed and w not in UNITS_AND_FORMATS
                 and w not in extra]
        if words:
            bad.append((where, text))
    return bad


def test_every_page_is_chinese(main_window, qtbot, data_words, demo_path):
    """GIVEN the Chinese app on demo data WHEN every page is shown THEN no visible text holds a Latin word
    other than data, units and codes (no rule ids such as "R4", no English from argparse or Qt)."""
    main_window.show()
    path_words = set(WORD.findall(str(demo_path)))
    bad = []
    for name in PAGE_NAMES:
        page = main_window.show_page(name)
        bad += [(name, *b) for b in _latin(page, data_words, path_words)]
    bad += [("status bar", *b) for b in _latin(main_window.statusBar(), data_words, path_words)]
    assert bad == []


def test_every_dialog_is_chinese(main_window, ctx, filled_db, data_words, qtbot):
    """GIVEN the Chinese app WHEN the issue dialogs, the log-in dialog, the import wizard and an error box
    open THEN they are Chinese, and Qt's own buttons read 确定 / 取消 (qtbase_zh_CN is loaded)."""
    from hospital_app.services.supply_issues import list_issues
    from ui import worker
    from ui.dialogs.issue_dialogs import IssueActionDialog, NewIssueDialog, ReplyDialog
    from ui.dialogs.login_dialog import LoginDialog
    from ui.import_wizard import ImportWizard

    with filled_db.session() as s:
        issue = list_issues(s, ctx.as_of, open_only=True)[0]
    dialogs = [NewIssueDialog(ctx, main_window), ReplyDialog(ctx, issue, main_window),
               IssueActionDialog(ctx, issue, "resolve", main_window), LoginDialog(ctx, main_window),
               ImportWizard(ctx, main_window)]
    box = worker.show_error(RuntimeError("x"), main_window)
    bad = []
    for dialog in [*dialogs, box]:
        qtbot.addWidget(dialog) if dialog is not box else None
        dialog.show()
        bad += [(type(dialog).__name__, *b) for b in _latin(dialog, data_words)]
    assert bad == []
    ok = box.button(QMessageBox.StandardButton.Ok)
    assert ok.text().replace("&", "").startswith("确定")
    cancels = [b.button(QDialogButtonBox.StandardButton.Cancel) for d in dialogs
               for b in d.findChildren(QDialogButtonBox)]
    assert [c.text() for c in cancels if c is not None and "Cancel" in c.text()] == []
    box.done(0)
