"""Volume report page (R13): import the reported volumes, see baseline, reported,
change and whether a note is needed; edit, sign off and export the notes.

The note editor shows the reasons of R13 as check boxes, a free text, the
12-month purchase chart and the draft the service composes from the data. A
signed note is locked; reopening it (withdrawing the signature) asks first.
"""

from __future__ import annotations

from PySide6.QtCore import QSortFilterProxyModel, Qt
from PySide6.QtGui import QBrush, QColor, QStandardItem, QStandardItemModel
from PySide6.QtWidgets import (QAbstractItemView, QCheckBox, QGridLayout, QGroupBox, QHBoxLayout,
                               QLabel, QPlainTextEdit, QPushButton, QSplitter, QTableView,
                               QVBoxLayout, QWidget)

from ui.widgets.table_fit import ColumnChooser, fit_width
from ui.pages.base import BasePage
from ui.widgets import common
from ui.widgets.common import Banner, fmt_datetime

NEEDS_COLOUR = QColor("#c0392b")
SIGNED_COLOUR = QColor("#1e8449")
LINE_ROLE = Qt.ItemDataRole.UserRole + 1


class VolumesPage(BasePage):
    page_name = "volumes"
    topics = ("volumes", "purchases", "products", "settings")
    COL_BASELINE, COL_REPORTED, COL_CHANGE, COL_NEED, COL_STATUS = 2, 3, 4, 5, 6

    def __init__(self, ctx, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent)
        self.rows: list = []  # volume_reports.VolumeCheckRow
        self.note_status: dict[int, str] = {}
        self.note = None  # volume_reports.NoteView in the editor
        self.last_export: str | None = None
        self._build()

    def title(self) -> str:
        return self.tr("报量说明")

    # ------------------------------------------------------------------ layout
    def _build(self) -> None:
        self.banner = Banner(self)
        self.import_button = QPushButton(self.tr("导入报量文件…"), self)
        self.import_button.setObjectName("importVolumesButton")
        self.draft_all_button = QPushButton(self.tr("为需说明的品种生成草稿"), self)
        self.draft_all_button.setObjectName("draftAllButton")
        self.export_pdf_button = QPushButton(self.tr("导出说明 PDF"), self)
        self.export_pdf_button.setObjectName("exportPdfButton")
        self.export_xlsx_button = QPushButton(self.tr("导出说明 Excel"), self)
        self.export_xlsx_button.setObjectName("exportXlsxButton")
        self.needs_only = QCheckBox(self.tr("只看需说明"), self)
        self.needs_only.setObjectName("needsOnly")
        self.summary = QLabel(self)
        top = QHBoxLayout()
        for w in (self.import_button, self.draft_all_button, self.export_pdf_button, self.export_xlsx_button,
                  self.needs_only):
            top.addWidget(w)
        top.addStretch(1)
        top.addWidget(self.summary)

        self.model = QStandardItemModel(0, 9, self)
        self.model.setHorizontalHeaderLabels([
            self.tr("通用名"), self.tr("规格"), self.tr("基线"), self.tr("报量数"), self.tr("变化"),
            self.tr("需说明"), self.tr("说明状态"), self.tr("生产企业"), self.tr("报量")])
        self.proxy = QSortFilterProxyModel(self)
        self.proxy.setSourceModel(self.model)
        self.proxy.setFilterKeyColumn(self.COL_NEED)
        self.table = QTableView(self)
        self.table.setObjectName("volumeTable")
        self.table.setModel(self.proxy)
        self.table.setSortingEnabled(True)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        fit_width(self.table, (0, 7))  # generic name, manufacturer
        self.columns = ColumnChooser(self.table, [self.model.headerData(c, Qt.Orientation.Horizontal)
                                                  for c in range(self.model.columnCount())], (8,))  # the report

        splitter = QSplitter(Qt.Orientation.Horizontal, self)
        splitter.addWidget(self.table)
        splitter.addWidget(self._build_editor())
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
        splitter.setSizes([640, 480])

        layout = QVBoxLayout(self)
        layout.addWidget(self.banner)
        layout.addLayout(top)
        layout.addWidget(splitter, 1)

        self.import_button.clicked.connect(self.import_file)
        self.draft_all_button.clicked.connect(self.draft_all)
        self.export_pdf_button.clicked.connect(lambda: self.export(".pdf"))
        self.export_xlsx_button.clicked.connect(lambda: self.export(".xlsx"))
        self.needs_only.toggled.connect(self._apply_filter)
        self.table.selectionModel().currentRowChanged.connect(self._row_changed)

    def _build_editor(self) -> QWidget:
        from hospital_app.domain.volume_check import REASONS
        from hospital_app.i18n import tr

        from ui.widgets.month_chart import MonthBarChart

        box = QGroupBox(self.tr("情况说明"), self)
        self.editor_box = box
        self.heading = QLabel(self.tr("请选择一个需要说明的品种。"), box)
        self.heading.setObjectName("noteHeading")
        self.heading.setWordWrap(True)
        self.heading.setStyleSheet("font-weight:bold;")
        self.signature = QLabel(box)
        self.signature.setObjectName("noteSignature")
        self.reason_boxes: dict[str, QCheckBox] = {}
        grid = QGridLayout()
        for i, (key, (zh, en)) in enumerate(REASONS.items()):
            cb = QCheckBox(tr(zh, en), box)
            cb.setObjectName(f"reason_{key}")
            self.reason_boxes[key] = cb
            grid.addWidget(cb, i // 3, i % 3)
        self.free_text = QPlainTextEdit(box)
        self.free_text.setObjectName("noteFreeText")
        self.free_text.setPlaceholderText(self.tr("补充说明（选择“其他”时必填）"))
        self.free_text.setFixedHeight(70)
        self.chart = MonthBarChart(box)
        self.trend_label = QLabel(box)
        self.draft = QPlainTextEdit(box)
        self.draft.setObjectName("noteDraft")
        self.draft.setReadOnly(True)
        self.save_button = QPushButton(self.tr("保存"), box)
        self.save_button.setObjectName("saveNoteButton")
        self.redraft_button = QPushButton(self.tr("重新生成草稿"), box)
        self.redraft_button.setObjectName("redraftButton")
        self.sign_button = QPushButton(self.tr("签字确认"), box)
        self.sign_button.setObjectName("signNoteButton")
        self.reopen_button = QPushButton(self.tr("撤销签字"), box)
        self.reopen_button.setObjectName("reopenNoteButton")
        buttons = QHBoxLayout()
        for b in (self.save_button, self.redraft_button, self.sign_button, self.reopen_button):
            buttons.addWidget(b)

        layout = QVBoxLayout(box)
        layout.addWidget(self.heading)
        layout.addWidget(self.signature)
        layout.addWidget(QLabel(self.tr("原因（可多选）"), box))
        layout.addLayout(grid)
        layout.addWidget(self.free_text)
        layout.addWidget(self.chart)
        layout.addWidget(self.trend_label)
        layout.addWidget(QLabel(self.tr("说明草稿（由数据和所选原因生成）"), box))
        layout.addWidget(self.draft, 1)
        layout.addLayout(buttons)

        self.save_button.clicked.connect(self.save_note)
        self.redraft_button.clicked.connect(self.save_note)  # saving recomposes the draft
        self.sign_button.clicked.connect(self.sign_note)
        self.reopen_button.clicked.connect(self.reopen_note)
        self._show_note(None)
        return box

    # ------------------------------------------------------------------ loading
    def refresh(self) -> None:
        from hospital_app.services import volume_reports as vr

        as_of = self.ctx.as_of

        def load(s):
            rows = vr.check_volumes(s, as_of)
            statuses = {n.line_id: n.status for n in vr.list_notes(s, as_of)} if any(
                r.needs_explanation for r in rows) else {}
            return rows, statuses

        self.ctx.query(load, self._show_rows, parent=self)

    def _show_rows(self, result) -> None:
        from hospital_app.domain.volume_check import format_percent, threshold_label

        keep = self.note.line_id if self.note is not None else None
        self.rows, self.note_status = result
        self.model.removeRows(0, self.model.rowCount())
        status_text = {"none": self.tr("待审核"), "draft": self.tr("草稿"), "signed": self.tr("已签字")}
        for r in self.rows:
            status = self.note_status.get(r.line_id)
            items = [QStandardItem(r.generic_name), QStandardItem(r.spec or ""), QStandardItem(),
                     QStandardItem(), QStandardItem(format_percent(r.change)),
                     QStandardItem(threshold_label(r.reason) if r.needs_explanation else ""),
                     QStandardItem(status_text.get(status, "") if r.needs_explanation else self.tr("无需")),
                     QStandardItem(r.manufacturer or ""), QStandardItem(r.report_name)]
            items[self.COL_BASELINE].setData(r.baseline, Qt.ItemDataRole.DisplayRole)
            items[self.COL_REPORTED].setData(r.reported, Qt.ItemDataRole.DisplayRole)
            items[self.COL_BASELINE].setToolTip(self.tr("%1 年实际采购量（基本单位）").replace("%1", str(r.baseline_year)))
            items[0].setData(r.line_id, LINE_ROLE)
            for item in items:
                item.setEditable(False)
            if r.needs_explanation:
                items[self.COL_NEED].setForeground(QBrush(NEEDS_COLOUR))
                items[self.COL_CHANGE].setForeground(QBrush(NEEDS_COLOUR))
                colour = SIGNED_COLOUR if status == "signed" else NEEDS_COLOUR
                items[self.COL_STATUS].setForeground(QBrush(colour))
            self.model.appendRow(items)
        needs = [r for r in self.rows if r.needs_explanation]
        signed = sum(1 for r in needs if self.note_status.get(r.line_id) == "signed")
        self.summary.setText(self.tr("共 %1 行，需说明 %2 行，已签字 %3 行").replace("%1", str(len(self.rows)))
                             .replace("%2", str(len(needs))).replace("%3", str(signed)))
        for b in (self.draft_all_button, self.export_pdf_button, self.export_xlsx_button):
            b.setEnabled(bool(needs))
        if not self.rows:
            self.banner.show_message(self.tr("尚未导入报量数据。点击“导入报量文件…”选择医保平台导出的报量表"
                                             "（通用名、规格、报量数）。"), "info")
        else:
            self.banner.hide()
        self._apply_filter()
        if keep is not None and self.select_line(keep):
            return
        if needs:  # open the first line that needs a note
            self.select_line(needs[0].line_id)
            return
        self._show_note(None)

    def _apply_filter(self, *_args) -> None:
        # The need column holds the threshold label only for lines that need a note.
        self.proxy.setFilterRegularExpression(".+" if self.needs_only.isChecked() else "")

    # --------------------------------------------------------------- selection
    def row_of(self, line_id: int) -> int | None:
        for row in range(self.proxy.rowCount()):
            src = self.proxy.mapToSource(self.proxy.index(row, 0))
            if self.model.item(src.row(), 0).data(LINE_ROLE) == line_id:
                return row
        return None

    def select_line(self, line_id: int) -> bool:
        row = self.row_of(line_id)
        if row is None:
            return False
        self.table.setCurrentIndex(self.proxy.index(row, 0))
        self._load_note(line_id)
        return True

    def _row_changed(self, current, _previous) -> None:
        if not current.isValid():
            return
        src = self.proxy.mapToSource(current.siblingAtColumn(0))
        line_id = self.model.item(src.row(), 0).data(LINE_ROLE)
        if line_id is not None:
            self._load_note(int(line_id))

    def _load_note(self, line_id: int) -> None:
        from hospital_app.services import volume_reports as vr

        row = next((r for r in self.rows if r.line_id == line_id), None)
        if row is None or not row.needs_explanation:
            self._show_note(None, row)
            return
        as_of = self.ctx.as_of
        self.ctx.query(lambda s: vr.get_note(s, line_id, as_of), self._show_note, parent=self)

    def _show_note(self, note, row=None) -> None:
        from hospital_app.domain.volume_check import format_percent, threshold_label, trend_label

        self.note = note
        editable = note is not None and note.status != "signed"
        for cb in self.reason_boxes.values():
            cb.setEnabled(editable)
        self.free_text.setReadOnly(not editable)
        self.save_button.setEnabled(editable)
        self.redraft_button.setEnabled(editable)
        self.sign_button.setEnabled(editable)
        self.reopen_button.setEnabled(note is not None and note.status == "signed")
        if note is None:
            if row is not None:
                self.heading.setText(self.tr("%1 %2：变化 %3，在阈值范围内，无需说明。")
                                     .replace("%1", row.generic_name).replace("%2", row.spec or "")
                                     .replace("%3", format_percent(row.change)))
            else:
                self.heading.setText(self.tr("请选择一个需要说明的品种。"))
            self.signature.clear()
            for cb in self.reason_boxes.values():
                cb.setChecked(False)
            self.free_text.clear()
            self.draft.clear()
            self.trend_label.clear()
            self.chart.set_data([], [])
            return
        r = note.row
        self.heading.setText(self.tr("%1 %2（%3）：基线 %4（%5 年），报量 %6，变化 %7 — %8")
                             .replace("%1", r.generic_name).replace("%2", r.spec or "")
                             .replace("%3", r.manufacturer or "").replace("%4", str(r.baseline))
                             .replace("%5", str(r.baseline_year)).replace("%6", str(r.reported))
                             .replace("%7", format_percent(r.change)).replace("%8", threshold_label(r.reason)))
        if note.status == "signed":
            self.signature.setText(self.tr("已由 %1 于 %2 签字确认，已锁定。")
                                   .replace("%1", note.signed_by or "").replace("%2", fmt_datetime(note.signed_at)))
            self.signature.setStyleSheet(f"color:{SIGNED_COLOUR.name()};")
        else:
            self.signature.setText(self.tr("草稿，未签字。") if note.status == "draft" else self.tr("待审核（系统根据采购数据起草）。"))
            self.signature.setStyleSheet("color:#7a5200;")
        for key, cb in self.reason_boxes.items():
            cb.setChecked(key in note.reasons)
        self.free_text.setPlainText(note.free_text or "")
        self.draft.setPlainText(note.draft_text or "")
        self.chart.set_data([m.month for m in note.months], [m.quantity for m in note.months],
                            self.tr("近12个月采购量"))
        self.trend_label.setText(self.tr("近12个月趋势：%1").replace("%1", trend_label(note.trend)))

    # ------------------------------------------------------------------ actions
    def chosen_reasons(self) -> list[str]:
        return [key for key, cb in self.reason_boxes.items() if cb.isChecked()]

    def save_note(self) -> None:
        """Store reasons and free text; the service recomposes the draft from them."""
        from hospital_app.services import volume_reports as vr

        if self.note is None:
            return
        line_id, version, as_of = self.note.line_id, self.note.version, self.ctx.as_of
        reasons, text = self.chosen_reasons(), self.free_text.toPlainText().strip()
        self.ctx.change(lambda s: vr.set_note(s, line_id, reasons, text, as_of=as_of, version=version),
                        self._after_note_change, topics=("volumes",), parent=self)

    def sign_note(self) -> None:
        """R13: save what is on screen, then sign it off (locks the note)."""
        from hospital_app.services import volume_reports as vr

        if self.note is None:
            return
        line_id, version, as_of = self.note.line_id, self.note.version, self.ctx.as_of
        reasons, text = self.chosen_reasons(), self.free_text.toPlainText().strip()

        def work(s):
            vr.set_note(s, line_id, reasons, text, as_of=as_of, version=version)
            return vr.sign_note(s, line_id, as_of=as_of)

        self.ctx.change(work, self._after_note_change, topics=("volumes",), parent=self)

    def reopen_note(self) -> None:
        """Withdraw the signature of a signed note — asks first (destructive)."""
        from hospital_app.services import volume_reports as vr

        if self.note is None or self.note.status != "signed":
            return
        if not common.ask(self, self.tr("撤销签字"),
                          self.tr("撤销后该说明恢复为草稿，需要重新签字。确定撤销 %1 的签字吗？")
                          .replace("%1", self.note.signed_by or "")):
            return
        line_id, as_of = self.note.line_id, self.ctx.as_of
        self.ctx.change(lambda s: vr.reopen_note(s, line_id, as_of=as_of), self._after_note_change,
                        topics=("volumes",), parent=self)

    def _after_note_change(self, note) -> None:
        self._show_note(note)
        self.refresh()

    def draft_all(self) -> None:
        from hospital_app.services import volume_reports as vr

        as_of = self.ctx.as_of
        self.ctx.change(lambda s: vr.draft_notes(s, as_of), lambda notes: self.ctx.events.status_message.emit(
            self.tr("已为 %1 个品种生成或更新草稿。").replace("%1", str(len(notes)))),
            topics=("volumes",), parent=self)

    def import_file(self, path: str | None = None) -> None:
        """Import a reported-volumes file (IMPORT.md kind ``reported-volumes``)."""
        from hospital_app.services import importing

        path = path or common.choose_open_file(self, self.tr("选择报量文件"),
                                               self.tr("表格文件 (*.xlsx *.xls *.csv)"))
        if not path:
            return

        def work(s, task):
            return importing.import_file(s, "reported-volumes", path,
                                         progress=lambda done, total: task.report(done, total or 0))

        self.ctx.change(work, self._imported, topics=("volumes",), progress=self.tr("正在导入报量…"),
                        parent=self)

    def _imported(self, result) -> None:
        data = result.as_dict() if hasattr(result, "as_dict") else dict(result or {})
        self.ctx.events.status_message.emit(
            self.tr("导入完成：%1 行，新增 %2，更新 %3，未变 %4。")
            .replace("%1", str(data.get("rows", 0))).replace("%2", str(data.get("inserted", 0)))
            .replace("%3", str(data.get("updated", 0))).replace("%4", str(data.get("unchanged", 0))))

    def export(self, suffix: str) -> None:
        """R13: the notes of every line that needs one, as PDF or xlsx, then opened."""
        from hospital_app.services import document_history
        from hospital_app.services import volume_reports as vr

        suggested = str(common.document_path("报量情况说明", suffix))
        filters = self.tr("PDF 文件 (*.pdf)") if suffix == ".pdf" else self.tr("Excel 文件 (*.xlsx)")
        path = common.choose_save_file(self, self.tr("导出报量说明"), suggested, filters)
        if not path:
            return
        if not path.lower().endswith(suffix):
            path += suffix
        as_of = self.ctx.as_of

        def work(s):
            out = vr.export_notes(s, path, as_of)
            document_history.record(s, "notes", out, {"as_of": as_of.isoformat(), "format": suffix[1:]})
            return str(out)

        self.ctx.change(work, self._exported, topics=("documents",), parent=self)

    def _exported(self, path: str) -> None:
        self.last_export = path
        self.ctx.events.status_message.emit(self.tr("已导出：%1").replace("%1", path))
        common.open_document(path)
