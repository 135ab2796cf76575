"""Dashboard: where the pharmacist's day starts — how each batch stands, what to do today.

Everything is loaded in one worker job (``load_dashboard``) from the services. Quantities
of different products are never added up (tablets + vials + stents say nothing): each
batch shows its completion against the schedule in percent (R8).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (QFrame, QGroupBox, QHBoxLayout, QHeaderView, QLabel, QListWidget,
                               QListWidgetItem, QSplitter, QTableWidget, QTableWidgetItem, QVBoxLayout,
                               QWidget)

from ui.app_context import AppContext
from ui.pages.base import BasePage
from ui.widgets.table_fit import fit_rows
from ui.status_style import SEVERITY_COLOURS, STATUS_COLOURS, STATUS_ORDER, percent, status_label

log = logging.getLogger(__name__)
ROLE_PRODUCT = Qt.ItemDataRole.UserRole
ROLE_ISSUE = Qt.ItemDataRole.UserRole + 1
ROLE_PAGE = Qt.ItemDataRole.UserRole + 2
PAYMENTS_SHOWN = 200  # the payments list shows the first unpaid deliveries; the card counts all
BATCH_ROWS_SHOWN = 3  # batch and indicator rows shown; more scroll: the to-do list stays on the first screen
CHART_BATCHES = 4  # more batches: the chart shows the four furthest behind their schedule


@dataclass
class DashboardData:
    """What the dashboard shows, as plain data (built on the worker thread)."""

    as_of: date
    counts: dict[str, int] = field(default_factory=dict)
    batches: list[Any] = field(default_factory=list)  # progress.BatchSummary
    alerts: list[Any] = field(default_factory=list)  # findings.Alert
    todo: list[Any] = field(default_factory=list)  # todo.TodoGroup
    issues: list[Any] = field(default_factory=list)  # supply_issues.IssueView (open)
    payments: list[dict] = field(default_factory=list)  # the first unpaid deliveries, overdue first
    open_payments: int = 0  # how many deliveries are unpaid
    indicators: Any = None  # indicators.IndicatorReport (R20), from the same progress report


def load_dashboard(session, as_of: date) -> DashboardData:
    """Worker job: one progress pass, reused by the batch summary, the alerts, the to-do list and the
    indicators; the number of unpaid deliveries and the first ``PAYMENTS_SHOWN`` of them.

    The aggregates the database computes (the alerts' R3–R5 findings, the unpaid deliveries and
    their count, the open supply issues) are read beside the progress pass, on a second connection
    when it may (``services.beside``, issue 21)."""
    from hospital_app.services import progress
    from hospital_app.services.alerts import aggregate_findings, collect_alerts
    from hospital_app.services.beside import Beside
    from hospital_app.services.gc_pause import paused as gc_paused
    from hospital_app.services.indicators import compute_indicators
    from hospital_app.services.payments import count_open, first_open
    from hospital_app.services.supply_issues import list_issues
    from hospital_app.services.todo import todo_list

    data = DashboardData(as_of=as_of)
    # The collector's passes over the job's ~10⁵ fresh objects (and the app's long-lived ones)
    # freed nothing and cost ~0.1 s of it (issue 21, ``services.gc_pause``).
    with gc_paused(), Beside(session) as beside:
        beside.once(aggregate_findings, as_of)  # the longest read first
        # Overdue first, then by due date: the order the service lists them in (acceptance order).
        payments = beside.submit(first_open, as_of, PAYMENTS_SHOWN)
        issues = beside.submit(list_issues, as_of, open_only=True)
        report = progress.compute_progress(session, as_of)
        for row in report.rows:
            data.counts[row.status] = data.counts.get(row.status, 0) + 1
        data.batches = progress.batch_summary(session, as_of, report)
        data.alerts = collect_alerts(session, as_of, report=report, beside=beside)
        # The overdue ones are the R5 counts of the alerts.
        open_payments = beside.submit(count_open, as_of, alerts=data.alerts)
        data.payments = payments.result()
        data.issues = issues.result()
        data.todo = todo_list(session, as_of, alerts=data.alerts, issues=data.issues)
        data.indicators = compute_indicators(session, as_of, report=report, batches_summary=data.batches)
        data.open_payments = open_payments.result()
    return data


def _card(title: str, colour: str, parent: QWidget) -> tuple[QFrame, QLabel]:
    frame = QFrame(parent)
    frame.setObjectName("statusCard")
    frame.setStyleSheet(f"QFrame#statusCard {{ background: white; border: 1px solid #dde1e6;"
                        f" border-left: 5px solid {colour}; border-radius: 4px; }}")
    layout = QVBoxLayout(frame)
    layout.setContentsMargins(10, 6, 10, 6)
    number = QLabel("–", frame)
    number.setStyleSheet(f"font-size: 22px; font-weight: bold; color: {colour}; border: none;")
    caption = QLabel(title, frame)
    caption.setStyleSheet("color: #5f6368; border: none;")
    layout.addWidget(number)
    layout.addWidget(caption)
    return frame, number


class DashboardPage(BasePage):
    page_name = "dashboard"
    topics = ("purchases", "products", "issues", "payments", "orders", "volumes", "settings", "calendar")

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent)
        self.data: DashboardData | None = None
        self._charts_ready = False

        self.heading = QLabel(self)
        self.heading.setStyleSheet("font-size: 18px; font-weight: bold;")
        self.notice = QLabel(self)
        self.notice.setStyleSheet("color: #5f6368;")
        self.notice.setWordWrap(True)
        # The loading state from the first paint: the window shows before the data is asked for.
        self.heading.setText(self.tr("%1 的执行情况").replace("%1", ctx.as_of.isoformat()))
        self.notice.setText(self.tr("正在加载…"))

        cards = QHBoxLayout()
        self.status_numbers: dict[str, QLabel] = {}
        for key in STATUS_ORDER:
            frame, number = _card(status_label(key), STATUS_COLOURS[key], self)
            self.status_numbers[key] = number
            cards.addWidget(frame)
        frame, self.issue_number = _card(self.tr("未解决供应问题"), "#8e24aa", self)
        cards.addWidget(frame)
        frame, self.payment_number = _card(self.tr("待付货款"), "#00897b", self)
        cards.addWidget(frame)

        # No sums of quantities: a batch mixes units (片、支、套); completion and schedule are ratios.
        self.batch_table = QTableWidget(0, 5, self)
        self.batch_table.setObjectName("batchTable")
        self.batch_table.setHorizontalHeaderLabels([
            self.tr("批次"), self.tr("中选产品"), self.tr("进度落后"), self.tr("完成进度"), self.tr("序时进度")])
        self.batch_table.verticalHeader().setVisible(False)
        self.batch_table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        header = self.batch_table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)  # no clipped headers
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)

        self.todo = QListWidget(self)
        self.todo.setObjectName("todoList")
        self.todo.setWordWrap(True)
        self.todo.setAlternatingRowColors(True)
        self.todo.itemActivated.connect(self._open_item)
        self.todo.itemDoubleClicked.connect(self._open_item)
        self.issues = QListWidget(self)
        self.issues.setObjectName("issueList")
        self.issues.setWordWrap(True)
        self.issues.itemActivated.connect(self._open_item)
        self.issues.itemDoubleClicked.connect(self._open_item)
        self.payments = QListWidget(self)
        self.payments.setObjectName("paymentList")
        self.payments.setWordWrap(True)
        self.payments.itemActivated.connect(self._open_item)
        self.payments.itemDoubleClicked.connect(self._open_item)

        self.chart_box = QGroupBox(self.tr("采购进度"), self)
        # The charts (220 px: six status labels never elide) set the box's minimum; the lists below scroll.
        self.chart_layout = QHBoxLayout(self.chart_box)
        self.batch_chart = None
        self.status_chart = None

        todo_box = QGroupBox(self.tr("今日待办（双击查看）"), self)
        QVBoxLayout(todo_box).addWidget(self.todo)
        issue_box = QGroupBox(self.tr("未解决的供应问题（双击打开）"), self)
        QVBoxLayout(issue_box).addWidget(self.issues)
        payment_box = QGroupBox(self.tr("待付货款"), self)
        QVBoxLayout(payment_box).addWidget(self.payments)
        side = QSplitter(Qt.Orientation.Vertical, self)
        side.addWidget(issue_box)
        side.addWidget(payment_box)
        bottom = QSplitter(Qt.Orientation.Horizontal, self)
        bottom.addWidget(todo_box)
        bottom.addWidget(side)
        bottom.setSizes([640, 360])

        layout = QVBoxLayout(self)
        layout.addWidget(self.heading)
        layout.addWidget(self.notice)
        layout.addLayout(cards)
        layout.addWidget(self.batch_table)
        from ui.widgets.indicators_panel import IndicatorsPanel

        self.indicators_panel = IndicatorsPanel(ctx, self, rows_shown=BATCH_ROWS_SHOWN)
        layout.addWidget(self.indicators_panel)
        layout.addWidget(self.chart_box, 3)
        bottom.setMinimumHeight(150)
        layout.addWidget(bottom, 4)

    def title(self) -> str:
        return self.tr("总览")

    def refresh(self) -> None:
        self.heading.setText(self.tr("%1 的执行情况").replace("%1", self.ctx.as_of.isoformat()))
        self.notice.setText(self.tr("正在加载…"))
        self.ctx.query(lambda s: load_dashboard(s, self.ctx.as_of), self.show_data, parent=self)

    # ---- showing
    def _ensure_charts(self) -> None:
        if self._charts_ready:
            return
        from ui.widgets.charts import BatchProgressChart, StatusChart  # QtCharts only once data is here

        self.batch_chart = BatchProgressChart(self.chart_box)
        self.batch_chart.setObjectName("batchChart")
        self.status_chart = StatusChart(self.chart_box)
        self.status_chart.setObjectName("statusChart")
        self.chart_layout.addWidget(self.batch_chart, 3)
        self.chart_layout.addWidget(self.status_chart, 2)
        self._charts_ready = True

    def show_data(self, data: DashboardData) -> None:
        self.data = data
        self.notice.setText("")
        total = sum(data.counts.values())
        for key, label in self.status_numbers.items():
            label.setText(str(data.counts.get(key, 0)))
        self.issue_number.setText(str(len(data.issues)))
        self.payment_number.setText(str(data.open_payments))

        self.batch_table.setRowCount(len(data.batches))
        for r, b in enumerate(data.batches):
            behind = sum(b.counts.get(k, 0) for k in ("behind", "severely_behind", "not_started"))
            values = [b.batch, str(b.products), str(behind), percent(b.completion), percent(b.schedule)]
            for c, value in enumerate(values):
                item = QTableWidgetItem(value)
                if c:
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                if c == 3 and b.completion < b.schedule:
                    item.setForeground(QBrush(QColor(STATUS_COLOURS["behind"])))
                self.batch_table.setItem(r, c, item)
        fit_rows(self.batch_table, BATCH_ROWS_SHOWN)

        self.indicators_panel.set_data(data.indicators)
        self._ensure_charts()
        charted = data.batches
        title = self.tr("各批次完成进度与序时进度（%）")
        if len(charted) > CHART_BATCHES:  # 40 bars would be unreadable: the batches furthest behind
            charted = sorted(charted, key=lambda b: (b.completion - b.schedule, b.batch))[:CHART_BATCHES]
            title = self.tr("落后最多的 %1 个批次：完成进度与序时进度（%）").replace("%1", str(CHART_BATCHES))
        self.batch_chart.set_data([(b.batch, float(b.completion), float(b.schedule)) for b in charted], title)
        self.status_chart.set_data([(k, status_label(k), data.counts.get(k, 0)) for k in STATUS_ORDER],
                                   self.tr("产品状态（共 %1 个）").replace("%1", str(total)))
        self._fill_todo(data.todo)
        self._fill_issues(data.issues)
        self._fill_payments(data.payments, data.open_payments)
        self.ready.emit()

    def _fill_todo(self, groups) -> None:
        """One line per kind of action with its count and earliest due; the 今日待办 page has the items."""
        self.todo.clear()
        if not groups:
            self.todo.addItem(self.tr("今天没有待办事项。"))
            return
        for group in groups:
            text = self.tr("%1：%2 项").replace("%1", group.title).replace("%2", str(group.count))
            if group.due is not None:
                text += self.tr("，最早期限 %1").replace("%1", group.due.isoformat())
            item = QListWidgetItem(text)
            item.setToolTip(group.hint)
            item.setData(ROLE_PAGE, "today")
            worst = min((i.severity for i in group.items), key=["serious", "warning", "info"].index)
            item.setForeground(QBrush(QColor(SEVERITY_COLOURS.get(worst, "#202124"))))
            self.todo.addItem(item)

    def issue_text(self, issue) -> tuple[str, bool]:
        """R3, state-aware: an open issue shows its reply due, an answered one its resolution due,
        an escalated one that it was escalated; overdue only for the due shown."""
        from hospital_app.services.supply_issues import type_label

        head = self.tr("#%1 %2 %3").replace("%1", str(issue.id)).replace("%2", issue.product_name).replace(
            "%3", type_label(issue.type))
        if issue.status == "escalated":
            return head + self.tr(" — 已上报医保部门"), False
        if issue.status == "open" and issue.replied_at is None:
            overdue = "reply" in issue.overdue
            text = head + self.tr(" — 答复期限 %1").replace("%1", issue.reply_due.isoformat())
        else:
            overdue = "resolution" in issue.overdue
            text = head + self.tr(" — 解决期限 %1").replace("%1", issue.resolution_due.isoformat())
        return text + (self.tr("（已逾期）") if overdue else ""), overdue

    def _fill_issues(self, issues) -> None:
        self.issues.clear()
        if not issues:
            self.issues.addItem(self.tr("没有未解决的供应问题。"))
            return
        for issue in issues:
            text, overdue = self.issue_text(issue)
            item = QListWidgetItem(text)
            item.setData(ROLE_ISSUE, int(issue.id))
            if overdue:
                item.setForeground(QBrush(QColor(SEVERITY_COLOURS["serious"])))
            self.issues.addItem(item)

    def _fill_payments(self, payments, total: int) -> None:
        self.payments.clear()
        if not payments:
            self.payments.addItem(self.tr("没有待付款的订单。"))
            return
        for p in payments:  # overdue first, then by due date (load_dashboard)
            text = self.tr("%1 %2 ￥%3 应付日期 %4").replace("%1", str(p["order_no"])).replace(
                "%2", p["company"]).replace("%3", str(p["amount"])).replace("%4", p["due"].isoformat())
            if p["overdue"]:
                text += self.tr("（已逾期）")
            item = QListWidgetItem(text)
            if p["overdue"]:
                item.setForeground(QBrush(QColor(SEVERITY_COLOURS["serious"])))
            self.payments.addItem(item)
        if total > len(payments):
            item = QListWidgetItem(self.tr("以上为最早到期的 %1 笔（共 %2 笔），全部请见“货款结算”页")
                                   .replace("%1", str(len(payments))).replace("%2", str(total)))
            item.setData(ROLE_PAGE, "payments")
            self.payments.addItem(item)

    def _open_item(self, item: QListWidgetItem) -> None:
        page = item.data(ROLE_PAGE)
        if page:
            self.ctx.events.open_page.emit(str(page))
            return
        issue_id = item.data(ROLE_ISSUE)
        if issue_id is not None:
            self.ctx.events.open_issue.emit(int(issue_id))
            return
        product_id = item.data(ROLE_PRODUCT)
        if product_id is not None:
            self.ctx.events.open_product.emit(int(product_id))
