"""The working-day calendar editor (R1): a year of twelve month grids.

Colours: official statutory holidays red, official make-up working days orange,
the user's corrections blue (they win over the official schedule), weekends grey.
A banner says when a year has no official schedule (its days are provisional).
Clicking a day shows what it is; the pharmacist can make it a working day or a day
off (with a note) or remove a correction. Every change can be undone at once.

Supply-issue dues are computed from the calendar when read, so the event
``data_changed("calendar")`` is enough for the issues page to show moved dues.
"""

from __future__ import annotations

from datetime import date

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QBrush, QColor, QFont
from PySide6.QtWidgets import (QAbstractItemView, QGridLayout, QGroupBox, QHBoxLayout, QHeaderView,
                               QLabel, QLineEdit, QPushButton, QSpinBox, QTableWidget, QTableWidgetItem,
                               QVBoxLayout, QWidget)

from ui.widgets.common import Banner, UndoBar, month_name

DATE_ROLE = Qt.ItemDataRole.UserRole + 1

COLOURS = {
    "holiday": ("#fdecea", "#c0392b"),
    "makeup": ("#fff3e0", "#b9770e"),
    "user_workday": ("#e3f0ff", "#1f4e79"),
    "user_holiday": ("#e3f0ff", "#1f4e79"),
    "weekend": ("#f4f4f4", "#888888"),
    "workday": ("#ffffff", "#222222"),
}


class MonthGrid(QTableWidget):
    """One month: 7 columns (Mon–Sun) × up to 6 weeks."""

    day_clicked = Signal(object)

    def __init__(self, year: int, month: int, parent: QWidget | None = None) -> None:
        super().__init__(6, 7, parent)
        self.year, self.month = year, month
        self.setObjectName(f"month_{month}")
        self.setHorizontalHeaderLabels([self.tr("一"), self.tr("二"), self.tr("三"), self.tr("四"),
                                        self.tr("五"), self.tr("六"), self.tr("日")])
        self.verticalHeader().hide()
        self.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.horizontalHeader().setMinimumSectionSize(18)
        self.verticalHeader().setMinimumSectionSize(16)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setShowGrid(False)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setMinimumSize(180, 140)
        self.cellClicked.connect(self._clicked)

    def set_cells(self, cells: list) -> None:
        self.clearContents()
        first = date(self.year, self.month, 1)
        offset = first.weekday()
        for cell in cells:
            pos = offset + cell.day.day - 1
            item = QTableWidgetItem(str(cell.day.day))
            item.setTextAlignment(Qt.AlignmentFlag.AlignCenter)
            item.setData(DATE_ROLE, cell.day)
            bg, fg = COLOURS[cell.kind]
            item.setBackground(QBrush(QColor(bg)))
            item.setForeground(QBrush(QColor(fg)))
            if cell.kind.startswith("user"):
                f = QFont()
                f.setBold(True)
                f.setUnderline(True)
                item.setFont(f)
            tip = [cell.day.isoformat()]
            if cell.name:
                tip.append(cell.name)
            if cell.note:
                tip.append(cell.note)
            item.setToolTip(" · ".join(tip))
            self.setItem(pos // 7, pos % 7, item)

    def item_for(self, day: date) -> QTableWidgetItem | None:
        pos = date(self.year, self.month, 1).weekday() + day.day - 1
        return self.item(pos // 7, pos % 7)

    def _clicked(self, row: int, column: int) -> None:
        item = self.item(row, column)
        if item is not None and item.data(DATE_ROLE) is not None:
            self.day_clicked.emit(item.data(DATE_ROLE))


class CalendarEditor(QWidget):
    """Year view + day panel. Talks to services through ``ctx`` (worker)."""

    def __init__(self, ctx, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.cells: dict[date, object] = {}
        self.year_data: dict | None = None
        self.current: date | None = None
        self.months: list[MonthGrid] = []

        self.year = QSpinBox(self)
        self.year.setObjectName("calendarYear")
        self.year.setRange(2000, 2100)
        self.year.setValue(ctx.as_of.year)
        self.year.setSuffix(self.tr(" 年"))
        prev_button = QPushButton("◀", self)
        next_button = QPushButton("▶", self)
        prev_button.setFixedWidth(32)
        next_button.setFixedWidth(32)
        legend = QLabel(self)
        legend.setTextFormat(Qt.TextFormat.RichText)
        legend.setText(
            f"<span style='background:{COLOURS['holiday'][0]};color:{COLOURS['holiday'][1]}'>&nbsp;"
            + self.tr("法定节假日") + "&nbsp;</span> &nbsp;"
            f"<span style='background:{COLOURS['makeup'][0]};color:{COLOURS['makeup'][1]}'>&nbsp;"
            + self.tr("调休上班日") + "&nbsp;</span> &nbsp;"
            f"<span style='background:{COLOURS['user_workday'][0]};color:{COLOURS['user_workday'][1]}'>"
            "&nbsp;<b><u>" + self.tr("本院更正") + "</u></b>&nbsp;</span> &nbsp;"
            f"<span style='background:{COLOURS['weekend'][0]};color:{COLOURS['weekend'][1]}'>&nbsp;"
            + self.tr("周末") + "&nbsp;</span>")
        top = QHBoxLayout()
        top.addWidget(prev_button)
        top.addWidget(self.year)
        top.addWidget(next_button)
        top.addSpacing(16)
        top.addWidget(legend)
        top.addStretch(1)

        self.banner = Banner(self)
        self.banner.setObjectName("calendarBanner")
        self.undo_bar = UndoBar(self)

        self.grid_box = QWidget(self)
        self.grid = QGridLayout(self.grid_box)
        self.grid.setSpacing(6)

        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.banner)
        layout.addWidget(self.undo_bar)
        body = QHBoxLayout()
        body.addWidget(self.grid_box, 1)
        body.addWidget(self._build_day_panel())
        layout.addLayout(body, 1)

        prev_button.clicked.connect(lambda: self.year.setValue(self.year.value() - 1))
        next_button.clicked.connect(lambda: self.year.setValue(self.year.value() + 1))
        self.year.valueChanged.connect(lambda _v: self.refresh())

    def _build_day_panel(self) -> QWidget:
        box = QGroupBox(self.tr("所选日期"), self)
        box.setFixedWidth(250)
        self.day_label = QLabel(self.tr("点击日历中的某一天。"), box)
        self.day_label.setObjectName("dayLabel")
        self.day_label.setWordWrap(True)
        self.day_state = QLabel(box)
        self.day_state.setObjectName("dayState")
        self.day_state.setWordWrap(True)
        self.note = QLineEdit(box)
        self.note.setObjectName("dayNote")
        self.note.setPlaceholderText(self.tr("备注（例如：本地政府调整、院内停诊）"))
        self.workday_button = QPushButton(self.tr("设为工作日"), box)
        self.workday_button.setObjectName("setWorkday")
        self.holiday_button = QPushButton(self.tr("设为休息日"), box)
        self.holiday_button.setObjectName("setHoliday")
        self.clear_button = QPushButton(self.tr("清除本院更正"), box)
        self.clear_button.setObjectName("clearDay")
        hint = QLabel(self.tr("本院更正优先于官方安排；更改后，未结供应问题的答复和解决期限立即重新计算。"), box)
        hint.setWordWrap(True)
        hint.setStyleSheet("color:#666;")
        layout = QVBoxLayout(box)
        for w in (self.day_label, self.day_state, self.note, self.workday_button, self.holiday_button,
                  self.clear_button, hint):
            layout.addWidget(w)
        layout.addStretch(1)
        self.workday_button.clicked.connect(lambda: self.set_day(self.current, True))
        self.holiday_button.clicked.connect(lambda: self.set_day(self.current, False))
        self.clear_button.clicked.connect(lambda: self.clear_day(self.current))
        self._show_day(None)
        return box

    # ------------------------------------------------------------------ loading
    def refresh(self) -> None:
        from hospital_app.services.settings_service import calendar_year

        year = self.year.value()
        self.ctx.query(lambda s: calendar_year(s, year), self._show_year, parent=self)

    def _show_year(self, data: dict) -> None:
        self.year_data = data
        year = data["year"]
        self.cells = {c.day: c for c in data["cells"]}
        if not self.months or self.months[0].year != year:
            for grid in self.months:
                grid.deleteLater()
            self.months = []
            for m in range(1, 13):
                grid = MonthGrid(year, m, self.grid_box)
                grid.day_clicked.connect(self.select_day)
                title = QLabel(month_name(m), self.grid_box)
                title.setStyleSheet("font-weight:bold;")
                cell = QWidget(self.grid_box)
                v = QVBoxLayout(cell)
                v.setContentsMargins(0, 0, 0, 0)
                v.setSpacing(1)
                v.addWidget(title)
                v.addWidget(grid, 1)
                self.grid.addWidget(cell, (m - 1) // 4, (m - 1) % 4)
                self.months.append(grid)
        for grid in self.months:
            grid.set_cells([c for c in data["cells"] if c.day.month == grid.month])
        if data["provisional"]:
            self.banner.show_message(
                self.tr("%1 年的官方节假日安排尚未发布（或程序的日历库未更新）：该年按周一至周五推算，"
                        "相关期限标为“暂定”。官方安排公布后，请在此逐日更正或更新程序。").replace("%1", str(year)),
                "warning")
        else:
            self.banner.hide()
        if self.current is not None and self.current.year == year:
            self._show_day(self.current)
        else:
            self._show_day(None)

    def select_day(self, day: date) -> None:
        self.current = day
        self._show_day(day)

    def _show_day(self, day: date | None) -> None:
        cell = self.cells.get(day) if day else None
        for b in (self.workday_button, self.holiday_button, self.clear_button):
            b.setEnabled(cell is not None)
        self.note.setEnabled(cell is not None)
        if cell is None:
            self.day_label.setText(self.tr("点击日历中的某一天。"))
            self.day_state.clear()
            return
        weekday = (self.tr("星期一"), self.tr("星期二"), self.tr("星期三"), self.tr("星期四"),
                   self.tr("星期五"), self.tr("星期六"), self.tr("星期日"))[day.weekday()]
        self.day_label.setText(f"{day.isoformat()} {weekday}")
        kinds = {"workday": self.tr("工作日"), "weekend": self.tr("周末休息"),
                 "holiday": self.tr("法定节假日"), "makeup": self.tr("调休上班日"),
                 "user_workday": self.tr("本院更正：工作日"), "user_holiday": self.tr("本院更正：休息日")}
        text = kinds[cell.kind]
        if cell.name:
            text += f"（{cell.name}）"
        if cell.note:
            text += "\n" + self.tr("备注：%1").replace("%1", cell.note)
        if cell.who:
            text += "\n" + self.tr("更正人：%1").replace("%1", cell.who)
        if cell.provisional:
            text += "\n" + self.tr("暂定（该年无官方安排）")
        self.day_state.setText(text)
        self.note.setText(cell.note or "")
        self.workday_button.setEnabled(not cell.workday or cell.kind == "user_workday")
        self.holiday_button.setEnabled(cell.workday or cell.kind == "user_holiday")
        self.clear_button.setEnabled(cell.kind.startswith("user"))

    # ------------------------------------------------------------------ changes
    def set_day(self, day: date | None, workday: bool) -> None:
        """R1: record a correction of ``day`` (it wins over the official schedule)."""
        from hospital_app.services import calendar as cal

        if day is None:
            return
        previous = self.cells.get(day)
        note = self.note.text().strip() or None
        self.ctx.change(lambda s: cal.set_day(s, day, workday, note), lambda _r: self._changed(day, previous),
                        topics=("calendar", "issues"), parent=self)

    def clear_day(self, day: date | None) -> None:
        from hospital_app.services import calendar as cal

        if day is None:
            return
        previous = self.cells.get(day)
        self.ctx.change(lambda s: cal.clear_day(s, day), lambda _r: self._changed(day, previous),
                        topics=("calendar", "issues"), parent=self)

    def _changed(self, day: date, previous) -> None:
        self.refresh()
        now = self.cells.get(day)
        what = self.tr("工作日") if now is not None and now.workday else self.tr("休息日")
        self.undo_bar.offer(self.tr("%1 已设为%2。").replace("%1", day.isoformat()).replace("%2", what),
                            lambda: self._restore(day, previous))

    def _restore(self, day: date, previous) -> None:
        """Undo: put back the user's earlier correction, or remove ours."""
        from hospital_app.services import calendar as cal

        if previous is not None and previous.kind.startswith("user"):
            work = lambda s: cal.set_day(s, day, previous.workday, previous.note)  # noqa: E731
        else:
            work = lambda s: cal.clear_day(s, day)  # noqa: E731
        self.ctx.change(work, lambda _r: self.refresh(), topics=("calendar", "issues"), parent=self)
