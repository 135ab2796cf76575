"""Making the department notice (科室通报, R21): data from ``services.departments``, the
document from ``reports.department_notice`` (which takes plain data and imports no service)."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

from sqlalchemy.orm import Session

from hospital_app import settings
from hospital_app.domain.periods import ReportPeriod
from hospital_app.reports.department_notice import render_department_notice
from hospital_app.services.departments import department_detail
from hospital_app.services.settings_service import require_identity


def make_department_notice(session: Session, name: str, period: ReportPeriod, out_path: str | Path, as_of: date,
                           who: str | None = None, generated_at: datetime | None = None) -> dict:
    """R21: the notice of department ``name`` for ``period``, as of its last day (or ``as_of``
    while it runs); recorded in the document history."""
    from hospital_app.services.documents import record_document

    day = min(period.end, as_of)
    detail = department_detail(session, name, day, since=period.start)
    path = Path(out_path)
    ident = require_identity(session)  # R19: never a placeholder for the hospital
    pages = render_department_notice(path, detail, period, hospital_name=ident.name, hospital_code=ident.code,
                                     threshold=settings.get(session, "r9_share_threshold"),
                                     generated_at=generated_at or datetime.now())
    record_document(session, "department-notice", path,
                    {"department": detail.department, "period": period.key, "as_of": day.isoformat()}, who)
    return {"path": str(path.resolve()), "pages": pages, "department": detail.department, "as_of": day.isoformat()}
