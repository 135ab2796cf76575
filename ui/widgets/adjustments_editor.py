"""Editors for the assessment adjustments (R10, R11): exemptions, substitute
mappings and product marks. Deleting asks first and can be undone at once.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (QAbstractItemView, QCheckBox, QComboBox, QFormLayout, QGroupBox,
                               QHBoxLayout, QHeaderView, QLabel, QLineEdit, QPushButton, QTableWidget,
                               QTableWidgetItem, QVBoxLayout, QWidget)

from ui.widgets import common
from ui.widgets.common import UndoBar, fmt_date

ID_ROLE = Qt.ItemDataRole.UserRole + 1


def _table(parent: QWidget, name: str, headers: list[str]) -> QTableWidget:
    table = QTableWidget(0, len(headers), parent)
    table.setObjectName(name)
    table.setHorizontalHeaderLabels(headers)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    table.verticalHeader().hide()
    table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    table.horizontalHeader().setStretchLastSection(True)
    return table


class ProductPicker(QWidget):
    """A search box and a combo of matching products (ids in the item data)."""

    def __init__(self, ctx, parent: QWidget | None = None, selected_only: bool = True) -> None:
        super().__init__(parent)
        self.ctx, self.selected_only = ctx, selected_only
        self.choices: dict[int, object] = {}  # id → lookups.ProductChoice of the combo's items
        self.search = QLineEdit(self)
        self.search.setPlaceholderText(self.tr("搜索产品"))
        self.combo = QComboBox(self)
        self.combo.setMinimumWidth(260)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.search)
        layout.addWidget(self.combo, 1)
        self.search.textChanged.connect(self.load)

    def load(self, text: str = "") -> None:
        from hospital_app.services.lookups import search_products

        only = self.selected_only
        self.ctx.query(lambda s: search_products(s, text, limit=100, selected_only=only), self._fill, parent=self)

    def _fill(self, choices) -> None:
        self.combo.clear()
        self.choices = {c.id: c for c in choices}
        for c in choices:
            self.combo.addItem(c.label(), c.id)

    def product_id(self) -> int | None:
        value = self.combo.currentData()
        return None if value is None else int(value)

    def choice(self):
        """The chosen ``lookups.ProductChoice`` (None when nothing is chosen)."""
        pid = self.product_id()
        return None if pid is None else self.choices.get(pid)

    def select(self, product_id: int) -> bool:
        index = self.combo.findData(product_id)
        if index >= 0:
            self.combo.setCurrentIndex(index)
        return index >= 0


class AdjustmentsEditor(QWidget):
    def __init__(self, ctx, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.exemptions: list = []
        self.substitutes: list = []
        self.undo_bar = UndoBar(self)
        layout = QVBoxLayout(self)
        layout.addWidget(self.undo_bar)
        layout.addWidget(self._build_exemptions(), 1)
        layout.addWidget(self._build_substitutes(), 1)
        layout.addWidget(self._build_marks())

    # ---------------------------------------------------------------- exemptions
    def _build_exemptions(self) -> QWidget:
        from hospital_app.domain.monitoring import EXEMPTION_REASONS
        from hospital_app.services.documents import EXEMPTION_REASONS as LABELS
        from hospital_app.i18n import tr

        box = QGroupBox(self.tr("免考核产品"), self)
        self.exemption_table = _table(box, "exemptionTable", [
            self.tr("产品"), self.tr("原因"), self.tr("依据文件"), self.tr("起"), self.tr("止"), self.tr("登记人")])
        self.exemption_product = ProductPicker(self.ctx, box)
        self.exemption_reason = QComboBox(box)
        self.exemption_reason.setObjectName("exemptionReason")
        for key in EXEMPTION_REASONS:
            zh, en = LABELS.get(key, (key, key))
            self.exemption_reason.addItem(tr(zh, en), key)
        self.exemption_ref = QLineEdit(box)
        self.exemption_ref.setObjectName("exemptionRef")
        self.exemption_ref.setPlaceholderText(self.tr("依据文件文号（必填）"))
        add = QPushButton(self.tr("添加免考核"), box)
        add.setObjectName("addExemption")
        self.remove_exemption_button = QPushButton(self.tr("删除所选"), box)
        self.remove_exemption_button.setObjectName("removeExemption")
        form = QHBoxLayout()
        form.addWidget(self.exemption_product, 2)
        form.addWidget(self.exemption_reason)
        form.addWidget(self.exemption_ref, 1)
        form.addWidget(add)
        form.addWidget(self.remove_exemption_button)
        layout = QVBoxLayout(box)
        layout.addWidget(self.exemption_table, 1)
        layout.addLayout(form)
        add.clicked.connect(self.add_exemption)
        self.remove_exemption_button.clicked.connect(self.remove_exemption)
        return box

    def add_exemption(self) -> None:
        from hospital_app.services import management

        pid = self.exemption_product.product_id()
        reason, ref = self.exemption_reason.currentData(), self.exemption_ref.text()
        if pid is None:
            return
        self.ctx.change(lambda s: management.add_exemption(s, pid, reason, ref),
                        lambda _r: (self.exemption_ref.clear(), self.refresh()),
                        topics=("products",), parent=self)

    def remove_exemption(self) -> None:
        from hospital_app.services import management

        row = self.exemption_table.currentRow()
        if not 0 <= row < len(self.exemptions):
            return
        e = self.exemptions[row]
        if not common.ask(self, self.tr("删除免考核"), self.tr("确定删除“%1”的免考核记录吗？")
                          .replace("%1", e.product)):
            return

        def undo() -> None:
            self.ctx.change(lambda s: management.add_exemption(s, e.product_id, e.reason, e.document_ref, e.note,
                                                               e.start, e.end),
                            lambda _r: self.refresh(), topics=("products",), parent=self)

        self.ctx.change(lambda s: management.remove_exemption(s, e.id),
                        lambda _r: (self.undo_bar.offer(self.tr("已删除免考核记录。"), undo), self.refresh()),
                        topics=("products",), parent=self)

    # --------------------------------------------------------------- substitutes
    def _build_substitutes(self) -> QWidget:
        box = QGroupBox(self.tr("可替代药品对应关系"), self)
        self.substitute_table = _table(box, "substituteTable", [
            self.tr("中选药品通用名"), self.tr("可替代药品通用名"), self.tr("备注"), self.tr("登记人")])
        self.selected_generic = QLineEdit(box)
        self.selected_generic.setObjectName("selectedGeneric")
        self.selected_generic.setPlaceholderText(self.tr("中选药品通用名"))
        self.substitute_generic = QLineEdit(box)
        self.substitute_generic.setObjectName("substituteGeneric")
        self.substitute_generic.setPlaceholderText(self.tr("可替代药品通用名"))
        add = QPushButton(self.tr("添加对应关系"), box)
        add.setObjectName("addSubstitute")
        self.remove_substitute_button = QPushButton(self.tr("删除所选"), box)
        self.remove_substitute_button.setObjectName("removeSubstitute")
        form = QHBoxLayout()
        form.addWidget(self.selected_generic, 1)
        form.addWidget(self.substitute_generic, 1)
        form.addWidget(add)
        form.addWidget(self.remove_substitute_button)
        layout = QVBoxLayout(box)
        layout.addWidget(self.substitute_table, 1)
        layout.addLayout(form)
        add.clicked.connect(self.add_substitute)
        self.remove_substitute_button.clicked.connect(self.remove_substitute)
        return box

    def add_substitute(self) -> None:
        from hospital_app.services import management

        sel, sub = self.selected_generic.text(), self.substitute_generic.text()
        self.ctx.change(lambda s: management.add_substitute(s, sel, sub),
                        lambda _r: (self.substitute_generic.clear(), self.refresh()),
                        topics=("products",), parent=self)

    def remove_substitute(self) -> None:
        """Delete a mapping — asks first; undo re-creates it."""
        from hospital_app.services import management

        row = self.substitute_table.currentRow()
        if not 0 <= row < len(self.substitutes):
            return
        m = self.substitutes[row]
        if not common.ask(self, self.tr("删除对应关系"), self.tr("确定删除“%1 → %2”的可替代关系吗？")
                          .replace("%1", m.selected_generic).replace("%2", m.substitute_generic)):
            return

        def undo() -> None:
            self.ctx.change(lambda s: management.add_substitute(s, m.selected_generic, m.substitute_generic, m.note),
                            lambda _r: self.refresh(), topics=("products",), parent=self)

        self.ctx.change(lambda s: management.remove_substitute(s, m.id),
                        lambda _r: (self.undo_bar.offer(self.tr("已删除对应关系。"), undo), self.refresh()),
                        topics=("products",), parent=self)

    # --------------------------------------------------------------------- marks
    def _build_marks(self) -> QWidget:
        from hospital_app.services.management import mark_label

        box = QGroupBox(self.tr("产品标记"), self)
        self.mark_product = ProductPicker(self.ctx, box, selected_only=False)
        self.mark_boxes: dict[str, QCheckBox] = {}
        row = QHBoxLayout()
        for mark in ("shortage", "emergency", "cheaper_equal_quality", "key_monitoring"):
            cb = QCheckBox(mark_label(mark), box)
            cb.setObjectName(f"mark_{mark}")
            cb.setEnabled(False)
            cb.clicked.connect(lambda checked, m=mark: self.set_mark(m, checked))
            self.mark_boxes[mark] = cb
            row.addWidget(cb)
        row.addStretch(1)
        cheaper = self.tr("价格低于中选价格且质量相同的非中选产品或可替代产品：其采购不计入考核"
                          "（不计入完成进度、非中选占比和可替代药品的统计）。只能标记在非中选产品上。")
        self.mark_boxes["cheaper_equal_quality"].setToolTip(cheaper)
        self.mark_help = QLabel(cheaper, box)
        self.mark_help.setObjectName("markHelp")
        self.mark_help.setWordWrap(True)
        self.mark_help.setStyleSheet("color: #5f6368;")
        form = QFormLayout(box)
        form.addRow(self.tr("产品"), self.mark_product)
        form.addRow(self.tr("标记"), row)
        form.addRow("", self.mark_help)
        self.mark_product.combo.currentIndexChanged.connect(lambda _i: self._load_marks())
        return box

    def _load_marks(self) -> None:
        from hospital_app.services.lookups import product_marks

        pid = self.mark_product.product_id()
        if pid is None:
            for cb in self.mark_boxes.values():
                cb.setEnabled(False)
            return
        self.ctx.query(lambda s: product_marks(s, pid), self._show_marks, parent=self)

    def _show_marks(self, marks: dict) -> None:
        """R11 v2: 价低且同等质量 concerns non-selected and substitute products only; on a selected
        product it is offered only to clear a mark set earlier."""
        choice = self.mark_product.choice()
        selected = bool(choice is not None and choice.selected)
        for mark, cb in self.mark_boxes.items():
            cb.setChecked(bool(marks.get(mark)))
            cb.setEnabled(not (mark == "cheaper_equal_quality" and selected and not cb.isChecked()))

    def set_mark(self, mark: str, on: bool) -> None:
        from hospital_app.services import management

        pid = self.mark_product.product_id()
        if pid is None:
            return
        self.ctx.change(lambda s: management.set_mark(s, pid, mark, on), self._show_marks,
                        topics=("products",), parent=self)

    # ------------------------------------------------------------------- loading
    def refresh(self) -> None:
        from hospital_app.services import management

        self.ctx.query(lambda s: (management.list_exemptions(s), management.list_substitutes(s)), self._show,
                       parent=self)
        if self.exemption_product.combo.count() == 0:
            self.exemption_product.load()
            self.mark_product.load()

    def _show(self, result) -> None:
        self.exemptions, self.substitutes = result
        self.exemption_table.setRowCount(len(self.exemptions))
        for r, e in enumerate(self.exemptions):
            for c, text in enumerate((e.product, e.reason_label, e.document_ref or "", fmt_date(e.start),
                                      fmt_date(e.end), e.created_by or "")):
                self.exemption_table.setItem(r, c, QTableWidgetItem(text))
        self.substitute_table.setRowCount(len(self.substitutes))
        for r, m in enumerate(self.substitutes):
            for c, text in enumerate((m.selected_generic, m.substitute_generic, m.note or "", m.created_by or "")):
                self.substitute_table.setItem(r, c, QTableWidgetItem(text))
