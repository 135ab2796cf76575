"""Shared by the import tests: write a generated workbook (IMPORT.md "What real files look
like": several sheets, hidden sheets, merged header cells) into tmp_path."""

from __future__ import annotations

from pathlib import Path

from openpyxl import Workbook


def xlsx(path: Path, sheets: dict[str, list[list]], hidden: tuple[str, ...] = (),
         merge: dict[str, list[str]] | None = None) -> Path:
    wb = Workbook()
    wb.remove(wb.active)
    for name, rows in sheets.items():
        ws = wb.create_sheet(name)
        for row in rows:
            ws.append(row)
        if name in hidden:
            ws.sheet_state = "hidden"
        for rng in (merge or {}).get(name, []):
            ws.merge_cells(rng)
    wb.save(path)
    return path
