"""Print-ready PDF building blocks (reportlab platypus) shared by every document.

How to use it::

    from hospital_app.reports import document as doc

    st = doc.styles()
    flow = [
        doc.title_block("某某医院集采执行自查自纠报告", "2025年第二季度"),
        doc.heading("一、总体情况"),
        doc.para("本季度共执行 3 个批次……"),
        doc.data_table(["药品名称", "完成进度", "状态"],
                       [["阿莫西林胶囊", "41.67%", "behind"]],
                       col_widths=[60 * doc.mm, 30 * doc.mm, 30 * doc.mm],
                       status_column=2),          # status keys → Chinese label + colour
        doc.burnup_chart(["2025-01", "2025-02"], purchased=[10, 25], schedule=[12, 24]),
        *doc.landscape_section(),                  # following pages in A4 landscape
        doc.signature_block(["经办人", "科室负责人", "分管院领导"]),
        doc.stamp_block(),
    ]
    doc.build_pdf("out.pdf", "自查自纠报告", flow, hospital_name="某某医院",
                  hospital_code="H0001", generated_at=datetime.now())

Every page is A4 with a header (hospital name and code, document title) and a footer
“第 X 页 共 Y 页” plus the generation time. Text uses WenQuanYi Micro Hei shipped in
``resources/fonts`` and embedded as a TrueType subset, so the PDF prints Chinese on any
machine (reportlab's STSong-Light is *not* embedded). Tables repeat their header row
on every page. ``data_table`` wraps long cells itself (plain strings with line breaks,
not a Paragraph per cell) so that 2 000-row tables stay fast.
"""

from __future__ import annotations

import os
import tempfile
from datetime import datetime
from pathlib import Path
from typing import Any, Iterable, Sequence

from reportlab.graphics.charts.barcharts import VerticalBarChart
from reportlab.graphics.charts.legends import Legend
from reportlab.graphics.charts.linecharts import HorizontalLineChart
from reportlab.graphics.shapes import Drawing, String
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_LEFT, TA_RIGHT
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas as rl_canvas
from reportlab.platypus import (
    BaseDocTemplate,
    CondPageBreak,
    Flowable,
    Frame,
    KeepTogether,
    NextPageTemplate,
    PageBreak,
    PageTemplate,
    Paragraph,
    Spacer,
    Table,
    TableStyle,
)

from hospital_app.reports.fast_table import TextTable

__all__ = [
    "FONT", "mm", "register_fonts", "styles", "para", "heading", "title_block", "spacer",
    "data_table", "form_table", "wrap_text", "status_label", "STATUS_COLOURS",
    "burnup_chart", "bar_chart", "signature_block", "stamp_block",
    "landscape_section", "portrait_section", "build_pdf", "Watermark",
    "PORTRAIT", "LANDSCAPE", "CONTENT_WIDTH", "CONTENT_WIDTH_LANDSCAPE",
]

FONT = "WenQuanYiMicroHei"
FONT_FILE = ("fonts", "wqy-microhei.ttc")

PORTRAIT = A4
LANDSCAPE = landscape(A4)
MARGIN_X = 18 * mm
MARGIN_TOP = 22 * mm  # room for the header
MARGIN_BOTTOM = 18 * mm  # room for the footer
CONTENT_WIDTH = PORTRAIT[0] - 2 * MARGIN_X
CONTENT_WIDTH_LANDSCAPE = LANDSCAPE[0] - 2 * MARGIN_X

INK = colors.HexColor("#1a1a1a")
RULE = colors.HexColor("#444444")
GRID = colors.HexColor("#9a9a9a")
HEAD_BG = colors.HexColor("#e6e9ef")
ZEBRA = colors.HexColor("#f7f7f7")

# R8 statuses (and R3 overdue) → (text colour, light background)
STATUS_COLOURS: dict[str, tuple[colors.Color, colors.Color]] = {
    "completed": (colors.HexColor("#1e7b34"), colors.HexColor("#e3f4e6")),
    "on_track": (colors.HexColor("#1e7b34"), colors.HexColor("#e3f4e6")),
    "behind": (colors.HexColor("#9a6200"), colors.HexColor("#fff1d6")),
    "severely_behind": (colors.HexColor("#b3261e"), colors.HexColor("#fbe3e1")),
    "not_started": (colors.HexColor("#b3261e"), colors.HexColor("#fbe3e1")),
    "exempt": (colors.HexColor("#666666"), colors.HexColor("#eeeeee")),
    "overdue": (colors.HexColor("#b3261e"), colors.HexColor("#fbe3e1")),
}

_STATUS_LABELS = {
    "overdue": ("已逾期", "overdue"),
}


def status_label(key: str | None) -> str:
    """The Chinese (or English) label of an R8 status key; unknown keys pass through."""
    from hospital_app.i18n import tr

    from hospital_app.domain.status import status_label as r8_label

    if key is None:
        return ""
    pair = _STATUS_LABELS.get(key)
    return tr(*pair) if pair else r8_label(key)  # one vocabulary with the GUI (docs/GLOSSARY.md)


# ------------------------------------------------------------------------------ fonts

_registered = False


def register_fonts() -> str:
    """Register the shipped CJK font once (TTC → subfontIndex 0). Returns its name."""
    global _registered
    if not _registered:
        from hospital_app.paths import resource_path

        path = resource_path(*FONT_FILE)
        pdfmetrics.registerFont(TTFont(FONT, str(path), subfontIndex=0))
        # No bold face ships with the font: bold maps to the same face so <b> is harmless.
        pdfmetrics.registerFontFamily(FONT, normal=FONT, bold=FONT, italic=FONT, boldItalic=FONT)
        # A table cell without its own FONTNAME would otherwise pull in reportlab's default
        # Helvetica, which is never embedded: every document font must be (issue 22 check).
        from reportlab.platypus import tables

        tables.CellStyle.fontname = FONT
        _chinese_line_rules()
        _registered = True
    return FONT


def _chinese_line_rules() -> None:
    """Chinese punctuation may not start a line (reportlab's list only knows Japanese kinsoku)."""
    from reportlab.lib import textsplit
    from reportlab.platypus import paragraph

    extra = "，。、；：？！）》」』】〕…—％"
    for module in (textsplit, paragraph):
        missing = "".join(ch for ch in extra if ch not in module.ALL_CANNOT_START)
        if missing:
            module.ALL_CANNOT_START = module.ALL_CANNOT_START + missing
    if getattr(paragraph.wordSplit, "_hangs", False):
        return
    original = paragraph.wordSplit
    cannot_start = textsplit.ALL_CANNOT_START

    def word_split(word, maxWidths, fontName, fontSize, encoding="utf8"):
        # reportlab hangs one closing mark; "），" leaves the comma at the next line's start.
        lines = original(word, maxWidths, fontName, fontSize, encoding)
        for k in range(1, len(lines)):
            text = lines[k][1]
            while text and text[0] in cannot_start:
                w = pdfmetrics.stringWidth(text[0], fontName, fontSize)
                lines[k - 1][1] += text[0]
                lines[k - 1][0] -= w
                lines[k][0] += w
                text = text[1:]
            lines[k][1] = text
        return lines

    word_split._hangs = True  # type: ignore[attr-defined]
    paragraph.wordSplit = word_split


# ----------------------------------------------------------------------------- styles

_STYLES: dict[str, ParagraphStyle] | None = None


def styles() -> dict[str, ParagraphStyle]:
    """Paragraph styles with CJK word wrap: title, subtitle, h1, h2, body, small, cell, note."""
    global _STYLES
    if _STYLES is None:
        register_fonts()
        base = dict(fontName=FONT, textColor=INK, wordWrap="CJK")
        _STYLES = {
            "title": ParagraphStyle("title", fontSize=18, leading=26, alignment=TA_CENTER,
                                    spaceAfter=4, **base),
            "subtitle": ParagraphStyle("subtitle", fontSize=11, leading=16, alignment=TA_CENTER,
                                       spaceAfter=10, **base),
            # keepWithNext: a heading never ends a page without what follows it.
            "h1": ParagraphStyle("h1", fontSize=13, leading=20, spaceBefore=10, spaceAfter=5, keepWithNext=1,
                                 **base),
            "h2": ParagraphStyle("h2", fontSize=11, leading=16, spaceBefore=6, spaceAfter=3, keepWithNext=1,
                                 **base),
            "body": ParagraphStyle("body", fontSize=10.5, leading=17, firstLineIndent=21,
                                   spaceAfter=3, alignment=TA_LEFT, **base),
            "plain": ParagraphStyle("plain", fontSize=10.5, leading=17, spaceAfter=3, **base),
            "small": ParagraphStyle("small", fontSize=8.5, leading=12, **base),
            "note": ParagraphStyle("note", fontSize=8.5, leading=12,
                                   textColor=colors.HexColor("#555555"), fontName=FONT,
                                   wordWrap="CJK"),
            "cell": ParagraphStyle("cell", fontSize=9, leading=12.5, **base),
            "right": ParagraphStyle("right", fontSize=10.5, leading=17, alignment=TA_RIGHT, **base),
        }
    return _STYLES


def _esc(text: Any) -> str:
    s = "" if text is None else str(text)
    return (s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            .replace("\n", "<br/>"))


def para(text: Any, style: str = "body", *, markup: bool = False) -> Paragraph:
    """A paragraph of plain text (escaped; newlines kept) or of reportlab markup."""
    return Paragraph(str(text) if markup else _esc(text), styles()[style])


def heading(text: str, level: int = 1) -> Paragraph:
    return para(text, "h1" if level == 1 else "h2")


def title_block(title: str, subtitle: str | None = None, width: float = CONTENT_WIDTH) -> KeepTogether:
    """Centred title (shrunk down to 15 pt to stay on one line when it can) and subtitle."""
    style = styles()["title"]
    size = style.fontSize
    while size > 15 and pdfmetrics.stringWidth(title, FONT, size) > width:
        size -= 0.5
    if size != style.fontSize and pdfmetrics.stringWidth(title, FONT, size) <= width:
        style = ParagraphStyle("title-fit", parent=style, fontSize=size, leading=size * 1.45)
    items: list[Flowable] = [Paragraph(_esc(title), style)]
    if subtitle:
        items.append(para(subtitle, "subtitle"))
    return KeepTogether(items)


def spacer(height_mm: float = 4) -> Spacer:
    return Spacer(1, height_mm * mm)


# ----------------------------------------------------------------------------- tables

_PAD = 3  # cell padding left/right in points
_TOP_PAD, _BOTTOM_PAD = 2, 2.5  # cell padding above and below the text of a text table


def wrap_text(text: str, width: float, font_size: float, font: str = FONT) -> str:
    """Break ``text`` into lines no wider than ``width`` points (CJK: any character).

    Latin words are kept whole where they fit. Cheaper than a Paragraph per cell.
    """
    register_fonts()
    if not text:
        return ""
    face = pdfmetrics.getFont(font).face
    scale = font_size / 1000.0
    widths = face.charWidths
    default = face.defaultWidth
    out_lines: list[str] = []
    for raw_line in str(text).split("\n"):
        line = ""
        w = 0.0
        last_space = -1
        for ch in raw_line:
            cw = widths.get(ord(ch), default) * scale
            if w + cw > width and line:
                if ch != " " and last_space > 0 and ord(ch) < 0x2E80:
                    out_lines.append(line[:last_space])
                    line = line[last_space + 1:] + ch
                else:
                    out_lines.append(line)
                    line = "" if ch == " " else ch
                w = sum(widths.get(ord(c), default) * scale for c in line)
                last_space = line.rfind(" ")
                continue
            if ch == " ":
                last_space = len(line)
            line += ch
            w += cw
        out_lines.append(line)
    return "\n".join(out_lines)


def text_table(data: list[list[str]], col_widths: Sequence[float], font_size: float, cmds: list[tuple]) -> Table:
    """A table of plain text cells whose header row repeats on every page, styled by ``cmds``
    (``text_table_style`` and what the caller adds), its row heights given up front."""
    table = TextTable(data, colWidths=list(col_widths), rowHeights=text_row_heights(data, font_size),
                      repeatRows=1, hAlign="LEFT")
    table.setStyle(TableStyle(cmds))
    return table


def text_row_heights(data: Sequence[Sequence[str]], font_size: float) -> list[float]:
    """The height of each row of a table of plain text cells, as reportlab measures it
    (leading × the most lines in a cell, + the padding), given to ``Table`` up front.

    Without it reportlab measures the rows itself and finds the next unmeasured one with
    ``list.index`` from the top: quadratic in the table's length, again at every page split
    (0.4 s of the 2 000-product self-check, issue 21). Same arithmetic, same layout."""
    leading = font_size * 1.25
    pad = _BOTTOM_PAD + _TOP_PAD
    return [leading * max((cell.count("\n") + 1 for cell in row), default=1) + pad for row in data]


def text_table_style(font_size: float) -> list[tuple]:
    """The style commands every text table starts from (font, leading, grid, header, padding);
    the padding and leading are those ``text_row_heights`` counts with."""
    return [
        ("FONTNAME", (0, 0), (-1, -1), FONT),
        ("FONTSIZE", (0, 0), (-1, -1), font_size),
        ("LEADING", (0, 0), (-1, -1), font_size * 1.25),
        ("TEXTCOLOR", (0, 0), (-1, -1), INK),
        ("GRID", (0, 0), (-1, -1), 0.4, GRID),
        ("BOX", (0, 0), (-1, -1), 0.8, RULE),
        ("BACKGROUND", (0, 0), (-1, 0), HEAD_BG),
        ("ALIGN", (0, 0), (-1, 0), "CENTER"),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("LEFTPADDING", (0, 0), (-1, -1), _PAD),
        ("RIGHTPADDING", (0, 0), (-1, -1), _PAD),
        ("TOPPADDING", (0, 0), (-1, -1), _TOP_PAD),
        ("BOTTOMPADDING", (0, 0), (-1, -1), _BOTTOM_PAD),
    ]


def data_table(header: Sequence[str], rows: Iterable[Sequence[Any]], col_widths: Sequence[float],
               status_column: int | None = None, *, font_size: float = 8,
               align_right: Sequence[int] = (), highlight_rows: Iterable[int] = (),
               total_row: bool = False) -> Table:
    """A bordered table whose header repeats on every page.

    ``status_column``: index of a column holding R8 status keys (``behind`` …); the cell
    shows the Chinese label, coloured (completed/on_track green, behind amber,
    severely_behind/not_started red, exempt grey). ``highlight_rows``: 0-based data row
    indexes printed in red on a pink background (e.g. overdue supply issues).
    ``align_right``: numeric column indexes. ``total_row``: last row is a total (shaded).
    """
    register_fonts()
    avail = [max(6.0, w - 2 * _PAD) for w in col_widths]
    head_size = font_size
    data: list[list[str]] = [[wrap_text(h, avail[i], head_size) for i, h in enumerate(header)]]
    cmds = text_table_style(font_size)
    for c in align_right:
        cmds.append(("ALIGN", (c, 1), (c, -1), "RIGHT"))
    measure = pdfmetrics.getFont(FONT).stringWidth
    labels: dict[str, str] = {}
    statuses: list[str] = []
    for row in rows:
        cells: list[str] = []
        for i, value in enumerate(row):
            text = "" if value is None else str(value)
            if i == status_column:
                statuses.append(text)
                if text not in labels:
                    labels[text] = status_label(text) if text else ""
                text = labels[text]
            if text and ("\n" in text or measure(text, font_size) > avail[i]):
                text = wrap_text(text, avail[i], font_size)
            cells.append(text)
        data.append(cells)
    if status_column is not None:
        # One style command per run of equal statuses: long tables split page by page and
        # reportlab re-applies every command on each split.
        c = status_column
        run_start = 0
        for k in range(1, len(statuses) + 1):
            if k == len(statuses) or statuses[k] != statuses[run_start]:
                colour = STATUS_COLOURS.get(statuses[run_start])
                if colour:
                    cmds.append(("TEXTCOLOR", (c, run_start + 1), (c, k), colour[0]))
                    cmds.append(("BACKGROUND", (c, run_start + 1), (c, k), colour[1]))
                run_start = k
    for r in highlight_rows:
        cmds.append(("TEXTCOLOR", (0, r + 1), (-1, r + 1), STATUS_COLOURS["overdue"][0]))
        cmds.append(("BACKGROUND", (0, r + 1), (-1, r + 1), STATUS_COLOURS["overdue"][1]))
    if total_row and len(data) > 1:
        cmds.append(("BACKGROUND", (0, -1), (-1, -1), HEAD_BG))
    if status_column is not None:
        cmds.append(("ALIGN", (status_column, 1), (status_column, -1), "CENTER"))
    return text_table(data, col_widths, font_size, cmds)


def form_table(pairs: Sequence[tuple[str, Any]], col_widths: Sequence[float] | None = None,
               *, per_row: int = 1, label_width: float = 32 * mm,
               width: float = CONTENT_WIDTH) -> Table:
    """A bordered form: label cells shaded, values as wrapping paragraphs.

    ``per_row`` = 2 puts two label/value pairs on one line (short fields).
    """
    st = styles()
    cell = st["cell"]
    value_width = (width - per_row * label_width) / per_row
    widths = list(col_widths) if col_widths else [label_width, value_width] * per_row
    data: list[list[Any]] = []
    items = list(pairs)
    for start in range(0, len(items), per_row):
        row: list[Any] = []
        for label, value in items[start:start + per_row]:
            row += [Paragraph(_esc(label), cell), Paragraph(_esc(value if value not in (None, "") else "—"), cell)]
        while len(row) < 2 * per_row:
            row += ["", ""]
        data.append(row)
    cmds: list[tuple] = [
        ("GRID", (0, 0), (-1, -1), 0.5, GRID),
        ("BOX", (0, 0), (-1, -1), 0.9, RULE),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("TOPPADDING", (0, 0), (-1, -1), 4),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 5),
    ]
    for k in range(per_row):
        cmds.append(("BACKGROUND", (2 * k, 0), (2 * k, -1), HEAD_BG))
    t = Table(data, colWidths=widths, hAlign="LEFT")
    t.setStyle(TableStyle(cmds))
    return t


# ----------------------------------------------------------------------------- charts

_PURCHASE_COLOUR = colors.HexColor("#1f5fa8")
_SCHEDULE_COLOUR = colors.HexColor("#c0392b")
_AGREED_COLOUR = colors.HexColor("#888888")


def _fmt_axis(v: float) -> str:
    v = float(v)
    if abs(v) >= 10000:
        return f"{v / 10000:g}万"
    return f"{v:,.0f}"


def burnup_chart(labels: Sequence[str], purchased: Sequence[float], schedule: Sequence[float], *,
                 agreed: float | None = None, title: str | None = None,
                 width: float = CONTENT_WIDTH, height: float = 62 * mm) -> Drawing:
    """Burn-up chart: cumulative purchases against the cumulative schedule (R7/R8).

    ``labels`` are the x categories (e.g. months "2025-01"); ``purchased`` and ``schedule``
    are cumulative values per label; ``agreed`` draws the agreed volume as a flat line.
    """
    from hospital_app.i18n import tr

    register_fonts()
    d = Drawing(width, height)
    top = 16 if title else 6
    chart = HorizontalLineChart()
    chart.x, chart.y = 42, 30
    chart.width, chart.height = width - 42 - 110, height - 30 - top
    series = [list(map(float, purchased)), list(map(float, schedule))]
    names = [tr("累计采购量", "Purchased (cumulative)"), tr("序时进度目标", "Schedule (cumulative)")]
    cols = [_PURCHASE_COLOUR, _SCHEDULE_COLOUR]
    if agreed is not None:
        series.append([float(agreed)] * len(labels))
        names.append(tr("约定采购量", "Agreed volume"))
        cols.append(_AGREED_COLOUR)
    chart.data = series if labels else [[0.0]] * len(series)
    chart.categoryAxis.categoryNames = list(labels) or [""]
    step = max(1, (len(labels) + 11) // 12)
    chart.categoryAxis.labels.fontName = FONT
    chart.categoryAxis.labels.fontSize = 7
    if step > 1:
        chart.categoryAxis.categoryNames = [lab if i % step == 0 else "" for i, lab in enumerate(labels)]
    chart.valueAxis.labels.fontName = FONT
    chart.valueAxis.labels.fontSize = 7
    chart.valueAxis.valueMin = 0
    chart.valueAxis.labelTextFormat = _fmt_axis
    chart.valueAxis.visibleGrid = True
    chart.valueAxis.gridStrokeColor = colors.HexColor("#dddddd")
    chart.valueAxis.gridStrokeWidth = 0.4
    for i, c in enumerate(cols):
        chart.lines[i].strokeColor = c
        chart.lines[i].strokeWidth = 1.6 if i == 0 else 1.1
    if agreed is not None:
        chart.lines[2].strokeDashArray = [3, 2]
    chart.lines[1].strokeDashArray = [4, 2]
    d.add(chart)
    legend = Legend()
    legend.x, legend.y = width - 100, height - top - 6
    legend.fontName, legend.fontSize = FONT, 7.5
    legend.alignment = "right"
    legend.columnMaximum = 4
    legend.dx, legend.dy = 10, 2
    legend.colorNamePairs = list(zip(cols, names))
    d.add(legend)
    if title:
        d.add(String(width / 2, height - 11, title, fontName=FONT, fontSize=9.5,
                     textAnchor="middle", fillColor=INK))
    return d


def bar_chart(categories: Sequence[str], values: Sequence[float], *, title: str | None = None,
              width: float = CONTENT_WIDTH * 0.6, height: float = 48 * mm,
              bar_colours: Sequence[colors.Color] | None = None,
              value_format: str = "{:g}") -> Drawing:
    """A small vertical bar chart (e.g. products by status), values printed on the bars."""
    register_fonts()
    d = Drawing(width, height)
    top = 24 if title else 8  # room for the title and the value printed above the tallest bar
    bc = VerticalBarChart()
    bc.x, bc.y = 32, 24
    bc.width, bc.height = width - 44, height - 24 - top
    bc.data = [list(map(float, values)) or [0.0]]
    bc.categoryAxis.categoryNames = list(categories) or [""]
    bc.categoryAxis.labels.fontName = FONT
    bc.categoryAxis.labels.fontSize = 7.5
    bc.valueAxis.labels.fontName = FONT
    bc.valueAxis.labels.fontSize = 7
    bc.valueAxis.valueMin = 0
    bc.valueAxis.labelTextFormat = _fmt_axis
    bc.barLabelFormat = lambda v: value_format.format(v)
    bc.barLabels.fontName = FONT
    bc.barLabels.fontSize = 7
    bc.barLabels.nudge = 6
    bc.bars[0].fillColor = _PURCHASE_COLOUR
    bc.bars.strokeWidth = 0
    if bar_colours:
        for i, c in enumerate(bar_colours):
            bc.bars[(0, i)].fillColor = c
    top_value = max(values, default=0)
    if top_value <= 5:  # small counts: whole-number ticks 0..5
        bc.valueAxis.valueMax = 5
        bc.valueAxis.valueStep = 1
    d.add(bc)
    if title:
        d.add(String(width / 2, height - 11, title, fontName=FONT, fontSize=9.5,
                     textAnchor="middle", fillColor=INK))
    return d


# ------------------------------------------------------------------ signatures, stamp

def signature_block(roles: Sequence[str], *, width: float = CONTENT_WIDTH,
                    with_date: bool = True) -> KeepTogether:
    """Signature lines: “经办人：________  日期：____年__月__日” one role per row."""
    from hospital_app.i18n import tr

    date_text = tr("日期：　　　　年　　月　　日", "Date: ____________")
    rows = [[tr("{r}（签字）：", "{r} (signature):", r=role), "", date_text if with_date else ""]
            for role in roles]
    label_w = 44 * mm
    t = Table(rows, colWidths=[label_w, 62 * mm, width - label_w - 62 * mm],
              rowHeights=[12 * mm] * len(rows), hAlign="LEFT")
    t.setStyle(TableStyle([
        ("FONTNAME", (0, 0), (-1, -1), FONT),
        ("FONTSIZE", (0, 0), (-1, -1), 10.5),
        ("TEXTCOLOR", (0, 0), (-1, -1), INK),
        ("ALIGN", (0, 0), (0, -1), "RIGHT"),
        ("LINEBELOW", (1, 0), (1, -1), 0.6, RULE),
        ("VALIGN", (0, 0), (-1, -1), "BOTTOM"),
        ("LEFTPADDING", (2, 0), (2, -1), 14),
    ]))
    return KeepTogether([Spacer(1, 6 * mm), t])


class _StampBox(Flowable):
    """A dashed circle where the official seal goes, with “（盖章）” and a date line."""

    def __init__(self, org: str, date_text: str | None = None, diameter: float = 38 * mm) -> None:
        super().__init__()
        self.org = org
        self.date_text = date_text
        self.d = diameter
        self.width = CONTENT_WIDTH
        self.height = diameter + 14 * mm
        self.hAlign = "RIGHT"

    def wrap(self, aw, ah):
        self.width = aw
        return aw, self.height

    def draw(self) -> None:
        from hospital_app.i18n import tr

        c = self.canv
        cx = self.width - self.d / 2 - 12 * mm
        cy = 14 * mm + self.d / 2
        c.saveState()
        c.setStrokeColor(colors.HexColor("#bbbbbb"))
        c.setDash(3, 3)
        c.circle(cx, cy, self.d / 2)
        c.setFillColor(colors.HexColor("#999999"))
        c.setFont(FONT, 9)
        c.drawCentredString(cx, cy - 3, tr("（盖章处）", "(seal)"))
        c.setFillColor(INK)
        c.setFont(FONT, 10.5)
        if self.org:
            c.drawCentredString(cx, 8 * mm, self.org)
        c.drawCentredString(cx, 1 * mm, self.date_text or tr("　　　　年　　月　　日", "Date: ____________"))
        c.restoreState()


def stamp_block(org: str = "", date_text: str | None = None) -> _StampBox:
    """Where the seal goes: dashed circle, organisation name and a date (blank line if None)."""
    return _StampBox(org, date_text)


def _zh() -> bool:
    from hospital_app.i18n import language

    return language() == "zh"


# ---------------------------------------------------------------------- page template

def landscape_section() -> list[Flowable]:
    """Flowables that continue the document on a new A4 landscape page."""
    return [NextPageTemplate("landscape"), PageBreak()]


def portrait_section() -> list[Flowable]:
    """Flowables that continue the document on a new A4 portrait page."""
    return [NextPageTemplate("portrait"), PageBreak()]


def keep_space(height_mm: float) -> CondPageBreak:
    """Start a new page unless ``height_mm`` is left (keeps a heading with its table)."""
    return CondPageBreak(height_mm * mm)


def _make_canvas(header_left: str, header_right: str, generated: str):
    """A canvas class that knows the page count when it draws the footers (two passes)."""
    from hospital_app.i18n import tr

    class NumberedCanvas(rl_canvas.Canvas):
        def __init__(self, *args, **kwargs) -> None:
            # No stray, unembedded Helvetica: the doc template passes initialFontName=None itself.
            if not kwargs.get("initialFontName"):
                kwargs["initialFontName"] = FONT
            super().__init__(*args, **kwargs)
            self._pages: list[dict] = []

        def showPage(self) -> None:  # noqa: N802 - reportlab API
            self._pages.append(dict(self.__dict__))
            self._startPage()

        def save(self) -> None:
            total = len(self._pages)
            for state in self._pages:
                self.__dict__.update(state)
                self._decorate(total)
                super().showPage()
            super().save()

        def _decorate(self, total: int) -> None:
            w, h = self._pagesize
            self.saveState()
            self.setFillColor(INK)
            self.setFont(FONT, 9)
            self.drawString(MARGIN_X, h - 13 * mm, header_left)
            room = w - 2 * MARGIN_X - self.stringWidth(header_left, FONT, 9) - 12 * mm
            right = header_right
            while right and self.stringWidth(right, FONT, 9) > room:
                right = right[:-2] + "…"
            self.drawRightString(w - MARGIN_X, h - 13 * mm, right)
            self.setStrokeColor(RULE)
            self.setLineWidth(0.8)
            self.line(MARGIN_X, h - 15 * mm, w - MARGIN_X, h - 15 * mm)
            self.setLineWidth(0.4)
            self.line(MARGIN_X, 13 * mm, w - MARGIN_X, 13 * mm)
            self.setFont(FONT, 8.5)
            self.drawCentredString(w / 2, 8.5 * mm, tr("第 {n} 页 共 {t} 页", "Page {n} of {t}",
                                                       n=self._pageNumber, t=total))
            self.setFillColor(colors.HexColor("#555555"))
            self.drawRightString(w - MARGIN_X, 8.5 * mm, generated)
            self.restoreState()

    return NumberedCanvas


def build_pdf(path: str | os.PathLike, title: str, flowables: list[Flowable], *,
              hospital_name: str, hospital_code: str, generated_at: datetime,
              landscape_first: bool = False) -> int:
    """Write the document to ``path`` (atomically: a failure leaves no half file).

    Returns the number of pages.
    """
    from hospital_app.i18n import tr

    register_fonts()
    path = Path(path)
    name = hospital_name.strip()
    if not name:  # the makers refuse earlier (settings_service.require_identity); never a placeholder
        raise ValueError("build_pdf needs the hospital's name")
    header_left = f"{name}" + (tr("（机构编码：{c}）", " (code {c})", c=hospital_code)
                                if hospital_code.strip() else "")
    generated = tr("生成时间：{t}", "Generated {t}", t=generated_at.strftime("%Y-%m-%d %H:%M"))

    def frame(size, fid):
        return Frame(MARGIN_X, MARGIN_BOTTOM, size[0] - 2 * MARGIN_X,
                     size[1] - MARGIN_TOP - MARGIN_BOTTOM, id=fid,
                     leftPadding=0, rightPadding=0, topPadding=0, bottomPadding=0)

    portrait_t = PageTemplate("portrait", [frame(PORTRAIT, "p")], pagesize=PORTRAIT)
    landscape_t = PageTemplate("landscape", [frame(LANDSCAPE, "l")], pagesize=LANDSCAPE)
    templates = [landscape_t, portrait_t] if landscape_first else [portrait_t, landscape_t]

    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=".pdf", dir=str(path.parent))
    os.close(fd)
    try:
        doc = BaseDocTemplate(tmp, pagesize=templates[0].pagesize, title=title,
                              author=name, creator="集采执行助手", subject=title,
                              leftMargin=MARGIN_X, rightMargin=MARGIN_X,
                              topMargin=MARGIN_TOP, bottomMargin=MARGIN_BOTTOM)
        doc.addPageTemplates(templates)
        doc.build(list(flowables), canvasmaker=_make_canvas(header_left, title, generated))
        pages = doc.page
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return pages


class Watermark(Flowable):
    """A large light-grey diagonal word behind the page's content (e.g. “草稿” on an unsigned
    note); zero height, drawn at the page centre of the frame it lands in."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = text
        self.width = self.height = 0

    def wrap(self, aw, ah):
        self._aw, self._ah = aw, ah
        return 0, 0

    def draw(self) -> None:
        c = self.canv
        c.saveState()
        c.setFillColor(colors.Color(0.75, 0.75, 0.75, alpha=0.45))
        c.setFont(FONT, 96)
        c.translate(self._aw / 2, -self._ah / 2)
        c.rotate(35)
        c.drawCentredString(0, -30, self.text)
        c.restoreState()
