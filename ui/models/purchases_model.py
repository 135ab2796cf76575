"""A lazy table model over purchase lines (Anki's browser: row ids, rows on demand).

Opening the page costs one COUNT and the first page of ids and rows (a few ms on
500 000 purchases); the full ordered id list follows in the background, and rows are
fetched in blocks as the view asks for them. Nothing here touches SQL: the model
calls ``hospital_app.services.purchases_query`` through the AppContext worker.
"""

from __future__ import annotations

from collections import OrderedDict
from decimal import Decimal
from typing import Any

from PySide6.QtCore import (QT_TRANSLATE_NOOP, QAbstractTableModel, QCoreApplication, QModelIndex, QObject,
                            Qt, QTimer, Signal)
from PySide6.QtGui import QBrush, QColor

from ui.app_context import AppContext
from ui.status_style import suspension_marker

BLOCK = 200            # rows fetched per request
FIRST_PAGE = 200       # ids fetched with the count, before the full list
MAX_CACHED_ROWS = 20_000
LOADING = "…"

# (key, header, sort key or None)
COLUMNS: tuple[tuple[str, str, str | None], ...] = (
    ("purchase_date", QT_TRANSLATE_NOOP("PurchasesModel", "日期"), "purchase_date"),
    ("order_no", QT_TRANSLATE_NOOP("PurchasesModel", "订单号"), "order_no"),
    ("product_code", QT_TRANSLATE_NOOP("PurchasesModel", "产品编码"), None),
    ("generic_name", QT_TRANSLATE_NOOP("PurchasesModel", "通用名"), None),
    ("spec", QT_TRANSLATE_NOOP("PurchasesModel", "规格"), None),
    ("manufacturer", QT_TRANSLATE_NOOP("PurchasesModel", "生产企业"), None),
    ("selected", QT_TRANSLATE_NOOP("PurchasesModel", "中选"), None),
    ("quantity", QT_TRANSLATE_NOOP("PurchasesModel", "数量"), "quantity"),
    ("base_unit", QT_TRANSLATE_NOOP("PurchasesModel", "单位"), None),
    ("unit_price", QT_TRANSLATE_NOOP("PurchasesModel", "单价（元）"), "unit_price"),
    ("amount", QT_TRANSLATE_NOOP("PurchasesModel", "金额（元）"), "amount"),
    ("distributor", QT_TRANSLATE_NOOP("PurchasesModel", "配送企业"), None),
    ("source", QT_TRANSLATE_NOOP("PurchasesModel", "来源"), None),
)
NUMERIC = {"quantity", "unit_price", "amount"}


def _header(text: str) -> str:
    return QCoreApplication.translate("PurchasesModel", text)


class PurchasesModel(QAbstractTableModel):
    """Rows are purchase ids; cell values come from a bounded cache filled block by block."""

    loaded = Signal(int)  # total rows after a (re)load

    def __init__(self, ctx: AppContext, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.filters = None
        self.order, self.descending = "purchase_date", True
        self._total = 0
        self._ids: list[int] = []
        self._rows: OrderedDict[int, Any] = OrderedDict()
        self._generation = 0
        self._wanted: set[int] = set()      # block numbers asked for by the view
        self._in_flight: set[int] = set()
        self._flush = QTimer(self)
        self._flush.setSingleShot(True)
        self._flush.setInterval(0)
        self._flush.timeout.connect(self._request_blocks)
        self.complete = False  # the full id list has arrived

    # ---- loading
    def reload(self, filters=None, order: str | None = None, descending: bool | None = None) -> None:
        from hospital_app.services import purchases_query as q

        if filters is not None:
            self.filters = filters
        if order is not None:
            self.order = order
        if descending is not None:
            self.descending = descending
        self._generation += 1
        generation, flt = self._generation, self.filters or q.PurchaseFilters()
        order_key, desc = self.order, self.descending

        def first(session):
            total = q.count_purchases(session, flt)
            ids = q.purchase_ids(session, flt, order_key, desc, limit=FIRST_PAGE)
            return total, ids, q.fetch_purchase_rows(session, ids)

        def first_done(result) -> None:
            if generation != self._generation:
                return  # a newer filter won
            total, ids, rows = result
            self.beginResetModel()
            self._total, self._ids = total, ids
            self._rows = OrderedDict(rows)
            self._wanted.clear()
            self._in_flight.clear()
            self.complete = len(ids) >= total
            self.endResetModel()
            self.loaded.emit(total)
            if not self.complete:
                self.ctx.query(lambda s: q.purchase_ids(s, flt, order_key, desc), all_done)

        def all_done(ids: list[int]) -> None:
            if generation != self._generation:
                return
            self._ids = ids
            self._total = len(ids)
            self.complete = True
            if self._wanted:
                self._flush.start()
            if self.rowCount():
                self.dataChanged.emit(self.index(0, 0), self.index(self.rowCount() - 1, self.columnCount() - 1))

        self.ctx.query(first, first_done)

    def _request_blocks(self) -> None:
        from hospital_app.services import purchases_query as q

        blocks = sorted(b for b in self._wanted if b not in self._in_flight and b * BLOCK < len(self._ids))
        self._wanted -= set(blocks)
        for block in blocks:
            ids = self._ids[block * BLOCK:(block + 1) * BLOCK]
            if not ids:
                continue
            self._in_flight.add(block)
            generation = self._generation

            def done(rows, block=block, generation=generation) -> None:
                self._in_flight.discard(block)
                if generation != self._generation:
                    return
                self._store(rows)
                first = block * BLOCK
                last = min(first + BLOCK, self._total) - 1
                self.dataChanged.emit(self.index(first, 0), self.index(last, self.columnCount() - 1))

            self.ctx.query(lambda s, ids=ids: q.fetch_purchase_rows(s, ids), done)

    def _store(self, rows: dict) -> None:
        self._rows.update(rows)
        while len(self._rows) > MAX_CACHED_ROWS:
            self._rows.popitem(last=False)

    def row_at(self, row: int):
        """The PurchaseRow at ``row`` if loaded, else None (and a fetch is requested)."""
        if row >= len(self._ids):
            self._want(row)
            return None
        record = self._rows.get(self._ids[row])
        if record is None:
            self._want(row)
        return record

    def _want(self, row: int) -> None:
        self._wanted.add(row // BLOCK)
        if not self._flush.isActive():
            self._flush.start()

    def ids_for_rows(self, rows: list[int]) -> list[int]:
        return [self._ids[r] for r in rows if r < len(self._ids)]

    def cached(self, purchase_id: int):
        return self._rows.get(purchase_id)

    # ---- Qt model API
    def rowCount(self, parent: QModelIndex = QModelIndex()) -> int:  # noqa: N802, B008
        return 0 if parent.isValid() else self._total

    def columnCount(self, parent: QModelIndex = QModelIndex()) -> int:  # noqa: N802, B008
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation,  # noqa: N802
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role == Qt.ItemDataRole.DisplayRole:
            if orientation == Qt.Orientation.Horizontal:
                return _header(COLUMNS[section][1])
            return str(section + 1)
        return None

    def data(self, index: QModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        key = COLUMNS[index.column()][0]
        if role == Qt.ItemDataRole.TextAlignmentRole:
            if key in NUMERIC:
                return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            return None
        if role not in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ForegroundRole,
                        Qt.ItemDataRole.ToolTipRole):
            return None
        record = self.row_at(index.row())
        if record is None:
            return LOADING if role == Qt.ItemDataRole.DisplayRole else None
        marker = suspension_marker(record.product_suspended_on, self.ctx.as_of) if key == "generic_name" else ""
        if role == Qt.ItemDataRole.ForegroundRole:
            return QBrush(QColor("#b3261e")) if record.is_return or record.quantity < 0 or marker else None
        if role == Qt.ItemDataRole.ToolTipRole:
            if key == "source" and record.source_file:
                return f"{record.source_file}:{record.source_row or ''}"
            if marker:
                return self.tr("该产品自 %1 起暂停使用").replace("%1", record.product_suspended_on.isoformat())
            return None
        return marker + cell_text(record, key)

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        sort_key = COLUMNS[column][2]
        if sort_key is None:
            return
        self.reload(order=sort_key, descending=order == Qt.SortOrder.DescendingOrder)


def cell_text(record, key: str) -> str:
    """How a cell reads on screen and in the clipboard (money with two places, no floats)."""
    if key == "purchase_date":
        return record.purchase_date.isoformat()
    if key == "selected":
        return (QCoreApplication.translate("PurchasesModel", "是") if record.selected
                else QCoreApplication.translate("PurchasesModel", "否"))
    if key == "quantity":
        return str(record.quantity)
    if key in ("unit_price", "amount"):
        value = getattr(record, key)
        if value is None:
            return ""
        places = Decimal("0.0001") if key == "unit_price" else Decimal("0.01")
        return str(Decimal(value).quantize(places))
    if key == "order_no":
        return f"{record.order_no}#{record.line_no}" if record.order_no and record.line_no else (record.order_no or "")
    if key == "source":
        if not record.source_file:
            return ""
        name = record.source_file.replace("\\", "/").rsplit("/", 1)[-1]
        return f"{name}:{record.source_row}" if record.source_row else name
    value = getattr(record, key)
    return "" if value is None else str(value)
