"""Batch editor (R6 v2): a batch's kind (drug / consumable) and the extension of its cycle
(顺延) with volumes pro-rated from the last period or read from a file; its insurance
prepayment per agreement year and prepayment rate (R15, ``widgets.prepayment_panel``).

Reads and writes go through the worker (``ctx.query`` / ``ctx.change``) to
``services.batches``; every change is audited there.
"""

from __future__ import annotations

from datetime import timedelta

from PySide6.QtWidgets import (QComboBox, QDateEdit, QDialog, QDialogButtonBox, QFormLayout, QGroupBox,
                               QHBoxLayout, QLabel, QLineEdit, QPushButton, QVBoxLayout, QWidget)

from ui import worker
from ui.app_context import AppContext
from ui.widgets import common
from ui.widgets.common import fmt_date, from_qdate, to_qdate
from ui.widgets.prepayment_panel import PrepaymentPanel


class BatchEditorDialog(QDialog):
    def __init__(self, ctx: AppContext, parent: QWidget | None = None, batch: str | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.batches: list = []
        self.last_result = None
        self._wanted = batch
        self.setObjectName("batchEditorDialog")
        self.setWindowTitle(self.tr("批次设置"))
        self.resize(820, 640)
        self.batch = QComboBox(self)
        self.batch.setObjectName("batchChoice")
        self.info = QLabel(self)
        self.info.setObjectName("batchInfo")
        self.info.setWordWrap(True)

        kind_box = QGroupBox(self.tr("批次类别"), self)
        self.kind = QComboBox(kind_box)
        self.kind.setObjectName("batchKind")
        self.kind.addItem(self.tr("药品"), "drug")
        self.kind.addItem(self.tr("耗材"), "consumable")
        self.kind_button = QPushButton(self.tr("保存类别"), kind_box)
        self.kind_button.setObjectName("saveKindButton")
        row = QHBoxLayout(kind_box)
        row.addWidget(self.kind, 1)
        row.addWidget(self.kind_button)

        ext_box = QGroupBox(self.tr("顺延采购周期"), self)
        self.extend_to = QDateEdit(ext_box)
        self.extend_to.setObjectName("extendTo")
        self.extend_to.setDisplayFormat("yyyy-MM-dd")
        self.extend_to.setCalendarPopup(True)
        self.volumes = QLineEdit(ext_box)
        self.volumes.setObjectName("volumesFile")
        self.volumes.setPlaceholderText(self.tr("不选文件时，按上一协议期按月折算约定量"))
        browse = QPushButton(self.tr("选择文件…"), ext_box)
        file_row = QHBoxLayout()
        file_row.addWidget(self.volumes, 1)
        file_row.addWidget(browse)
        self.extend_button = QPushButton(self.tr("顺延"), ext_box)
        self.extend_button.setObjectName("extendButton")
        self.result = QLabel(ext_box)
        self.result.setObjectName("extendResult")
        self.result.setWordWrap(True)
        form = QFormLayout(ext_box)
        form.addRow(self.tr("顺延至"), self.extend_to)
        form.addRow(self.tr("约定量文件"), file_row)
        form.addRow("", self.extend_button)
        form.addRow(self.result)

        self.prepayment = PrepaymentPanel(ctx, self)

        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.batch)
        layout.addWidget(self.info)
        layout.addWidget(kind_box)
        layout.addWidget(ext_box)
        layout.addWidget(self.prepayment, 1)
        layout.addWidget(buttons)

        self.batch.currentIndexChanged.connect(self._show_batch)
        self.kind_button.clicked.connect(self.save_kind)
        self.extend_button.clicked.connect(self.extend)
        browse.clicked.connect(self._browse)
        self.load()

    def load(self) -> None:
        from hospital_app.services.batches import list_batches

        self.ctx.query(list_batches, self._show_batches, parent=self)

    def _show_batches(self, batches: list) -> None:
        current = self._wanted or self.batch.currentText()
        self.batches = batches
        self.batch.blockSignals(True)
        self.batch.clear()
        for b in batches:
            self.batch.addItem(b.name)
        self.batch.blockSignals(False)
        index = self.batch.findText(current) if current else -1
        self.batch.setCurrentIndex(max(index, 0))
        self._wanted = None
        self._show_batch()

    def selected(self):
        i = self.batch.currentIndex()
        return self.batches[i] if 0 <= i < len(self.batches) else None

    def _show_batch(self, *_args) -> None:
        b = self.selected()
        enabled = b is not None
        for w in (self.kind, self.kind_button, self.extend_to, self.extend_button):
            w.setEnabled(enabled)
        self.prepayment.show_batch(b.name if b else None)
        if b is None:
            self.info.setText(self.tr("还没有批次。请先导入中选产品。"))
            return
        text = (self.tr("执行开始 %1，采购周期至 %2，中选产品 %3 个").replace("%1", fmt_date(b.start) or "—")
                .replace("%2", fmt_date(b.cycle_end) or "—").replace("%3", str(b.products)))
        if b.extended_to:
            text += self.tr("；已顺延至 %1").replace("%1", fmt_date(b.extended_to))
        self.info.setText(text)
        self.kind.setCurrentIndex(self.kind.findData(b.kind))
        end = b.extended_to or b.cycle_end or self.ctx.as_of
        self.extend_to.setDate(to_qdate(end + timedelta(days=365)))

    def _browse(self) -> None:
        path = common.choose_open_file(self, self.tr("选择约定量文件"), self.tr("表格 (*.xlsx *.xls *.csv)"))
        if path:
            self.volumes.setText(path)

    def save_kind(self) -> None:
        from hospital_app.services.batches import set_batch_kind

        b, kind = self.selected(), self.kind.currentData()
        if b is None:
            return
        self.ctx.change(lambda s: set_batch_kind(s, b.name, kind), lambda _v: self.load(),
                        lambda exc: worker.show_error(exc, self), topics=("products",), parent=self)

    def extend(self) -> None:
        from hospital_app.services.batches import extend_batch, read_volumes

        b = self.selected()
        if b is None:
            return
        to, path = from_qdate(self.extend_to.date()), self.volumes.text().strip() or None

        def work(s):
            return extend_batch(s, b.name, to, read_volumes(s, path) if path else None)

        self.ctx.change(work, self._extended, lambda exc: worker.show_error(exc, self),
                        topics=("products",), parent=self)

    def _extended(self, result) -> None:
        self.last_result = result
        text = self.tr("已顺延至 %1，新增 %2 个顺延协议期。").replace("%1", fmt_date(result.extended_to)) \
            .replace("%2", str(len(result.periods)))
        if result.without_periods:
            text += self.tr("没有协议期的产品未顺延：%1").replace("%1", "、".join(map(str, result.without_periods)))
        self.result.setText(text)
        self.load()
