"""Departments page (R21): departments × lagging products, sortable, with each department's
non-selected share; the detail of one department; its notice (科室通报) as PDF.

Rows are departments, columns their totals and then one column per product with a problem
(behind schedule or a non-selected share over the limit): the department's part of that
product's shortfall; a cell is tinted when the department used non-selected units of it.
Everything comes from ``services.departments`` through the worker (no SQL here).
"""

from __future__ import annotations

from PySide6.QtCore import QSortFilterProxyModel, Qt
from PySide6.QtGui import QBrush, QColor, QStandardItem, QStandardItemModel
from PySide6.QtWidgets import (QAbstractItemView, QGroupBox, QHBoxLayout, QHeaderView, QLabel, QLineEdit,
                               QPushButton, QSplitter, QTableView, QVBoxLayout, QWidget)

from ui.pages.base import BasePage
from ui.widgets import common
from ui.widgets.common import Banner

SORT_ROLE = Qt.ItemDataRole.UserRole + 1
NONSELECTED_TINT = QColor("#fde2e1")
LAG_TINT = QColor("#fff4d6")


def _pct(value) -> str:
    return "—" if value is None else f"{float(value) * 100:.1f}%"


def _item(text: str, sort_value=None, tooltip: str | None = None) -> QStandardItem:
    it = QStandardItem(text)
    it.setData(sort_value if sort_value is not None else text, SORT_ROLE)
    if tooltip:
        it.setToolTip(tooltip)
    if isinstance(sort_value, (int, float)):
        it.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
    return it


class DepartmentsPage(BasePage):
    page_name = "departments"
    topics = ("departments", "purchases", "products", "settings")
    FIXED = 4  # 科室, 非中选占比, 非中选用量, 应承担缺口合计

    def __init__(self, ctx, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent)
        self.report = None  # services.departments.DepartmentsReport
        self.summaries: list = []
        self.problems: list = []
        self.last_export: str | None = None
        self._build()

    def title(self) -> str:
        return self.tr("科室")

    # ------------------------------------------------------------------ layout
    def _build(self) -> None:
        self.banner = Banner(self)
        self.summary = QLabel(self)
        self.summary.setObjectName("departmentsSummary")
        self.model = QStandardItemModel(0, self.FIXED, self)
        self.proxy = QSortFilterProxyModel(self)
        self.proxy.setSourceModel(self.model)
        self.proxy.setSortRole(SORT_ROLE)
        self.table = QTableView(self)
        self.table.setObjectName("departmentsTable")
        self.table.setModel(self.proxy)
        self.table.setSortingEnabled(True)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)

        box = QGroupBox(self.tr("科室详情"), self)
        self.heading = QLabel(self.tr("请选择一个科室。"), box)
        self.heading.setObjectName("departmentHeading")
        self.heading.setWordWrap(True)
        self.heading.setStyleSheet("font-weight:bold;")
        self.detail_model = QStandardItemModel(0, 5, self)
        self.detail_model.setHorizontalHeaderLabels([
            self.tr("药品"), self.tr("全院状态"), self.tr("应承担缺口"), self.tr("非中选用量"),
            self.tr("科室非中选占比")])
        self.detail = QTableView(box)
        self.detail.setObjectName("departmentDetail")
        self.detail.setModel(self.detail_model)
        self.detail.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.detail.verticalHeader().hide()
        self.detail.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.period = QLineEdit(box)
        self.period.setObjectName("noticePeriod")
        self.period.setPlaceholderText("2026Q3")
        self.period.setText(f"{self.ctx.as_of.year}Q{(self.ctx.as_of.month - 1) // 3 + 1}")
        self.period.setMaximumWidth(110)
        self.notice_button = QPushButton(self.tr("生成科室通报 PDF…"), box)
        self.notice_button.setObjectName("noticeButton")
        self.notice_button.setEnabled(False)
        row = QHBoxLayout()
        row.addWidget(QLabel(self.tr("统计期间："), box))
        row.addWidget(self.period)
        row.addWidget(self.notice_button)
        row.addStretch(1)
        inner = QVBoxLayout(box)
        inner.addWidget(self.heading)
        inner.addWidget(self.detail, 1)
        inner.addLayout(row)

        splitter = QSplitter(Qt.Orientation.Horizontal, self)
        splitter.addWidget(self.table)
        splitter.addWidget(box)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
        layout = QVBoxLayout(self)
        layout.addWidget(self.banner)
        layout.addWidget(self.summary)
        layout.addWidget(splitter, 1)
        self.table.selectionModel().currentRowChanged.connect(self._row_changed)
        self.notice_button.clicked.connect(self.export_notice)

    # ------------------------------------------------------------------ data
    def refresh(self) -> None:
        from hospital_app.services.departments import department_view, summarize

        as_of = self.ctx.as_of

        def load(s):
            report = department_view(s, as_of)
            return report, summarize(report)

        self.ctx.query(load, self._show, parent=self)

    def _show(self, result) -> None:
        self.report, self.summaries = result
        self.problems = [p for p in self.report.products if p.problem and p.departments]
        headers = [self.tr("科室"), self.tr("非中选占比"), self.tr("非中选用量"), self.tr("应承担缺口合计")]
        headers += [f"{p.generic_name} {p.spec or ''}".strip() for p in self.problems]
        self.model.clear()
        self.model.setHorizontalHeaderLabels(headers)
        for col, p in enumerate(self.problems, start=self.FIXED):
            self.model.horizontalHeaderItem(col).setToolTip(
                self.tr("全院缺口 %1，全院非中选占比 %2").replace("%1", str(p.shortfall))
                .replace("%2", _pct(p.nonselected_share)))
        for s in self.summaries:
            share = s.nonselected_share
            items = [_item(s.department), _item(_pct(share), -1.0 if share is None else float(share)),
                     _item(str(s.nonselected), s.nonselected), _item(str(s.shortfall_part), s.shortfall_part)]
            for p in self.problems:
                f = next((f for f in p.departments if f.department == s.department), None)
                if f is None:
                    items.append(_item("", -1))
                    continue
                tip = self.tr("中选 %1，非中选 %2，科室非中选占比 %3，用量占比 %4").replace("%1", str(f.selected)) \
                    .replace("%2", str(f.nonselected)).replace("%3", _pct(f.nonselected_share)) \
                    .replace("%4", _pct(f.use_share))
                it = _item(str(f.shortfall_part), f.shortfall_part, tip)
                if f.nonselected > 0:
                    it.setBackground(QBrush(NONSELECTED_TINT))
                elif f.shortfall_part > 0:
                    it.setBackground(QBrush(LAG_TINT))
                items.append(it)
            self.model.appendRow(items)
        self.table.sortByColumn(3, Qt.SortOrder.DescendingOrder)
        self.table.resizeColumnsToContents()
        self.table.resizeRowsToContents()
        if not self.summaries:
            self.banner.show_message(self.tr("还没有科室用量数据：请导入医院信息系统的科室发药/领用数据。"), "info")
        else:
            self.banner.hide()
        self.summary.setText(self.tr("截至 %1：%2 个科室，%3 个滞后或非中选超比例的产品。单元格为科室应承担的缺口；"
                                     "红色表示该科室使用了非中选产品。")
                             .replace("%1", self.report.as_of.isoformat()).replace("%2", str(len(self.summaries)))
                             .replace("%3", str(len(self.problems))))
        if self.proxy.rowCount():
            self.table.selectRow(0)

    def _row_changed(self, current, _previous) -> None:
        if not current.isValid():
            return
        name = self.proxy.index(current.row(), 0).data()
        self.show_department(name)

    def show_department(self, name: str) -> None:
        """The detail of one department: its lagging products and its non-selected use."""
        from hospital_app.domain.status import status_label

        self.current = name
        s = next((x for x in self.summaries if x.department == name), None)
        if s is None or self.report is None:
            return
        self.heading.setText(self.tr("%1：中选 %2，非中选 %3，非中选占比 %4，应承担缺口 %5")
                             .replace("%1", name).replace("%2", str(s.selected)).replace("%3", str(s.nonselected))
                             .replace("%4", _pct(s.nonselected_share)).replace("%5", str(s.shortfall_part)))
        self.detail_model.removeRows(0, self.detail_model.rowCount())
        for p in self.report.products:
            f = next((f for f in p.departments if f.department == name), None)
            if f is None or not (f.shortfall_part > 0 and p.lagging or f.nonselected > 0):
                continue
            self.detail_model.appendRow([
                _item(f"{p.generic_name} {p.spec or ''}".strip()), _item(status_label(p.status)),
                _item(str(f.shortfall_part), f.shortfall_part), _item(str(f.nonselected), f.nonselected),
                _item(_pct(f.nonselected_share))])
        self.detail.resizeColumnsToContents()
        self.notice_button.setEnabled(True)

    # ------------------------------------------------------------------ notice
    def export_notice(self) -> None:
        """R21: the department notice (科室通报) for the period typed, then opened."""
        from hospital_app.domain.periods import parse_period
        from hospital_app.errors import BadInput
        from hospital_app.services.department_notice import make_department_notice

        name = getattr(self, "current", None)
        if not name:
            return
        try:
            period = parse_period(self.period.text())
        except BadInput as exc:
            self.banner.show_message(str(exc), "error")
            return
        suggested = str(common.document_path(f"科室通报_{name}_{period.key}", ".pdf"))
        path = common.choose_save_file(self, self.tr("生成科室通报"), suggested, self.tr("PDF 文件 (*.pdf)"))
        if not path:
            return
        if not path.lower().endswith(".pdf"):
            path += ".pdf"
        as_of = self.ctx.as_of
        self.ctx.change(lambda s: make_department_notice(s, name, period, path, as_of)["path"], self._exported,
                        topics=("documents",), parent=self)

    def _exported(self, path: str) -> None:
        self.last_export = path
        self.ctx.events.status_message.emit(self.tr("已导出：%1").replace("%1", path))
        common.open_document(path)
