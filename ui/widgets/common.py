"""Small helpers shared by the issues, volumes, reports and settings pages.

Everything that blocks on the user (questions, file choosers) or leaves the app
(opening a document) goes through a function here, so tests replace one function
instead of clicking a native dialog.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QDate, QDateTime, QTime, QTimer, QUrl, Qt, Signal
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (QFileDialog, QFrame, QHBoxLayout, QLabel, QMessageBox, QPushButton,
                               QWidget)


def _tr(text: str) -> str:
    return QCoreApplication.translate("common", text)


# ------------------------------------------------------------------ leaving the app


def open_document(path: str | Path) -> bool:
    """Open a generated PDF/xlsx with the system viewer (tests replace this)."""
    return QDesktopServices.openUrl(QUrl.fromLocalFile(str(path)))


def documents_dir() -> Path:
    """Where generated documents go unless the user chooses otherwise."""
    from hospital_app.paths import data_dir

    folder = data_dir() / "documents"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def document_path(stem: str, suffix: str) -> Path:
    """A new file name in :func:`documents_dir`: ``<stem>-<timestamp><suffix>``."""
    safe = re.sub(r"[^\w\-]+", "_", stem).strip("_") or "document"
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    path = documents_dir() / f"{safe}-{stamp}{suffix}"
    n = 2
    while path.exists():
        path = documents_dir() / f"{safe}-{stamp}-{n}{suffix}"
        n += 1
    return path


# ------------------------------------------------------------------ asking the user


def ask(parent: QWidget | None, title: str, text: str) -> bool:
    """A yes/no confirmation (destructive actions); No is the default button."""
    answer = QMessageBox.question(parent, title, text,
                                  QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
                                  QMessageBox.StandardButton.No)
    return answer == QMessageBox.StandardButton.Yes


def inform(parent: QWidget | None, title: str, text: str) -> None:
    """A non-blocking information box."""
    box = QMessageBox(QMessageBox.Icon.Information, title, text, QMessageBox.StandardButton.Ok, parent)
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    box.open()


def choose_open_file(parent: QWidget | None, title: str, filters: str, folder: str = "") -> str | None:
    path, _ = QFileDialog.getOpenFileName(parent, title, folder, filters)
    return path or None


def choose_save_file(parent: QWidget | None, title: str, suggested: str, filters: str) -> str | None:
    path, _ = QFileDialog.getSaveFileName(parent, title, suggested, filters)
    return path or None


# ----------------------------------------------------------------------- formatting


def fmt_date(value: date | None) -> str:
    return value.isoformat() if value else ""


def fmt_datetime(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M") if value else ""


def to_qdate(value: date) -> QDate:
    return QDate(value.year, value.month, value.day)


def from_qdate(value: QDate) -> date:
    return date(value.year(), value.month(), value.day())


def to_qdatetime(value: datetime) -> QDateTime:
    return QDateTime(to_qdate(value.date()), QTime(value.hour, value.minute, value.second))


def from_qdatetime(value: QDateTime) -> datetime:
    d, t = value.date(), value.time()
    return datetime(d.year(), d.month(), d.day(), t.hour(), t.minute())


MONTH_NAMES_EN = ("January", "February", "March", "April", "May", "June", "July", "August",
                  "September", "October", "November", "December")


def month_name(month: int) -> str:
    """“9 月” / “September” (month pickers, calendar titles)."""
    from hospital_app.i18n import tr

    return tr("{m} 月", "{n}", m=month, n=MONTH_NAMES_EN[month - 1])


# -------------------------------------------------------------------------- widgets


class Banner(QLabel):
    """A coloured one-line message at the top of a page (provisional year, empty state)."""

    STYLES = {
        "info": "background:#eef4fb; border:1px solid #b9d0ea; color:#1f4e79;",
        "warning": "background:#fff6e0; border:1px solid #f0c36d; color:#7a5200;",
        "error": "background:#fdecea; border:1px solid #f5b7b1; color:#922b21;",
    }

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWordWrap(True)
        self.hide()

    def show_message(self, text: str, level: str = "info") -> None:
        self.setText(text)
        self.setStyleSheet(self.STYLES.get(level, self.STYLES["info"]) + " padding:6px; border-radius:3px;")
        self.show()


class UndoBar(QFrame):
    """“已更改 … [撤销]” — shown after a cheap-to-undo change for a few seconds."""

    undo_requested = Signal()

    def __init__(self, parent: QWidget | None = None, timeout_ms: int = 15_000) -> None:
        super().__init__(parent)
        self.setObjectName("undoBar")
        self.setStyleSheet("QFrame#undoBar { background:#f3f5f8; border:1px solid #d9dde3; border-radius:3px; }")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(8, 2, 8, 2)
        self.label = QLabel(self)
        self.button = QPushButton(_tr("撤销"), self)
        self.button.setObjectName("undoButton")
        layout.addWidget(self.label, 1)
        layout.addWidget(self.button)
        self._undo = None
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(timeout_ms)
        self._timer.timeout.connect(self.clear)
        self.button.clicked.connect(self._do_undo)
        self.hide()

    def offer(self, text: str, undo) -> None:
        """Show ``text`` with an undo button that calls ``undo()``."""
        self._undo = undo
        self.label.setText(text)
        self.show()
        self._timer.start()

    @property
    def can_undo(self) -> bool:
        return self._undo is not None

    def clear(self) -> None:
        self._undo = None
        self.hide()

    def _do_undo(self) -> None:
        undo, self._undo = self._undo, None
        self.hide()
        if undo is not None:
            undo()
            self.undo_requested.emit()
