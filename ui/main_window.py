"""The main window: a navigation side bar, a stack of pages, a status bar.

Pages are built the first time they are shown, so start-up only pays for the
dashboard. Each page sits in a scroll area, so the window fits a 1366×768 screen (and
1280×720 at 125 %) whatever a page needs: the window's minimum size is that of the side
bar, and a page larger than the space left scrolls. The first start opens on the screen's
available geometry; later starts restore the remembered geometry (QSettings, saveGeometry
bytes, no pickles). Dropping a spreadsheet on the window opens the import wizard with the
kind guessed from its header row (hospital_app/importers/kind_guess.py).

To add a page: one line in ``PAGES`` and its title in ``MainWindow._titles``.
"""

from __future__ import annotations

import importlib
from pathlib import Path

from PySide6.QtCore import QEvent, QSettings, QSize, Qt
from PySide6.QtGui import QCloseEvent, QDragEnterEvent, QDropEvent, QIcon
from PySide6.QtWidgets import (QApplication, QFrame, QHBoxLayout, QLabel, QListWidget, QListWidgetItem,
                               QMainWindow, QScrollArea, QStackedWidget, QWidget)

from ui.app_context import AppContext
from ui.pages.base import BasePage

#: (page name, module, class) in side-bar order; the names are those of ``gui --page``.
PAGES: tuple[tuple[str, str, str], ...] = (
    ("dashboard", "ui.pages.dashboard", "DashboardPage"),
    ("today", "ui.pages.today", "TodayPage"),
    ("products", "ui.pages.products", "ProductsPage"),
    ("purchases", "ui.pages.purchases", "PurchasesPage"),
    ("issues", "ui.pages.issues", "IssuesPage"),
    ("payments", "ui.pages.payments", "PaymentsPage"),
    ("volumes", "ui.pages.volumes", "VolumesPage"),
    ("suppliers", "ui.pages.suppliers", "SuppliersPage"),
    ("retention", "ui.pages.retention", "RetentionPage"),
    ("departments", "ui.pages.departments", "DepartmentsPage"),  # R21
    ("reports", "ui.pages.reports", "ReportsPage"),
    ("settings", "ui.pages.settings", "SettingsPage"),
)
PAGE_NAMES = tuple(name for name, _m, _c in PAGES)
IMPORTABLE_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".csv")
#: The smallest window: fits 1366×768 minus a task bar, and 1280×720 at 125 % (1024×576 logical).
MINIMUM_SIZE = QSize(960, 560)
#: The size when the screen is unknown (tests, offscreen); a screenshot is taken at this size.
DEFAULT_SIZE = QSize(1366, 768)


class _PageHolder(QWidget):
    """Holds a page in its scroll area and fills the viewport with it; scrolls only below the page's
    *minimum* size. (With a word-wrapped label on a page, QScrollArea would otherwise ask for the page's
    preferred height for the width and scroll a dashboard that fits 1366×768.)"""

    def __init__(self, page: QWidget) -> None:
        super().__init__()
        self.page = page
        page.setParent(self)
        page.installEventFilter(self)

    def eventFilter(self, watched, event) -> bool:  # noqa: N802 - Qt API
        if watched is self.page and event.type() == QEvent.Type.LayoutRequest:
            self.updateGeometry()  # the page's minimum may have changed: the scroll area re-measures
        return False

    def minimumSizeHint(self) -> QSize:  # noqa: N802 - Qt API
        return self.page.minimumSizeHint().expandedTo(self.page.minimumSize())

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt API
        return self.minimumSizeHint()

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt API
        self.page.setGeometry(0, 0, self.width(), self.height())
        super().resizeEvent(event)


class MainWindow(QMainWindow):
    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.setObjectName("mainWindow")
        self.setWindowTitle(self.tr("集采执行助手"))
        self.setAcceptDrops(True)
        self._pages: dict[str, BasePage] = {}
        self._load_on_nav = True

        central = QWidget(self)
        layout = QHBoxLayout(central)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        self.nav = QListWidget(central)
        self.nav.setObjectName("navigation")
        self.nav.setFixedWidth(150)
        self.nav.setIconSize(QSize(20, 20))
        self.nav.setStyleSheet(
            "QListWidget#navigation { background: #f3f5f8; border: none; border-right: 1px solid #d9dde3;"
            " font-size: 14px; padding-top: 8px; outline: none; }"
            "QListWidget#navigation::item { padding: 10px 14px; border: none; outline: none; }"
            "QListWidget#navigation::item:selected { background: #2f6fb3; color: white; }")
        self.stack = QStackedWidget(central)
        self._lock_note = QLabel(self.tr("此数据库为多用户共享模式，请先登录。"), central)
        self._lock_note.setObjectName("lockNote")
        self._lock_note.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self._lock_note.setStyleSheet("color: #5f6368; font-size: 15px;")
        self._lock_note.hide()
        self.locked = False
        layout.addWidget(self.nav)
        layout.addWidget(self.stack, 1)
        layout.addWidget(self._lock_note, 1)
        self.setCentralWidget(central)

        titles = self._titles()
        for name, _module, _cls in PAGES:
            item = QListWidgetItem(titles[name], self.nav)
            item.setData(Qt.ItemDataRole.UserRole, name)
            self.stack.addWidget(self._scroller(QWidget()))  # an empty page until first shown
        self.nav.currentRowChanged.connect(self._on_nav)

        self._db_label = QLabel(self)
        self._as_of_label = QLabel(self)
        self._user_label = QLabel(self)
        self._user_label.setObjectName("userLabel")
        self._user_label.hide()
        self.statusBar().addPermanentWidget(self._user_label)
        self.statusBar().addPermanentWidget(self._db_label)
        self.statusBar().addPermanentWidget(self._as_of_label)
        from hospital_app.secrets import mask_url  # never a password on screen (issue 23 §5)

        self._db_label.setText(self.tr("数据库：%1").replace("%1", mask_url(ctx.db_location)))
        self._as_of_label.setText(self.tr("计算日期：%1").replace("%1", ctx.as_of.isoformat()))
        ctx.events.status_message.connect(lambda text: self.statusBar().showMessage(text, 8000))
        ctx.events.open_product.connect(self._open_product)
        ctx.events.open_issue.connect(self._open_issue)
        ctx.events.print_escalation.connect(self._print_escalation)
        ctx.events.open_page.connect(self._open_page)
        ctx.events.import_file.connect(lambda path, kind: self.open_import_wizard(path, kind or None))

        self.setMinimumSize(MINIMUM_SIZE)
        self._restore_geometry()

    def _scroller(self, page: QWidget) -> QScrollArea:
        """A page in a frameless scroll area: it grows with the window and scrolls when the
        window is smaller than the page's minimum size."""
        area = QScrollArea(self.stack)
        area.setFrameShape(QFrame.Shape.NoFrame)
        area.setWidgetResizable(True)
        area.setWidget(_PageHolder(page))
        return area

    def set_waiting(self, waiting: bool) -> None:
        """While the database opens (and the user logs in) no page can be opened."""
        self.nav.setEnabled(not waiting)
        if waiting:
            self.statusBar().showMessage(self.tr("正在打开数据库…"))
        else:
            self.statusBar().clearMessage()

    def set_locked(self, locked: bool) -> None:
        """A shared database found after the window was shown: until the log-in, no page and
        no navigation (the pages' data is hidden); afterwards every page reloads on showing."""
        self.locked = locked
        self.nav.setEnabled(not locked)
        self.stack.setVisible(not locked)
        self._lock_note.setVisible(locked)
        for page in self._pages.values():
            page.mark_stale()
        if not locked:
            current = self.current_page()
            if current is not None:
                current.ensure_fresh()

    def show_user(self) -> None:
        """The status bar names who is working: the logged-in user and role (shared mode),
        else the OS user name."""
        from ui.session_start import user_text

        self._user_label.setText(user_text(self.ctx.user))
        self._user_label.show()

    def _titles(self) -> dict[str, str]:
        return {
            "dashboard": self.tr("总览"),
            "today": self.tr("今日待办"),
            "products": self.tr("产品进度"),
            "purchases": self.tr("采购明细"),
            "issues": self.tr("供应问题"),
            "payments": self.tr("货款结算"),
            "volumes": self.tr("报量核对"),
            "suppliers": self.tr("供应企业"),
            "retention": self.tr("结余留用"),
            "departments": self.tr("科室"),
            "reports": self.tr("报告"),
            "settings": self.tr("设置"),
        }

    # ---- pages
    def page(self, name: str) -> BasePage:
        """The page called ``name``, built on first use."""
        if name not in self._pages:
            index = PAGE_NAMES.index(name)
            _name, module_name, cls_name = PAGES[index]
            cls = getattr(importlib.import_module(module_name), cls_name)
            page = cls(self.ctx)
            old = self.stack.widget(index)
            self.stack.removeWidget(old)
            old.deleteLater()
            self.stack.insertWidget(index, self._scroller(page))
            self._pages[name] = page
        return self._pages[name]

    def show_page(self, name: str, *, load: bool = True) -> BasePage:
        """Switch to a page by its ``--page`` name (builds and refreshes it if needed).

        ``load`` False: only build and show it (its loading state); the caller calls
        ``ensure_fresh()`` later (start-up: once the window is on screen)."""
        index = PAGE_NAMES.index(name)
        self._load_on_nav = load
        try:
            if self.nav.currentRow() != index:
                self.nav.setCurrentRow(index)  # → _on_nav
            else:
                self._on_nav(index)
        finally:
            self._load_on_nav = True
        return self._pages[name]

    def current_page(self) -> BasePage | None:
        row = self.stack.currentIndex()
        return self._pages.get(PAGE_NAMES[row]) if 0 <= row < len(PAGE_NAMES) else None

    def _on_nav(self, row: int) -> None:
        if row < 0:
            return
        name = PAGE_NAMES[row]
        page = self.page(name)
        self.stack.setCurrentIndex(row)
        self.setWindowTitle(self.tr("集采执行助手") + " — " + page.title())
        if self._load_on_nav:
            page.ensure_fresh()

    def _open_product(self, product_id: int) -> None:
        page = self.show_page("products")
        select = getattr(page, "select_product", None)
        if select is not None:
            select(product_id)

    def _open_issue(self, issue_id: int) -> bool:
        page = self.show_page("issues")
        select = getattr(page, "select_issue", None)
        return bool(select(issue_id)) if select is not None else False

    def _print_escalation(self, issue_id: int) -> None:
        """今日待办 "打印上报函": the issue is shown on the issues page and its letter printed (R3)."""
        if self._open_issue(issue_id):
            self.current_page().print_document("escalation")

    def _open_page(self, name: str) -> None:
        if name in PAGE_NAMES:
            self.show_page(name)
        else:
            self.statusBar().showMessage(self.tr("该页面在此版本中不可用。"), 8000)

    # ---- import wizard and drag and drop
    def open_import_wizard(self, path: str | None = None, kind: str | None = None):
        from ui.import_wizard import ImportWizard

        wizard = ImportWizard(self.ctx, self, path=path, kind=kind)
        wizard.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        wizard.open()
        return wizard

    @staticmethod
    def _dropped_file(event) -> str | None:
        mime = event.mimeData()
        if not mime.hasUrls():
            return None
        for url in mime.urls():
            if url.isLocalFile() and Path(url.toLocalFile()).suffix.lower() in IMPORTABLE_SUFFIXES:
                return url.toLocalFile()
        return None

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802 - Qt API
        if self._dropped_file(event):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802 - Qt API
        path = self._dropped_file(event)
        if path:
            event.acceptProposedAction()
            self.import_dropped(path)

    def import_dropped(self, path: str) -> None:
        """Guess the kind from the header row (file I/O: on the worker), then open the wizard."""
        from hospital_app.importers.kind_guess import guess_file_kind

        self.ctx.run(lambda: guess_file_kind(path) or "",
                     lambda kind: self.ctx.events.import_file.emit(path, kind),
                     lambda _exc: self.ctx.events.import_file.emit(path, ""),  # the wizard says what is wrong
                     parent=self)

    # ---- geometry
    def _restore_geometry(self) -> None:
        """The remembered geometry, else the screen's available geometry (maximised), else 1366×768."""
        geometry = QSettings().value("main_window/geometry")
        if geometry and self.restoreGeometry(geometry):
            return
        self.resize(DEFAULT_SIZE)
        screen = QApplication.primaryScreen()
        if screen is not None and QApplication.platformName() not in ("offscreen", "minimal"):
            available = screen.availableGeometry()
            self.resize(available.size().boundedTo(QSize(1920, 1200)).expandedTo(MINIMUM_SIZE))
            self.setWindowState(self.windowState() | Qt.WindowState.WindowMaximized)

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt API
        QSettings().setValue("main_window/geometry", self.saveGeometry())
        super().closeEvent(event)


def app_icon() -> QIcon:
    from hospital_app.paths import resource_path

    icon = QIcon()
    for name in ("app.svg", "app-256.png", "app-64.png"):
        path = resource_path("icons", name)
        if path.exists():
            icon.addFile(str(path))
    return icon
