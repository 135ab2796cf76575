"""Products page: the R8 progress table with filters, and one product's detail.

The table shows ``progress.compute_progress`` rows (a few hundred to a few thousand),
sorted and filtered by a proxy model; the detail pane shows ``progress.product_detail``:
monthly targets against purchases (R7), agreement periods, exemptions (R11), marks and
suspension (R17). Export writes the same table to xlsx through the reports package.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

from PySide6.QtCore import (QAbstractTableModel, QCoreApplication, QModelIndex, QObject, QSortFilterProxyModel, Qt)
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (QAbstractItemView, QComboBox, QFileDialog, QFormLayout, QHBoxLayout,
                               QLabel, QLineEdit, QListWidget, QPushButton, QSplitter, QTableView, QTableWidget,
                               QTableWidgetItem, QTabWidget, QVBoxLayout, QWidget)

from ui.app_context import AppContext
from ui.widgets.table_fit import ColumnChooser, fit_width
from ui.pages.base import BasePage
from ui.status_style import (STATUS_ORDER, SUSPENDED_COLOUR, percent, status_background, status_colour,
                             status_label)

SORT_ROLE = Qt.ItemDataRole.UserRole
ALL = "*"  # filter sentinel (never None as item data, see ui/pages/purchases.py)


class ProgressModel(QAbstractTableModel):
    """Rows of the progress report; sort keys in SORT_ROLE (numbers sort as numbers)."""

    #: What a pharmacist reads first comes first, so that at 1366 px the status, completion,
    #: schedule, shortfall, remaining volume and non-selected share show without scrolling.
    COLUMNS = ("generic_name", "status", "completion", "schedule", "shortfall", "remaining",
               "nonselected_share", "spec", "purchased", "target_to_date", "agreed_volume", "manufacturer",
               "batch", "flags")
    NUMBERS = ("agreed_volume", "target_to_date", "purchased", "shortfall", "remaining")

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.rows: list[Any] = []

    def headers(self) -> list[str]:
        return [self.tr("通用名"), self.tr("状态"), self.tr("完成进度"), self.tr("序时进度"), self.tr("缺口"),
                self.tr("尚余"), self.tr("非中选占比"), self.tr("规格"), self.tr("已采购"), self.tr("序时目标"),
                self.tr("约定采购量"), self.tr("生产企业"), self.tr("批次"), self.tr("提示")]

    @staticmethod
    def remaining(row: Any) -> int:
        """What is left of the agreed volume this agreement year (R8 v2 ``remaining``)."""
        return int(row.remaining)

    def set_rows(self, rows: list[Any]) -> None:
        self.beginResetModel()
        self.rows = list(rows)
        self.endResetModel()

    def rowCount(self, parent: QModelIndex = QModelIndex()) -> int:  # noqa: N802, B008
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: QModelIndex = QModelIndex()) -> int:  # noqa: N802, B008
        return 0 if parent.isValid() else len(self.COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation,  # noqa: N802
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return self.headers()[section]
        return None

    def data(self, index: QModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        row = self.rows[index.row()]
        key = self.COLUMNS[index.column()]
        value = self.remaining(row) if key == "remaining" else getattr(row, key, None)
        if role == Qt.ItemDataRole.DisplayRole:
            if key == "spec":
                return " ".join(x for x in (row.dosage_form, row.spec) if x)
            if key == "generic_name" and "suspended" in (row.flags or []):  # R17: marked wherever shown
                return f"{QCoreApplication.translate('StatusStyle', '［暂停］')}{value}"
            if key in ("completion", "schedule", "nonselected_share"):
                return percent(value)
            if key == "status":
                return status_label(value)
            if key in self.NUMBERS:
                return f"{int(value or 0):,}"
            if key == "flags":
                from hospital_app.domain.status import flag_label

                return "、".join(flag_label(f) for f in value or [])
            return "" if value is None else str(value)
        if role == SORT_ROLE:
            if key == "status":
                return STATUS_ORDER.index(value) if value in STATUS_ORDER else 99
            if isinstance(value, Fraction):
                return float(value)
            if isinstance(value, list):
                return len(value)
            return value if value is not None else ""
        if role == Qt.ItemDataRole.ForegroundRole and key == "generic_name" and "suspended" in (row.flags or []):
            return QBrush(QColor(SUSPENDED_COLOUR))
        if role == Qt.ItemDataRole.ForegroundRole and key in ("status", "completion"):
            return QBrush(status_colour(row.status))
        if role == Qt.ItemDataRole.BackgroundRole:
            return QBrush(status_background(row.status))
        if role == Qt.ItemDataRole.ToolTipRole and key == "generic_name":
            return " ".join(str(x) for x in (row.generic_name, row.dosage_form, row.spec, row.manufacturer) if x)
        if role == Qt.ItemDataRole.TextAlignmentRole and key in (*self.NUMBERS, "completion", "schedule",
                                                                 "nonselected_share"):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None


class ProgressFilter(QSortFilterProxyModel):
    """Batch, status and free text (generic name, manufacturer, spec)."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.batch = ALL
        self.status = ALL
        self.text = ""
        self.setSortRole(SORT_ROLE)

    def set_filters(self, batch: str, status: str, text: str) -> None:
        if hasattr(self, "beginFilterChange"):  # Qt ≥ 6.9; invalidateFilter() is deprecated there
            self.beginFilterChange()
            self.batch, self.status, self.text = batch, status, text.strip().lower()
            self.endFilterChange(QSortFilterProxyModel.Direction.Rows)
        else:  # pragma: no cover - older Qt
            self.batch, self.status, self.text = batch, status, text.strip().lower()
            self.invalidateFilter()

    def filterAcceptsRow(self, source_row: int, source_parent: QModelIndex) -> bool:  # noqa: N802
        row = self.sourceModel().rows[source_row]
        if self.batch != ALL and (row.batch or "") != self.batch:
            return False
        if self.status != ALL and row.status != self.status:
            return False
        if self.text:
            haystack = " ".join(str(x or "") for x in (row.generic_name, row.manufacturer, row.spec,
                                                        row.dosage_form, row.batch)).lower()
            return self.text in haystack
        return True


class ProductDetailPane(QWidget):
    """One product: facts, monthly chart, periods, exemptions, marks, suspension."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.detail = None
        self.heading = QLabel(self.tr("选择一个产品查看详情"), self)
        self.heading.setStyleSheet("font-size: 16px; font-weight: bold;")
        self.heading.setWordWrap(True)
        self.facts = QLabel(self)
        self.facts.setWordWrap(True)
        self.facts.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.chart_holder = QVBoxLayout()
        self.chart = None
        self.periods = QTableWidget(0, 5, self)
        self.periods.setObjectName("periodsTable")
        self.periods.setHorizontalHeaderLabels([self.tr("年度"), self.tr("开始"), self.tr("结束"),
                                                self.tr("约定量"), self.tr("已采购")])
        self.periods.verticalHeader().setVisible(False)
        # Five narrow columns: sized to their contents so 已采购 is not hidden behind a scroll bar.
        fit_width(self.periods, (4,))
        self.periods.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.exemptions = QListWidget(self)
        self.exemptions.setObjectName("exemptionList")
        self.marks = QLabel(self)
        self.marks.setWordWrap(True)
        self.suspension = QLabel(self)
        self.suspension.setWordWrap(True)
        self.purchases_button = QPushButton(self.tr("查看采购明细"), self)
        self.purchases_button.setEnabled(False)
        self.lag_reason = QLabel(self)
        self.lag_reason.setObjectName("lagReason")
        self.lag_reason.setWordWrap(True)
        self.lag_reason_button = QPushButton(self.tr("编辑未完成原因…"), self)
        self.lag_reason_button.setObjectName("lagReasonButton")
        self.lag_reason_button.setEnabled(False)
        self.suspension_button = QPushButton(self.tr("暂停使用 / 恢复使用…"), self)
        self.suspension_button.setObjectName("suspensionButton")
        self.suspension_button.setEnabled(False)

        tabs = QTabWidget(self)
        tabs.addTab(self.periods, self.tr("协议期"))
        tabs.addTab(self.exemptions, self.tr("免考核"))
        other = QWidget(self)
        form = QFormLayout(other)
        form.addRow(self.tr("标记："), self.marks)
        form.addRow(self.tr("停用："), self.suspension)
        form.addRow("", self.suspension_button)
        form.addRow(self.tr("未完成原因："), self.lag_reason)
        form.addRow("", self.lag_reason_button)
        tabs.addTab(other, self.tr("标记与停用"))

        layout = QVBoxLayout(self)
        layout.addWidget(self.heading)
        layout.addWidget(self.facts)
        layout.addLayout(self.chart_holder, 3)
        layout.addWidget(tabs, 2)
        layout.addWidget(self.purchases_button)

    def show_detail(self, detail) -> None:
        from ui.widgets.charts import MonthlyTargetChart

        self.detail = detail
        self.purchases_button.setEnabled(True)
        self.lag_reason_button.setEnabled(True)
        self.suspension_button.setEnabled(True)
        self.heading.setText(" ".join(x for x in (detail.generic_name, detail.dosage_form, detail.spec) if x))
        price = "" if detail.selected_price is None else str(detail.selected_price)
        progress = detail.progress
        lines = [self.tr("批次：%1").replace("%1", detail.batch or "—"),
                 self.tr("生产企业：%1").replace("%1", detail.manufacturer or "—"),
                 self.tr("中选价：%1 元/%2").replace("%1", price or "—").replace("%2", detail.unit or "")]
        if progress is not None:
            lines.append(self.tr("状态：%1；完成进度 %2，序时进度 %3").replace("%1", status_label(progress.status))
                         .replace("%2", percent(progress.completion)).replace("%3", percent(progress.schedule)))
            unit = detail.unit or ""
            remaining = int(progress.remaining)
            lines.append(self.tr("缺口：%1%2（应采 %3，已采 %4）").replace(
                "%1", f"{int(progress.shortfall):,}").replace("%2", unit).replace(
                "%3", f"{int(progress.target_to_date):,}").replace("%4", f"{int(progress.purchased):,}"))
            lines.append(self.tr("距约定量尚余：%1%2").replace("%1", f"{remaining:,}").replace("%2", unit))
        self.facts.setText("\n".join(lines))
        if self.chart is None:
            self.chart = MonthlyTargetChart(self, min_height=200)
            self.chart.setObjectName("monthlyChart")
            self.chart_holder.addWidget(self.chart, 1)
            self.chart_holder.addWidget(self.chart.legend_label)
        current = next((p for p in detail.periods if p.current), detail.periods[-1] if detail.periods else None)
        if current is not None:
            self.chart.set_data([m.label for m in current.months], [m.target for m in current.months],
                                [m.purchased for m in current.months],
                                self.tr("第 %1 年协议期：月度目标与实际采购（%2）").replace(
                                    "%1", str(current.year_index)).replace("%2", detail.unit or ""),
                                clustered=[m.clustered for m in current.months],
                                empty=[m.empty for m in current.months],
                                end_label=self.tr("协议期结束 %1").replace("%1", current.end.isoformat()))
        else:
            self.chart.set_data([], [], [], self.tr("没有协议期"))
        self.periods.setRowCount(len(detail.periods))
        for r, p in enumerate(detail.periods):
            for c, value in enumerate((str(p.year_index), p.start.isoformat(), p.end.isoformat(),
                                       f"{p.agreed_volume:,}", f"{p.purchased:,}")):
                item = QTableWidgetItem(value)
                if p.current:
                    font = item.font()
                    font.setBold(True)
                    item.setFont(font)
                self.periods.setItem(r, c, item)
        self.exemptions.clear()
        for e in detail.exemptions:
            span = f"{e['start'] or '…'} — {e['end'] or '…'}"
            state = self.tr("（生效中）") if e.get("active") else ""
            self.exemptions.addItem(f"{e.get('reason_label') or e['reason']} {span}{state} {e.get('note') or ''}")
        if not detail.exemptions:
            self.exemptions.addItem(self.tr("无"))
        from hospital_app.services.management import mark_label

        marks = [mark_label(name) for name, on in (detail.marks or {}).items() if on]
        self.marks.setText("、".join(marks) if marks else self.tr("无"))
        if detail.suspended_on:
            self.suspension.setText(self.tr("%1 起停用：%2").replace("%1", detail.suspended_on.isoformat())
                                    .replace("%2", detail.suspension_reason or ""))
        else:
            self.suspension.setText(self.tr("未停用"))


    def show_lag_reason(self, text: str | None) -> None:
        self.lag_reason.setText(text or self.tr("未填写"))


class ProductsPage(BasePage):
    page_name = "products"
    # "issues": purchases linked to an issue leave the non-selected share (R9/R11).
    topics = ("purchases", "products", "issues", "settings", "calendar")

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent)
        self.model = ProgressModel(self)
        self.proxy = ProgressFilter(self)
        self.proxy.setSourceModel(self.model)
        self._pending_select: int | None = None

        self.batch = QComboBox(self)
        self.batch.setObjectName("batchFilter")
        self.batch.addItem(self.tr("全部批次"), ALL)
        self.status = QComboBox(self)
        self.status.setObjectName("statusFilter")
        self.status.addItem(self.tr("全部状态"), ALL)
        for key in STATUS_ORDER:
            self.status.addItem(status_label(key), key)
        self.search = QLineEdit(self)
        self.search.setPlaceholderText(self.tr("通用名、生产企业或规格"))
        self.search.setClearButtonEnabled(True)
        self.export_button = QPushButton(self.tr("导出 Excel…"), self)
        self.batch_button = QPushButton(self.tr("批次设置…"), self)
        self.batch_button.setObjectName("batchEditorButton")
        self.batch_button.setToolTip(self.tr("批次类别（药品/耗材）与采购周期顺延"))
        self.count_label = QLabel(self)

        bar = QHBoxLayout()
        bar.addWidget(self.batch, 1)
        bar.addWidget(self.status)
        bar.addWidget(self.search, 1)
        bar.addWidget(self.export_button)
        bar.addWidget(self.batch_button)

        self.table = QTableView(self)
        self.table.setObjectName("progressTable")
        self.table.setModel(self.proxy)
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(ProgressModel.COLUMNS.index("status"), Qt.SortOrder.AscendingOrder)  # the latest first: not started, behind …
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.verticalHeader().setVisible(False)
        self.table.verticalHeader().setDefaultSectionSize(24)
        status_width = max(self.table.fontMetrics().horizontalAdvance(status_label(k)) for k in STATUS_ORDER) + 16
        for column, width in enumerate((120, 84, 60, 60, 64, 70, 70, 90, 80, 80, 80, 160, 160, 160)):
            if column == 1:
                width = max(width, status_width)
            self.table.setColumnWidth(column, width)
        # At 1366 px the table shows what a pharmacist reads first without a horizontal scroll bar;
        # purchased, target, agreed volume, manufacturer and batch are in the detail pane and can be
        # shown again from the header's context menu.
        cols = ProgressModel.COLUMNS
        fit_width(self.table, (cols.index("flags"),), content_sized=False)
        header = self.table.horizontalHeader()
        for column in range(len(cols)):  # never narrower than the title (English titles wrap)
            self.table.setColumnWidth(column, max(self.table.columnWidth(column), header.sectionSizeHint(column)))
        self.columns = ColumnChooser(self.table, self.model.headers(), [cols.index(k) for k in (
            "purchased", "target_to_date", "agreed_volume", "manufacturer", "batch")])
        self.detail = ProductDetailPane(self)

        left = QWidget(self)
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addLayout(bar)
        left_layout.addWidget(self.table, 1)
        left_layout.addWidget(self.count_label)
        splitter = QSplitter(Qt.Orientation.Horizontal, self)
        splitter.addWidget(left)
        splitter.addWidget(self.detail)
        splitter.setSizes([810, 370])
        splitter.setStretchFactor(0, 1)
        layout = QVBoxLayout(self)
        layout.addWidget(splitter)

        self.batch.currentIndexChanged.connect(lambda _i: self.apply_filters())
        self.status.currentIndexChanged.connect(lambda _i: self.apply_filters())
        self.search.textChanged.connect(lambda _t: self.apply_filters())
        self.table.selectionModel().currentRowChanged.connect(self._current_changed)
        self.export_button.clicked.connect(self.export_xlsx)
        self.detail.purchases_button.clicked.connect(self._show_purchases)
        self.detail.lag_reason_button.clicked.connect(self.edit_lag_reason)
        self.detail.suspension_button.clicked.connect(self.open_suspension_editor)
        self.batch_button.clicked.connect(self.open_batch_editor)

    def title(self) -> str:
        return self.tr("产品进度")

    # ---- loading
    def refresh(self) -> None:
        self.count_label.setText(self.tr("正在计算进度…"))

        def load(session):
            from hospital_app.services.progress import compute_progress

            return compute_progress(session, self.ctx.as_of).rows

        self.ctx.query(load, self.show_rows, parent=self)

    def show_rows(self, rows: list[Any]) -> None:
        self.model.set_rows(rows)
        current = self.batch.currentData()
        self.batch.blockSignals(True)
        self.batch.clear()
        self.batch.addItem(self.tr("全部批次"), ALL)
        for name in sorted({r.batch for r in rows if r.batch}):
            self.batch.addItem(name, name)
        self.batch.setCurrentIndex(max(self.batch.findData(current), 0))
        self.batch.blockSignals(False)
        self.apply_filters()
        if self._pending_select is not None:
            product_id, self._pending_select = self._pending_select, None
            self.select_product(product_id)
        elif not self.table.currentIndex().isValid() and self.proxy.rowCount():
            self.table.setCurrentIndex(self.proxy.index(0, 0))  # the most urgent product

    def apply_filters(self) -> None:
        self.proxy.set_filters(self.batch.currentData() or ALL, self.status.currentData() or ALL,
                               self.search.text())
        self.count_label.setText(self.tr("显示 %1 / %2 个产品").replace("%1", str(self.proxy.rowCount()))
                                 .replace("%2", str(self.model.rowCount())))

    # ---- selection and detail
    def select_product(self, product_id: int) -> bool:
        """Select a product's row (from the dashboard); clears filters that would hide it."""
        if not self.model.rows:
            self._pending_select = product_id
            return False
        for r, row in enumerate(self.model.rows):
            if row.product_id == product_id:
                self.batch.setCurrentIndex(0)
                self.status.setCurrentIndex(0)
                self.search.clear()
                index = self.proxy.mapFromSource(self.model.index(r, 0))
                self.table.setCurrentIndex(index)
                self.table.scrollTo(index)
                return True
        self.load_detail(product_id)  # not in the table (non-selected or no current period)
        return False

    def _current_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        if not current.isValid():
            return
        row = self.model.rows[self.proxy.mapToSource(current).row()]
        self.load_detail(row.product_id)

    def load_detail(self, product_id: int) -> None:
        def load(session):
            from hospital_app.services.progress import product_detail

            return product_detail(session, product_id, self.ctx.as_of)

        self.ctx.query(load, self.detail.show_detail, parent=self)
        from hospital_app.services.management import get_lag_reason

        self.ctx.query(lambda s: get_lag_reason(s, product_id), self.detail.show_lag_reason, parent=self)

    def edit_lag_reason(self, text: str | None = None) -> None:
        """R8/R19: the pharmacist's reason the product lags (未完成原因); ``text`` skips the prompt (tests)."""
        from PySide6.QtWidgets import QInputDialog

        from hospital_app.services.management import set_lag_reason

        if self.detail.detail is None:
            return
        product_id = self.detail.detail.product_id
        if text is None:
            current = self.detail.lag_reason.text() if self.detail.lag_reason.text() != self.tr("未填写") else ""
            text, ok = QInputDialog.getMultiLineText(self, self.tr("未完成原因"),
                                                     self.tr("该产品未完成约定采购量的原因（留空即清除）："), current)
            if not ok:
                return
        self.ctx.change(lambda s: set_lag_reason(s, product_id, text), self.detail.show_lag_reason,
                        topics=("products",), parent=self)

    def open_suspension_editor(self):
        """R17: the suspension editor for the product in the detail (ui/dialogs/suspension_dialog.py)."""
        from ui.dialogs.suspension_dialog import SuspensionDialog

        if self.detail.detail is None:
            return None
        dialog = SuspensionDialog(self.ctx, self.detail.detail.product_id, self)
        self.suspension_dialog = dialog
        dialog.changed.connect(self.load_detail)
        dialog.finished.connect(lambda _r: dialog.deleteLater())
        dialog.open()
        return dialog

    def open_batch_editor(self):
        """R6: the batch editor (kind, extension) for the batch chosen in the filter, if any."""
        from ui.dialogs.batch_dialog import BatchEditorDialog

        wanted = self.batch.currentText() if self.batch.currentData() != ALL else None
        dialog = BatchEditorDialog(self.ctx, self, batch=wanted)
        self.batch_dialog = dialog
        dialog.finished.connect(lambda _r: dialog.deleteLater())
        dialog.open()
        return dialog

    def _show_purchases(self) -> None:
        if self.detail.detail is None:
            return
        window = self.window()
        show_page = getattr(window, "show_page", None)
        if show_page is not None:
            page = show_page("purchases")
            page.show_product(self.detail.detail.product_id)

    # ---- export
    def export_xlsx(self, path: str | None = None) -> None:
        """Write the progress table (all rows, as CLI `export progress` does) to an xlsx file."""
        if not path:
            default = f"采购进度_{self.ctx.as_of.isoformat()}.xlsx"
            path, _filter = QFileDialog.getSaveFileName(self, self.tr("导出进度表"), default,
                                                        self.tr("Excel 工作簿 (*.xlsx)"))
        if not path:
            return
        if not path.lower().endswith(".xlsx"):
            path += ".xlsx"
        batch = self.batch.currentData()
        batch = None if batch in (None, ALL) else batch

        def work(session):
            from hospital_app.services.progress.export import export_progress_workbook

            return export_progress_workbook(session, self.ctx.as_of, path, batch)[0]

        def done(_result) -> None:
            self.ctx.events.status_message.emit(self.tr("已导出：%1").replace("%1", path))

        self.ctx.query(work, done, parent=self)
