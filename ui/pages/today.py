"""今日待办: the actions of the day, grouped by what to do (issue 20).

The page only shows ``hospital_app.services.todo.todo_list``: one group per kind of action
(答复催办, 逾期上报, 补足采购 …) with its count and earliest due date, and under it one row
per item with its due date and a button that does it (open the issue, print the letter,
open the product or page). Double-clicking a row does the same.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QColor, QFont
from PySide6.QtWidgets import (QHeaderView, QLabel, QPushButton, QTreeWidget, QTreeWidgetItem, QVBoxLayout,
                               QWidget)

from ui.app_context import AppContext
from ui.pages.base import BasePage
from ui.status_style import SEVERITY_COLOURS

ITEM_ROLE = Qt.ItemDataRole.UserRole


class TodayPage(BasePage):
    page_name = "today"
    topics = ("purchases", "products", "issues", "payments", "orders", "volumes", "settings", "calendar")

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent)
        self.groups: list[Any] = []
        self.heading = QLabel(self)
        self.heading.setStyleSheet("font-size: 18px; font-weight: bold;")
        self.summary = QLabel(self.tr("正在加载…"), self)
        self.summary.setStyleSheet("color: #5f6368;")
        self.summary.setWordWrap(True)
        self.tree = QTreeWidget(self)
        self.tree.setObjectName("todoTree")
        self.tree.setColumnCount(3)
        self.tree.setHeaderLabels([self.tr("待办事项"), self.tr("期限"), self.tr("操作")])
        self.tree.setWordWrap(True)
        self.tree.setUniformRowHeights(False)
        self.tree.setAlternatingRowColors(True)
        header = self.tree.header()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.ResizeToContents)
        self.tree.itemDoubleClicked.connect(lambda item, _c: self.do(item.data(0, ITEM_ROLE)))
        layout = QVBoxLayout(self)
        layout.addWidget(self.heading)
        layout.addWidget(self.summary)
        layout.addWidget(self.tree, 1)
        self.heading.setText(self.tr("今日待办（%1）").replace("%1", ctx.as_of.isoformat()))

    def title(self) -> str:
        return self.tr("今日待办")

    def refresh(self) -> None:
        from hospital_app.services.todo import todo_list

        as_of = self.ctx.as_of
        self.summary.setText(self.tr("正在加载…"))
        self.ctx.query(lambda s: todo_list(s, as_of), self.show_groups, parent=self)

    # ---- showing
    def action_label(self, item) -> str:
        from hospital_app.services import todo

        if item.action == todo.OPEN_ISSUE:
            return self.tr("打开问题")
        if item.action == todo.PRINT_ESCALATION:
            return self.tr("打印上报函")
        if item.action == todo.OPEN_PRODUCT:
            return self.tr("打开产品")
        return {"payments": self.tr("打开付款"), "volumes": self.tr("打开报量核对"),
                "purchases": self.tr("打开采购明细")}.get(item.page or "", self.tr("打开"))

    def due_text(self, item) -> str:
        if item.due is None:
            return self.tr("尽快")
        text = item.due.isoformat()
        if item.overdue_days:
            text += self.tr("（已逾期 %1 天）").replace("%1", str(item.overdue_days))
        return text

    def show_groups(self, groups) -> None:
        self.groups = list(groups)
        self.tree.clear()
        total = sum(g.count for g in self.groups)
        if not self.groups:
            self.summary.setText(self.tr("今天没有待办事项。"))
            self.ready.emit()
            return
        self.summary.setText(self.tr("共 %1 项待办，分 %2 类。双击一行或点击右侧按钮即可处理。")
                             .replace("%1", str(total)).replace("%2", str(len(self.groups))))
        bold = QFont(self.tree.font())
        bold.setBold(True)
        for group in self.groups:
            top = QTreeWidgetItem(self.tree)
            top.setText(0, self.tr("%1（%2 项）").replace("%1", group.title).replace("%2", str(group.count)))
            top.setToolTip(0, group.hint)
            top.setFont(0, bold)
            if group.due is not None:
                top.setText(1, self.tr("最早 %1").replace("%1", group.due.isoformat()))
            top.setFirstColumnSpanned(False)
            hint = QTreeWidgetItem(top)
            hint.setText(0, group.hint)
            hint.setForeground(0, QBrush(QColor("#5f6368")))
            hint.setFlags(Qt.ItemFlag.ItemIsEnabled)
            for item in group.items:
                row = QTreeWidgetItem(top)
                row.setText(0, item.text)
                row.setToolTip(0, item.text)
                row.setText(1, self.due_text(item))
                row.setData(0, ITEM_ROLE, item)
                colour = SEVERITY_COLOURS.get(item.severity, "#202124")
                row.setForeground(0, QBrush(QColor(colour)))
                if item.overdue_days:
                    row.setForeground(1, QBrush(QColor(SEVERITY_COLOURS["serious"])))
                button = QPushButton(self.action_label(item), self.tree)
                button.setObjectName(f"todoAction_{item.action}")
                button.clicked.connect(lambda _checked=False, it=item: self.do(it))
                self.tree.setItemWidget(row, 2, button)
            top.setExpanded(True)
        self.ready.emit()

    def buttons(self) -> list[QPushButton]:
        """Every action button, top to bottom (tests)."""
        out = []
        for g in range(self.tree.topLevelItemCount()):
            top = self.tree.topLevelItem(g)
            for c in range(top.childCount()):
                widget = self.tree.itemWidget(top.child(c), 2)
                if isinstance(widget, QPushButton):
                    out.append(widget)
        return out

    # ---- doing
    def do(self, item) -> None:
        """One click: what the item's action says."""
        from hospital_app.services import todo

        if item is None:
            return
        events = self.ctx.events
        if item.action == todo.OPEN_ISSUE and item.issue_id is not None:
            events.open_issue.emit(int(item.issue_id))
        elif item.action == todo.PRINT_ESCALATION and item.issue_id is not None:
            events.print_escalation.emit(int(item.issue_id))
        elif item.action == todo.OPEN_PRODUCT and item.product_id is not None:
            events.open_product.emit(int(item.product_id))
        elif item.page:
            events.open_page.emit(item.page)
