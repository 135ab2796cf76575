"""Surplus retention page (R18 结余留用): the estimate per product and agreement year with
every input, the total, the selected generic names left out of the volume report, and an
Excel export. An estimate: the bureau decides the amount."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (QComboBox, QHBoxLayout, QLabel, QPushButton, QTableWidget,
                               QTableWidgetItem, QVBoxLayout, QWidget)

from ui.widgets.table_fit import fit_width
from ui.app_context import AppContext
from ui.pages.base import BasePage
from ui.widgets import common

ROLE_PRODUCT = Qt.ItemDataRole.UserRole


class RetentionPage(BasePage):
    page_name = "retention"
    topics = ("purchases", "products", "volumes", "settings")

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent)
        self.report = None
        self.last_export: str | None = None
        self.year = QComboBox(self)
        self.year.setObjectName("retentionYear")
        self.year.addItem(self.tr("全部协议年度"), None)
        for n in (1, 2, 3):
            self.year.addItem(self.tr("第 %1 协议年度").replace("%1", str(n)), n)
        self.year.currentIndexChanged.connect(lambda _i: self.refresh())
        self.export_button = QPushButton(self.tr("导出 Excel"), self)
        self.export_button.setObjectName("retentionExport")
        self.export_button.clicked.connect(self.export)
        self.total = QLabel(self)
        self.total.setObjectName("retentionTotal")
        self.total.setStyleSheet("font-weight: bold;")
        top = QHBoxLayout()
        top.addWidget(self.year)
        top.addWidget(self.total, 1)
        top.addWidget(self.export_button)
        self.note = QLabel(self.tr("估算值，以医保部门核定为准。节约金额 = (集采前单价 − 中选单价) × 报量与计入采购量中较小者；"
                                   "估算 = 节约金额 × 留用比例。双击一行查看产品。"), self)
        self.note.setWordWrap(True)
        self.note.setStyleSheet("color: #5f6368;")
        self.table = QTableWidget(0, 11, self)
        self.table.setObjectName("retentionTable")
        self.table.setHorizontalHeaderLabels([
            self.tr("产品"), self.tr("生产企业"), self.tr("协议年度"), self.tr("报量"), self.tr("计入采购量"),
            self.tr("集采前单价"), self.tr("单价来源"), self.tr("中选单价"), self.tr("节约金额"), self.tr("估算"),
            self.tr("说明")])
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        fit_width(self.table, (0, 1, 10))  # product, manufacturer, remark
        self.table.cellDoubleClicked.connect(self._open)
        self.left_out = QLabel(self)
        self.left_out.setObjectName("retentionLeftOut")
        self.left_out.setWordWrap(True)
        self.left_out.setStyleSheet("color: #c62828;")
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.note)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.left_out)

    def title(self) -> str:
        return self.tr("结余留用")

    def refresh(self) -> None:
        from hospital_app.services.retention import estimate_retention

        year, as_of = self.year.currentData(), self.ctx.as_of
        self.total.setText(self.tr("正在加载…"))
        self.ctx.query(lambda s: estimate_retention(s, as_of, year), self.show_report, parent=self)

    def show_report(self, report) -> None:
        self.report = report
        sources = {"history": self.tr("执行前 12 个月均价"), "reference": self.tr("参考价")}
        self.table.setRowCount(len(report.rows))
        for r, x in enumerate(report.rows):
            values = [" ".join(v for v in (x.generic_name, x.spec) if v), x.manufacturer or "", str(x.year),
                      f"{x.reported:,}", f"{x.counted:,}",
                      "—" if x.pre_vbp_unit_price is None else str(x.pre_vbp_unit_price),
                      sources.get(x.price_source or "", "—"),
                      "—" if x.selected_unit_price is None else str(x.selected_unit_price),
                      f"{x.saving:,}", f"{x.estimate:,}", self._note(x)]
            for c, v in enumerate(values):
                item = QTableWidgetItem(v)
                item.setData(ROLE_PRODUCT, int(x.product_id))
                if 2 <= c <= 9 and c != 6:
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                self.table.setItem(r, c, item)
        self.total.setText(self.tr("估算合计：%1 元（留用比例 %2）").replace("%1", f"{report.total:,}")
                           .replace("%2", f"{report.rate:.0%}"))
        if report.left_out:
            names = "、".join(f"{x.generic_name}{' ' + x.spec if x.spec else ''}" for x in report.left_out[:20])
            self.left_out.setText(self.tr("提醒：以下中选品种在基线年度有采购但未报量，不能获得结余留用：%1")
                                  .replace("%1", names))
        else:
            self.left_out.setText("")

    def _note(self, x) -> str:
        """The reason in the UI's language (the service's text is in the core's language)."""
        if x.reported <= 0:
            return self.tr("未报量：不予拨付结余留用资金")
        if x.pre_vbp_unit_price is None:
            return self.tr("缺少集采前价格")
        if x.selected_unit_price is None:
            return self.tr("缺少中选价格")
        if x.saving <= 0:
            return self.tr("集采前价格不高于中选价格，无结余")
        return self.tr("估算值") if x.price_source == "history" else self.tr("估算值（集采前价格为参考价）")

    def _open(self, row: int, _col: int) -> None:
        item = self.table.item(row, 0)
        if item is not None:
            self.ctx.events.open_product.emit(int(item.data(ROLE_PRODUCT)))

    def export(self) -> None:
        from hospital_app.services.retention import export_retention

        path = common.choose_save_file(self, self.tr("导出结余留用估算"), "结余留用估算.xlsx", "Excel (*.xlsx)")
        if not path:
            return
        year, as_of = self.year.currentData(), self.ctx.as_of
        self.ctx.query(lambda s: export_retention(s, path, as_of, year), self._exported, parent=self)

    def _exported(self, result: dict) -> None:
        self.last_export = result["path"]
        self.ctx.events.status_message.emit(self.tr("已导出：%1").replace("%1", result["path"]))
