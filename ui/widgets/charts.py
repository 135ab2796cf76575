"""QtCharts views for the dashboard and the products page.

Imported only when a page that shows a chart is built (QtCharts costs start-up time).
The data comes in prepared (labels and integers); no rule arithmetic here.
"""

from __future__ import annotations

from typing import Sequence

from PySide6.QtCharts import (QBarCategoryAxis, QBarSet, QChart, QChartView, QHorizontalBarSeries,
                              QHorizontalStackedBarSeries, QLineSeries, QScatterSeries, QStackedBarSeries,
                              QValueAxis)
from PySide6.QtCore import QCoreApplication, QPointF, Qt
from PySide6.QtGui import QColor, QPainter, QPen
from PySide6.QtWidgets import QLabel, QWidget

from ui.status_style import STATUS_COLOURS

BLUE = QColor("#2f6fb3")
GREY = QColor("#9aa5b1")
ORANGE = QColor("#e08a1e")
RED = QColor("#c62828")


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


class BatchProgressChart(_ChartView):
    """Per batch: completion against the schedule, in percent (R8). Never a sum of quantities:
    a batch mixes tablets, vials and stents."""

    def set_data(self, rows: Sequence[tuple[str, float, float]], title: str = "") -> None:
        """``rows``: (batch name, completion, schedule) as ratios (0.5 = 50 %)."""
        chart = self._clear(title)
        self.rows = list(rows)
        if not rows:
            return
        shown = list(reversed(self.rows))  # Qt draws the first category at the bottom
        done = QBarSet(QCoreApplication.translate("Charts", "完成进度"))
        done.setColor(BLUE)
        due = QBarSet(QCoreApplication.translate("Charts", "序时进度"))
        due.setColor(GREY)
        for _name, completion, schedule in shown:
            done.append(round(completion * 100, 1))
            due.append(round(schedule * 100, 1))
        series = QHorizontalBarSeries()
        series.append(done)
        series.append(due)
        series.setLabelsVisible(True)
        series.setLabelsFormat("@value%")
        chart.addSeries(series)
        categories = QBarCategoryAxis()
        categories.append([name for name, _c, _s in shown])
        values = QValueAxis()
        top = max(100.0, *(max(c, s) * 100 for _n, c, s in shown))
        values.setRange(0, 20 * (int(top * 1.1) // 20 + 1))
        values.setLabelFormat("%d%%")
        values.setTickCount(int(values.max() // 20) + 1)
        chart.addAxis(categories, Qt.AlignmentFlag.AlignLeft)
        chart.addAxis(values, Qt.AlignmentFlag.AlignBottom)
        series.attachAxis(categories)
        series.attachAxis(values)
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


class LegendLabel(QLabel):
    """A chart legend that wraps between its entries, never inside one: (symbol, colour, name)."""

    GAP = "\u3000"

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setTextFormat(Qt.TextFormat.RichText)
        self.items: list[tuple[str, QColor, str]] = []
        self._width = -1

    def set_items(self, items: Sequence[tuple[str, QColor, str]]) -> None:
        self.items = list(items)
        self._width = -1
        self._layout()

    def lines(self, width: int) -> list[list[int]]:
        """Indexes of the entries on each line for a label ``width`` px wide."""
        fm = self.fontMetrics()
        lines: list[list[int]] = []
        used = 0
        for i, (symbol, _colour, name) in enumerate(self.items):
            need = fm.horizontalAdvance(f"{symbol} {name}{self.GAP}")
            if lines and used + need <= width:
                lines[-1].append(i)
                used += need
            else:
                lines.append([i])
                used = need
        return lines

    def _layout(self) -> None:
        from html import escape

        width = self.width()  # re-wrapped on every resize
        if width == self._width:
            return
        self._width = width

        def entry(i: int) -> str:
            symbol, colour, name = self.items[i]
            return f'<span style="color:{colour.name()}">{symbol}</span>&nbsp;{escape(name)}'

        self.setText("<br>".join(self.GAP.join(entry(i) for i in line) for line in self.lines(width)))

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt API
        super().resizeEvent(event)
        self._layout()

    def minimumSizeHint(self):  # noqa: N802 - Qt API: may shrink; the text re-wraps
        hint = super().minimumSizeHint()
        hint.setWidth(0)
        return hint


class MonthlyTargetChart(_ChartView):
    """One agreement period month by month: the R7 monthly target (dashed line) and purchases
    (bars); clustered months (R12) in orange, empty months marked with a red dot on the axis,
    and the agreement end as a vertical line after the last month.

    The legend is :attr:`legend_label`, a word-wrapped label the page puts under the chart: the
    chart's own legend cannot wrap and cut its names off in a narrow pane (issue 20 §5)."""

    def __init__(self, parent: QWidget | None = None, min_height: int = 220) -> None:
        super().__init__(parent, min_height)
        self.legend_label = LegendLabel(parent)
        self.legend_label.setObjectName("monthlyChartLegend")
        self.legend_names: list[str] = []

    def _legend(self, items: Sequence[tuple[str, QColor, str]]) -> None:
        self.legend_names = [name for _s, _c, name in items]
        self.legend_label.set_items(items)

    def set_data(self, labels: Sequence[str], targets: Sequence[int], purchased: Sequence[int],
                 title: str = "", *, clustered: Sequence[bool] = (), empty: Sequence[bool] = (),
                 end_label: str = "") -> None:
        chart = self._clear(title)
        self.labels, self.targets, self.purchased = list(labels), list(targets), list(purchased)
        n = len(self.labels)
        self.clustered = [bool(x) for x in clustered] or [False] * n
        self.empty = [bool(x) for x in empty] or [False] * n
        self._legend([])
        if not labels:
            return
        normal = QBarSet(QCoreApplication.translate("Charts", "实际采购"))
        normal.setColor(BLUE)
        heavy = QBarSet(QCoreApplication.translate("Charts", "扎堆采购"))
        heavy.setColor(ORANGE)
        for value, is_clustered in zip(self.purchased, self.clustered):
            normal.append(0 if is_clustered else int(value))
            heavy.append(int(value) if is_clustered else 0)
        bars = QStackedBarSeries()  # one of the two is 0 in every month: one bar per month
        bars.append(normal)
        if any(self.clustered):
            bars.append(heavy)
        chart.addSeries(bars)
        top, ticks = nice_top(max([*targets, *purchased, 1]))
        target = QLineSeries()
        target.setName(QCoreApplication.translate("Charts", "月度目标"))
        target.setPen(QPen(GREY, 2, Qt.PenStyle.DashLine))
        for i, value in enumerate(targets):
            target.append(QPointF(i, int(value)))
        chart.addSeries(target)
        extra = [target]
        if any(self.empty):
            dots = QScatterSeries()
            dots.setName(QCoreApplication.translate("Charts", "当月未采购"))  # glossary term
            dots.setColor(RED)
            dots.setBorderColor(RED)
            dots.setMarkerSize(9)
            for i, is_empty in enumerate(self.empty):
                if is_empty:
                    dots.append(QPointF(i, 0))
            chart.addSeries(dots)
            extra.append(dots)
        if end_label:
            end = QLineSeries()
            end.setName(end_label)
            end.setPen(QPen(RED, 2, Qt.PenStyle.DotLine))
            end.append(QPointF(n - 0.5, 0))
            end.append(QPointF(n - 0.5, top))
            chart.addSeries(end)
            extra.append(end)
        x_axis = QBarCategoryAxis()
        # Month numbers only: twelve bars in a narrow pane; the title names the period.
        x_axis.append([label[5:] if len(label) == 7 else label for label in labels])
        small = x_axis.labelsFont()
        small.setPointSizeF(max(7.0, self.font().pointSizeF() * 0.85))
        x_axis.setLabelsFont(small)  # twelve month numbers in a narrow pane, never elided
        y_axis = QValueAxis()
        y_axis.setLabelFormat("%d")
        y_axis.setRange(0, top)
        y_axis.setTickCount(ticks)
        chart.addAxis(x_axis, Qt.AlignmentFlag.AlignBottom)
        chart.addAxis(y_axis, Qt.AlignmentFlag.AlignLeft)
        bars.attachAxis(x_axis)
        bars.attachAxis(y_axis)
        # Lines and dots sit on category indexes through a hidden value axis under the categories.
        hidden_x = QValueAxis()
        hidden_x.setRange(-0.5, n - 0.5)
        hidden_x.setVisible(False)
        chart.addAxis(hidden_x, Qt.AlignmentFlag.AlignBottom)
        for series in extra:
            series.attachAxis(hidden_x)
            series.attachAxis(y_axis)
        chart.legend().hide()
        legend = [("■", BLUE, normal.label())]
        if any(self.clustered):
            legend.append(("■", ORANGE, heavy.label()))
        legend.append(("┅", GREY, target.name()))
        if any(self.empty):
            legend.append(("●", RED, dots.name()))
        if end_label:
            legend.append(("┆", RED, end_label))
        self._legend(legend)
