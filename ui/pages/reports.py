"""Reports page: the self-check report (自查自纠) for a month, quarter or year, the
progress workbook, and the history of every generated document.

Documents are written on the worker (with a progress dialog when it takes long)
and then opened with the system viewer.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (QAbstractItemView, QComboBox, QGroupBox, QHBoxLayout,
                               QHeaderView, QLabel, QPushButton, QSpinBox, QTableWidget,
                               QTableWidgetItem, QVBoxLayout, QWidget)

from ui.pages.base import BasePage
from ui.widgets import common
from ui.widgets.common import fmt_datetime
from ui.widgets.findings_editor import FindingsEditor, save_findings
from ui.widgets.measures_editor import save_rows as save_measures_rows

PATH_ROLE = Qt.ItemDataRole.UserRole + 1


def period_key(kind: str, year: int, part: int) -> str:
    """The period text of CLI.md: ``2025-06`` (month), ``2025Q2`` (quarter), ``2025`` (year)."""
    if kind == "month":
        return f"{year}-{part:02d}"
    if kind == "quarter":
        return f"{year}Q{part}"
    return str(year)


def split_period(key: str) -> tuple[str, int, int]:
    """The inverse of :func:`period_key`: ``2025Q2`` → ("quarter", 2025, 2)."""
    if "Q" in key:
        year, quarter = key.split("Q")
        return "quarter", int(year), int(quarter)
    if "-" in key:
        year, month = key.split("-")
        return "month", int(year), int(month)
    return "year", int(key), 0


class ReportsPage(BasePage):
    page_name = "reports"
    topics = ("documents", "issues", "volumes", "purchases", "products", "settings")

    def __init__(self, ctx, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent)
        self.documents: list = []
        self.last_document: str | None = None
        self._loaded = False       # findings are loaded once the page was first refreshed
        self._reverting = False    # the picker is being put back (unsaved findings kept)
        self._build()

    def title(self) -> str:
        return self.tr("报告")

    # ------------------------------------------------------------------ layout
    def _build(self) -> None:
        self_check = QGroupBox(self.tr("自查自纠报告"), self)
        self.kind = QComboBox(self_check)
        self.kind.setObjectName("periodKind")
        self.kind.addItem(self.tr("月度"), "month")
        self.kind.addItem(self.tr("季度"), "quarter")
        self.kind.addItem(self.tr("年度"), "year")
        self.year = QSpinBox(self_check)
        self.year.setObjectName("periodYear")
        self.year.setRange(2015, 2100)
        self.year.setSuffix(self.tr(" 年"))
        self.part = QComboBox(self_check)
        self.part.setObjectName("periodPart")
        self.period_label = QLabel(self_check)
        self.period_label.setObjectName("periodLabel")
        self.generate_button = QPushButton(self.tr("生成并打开"), self_check)
        self.generate_button.setObjectName("generateSelfCheck")
        picker = QHBoxLayout()
        picker.addWidget(self.kind)
        picker.addWidget(self.year)
        picker.addWidget(self.part)
        picker.addWidget(self.period_label, 1)
        picker.addWidget(self.generate_button)
        hint = QLabel(self.tr("报告包括执行总体情况、各批次完成进度、非中选产品占比、供应问题、订单与货款结算、"
                              "报量说明及整改措施，统计截至所选期间末（或计算日期）。"), self_check)
        hint.setWordWrap(True)
        hint.setStyleSheet("color:#666;")
        self.findings = FindingsEditor(self.ctx, self_check)
        self.findings.setObjectName("findingsEditor")
        sc_layout = QVBoxLayout(self_check)
        sc_layout.addLayout(picker)
        sc_layout.addWidget(hint)
        sc_layout.addWidget(self.findings, 1)

        workbook = QGroupBox(self.tr("执行进度表"), self)
        self.progress_button = QPushButton(self.tr("导出执行进度表（Excel）…"), workbook)
        self.progress_button.setObjectName("exportProgress")
        wb_layout = QHBoxLayout(workbook)
        wb_layout.addWidget(QLabel(self.tr("各中选产品当前协议期的约定量、序时进度、完成进度和状态。"), workbook), 1)
        wb_layout.addWidget(self.progress_button)

        history = QGroupBox(self.tr("已生成的文档"), self)
        self.table = QTableWidget(0, 5, history)
        self.table.setObjectName("documentHistory")
        self.table.setHorizontalHeaderLabels([self.tr("生成时间"), self.tr("类型"), self.tr("内容"),
                                              self.tr("经办人"), self.tr("文件")])
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.open_button = QPushButton(self.tr("打开"), history)
        self.open_button.setObjectName("openDocument")
        self.folder_button = QPushButton(self.tr("打开所在文件夹"), history)
        self.folder_button.setObjectName("openFolder")
        self.empty = QLabel(self.tr("还没有生成过文档。"), history)
        self.empty.setStyleSheet("color:#666;")
        row = QHBoxLayout()
        row.addWidget(self.empty, 1)
        row.addWidget(self.open_button)
        row.addWidget(self.folder_button)
        h_layout = QVBoxLayout(history)
        h_layout.addWidget(self.table, 1)
        h_layout.addLayout(row)

        layout = QVBoxLayout(self)
        layout.addWidget(self_check, 3)
        layout.addWidget(workbook)
        layout.addWidget(history, 2)

        self.kind.currentIndexChanged.connect(self._kind_changed)
        self.year.valueChanged.connect(self._update_label)
        self.part.currentIndexChanged.connect(self._update_label)
        self.generate_button.clicked.connect(self.generate_self_check)
        self.progress_button.clicked.connect(self.export_progress)
        self.open_button.clicked.connect(self.open_selected)
        self.folder_button.clicked.connect(self.open_folder)
        self.table.itemDoubleClicked.connect(lambda _item: self.open_selected())
        self.table.itemSelectionChanged.connect(self._selection_changed)

        # Default: the quarter of the as-of date.
        self.year.setValue(self.ctx.as_of.year)
        self.kind.setCurrentIndex(1)
        self._kind_changed()
        self.part.setCurrentIndex((self.ctx.as_of.month - 1) // 3)
        self._selection_changed()

    def _kind_changed(self, *_args) -> None:
        kind = self.kind.currentData()
        self.part.blockSignals(True)
        self.part.clear()
        if kind == "month":
            for m in range(1, 13):
                self.part.addItem(common.month_name(m), m)
            self.part.setCurrentIndex(self.ctx.as_of.month - 1)
        elif kind == "quarter":
            for q, name in enumerate((self.tr("第一季度"), self.tr("第二季度"), self.tr("第三季度"),
                                      self.tr("第四季度")), start=1):
                self.part.addItem(name, q)
            self.part.setCurrentIndex((self.ctx.as_of.month - 1) // 3)
        self.part.setVisible(kind != "year")
        self.part.blockSignals(False)
        self._update_label()

    def set_period(self, kind: str, year: int, part: int = 0) -> None:
        """Choose a period in the picker (``part``: month 1–12 or quarter 1–4)."""
        self.kind.setCurrentIndex(self.kind.findData(kind))
        self.year.setValue(year)
        if kind != "year":
            self.part.setCurrentIndex(self.part.findData(part))
        self._update_label()

    def period(self) -> str:
        return period_key(self.kind.currentData(), self.year.value(), int(self.part.currentData() or 0))

    def _update_label(self, *_args) -> None:
        from hospital_app.domain.periods import parse_period

        if self.kind.currentData() != "year" and self.part.currentData() is None:
            return  # the picker is still being filled
        p = parse_period(self.period())
        text = self.tr("期间：%1（%2 至 %3）").replace("%1", p.label).replace(
            "%2", p.start.isoformat()).replace("%3", p.end.isoformat())
        if p.start > self.ctx.as_of:
            text += self.tr("——尚未开始")
        self.period_label.setText(text)
        self.generate_button.setEnabled(p.start <= self.ctx.as_of)
        if self._loaded and not self._reverting:
            self._period_changed(p.key)

    def _period_changed(self, period: str) -> None:
        """Show the findings of the newly chosen period; unsaved edits are not dropped unasked."""
        editor = self.findings
        if period == editor.period:
            return
        if editor.period is not None and editor.period != period and editor.has_unsaved():
            if not common.ask(self, self.tr("未保存的修改"),
                              self.tr("%1 的整改措施有未保存的修改。放弃这些修改吗？").replace("%1", editor.period)):
                self._reverting = True
                try:
                    self.set_period(*split_period(editor.period))
                finally:
                    self._reverting = False
                return
        editor.load(period, self.ctx.as_of, force=True)

    # ------------------------------------------------------------------ loading
    def refresh(self) -> None:
        from hospital_app.services import document_history

        self.ctx.query(lambda s: document_history.list_documents(s, limit=200), self._show_documents, parent=self)
        self._loaded = True
        self.findings.load(self.period(), self.ctx.as_of)

    def _show_documents(self, docs: list) -> None:
        from hospital_app.services.document_history import kind_label

        self.documents = docs
        self.table.setRowCount(len(docs))
        grey = QBrush(QColor("#999999"))
        for r, d in enumerate(docs):
            params = "，".join(f"{v}" for k, v in d.params.items() if k in ("period", "issue_id", "format")
                              ) or ", ".join(f"{k}={v}" for k, v in d.params.items())
            if "issue_id" in d.params:
                params = self.tr("问题 %1").replace("%1", str(d.params["issue_id"]))
            cells = [fmt_datetime(d.created_at), kind_label(d.kind), params, d.created_by or "",
                     d.path if d.exists else d.path + self.tr("（文件已不存在）")]
            for c, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setData(PATH_ROLE, d.path)
                if not d.exists:
                    item.setForeground(grey)
                self.table.setItem(r, c, item)
        self.empty.setVisible(not docs)
        self._selection_changed()

    def _selection_changed(self) -> None:
        doc = self.selected_document()
        self.open_button.setEnabled(doc is not None and doc.exists)
        self.folder_button.setEnabled(doc is not None)

    def selected_document(self):
        row = self.table.currentRow()
        return self.documents[row] if 0 <= row < len(self.documents) else None

    # ------------------------------------------------------------------ actions
    def generate_self_check(self) -> None:
        """Write the self-check PDF for the chosen period on the worker, then open it."""
        from hospital_app.services import documents

        period, as_of = self.period(), self.ctx.as_of
        path = common.document_path(f"自查自纠报告-{period}", ".pdf")
        # Unsaved findings of this period are saved with the report (one unit of work).
        pending = self.findings.pending() if self.findings.period == period else None
        measures = self.findings.measures.pending() if self.findings.measures.period == period else None

        gathering = self.tr("正在汇总数据…")

        def work(s, task):
            version = save_findings(s, *pending) if pending else None
            stored = save_measures_rows(s, *measures) if measures else None
            task.report(0, 2, gathering)
            result = documents.make_self_check(s, period, path, as_of=as_of)
            task.report(2, 2)
            return {**result, "findings_version": version, "measures": stored}

        def ready(result: dict) -> None:
            if pending:
                self.findings.mark_saved(pending[0], pending[1], result["findings_version"])
            if measures:
                self.findings.measures.mark_saved(measures[0], result["measures"])
            self._ready(result)

        def reload() -> None:
            if pending:
                self.findings.reload_after_conflict()
            if measures:
                self.findings.measures.reload()

        self.ctx.change(work, ready, topics=("documents",), progress=self.tr("正在生成自查自纠报告…"),
                        parent=self, on_reload=reload if pending or measures else None)

    def export_progress(self) -> None:
        """The progress table as a formatted workbook (choose where, then open it)."""
        from hospital_app.services import document_history
        from hospital_app.services.progress.export import export_progress_workbook

        suggested = str(common.document_path(f"执行进度表-{self.ctx.as_of.isoformat()}", ".xlsx"))
        path = common.choose_save_file(self, self.tr("导出执行进度表"), suggested, self.tr("Excel 文件 (*.xlsx)"))
        if not path:
            return
        if not path.lower().endswith(".xlsx"):
            path += ".xlsx"
        as_of = self.ctx.as_of
        computing = self.tr("正在计算进度…")

        def work(s, task):
            task.report(0, 1, computing)
            out, _rows = export_progress_workbook(s, as_of, path)
            document_history.record(s, "progress", out, {"as_of": as_of.isoformat()})
            task.report(1, 1)
            return {"path": str(out)}

        self.ctx.change(work, self._ready, topics=("documents",), progress=self.tr("正在导出执行进度表…"),
                        parent=self)

    def _ready(self, result: dict) -> None:
        self.last_document = str(result["path"])
        self.ctx.events.status_message.emit(self.tr("已生成：%1").replace("%1", self.last_document))
        self.refresh()
        common.open_document(self.last_document)

    def open_selected(self) -> None:
        doc = self.selected_document()
        if doc is None:
            return
        if not Path(doc.path).exists():
            common.inform(self, self.tr("打开文档"), self.tr("文件已被移动或删除：%1").replace("%1", doc.path))
            return
        common.open_document(doc.path)

    def open_folder(self) -> None:
        doc = self.selected_document()
        if doc is not None:
            common.open_document(Path(doc.path).parent)
