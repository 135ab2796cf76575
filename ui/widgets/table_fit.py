"""Tables that fit the width of a 1366×768 screen (issue 20 §2).

``fit_width(view, elastic)``: the columns size to their contents, except the ``elastic``
ones (long text: names, companies, remarks), which share what is left of the width and
elide their text; hovering an elided cell shows its full text. So a table shows every
visible column without a horizontal scroll bar as long as the other columns fit.

``ColumnChooser``: a right click on the header shows or hides columns; the choice is kept
in QSettings (``columns/<object name>``), so a table can start with the columns a
pharmacist reads first and still reach every other one.
"""

from __future__ import annotations

from typing import Iterable, Sequence

from PySide6.QtCore import QEvent, QObject, QSettings, QSize, Qt
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QMenu, QTableView, QToolTip


class WrappingHeader(QHeaderView):
    """A horizontal header whose titles of several words (English) wrap onto two lines, so a
    column is as wide as its longest word or its contents, not its whole title."""

    def __init__(self, parent: QTableView) -> None:
        super().__init__(Qt.Orientation.Horizontal, parent)
        self.setDefaultAlignment(Qt.AlignmentFlag.AlignCenter | Qt.AlignmentFlag(int(Qt.TextFlag.TextWordWrap)))

    def sectionSizeFromContents(self, logical: int) -> QSize:  # noqa: N802 - Qt API
        size = super().sectionSizeFromContents(logical)
        model = self.model()
        text = model.headerData(logical, self.orientation(), Qt.ItemDataRole.DisplayRole) if model else None
        words = str(text or "").split()
        if len(words) < 2:
            return size
        fm = self.fontMetrics()
        padding = size.width() - fm.horizontalAdvance(str(text))
        lines = _two_lines(words, fm.horizontalAdvance)
        size.setWidth(max(fm.horizontalAdvance(line) for line in lines) + padding)
        size.setHeight(max(size.height(), size.height() + fm.lineSpacing() * (len(lines) - 1)))
        return size


def _two_lines(words: list[str], width) -> list[str]:
    """The split of ``words`` into two lines whose longer line is the shortest."""
    best = [" ".join(words)]
    for cut in range(1, len(words)):
        lines = [" ".join(words[:cut]), " ".join(words[cut:])]
        if max(map(width, lines)) < max(map(width, best)):
            best = lines
    return best


def use_wrapping_header(view: QTableView) -> WrappingHeader:
    """Replace the view's horizontal header by a :class:`WrappingHeader`, keeping sorting."""
    old = view.horizontalHeader()
    if isinstance(old, WrappingHeader):
        return old
    column, order = old.sortIndicatorSection(), old.sortIndicatorOrder()
    shown, highlight = old.isSortIndicatorShown(), old.highlightSections()
    sizes = [old.sectionSize(c) for c in range(old.count())]
    sorting = view.isSortingEnabled()
    header = WrappingHeader(view)
    header.setSectionsClickable(True)
    header.setHighlightSections(highlight)
    view.setHorizontalHeader(header)  # the view deletes the old header
    for c, size in enumerate(sizes):
        header.resizeSection(c, size)
    view.setSortingEnabled(sorting)
    if column >= 0:
        header.setSortIndicator(column, order)
    header.setSortIndicatorShown(sorting or shown)
    return header


class _ElidedTips(QObject):
    """Shows a cell's whole text as its tooltip when the cell is too narrow for it."""

    def __init__(self, view: QAbstractItemView) -> None:
        super().__init__(view)
        self.view = view
        view.viewport().installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt API
        if event.type() != QEvent.Type.ToolTip:
            return False
        index = self.view.indexAt(event.pos())
        if not index.isValid() or index.data(Qt.ItemDataRole.ToolTipRole):
            return False  # the model's own tooltip wins
        text = index.data(Qt.ItemDataRole.DisplayRole)
        if text is None:
            return False
        text = str(text)
        room = self.view.visualRect(index).width() - 8
        if self.view.fontMetrics().horizontalAdvance(text) <= room:
            QToolTip.hideText()
            return True
        QToolTip.showText(event.globalPos(), text, self.view.viewport())
        return True


def fit_width(view: QAbstractItemView, elastic: Iterable[int], minimum: int = 48, *,
              content_sized: bool = True) -> None:
    """Content-sized columns (or, ``content_sized`` False, the widths already set: a long
    table whose every row would be measured); the ``elastic`` ones take the rest of the
    width and elide."""
    header: QHeaderView = use_wrapping_header(view)
    header.setStretchLastSection(False)
    header.setMinimumSectionSize(minimum)
    if content_sized:
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    for column in elastic:
        header.setSectionResizeMode(column, QHeaderView.ResizeMode.Stretch)
    view.setTextElideMode(Qt.TextElideMode.ElideRight)
    view.setHorizontalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
    view._elided_tips = _ElidedTips(view)  # kept with the view


class ColumnChooser(QObject):
    """Header context menu to show or hide columns; ``hidden_by_default`` until the user chooses."""

    def __init__(self, view: QAbstractItemView, titles: Sequence[str], hidden_by_default: Iterable[int] = ()) -> None:
        super().__init__(view)
        self.view = view
        self.titles = list(titles)
        self.key = f"columns/{view.objectName() or type(view).__name__}/hidden"
        stored = QSettings().value(self.key)
        if stored is None:
            hidden = set(hidden_by_default)
        else:
            items = stored if isinstance(stored, list) else [stored]
            hidden = {int(x) for x in items if str(x).strip().isdigit()}
        self._apply(hidden)
        header = view.horizontalHeader()
        header.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        header.customContextMenuRequested.connect(self._menu)
        header.setToolTip(self.tr("右键点击表头可选择显示的列"))

    def hidden(self) -> set[int]:
        return {c for c in range(len(self.titles)) if self.view.isColumnHidden(c)}

    def set_visible(self, column: int, visible: bool) -> None:
        hidden = self.hidden()
        if visible:
            hidden.discard(column)
        elif len(hidden) < len(self.titles) - 1:  # at least one column stays
            hidden.add(column)
        self._apply(hidden)
        QSettings().setValue(self.key, [str(c) for c in sorted(hidden)])

    def _apply(self, hidden: set[int]) -> None:
        for column in range(len(self.titles)):
            self.view.setColumnHidden(column, column in hidden)

    def menu(self) -> QMenu:
        menu = QMenu(self.view)
        menu.addSection(self.tr("显示的列"))
        for column, title in enumerate(self.titles):
            action = menu.addAction(title)
            action.setCheckable(True)
            action.setChecked(not self.view.isColumnHidden(column))
            action.toggled.connect(lambda on, c=column: self.set_visible(c, on))
        return menu

    def _menu(self, pos) -> None:
        self.menu().exec(self.view.horizontalHeader().mapToGlobal(pos))


def fit_rows(view: QTableView, max_rows: int) -> None:
    """The view as tall as its header and rows, but never taller than ``max_rows`` rows: the
    rest scroll inside it, so a hospital with 40 batches still sees what comes below the
    table on a 1366×768 screen."""
    shown = min(view.model().rowCount() if view.model() is not None else 0, max_rows)
    rows = sum(view.rowHeight(r) for r in range(shown))
    header = view.horizontalHeader().height() if view.horizontalHeader().isVisible() else 0
    view.setFixedHeight(header + rows + 2 * view.frameWidth() + 2)
