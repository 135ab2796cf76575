"""QtCharts views for the dashboard and the products page.

Imported only when a page that shows a chart is built (QtCharts costs start-up time).
The data comes in prepared (labels and integers); no rule arithmetic here.
"""

from __future__ import annotations

from typing import Sequence

from PySide6.QtCharts import (QBarCategoryAxis, QBarSeries, QBarSet, QChart, QChartView, QLineSeries,
                              QHorizontalStackedBarSeries, QValueAxis)
from PySide6.QtCore import QCoreApplication, QPointF, Qt
from PySide6.QtGui import QColor, QPainter, QPen
from PySide6.QtWidgets import QWidget

from ui.status_style import STATUS_COLOURS

BLUE = QColor("#2f6fb3")
GREY = QColor("#9aa5b1")
ORANGE = QColor("#e08a1e")



class _ChartView(QChartView):
    def __init__(self, parent: QWidget | None = None, min_height: int = 220) -> None:
        chart = QChart()
        chart.setBackgroundRoundness(0)
        chart.setMargins(chart.margins() * 0)
        super().__init__(chart, parent)
        self.setRenderHint(QPainter.RenderHint.Antialiasing)
        self.setMinimumHeight(min_height)

    def _clear(self, title: str) -> QChart:
        chart = self.chart()
        chart.removeAllSeries()
        for axis in list(chart.axes()):
            chart.removeAxis(axis)
        chart.setTitle(title)
        return chart


def nice_top(maximum: int, intervals: int = 4) -> tuple[int, int]:
    """A round top for a value axis and its tick count: ``maximum`` 430 000 → (500 000, 6).

    Steps are 1, 2 or 5 × 10^k, at most ``intervals`` + 1 of them, so every tick label
    fits even on a short chart (QValueAxis hides labels that would overlap)."""
    import math

    maximum = max(1, int(maximum))
    raw = maximum / intervals
    power = 10 ** math.floor(math.log10(raw)) if raw >= 1 else 1
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= raw)
    step = max(1, int(step))
    top = math.ceil(maximum * 1.05 / step) * step
    return top, top // step + 1


def _y_axis(maximum: int) -> QValueAxis:
    axis = QValueAxis()
    axis.setLabelFormat("%d")
    top, ticks = nice_top(maximum)
    axis.setRange(0, top)
    axis.setTickCount(ticks)
    return axis


def _short_labels(labels: Sequence[str]) -> list[str]:
    """'2025-03' → '25-03' so 24 months fit under a chart."""
    return [label[2:] if len(label) == 7 else label for label in labels]


class BurnUpChart(_ChartView):
    """Cumulative purchases against the cumulative schedule (targets) month by month."""

    def set_data(self, labels: Sequence[str], target_cumulative: Sequence[int],
                 purchased_cumulative: Sequence[int], title: str = "") -> None:
        chart = self._clear(title)
        self.labels = list(labels)
        self.purchased = list(purchased_cumulative)
        self.targets = list(target_cumulative)
        if not labels:
            return
        target = QLineSeries()
        target.setName(QCoreApplication.translate("Charts", "序时进度（累计）"))
        target.setPen(QPen(GREY, 2, Qt.PenStyle.DashLine))
        bought = QLineSeries()
        bought.setName(QCoreApplication.translate("Charts", "实际采购（累计）"))
        bought.setPen(QPen(BLUE, 3))
        for i, value in enumerate(target_cumulative):
            target.append(QPointF(i, value))
        for i, value in enumerate(purchased_cumulative):
            bought.append(QPointF(i, value))
        chart.addSeries(target)
        chart.addSeries(bought)
        x_axis = QBarCategoryAxis()
        x_axis.append(_short_labels(labels))
        x_axis.setLabelsAngle(-60)
        y_axis = _y_axis(max([*target_cumulative, *purchased_cumulative, 1]))
        chart.addAxis(x_axis, Qt.AlignmentFlag.AlignBottom)
        chart.addAxis(y_axis, Qt.AlignmentFlag.AlignLeft)
        for series in (target, bought):
            series.attachAxis(y_axis)
            # Line points sit on category indexes; a value axis hidden under the categories keeps them aligned.
        hidden_x = QValueAxis()
        hidden_x.setRange(-0.5, len(labels) - 0.5)
        hidden_x.setVisible(False)
        chart.addAxis(hidden_x, Qt.AlignmentFlag.AlignBottom)
        target.attachAxis(hidden_x)
        bought.attachAxis(hidden_x)
        chart.legend().setAlignment(Qt.AlignmentFlag.AlignBottom)


class StatusChart(_ChartView):
    """How many products are in each R8 status (one coloured bar per status)."""

    def set_data(self, counts: Sequence[tuple[str, str, int]], title: str = "") -> None:
        """``counts``: (status key, label, count) in display order."""
        chart = self._clear(title)
        self.counts = list(counts)
        if not counts:
            return
        # One set per status so each bar has its status colour. Stacked: every category shows
        # its own set only (a grouped series would shift the bars into the neighbouring category).
        # Horizontal: the status names get a line each on the left, whatever their length.
        shown = list(reversed(self.counts))  # Qt draws the first category at the bottom
        series = QHorizontalStackedBarSeries()
        for index, (key, label, count) in enumerate(shown):
            bar = QBarSet(label)
            bar.setColor(QColor(STATUS_COLOURS.get(key, "#888888")))
            for j in range(len(shown)):
                bar.append(count if j == index else 0)
            series.append(bar)
        series.setBarWidth(0.65)
        chart.addSeries(series)
        categories = QBarCategoryAxis()
        categories.append([f"{label}  {count}" for _k, label, count in shown])
        values = _y_axis(max(c for _k, _l, c in shown))
        chart.addAxis(categories, Qt.AlignmentFlag.AlignLeft)
        chart.addAxis(values, Qt.AlignmentFlag.AlignBottom)
        series.attachAxis(categories)
        series.attachAxis(values)
        chart.legend().hide()


class MonthlyTargetChart(_ChartView):
    """R7 monthly targets (bars) and purchases (bars) of one agreement period."""

    def set_data(self, labels: Sequence[str], targets: Sequence[int], purchased: Sequence[int],
                 title: str = "") -> None:
        chart = self._clear(title)
        self.labels, self.targets, self.purchased = list(labels), list(targets), list(purchased)
        if not labels:
            return
        target_set = QBarSet(QCoreApplication.translate("Charts", "月度目标"))
        target_set.setColor(GREY)
        target_set.append([int(v) for v in targets])
        bought_set = QBarSet(QCoreApplication.translate("Charts", "实际采购"))
        bought_set.setColor(BLUE)
        bought_set.append([int(v) for v in purchased])
        series = QBarSeries()
        series.append(target_set)
        series.append(bought_set)
        chart.addSeries(series)
        x_axis = QBarCategoryAxis()
        # Month numbers only: twelve bars in a narrow pane; the title names the period.
        x_axis.append([label[5:] if len(label) == 7 else label for label in labels])
        y_axis = _y_axis(max([*targets, *purchased, 1]))
        chart.addAxis(x_axis, Qt.AlignmentFlag.AlignBottom)
        chart.addAxis(y_axis, Qt.AlignmentFlag.AlignLeft)
        series.attachAxis(x_axis)
        series.attachAxis(y_axis)
        chart.legend().setAlignment(Qt.AlignmentFlag.AlignBottom)
