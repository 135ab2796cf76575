"""The bureau's execution indicators on the dashboard (R20): one row per batch, each number
clickable to the products behind it. The figures come from ``services.indicators``, computed
in the dashboard's worker job from the same progress report."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (QDialog, QDialogButtonBox, QGroupBox, QHeaderView, QLabel, QTableWidget,
                               QTableWidgetItem, QVBoxLayout, QWidget)

from ui.status_style import percent
from ui.widgets.table_fit import fit_rows

ROLE_KEY = Qt.ItemDataRole.UserRole
ROLE_PRODUCT = Qt.ItemDataRole.UserRole + 1
# The indicator columns shown (keys of services.indicators.COUNTS).
KEYS = ("total", "zero", "below_schedule", "over_purchase", "normal", "nonselected_total", "nonselected_bought",
        "nonselected_over_quantity", "nonselected_over_amount", "substitute_total", "substitute_bought",
        "below_and_nonselected_over")
SHARED = ("zero", "below_schedule", "over_purchase", "normal")


class ProductListDialog(QDialog):
    """The products behind one indicator; double-click opens a selected product."""

    def __init__(self, title: str, products: list[Any], open_product, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.resize(720, 420)
        self.table = QTableWidget(len(products), 5, self)
        self.table.setObjectName("indicatorProducts")
        self.table.setHorizontalHeaderLabels([self.tr("编号"), self.tr("通用名"), self.tr("规格"),
                                              self.tr("生产企业"), self.tr("数据")])
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        for r, p in enumerate(products):
            values = [str(p.product_id), p.generic_name, p.spec or "", p.manufacturer or "", p.detail]
            for c, v in enumerate(values):
                item = QTableWidgetItem(v)
                item.setData(ROLE_PRODUCT, int(p.product_id) if p.selected else None)
                self.table.setItem(r, c, item)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.cellDoubleClicked.connect(self._open)
        self._open_product = open_product
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        hint = QLabel(self.tr("双击中选产品查看其进度。"), self)
        layout.addWidget(hint)
        layout.addWidget(self.table)
        layout.addWidget(buttons)

    def _open(self, row: int, _col: int) -> None:
        pid = self.table.item(row, 0).data(ROLE_PRODUCT)
        if pid is not None:
            self.accept()
            self._open_product(int(pid))


class IndicatorsPanel(QGroupBox):
    """R20 counts per batch; clicking a number lists its products."""

    def __init__(self, ctx, parent: QWidget | None = None, rows_shown: int = 3) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.rows_shown = rows_shown  # more batches scroll inside the table
        self.setObjectName("indicatorsPanel")
        self.setTitle(self.tr("医保部门监测指标（点击数字查看产品）"))
        self.report = None
        self.last_dialog: ProductListDialog | None = None
        self.table = QTableWidget(0, len(KEYS) + 2, self)
        self.table.setObjectName("indicatorTable")
        self.table.setHorizontalHeaderLabels([self.tr("批次"), self.tr("序时进度")] + self.labels())
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.table.cellClicked.connect(self._clicked)
        QVBoxLayout(self).addWidget(self.table)

    def labels(self) -> list[str]:
        return [self.tr("签约产品"), self.tr("零采购"), self.tr("低于序时进度"), self.tr("超量采购"),
                self.tr("正常采购"), self.tr("对应非中选"), self.tr("采购非中选"), self.tr("非中选超量"),
                self.tr("非中选超额"), self.tr("对应可替代"), self.tr("采购可替代"), self.tr("低于序时且非中选超量")]

    def set_data(self, report) -> None:
        self.report = report
        batches = list(report.batches) if report is not None else []
        self.table.setRowCount(len(batches))
        for r, b in enumerate(batches):
            self.table.setItem(r, 0, QTableWidgetItem(b.batch))
            self.table.setItem(r, 1, self._number(percent(b.schedule), None))
            for c, key in enumerate(KEYS, start=2):
                text = str(b.counts[key])
                if key in SHARED and b.counts["total"]:
                    text += f" ({percent(b.share(key))})"
                self.table.setItem(r, c, self._number(text, key))
        fit_rows(self.table, self.rows_shown)

    @staticmethod
    def _number(text: str, key: str | None) -> QTableWidgetItem:
        item = QTableWidgetItem(text)
        item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        item.setData(ROLE_KEY, key)
        if key is not None:
            item.setForeground(Qt.GlobalColor.blue)
        return item

    def _clicked(self, row: int, col: int) -> None:
        item = self.table.item(row, col)
        key = item.data(ROLE_KEY) if item is not None else None
        if key is None or self.report is None:
            return
        self.show_products(row, key)

    def show_products(self, row: int, key: str) -> ProductListDialog:
        b = self.report.batches[row]
        title = f"{b.batch} — {self.labels()[KEYS.index(key)]}"
        self.last_dialog = ProductListDialog(title, b.products.get(key, []), self.ctx.events.open_product.emit, self)
        self.last_dialog.show()
        return self.last_dialog
