"""Typed errors of the core. The CLI maps them to exit codes, the GUI to dialogs.

Messages are already in the user's language (see i18n.tr); never a traceback.
"""

from __future__ import annotations

from dataclasses import dataclass


class AppError(Exception):
    """Base of every error a user may see. ``exit_code`` follows CLI.md."""

    exit_code = 1

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:  # pragma: no cover - trivial
        return self.message


@dataclass
class InputProblem:
    """One problem in an input file or argument: where it is and what is wrong."""

    message: str
    file: str | None = None
    sheet: str | None = None
    row: int | None = None
    column: str | None = None

    def as_dict(self) -> dict:
        return {
            "file": self.file,
            "sheet": self.sheet,
            "row": self.row,
            "column": self.column,
            "message": self.message,
        }


class BadInput(AppError):
    """Bad input data (exit 3). Nothing was written."""

    exit_code = 3

    def __init__(self, message: str, *, problems: list[InputProblem] | None = None,
                 file: str | None = None, sheet: str | None = None,
                 row: int | None = None, column: str | None = None) -> None:
        super().__init__(message)
        self.problems = problems or [InputProblem(message, file, sheet, row, column)]
        self.file, self.sheet, self.row, self.column = file, sheet, row, column


class NotFound(BadInput):
    """A referenced thing does not exist (exit 3: the input named it)."""


class Conflict(AppError):
    """Refused: invalid state transition, concurrent edit, duplicate (exit 4)."""

    exit_code = 4


class Refused(AppError):
    """Refused: permission, locked or unwritable database, failed migration (exit 4)."""

    exit_code = 4


class DatabaseLocked(Refused):
    pass


class MigrationFailed(Refused):
    pass


def is_conflict(exc: BaseException) -> bool:
    """A lost update or a refused change: :class:`Conflict`, or SQLAlchemy's ``StaleDataError``
    (optimistic locking on ``version``). Recognised by class name, so callers such as the
    GUI need not import SQLAlchemy."""
    if isinstance(exc, Conflict):
        return True
    return any(cls.__name__ == "StaleDataError" for cls in type(exc).__mro__)


def map_database_error(exc: BaseException) -> AppError | None:
    """A database failure as the error a user reads (CLI exit code, GUI message box), or None.

    A lost update (SQLAlchemy's ``StaleDataError``) → :class:`Conflict` (exit 4, never a silent
    overwrite); a locked database → :class:`DatabaseLocked`; a read-only file or a full disk →
    :class:`Refused`. Recognised by class name and message, so the GUI need not import SQLAlchemy.
    """
    from hospital_app.i18n import tr

    names = {cls.__name__ for cls in type(exc).__mro__}
    if "StaleDataError" in names:
        return Conflict(tr("该记录已被其他人修改，请重新加载后再试。",
                           "This record was changed by someone else; reload and try again."))
    if "OperationalError" not in names:
        return None
    text = str(exc).lower()
    if "locked" in text:
        return DatabaseLocked(tr("数据库正忙（被其他程序锁定），请稍后重试。",
                                 "The database is busy (locked by another program); try again later."))
    if "readonly" in text.replace("-", "").replace(" ", ""):
        return Refused(tr("数据库文件是只读的，无法写入。", "The database file is read-only; cannot write."))
    if any(w in text for w in ("disk is full", "disk i/o error")):
        return Refused(tr("磁盘已满或无法写入，数据未保存（数据库保持原样）。请释放磁盘空间后重试。",
                          "The disk is full or cannot be written; nothing was saved (the database is "
                          "unchanged). Free some disk space and try again."))
    return None
