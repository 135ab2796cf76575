"""The product's monthly chart has a legend that wraps between entries in a narrow detail pane
instead of cutting names off (issue 20 §5), and uses the glossary term 当月未采购 (R12 empty months)."""

from __future__ import annotations

from PySide6.QtGui import QColor


def test_legend_wraps_between_entries_never_inside_one(qtbot):
    """GIVEN three entries and a label exactly as wide as the first two WHEN it lays out THEN the first two
    share line 1 and the third is alone on line 2; at a width below one entry each entry has its own line."""
    from ui.widgets.charts import LegendLabel

    label = LegendLabel()
    qtbot.addWidget(label)
    items = [("■", QColor("blue"), "实际采购"), ("┅", QColor("grey"), "月度目标"),
             ("┆", QColor("red"), "协议期结束 2026-04-19")]
    label.set_items(items)
    fm = label.fontMetrics()
    first_two = sum(fm.horizontalAdvance(f"{s} {n}{LegendLabel.GAP}") for s, _c, n in items[:2])
    assert label.lines(first_two) == [[0, 1], [2]]
    assert label.lines(10) == [[0], [1], [2]]
    label.show()
    label.resize(10, 100)  # a shown label re-wraps on every resize
    assert label.text().count("<br>") == 2
    assert "协议期结束 2026-04-19" in label.text()


def test_product_chart_legend_names_empty_months_and_the_agreement_end(main_window, qtbot):
    """GIVEN the demo's product that bought nothing this agreement year (苯磺酸氨氯地平片, months empty)
    WHEN its detail shows THEN the legend under the chart reads 实际采购, 月度目标, 当月未采购 and
    协议期结束 <end date>, and the chart's own (unwrappable) legend is hidden."""
    main_window.show()
    main_window.resize(1366, 768)
    page = main_window.show_page("products")
    rows = page.model.rows
    row = next(r for r in rows if r.generic_name == "苯磺酸氨氯地平片")
    page.select_product(row.product_id)
    qtbot.wait(20)
    chart = page.detail.chart
    current = next(p for p in page.detail.detail.periods if p.current)
    assert chart.legend_names == ["实际采购", "月度目标", "当月未采购", f"协议期结束 {current.end.isoformat()}"]
    assert not chart.chart().legend().isVisible()
    assert chart.legend_label.isVisible()
    assert chart.legend_label.width() <= page.detail.width()
