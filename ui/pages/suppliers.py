"""Suppliers page (R4 v2 scorecard): one sortable row per manufacturer and distributor for a
quarter or year, the orders and issues behind the selected row, and the one-page PDF for the
meeting with the supplier's representative."""

from __future__ import annotations

from datetime import date

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (QComboBox, QHBoxLayout, QHeaderView, QLabel, QPushButton, QSplitter, QTableWidget,
                               QTableWidgetItem, QTabWidget, QVBoxLayout, QWidget)

from hospital_app.domain.orders import Quarter
from ui.widgets.table_fit import fit_width
from ui.app_context import AppContext
from ui.pages.base import BasePage
from ui.status_style import percent
from ui.widgets import common

ROLE_SORT = Qt.ItemDataRole.UserRole
ROLE_ID = Qt.ItemDataRole.UserRole + 1


class SortItem(QTableWidgetItem):
    """A cell that sorts by a number kept beside its text (rates: none sorts first)."""

    def __init__(self, text: str, key=None) -> None:
        super().__init__(text)
        self.setData(ROLE_SORT, key)

    def __lt__(self, other) -> bool:  # noqa: D401 - Qt's sort hook
        a, b = self.data(ROLE_SORT), other.data(ROLE_SORT)
        if a is None or b is None or type(a) is not type(b):
            return (a is not None, self.text()) < (b is not None, other.text())
        return a < b


def period_options(as_of: date) -> list[tuple[str, str | None, int | None]]:
    """(label, quarter, year): this quarter and the three before, this year and last year."""
    q = Quarter.of(as_of)
    out = []
    for _ in range(4):
        out.append((str(q), str(q), None))
        q = q.previous()
    out += [(str(as_of.year), None, as_of.year), (str(as_of.year - 1), None, as_of.year - 1)]
    return out


class SuppliersPage(BasePage):
    page_name = "suppliers"
    topics = ("orders", "issues", "products", "settings", "calendar")

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent)
        self.rows: list = []
        self.last_document: str | None = None
        self.period = QComboBox(self)
        self.period.setObjectName("supplierPeriod")
        self.period.currentIndexChanged.connect(lambda _i: self.refresh())
        self.pdf_button = QPushButton(self.tr("生成约谈材料（PDF）"), self)
        self.pdf_button.setObjectName("supplierPdf")
        self.pdf_button.setEnabled(False)
        self.pdf_button.clicked.connect(self.print_card)
        self.summary = QLabel(self)
        top = QHBoxLayout()
        top.addWidget(QLabel(self.tr("期间"), self))
        top.addWidget(self.period)
        top.addWidget(self.summary, 1)
        top.addWidget(self.pdf_button)

        self.table = QTableWidget(0, 11, self)
        self.table.setObjectName("supplierTable")
        self.table.setHorizontalHeaderLabels([
            self.tr("企业"), self.tr("角色"), self.tr("订单数"), self.tr("响应率"), self.tr("配送及时率"),
            self.tr("订单配送率"), self.tr("供应问题"), self.tr("按时解决"), self.tr("上报"), self.tr("评价"),
            self.tr("问题最多的产品")])
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QTableWidget.SelectionMode.SingleSelection)
        self.table.setSortingEnabled(True)
        fit_width(self.table, (0, 10))  # company, products with most issues
        self.table.itemSelectionChanged.connect(self._selected)

        self.orders = QTableWidget(0, 8, self)
        self.orders.setObjectName("supplierOrders")
        self.orders.setHorizontalHeaderLabels([
            self.tr("订单号"), self.tr("产品"), self.tr("下单时间"), self.tr("响应时间"), self.tr("送达时间"),
            self.tr("订购/到货"), self.tr("按时响应"), self.tr("按时足量送达")])
        self.issues = QTableWidget(0, 6, self)
        self.issues.setObjectName("supplierIssues")
        self.issues.setHorizontalHeaderLabels([
            self.tr("编号"), self.tr("产品"), self.tr("反馈时间"), self.tr("答复时间"), self.tr("解决时间"),
            self.tr("结果")])
        self.issues.cellDoubleClicked.connect(self._open_issue)
        for t in (self.orders, self.issues):
            t.verticalHeader().setVisible(False)
            t.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
            t.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.tabs = QTabWidget(self)
        self.tabs.addTab(self.orders, self.tr("订单"))
        self.tabs.addTab(self.issues, self.tr("供应问题（双击打开）"))
        split = QSplitter(Qt.Orientation.Vertical, self)
        split.addWidget(self.table)
        split.addWidget(self.tabs)
        split.setSizes([420, 280])
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(split)
        self._fill_periods()

    def title(self) -> str:
        return self.tr("供应企业")

    def _fill_periods(self) -> None:
        self.period.blockSignals(True)
        self.period.clear()
        for label, quarter, year in period_options(self.ctx.as_of):
            self.period.addItem(label, (quarter, year))
        self.period.blockSignals(False)

    def _chosen(self) -> tuple[str | None, int | None]:
        return self.period.currentData() or (None, None)

    def refresh(self) -> None:
        from hospital_app.services.suppliers import scorecard

        if self.period.count() == 0 or self.period.itemText(0) != str(Quarter.of(self.ctx.as_of)):
            self._fill_periods()
        quarter, year = self._chosen()
        as_of = self.ctx.as_of
        self.summary.setText(self.tr("正在加载…"))
        self.ctx.query(lambda s: scorecard(s, as_of, quarter, year), self.show_rows, parent=self)

    def show_rows(self, rows: list) -> None:
        self.rows = rows
        levels = {"serious": self.tr("严重"), "warning": self.tr("预警"), "incentive": self.tr("激励")}
        roles = {"manufacturer": self.tr("生产企业"), "distributor": self.tr("配送企业")}
        self.table.setSortingEnabled(False)
        self.table.setRowCount(len(rows))
        for r, s in enumerate(rows):
            top = "；".join(f"{p['name']}（{p['issues']}）" for p in s.top_products)
            cells = [SortItem(s.company, s.company), SortItem(roles[s.role], s.role), SortItem(str(s.placed), s.placed),
                     SortItem(percent(s.response_rate) if s.response_rate is not None else "—", s.response_rate),
                     SortItem(percent(s.timeliness) if s.timeliness is not None else "—", s.timeliness),
                     SortItem(percent(s.delivery_rate) if s.delivery_rate is not None else "—", s.delivery_rate),
                     SortItem(str(s.issues), s.issues),
                     SortItem(percent(s.issues_on_time_rate) if s.issues_on_time_rate is not None else "—",
                              s.issues_on_time_rate),
                     SortItem(str(s.escalations), s.escalations),
                     SortItem(levels.get(s.level or "", "—"), ("incentive", "warning", "serious").index(s.level)
                              if s.level else None),
                     SortItem(top, len(s.top_products))]
            for c, item in enumerate(cells):
                item.setData(ROLE_ID, r)
                if 2 <= c <= 8:
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                if c == 9 and s.level in ("serious", "warning"):
                    item.setForeground(Qt.GlobalColor.red if s.level == "serious" else Qt.GlobalColor.darkYellow)
                self.table.setItem(r, c, item)
        self.table.setSortingEnabled(True)
        rated = [s for s in rows if s.level]
        self.summary.setText(self.tr("共 %1 家企业，%2 家有订单；严重 %3，预警 %4").replace("%1", str(len(rows)))
                             .replace("%2", str(len(rated)))
                             .replace("%3", str(sum(1 for s in rated if s.level == "serious")))
                             .replace("%4", str(sum(1 for s in rated if s.level == "warning"))))
        self.orders.setRowCount(0)
        self.issues.setRowCount(0)
        self.pdf_button.setEnabled(False)

    def current(self):
        items = self.table.selectedItems()
        if not items:
            return None
        return self.rows[int(items[0].data(ROLE_ID))]

    def select_row(self, row: int) -> None:
        self.table.selectRow(row)

    def _selected(self) -> None:
        from hospital_app.services.suppliers_detail import supplier_issues, supplier_orders

        s = self.current()
        self.pdf_button.setEnabled(s is not None)
        if s is None:
            return
        quarter, year = self._chosen()
        as_of = self.ctx.as_of
        self.ctx.query(lambda ses: (supplier_orders(ses, s.company_id, s.role, as_of, quarter, year),
                                    supplier_issues(ses, s.company_id, s.role, as_of, quarter, year)),
                       self.show_detail, parent=self)

    def show_detail(self, result) -> None:
        orders, issues = result
        yes, no = self.tr("是"), self.tr("否")
        self.orders.setRowCount(len(orders))
        for r, o in enumerate(orders):
            delivered = o.delivered_quantity if o.delivered_quantity is not None else (
                o.quantity if o.delivered_at else None)
            values = [o.order_no, o.product, common.fmt_datetime(o.placed_at), common.fmt_datetime(o.responded_at),
                      common.fmt_datetime(o.delivered_at),
                      f"{o.quantity if o.quantity is not None else '—'}/{delivered if delivered is not None else '—'}",
                      yes if o.responded_in_time else no, yes if (o.delivered_in_time and o.in_full) else no]
            for c, v in enumerate(values):
                self.orders.setItem(r, c, QTableWidgetItem(v))
        outcome = {True: self.tr("按时"), False: self.tr("逾期"), None: self.tr("处理中")}
        self.issues.setRowCount(len(issues))
        for r, i in enumerate(issues):
            text = outcome[i.on_time] + (self.tr("，已上报") if i.escalated else "")
            values = [str(i.issue_id), i.product, common.fmt_datetime(i.reported_at),
                      common.fmt_datetime(i.replied_at), common.fmt_datetime(i.resolved_at), text]
            for c, v in enumerate(values):
                item = QTableWidgetItem(v)
                item.setData(ROLE_ID, i.issue_id)
                self.issues.setItem(r, c, item)
        self.tabs.setTabText(0, self.tr("订单（%1 行）").replace("%1", str(len(orders))))
        self.tabs.setTabText(1, self.tr("供应问题（%1 件，双击打开）").replace("%1", str(len(issues))))

    def _open_issue(self, row: int, _col: int) -> None:
        item = self.issues.item(row, 0)
        if item is not None:
            self.ctx.events.open_issue.emit(int(item.data(ROLE_ID)))

    def print_card(self) -> None:
        """R4: the one-page supplier sheet (PDF), opened when written."""
        from hospital_app.services.documents_suppliers import make_supplier_card

        s = self.current()
        if s is None:
            return
        quarter, year = self._chosen()
        as_of = self.ctx.as_of
        path = common.document_path(f"供应企业约谈材料-{s.company}-{s.period}", ".pdf")
        self.ctx.change(lambda ses: make_supplier_card(ses, s.company_id, s.role, path, as_of, quarter, year),
                        self._document_ready, topics=("documents",), parent=self)

    def _document_ready(self, result: dict) -> None:
        self.last_document = result["path"]
        self.ctx.events.status_message.emit(self.tr("已生成：%1").replace("%1", result["path"]))
        common.open_document(result["path"])
