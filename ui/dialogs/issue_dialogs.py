"""Dialogs of the supply-issues page (R3): file, reply, resolve / close / escalate.

Dialogs are opened with ``open()`` (window-modal, not blocking) and hand their values
to the page through ``accepted``; they never touch the database themselves, except
for read-only look-ups through ``ctx.query`` (product search, purchases, R2 limit).
"""

from __future__ import annotations

from datetime import date, datetime, time

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (QCheckBox, QComboBox, QDateEdit, QDateTimeEdit, QDialog,
                               QDialogButtonBox, QFormLayout, QHBoxLayout, QLabel, QLineEdit,
                               QListWidget, QListWidgetItem, QPlainTextEdit, QVBoxLayout, QWidget)

from ui.app_context import AppContext
from ui.widgets.common import (fmt_date, from_qdate, from_qdatetime, to_qdate, to_qdatetime)

DATETIME_FORMAT = "yyyy-MM-dd HH:mm"
DATE_FORMAT = "yyyy-MM-dd"


def default_now(ctx: AppContext) -> datetime:
    """'Now' on the app's as-of day (the real now when as-of is today)."""
    now = datetime.now().replace(second=0, microsecond=0)
    return datetime.combine(ctx.as_of, now.time())


def _datetime_edit(parent: QWidget, value: datetime) -> QDateTimeEdit:
    edit = QDateTimeEdit(to_qdatetime(value), parent)
    edit.setDisplayFormat(DATETIME_FORMAT)
    edit.setCalendarPopup(True)
    return edit


class NewIssueDialog(QDialog):
    """R3: file a supply issue — product (searchable), type, company, description,
    reported time (default now) and, optionally, the purchases it excuses (R11)."""

    def __init__(self, ctx: AppContext, parent: QWidget | None = None,
                 product_id: int | None = None) -> None:
        super().__init__(parent)
        from hospital_app.domain.supply_issues import ISSUE_TYPES
        from hospital_app.i18n import tr

        self.ctx = ctx
        self.setObjectName("newIssueDialog")
        self.setWindowTitle(self.tr("登记供应问题"))
        self.resize(620, 620)
        self._wanted_product = product_id

        self.search = QLineEdit(self)
        self.search.setObjectName("productSearch")
        self.search.setPlaceholderText(self.tr("输入通用名、编码或生产企业搜索产品"))
        self.products = QListWidget(self)
        self.products.setObjectName("productList")
        self.products.setMinimumHeight(140)
        self.type = QComboBox(self)
        self.type.setObjectName("issueType")
        for code, (zh, en) in ISSUE_TYPES.items():
            self.type.addItem(tr(zh, en), code)
        self.company = QLineEdit(self)
        self.company.setObjectName("issueCompany")
        self.company.setPlaceholderText(self.tr("留空则为该产品的生产企业；可填写配送企业名称"))
        self.description = QPlainTextEdit(self)
        self.description.setObjectName("issueDescription")
        self.description.setPlaceholderText(self.tr("问题描述：涉及科室、短缺数量、联系情况等"))
        self.description.setFixedHeight(80)
        self.reported_at = _datetime_edit(self, default_now(ctx))
        self.reported_at.setObjectName("reportedAt")
        # A problem cannot be reported after "today" (the as-of day): it would not be listed yet.
        self.reported_at.setMaximumDateTime(to_qdatetime(datetime.combine(ctx.as_of, time(23, 59))))
        self.purchases = QListWidget(self)
        self.purchases.setObjectName("purchaseLinks")
        self.purchases.setMinimumHeight(90)

        form = QFormLayout()
        form.addRow(self.tr("产品"), self.search)
        form.addRow("", self.products)
        form.addRow(self.tr("问题类型"), self.type)
        form.addRow(self.tr("涉及企业"), self.company)
        form.addRow(self.tr("问题描述"), self.description)
        form.addRow(self.tr("反馈时间"), self.reported_at)
        form.addRow(self.tr("关联采购（可选）"), self.purchases)
        hint = QLabel(self.tr("答复期限为反馈后 2 个工作日；勾选的采购将作为供应应急期间的采购。"), self)
        hint.setWordWrap(True)
        hint.setStyleSheet("color:#666;")
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                        | QDialogButtonBox.StandardButton.Cancel, self)
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText(self.tr("登记"))
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(hint)
        layout.addWidget(self.buttons)

        self.search.textChanged.connect(self._search)
        self.products.currentItemChanged.connect(self._product_changed)
        self._update_ok()
        self._search("")

    # ---- product picker
    def _search(self, text: str) -> None:
        from hospital_app.services.lookups import search_products

        self.ctx.query(lambda s: search_products(s, text, limit=80, selected_only=True),  # R3
                       self._show_products, parent=self)

    def _show_products(self, choices) -> None:
        current = self.product_id() or self._wanted_product
        self.products.clear()
        for choice in choices:
            label = choice.label() + ("" if choice.selected else self.tr("（非中选）"))
            item = QListWidgetItem(label, self.products)
            item.setData(Qt.ItemDataRole.UserRole, choice.id)
            if choice.id == current:
                self.products.setCurrentItem(item)
        if self.products.currentItem() is None and self.products.count() == 1:
            self.products.setCurrentRow(0)
        self._update_ok()

    def select_product(self, product_id: int) -> bool:
        for row in range(self.products.count()):
            item = self.products.item(row)
            if item.data(Qt.ItemDataRole.UserRole) == product_id:
                self.products.setCurrentItem(item)
                return True
        return False

    def product_id(self) -> int | None:
        item = self.products.currentItem()
        return None if item is None else int(item.data(Qt.ItemDataRole.UserRole))

    def _product_changed(self, *_args) -> None:
        from hospital_app.services.lookups import recent_purchases

        self._update_ok()
        self.purchases.clear()
        pid = self.product_id()
        if pid is None:
            return
        self.ctx.query(lambda s: recent_purchases(s, [pid], limit=60), self._show_purchases, parent=self)

    def _show_purchases(self, rows) -> None:
        self.purchases.clear()
        for p in rows:
            text = f"{p.purchase_date.isoformat()}  {p.order_no or ''}  {p.quantity}  {p.distributor or ''}"
            item = QListWidgetItem(text, self.purchases)
            item.setData(Qt.ItemDataRole.UserRole, p.id)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Unchecked)

    def _update_ok(self) -> None:
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(self.product_id() is not None)

    # ---- result
    def values(self) -> dict:
        linked = [int(self.purchases.item(r).data(Qt.ItemDataRole.UserRole))
                  for r in range(self.purchases.count())
                  if self.purchases.item(r).checkState() == Qt.CheckState.Checked]
        return {
            "product_id": self.product_id(),
            "type": self.type.currentData(),
            "company": self.company.text().strip() or None,
            "description": self.description.toPlainText().strip() or None,
            "reported_at": from_qdatetime(self.reported_at.dateTime()),
            "purchase_ids": linked,
        }


class ReplyDialog(QDialog):
    """R3: the supplier's reply with its promised resolution date.

    The latest allowed promise is R2(replied_at, 5) on the user's calendar; a later
    promise is accepted (the rule says it is recorded) but flagged here in red. By default
    there is no promise (the resolution is then due R2(replied_at, 5)); ticking the box
    proposes that limit, never "today".
    """

    def __init__(self, ctx: AppContext, issue, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.issue = issue
        self.setObjectName("replyDialog")
        self.setWindowTitle(self.tr("登记企业答复 — 问题 %1").replace("%1", str(issue.id)))
        self.limit: date | None = None

        start = max(default_now(ctx), issue.reported_at)
        self.replied_at = _datetime_edit(self, start)
        self.replied_at.setObjectName("repliedAt")
        self.has_promise = QCheckBox(self.tr("企业承诺了解决日期"), self)
        self.has_promise.setObjectName("hasPromise")
        self.has_promise.setChecked(False)
        self.promised = QDateEdit(to_qdate(start.date()), self)
        self.promised.setEnabled(False)
        self._promise_touched = False
        self.promised.setObjectName("promisedDate")
        self.promised.setDisplayFormat(DATE_FORMAT)
        self.promised.setCalendarPopup(True)
        self.text = QPlainTextEdit(self)
        self.text.setObjectName("replyText")
        self.text.setFixedHeight(80)
        self.limit_label = QLabel(self)
        self.limit_label.setObjectName("promiseLimit")
        self.warning = QLabel(self)
        self.warning.setObjectName("promiseWarning")
        self.warning.setWordWrap(True)
        self.warning.setStyleSheet("color:#c0392b; font-weight:bold;")
        self.warning.hide()

        promise_row = QHBoxLayout()
        promise_row.addWidget(self.has_promise)
        promise_row.addWidget(self.promised, 1)
        form = QFormLayout()
        form.addRow(self.tr("答复时间"), self.replied_at)
        form.addRow(self.tr("承诺解决"), promise_row)
        form.addRow("", self.limit_label)
        form.addRow(self.tr("答复内容"), self.text)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel,
                                   self)
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText(self.tr("保存答复"))
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.warning)
        layout.addWidget(buttons)

        self.replied_at.dateTimeChanged.connect(self._load_limit)
        self.promised.dateChanged.connect(self._check_promise)
        self.promised.dateChanged.connect(self._touched)
        self.has_promise.toggled.connect(self.promised.setEnabled)
        self.has_promise.toggled.connect(self._check_promise)
        self._load_limit()

    def _load_limit(self, *_args) -> None:
        from hospital_app.services.lookups import working_day_due

        at = from_qdatetime(self.replied_at.dateTime())
        self.ctx.query(lambda s: working_day_due(s, at, 5), self._show_limit, parent=self)

    def _touched(self, *_args) -> None:
        self._promise_touched = self._promise_touched or self.has_promise.isChecked()

    def _show_limit(self, due) -> None:
        self.limit = due.date
        if not self._promise_touched:  # propose the limit, not today
            self.promised.blockSignals(True)
            self.promised.setDate(to_qdate(due.date))
            self.promised.blockSignals(False)
        text = self.tr("最迟承诺日期：%1（答复后 5 个工作日；未承诺时即为解决期限）").replace(
            "%1", fmt_date(due.date))
        if due.provisional:
            text += self.tr("；%1 年官方日历未发布，日期为暂定").replace(
                "%1", "、".join(str(y) for y in due.missing_years))
        self.limit_label.setText(text)
        self._check_promise()

    def exceeds_limit(self) -> bool:
        return (self.has_promise.isChecked() and self.limit is not None
                and from_qdate(self.promised.date()) > self.limit)

    def _check_promise(self, *_args) -> None:
        if self.exceeds_limit():
            self.warning.setText(self.tr("承诺日期超过 5 个工作日的期限（最迟 %1）。仍可保存，"
                                         "该答复将被标记并列入预警。").replace("%1", fmt_date(self.limit)))
            self.warning.show()
        else:
            self.warning.hide()

    def values(self) -> dict:
        return {
            "at": from_qdatetime(self.replied_at.dateTime()),
            "promised_date": from_qdate(self.promised.date()) if self.has_promise.isChecked() else None,
            "text": self.text.toPlainText().strip() or None,
        }


class IssueActionDialog(QDialog):
    """Resolve, close or escalate an issue, record its report to the insurance bureau or the
    bureau's confirmation (核实): when, and a text (required when ``need_text``). For
    ``report`` the text is to whom; for ``confirm`` the confirmation's reference."""

    def __init__(self, ctx: AppContext, issue, action: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.issue = issue
        self.action = action
        self.need_text = action == "close" and issue.status != "resolved"
        titles = {"resolve": self.tr("登记问题解决"), "close": self.tr("关闭问题"),
                  "escalate": self.tr("逾期升级上报"), "report": self.tr("报告医保部门"),
                  "confirm": self.tr("医保部门核实")}
        self.setObjectName(f"{action}Dialog")
        self.setWindowTitle(titles[action] + f" — {issue.id}")
        if action == "report":
            earliest = issue.reported_at
        elif action == "confirm":
            earliest = issue.bureau_reported_at or issue.reported_at
        else:
            earliest = max(t for t in (issue.reported_at, issue.replied_at, issue.resolved_at) if t is not None)
        self.at = _datetime_edit(self, max(default_now(ctx), earliest))
        self.at.setObjectName("actionAt")
        self.text = QPlainTextEdit(self)
        self.text.setObjectName("actionText")
        self.text.setFixedHeight(90)
        placeholders = {"resolve": self.tr("解决情况：到货数量、恢复供应时间等"),
                        "close": self.tr("关闭原因（未解决的问题必须填写，例如误报、撤回）")
                        if self.need_text else self.tr("备注（可选）"),
                        "escalate": self.tr("上报说明（可选），上报函会附上完整的时间线"),
                        "report": self.tr("上报对象，例如 市医疗保障局（可选）"),
                        "confirm": self.tr("核实文号或记录（可选）")}
        self.text.setPlaceholderText(placeholders[action])
        labels = {"report": self.tr("上报对象"), "confirm": self.tr("核实文号")}
        if action in labels:
            self.text.setFixedHeight(48)
        form = QFormLayout()
        form.addRow(self.tr("时间"), self.at)
        form.addRow(labels.get(action, self.tr("说明")), self.text)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                        | QDialogButtonBox.StandardButton.Cancel, self)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.buttons)
        self.text.textChanged.connect(self._update_ok)
        self._update_ok()

    def _update_ok(self) -> None:
        ok = not self.need_text or bool(self.text.toPlainText().strip())
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(ok)

    def values(self) -> dict:
        return {"at": from_qdatetime(self.at.dateTime()), "text": self.text.toPlainText().strip() or None}
