"""The batch editor's 医保预付款 section (R15): per agreement year of the batch, as of the app's
计算日期, the agreed amount, rate, prepayment, offset, outstanding and the recovery date; and
the batch's prepayment rate, an override written through ``management.set_batch_policy``
(``batch set-policy`` on the command line) and dropped through ``unset_batch_policy``.

Reads and writes go through the worker (``ctx.query`` / ``ctx.change``); nothing is computed here.
"""

from __future__ import annotations

from decimal import Decimal

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (QAbstractItemView, QDoubleSpinBox, QGroupBox, QHBoxLayout, QHeaderView, QLabel,
                               QPushButton, QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget)

from ui import worker
from ui.app_context import AppContext
from ui.widgets.common import fmt_date

RIGHT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter


def rate_text(rate: Decimal) -> str:
    """0.5 → "50 %", 0.325 → "32.5 %"."""
    value = (Decimal(rate) * 100).quantize(Decimal("0.1")).normalize()
    return f"{value:f} %"


class PrepaymentPanel(QGroupBox):
    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setTitle(self.tr("医保预付款"))
        self.ctx = ctx
        self.batch_name: str | None = None
        self.view = None  # the last services.prepayment.BatchPrepayment shown
        self.setObjectName("prepaymentPanel")
        self.note = QLabel(self)
        self.note.setObjectName("prepaymentNote")
        self.note.setWordWrap(True)
        self.table = QTableWidget(0, 8, self)
        self.table.setObjectName("prepaymentTable")
        self.table.setHorizontalHeaderLabels([
            self.tr("协议年度"), self.tr("协议期"), self.tr("约定金额"), self.tr("预付比例"), self.tr("预付金额"),
            self.tr("已冲抵"), self.tr("未冲抵"), self.tr("收回期限")])
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.setMinimumHeight(110)

        self.rate = QDoubleSpinBox(self)
        self.rate.setObjectName("prepayRate")
        self.rate.setRange(0, 100)
        self.rate.setDecimals(1)
        self.rate.setSingleStep(5)
        self.rate.setSuffix(" %")
        self.save_button = QPushButton(self.tr("保存比例"), self)
        self.save_button.setObjectName("saveRateButton")
        self.reset_button = QPushButton(self.tr("恢复默认比例"), self)
        self.reset_button.setObjectName("resetRateButton")
        self.rate_info = QLabel(self)
        self.rate_info.setObjectName("prepayRateInfo")
        row = QHBoxLayout()
        row.addWidget(QLabel(self.tr("本批次预付比例"), self))
        row.addWidget(self.rate)
        row.addWidget(self.save_button)
        row.addWidget(self.reset_button)
        row.addWidget(self.rate_info, 1)
        layout = QVBoxLayout(self)
        layout.addWidget(self.note)
        layout.addWidget(self.table)
        layout.addLayout(row)

        self.save_button.clicked.connect(self.save_rate)
        self.reset_button.clicked.connect(self.reset_rate)
        self._enable(False)

    def _enable(self, on: bool) -> None:
        for w in (self.rate, self.save_button):
            w.setEnabled(on)
        self.reset_button.setEnabled(on and bool(self.view and self.view.overridden))

    def show_batch(self, name: str | None) -> None:
        """Load the prepayment of the batch ``name`` as of the app's 计算日期 (None: clear)."""
        from hospital_app.services.prepayment import batch_prepayment

        self.batch_name = name
        if name is None:
            self.view = None
            self.table.setRowCount(0)
            self.note.setText("")
            self._enable(False)
            return
        as_of = self.ctx.as_of
        self.ctx.query(lambda s: batch_prepayment(s, name, as_of), self._show,
                       lambda exc: worker.show_error(exc, self), parent=self)

    def _show(self, view) -> None:
        if view.batch != self.batch_name:  # an answer for a batch no longer chosen
            return
        self.view = view
        self.note.setText(self.tr("截至 %1（计算日期），按采购进度冲抵；未冲抵部分于采购周期结束后 2 个月内收回。")
                          .replace("%1", fmt_date(self.ctx.as_of)))
        self.table.setRowCount(len(view.rows))
        for r, x in enumerate(view.rows):
            values = [self.tr("第 %1 年").replace("%1", str(x.year)),
                      self.tr("%1 至 %2").replace("%1", fmt_date(x.period_start)).replace("%2", fmt_date(x.period_end)),
                      self._yuan(x.agreed_amount), rate_text(x.rate), self._yuan(x.prepayment),
                      self._yuan(x.offset), self._yuan(x.outstanding), fmt_date(x.recover_by) or "—"]
            for c, v in enumerate(values):
                item = QTableWidgetItem(v)
                if 2 <= c <= 6:
                    item.setTextAlignment(RIGHT)
                self.table.setItem(r, c, item)
        if not view.rows:
            self.note.setText(self.note.text() + self.tr("截至该日没有已开始的协议年度。"))
        self.rate.setValue(float(Decimal(view.rate) * 100))
        kind = self.tr("耗材") if view.kind == "consumable" else self.tr("药品")
        if view.overridden:
            self.rate_info.setText(self.tr("本批次单独设置；%1默认 %2").replace("%1", kind)
                                   .replace("%2", rate_text(view.default_rate)))
        else:
            self.rate_info.setText(self.tr("按%1默认比例").replace("%1", kind))
        self._enable(True)

    def _yuan(self, value: Decimal) -> str:
        """25000 → "25,000.00 元" (CNY 25,000.00 in English)."""
        return self.tr("%1 元").replace("%1", f"{Decimal(value).quantize(Decimal('0.01')):,}")

    def save_rate(self) -> None:
        """Override the batch's prepayment rate (the spin box in percent, stored as a ratio)."""
        from hospital_app.services.management import set_batch_policy

        if self.view is None:
            return
        name, key = self.view.batch, self.view.rate_key
        value = (Decimal(f"{self.rate.value():.1f}") / 100).normalize()
        self.ctx.change(lambda s: set_batch_policy(s, name, key, f"{value:f}"), lambda _v: self.show_batch(name),
                        lambda exc: worker.show_error(exc, self), parent=self)

    def reset_rate(self) -> None:
        """Drop the batch's override: the global drug / consumable rate applies again."""
        from hospital_app.services.management import unset_batch_policy

        if self.view is None or not self.view.overridden:
            return
        name, key = self.view.batch, self.view.rate_key
        self.ctx.change(lambda s: unset_batch_policy(s, name, key), lambda _v: self.show_batch(name),
                        lambda exc: worker.show_error(exc, self), parent=self)
