"""The base of every page in the main window's stack."""

from __future__ import annotations

from typing import ClassVar

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QWidget

from hospital_app.services.changes import Changes

from ui.app_context import AppContext


class BasePage(QWidget):
    """A page: a ``page_name`` (the ``--page`` name), a ``title()`` and ``refresh()``.

    Pages load their data through ``ctx.query`` / ``ctx.change`` (the background worker)
    and refresh when a change touches a topic they show (``topics``; the ``Changes`` the
    core found in the SQL of the change, see hospital_app/services/changes.py). A hidden page only notes that it is
    stale and refreshes when it is shown again (no work for pages nobody looks at).
    """

    #: Emitted when the page shows the data it loaded (``gui --smoke`` "ready": figures shown).
    ready = Signal()

    page_name: ClassVar[str] = ""
    #: The topics this page shows (hospital_app.services.changes.TOPICS); a change touching
    #: one of them ("all" always does) makes the page stale.
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

    def _on_data_changed(self, changes: Changes | str) -> None:
        if Changes.coerce(changes).touches(self.topics):
            self._stale = True
            if self.isVisible():
                self.ensure_fresh()
