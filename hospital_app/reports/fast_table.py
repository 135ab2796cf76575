"""``TextTable``: reportlab's ``Table`` for tables of plain-text cells, drawing each cell's
text from a per-document cache of its PDF text code and sharing cell styles (issue 21).

reportlab draws every line of a text cell with ``canvas.drawString`` (or its right or
centred twin): a fresh ``PDFTextObject``, the text split into font subsets, the subset
font selected and the string escaped, about 30 µs a line. The 2 000-product self-check
draws 65 000 such lines, most of them repeated texts (status words, units, dates, names).

Once a text has been written in a document its subset characters are assigned, so the
code reportlab writes for it after the text origin is the same every time. ``TextTable``
asks reportlab for that code once per (font, size, leading, text) and document, and
writes ``BT <origin> Tm <code> ET`` itself, with reportlab's own origin arithmetic.

``Table`` also gives every cell a style object of its own and applies each style command
to every cell it covers: 520 000 calls for the self-check's nine whole-table commands.
``TextTable`` starts all cells on one shared style, applies a command to each distinct
style object in its range, and gives the cells of a partial range their own copy first
(copy on write), so a cell ends with the same style values as in ``Table``.

The PDF is byte for byte the one ``Table`` writes (``tests/services/test_fast_table.py``
builds both); any cell this fast path does not cover (flowables, links, bidirectional
text, a top-down canvas) is drawn by ``Table`` itself.
"""

from __future__ import annotations

from reportlab.lib.rl_accel import fp_str
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.textobject import rtlSupport
from reportlab.platypus import Table
from reportlab.platypus.tables import _SPECIALROWS, CellStyle, _isLineCommand, _setCellStyle

__all__ = ["TextTable"]

_CACHE_ATTR = "_hospital_text_code"


def _text_code(canv, text: str) -> tuple[str, float]:
    """The code reportlab writes for ``text`` after the text origin in the canvas's current
    font (ending ``T*``), and the text's width; asked of reportlab once per document."""
    cache = canv.__dict__.get(_CACHE_ATTR)
    if cache is None:
        cache = canv.__dict__[_CACHE_ATTR] = {}
    key = (canv._fontname, canv._fontsize, canv._leading, text)
    hit = cache.get(key)
    if hit is None:
        obj = canv.beginText(0, 0)
        obj.textLine(text)  # assigns the subset characters, as drawString would
        hit = cache[key] = (obj._code[-1], stringWidth(text, canv._fontname, canv._fontsize))
    return hit


def _copy(style: CellStyle) -> CellStyle:
    """A copy of a cell style (its values live in the instance dict, defaults in the class);
    ``CellStyle.copy`` walks ``dir()`` and costs ten times as much."""
    new = CellStyle.__new__(CellStyle)
    new.__dict__.update(style.__dict__)
    return new


class TextTable(Table):
    """A ``Table`` whose plain-string cells are drawn through ``_text_code`` and whose cells
    share their style objects until a style command sets them apart (see module doc)."""

    def __init__(self, data, *args, cellStyles=None, **kwargs):  # noqa: N803 - reportlab API
        self._styles_shared_from = None
        if cellStyles is None and data:
            # A table of its own (not a split part of one, which gets its parent's styles).
            shared = CellStyle("text")
            ncols = max(len(row) for row in data)
            cellStyles = [[shared] * ncols for _ in data]
            self._styles_shared_from = [shared]
        super().__init__(data, *args, cellStyles=cellStyles, **kwargs)

    def _addCommand(self, cmd):  # noqa: N802 - reportlab API
        distinct = self._styles_shared_from
        op = cmd[0]
        if distinct is None or op in _NOT_CELL_STYLE or _isLineCommand(cmd) or cmd[1][1] in _SPECIAL_ROWS:
            return super()._addCommand(cmd)
        (op, (sc, sr), (ec, er)), values = cmd[:3], cmd[3:]
        sc, ec, sr, er = self.normCellRange(sc, ec, sr, er)
        styles = self._cellStyles
        if sc == 0 and sr == 0 and ec == self._ncols - 1 and er == self._nrows - 1:
            for style in distinct:  # every cell of the table: each style object once
                _setCellStyle(((style,),), 0, 0, op, values)
            return None
        copies: dict[int, CellStyle] = {}
        for i in range(sr, er + 1):
            row = styles[i]
            for j in range(sc, ec + 1):
                old = row[j]
                new = copies.get(id(old))
                if new is None:
                    new = copies[id(old)] = _copy(old)
                    _setCellStyle(((new,),), 0, 0, op, values)
                    distinct.append(new)
                row[j] = new
        return None

    def _drawCell(self, cellval, cellstyle, pos, size):  # noqa: N802 - reportlab API
        canv = self.canv
        just = cellstyle.alignment
        if (type(cellval) is not str or _BIDI or not canv.bottomup or cellstyle.href or cellstyle.destination
                or getattr(cellstyle, "direction", None) or getattr(cellstyle, "shaping", None)  # not in 4.0
                or just not in _JUSTIFIED):
            return super()._drawCell(cellval, cellstyle, pos, size)
        # From here on the same arithmetic as Table._drawCell and canvas.drawString & co.
        if self._curcellstyle is not cellstyle:
            cur = self._curcellstyle
            if cur is None or (cellstyle.color is not cur.color and cellstyle.color != cur.color):
                canv.setFillColor(cellstyle.color)
            if (cur is None or cellstyle.leading != cur.leading or cellstyle.fontname != cur.fontname
                    or cellstyle.fontsize != cur.fontsize):
                canv.setFont(cellstyle.fontname, cellstyle.fontsize, cellstyle.leading)
            self._curcellstyle = cellstyle
        colpos, rowpos = pos
        colwidth, rowheight = size
        if just == "LEFT":
            x = colpos + cellstyle.leftPadding
        elif just == "RIGHT":
            x = colpos + colwidth - cellstyle.rightPadding
        else:
            x = colpos + (colwidth + cellstyle.leftPadding - cellstyle.rightPadding) * 0.5
        vals = cellval.split("\n")
        leading = cellstyle.leading
        fontsize = cellstyle.fontsize
        valign = cellstyle.valign
        if valign == "BOTTOM":
            y = rowpos + cellstyle.bottomPadding + len(vals) * leading - fontsize
        elif valign == "TOP":
            y = rowpos + rowheight - cellstyle.topPadding - fontsize
        elif valign == "MIDDLE":
            y = rowpos + (cellstyle.bottomPadding + rowheight - cellstyle.topPadding + len(vals) * leading) / 2.0 \
                - fontsize
        else:
            return super()._drawCell(cellval, cellstyle, pos, size)
        out = canv._code.append
        for v in vals:
            code, width = _text_code(canv, v)
            if just == "LEFT":
                left = x
            elif just == "RIGHT":
                left = x - width
            else:
                left = x - 0.5 * width
            out(f"BT 1 0 0 1 {fp_str(left, y)} Tm {code} ET")
            y -= leading
        return None


_NOT_CELL_STYLE = frozenset({"BACKGROUND", "ROWBACKGROUNDS", "COLBACKGROUNDS", "SPAN", "NOSPLIT",
                             "ROUNDEDCORNERS"})
_SPECIAL_ROWS = frozenset(_SPECIALROWS)
_BIDI = rtlSupport  # with rlbidi installed drawString shapes the text first: leave it to Table
_JUSTIFIED = frozenset({"LEFT", "RIGHT", "CENTRE", "CENTER"})
