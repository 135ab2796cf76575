"""Self-check report rendering (issue 8, sped up in issue 12): the product tables per batch with
coloured R8 statuses, and the per-batch burn-up chart drawn straight on the canvas."""

from __future__ import annotations

from datetime import datetime

from pypdf import PdfReader

from hospital_app.reports import document as doc
from hospital_app.reports import self_check as sc

GEN = datetime(2025, 10, 20, 9, 30)


def _row(name: str, batch: str, status: str, pid: int, **extra) -> dict:
    base = {"product_id": pid, "batch": batch, "generic_name": name, "dosage_form": "片剂", "spec": "0.25g",
            "manufacturer": "华北制药", "unit": "片", "period_start": "2025-01-01", "period_end": "2025-12-31",
            "agreed_volume": 12000, "target_to_date": 6367, "purchased": 5000, "completion": 0.4167,
            "schedule": 0.5306, "status": status, "shortfall": 1367, "nonselected_share": 0.1, "flags": []}
    return base | extra


def _text(path) -> str:
    return "\n".join(p.extract_text() for p in PdfReader(str(path)).pages)


def test_product_tables_one_per_batch_with_heading_and_coloured_statuses():
    """GIVEN products of two batches WHEN the product section is built THEN one heading
    “1. 批次（n 个产品）” (the third heading level, issue 18) and one table per batch, batches by name, products by generic name,
    and each status cell in its R8 colour (正常 and 已完成 share green — one style command for the
    run —, 严重滞后 red)."""
    rows = [_row("氨氯地平片", "2024年第九批", "severely_behind", 3), _row("阿莫西林胶囊", "2023年第八批", "on_track", 1),
            _row("二甲双胍片", "2024年第九批", "completed", 2), _row("头孢呋辛酯片", "2024年第九批", "on_track", 4)]
    flow = sc.product_tables(rows)
    headings = [f.text for f in flow if hasattr(f, "style") and f.style.name == "h2"]
    assert headings == ["1. 2023年第八批（1 个产品）", "2. 2024年第九批（3 个产品）"]
    tables = [f for f in flow if isinstance(f, sc.Table)]
    assert len(tables) == 2
    ninth = tables[1]
    names = [ninth._cellvalues[r][0] for r in range(1, 4)]
    assert names == ["二甲双胍片", "头孢呋辛酯片", "氨氯地平片"]  # generic names in code-point order
    labels = [ninth._cellvalues[r][sc.STATUS_COL] for r in range(1, 4)]
    assert labels == ["已完成", "正常", "严重滞后"]
    green, red = doc.STATUS_COLOURS["on_track"], doc.STATUS_COLOURS["severely_behind"]
    styles = [ninth._cellStyles[r][sc.STATUS_COL] for r in range(1, 4)]
    assert [s.color for s in styles] == [green[0], green[0], red[0]]
    status_backgrounds = [c for c in ninth._bkgrndcmds if c[1][0] == sc.STATUS_COL]
    assert status_backgrounds == [("BACKGROUND", (sc.STATUS_COL, 1), (sc.STATUS_COL, 2), green[1]),  # one run
                                  ("BACKGROUND", (sc.STATUS_COL, 3), (sc.STATUS_COL, 3), red[1])]
    assert ninth._cellStyles[1][0].color == doc.INK  # only the status column is coloured


def test_burn_up_chart_prints_title_legend_and_axes(tmp_path):
    """GIVEN a batch's cumulative purchase amounts, schedule and agreed amount (元: a batch mixes
    units, issue 20) WHEN its burn-up chart is rendered THEN the PDF shows its title, the three
    legend names, the months and round axis values in 万 (R7/R8 picture of the summary section)."""
    chart = sc.BurnUpChart(["2025-01", "2025-02", "2025-03"], [20000, 45000], [25000, 50000, 75000],
                           agreed=100000, title="第九批：累计采购金额与序时进度（元，按中选价）")
    out = tmp_path / "chart.pdf"
    doc.build_pdf(out, "t", [chart], hospital_name="示例医院", hospital_code="H1", generated_at=GEN)
    text = _text(out)
    for expected in ("第九批：累计采购金额与序时进度", "累计采购金额", "序时进度金额", "约定采购金额",
                     "2025-01", "2025-03", "10万", "0"):
        assert expected in text, expected


def test_burn_up_chart_without_prices_is_in_percent(tmp_path):
    """GIVEN a batch where a product has no selected price (fractions of the agreed volume) WHEN
    rendered THEN the axis is in percent up to at least 100 % and the legend says average completion."""
    chart = sc.BurnUpChart(["2025-01", "2025-02"], [0.25, 0.5], [0.3, 0.6], agreed=1.0, title="批次", money=False)
    out = tmp_path / "chart.pdf"
    doc.build_pdf(out, "t", [chart], hospital_name="示例医院", hospital_code="H1", generated_at=GEN)
    text = _text(out)
    for expected in ("平均完成进度", "序时进度", "100%", "0%"):
        assert expected in text, expected
    assert "万" not in text


def test_nice_axis_steps_are_round_and_whole():
    """GIVEN the largest value on a chart WHEN the grid step is chosen THEN it is 1, 2, 2.5 or 5 × 10ⁿ,
    at least 1, and gives at most about five lines."""
    assert sc._nice_step(700_000) == 200_000
    assert sc._nice_step(125_000) == 25_000
    assert sc._nice_step(12) == 5  # not 2.5: axis labels are whole units
    assert sc._nice_step(0) == 1


def test_r8_row_marks_are_words_for_every_flag_progress_gives():
    """GIVEN a year report's row that ended over-purchased and a failed one (R8 v2: over_purchase, ended, failed
    are progress flags) WHEN the self-check prints the marks column THEN each is a Chinese word — the annual
    report printed "over_purchase" because its own label table lacked the v2 flags."""
    from hospital_app.reports.self_check_tables import flag_text

    assert flag_text(["over_purchase", "ended"]) == "超量采购、协议期已结束"
    assert flag_text(["failed", "share_over", "agreement_end", "cheaper_equal_quality"]) == \
        "考核不合格、非中选超比例、协议期即将结束、价低质优"


def test_reportlab_uses_its_c_accelerator():
    """GIVEN the install (pyproject: reportlab[accel]) WHEN reportlab formats numbers and measures text
    THEN it uses rl_accel's C functions, not its pure-Python fallbacks (PDFs ~30 % faster, issue 21)."""
    from reportlab.lib import rl_accel

    assert type(rl_accel.fp_str).__name__ == "builtin_function_or_method"
    assert type(rl_accel.instanceStringWidthTTF).__name__ == "builtin_function_or_method"


def _measured_by_reportlab(table) -> list[float]:
    """The row heights reportlab measures itself for the same cells, style and widths."""
    bare = sc.Table([list(r) for r in table._cellvalues], colWidths=table._colWidths, repeatRows=1)
    bare._cellStyles = table._cellStyles  # the same per-cell font, leading and padding
    bare.wrap(sum(table._colWidths), 10_000)
    return list(bare._rowHeights)


def test_text_tables_give_the_row_heights_reportlab_would_measure():
    """GIVEN text tables with one-, two- and three-line cells (a period, a wrapped name, an empty
    cell), at the self-check's two font sizes WHEN built with ``text_row_heights`` up front (issue 21:
    reportlab's own measuring is quadratic in a table's length) THEN every row is exactly as high
    as reportlab measures it for the same cells and style — the layout does not change."""
    rows = [_row("氨氯地平片" * 6, "2024年第九批", "severely_behind", 3),
            _row("阿莫西林胶囊", "2024年第九批", "on_track", 1, spec=None, manufacturer=""),
            _row("二甲双胍片", "2024年第九批", "completed", 2, flags=["failed", "share_over", "clustered"])]
    product = sc.product_tables(rows)[1]
    assert len({h for h in product._argH}) >= 2  # the rows really differ in height
    assert product._argH == _measured_by_reportlab(product)
    data = doc.data_table(["序号", "问题很长很长很长很长很长很长"], [[1, "第一行\n第二行\n第三行"], [2, ""], [3, None]],
                          [10 * doc.mm, 20 * doc.mm], font_size=8.5)
    assert data._argH == _measured_by_reportlab(data)
    assert data._argH[1] > data._argH[2] == data._argH[3]


def test_department_index_finds_the_lines_a_scan_of_every_line_finds():
    """GIVEN R21 department lines of two periods and generic names WHEN the self-check looks up the
    departments behind a lagging row, a row with only an R9 finding and a generic name above the
    limit THEN it names what a scan of every line names (issue 21: the scan per row was quadratic):
    the row's own lines of its period, else the generic name's share lines of that period, and
    for the share table the lines with non-selected use — each department once, in report order."""
    from datetime import date

    from hospital_app.reports.model import DepartmentLine

    p1, p2 = date(2025, 1, 1), date(2026, 1, 1)
    line = lambda dept, generic, pid, start, **kw: DepartmentLine(  # noqa: E731
        dept, generic, kw.pop("selected", 10), kw.pop("nonselected", 0), None, 0, product_id=pid,
        period_start=start, **kw)
    index = sc.DepartmentIndex([
        line("心内科", "氨氯地平片", 1, p1, lagging=True),
        line("老年科", "氨氯地平片", 1, p1, lagging=True),
        line("心内科", "氨氯地平片", 1, p2, lagging=True),  # another period of the same product
        line("内分泌科", "二甲双胍片", 2, p1, share_over=True, nonselected=30),
        line("呼吸科", "二甲双胍片", 2, p1, share_over=True, nonselected=0),
        line("内分泌科", "二甲双胍片", 2, p1, share_over=True, nonselected=5),  # named once
    ])
    assert index.lagging({"period_start": "2025-01-01", "product_id": 1}) == "心内科、老年科"
    assert index.lagging({"period_start": "2026-01-01", "product_id": 1}) == "心内科"
    assert index.lagging({"period_start": "2025-01-01", "product_id": 9, "generic_name": "二甲双胍片",
                          "flags": ["share_over"]}) == "内分泌科、呼吸科"
    assert index.lagging({"period_start": "2025-01-01", "product_id": 9, "generic_name": "二甲双胍片"}) == ""
    assert index.share("二甲双胍片") == "内分泌科"
    assert index.share("氨氯地平片") == ""
    assert sc.DepartmentIndex(None).lagging({"period_start": "2025-01-01", "product_id": 1}) == ""
