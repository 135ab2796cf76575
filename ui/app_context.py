"""What every page gets: the database, the as-of date, the language and an event hub.

The database is opened with ``db.session.open_database`` — the only database call ui/
makes itself — lazily, on the worker thread, so the window appears before SQLAlchemy
and Alembic are even imported. Pages never see a Session: they hand a function of a
session to :meth:`AppContext.query` (read-only) or :meth:`AppContext.change` (a unit of
work, Anki's ``CollectionOp``), and the function calls a service. What a change touched is
found by the core from the SQL it ran (``hospital_app.services.changes``) and delivered to
every page as a ``Changes`` (Anki's ``OpChanges``); callers do not name topics.
"""

from __future__ import annotations

import threading
from datetime import date
from typing import Any, Callable, Iterable

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QWidget

from hospital_app.errors import is_conflict
from hospital_app.services.changes import TOPICS, Changes, track  # noqa: F401 - TOPICS for pages
from ui import worker


class EventHub(QObject):
    """A tiny event hub: views subscribe, changes announce what they touched (Electrum)."""

    data_changed = Signal(object)   # a Changes (older callers: a topic name)
    open_product = Signal(int)      # product id: show it on the products page
    open_issue = Signal(int)        # supply issue id: show it on the issues page
    print_escalation = Signal(int)  # supply issue id: print its escalation letter (R3)
    open_page = Signal(str)         # a ``gui --page`` name
    import_file = Signal(str, str)  # path, guessed import kind ("" when unknown)
    status_message = Signal(str)    # a short message for the status bar


class AppContext:
    """Shared state of the desktop app (one per main window)."""

    def __init__(self, db_location: str, as_of: date, lang: str = "zh", *, db: Any = None) -> None:
        self.db_location = db_location
        self.as_of = as_of
        self.lang = lang
        self.events = EventHub()
        self._db = db
        self._lock = threading.Lock()
        #: Shared mode: the logged-in ``users.UserInfo`` (None: single-user, the OS user).
        self.user: Any = None
        #: Whether the database has users (known once ui.session_start checked it).
        self.shared: bool | None = None
        self.login_dialog: QWidget | None = None

    # ---- database (opened on first use, normally on the worker thread)
    @property
    def db(self):
        with self._lock:
            if self._db is None:
                from db.session import open_database

                self._db = open_database(self.db_location)
            return self._db

    @property
    def is_open(self) -> bool:
        return self._db is not None

    def close(self) -> None:
        with self._lock:
            if self._db is not None:
                self._db.dispose()
                self._db = None

    # ---- running services
    def query(self, fn: Callable[[Any], Any], on_done: Callable[[Any], None] | None = None,
              on_error: Callable[[BaseException], None] | None = None, *,
              parent: QWidget | None = None) -> worker.Task:
        """Read-only: ``fn(session)`` on the worker; the session is rolled back afterwards."""

        def job() -> Any:
            session = self.db.read_session()
            try:
                return fn(session)
            finally:
                session.rollback()
                session.close()

        return worker.run_in_background(job, on_done, on_error, parent=parent)

    def notify(self, changes: Changes | str | Iterable[str]) -> None:
        """Tell every page what changed (pages not showing those topics ignore it)."""
        changes = Changes.coerce(changes)
        if changes:
            self.events.data_changed.emit(changes)

    def change(self, fn: Callable[..., Any], on_done: Callable[[Any], None] | None = None,
               on_error: Callable[[BaseException], None] | None = None, *,
               topics: Iterable[str] | None = None, progress: str | None = None,
               parent: QWidget | None = None,
               on_reload: Callable[[], None] | None = None) -> worker.Task:
        """A unit of work: ``fn(session)`` (or ``fn(session, task)`` with ``progress``) is
        committed on success, rolled back on error; then ``data_changed`` delivers the
        ``Changes`` the core found in the SQL that ran (plus ``topics``, if a caller still
        names some — not needed).

        Without ``on_error``, a conflict (``Conflict`` or a lost update, ``StaleDataError``)
        shows “该记录已被其他人修改，请重新加载” with 重新加载, which reloads the page
        holding ``parent`` (or calls ``on_reload``); any other error shows the readable
        message box."""
        named = Changes.coerce(tuple(topics or ()))

        def job(*task: worker.Task) -> Any:
            database = self.db
            with track(database.engine) as seen:
                with database.session() as session:
                    result = fn(session, *task)
            return result, seen.changes

        def done(payload: tuple[Any, Changes]) -> None:
            result, changes = payload
            self.notify(changes | named)
            if on_done is not None:
                on_done(result)

        def failed(exc: BaseException) -> None:
            if on_error is not None:
                on_error(exc)
            elif is_conflict(exc):
                worker.show_conflict(exc, parent, on_reload or (lambda: self.reload(parent)))
            else:
                worker.show_error(exc, parent)

        return worker.run_in_background(job, done, failed, progress=progress, parent=parent)

    def reload(self, widget: QWidget | None, topics: Iterable[str] = ("all",)) -> None:
        """After a conflict: the pages showing ``topics`` become stale, and the page that
        holds ``widget`` reloads from the database now (a visible page would anyway)."""
        self.notify(Changes.coerce(tuple(topics)))
        while widget is not None and not (hasattr(widget, "refresh") and hasattr(widget, "ensure_fresh")):
            widget = widget.parentWidget()
        if widget is not None:
            widget.refresh()

    def run(self, fn: Callable[..., Any], on_done: Callable[[Any], None] | None = None,
            on_error: Callable[[BaseException], None] | None = None, *,
            progress: str | None = None, parent: QWidget | None = None) -> worker.Task:
        """Anything else that must not block the UI (file I/O): ``fn()`` / ``fn(task)``."""
        return worker.run_in_background(fn, on_done, on_error, progress=progress, parent=parent)
