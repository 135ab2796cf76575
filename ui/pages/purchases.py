"""Purchases page: every purchase line, lazily, with filters and copy-as-TSV for Excel."""

from __future__ import annotations

from datetime import date

from PySide6.QtCore import QDate, Qt, QTimer
from PySide6.QtGui import QAction, QGuiApplication, QKeySequence
from PySide6.QtWidgets import (QAbstractItemView, QCheckBox, QComboBox, QDateEdit, QHBoxLayout, QLabel,
                               QLineEdit, QPushButton, QTableView, QVBoxLayout, QWidget)

from ui.widgets.table_fit import ColumnChooser, fit_width
from ui.app_context import AppContext
from ui.models.purchases_model import COLUMNS, PurchasesModel, cell_text
from ui.pages.base import BasePage

MAX_COPY_ROWS = 100_000
# PySide6 6.12 loses a reference to None stored as item data (QComboBox.currentData()
# returning None crashes the interpreter at exit), so "no filter" is a sentinel, never None.
ALL = -1
SELECTED_CHOICES = {"all": None, "yes": True, "no": False}


def _qdate(d: date) -> QDate:
    return QDate(d.year, d.month, d.day)


class PurchasesPage(BasePage):
    page_name = "purchases"
    topics = ("purchases", "products")

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent)
        self.model = PurchasesModel(ctx, self)

        self.use_dates = QCheckBox(self.tr("日期"), self)
        self.date_from = QDateEdit(self)
        self.date_to = QDateEdit(self)
        for edit in (self.date_from, self.date_to):
            edit.setCalendarPopup(True)
            edit.setDisplayFormat("yyyy-MM-dd")
            edit.setEnabled(False)
        self.date_from.setDate(_qdate(date(ctx.as_of.year, 1, 1)))
        self.date_to.setDate(_qdate(ctx.as_of))
        self.product = QComboBox(self)
        self.product.setObjectName("productFilter")
        self.product.setMinimumWidth(220)
        self.product.addItem(self.tr("全部产品"), ALL)
        self.selected = QComboBox(self)
        self.selected.setObjectName("selectedFilter")
        self.selected.addItem(self.tr("中选与非中选"), "all")
        self.selected.addItem(self.tr("仅中选产品"), "yes")
        self.selected.addItem(self.tr("仅非中选产品"), "no")
        self.search = QLineEdit(self)
        self.search.setPlaceholderText(self.tr("通用名、编码或订单号"))
        self.search.setClearButtonEnabled(True)
        self.count_label = QLabel(self)
        self.copy_button = QPushButton(self.tr("复制所选"), self)
        self.copy_button.setToolTip(self.tr("复制为制表符分隔文本，可直接粘贴到 Excel（Ctrl+C）"))
        self.import_button = QPushButton(self.tr("导入…"), self)

        bar = QHBoxLayout()
        bar.addWidget(self.use_dates)
        bar.addWidget(self.date_from)
        bar.addWidget(QLabel("—", self))
        bar.addWidget(self.date_to)
        bar.addWidget(self.product, 1)
        bar.addWidget(self.selected)
        bar.addWidget(self.search, 1)
        bar.addWidget(self.copy_button)
        bar.addWidget(self.import_button)

        self.table = QTableView(self)
        self.table.setObjectName("purchasesTable")
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.setAlternatingRowColors(True)
        self.table.setSortingEnabled(True)
        self.table.horizontalHeader().setSortIndicator(0, Qt.SortOrder.DescendingOrder)
        self.table.verticalHeader().setDefaultSectionSize(24)
        self.table.verticalHeader().setVisible(False)
        # Fixed column widths: ResizeToContents would ask every row of 500 000 for its text.
        for column, width in enumerate((92, 130, 90, 160, 90, 150, 44, 80, 44, 90, 100, 150, 160)):
            self.table.setColumnWidth(column, width)
        fit_width(self.table, (3, 5, 11), content_sized=False)  # generic name, manufacturer, distributor
        self.columns = ColumnChooser(self.table, [self.model.headerData(c, Qt.Orientation.Horizontal)
                                                  for c in range(self.model.columnCount())], (2, 12))

        layout = QVBoxLayout(self)
        layout.addLayout(bar)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.count_label)

        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(300)
        self._debounce.timeout.connect(self.apply_filters)
        self.search.textChanged.connect(lambda _t: self._debounce.start())
        self.use_dates.toggled.connect(self._dates_toggled)
        self.date_from.dateChanged.connect(lambda _d: self._debounce.start())
        self.date_to.dateChanged.connect(lambda _d: self._debounce.start())
        self.product.currentIndexChanged.connect(lambda _i: self.apply_filters())
        self.selected.currentIndexChanged.connect(lambda _i: self.apply_filters())
        self.copy_button.clicked.connect(self.copy_selection)
        self.import_button.clicked.connect(self._open_import)
        copy_action = QAction(self.tr("复制"), self.table)
        copy_action.setShortcut(QKeySequence.StandardKey.Copy)
        copy_action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        copy_action.triggered.connect(self.copy_selection)
        self.table.addAction(copy_action)
        self.model.loaded.connect(self._show_count)
        self._products_loaded = False

    def title(self) -> str:
        return self.tr("采购明细")

    # ---- loading
    def refresh(self) -> None:
        self.apply_filters()
        if not self._products_loaded:
            self._load_products()

    def _load_products(self) -> None:
        from hospital_app.services.purchases_query import product_choices

        def done(choices) -> None:
            self._products_loaded = True
            current = self.product.currentData()
            self.product.blockSignals(True)
            self.product.clear()
            self.product.addItem(self.tr("全部产品"), ALL)
            for choice in choices:
                label = choice.label if choice.selected else choice.label + self.tr("（非中选）")
                self.product.addItem(label, choice.id)
            index = self.product.findData(current)
            self.product.setCurrentIndex(max(index, 0))
            self.product.blockSignals(False)

        self.ctx.query(product_choices, done, parent=self)

    def filters(self):
        from hospital_app.services.purchases_query import PurchaseFilters

        date_from = date_to = None
        if self.use_dates.isChecked():
            date_from = self.date_from.date().toPython()
            date_to = self.date_to.date().toPython()
        product_id = self.product.currentData()
        return PurchaseFilters(date_from=date_from, date_to=date_to,
                               product_id=None if product_id in (None, ALL) else int(product_id),
                               text=self.search.text().strip(),
                               selected=SELECTED_CHOICES[self.selected.currentData() or "all"])

    def apply_filters(self) -> None:
        self._debounce.stop()
        self.count_label.setText(self.tr("正在加载…"))
        self.model.reload(self.filters())

    def show_product(self, product_id: int) -> None:
        """Show only one product's purchases (from the products page)."""
        index = self.product.findData(product_id)
        if index < 0:
            self.product.addItem(self.tr("产品 #%1").replace("%1", str(product_id)), product_id)
            index = self.product.count() - 1
        self.product.setCurrentIndex(index)

    def _dates_toggled(self, on: bool) -> None:
        self.date_from.setEnabled(on)
        self.date_to.setEnabled(on)
        self.apply_filters()

    def _show_count(self, total: int) -> None:
        self.count_label.setText(self.tr("共 %1 条采购记录").replace("%1", f"{total:,}"))

    def _open_import(self) -> None:
        window = self.window()
        opener = getattr(window, "open_import_wizard", None)
        if opener is not None:
            opener()

    # ---- copy
    def copy_selection(self) -> None:
        """Copy the selected rows (all columns) as TSV, with a header line, for Excel."""
        rows = sorted({index.row() for index in self.table.selectionModel().selectedIndexes()})
        if not rows:
            return
        if len(rows) > MAX_COPY_ROWS:
            self.ctx.events.status_message.emit(
                self.tr("一次最多复制 %1 行。").replace("%1", f"{MAX_COPY_ROWS:,}"))
            rows = rows[:MAX_COPY_ROWS]
        ids = self.model.ids_for_rows(rows)
        missing = [i for i in ids if self.model.cached(i) is None]
        if not missing:
            self._put_on_clipboard(ids, {})
            return
        from hospital_app.services.purchases_query import fetch_purchase_rows

        def fetch(session):
            found = {}
            for start in range(0, len(missing), 500):
                found.update(fetch_purchase_rows(session, missing[start:start + 500]))
            return found

        self.ctx.query(fetch, lambda found: self._put_on_clipboard(ids, found), parent=self)

    def _put_on_clipboard(self, ids: list[int], extra: dict) -> None:
        text = tsv_text(ids, lambda i: extra.get(i) or self.model.cached(i),
                        [self.model.headerData(c, Qt.Orientation.Horizontal) for c in range(len(COLUMNS))])
        QGuiApplication.clipboard().setText(text)
        self.ctx.events.status_message.emit(self.tr("已复制 %1 行").replace("%1", str(len(ids))))


def tsv_text(ids: list[int], lookup, headers: list[str]) -> str:
    """Tab-separated lines; tabs/newlines inside a cell become spaces so Excel keeps the grid."""
    def clean(value: str) -> str:
        return value.replace("\t", " ").replace("\r", " ").replace("\n", " ")

    lines = ["\t".join(headers)]
    for purchase_id in ids:
        record = lookup(purchase_id)
        if record is None:
            continue
        lines.append("\t".join(clean(cell_text(record, key)) for key, _h, _s in COLUMNS))
    return "\r\n".join(lines) + "\r\n"
