"""``reports.fast_table.TextTable`` (issue 21): text tables drawn from a per-document cache of
their PDF text code, with shared cell styles — and the very PDF reportlab's ``Table`` writes."""

from __future__ import annotations

import io

from pypdf import PdfReader
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.platypus import Paragraph, SimpleDocTemplate, Table, TableStyle

from hospital_app.reports import document as doc
from hospital_app.reports.fast_table import TextTable

# More than 256 distinct characters, so that the embedded font needs several subsets.
_HANZI = "".join(chr(0x4E00 + k * 7) for k in range(400))


def _rows(n: int) -> list[list[str]]:
    rows = [["序号", "名称", "数量", "状态", "说明"]]
    for k in range(n):
        name = _HANZI[(k * 13) % 390:(k * 13) % 390 + 1 + k % 9]
        note = "第一行\n第二行" if k % 5 == 0 else ("" if k % 7 == 0 else f"note {k % 4}")
        rows.append([str(k + 1), name, f"{k * 37 % 1000:,}", ["正常", "滞后", "已完成"][k % 3], note])
    return rows


def _style() -> list[tuple]:
    """Whole-table commands, partial ones on top of them (a row, a column, overlapping ranges,
    a font size for some rows), backgrounds and lines — what ``data_table`` and more."""
    return [
        ("FONTNAME", (0, 0), (-1, -1), doc.FONT),
        ("FONTSIZE", (0, 0), (-1, -1), 7.5),
        ("LEADING", (0, 0), (-1, -1), 9.375),
        ("TEXTCOLOR", (0, 0), (-1, -1), doc.INK),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("ALIGN", (0, 0), (-1, 0), "CENTER"),
        ("ALIGN", (2, 1), (2, -1), "RIGHT"),
        ("ALIGN", (3, 1), (3, -1), "CENTRE"),
        ("TEXTCOLOR", (3, 2), (3, 40), colors.red),
        ("TEXTCOLOR", (0, 5), (-1, 5), colors.blue),
        ("VALIGN", (4, 1), (4, 30), "TOP"),
        ("VALIGN", (4, 31), (4, 60), "BOTTOM"),
        ("FONTSIZE", (1, 10), (2, 20), 9),
        ("LEADING", (1, 10), (2, 20), 11),
        ("LEFTPADDING", (0, 0), (-1, -1), 3),
        ("TOPPADDING", (0, 0), (-1, -1), 2),
        ("BACKGROUND", (0, 0), (-1, 0), doc.HEAD_BG),
        ("BACKGROUND", (3, 7), (3, 9), colors.yellow),
        ("GRID", (0, 0), (-1, -1), 0.4, doc.GRID),
        ("TEXTCOLOR", (0, 0), (-1, -1), doc.INK),  # a whole-table command after partial ones
        ("TEXTCOLOR", (3, 2), (3, 3), colors.green),
    ]


def _pdf(path, table_class, rows, extra=()) -> bytes:
    doc.register_fonts()
    table = table_class(rows, colWidths=[30, 120, 60, 50, 90], repeatRows=1, hAlign="LEFT")
    table.setStyle(TableStyle(_style()))
    SimpleDocTemplate(str(path), pagesize=A4, invariant=1).build([table, *extra])
    return path.read_bytes()


def test_text_table_writes_the_pdf_table_writes(tmp_path):
    """GIVEN 300 rows over several pages (header repeated) with left, right and centred cells,
    top, middle and bottom aligned, two-line and empty cells, more characters than one font
    subset holds, and whole-table and partial style commands interleaved WHEN built as a
    ``TextTable`` and as reportlab's ``Table`` THEN the two PDFs are the same bytes."""
    rows = _rows(300)
    ours = _pdf(tmp_path / "ours.pdf", TextTable, rows)
    theirs = _pdf(tmp_path / "theirs.pdf", Table, rows)
    assert len(PdfReader(io.BytesIO(ours)).pages) >= 3  # the table was split page by page
    assert ours == theirs


def test_text_table_leaves_other_cells_to_reportlab(tmp_path):
    """GIVEN a table with a paragraph in one cell and a decimal-aligned column WHEN built as a
    ``TextTable`` and as a ``Table`` THEN the same bytes (those cells take reportlab's own path)."""
    rows = _rows(12)
    rows[3][1] = Paragraph("段落<b>加粗</b>", doc.styles()["body"])
    for r in rows[1:]:
        r[2] = r[2].replace(",", "") + ".5"

    def build(path, cls):
        doc.register_fonts()
        table = cls([list(r) for r in rows], colWidths=[30, 120, 60, 50, 90], repeatRows=1)
        table.setStyle(TableStyle(_style() + [("ALIGN", (2, 1), (2, -1), "DECIMAL")]))
        SimpleDocTemplate(str(path), pagesize=A4, invariant=1).build([table])
        return path.read_bytes()

    assert build(tmp_path / "a.pdf", TextTable) == build(tmp_path / "b.pdf", Table)


def test_cells_share_a_style_until_a_command_sets_them_apart():
    """GIVEN a ``TextTable`` WHEN whole-table and partial commands are applied THEN cells untouched
    by partial commands share one style object, a cell's values are those ``Table`` gives it, and
    a partial command never changes a cell outside its range."""
    rows = _rows(60)
    ours = TextTable([list(r) for r in rows], repeatRows=1)
    ours.setStyle(TableStyle(_style()))
    theirs = Table([list(r) for r in rows], repeatRows=1)
    theirs.setStyle(TableStyle(_style()))
    assert ours._cellStyles[50][0] is ours._cellStyles[51][1]  # both only whole-table commands
    assert len({id(s) for row in ours._cellStyles for s in row}) < 20
    fields = ("fontname", "fontsize", "leading", "color", "alignment", "valign", "leftPadding",
              "rightPadding", "topPadding", "bottomPadding")
    for i, (mine, ref) in enumerate(zip(ours._cellStyles, theirs._cellStyles)):
        for j, (a, b) in enumerate(zip(mine, ref)):
            assert [getattr(a, f) for f in fields] == [getattr(b, f) for f in fields], (i, j)
    assert ours._cellStyles[2][3].color == colors.green and ours._cellStyles[4][3].color == doc.INK
