"""English UI (issue 9 §i18n): with lang=en no visible label, button, header, tab, title or
placeholder contains Chinese — except data values (product and company names, units,
descriptions), which are stripped using the strings stored in the database."""

from __future__ import annotations

import re
import json
import unicodedata

import pytest
from PySide6.QtWidgets import (QAbstractButton, QApplication, QAbstractItemView, QAbstractSpinBox, QComboBox,
                               QGroupBox, QLabel, QLineEdit, QListWidget, QPlainTextEdit, QTabWidget,
                               QWidget)

from ui.main_window import PAGE_NAMES

CJK = re.compile(r"[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uff00-\uffef]")
MAX_ROWS = 30


@pytest.fixture
def english(qapp):
    from ui.app import install_translator

    assert install_translator(qapp, "en"), "resources/translations/hospital_app_en.qm must load"
    yield
    install_translator(qapp, "zh")  # later tests expect the Chinese source strings


@pytest.fixture
def data_values(filled_db) -> list[str]:
    """Every Chinese string stored in the database (names, units, descriptions…), longest first."""
    from sqlalchemy import String, Text, select

    from db.models import Base

    found: set[str] = set()
    with filled_db.session() as s:
        for table in Base.metadata.sorted_tables:
            if table.name in ("audit_log", "alembic_version"):
                continue
            for column in table.columns:
                if isinstance(column.type, (String, Text)):
                    for value in s.execute(select(column).distinct()).scalars():
                        if isinstance(value, str) and CJK.search(value):
                            found.add(value.strip())
                            found.update(part for part in re.split(r"[\s/，,；;]+", value) if CJK.search(part))
        # Stored settings (the hospital's identity: name, department, person) are data too.
        from db.models import Setting

        for raw in s.scalars(select(Setting.value)):
            value = json.loads(raw) if raw else None
            if isinstance(value, str) and CJK.search(value):
                found.add(value.strip())
    from hospital_app.settings import REGISTRY

    # Defaults of text settings (e.g. insurance_bureau 医疗保障局) are data too, and a language
    # is offered under its own name (中文（简体）), as every program does.
    found.update(str(d.default) for d in REGISTRY.values() if isinstance(d.default, str) and CJK.search(d.default))
    found.add("中文（简体）")
    return sorted((v for v in found if v), key=len, reverse=True)


def _visible_texts(root: QWidget) -> list[tuple[str, str]]:
    """(where, text) for what the user reads on ``root``: labels, buttons, group titles, tabs,
    placeholders, header labels, combo items, and the first rows of every visible table."""
    out: list[tuple[str, str]] = []

    def add(widget: QWidget, what: str, text: object) -> None:
        if isinstance(text, str) and text:
            out.append((f"{type(widget).__name__}#{widget.objectName() or '?'} {what}", text))

    for w in [root, *root.findChildren(QWidget)]:
        if not w.isVisibleTo(root) and w is not root:
            continue
        add(w, "toolTip", None)
        if isinstance(w, QLabel):
            add(w, "text", w.text())
        elif isinstance(w, QAbstractButton):
            add(w, "text", w.text())
        elif isinstance(w, QGroupBox):
            add(w, "title", w.title())
        elif isinstance(w, QLineEdit):
            add(w, "placeholder", w.placeholderText())
        elif isinstance(w, QPlainTextEdit):
            add(w, "placeholder", w.placeholderText())
        elif isinstance(w, QAbstractSpinBox):
            add(w, "text", w.text())
        if isinstance(w, QGroupBox):
            add(w, "title", w.title())
        if isinstance(w, QTabWidget):
            for i in range(w.count()):
                add(w, f"tab {i}", w.tabText(i))
        if isinstance(w, QComboBox):
            for i in range(w.count()):
                add(w, f"item {i}", w.itemText(i))
        if isinstance(w, QListWidget):
            for i in range(w.count()):
                add(w, f"item {i}", w.item(i).text())
        if isinstance(w, QAbstractItemView) and w.model() is not None:
            model = w.model()
            columns = _count(model.columnCount)
            for c in range(columns):
                add(w, f"header {c}", model.headerData(c, _horizontal()))
            for r in range(min(_count(model.rowCount), MAX_ROWS)):
                for c in range(columns):
                    value = model.index(r, c).data()
                    add(w, f"cell {r},{c}", value if isinstance(value, str) else None)
    return out


def _count(method) -> int:
    """rowCount/columnCount of any model (list models take a parent, table models may not)."""
    from PySide6.QtCore import QModelIndex

    try:
        return method()
    except TypeError:
        try:
            return method(QModelIndex())
        except TypeError:
            return 1


def _horizontal():
    from PySide6.QtCore import Qt

    return Qt.Orientation.Horizontal


def _chinese_left(text: str, data_values: list[str]) -> str:
    text = unicodedata.normalize("NFKC", text)  # the wizard shows （） as ()
    for value in data_values:
        value = unicodedata.normalize("NFKC", value)
        if value in text:
            text = text.replace(value, "")
    text = re.sub(r"[（）：，。、“”；]", "", text)  # full-width punctuation around data values
    return "".join(CJK.findall(text))


def test_every_page_is_english_except_data_values(english, main_window, qtbot, data_values):
    """GIVEN lang=en WHEN every page of the main window is shown on demo data THEN no visible label,
    button, header, tab, placeholder or table cell contains Chinese other than stored data values."""
    from hospital_app import i18n

    assert i18n.language() == "en"
    assert not CJK.search(QApplication.applicationDisplayName())  # appended to window titles
    main_window.show()
    qtbot.waitExposed(main_window)
    problems: list[str] = []
    for name in PAGE_NAMES:
        page = main_window.show_page(name)
        tabs = page.findChildren(QTabWidget)
        rounds = max([t.count() for t in tabs] + [1])
        for i in range(rounds):  # every tab of the settings page
            for t in tabs:
                t.setCurrentIndex(min(i, t.count() - 1))
            texts = [("window title", main_window.windowTitle())] + _visible_texts(main_window)
            for where, text in texts:
                left = _chinese_left(text, data_values)
                if left:
                    problems.append(f"{name}: {where}: {text!r}")
    assert not problems, "Chinese on the English UI:\n" + "\n".join(sorted(set(problems))[:80])


def _sample_values() -> list[str]:
    """Sheet names and cells of the sample export (they are data on the wizard's pages)."""
    from openpyxl import load_workbook

    from tests.conftest import SAMPLES

    found: set[str] = set()
    book = load_workbook(SAMPLES / "platform_purchases_2023-09_2025-08.xlsx", read_only=True)
    for sheet in book.worksheets:
        found.add(sheet.title)
        for row in sheet.iter_rows(max_row=60, values_only=True):
            found.update(str(v).strip() for v in row if isinstance(v, str) and CJK.search(v))
    book.close()
    return sorted(found, key=len, reverse=True)


def _problems(widget: QWidget, values: list[str], name: str) -> list[str]:
    texts = [("window title", widget.windowTitle())] + _visible_texts(widget)
    return [f"{name}: {where}: {text!r}" for where, text in texts if _chinese_left(text, values)]


def test_dialogs_and_import_wizard_are_english(english, main_window, qtbot, data_values, monkeypatch):
    """GIVEN lang=en WHEN the log-in dialog, the supply-issue dialogs and the import wizard (file,
    preview and mapping pages on the sample export) are opened THEN none shows Chinese except data."""
    from tests.conftest import SAMPLES
    from ui.dialogs.login_dialog import LoginDialog

    problems: list[str] = []
    login = LoginDialog(main_window.ctx)
    qtbot.addWidget(login)
    login.show()
    login.try_login()  # empty user name: the hint must be English too
    problems += _problems(login, data_values, "login")

    issues = main_window.show_page("issues")
    issues.select_issue(issues.issues[0].id)
    opened = [issues.new_issue(), issues.reply_selected()]
    opened += [issues.act_on_selected(a) for a in ("resolve", "close", "escalate")]
    for dialog in opened:
        qtbot.addWidget(dialog)
        problems += _problems(dialog, data_values, dialog.objectName())
        dialog.reject()

    from ui.import_wizard import ImportWizard

    wizard = ImportWizard(main_window.ctx, main_window)
    qtbot.addWidget(wizard)
    wizard.show()
    values = sorted(set(data_values) | set(_sample_values()), key=len, reverse=True)
    problems += _problems(wizard, values, "wizard file page")
    wizard.file_page.path.setText(str(SAMPLES / "platform_purchases_2023-09_2025-08.xlsx"))
    wizard.next()
    problems += _problems(wizard, values, "wizard preview page")
    wizard.next()
    assert wizard.currentPage() is wizard.mapping_page
    problems += _problems(wizard, values, "wizard mapping page")
    wizard.reject()
    assert not problems, "Chinese on the English UI:\n" + "\n".join(sorted(set(problems))[:80])
