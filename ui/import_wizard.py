"""Import wizard: file → sheet and header preview → column mapping → dry run → import → summary.

Every step calls ``hospital_app.services.importing`` through the worker; nothing is
written before the last page, and the last page writes exactly what the dry run
checked (same file, sheet and mapping), as ``hospital-app import`` does (IMPORT.md).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QCoreApplication, QSettings, Qt
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import (QCheckBox, QComboBox, QFileDialog, QFormLayout, QHBoxLayout, QHeaderView, QLabel, QLineEdit,
                               QPushButton, QScrollArea, QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget,
                               QWizard, QWizardPage)

from ui.app_context import AppContext

SUFFIXES = (".xlsx", ".xlsm", ".xls", ".csv")
NOT_MAPPED = "-"  # combo data for "do not import this field" (never None, see ui/pages/purchases.py)
# Which data_changed topics an import of each kind touches.
KIND_TOPICS = {"purchases": ("purchases", "products"), "orders": ("payments", "issues"),
               "products": ("products",), "volumes": ("products",), "reported-volumes": ("volumes",),
               "departments": ("departments",)}


def _kind_labels(wizard: QWizard) -> list[tuple[str, str]]:
    # An explicit context: lupdate cannot see the class behind ``wizard.tr`` in a function.
    return [("purchases", QCoreApplication.translate("ImportWizard", "采购明细（平台导出）")),
            ("products", QCoreApplication.translate("ImportWizard", "中选产品目录")),
            ("volumes", QCoreApplication.translate("ImportWizard", "约定采购量")),
            ("orders", QCoreApplication.translate("ImportWizard", "订单（配送与回款）")),
            ("reported-volumes", QCoreApplication.translate("ImportWizard", "报量（需求量）")),
            ("departments", QCoreApplication.translate("ImportWizard", "科室用量（医院信息系统发药/领用）"))]


def _table(parent: QWidget, headers: list[str], rows: list[list[str]]) -> QTableWidget:
    table = QTableWidget(len(rows), len(headers), parent)
    table.setHorizontalHeaderLabels(headers)
    table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
    for r, row in enumerate(rows):
        for c, value in enumerate(row[:len(headers)]):
            table.setItem(r, c, QTableWidgetItem(value))
    return table


class FilePage(QWizardPage):
    def __init__(self, wizard: ImportWizard) -> None:
        super().__init__(wizard)
        self.ctx = wizard.ctx
        self.setTitle(self.tr("选择要导入的文件"))
        self.setSubTitle(self.tr("可以把 Excel 或 CSV 文件直接拖到这里。"))
        self.setAcceptDrops(True)
        self.kind = QComboBox(self)
        self.kind.setObjectName("kindCombo")
        for key, label in _kind_labels(wizard):
            self.kind.addItem(label, key)
        self.path = QLineEdit(self)
        self.path.setObjectName("pathEdit")
        browse = QPushButton(self.tr("浏览…"), self)
        browse.clicked.connect(self._browse)
        row = QHBoxLayout()
        row.addWidget(self.path, 1)
        row.addWidget(browse)
        # R13: the volume report's own name (printed on the notes and the self-check, never the file name).
        self.report_name = QLineEdit(self)
        self.report_name.setObjectName("reportNameEdit")
        self.report_name.setMaxLength(200)
        self.report_name.setToolTip(self.tr("打印在报量情况说明和自查报告中；留空则用“YYYY年度报量”："
                                            "YYYY 取文件名中的年份，文件名没有年份时取计算日期的下一年。"))
        self.form = form = QFormLayout(self)
        form.addRow(self.tr("数据类型："), self.kind)
        form.addRow(self.tr("文件："), row)
        form.addRow(self.tr("报量名称："), self.report_name)
        self.registerField("path*", self.path)
        self.path.textChanged.connect(lambda _t: self.completeChanged.emit())
        self.path.textChanged.connect(lambda _t: self._update_report_name())
        self.kind.currentIndexChanged.connect(lambda _i: self._update_report_name())
        self._update_report_name()

    def _update_report_name(self) -> None:
        """Show 报量名称 for reported volumes only, its default as the placeholder."""
        from hospital_app.services.importing.kinds.reported_volumes import default_report_name

        shown = self.kind.currentData() == "reported-volumes"
        self.form.setRowVisible(self.report_name, shown)
        if shown:
            text = self.path.text().strip()
            self.report_name.setPlaceholderText(
                default_report_name(Path(text).name if text else "", self.ctx.as_of))

    def chosen_report_name(self) -> str | None:
        """The typed name of a volume report (None: the default; other kinds: None)."""
        if self.kind.currentData() != "reported-volumes":
            return None
        return self.report_name.text().strip() or None

    def isComplete(self) -> bool:  # noqa: N802 - Qt API
        text = self.path.text().strip()
        return bool(text) and Path(text).suffix.lower() in SUFFIXES and Path(text).is_file()

    def _browse(self) -> None:
        start = QSettings().value("import/last_folder", "")
        path, _f = QFileDialog.getOpenFileName(self, self.tr("选择文件"), str(start),
                                               self.tr("表格文件 (*.xlsx *.xlsm *.xls *.csv)"))
        if path:
            self.path.setText(path)
            QSettings().setValue("import/last_folder", str(Path(path).parent))

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802
        if event.mimeData().hasUrls():
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802
        for url in event.mimeData().urls():
            if url.isLocalFile() and Path(url.toLocalFile()).suffix.lower() in SUFFIXES:
                self.path.setText(url.toLocalFile())
                event.acceptProposedAction()
                return


class PreviewPage(QWizardPage):
    """The detected sheet and header, and the first rows as the file has them."""

    def __init__(self, wizard: ImportWizard) -> None:
        super().__init__(wizard)
        self.wiz = wizard
        self.setTitle(self.tr("工作表与表头"))
        self.sheet = QComboBox(self)
        self.sheet.setObjectName("sheetCombo")
        self.info = QLabel(self)
        self.info.setWordWrap(True)
        self.table_holder = QVBoxLayout()
        self.table: QTableWidget | None = None
        form = QFormLayout()
        form.addRow(self.tr("工作表："), self.sheet)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.info)
        layout.addLayout(self.table_holder, 1)
        self.sheet.activated.connect(lambda _i: self.wiz.load_preview(self.sheet.currentData()))

    def initializePage(self) -> None:  # noqa: N802
        self.wiz.load_preview(None)

    def isComplete(self) -> bool:  # noqa: N802
        return self.wiz.preview is not None

    def show_preview(self, preview) -> None:
        self.sheet.blockSignals(True)
        self.sheet.clear()
        for sheet in preview.sheets:
            label = sheet["name"] + (self.tr("（隐藏）") if sheet.get("hidden") else "")
            self.sheet.addItem(label, sheet["name"])
        self.sheet.setCurrentIndex(max(self.sheet.findData(preview.sheet), 0))
        self.sheet.blockSignals(False)
        self.info.setText(self.tr("表头在第 %1 行，共 %2 列；下面是前几行数据。")
                          .replace("%1", str(preview.header_row)).replace("%2", str(len(preview.headers))))
        if self.table is not None:
            self.table.deleteLater()
        self.table = _table(self, preview.headers, preview.rows)
        self.table.setObjectName("previewTable")
        self.table_holder.addWidget(self.table)
        self.completeChanged.emit()


class MappingPage(QWizardPage):
    """Field → column drop-downs prefilled from the synonym table; presets."""

    def __init__(self, wizard: ImportWizard) -> None:
        super().__init__(wizard)
        self.wiz = wizard
        self.setTitle(self.tr("列对应关系"))
        self.setSubTitle(self.tr("已按常见表头自动对应，带 * 的为必需项。可保存为预设，下次直接选用。"))
        self.combos: dict[str, QComboBox] = {}
        self.preset = QComboBox(self)
        self.preset.setObjectName("presetCombo")
        self.preset_name = QLineEdit(self)
        self.preset_name.setPlaceholderText(self.tr("预设名称"))
        self.save_button = QPushButton(self.tr("保存为预设"), self)
        self.save_button.clicked.connect(self.save_preset)
        self.missing = QLabel(self)
        self.missing.setStyleSheet("color: #d93025;")
        self.missing.setWordWrap(True)
        presets = QHBoxLayout()
        presets.addWidget(QLabel(self.tr("预设："), self))
        presets.addWidget(self.preset, 1)
        presets.addWidget(self.preset_name, 1)
        presets.addWidget(self.save_button)
        self.form_widget = QWidget(self)
        self.form = QFormLayout(self.form_widget)
        scroll = QScrollArea(self)
        scroll.setWidgetResizable(True)
        scroll.setWidget(self.form_widget)
        layout = QVBoxLayout(self)
        layout.addLayout(presets)
        layout.addWidget(scroll, 1)
        layout.addWidget(self.missing)
        self.preset.activated.connect(self._apply_preset)
        self._presets: list[dict] = []

    def initializePage(self) -> None:  # noqa: N802
        from hospital_app.importers.headers import KIND_FIELDS, KIND_REQUIRED, field_label

        preview = self.wiz.preview
        while self.form.rowCount():
            self.form.removeRow(0)
        self.combos.clear()
        required = {item for item in KIND_REQUIRED[self.wiz.kind] if not isinstance(item, tuple)}
        # "One of" groups (code or generic name; purchase date or order time): say so.
        either = {f: [o for o in item if o != f] for item in KIND_REQUIRED[self.wiz.kind]
                  if isinstance(item, tuple) for f in item}
        for fname in KIND_FIELDS[self.wiz.kind]:
            combo = QComboBox(self.form_widget)
            combo.setObjectName(f"map_{fname}")
            combo.addItem(self.tr("（不导入）"), NOT_MAPPED)
            for header in preview.headers:
                if header:
                    combo.addItem(header, header)
            combo.setCurrentIndex(max(combo.findData(preview.mapping.get(fname, NOT_MAPPED)), 0))
            combo.currentIndexChanged.connect(lambda _i: self._mapping_changed())
            label = field_label(fname)
            if fname in required:
                label += " *"
            elif fname in either:
                others = self.tr("、").join(field_label(o) for o in either[fname])
                label += self.tr(" *（或%1）").replace("%1", others)
            self.form.addRow(label, combo)
            self.combos[fname] = combo
        self._update_missing()
        self.wiz.ctx.query(lambda s: self.wiz.api().list_mappings(s, self.wiz.kind), self._show_presets,
                           parent=self)

    def _show_presets(self, presets: list[dict]) -> None:
        self._presets = presets
        self.preset.clear()
        self.preset.addItem(self.tr("（自动识别）"), "")
        for p in presets:
            self.preset.addItem(p["name"], p["name"])

    def _apply_preset(self, index: int) -> None:
        name = self.preset.itemData(index)
        chosen = next((p for p in self._presets if p["name"] == name), None)
        if chosen is None:
            return
        for fname, combo in self.combos.items():
            combo.setCurrentIndex(max(combo.findData(chosen["mapping"].get(fname, NOT_MAPPED)), 0))
        self.preset_name.setText(name)

    def mapping(self) -> dict[str, str]:
        return {f: c.currentData() for f, c in self.combos.items() if c.currentData() not in (None, NOT_MAPPED)}

    def _mapping_changed(self) -> None:
        self._update_missing()
        self.completeChanged.emit()

    def _missing_required(self) -> list[str]:
        from hospital_app.importers.headers import KIND_REQUIRED, field_label

        present = set(self.mapping())
        missing = []
        for item in KIND_REQUIRED[self.wiz.kind]:
            options = item if isinstance(item, tuple) else (item,)
            if not present & set(options):
                missing.append(self.tr("或").join(field_label(o) for o in options))
        return missing

    def _update_missing(self) -> None:
        missing = self._missing_required()
        self.missing.setText(self.tr("缺少必需的列：%1").replace("%1", "、".join(missing)) if missing else "")

    def isComplete(self) -> bool:  # noqa: N802
        return bool(self.combos) and not self._missing_required()

    def save_preset(self) -> None:
        name = self.preset_name.text().strip()
        mapping, kind = self.mapping(), self.wiz.kind

        def done(saved: dict) -> None:
            self.wiz.ctx.events.status_message.emit(self.tr("已保存预设“%1”").replace("%1", saved["name"]))
            self.wiz.ctx.query(lambda s: self.wiz.api().list_mappings(s, kind), self._show_presets, parent=self)
            self.preset.setCurrentIndex(max(self.preset.findData(saved["name"]), 0))

        self.wiz.ctx.change(lambda s: self.wiz.api().save_mapping(s, kind, name, mapping), done,
                            topics=("settings",), parent=self)


class DryRunPage(QWizardPage):
    """Check everything, write nothing; list every problem with its row (click to see the row)."""

    def __init__(self, wizard: ImportWizard) -> None:
        super().__init__(wizard)
        self.wiz = wizard
        self.setTitle(self.tr("检查（试导入）"))
        self.setSubTitle(self.tr("先检查全部数据，不写入数据库。有问题时请修改文件后重新选择。"))
        self.summary = QLabel(self)
        self.summary.setWordWrap(True)
        self.errors = QTableWidget(0, 3, self)
        self.errors.setObjectName("errorTable")
        self.errors.setHorizontalHeaderLabels([self.tr("行"), self.tr("列"), self.tr("问题")])
        self.errors.horizontalHeader().setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        self.errors.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.errors.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
        self.errors.verticalHeader().setVisible(False)
        self.row_view = QLabel(self)
        self.row_view.setObjectName("rowView")
        self.row_view.setWordWrap(True)
        self.row_view.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.row_view.setStyleSheet("background: #f8f9fa; padding: 6px;")
        self.skip = QCheckBox(self.tr("跳过这些有问题的行，导入其余各行（导入后列出跳过的行及原因）"), self)
        self.skip.setObjectName("skipInvalid")
        self.skip.setVisible(False)
        self.skip.toggled.connect(self._skip_toggled)
        layout = QVBoxLayout(self)
        layout.addWidget(self.summary)
        layout.addWidget(self.errors, 1)
        layout.addWidget(self.row_view)
        layout.addWidget(self.skip)
        self.errors.cellClicked.connect(lambda r, _c: self.show_row(r))
        self.result = None
        self.problems: list[Any] = []

    def _skip_toggled(self, on: bool) -> None:
        self.wiz.skip_invalid = on
        self.completeChanged.emit()

    def initializePage(self) -> None:  # noqa: N802
        self.result, self.problems = None, []
        self.skip.setChecked(False)
        self.skip.setVisible(False)
        self.errors.setRowCount(0)
        self.row_view.clear()
        self.summary.setText(self.tr("正在检查…"))
        wiz = self.wiz
        path, kind, sheet, mapping = wiz.path(), wiz.kind, wiz.sheet(), wiz.mapping()
        name, as_of = wiz.file_page.chosen_report_name(), wiz.ctx.as_of

        def work(session, task):
            return wiz.api().import_file(session, kind, path, sheet=sheet, mapping=mapping, dry_run=True,
                                         report_name=name, as_of=as_of,
                                         progress=task)

        wiz.ctx.change(work, self._done, self._failed, topics=(), progress=self.tr("正在检查文件…"),
                       parent=self)

    def _done(self, result) -> None:
        self.result = result
        self.problems = list(result.errors)
        self._show_problems()
        if not self.problems:
            self.summary.setText(self.tr("检查通过：共 %1 行，将新增 %2 行、更新 %3 行、%4 行不变。")
                                 .replace("%1", str(result.rows)).replace("%2", str(result.inserted))
                                 .replace("%3", str(result.updated)).replace("%4", str(result.unchanged)))
        self.completeChanged.emit()

    def _failed(self, exc: BaseException) -> None:
        from hospital_app.errors import BadInput
        from ui.worker import describe_error, show_error

        if not isinstance(exc, BadInput):
            show_error(exc, self)
            self.summary.setText(describe_error(exc))
            return
        self.problems = list(exc.problems)
        self.summary.setText(describe_error(exc))
        self.skip.setVisible(bool(self.problems) and any(p.row for p in self.problems))
        self._show_problems()
        self.completeChanged.emit()

    def _show_problems(self) -> None:
        self.errors.setRowCount(len(self.problems))
        for r, p in enumerate(self.problems):
            for c, value in enumerate((str(p.row or ""), p.column or "", p.message)):
                self.errors.setItem(r, c, QTableWidgetItem(value))
        if self.problems:
            self.summary.setText(self.summary.text() + "\n" + self.tr("发现 %1 处问题，没有写入任何数据。点击一行查看原始数据。")
                                 .replace("%1", str(len(self.problems))))

    def show_row(self, index: int) -> None:
        """Show the file's row of problem ``index`` as header: value pairs."""
        problem = self.problems[index]
        preview = self.wiz.preview
        if not problem.row or preview is None or not preview.header_row or problem.row <= preview.header_row:
            self.row_view.setText(problem.message)
            return
        wanted = problem.row - preview.header_row
        wiz = self.wiz
        path, kind, sheet, mapping = wiz.path(), wiz.kind, wiz.sheet(), wiz.mapping()

        def load():
            return wiz.api().preview(path, kind, sheet, mapping=mapping, max_rows=wanted)

        def done(p) -> None:
            values = p.rows[-1] if len(p.rows) >= wanted else []
            pairs = [f"{h or '?'}：{v}" for h, v in zip(p.headers, values) if h or v]
            self.row_view.setText(self.tr("第 %1 行：").replace("%1", str(problem.row)) + "；".join(pairs))

        wiz.ctx.run(load, done, parent=self)

    def isComplete(self) -> bool:  # noqa: N802
        if self.problems and self.skip.isVisible() and self.skip.isChecked():
            return True  # the user chose to skip the rows with problems (import --skip-invalid)
        return self.result is not None and not self.problems


class ImportPage(QWizardPage):
    """The real import (with progress), then the summary — and the run's warnings: what it
    did not change but the user should know (e.g. a batch's stored dates kept, IMPORT.md)."""

    def __init__(self, wizard: ImportWizard) -> None:
        super().__init__(wizard)
        self.wiz = wizard
        self.setTitle(self.tr("导入"))
        self.summary = QLabel(self)
        self.summary.setObjectName("importSummary")
        self.summary.setWordWrap(True)
        self.warning_note = QLabel(self)
        self.warning_note.setObjectName("importWarningNote")
        self.warning_note.setWordWrap(True)
        self.warning_note.setStyleSheet("color: #9a6200;")
        self.warnings = QTableWidget(0, 3, self)
        self.warnings.setObjectName("warningTable")
        self.warnings.setHorizontalHeaderLabels([self.tr("行"), self.tr("列"), self.tr("说明")])
        self.warnings.horizontalHeader().setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        self.warnings.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.warnings.setWordWrap(True)
        self.warnings.verticalHeader().setVisible(False)
        layout = QVBoxLayout(self)
        layout.addWidget(self.summary)
        layout.addWidget(self.warning_note)
        layout.addWidget(self.warnings, 1)
        self._show_warnings([])
        self.result = None
        self.setFinalPage(True)

    def initializePage(self) -> None:  # noqa: N802
        self.result = None
        self.summary.setText(self.tr("正在导入…"))
        self._show_warnings([])
        wiz = self.wiz
        path, kind, sheet, mapping = wiz.path(), wiz.kind, wiz.sheet(), wiz.mapping()
        name, as_of = wiz.file_page.chosen_report_name(), wiz.ctx.as_of

        def work(session, task):
            from hospital_app.services.audit import current_user

            return wiz.api().import_file(session, kind, path, sheet=sheet, mapping=mapping, who=current_user(),
                                         report_name=name, as_of=as_of,
                                         progress=task, skip_invalid=wiz.skip_invalid)

        wiz.ctx.change(work, self._done, self._failed, topics=KIND_TOPICS.get(kind, ("all",)),
                       progress=self.tr("正在导入 %1…").replace("%1", Path(path).name), parent=self)

    def _done(self, result) -> None:
        self.result = result
        lines = [self.tr("导入完成：%1").replace("%1", result.file),
                 self.tr("工作表“%1”，共 %2 行").replace("%1", result.sheet or "").replace("%2", str(result.rows)),
                 self.tr("新增 %1 行，更新 %2 行，%3 行与已有数据相同（未重复导入）")
                 .replace("%1", str(result.inserted)).replace("%2", str(result.updated))
                 .replace("%3", str(result.unchanged))]
        if getattr(result, "created_products", 0):
            lines.append(self.tr("新建了 %1 个非中选产品").replace("%1", str(result.created_products)))
        skipped = list(getattr(result, "skipped", None) or [])
        if skipped:
            lines.append(self.tr("跳过了 %1 行有问题的行：").replace("%1", str(len({s["row"] for s in skipped}))))
            lines.extend(self.tr("第 %1 行：%2").replace("%1", str(s["row"])).replace("%2", s["message"])
                         for s in skipped[:50])
        self.summary.setText("\n".join(lines))
        self._show_warnings(list(getattr(result, "warnings", None) or []))
        self.completeChanged.emit()

    def _show_warnings(self, warnings: list[Any]) -> None:
        """List ``ImportResult.warnings`` (row, column, message); hidden when there are none."""
        self.warnings.setRowCount(len(warnings))
        for r, w in enumerate(warnings):
            for c, value in enumerate((str(w.row or ""), w.column or "", w.message)):
                self.warnings.setItem(r, c, QTableWidgetItem(value))
        self.warnings.resizeRowsToContents()
        self.warning_note.setText(self.tr("请注意 %1 条提示（数据已导入，以下内容未改动）：")
                                  .replace("%1", str(len(warnings))) if warnings else "")
        self.warning_note.setVisible(bool(warnings))
        self.warnings.setVisible(bool(warnings))

    def _failed(self, exc: BaseException) -> None:
        from ui.worker import describe_error

        self.summary.setText(self.tr("导入未完成，没有写入任何数据：") + "\n" + describe_error(exc))
        self.completeChanged.emit()

    def isComplete(self) -> bool:  # noqa: N802
        return self.result is not None


class ImportWizard(QWizard):
    def __init__(self, ctx: AppContext, parent: QWidget | None = None, path: str | None = None,
                 kind: str | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.setObjectName("importWizard")
        self.setWindowTitle(self.tr("导入数据"))
        self.setWizardStyle(QWizard.WizardStyle.ClassicStyle)
        self.resize(900, 600)
        self.preview = None
        self.skip_invalid = False  # "skip these rows" on the check page (import --skip-invalid)
        self.file_page = FilePage(self)
        self.preview_page = PreviewPage(self)
        self.mapping_page = MappingPage(self)
        self.dry_run_page = DryRunPage(self)
        self.import_page = ImportPage(self)
        for page in (self.file_page, self.preview_page, self.mapping_page, self.dry_run_page, self.import_page):
            self.addPage(page)
        self.setButtonText(QWizard.WizardButton.NextButton, self.tr("下一步 >"))
        self.setButtonText(QWizard.WizardButton.BackButton, self.tr("< 上一步"))
        self.setButtonText(QWizard.WizardButton.FinishButton, self.tr("完成"))
        self.setButtonText(QWizard.WizardButton.CancelButton, self.tr("取消"))
        if kind:  # guessed from the header row of a dropped file (importers/kind_guess.py)
            self.file_page.kind.setCurrentIndex(max(self.file_page.kind.findData(kind), 0))
        if path:
            self.file_page.path.setText(path)

    @staticmethod
    def api():
        from hospital_app.services import importing

        return importing

    # ---- what the pages agreed on
    @property
    def kind(self) -> str:
        return self.file_page.kind.currentData()

    def path(self) -> str:
        return self.file_page.path.text().strip()

    def sheet(self) -> str | None:
        return self.preview.sheet if self.preview is not None else None

    def mapping(self) -> dict[str, str]:
        return self.mapping_page.mapping() if self.mapping_page.combos else {}

    def load_preview(self, sheet: str | None) -> None:
        path, kind = self.path(), self.kind
        self.preview = None
        self.preview_page.completeChanged.emit()

        def done(preview) -> None:
            self.preview = preview
            self.preview_page.show_preview(preview)

        def failed(exc: BaseException) -> None:
            from ui.worker import describe_error

            self.preview_page.info.setText(describe_error(exc))

        self.ctx.query(lambda s: self.api().preview(path, kind, sheet, session=s), done, failed, parent=self)
