"""The self-check's corrective measures of one period as an editable table (R19, issue 18).

Each row: problem, cause, measure, responsible department, person and due date — what the
report prints under “整改措施”. A period without stored measures shows the ones drafted from
its findings (``documents.measures_for``); 保存整改措施 stores the table
(``corrective_measures.save_measures``, conflict-safe through each row's version);
恢复自动起草 deletes the stored rows so that the report drafts them again.
"""

from __future__ import annotations

from datetime import date

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (QHBoxLayout, QHeaderView, QLabel, QPushButton, QTableWidget, QTableWidgetItem,
                               QVBoxLayout, QWidget)

from ui.app_context import AppContext
from ui.widgets import common

ID_ROLE = Qt.ItemDataRole.UserRole + 1  # (id, version) of a stored row, on column 0
FIELDS = ("problem", "cause", "measure", "department", "responsible", "due_date")


def save_rows(session, period: str, rows: list[dict]) -> list:
    """Store the table's rows as the period's measures (due dates typed as YYYY-MM-DD; a bad
    one is BadInput naming the column). Returns the stored measures."""
    from hospital_app.reports.model import Measure
    from hospital_app.services import corrective_measures

    measures = [Measure(id=r.get("id"), problem=r["problem"], cause=r["cause"], measure=r["measure"],
                        department=r["department"], responsible=r["responsible"],
                        due_date=corrective_measures.parse_due(r["due_date"]), version=r.get("version"))
                for r in rows]
    return corrective_measures.save_measures(session, period, measures)


class MeasuresEditor(QWidget):
    """Edit, add, remove and save the corrective measures of the period given to :meth:`load`."""

    saved = Signal(str)  # period

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.period: str | None = None
        self.as_of: date | None = None
        self.stored = False      # the rows shown are stored (else drafted from the findings)
        self.modified = False
        self._filling = False

        self.table = QTableWidget(0, len(FIELDS), self)
        self.table.setObjectName("measuresTable")
        self.table.setHorizontalHeaderLabels([self.tr("问题"), self.tr("原因"), self.tr("整改措施"),
                                              self.tr("责任科室"), self.tr("责任人"), self.tr("完成时限")])
        header = self.table.horizontalHeader()
        for c in range(len(FIELDS)):
            header.setSectionResizeMode(c, QHeaderView.ResizeMode.Stretch if c in (0, 1, 2)
                                        else QHeaderView.ResizeMode.ResizeToContents)
        self.table.setWordWrap(True)
        self.table.setMinimumHeight(120)
        self.table.setToolTip(self.tr("双击单元格修改；完成时限按 YYYY-MM-DD 填写。"))
        self.state = QLabel(self)
        self.state.setObjectName("measuresState")
        self.state.setStyleSheet("color:#666;")
        self.add_button = QPushButton(self.tr("添加一行"), self)
        self.add_button.setObjectName("addMeasure")
        self.remove_button = QPushButton(self.tr("删除所选行"), self)
        self.remove_button.setObjectName("removeMeasure")
        self.redraft_button = QPushButton(self.tr("恢复自动起草"), self)
        self.redraft_button.setObjectName("redraftMeasures")
        self.redraft_button.setToolTip(self.tr("删除已保存的整改措施，报告重新根据预警起草"))
        self.save_button = QPushButton(self.tr("保存整改措施"), self)
        self.save_button.setObjectName("saveMeasures")

        row = QHBoxLayout()
        row.addWidget(self.state, 1)
        for b in (self.add_button, self.remove_button, self.redraft_button, self.save_button):
            row.addWidget(b)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(QLabel(self.tr("整改措施（问题、原因、措施、责任科室、责任人、完成时限，打印在本期报告中）"), self))
        layout.addWidget(self.table, 1)
        layout.addLayout(row)

        self.table.itemChanged.connect(self._edited)
        self.table.itemSelectionChanged.connect(self._update_state)
        self.add_button.clicked.connect(self.add_row)
        self.remove_button.clicked.connect(self.remove_selected)
        self.save_button.clicked.connect(self.save)
        self.redraft_button.clicked.connect(self.redraft)
        self._update_state()

    # ------------------------------------------------------------------ state
    def _edited(self, _item) -> None:
        if not self._filling:
            self.modified = True
            self._update_state()

    def _update_state(self) -> None:
        if self.period is None:
            text = ""
        elif self.modified:
            text = self.tr("有未保存的修改")
        elif self.stored:
            text = self.tr("已保存，下次生成的报告将打印这些整改措施")
        else:
            text = self.tr("根据预警起草（未保存），报告将打印这些整改措施")
        self.state.setText(text)
        loaded = self.period is not None
        self.add_button.setEnabled(loaded)
        self.remove_button.setEnabled(loaded and bool(self.table.selectionModel().selectedRows()))
        self.save_button.setEnabled(loaded and (self.modified or not self.stored))
        self.redraft_button.setEnabled(loaded and self.stored)

    def rows(self) -> list[dict]:
        """The table as plain rows (stored rows keep their id and version)."""
        out = []
        for r in range(self.table.rowCount()):
            cells = {f: (self.table.item(r, c).text().strip() if self.table.item(r, c) else "")
                     for c, f in enumerate(FIELDS)}
            first = self.table.item(r, 0)
            ident = first.data(ID_ROLE) if first is not None else None
            cells["id"], cells["version"] = ident if ident else (None, None)
            out.append(cells)
        return out

    def pending(self) -> tuple[str, list[dict]] | None:
        """(period, rows) of unsaved edits, else None (drafted rows stay drafts until saved)."""
        if self.period is None or not self.modified:
            return None
        return self.period, self.rows()

    # ------------------------------------------------------------------ loading
    def load(self, period: str, as_of: date, *, force: bool = False) -> None:
        """Show the period's stored measures, else the drafted ones (unsaved edits of the same
        period are kept unless ``force``)."""
        from hospital_app.services import documents

        if period == self.period and self.modified and not force:
            return
        self.as_of = as_of
        self.ctx.query(lambda s: documents.measures_for(s, period, as_of),
                       lambda measures: self.show_measures(period, measures), parent=self)

    def show_measures(self, period: str, measures: list) -> None:
        self.period = period
        self.stored = any(m.id is not None for m in measures)
        self._filling = True
        try:
            self.table.setRowCount(0)
            for m in measures:
                due = m.due_date.isoformat() if m.due_date else ""
                self._append([m.problem, m.cause, m.measure, m.department, m.responsible, due],
                             (m.id, m.version) if m.id is not None else None)
        finally:
            self._filling = False
        self.table.resizeRowsToContents()
        self.modified = False
        self._update_state()

    def _append(self, values: list[str], ident) -> None:
        r = self.table.rowCount()
        self.table.insertRow(r)
        for c, value in enumerate(values):
            item = QTableWidgetItem(value)
            if c == 0 and ident is not None:
                item.setData(ID_ROLE, ident)
            self.table.setItem(r, c, item)

    # ------------------------------------------------------------------ actions
    def add_row(self) -> None:
        """A new row with the department and person of the row above (if any)."""
        if self.period is None:
            return
        last = self.rows()[-1] if self.table.rowCount() else {}
        self._filling = True
        try:
            self._append(["", "", "", last.get("department", ""), last.get("responsible", ""),
                          last.get("due_date", "")], None)
        finally:
            self._filling = False
        self.modified = True
        self.table.setCurrentCell(self.table.rowCount() - 1, 0)
        self._update_state()

    def remove_selected(self) -> None:
        for index in sorted((i.row() for i in self.table.selectionModel().selectedRows()), reverse=True):
            self.table.removeRow(index)
            self.modified = True
        self._update_state()

    def save(self) -> None:
        """Store the table for the period (refused if someone else changed a row meanwhile)."""
        if self.period is None:
            return
        period, rows = self.period, self.rows()
        self.ctx.change(lambda s: save_rows(s, period, rows), lambda stored: self.mark_saved(period, stored),
                        topics=("documents",), parent=self, on_reload=self.reload)

    def mark_saved(self, period: str, stored: list) -> None:
        if period != self.period:
            return
        self.show_measures(period, stored)
        self.ctx.events.status_message.emit(self.tr("已保存 %1 的整改措施。").replace("%1", period))
        self.saved.emit(period)

    def reload(self) -> None:
        if self.period is not None:
            self.load(self.period, self.as_of or self.ctx.as_of, force=True)

    def redraft(self) -> None:
        """Delete the stored measures: the table (and the report) show the drafted ones again."""
        if self.period is None or not self.stored:
            return
        if not common.ask(self, self.tr("恢复自动起草"),
                          self.tr("删除已保存的整改措施，改为根据预警起草吗？")):
            return
        period = self.period
        self.ctx.change(lambda s: save_rows(s, period, []), lambda _r: self.reload(),
                        topics=("documents",), parent=self, on_reload=self.reload)
