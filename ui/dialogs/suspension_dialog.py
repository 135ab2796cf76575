"""Suspension editor (R17): suspend a product for a quality risk or adverse reaction — date,
reason and to whom it was reported — or lift the suspension after a confirmation.

Opened from the product detail on the products page. Reads and writes go through the
worker to ``services.management.suspend`` / ``unsuspend`` (the same calls as the CLI's
``product suspend|unsuspend``), which audit every change.
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (QCheckBox, QDateEdit, QDialog, QDialogButtonBox, QFormLayout, QGroupBox,
                               QHBoxLayout, QLabel, QLineEdit, QPlainTextEdit, QPushButton, QVBoxLayout, QWidget)

from ui import worker
from ui.app_context import AppContext
from ui.widgets import common
from ui.widgets.common import fmt_date, from_qdate, to_qdate

#: Topics a suspension touches: the product everywhere it appears.
TOPICS = ("products", "purchases", "issues")


def split_others(text: str) -> list[str]:
    """Further recipients typed by the user, separated by commas or 、 (Chinese or ASCII)."""
    for sep in ("，", "、", ";", "；"):
        text = text.replace(sep, ",")
    return [x.strip() for x in text.split(",") if x.strip()]


class SuspensionDialog(QDialog):
    """One product's suspension: the current state, the form to (re)record it, and 恢复使用."""

    changed = Signal(int)  # product id, after a suspension was recorded or lifted

    def __init__(self, ctx: AppContext, product_id: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.product_id = product_id
        self.detail = None
        self.setObjectName("suspensionDialog")
        self.setWindowTitle(self.tr("暂停使用"))
        self.resize(560, 400)

        self.heading = QLabel(self)
        self.heading.setObjectName("suspensionProduct")
        self.heading.setStyleSheet("font-size: 15px; font-weight: bold;")
        self.heading.setWordWrap(True)
        self.state = QLabel(self)
        self.state.setObjectName("suspensionState")
        self.state.setWordWrap(True)

        form_box = QGroupBox(self.tr("因质量风险或不良反应暂停使用"), self)
        self.on = QDateEdit(form_box)
        self.on.setObjectName("suspendedOn")
        self.on.setDisplayFormat("yyyy-MM-dd")
        self.on.setCalendarPopup(True)
        self.on.setDate(to_qdate(ctx.as_of))
        self.reason = QPlainTextEdit(form_box)
        self.reason.setObjectName("suspensionReason")
        self.reason.setPlaceholderText(self.tr("如：批号 240312 抽检不合格；或：多例皮疹不良反应"))
        self.reason.setFixedHeight(70)
        self.reported: dict[str, QCheckBox] = {}
        boxes = QHBoxLayout()
        for code, label in (("manufacturer", self.tr("生产企业")), ("health_authority", self.tr("卫生健康部门")),
                            ("drug_authority", self.tr("药品监督管理部门"))):
            cb = QCheckBox(label, form_box)
            cb.setObjectName(f"reported_{code}")
            self.reported[code] = cb
            boxes.addWidget(cb)
        boxes.addStretch(1)
        self.others = QLineEdit(form_box)
        self.others.setObjectName("reportedOthers")
        self.others.setPlaceholderText(self.tr("其他报告对象，多个用逗号分隔（如：市药品不良反应监测中心）"))
        self.suspend_button = QPushButton(self.tr("暂停使用"), form_box)
        self.suspend_button.setObjectName("suspendButton")
        form = QFormLayout(form_box)
        form.addRow(self.tr("暂停日期"), self.on)
        form.addRow(self.tr("原因"), self.reason)
        form.addRow(self.tr("已报告给"), boxes)
        form.addRow("", self.others)
        form.addRow("", self.suspend_button)

        self.lift_button = QPushButton(self.tr("恢复使用…"), self)
        self.lift_button.setObjectName("liftButton")
        self.lift_button.setToolTip(self.tr("质量问题已排除，恢复采购和使用"))
        self.message = QLabel(self)
        self.message.setObjectName("suspensionMessage")
        self.message.setWordWrap(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        bottom = QHBoxLayout()
        bottom.addWidget(self.lift_button)
        bottom.addStretch(1)
        bottom.addWidget(buttons)

        layout = QVBoxLayout(self)
        layout.addWidget(self.heading)
        layout.addWidget(self.state)
        layout.addWidget(form_box)
        layout.addWidget(self.message)
        layout.addStretch(1)
        layout.addLayout(bottom)

        self.suspend_button.clicked.connect(self.suspend)
        self.lift_button.clicked.connect(self.lift)
        self.load()

    # ---- reading
    def load(self) -> None:
        from hospital_app.services.progress import product_detail

        pid, as_of = self.product_id, self.ctx.as_of
        self.ctx.query(lambda s: product_detail(s, pid, as_of), self._show, parent=self)

    def _show(self, detail) -> None:
        self.detail = detail
        self.heading.setText(" ".join(x for x in (detail.generic_name, detail.dosage_form, detail.spec,
                                                  detail.manufacturer) if x))
        from hospital_app.i18n import tr

        suspended = detail.suspended_on is not None
        if suspended:
            self.state.setText(self.tr("当前：自 %1 起暂停使用。原因：%2。已报告给：%3。")
                               .replace("%1", fmt_date(detail.suspended_on))
                               .replace("%2", detail.suspension_reason or "—")
                               .replace("%3", self.reported_text(detail.suspension_reported_to)))
            self.state.setStyleSheet("color: #b3261e;")
            self.on.setDate(to_qdate(detail.suspended_on))
            self.reason.setPlainText(detail.suspension_reason or "")
            for code, cb in self.reported.items():
                cb.setChecked(code in (detail.suspension_reported_to or []))
            self.others.setText(tr("，", ", ").join(x for x in detail.suspension_reported_to or [] if x not in self.reported))
            self.suspend_button.setText(self.tr("保存修改"))
        else:
            self.state.setText(self.tr("当前：正常使用（未暂停）。"))
            self.state.setStyleSheet("")
            self.suspend_button.setText(self.tr("暂停使用"))
        self.lift_button.setEnabled(suspended)

    def reported_text(self, reported: list | None) -> str:
        from hospital_app.i18n import tr

        names = [self.reported[x].text() if x in self.reported else x for x in reported or []]
        return tr("、", ", ").join(names) if names else self.tr("尚未报告")

    def reported_to(self) -> tuple[list[str], list[str]]:
        """(the ticked codes, the other recipients typed in)."""
        return [c for c, cb in self.reported.items() if cb.isChecked()], split_others(self.others.text())

    # ---- changing
    def suspend(self) -> None:
        """R17: record (or correct) the suspension through ``management.suspend``."""
        from hospital_app.services.management import suspend

        pid, on, reason = self.product_id, from_qdate(self.on.date()), self.reason.toPlainText()
        codes, others = self.reported_to()
        self.ctx.change(lambda s: suspend(s, pid, on, reason, codes, reported_other=others),
                        lambda _r: self._done(self.tr("已登记暂停使用。")),
                        lambda exc: self._failed(exc), topics=TOPICS, parent=self)

    def lift(self) -> None:
        """R17: lift the suspension, after a confirmation (the audit log keeps what it was)."""
        from hospital_app.services.management import unsuspend

        if self.detail is None or self.detail.suspended_on is None:
            return
        if not common.ask(self, self.tr("恢复使用"), self.tr("确定恢复使用“%1”吗？恢复后该产品不再标记为暂停使用。")
                          .replace("%1", self.detail.generic_name)):
            return
        pid = self.product_id
        self.ctx.change(lambda s: unsuspend(s, pid), lambda _r: self._done(self.tr("已恢复使用。")),
                        lambda exc: self._failed(exc), topics=TOPICS, parent=self)

    def _done(self, text: str) -> None:
        self.message.setStyleSheet("color: #1e8e3e;")
        self.message.setText(text)
        self.changed.emit(self.product_id)
        self.load()

    def _failed(self, exc: BaseException) -> None:
        self.message.setStyleSheet("color: #b3261e;")
        self.message.setText(worker.describe_error(exc))
        self.load()  # e.g. someone else lifted it meanwhile: show what is stored now
