"""Record a payment of an accepted order (R5 v2): the date and, for a part payment, the amount.

The dialog only collects values; the page records them through ``services.payments``
(which refuses an overpayment with a readable message).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation

from PySide6.QtWidgets import (QCheckBox, QDateEdit, QDialog, QDialogButtonBox, QFormLayout, QLabel,
                               QLineEdit, QVBoxLayout, QWidget)

from ui.widgets.common import from_qdate, to_qdate


class RecordPaymentDialog(QDialog):
    """R5: pay the rest of an order, or part of it (部分付款) with an amount."""

    def __init__(self, row: dict, as_of: date, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.row = row
        self.setObjectName("recordPaymentDialog")
        self.setWindowTitle(self.tr("登记付款 — 订单 %1").replace("%1", row["order_no"]))
        self.outstanding = Decimal(row["amount"]) - Decimal(row["paid_amount"])
        self.paid_on = QDateEdit(to_qdate(max(as_of, row["accepted_on"])), self)
        self.paid_on.setObjectName("paidOn")
        self.paid_on.setDisplayFormat("yyyy-MM-dd")
        self.paid_on.setCalendarPopup(True)
        self.part = QCheckBox(self.tr("部分付款"), self)
        self.part.setObjectName("partPayment")
        self.amount = QLineEdit(self)
        self.amount.setObjectName("paymentAmount")
        self.amount.setPlaceholderText(self.tr("付款金额（元）"))
        self.amount.setEnabled(False)
        self.reference = QLineEdit(self)
        self.reference.setObjectName("paymentReference")
        self.reference.setPlaceholderText(self.tr("付款凭证号（可选）"))
        self.problem = QLabel(self)
        self.problem.setObjectName("paymentProblem")
        self.problem.setStyleSheet("color:#c0392b;")
        summary = QLabel(self.tr("%1  金额 %2 元，已付 %3 元，未付 %4 元").replace("%1", row["company"] or "")
                         .replace("%2", row["amount"]).replace("%3", row["paid_amount"])
                         .replace("%4", f"{self.outstanding:.2f}"), self)
        summary.setWordWrap(True)
        form = QFormLayout()
        form.addRow(self.tr("付款日期"), self.paid_on)
        form.addRow(self.part, self.amount)
        form.addRow(self.tr("凭证号"), self.reference)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel,
                                        self)
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText(self.tr("保存付款"))
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(summary)
        layout.addLayout(form)
        layout.addWidget(self.problem)
        layout.addWidget(self.buttons)
        self.part.toggled.connect(self.amount.setEnabled)
        self.part.toggled.connect(self._check)
        self.amount.textChanged.connect(self._check)
        self._check()

    def _amount(self) -> Decimal | None:
        try:
            value = Decimal(self.amount.text().strip().replace(",", ""))
        except (InvalidOperation, ValueError):
            return None
        return value if value.is_finite() else None

    def _check(self, *_args) -> None:
        problem = ""
        if self.part.isChecked():
            value = self._amount()
            if value is None or value <= 0:
                problem = self.tr("请输入大于 0 的金额")
            elif value > self.outstanding:
                problem = self.tr("金额超过未付金额 %1 元").replace("%1", f"{self.outstanding:.2f}")
        self.problem.setText(problem)
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(not problem)

    def values(self) -> dict:
        return {"order_no": self.row["order_no"], "paid_on": from_qdate(self.paid_on.date()),
                "amount": self.amount.text().strip() if self.part.isChecked() else None,
                "reference": self.reference.text().strip() or None}
