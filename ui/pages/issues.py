"""Supply issues page (R3): the list with reply and resolution dues, the timeline of
one issue, and the actions — file, reply, resolve, close, escalate, report to the
insurance bureau and record its confirmation (核实), print. Everything is shown as it
stood at the end of the app's as-of day (计算日期): later replies or resolutions are not
known yet.

Overdue issues are red; a resolution due that is only an estimate (before a reply,
or in a year without an official calendar) is marked “暂定”. Dues come from
``services.supply_issues`` (computed from the calendar when read), so a calendar
correction on the settings page moves them at once.
"""

from __future__ import annotations


from PySide6.QtCore import QSortFilterProxyModel, Qt
from PySide6.QtGui import QBrush, QColor, QFont, QStandardItem, QStandardItemModel
from PySide6.QtWidgets import (QAbstractItemView, QCheckBox, QFormLayout, QGroupBox, QHBoxLayout,
                               QHeaderView, QLabel, QLineEdit, QPushButton, QSplitter, QTableView,
                               QTreeWidget, QTreeWidgetItem, QVBoxLayout, QWidget)

from ui.widgets.table_fit import ColumnChooser, fit_width
from ui.dialogs.issue_dialogs import IssueActionDialog, NewIssueDialog, ReplyDialog
from ui.pages.base import BasePage
from ui.status_style import SUSPENDED_COLOUR, suspension_marker
from ui.widgets import common
from ui.widgets.common import Banner, fmt_date, fmt_datetime

OVERDUE_COLOUR = QColor("#c0392b")
FLAG_COLOUR = QColor("#b9770e")
ID_ROLE = Qt.ItemDataRole.UserRole + 1


class IssuesPage(BasePage):
    page_name = "issues"
    topics = ("issues", "calendar", "products")

    # The dues come first after product, type and status: they are what the pharmacist checks.
    COLUMNS = ("id", "product", "type", "status", "reply_due", "resolution_due", "flags", "company",
               "reported_at")
    COL_REPLY_DUE, COL_RESOLUTION_DUE, COL_FLAGS = 4, 5, 6

    def __init__(self, ctx, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent)
        self.issues: list = []
        self.detail = None  # supply_issues.IssueDetail of the selected issue
        self.dialog = None  # the dialog currently open (tests reach it here)
        self.last_document: str | None = None
        self._select_after_load: int | None = None
        self._build()

    def title(self) -> str:
        return self.tr("供应问题")

    # ------------------------------------------------------------------ layout
    def _build(self) -> None:
        self.banner = Banner(self)
        self.new_button = QPushButton(self.tr("登记新问题"), self)
        self.new_button.setObjectName("newIssueButton")
        self.open_only = QCheckBox(self.tr("只看未解决"), self)
        self.open_only.setObjectName("openOnly")
        self.overdue_only = QCheckBox(self.tr("只看逾期"), self)
        self.overdue_only.setObjectName("overdueOnly")
        self.filter = QLineEdit(self)
        self.filter.setObjectName("issueFilter")
        self.filter.setPlaceholderText(self.tr("按产品、企业或类型筛选"))
        self.filter.setClearButtonEnabled(True)
        self.count_label = QLabel(self)
        top = QHBoxLayout()
        top.addWidget(self.new_button)
        top.addSpacing(12)
        top.addWidget(self.open_only)
        top.addWidget(self.overdue_only)
        top.addWidget(self.filter, 1)
        top.addWidget(self.count_label)

        self.model = QStandardItemModel(0, len(self.COLUMNS), self)
        self.model.setHorizontalHeaderLabels([
            self.tr("编号"), self.tr("产品"), self.tr("问题类型"), self.tr("状态"), self.tr("答复期限"),
            self.tr("解决期限"), self.tr("提示"), self.tr("涉及企业"), self.tr("反馈时间")])
        self.proxy = QSortFilterProxyModel(self)
        self.proxy.setSourceModel(self.model)
        self.proxy.setFilterKeyColumn(-1)
        self.proxy.setFilterCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.table = QTableView(self)
        self.table.setObjectName("issueTable")
        self.table.setModel(self.proxy)
        self.table.setSortingEnabled(True)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        # Product, type and remarks share the width; company and report time are in the detail pane.
        fit_width(self.table, (self.COLUMNS.index("product"), self.COLUMNS.index("type"), self.COL_FLAGS))
        self.columns = ColumnChooser(self.table, [self.model.headerData(c, Qt.Orientation.Horizontal) or ""
                                                  for c in range(len(self.COLUMNS))],
                                     (self.COLUMNS.index("company"), self.COLUMNS.index("reported_at")))
        self.empty = QLabel(self.tr("暂无供应问题。点击“登记新问题”记录企业供应短缺、配送不及时等情况。"), self)
        self.empty.setWordWrap(True)
        self.empty.setStyleSheet("color:#666; padding:12px;")
        self.empty.hide()
        left = QWidget(self)
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addWidget(self.table)
        left_layout.addWidget(self.empty)

        splitter = QSplitter(Qt.Orientation.Horizontal, self)
        splitter.addWidget(left)
        splitter.addWidget(self._build_detail())
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
        splitter.setSizes([700, 420])

        layout = QVBoxLayout(self)
        layout.addWidget(self.banner)
        layout.addLayout(top)
        layout.addWidget(splitter, 1)

        self.new_button.clicked.connect(self.new_issue)
        self.open_only.toggled.connect(self.refresh)
        self.overdue_only.toggled.connect(self.refresh)
        self.filter.textChanged.connect(self.proxy.setFilterFixedString)
        self.table.selectionModel().currentRowChanged.connect(self._row_changed)

    def _build_detail(self) -> QWidget:
        box = QGroupBox(self.tr("问题详情"), self)
        self.heading = QLabel(self.tr("请在左侧选择一个问题。"), box)
        self.heading.setObjectName("issueHeading")
        self.heading.setWordWrap(True)
        self.heading.setStyleSheet("font-weight:bold; font-size:14px;")
        self.fields: dict[str, QLabel] = {}
        form = QFormLayout()
        for key, label in (("status", self.tr("状态")), ("company", self.tr("涉及企业")),
                           ("description", self.tr("问题描述")), ("reply_due", self.tr("答复期限")),
                           ("promise", self.tr("承诺解决")), ("resolution_due", self.tr("解决期限")),
                           ("bureau", self.tr("医保局"))):
            value = QLabel(box)
            value.setObjectName(f"detail_{key}")
            value.setWordWrap(True)
            value.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            self.fields[key] = value
            form.addRow(label, value)

        self.reply_button = QPushButton(self.tr("登记答复"), box)
        self.resolve_button = QPushButton(self.tr("登记解决"), box)
        self.close_button = QPushButton(self.tr("关闭"), box)
        self.escalate_button = QPushButton(self.tr("逾期升级上报…"), box)
        self.escalate_button.setToolTip(self.tr("问题逾期未解决：升级上报医保部门并打印上报函"))
        self.report_button = QPushButton(self.tr("报告医保部门…"), box)
        self.report_button.setToolTip(self.tr("登记已将本问题报告医保部门（时间、报告对象）"))
        self.confirm_button = QPushButton(self.tr("医保部门核实…"), box)
        self.confirm_button.setToolTip(self.tr("登记医保部门对本问题的核实（时间、文号）"))
        self.as_of_label = QLabel(box)
        self.as_of_label.setObjectName("issueAsOf")
        self.as_of_label.setStyleSheet("color:#666;")
        self.complaint_button = QPushButton(self.tr("打印反馈单"), box)
        self.escalation_button = QPushButton(self.tr("打印上报函"), box)
        for name, button in (("replyButton", self.reply_button), ("resolveButton", self.resolve_button),
                             ("closeButton", self.close_button), ("escalateButton", self.escalate_button),
                             ("reportButton", self.report_button), ("confirmButton", self.confirm_button),
                             ("complaintButton", self.complaint_button),
                             ("escalationButton", self.escalation_button)):
            button.setObjectName(name)
            button.setEnabled(False)
        actions = QHBoxLayout()
        for b in (self.reply_button, self.resolve_button, self.close_button, self.escalate_button):
            actions.addWidget(b)
        bureau = QHBoxLayout()
        bureau.addWidget(self.report_button)
        bureau.addWidget(self.confirm_button)
        bureau.addStretch(1)
        prints = QHBoxLayout()
        prints.addWidget(self.complaint_button)
        prints.addWidget(self.escalation_button)
        prints.addStretch(1)

        self.timeline = QTreeWidget(box)
        self.timeline.setObjectName("issueTimeline")
        self.timeline.setHeaderLabels([self.tr("时间"), self.tr("事件"), self.tr("状态"),
                                       self.tr("经办人"), self.tr("说明")])
        self.timeline.setRootIsDecorated(False)
        self.timeline.header().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.timeline.header().setSectionResizeMode(4, QHeaderView.ResizeMode.Stretch)  # 说明: the rest

        layout = QVBoxLayout(box)
        layout.addWidget(self.heading)
        layout.addWidget(self.as_of_label)
        layout.addLayout(form)
        layout.addLayout(actions)
        layout.addLayout(bureau)
        layout.addLayout(prints)
        layout.addWidget(QLabel(self.tr("处理时间线"), box))
        layout.addWidget(self.timeline, 1)

        self.reply_button.clicked.connect(self.reply_selected)
        self.resolve_button.clicked.connect(lambda: self.act_on_selected("resolve"))
        self.close_button.clicked.connect(lambda: self.act_on_selected("close"))
        self.escalate_button.clicked.connect(lambda: self.act_on_selected("escalate"))
        self.report_button.clicked.connect(lambda: self.act_on_selected("report"))
        self.confirm_button.clicked.connect(lambda: self.act_on_selected("confirm"))
        self.complaint_button.clicked.connect(lambda: self.print_document("complaint"))
        self.escalation_button.clicked.connect(lambda: self.print_document("escalation"))
        return box

    # ------------------------------------------------------------------ loading
    def refresh(self) -> None:
        from hospital_app.services import supply_issues

        as_of = self.ctx.as_of
        open_only, overdue_only = self.open_only.isChecked(), self.overdue_only.isChecked()
        self.ctx.query(lambda s: supply_issues.list_issues(s, as_of, open_only=open_only,
                                                           overdue_only=overdue_only),
                       self._show_issues, parent=self)

    def _show_issues(self, issues: list) -> None:
        from hospital_app.services.supply_issues import status_label, type_label

        keep = self._select_after_load or self.selected_id()
        self._select_after_load = None
        self.issues = issues
        self.model.removeRows(0, self.model.rowCount())
        for v in issues:
            marker = suspension_marker(v.product_suspended_on, self.ctx.as_of)
            items = [self._item(str(v.id)),
                     self._item(marker + " ".join(p for p in (v.product_name, v.spec or "") if p)),
                     self._item(type_label(v.type)), self._item(status_label(v.status)),
                     self._item(fmt_date(v.reply_due)), self._item(self._resolution_text(v)),
                     self._item(self._flags_text(v)),
                     self._item(v.company or v.distributor or v.manufacturer or ""),
                     self._item(fmt_datetime(v.reported_at))]
            items[0].setData(v.id, ID_ROLE)
            items[0].setData(v.id, Qt.ItemDataRole.DisplayRole)  # numeric sort
            if v.resolution_due_provisional:
                f = QFont()
                f.setItalic(True)
                items[self.COL_RESOLUTION_DUE].setFont(f)
                items[self.COL_RESOLUTION_DUE].setToolTip(self.tr("暂定：尚未答复，或该年份官方节假日安排未发布"))
            if marker:
                items[1].setForeground(QBrush(QColor(SUSPENDED_COLOUR)))
            if v.overdue:
                for item in items:
                    item.setForeground(QBrush(OVERDUE_COLOUR))
                late = self.COL_REPLY_DUE if "reply" in v.overdue else self.COL_RESOLUTION_DUE
                items[late].setFont(self._bold())
            elif v.promise_exceeds_limit:
                items[self.COL_FLAGS].setForeground(QBrush(FLAG_COLOUR))
            self.model.appendRow(items)
        overdue = sum(1 for v in issues if v.overdue)
        self.count_label.setText(self.tr("共 %1 条，逾期 %2 条").replace("%1", str(len(issues)))
                                 .replace("%2", str(overdue)))
        self.table.setVisible(bool(issues) or self.open_only.isChecked() or self.overdue_only.isChecked())
        self.empty.setVisible(not issues and not (self.open_only.isChecked() or self.overdue_only.isChecked()))
        missing = sorted({y for v in issues for y in v.missing_years})
        if missing:
            self.banner.show_message(self.tr("%1 年的官方节假日安排尚未发布，相关期限按周一至周五推算，标为“暂定”。"
                                             "可在“设置 → 工作日历”中更正。")
                                     .replace("%1", "、".join(map(str, missing))), "warning")
        else:
            self.banner.hide()
        if keep is not None and self.select_issue(keep):
            return
        if self.proxy.rowCount():  # show the most recent issue rather than an empty pane
            first = self.proxy.mapToSource(self.proxy.index(0, 0))
            self.select_issue(int(self.model.item(first.row(), 0).data(ID_ROLE)))
            return
        self._show_detail(None)

    def _resolution_text(self, v) -> str:
        text = fmt_date(v.resolution_due)
        if v.resolution_due_provisional:
            text += self.tr("（暂定）")
        return text

    def _flags_text(self, v) -> str:
        parts = []
        if "reply" in v.overdue:
            parts.append(self.tr("答复逾期"))
        if "resolution" in v.overdue:
            parts.append(self.tr("解决逾期"))
        if v.promise_exceeds_limit:
            parts.append(self.tr("承诺超过5个工作日"))
        return "，".join(parts)

    @staticmethod
    def _item(text: str) -> QStandardItem:
        item = QStandardItem(text)
        item.setEditable(False)
        return item

    @staticmethod
    def _bold() -> QFont:
        f = QFont()
        f.setBold(True)
        return f

    # --------------------------------------------------------------- selection
    def selected_id(self) -> int | None:
        index = self.table.currentIndex()
        if not index.isValid():
            return None
        source = self.proxy.mapToSource(index.siblingAtColumn(0))
        value = self.model.item(source.row(), 0).data(ID_ROLE)
        return None if value is None else int(value)

    def row_of(self, issue_id: int) -> int | None:
        """The proxy row that shows ``issue_id`` (None when filtered out)."""
        for row in range(self.proxy.rowCount()):
            index = self.proxy.mapToSource(self.proxy.index(row, 0))
            if self.model.item(index.row(), 0).data(ID_ROLE) == issue_id:
                return row
        return None

    def select_issue(self, issue_id: int) -> bool:
        """Select and show one issue (the dashboard's “open issue” lands here)."""
        row = self.row_of(issue_id)
        if row is None:
            if not self.issues and self._stale:
                self._select_after_load = issue_id
            return False
        self.table.selectRow(row)
        self.table.setCurrentIndex(self.proxy.index(row, 0))
        self._load_detail(issue_id)
        return True

    def _row_changed(self, current, _previous) -> None:
        issue_id = self.selected_id()
        if issue_id is not None:
            self._load_detail(issue_id)

    def _load_detail(self, issue_id: int) -> None:
        from hospital_app.services import supply_issues

        as_of = self.ctx.as_of
        self.ctx.query(lambda s: supply_issues.get_issue(s, issue_id, as_of), self._show_detail, parent=self)

    def _show_detail(self, detail) -> None:
        from hospital_app.services.supply_issues import status_label, type_label

        self.detail = detail
        self.timeline.clear()
        if detail is None:
            self.heading.setText(self.tr("请在左侧选择一个问题。"))
            for label in self.fields.values():
                label.clear()
            for b in (self.reply_button, self.resolve_button, self.close_button, self.escalate_button,
                      self.report_button, self.confirm_button, self.complaint_button, self.escalation_button):
                b.setEnabled(False)
            self.as_of_label.clear()
            return
        v = detail.issue
        marker = suspension_marker(v.product_suspended_on, self.ctx.as_of)
        self.heading.setText(f"#{v.id}  {marker}{v.product_name} {v.spec or ''} — {type_label(v.type)}")
        self.fields["status"].setText(status_label(v.status))
        self.fields["company"].setText(" / ".join(x for x in (v.company or v.manufacturer, v.distributor) if x))
        self.fields["description"].setText(v.description or "")
        reply = fmt_date(v.reply_due)
        if v.replied_at:
            reply += self.tr("（%1 已答复）").replace("%1", fmt_datetime(v.replied_at))
        self.fields["reply_due"].setText(reply)
        promise = fmt_date(v.promised_date) if v.promised_date else self.tr("未承诺")
        if v.promise_limit:
            promise += self.tr("；最迟 %1").replace("%1", fmt_date(v.promise_limit))
        if v.promise_exceeds_limit:
            promise += self.tr("（超过5个工作日期限）")
        self.fields["promise"].setText(promise)
        self.fields["resolution_due"].setText(self._resolution_text(v))
        self.fields["bureau"].setText(self._bureau_text(v))
        self.as_of_label.setText(self.tr("截至 %1 的状态（此后登记的答复、解决等尚未计入）")
                                 .replace("%1", fmt_date(self.ctx.as_of)))
        red = f"color:{OVERDUE_COLOUR.name()}; font-weight:bold;"
        self.fields["reply_due"].setStyleSheet(red if "reply" in v.overdue else "")
        self.fields["resolution_due"].setStyleSheet(red if "resolution" in v.overdue else "")
        self.fields["promise"].setStyleSheet(f"color:{FLAG_COLOUR.name()};" if v.promise_exceeds_limit else "")

        unresolved = v.status in ("open", "replied", "escalated") and v.resolved_at is None
        self.reply_button.setEnabled(v.status in ("open", "escalated") and v.replied_at is None
                                     and v.resolved_at is None)
        self.resolve_button.setEnabled(unresolved)
        self.close_button.setEnabled(v.status != "closed")
        self.escalate_button.setEnabled(bool(v.can_escalate))
        self.report_button.setEnabled(v.bureau_reported_at is None and v.status != "closed")
        self.confirm_button.setEnabled(v.bureau_reported_at is not None and v.bureau_confirmed_at is None)
        self.complaint_button.setEnabled(True)
        self.escalation_button.setEnabled(unresolved and bool(v.overdue))

        actions = {"filed": self.tr("登记"), "replied": self.tr("企业答复"), "resolved": self.tr("解决"),
                   "closed": self.tr("关闭"), "escalated": self.tr("上报"), "linked": self.tr("关联采购"),
                   "emergency_verified": self.tr("应急核实"), "note": self.tr("备注"),
                   "reported_to_bureau": self.tr("报告医保部门"), "bureau_confirmed": self.tr("医保部门核实")}
        for e in detail.events:
            item = QTreeWidgetItem(self.timeline, [fmt_datetime(e.at), actions.get(e.action, e.action),
                                                   status_label(e.to_status) if e.to_status else "",
                                                   e.who or "", e.detail or ""])
            item.setToolTip(4, e.detail or "")

    def _bureau_text(self, v) -> str:
        if v.bureau_reported_at is None:
            return self.tr("未上报")
        text = self.tr("%1 已上报").replace("%1", fmt_datetime(v.bureau_reported_at))
        if v.bureau_report_to:
            text += f"（{v.bureau_report_to}）"
        if v.bureau_confirmed_at is not None:
            text += self.tr("；%1 已核实").replace("%1", fmt_datetime(v.bureau_confirmed_at))
            if v.bureau_confirm_ref:
                text += f"（{v.bureau_confirm_ref}）"
        else:
            text += self.tr("；待医保部门核实")
        return text

    # ------------------------------------------------------------------ actions
    def _open(self, dialog, handler) -> None:
        self.dialog = dialog
        dialog.accepted.connect(lambda: handler(dialog))
        dialog.finished.connect(lambda _r: dialog.deleteLater())
        dialog.open()

    def new_issue(self, product_id: int | None = None) -> NewIssueDialog:
        """Open the “file an issue” dialog (optionally with a product chosen)."""
        dialog = NewIssueDialog(self.ctx, self, product_id=product_id or None)
        self._open(dialog, self._file_issue)
        return dialog

    def _file_issue(self, dialog: NewIssueDialog) -> None:
        from hospital_app.services import supply_issues

        values = dialog.values()
        as_of = self.ctx.as_of

        def work(s):
            view = supply_issues.add_issue(s, values["product_id"], values["type"], values["reported_at"],
                                           company=values["company"], description=values["description"],
                                           as_of=as_of)
            if values["purchase_ids"]:
                supply_issues.link_purchases(s, view.id, values["purchase_ids"])
            return view

        self.ctx.change(work, self._after_change, topics=("issues",), parent=self)

    def reply_selected(self) -> ReplyDialog | None:
        if self.detail is None:
            return None
        dialog = ReplyDialog(self.ctx, self.detail.issue, self)
        self._open(dialog, self._save_reply)
        return dialog

    def _save_reply(self, dialog: ReplyDialog) -> None:
        from hospital_app.services import supply_issues

        values, issue_id, as_of = dialog.values(), dialog.issue.id, self.ctx.as_of
        self.ctx.change(lambda s: supply_issues.reply(s, issue_id, values["at"], values["promised_date"],
                                                      values["text"], as_of=as_of),
                        self._after_change, topics=("issues",), parent=self)

    def act_on_selected(self, action: str) -> IssueActionDialog | None:
        """Resolve, close, escalate, report to the bureau or record its confirmation (a small dialog)."""
        if self.detail is None:
            return None
        dialog = IssueActionDialog(self.ctx, self.detail.issue, action, self)
        self._open(dialog, self._save_action)
        return dialog

    def _save_action(self, dialog: IssueActionDialog) -> None:
        from hospital_app.services import supply_issues

        fn = {"resolve": supply_issues.resolve, "close": supply_issues.close,
              "escalate": supply_issues.escalate, "report": supply_issues.report_to_bureau,
              "confirm": supply_issues.confirm_by_bureau}[dialog.action]
        values, issue_id, as_of = dialog.values(), dialog.issue.id, self.ctx.as_of
        after = self._after_escalate if dialog.action == "escalate" else self._after_change
        self.ctx.change(lambda s: fn(s, issue_id, values["at"], values["text"], as_of=as_of),
                        after, topics=("issues",), parent=self)

    def _after_change(self, view) -> None:
        self._select_after_load = view.id
        if view.promise_exceeds_limit:
            self.ctx.events.status_message.emit(
                self.tr("已记录。注意：承诺解决日期超过 5 个工作日期限（最迟 %1）。")
                .replace("%1", fmt_date(view.promise_limit)))
        else:
            self.ctx.events.status_message.emit(self.tr("已保存问题 %1。").replace("%1", str(view.id)))
        self.refresh()

    def _after_escalate(self, view) -> None:
        self._after_change(view)
        if common.ask(self, self.tr("上报医保部门"), self.tr("问题已标记为上报。现在打印上报函吗？")):
            self.print_document("escalation")

    def print_document(self, kind: str) -> None:
        """R3: write the complaint form or escalation letter (PDF) and open it."""
        from hospital_app.services import documents

        if self.detail is None:
            return
        issue_id, as_of = self.detail.issue.id, self.ctx.as_of
        make = documents.make_complaint if kind == "complaint" else documents.make_escalation
        stem = ("供应问题反馈单" if kind == "complaint" else "供应问题上报函") + f"-{issue_id}"
        path = common.document_path(stem, ".pdf")
        self.ctx.change(lambda s: make(s, issue_id, path, as_of),
                        self._document_ready, topics=("documents",),
                        progress=None, parent=self)

    def _document_ready(self, result: dict) -> None:
        self.last_document = result["path"]
        self.ctx.events.status_message.emit(self.tr("已生成：%1").replace("%1", result["path"]))
        common.open_document(result["path"])
