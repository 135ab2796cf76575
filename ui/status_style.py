"""R8 status colours and labels for tables and charts (one place, so every page agrees)."""

from __future__ import annotations

from PySide6.QtGui import QColor

# Text colours chosen to read on white and on the light row backgrounds below.
STATUS_COLOURS = {
    "not_started": "#b3261e",
    "severely_behind": "#d93025",
    "behind": "#e08a1e",
    "on_track": "#2f6fb3",
    "completed": "#1e8e3e",
    "exempt": "#7b8794",
}
STATUS_BACKGROUNDS = {
    "not_started": "#fde7e5",
    "severely_behind": "#fde7e5",
    "behind": "#fff3e0",
    "on_track": "#ffffff",
    "completed": "#e6f4ea",
    "exempt": "#f1f3f4",
}
SEVERITY_COLOURS = {"serious": "#d93025", "warning": "#e08a1e", "info": "#2f6fb3"}
STATUS_ORDER = ("not_started", "severely_behind", "behind", "on_track", "completed", "exempt")


def status_label(status: str | None) -> str:
    """The user's-language label of an R8 status (the core's catalogue)."""
    from hospital_app.domain.status import status_label as core_label

    return core_label(status)


def status_colour(status: str | None) -> QColor:
    return QColor(STATUS_COLOURS.get(status or "", "#202124"))


def status_background(status: str | None) -> QColor:
    return QColor(STATUS_BACKGROUNDS.get(status or "", "#ffffff"))


def percent(value) -> str:
    """A Fraction/Decimal ratio as '53.1%' (display only)."""
    if value is None:
        return ""
    return f"{float(value) * 100:.1f}%"


#: Text colour of a suspended product's name (R17), wherever the product appears.
SUSPENDED_COLOUR = "#b3261e"


def suspension_marker(suspended_on, as_of) -> str:
    """R17: the marker put before a product's name (first, so a narrow column never elides it) when it is suspended on ``as_of`` ("" otherwise)."""
    from PySide6.QtCore import QCoreApplication

    from hospital_app.domain.monitoring import is_suspended

    if not is_suspended(suspended_on, as_of):
        return ""
    return QCoreApplication.translate("StatusStyle", "［暂停］")
