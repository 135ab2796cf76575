"""Payments page (R5 v2): every accepted delivery with its due date, what was paid as of the
app's day (计算日期), overdue and late payments; 登记付款 records a payment, whole or in part.

Figures come from ``services.payments`` (the same as ``payments --json``); nothing here
computes a rule.
"""

from __future__ import annotations

from decimal import Decimal

from PySide6.QtCore import QSortFilterProxyModel, Qt
from PySide6.QtGui import QBrush, QColor, QStandardItem, QStandardItemModel
from PySide6.QtWidgets import (QAbstractItemView, QCheckBox, QHBoxLayout, QHeaderView, QLabel, QLineEdit,
                               QPushButton, QTableView, QVBoxLayout, QWidget)

from ui import worker
from ui.dialogs.payment_dialogs import RecordPaymentDialog
from ui.pages.base import BasePage
from ui.widgets.common import fmt_date

OVERDUE_COLOUR = QColor("#c0392b")
LATE_COLOUR = QColor("#b9770e")
ROW_ROLE = Qt.ItemDataRole.UserRole + 1


class PaymentsPage(BasePage):
    page_name = "payments"
    topics = ("payments", "purchases", "orders")

    def __init__(self, ctx, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent)
        self.rows: list[dict] = []
        self.dialog = None
        self._build()

    def title(self) -> str:
        return self.tr("货款结算")

    def _build(self) -> None:
        self.open_only = QCheckBox(self.tr("只看未付清"), self)
        self.open_only.setObjectName("paymentsOpenOnly")
        self.open_only.setChecked(True)
        self.filter = QLineEdit(self)
        self.filter.setObjectName("paymentFilter")
        self.filter.setPlaceholderText(self.tr("按订单号或配送企业筛选"))
        self.filter.setClearButtonEnabled(True)
        self.record_button = QPushButton(self.tr("登记付款"), self)
        self.record_button.setObjectName("recordPaymentButton")
        self.record_button.setEnabled(False)
        self.summary = QLabel(self)
        self.summary.setObjectName("paymentSummary")
        top = QHBoxLayout()
        top.addWidget(self.record_button)
        top.addSpacing(12)
        top.addWidget(self.open_only)
        top.addWidget(self.filter, 1)
        top.addWidget(self.summary)

        self.model = QStandardItemModel(0, 8, self)
        self.model.setHorizontalHeaderLabels([
            self.tr("订单号"), self.tr("配送企业"), self.tr("验收日期"), self.tr("金额（元）"),
            self.tr("已付（元）"), self.tr("应付日期"), self.tr("付清日期"), self.tr("状态")])
        self.proxy = QSortFilterProxyModel(self)
        self.proxy.setSourceModel(self.model)
        self.proxy.setFilterKeyColumn(-1)
        self.proxy.setFilterCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.table = QTableView(self)
        self.table.setObjectName("paymentTable")
        self.table.setModel(self.proxy)
        self.table.setSortingEnabled(True)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.empty = QLabel(self.tr("没有待付款的订单。导入订单（含验收日期）后，这里按“验收后次月底”列出应付货款。"), self)
        self.empty.setWordWrap(True)
        self.empty.setStyleSheet("color:#666; padding:12px;")
        self.empty.hide()

        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.empty)

        self.open_only.toggled.connect(self.refresh)
        self.filter.textChanged.connect(self.proxy.setFilterFixedString)
        self.record_button.clicked.connect(self.record_selected)
        self.table.selectionModel().currentRowChanged.connect(self._row_changed)
        self.table.doubleClicked.connect(lambda _i: self.record_selected())

    # ------------------------------------------------------------------ loading
    def refresh(self) -> None:
        from hospital_app.services.payments import list_payments

        as_of, open_only = self.ctx.as_of, self.open_only.isChecked()
        self.ctx.query(lambda s: list_payments(s, as_of, open_only=open_only), self._show, parent=self)

    def _state(self, r: dict) -> str:
        if r["paid_on"]:
            return self.tr("逾期支付") if r["paid_late"] else self.tr("已付清")
        if r["overdue"]:
            return self.tr("逾期未付")
        return self.tr("部分已付") if Decimal(r["paid_amount"]) > 0 else self.tr("未付")

    def _show(self, rows: list[dict]) -> None:
        self.rows = rows
        self.model.removeRows(0, self.model.rowCount())
        for i, r in enumerate(rows):
            items = [QStandardItem(x) for x in (
                r["order_no"], r["company"], fmt_date(r["accepted_on"]), r["amount"], r["paid_amount"],
                fmt_date(r["due"]), fmt_date(r["paid_on"]), self._state(r))]
            items[0].setData(i, ROW_ROLE)
            for item in items[3:5]:
                item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            colour = OVERDUE_COLOUR if r["overdue"] else LATE_COLOUR if r["paid_late"] else None
            if colour is not None:
                for item in items:
                    item.setForeground(QBrush(colour))
            self.model.appendRow(items)
        overdue = [r for r in rows if r["overdue"]]
        unpaid = sum((Decimal(r["amount"]) - Decimal(r["paid_amount"]) for r in rows if not r["paid_on"]),
                     Decimal(0))
        self.summary.setText(self.tr("共 %1 笔，逾期未付 %2 笔，未付合计 %3 元").replace("%1", str(len(rows)))
                             .replace("%2", str(len(overdue))).replace("%3", f"{unpaid:.2f}"))
        self.table.setVisible(bool(rows))
        self.empty.setVisible(not rows)
        self._row_changed(None, None)

    # --------------------------------------------------------------- selection
    def selected_row(self) -> dict | None:
        index = self.table.currentIndex()
        if not index.isValid():
            return None
        source = self.proxy.mapToSource(index.siblingAtColumn(0))
        i = self.model.item(source.row(), 0).data(ROW_ROLE)
        return None if i is None else self.rows[int(i)]

    def select_order(self, order_no: str) -> bool:
        for row in range(self.proxy.rowCount()):
            if self.proxy.index(row, 0).data() == order_no:
                self.table.setCurrentIndex(self.proxy.index(row, 0))
                return True
        return False

    def _row_changed(self, *_args) -> None:
        r = self.selected_row()
        self.record_button.setEnabled(r is not None and r["paid_on"] is None)

    # ------------------------------------------------------------------ actions
    def record_selected(self) -> RecordPaymentDialog | None:
        r = self.selected_row()
        if r is None or r["paid_on"] is not None:
            return None
        dialog = RecordPaymentDialog(r, self.ctx.as_of, self)
        self.dialog = dialog
        dialog.accepted.connect(lambda: self._save(dialog))
        dialog.finished.connect(lambda _r: dialog.deleteLater())
        dialog.open()
        return dialog

    def _save(self, dialog: RecordPaymentDialog) -> None:
        from hospital_app.services.payments import record_payment

        v = dialog.values()
        self.ctx.change(lambda s: record_payment(s, v["order_no"], v["paid_on"], v["amount"],
                                                 reference=v["reference"]),
                        self._saved, lambda exc: worker.show_error(exc, self), topics=("payments",), parent=self)

    def _saved(self, done) -> None:
        text = (self.tr("订单 %1 已付清。") if done.paid_in_full
                else self.tr("已登记订单 %1 的部分付款，尚欠 %2 元。")).replace("%1", done.order_no)
        self.ctx.events.status_message.emit(text.replace("%2", f"{done.outstanding_after:.2f}"))
        self.refresh()
