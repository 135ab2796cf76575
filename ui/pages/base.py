"""The base of every page in the main window's stack."""

from __future__ import annotations

from typing import ClassVar

from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from ui.app_context import AppContext


class BasePage(QWidget):
    """A page: a ``page_name`` (the ``--page`` name), a ``title()`` and ``refresh()``.

    Pages load their data through ``ctx.query`` / ``ctx.change`` (the background worker)
    and refresh when a topic they show changes. A hidden page only notes that it is
    stale and refreshes when it is shown again (no work for pages nobody looks at).
    """

    page_name: ClassVar[str] = ""
    #: data_changed topics that make this page stale ("all" always does).
    topics: ClassVar[tuple[str, ...]] = ()

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.setObjectName(f"page_{self.page_name}")
        self._stale = True
        ctx.events.data_changed.connect(self._on_data_changed)

    def title(self) -> str:
        return self.page_name

    def refresh(self) -> None:
        """Reload what the page shows (through the worker)."""

    def ensure_fresh(self) -> None:
        """Called by the main window when the page becomes visible."""
        if self._stale:
            self._stale = False
            self.refresh()

    def mark_stale(self) -> None:
        self._stale = True

    def _on_data_changed(self, topic: str) -> None:
        if topic == "all" or topic in self.topics:
            self._stale = True
            if self.isVisible():
                self.ensure_fresh()


class PlaceholderPage(BasePage):
    """A page that another change fills in; shows one line of explanation."""

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent)
        layout = QVBoxLayout(self)
        self.message = QLabel(self.tr("此页面正在建设中。"), self)
        self.message.setWordWrap(True)
        layout.addWidget(self.message)
        layout.addStretch(1)
