"""A small bar chart of monthly quantities (QtCharts), e.g. R13's last 12 months."""

from __future__ import annotations

from typing import Sequence

from PySide6.QtCharts import QBarCategoryAxis, QBarSeries, QBarSet, QChart, QChartView, QValueAxis
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QPainter
from PySide6.QtWidgets import QVBoxLayout, QWidget


class MonthBarChart(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.chart = QChart()
        self.chart.legend().hide()
        self.chart.setMargins(self.chart.margins() * 0)
        self.chart.setBackgroundRoundness(0)
        self.view = QChartView(self.chart, self)
        self.view.setRenderHint(QPainter.RenderHint.Antialiasing)
        self.view.setMinimumHeight(170)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.view)
        self.labels: list[str] = []
        self.values: list[int] = []

    def set_data(self, labels: Sequence[str], values: Sequence[int], title: str = "") -> None:
        self.labels, self.values = list(labels), [int(v) for v in values]
        self.chart.removeAllSeries()
        for axis in list(self.chart.axes()):
            self.chart.removeAxis(axis)
        if title and len(self.labels) > 1:
            title = f"{title}（{self.labels[0]} — {self.labels[-1]}）"
        self.chart.setTitle(title)
        if not self.labels:
            return
        bars = QBarSet("")
        bars.setColor(QColor("#2f6fb3"))
        for v in self.values:
            bars.append(v)
        series = QBarSeries()
        series.append(bars)
        self.chart.addSeries(series)
        x = QBarCategoryAxis()
        # "2024-09" → "9" / "Sep": twelve short labels fit without rotating or “…” (“10月” does not);
        # the title names the months.
        x.append([_short_month(int(label[5:7])) if len(label) == 7 else label for label in self.labels])
        from ui.widgets.charts import nice_top

        y = QValueAxis()
        top, ticks = nice_top(max(max(self.values), 1), intervals=3)
        y.setRange(0, top)
        y.setLabelFormat("%d")
        y.setTickCount(ticks)
        self.chart.addAxis(x, Qt.AlignmentFlag.AlignBottom)
        self.chart.addAxis(y, Qt.AlignmentFlag.AlignLeft)
        series.attachAxis(x)
        series.attachAxis(y)


MONTH_ABBR = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def _short_month(month: int) -> str:
    from hospital_app.i18n import tr

    return tr("{m}", "{a}", m=month, a=MONTH_ABBR[month - 1])
