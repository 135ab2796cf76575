"""Typed errors of the core. The CLI maps them to exit codes, the GUI to dialogs.

Messages are already in the user's language (see i18n.tr); never a traceback.
"""

from __future__ import annotations

from dataclasses import dataclass, field


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


class NotYetAvailable(AppError):
    """A command whose issue has not landed yet (exit 1)."""

    exit_code = 1


@dataclass
class Problems:
    """Collects input problems across a file so all are reported at once."""

    items: list[InputProblem] = field(default_factory=list)

    def add(self, message: str, **where: object) -> None:
        self.items.append(InputProblem(message, **where))  # type: ignore[arg-type]

    def __bool__(self) -> bool:
        return bool(self.items)


def is_conflict(exc: BaseException) -> bool:
    """A lost update or a refused change: :class:`Conflict`, or SQLAlchemy's ``StaleDataError``
    (optimistic locking on ``version``). Recognised by class name, so callers such as the
    GUI need not import SQLAlchemy."""
    if isinstance(exc, Conflict):
        return True
    return any(cls.__name__ == "StaleDataError" for cls in type(exc).__mro__)
