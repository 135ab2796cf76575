"""What every reader shares: the row shape, sheet descriptions, the "damaged file" error and
``cell_text`` — the one place every text cell of every reader passes through (a bound on cell
sizes belongs there)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from hospital_app.errors import BadInput
from hospital_app.i18n import tr

Row = tuple[int, list[object], tuple[int, ...]]

_NOTE_SHEET = re.compile(r"说明|备注|注意|填报要求|填表|封面|目录|readme|note|instruction|help|字典|参数", re.I)


def cell_text(value: str) -> str:
    """Every text cell read from a file passes through here (xlsx, xls, CSV, HTML, SpreadsheetML)."""
    return value


@dataclass(frozen=True)
class SheetInfo:
    name: str
    hidden: bool = False
    note: bool = False  # a sheet of notes/instructions, by its name

    def as_dict(self) -> dict:
        return {"name": self.name, "hidden": self.hidden, "note": self.note}


def sheet_info(name: str, hidden: bool) -> SheetInfo:
    return SheetInfo(name, hidden, bool(_NOTE_SHEET.search(name)))


def damaged(file: str, sheet: str | None, exc: BaseException, row: int | None = None) -> BadInput:
    return BadInput(tr("文件内容已损坏，无法读取（{e}）。请在 Excel 中打开并另存为 .xlsx 后再试。",
                       "The file content is damaged and cannot be read ({e}). Open it in Excel, save as "
                       ".xlsx and try again.", e=type(exc).__name__),
                    file=file, sheet=sheet, row=row)
