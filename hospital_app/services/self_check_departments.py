"""R19/R21: the self-check names the departments behind each problem of the report period.

For every agreement period the self-check shows (``documents._blocks``), the rows with a
problem — an R8 lag (behind, severely behind, not started; for an ended period: ended below
its agreed volume) or an R9 finding (the generic name's non-selected share above the limit) —
go through the departments service (``services.departments.department_view``) as of the day
that block is assessed (the report's day; an ended period's own last day), with the usage
window starting at the report period's start. Each problem row gets its ``top_departments``
with their selected and non-selected units, non-selected share and part of the shortfall:
the service's figures, never a second calculation.

A hospital with no department usage on record at all gets ``None`` (no section is printed).
A problem row none of whose departments used its generic name in the window gets one line
with an empty department (the report says no use was recorded). A generic name whose R9
finding is its only problem is listed once per assessment, even when several of its selected
products carry it.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import DepartmentUsage
from hospital_app.domain.periods import ReportPeriod
from hospital_app.reports.model import DepartmentLine
from hospital_app.services.departments import LAG_STATES, department_view
from hospital_app.services.progress import ProgressRow, ratio4


def has_department_data(session: Session) -> bool:
    """R21: any department usage on record (the self-check prints its section only then)."""
    return session.execute(select(DepartmentUsage.id).limit(1)).first() is not None


def _problem(r: ProgressRow) -> bool:
    return r.status in LAG_STATES or "share_over" in r.flags


def department_lines(session: Session, p: ReportPeriod,
                     assessed: list[tuple[date, list[ProgressRow]]]) -> list[DepartmentLine] | None:
    """R19/R21: the departments behind each problem row of ``assessed`` — (day the rows were
    computed as of, rows) per agreement period shown — for the usage from ``p.start`` to that
    day. None when the hospital has no department data at all."""
    if not has_department_data(session):
        return None
    out: list[DepartmentLine] = []
    for day, rows in assessed:
        problems = [r for r in rows if _problem(r)]
        if not problems:
            continue
        share_listed: set[str] = set()
        for item in department_view(session, day, since=p.start, rows=problems).products:
            if not item.lagging:  # an R9 finding only: one listing per generic name
                if item.generic_name in share_listed:
                    continue
                share_listed.add(item.generic_name)
            common = dict(generic_name=item.generic_name, product_id=item.product_id, spec=item.spec or "",
                          period_start=item.period_start, period_end=item.period_end, lagging=item.lagging, share_over=item.share_over,
                          shortfall=item.shortfall if item.lagging else 0, unit=item.unit or "",
                          hospital_share=ratio4(item.nonselected_share))
            top = item.top_departments()
            if not top:
                out.append(DepartmentLine(department="", selected=0, nonselected=0, share=None,
                                          shortfall_part=0, **common))
            for f in top:
                out.append(DepartmentLine(department=f.department, selected=f.selected, nonselected=f.nonselected,
                                          share=ratio4(f.nonselected_share),
                                          shortfall_part=f.shortfall_part if item.lagging else 0, **common))
    return out
