"""The progress workbook (``export progress``, the products page, the reports page): one export."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from sqlalchemy.orm import Session

from hospital_app import settings
from hospital_app.services.progress.detail import compute_progress


def export_progress_workbook(session: Session, as_of: date, path: str | Path, batch: str | None = None):
    """Compute progress as of ``as_of`` (one batch or all) and write it as the formatted workbook
    (``reports.xlsx_export``); returns (path written, number of rows)."""
    from hospital_app.reports.xlsx_export import export_progress

    report = compute_progress(session, as_of, batch=batch)
    out = export_progress(path, report, settings.get(session, "hospital.name") or "", as_of)
    return out, len(report.rows)
