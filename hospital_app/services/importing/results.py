"""What an import run reports (IMPORT.md "Rules of import", CLI.md ``import`` JSON).

- ``ImportResult``: the counts of a run (or of a dry run: the real ones), its errors and
  warnings; ``as_dict`` gives the CLI.md JSON keys;
- ``ImportFailed``: a ``BadInput`` (exit 3) listing every problem with sheet, Excel row,
  column header and a Chinese message — nothing was written;
- ``Preview``: what the import wizard shows before a run;
- the shared constants: the import kinds, chunk size, problem cap, money quanta.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Callable

from hospital_app.errors import BadInput, InputProblem
from hospital_app.i18n import tr


KINDS = ("products", "volumes", "purchases", "orders", "reported-volumes", "departments")
CHUNK = 2000
MAX_PROBLEMS = 500
PRICE_Q = Decimal("0.0001")
AMOUNT_Q = Decimal("0.01")
ProgressFn = Callable[[int, int | None], None]


# --------------------------------------------------------------------------- results


@dataclass
class ImportResult:
    """What a run did (or, for a dry run, would do). ``as_dict`` = CLI.md JSON keys."""

    kind: str
    file: str
    sheet: str | None = None
    header_row: int | None = None
    rows: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[InputProblem] = field(default_factory=list)
    dry_run: bool = False
    run_id: int | None = None
    created_products: int = 0
    # Things the run did not change but the user should know (never a reason to refuse the file).
    warnings: list[InputProblem] = field(default_factory=list)
    # Batch dates the run filled in: {"batch", "execution_start", "cycle_end"} (ISO dates or None).
    batch_dates: list[dict] = field(default_factory=list)
    # Every problem found (``errors`` may list fewer: grouped and capped at MAX_PROBLEMS).
    error_count: int = 0
    errors_truncated: bool = False
    # --skip-invalid: every row left out and why ({"row", "column", "message"}).
    skipped: list[dict] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {
            "rows": self.rows, "inserted": self.inserted, "updated": self.updated,
            "unchanged": self.unchanged,
            "errors": [{"sheet": e.sheet, "row": e.row, "column": e.column, "message": e.message}
                       for e in self.errors],
            "warnings": [{"sheet": w.sheet, "row": w.row, "column": w.column, "message": w.message}
                         for w in self.warnings],
            "kind": self.kind, "file": self.file, "sheet": self.sheet, "header_row": self.header_row,
            "dry_run": self.dry_run, "created_products": self.created_products,
            "batch_dates": list(self.batch_dates),
            "error_count": self.error_count, "errors_truncated": self.errors_truncated,
            "skipped": list(self.skipped),
        }


class ImportFailed(BadInput):
    """The run found problems; nothing was written. ``result`` carries the counts and errors."""

    def __init__(self, result: ImportResult, total_problems: int) -> None:
        first = result.errors[0]
        where = "".join(part for part in (
            first.sheet and tr("工作表“{v}” ", "sheet '{v}' ", v=first.sheet),
            first.row and tr("第 {v} 行 ", "row {v} ", v=first.row),
            first.column and tr("列“{v}”", "column '{v}'", v=first.column)) if part).strip()
        message = tr("导入失败：发现 {n} 处问题，没有写入任何数据。{w}：{m}",
                     "Import failed: {n} problem(s) found, nothing was written. {w}: {m}",
                     n=total_problems, w=where, m=first.message)
        super().__init__(message, problems=result.errors)
        self.result = result
        #: the headline without the first problem, for a front end that lists every problem after it
        self.summary = tr("导入失败：发现 {n} 处问题，没有写入任何数据。", "Import failed: {n} problem(s) found, "
                          "nothing was written.", n=total_problems)


@dataclass
class Preview:
    """What the import wizard shows before a run."""

    file: str
    kind: str
    sheets: list[dict]
    sheet: str | None
    header_row: int | None
    headers: list[str]
    mapping: dict[str, str]  # field → header
    missing: list[str]  # labels of required fields not found
    rows: list[list[str]]  # first data rows as text

    def as_dict(self) -> dict:
        return dict(self.__dict__)
