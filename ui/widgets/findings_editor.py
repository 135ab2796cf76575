"""The self-check report's “存在的问题及整改措施” for one period, editable (issue 10).

Below the text, the period's corrective measures as a table (``measures_editor``, R19).
The stored text (``documents.get_findings_text``) is what the next self-check report
prints; without one, the report drafts it from the alerts. 从预警生成草稿 fills the
editor with that draft (``documents.draft_findings``) to edit before saving.

Saving is conflict-safe: the save is refused (Conflict → “该记录已被其他人修改，请重新
加载”) when the stored text is no longer the one this editor loaded — another user
saved in between — and ``expected_version`` guards our own later saves. Nothing is
ever overwritten silently; on 重新加载 the unsaved text goes to the clipboard.
"""

from __future__ import annotations

from datetime import date

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (QApplication, QHBoxLayout, QLabel, QPlainTextEdit, QPushButton,
                               QVBoxLayout, QWidget)

from ui.app_context import AppContext
from ui.widgets import common
from ui.widgets.measures_editor import MeasuresEditor


def save_findings(session, period: str, text: str, expected_text: str | None,
                  expected_version: int | None) -> int:
    """Store ``text`` unless someone changed the period's findings since they were loaded
    (``expected_text``: what the editor loaded, None = nothing stored). Returns the version."""
    from hospital_app.errors import Conflict
    from hospital_app.i18n import tr
    from hospital_app.services import documents

    if documents.get_findings_text(session, period) != expected_text:
        raise Conflict(tr("自查报告文字已被他人修改，请重新打开后再编辑。",
                          "The findings were changed by someone else; reopen them before editing."))
    return documents.set_findings_text(session, period, text, expected_version=expected_version)


class FindingsEditor(QWidget):
    """Edit, draft, save and reset the findings of the period given to :meth:`load`."""

    saved = Signal(str)  # period

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.period: str | None = None
        self.as_of: date | None = None
        self.loaded_text: str | None = None  # what is stored (None: never edited → auto draft)
        self.version: int | None = None      # known after our own save

        self.edit = QPlainTextEdit(self)
        self.edit.setObjectName("findingsEdit")
        self.edit.setPlaceholderText(self.tr("尚未编辑：生成报告时将根据预警自动起草“存在的问题及整改措施”。"
                                             "点击“从预警生成草稿”可先生成草稿再修改。"))
        self.edit.setMinimumHeight(110)
        self.state = QLabel(self)
        self.state.setObjectName("findingsState")
        self.state.setStyleSheet("color:#666;")
        self.draft_button = QPushButton(self.tr("从预警生成草稿"), self)
        self.draft_button.setObjectName("draftFindings")
        self.clear_button = QPushButton(self.tr("恢复自动起草"), self)
        self.clear_button.setObjectName("clearFindings")
        self.clear_button.setToolTip(self.tr("删除已保存的文字，报告重新根据预警自动起草"))
        self.save_button = QPushButton(self.tr("保存"), self)
        self.save_button.setObjectName("saveFindings")

        row = QHBoxLayout()
        row.addWidget(self.state, 1)
        row.addWidget(self.draft_button)
        row.addWidget(self.clear_button)
        row.addWidget(self.save_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(QLabel(self.tr("存在的问题及整改措施（打印在本期报告中）"), self))
        layout.addWidget(self.edit, 1)
        layout.addLayout(row)
        self.measures = MeasuresEditor(ctx, self)  # R19: the table of corrective measures
        self.measures.setObjectName("measuresEditor")
        layout.addWidget(self.measures, 2)

        self.edit.modificationChanged.connect(lambda _m: self._update_state())
        self.draft_button.clicked.connect(self.draft)
        self.save_button.clicked.connect(self.save)
        self.clear_button.clicked.connect(self.clear_stored)
        self._update_state()

    # ------------------------------------------------------------------ state
    def is_modified(self) -> bool:
        return self.edit.document().isModified()

    def has_unsaved(self) -> bool:
        """Unsaved findings text or corrective measures."""
        return self.is_modified() or self.measures.modified

    def text(self) -> str:
        return self.edit.toPlainText().strip()

    def _update_state(self) -> None:
        modified = self.is_modified()
        if self.period is None:
            text = ""
        elif modified:
            text = self.tr("有未保存的修改")
        elif self.loaded_text is None:
            text = self.tr("未编辑（报告将自动起草）")
        else:
            text = self.tr("已保存，下次生成的报告将使用此文字")
        self.state.setText(text)
        self.save_button.setEnabled(self.period is not None and modified and bool(self.text()))
        self.clear_button.setEnabled(self.period is not None and self.loaded_text is not None)
        self.draft_button.setEnabled(self.period is not None)

    # ------------------------------------------------------------------ loading
    def load(self, period: str, as_of: date, *, force: bool = False) -> None:
        """Show the stored findings of ``period`` (unsaved edits of the same period are kept
        unless ``force``)."""
        from hospital_app.services import documents

        self.measures.load(period, as_of, force=force)
        if period == self.period and self.is_modified() and not force:
            return
        self.as_of = as_of
        self.ctx.query(lambda s: documents.get_findings_text(s, period),
                       lambda text: self._show(period, text), parent=self)

    def _show(self, period: str, text: str | None) -> None:
        if period != self.period or text != self.loaded_text:
            self.version = None
        self.period, self.loaded_text = period, text
        self.edit.setPlainText(text or "")
        self.edit.document().setModified(False)
        self._update_state()

    def reload_after_conflict(self) -> None:
        """重新加载 after a conflict: the stored text replaces ours; ours goes to the clipboard."""
        if self.period is None:
            return
        mine = self.edit.toPlainText()
        if self.is_modified() and mine.strip():
            QApplication.clipboard().setText(mine)
            self.ctx.events.status_message.emit(self.tr("您未保存的文字已复制到剪贴板。"))
        self.load(self.period, self.as_of or self.ctx.as_of, force=True)

    # ------------------------------------------------------------------ actions
    def draft(self) -> None:
        """Fill the editor with the draft from the period's alerts (not saved yet)."""
        from hospital_app.domain.periods import parse_period
        from hospital_app.services import documents

        if self.period is None:
            return
        if self.text() and not common.ask(self, self.tr("生成草稿"),
                                          self.tr("用根据预警生成的草稿替换编辑框中的文字吗？")):
            return
        day = parse_period(self.period).as_of(self.as_of or self.ctx.as_of)

        def work(s):
            from hospital_app.services.alerts import collect_alerts

            return documents.draft_findings(collect_alerts(s, day))

        self.ctx.query(work, self._show_draft, parent=self)

    def _show_draft(self, text: str) -> None:
        self.edit.setPlainText(text)
        self.edit.document().setModified(True)
        self._update_state()

    def pending(self) -> tuple[str, str, str | None, int | None] | None:
        """(period, text, expected_text, expected_version) of unsaved edits, else None."""
        if self.period is None or not self.is_modified() or not self.text():
            return None
        return self.period, self.text(), self.loaded_text, self.version

    def save(self) -> None:
        """Store the text for the period (refused if someone else saved in between)."""
        pending = self.pending()
        if pending is None:
            return
        period, text, expected_text, version = pending
        self.ctx.change(lambda s: save_findings(s, period, text, expected_text, version),
                        lambda new_version: self.mark_saved(period, text, new_version),
                        topics=("documents",), parent=self, on_reload=self.reload_after_conflict)

    def mark_saved(self, period: str, text: str, version: int) -> None:
        if period != self.period:
            return
        self.loaded_text, self.version = text, version
        if self.text() == text:
            self.edit.document().setModified(False)
        self._update_state()
        self.ctx.events.status_message.emit(self.tr("已保存 %1 的整改措施。").replace("%1", period))
        self.saved.emit(period)

    def clear_stored(self) -> None:
        """Drop the stored text: the report drafts the findings from the alerts again."""
        from hospital_app.errors import Conflict
        from hospital_app.i18n import tr
        from hospital_app.services import documents

        if self.period is None or self.loaded_text is None:
            return
        if not common.ask(self, self.tr("恢复自动起草"),
                          self.tr("删除已保存的整改措施，报告改为根据预警自动起草吗？")):
            return
        period, expected = self.period, self.loaded_text

        def work(s):
            if documents.get_findings_text(s, period) != expected:
                raise Conflict(tr("自查报告文字已被他人修改，请重新打开后再编辑。",
                                  "The findings were changed by someone else; reopen them before editing."))
            return documents.clear_findings_text(s, period)

        self.ctx.change(work, lambda _r: self.load(period, self.as_of or self.ctx.as_of, force=True),
                        topics=("documents",), parent=self, on_reload=self.reload_after_conflict)
