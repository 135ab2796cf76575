"""R19: the problems a self-check found, their causes and the corrective measures.

Kept per report period in ``corrective_measure`` (key "2025-06", "2025Q2", "2025"); edited
on the reports page before printing and printed with the self-check. Until a period has
stored measures, the self-check proposes one per kind of finding (``draft_measures``):
the hospital's department and responsible person, due at the end of the following month.
The per-product cause (未完成原因) is ``product.lag_reason`` (``product reason``).
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import CorrectiveMeasure
from hospital_app.domain.periods import ReportPeriod, parse_period
from hospital_app.errors import BadInput, Conflict
from hospital_app.i18n import tr
from hospital_app.reports.model import Identity, Measure
from hospital_app.services import audit


def _key(period: str | ReportPeriod) -> str:
    return (period if isinstance(period, ReportPeriod) else parse_period(period)).key


def _view(m: CorrectiveMeasure) -> Measure:
    return Measure(id=m.id, problem=m.problem, cause=m.cause or "", measure=m.measure or "",
                   department=m.department or "", responsible=m.responsible or "", due_date=m.due_date,
                   product_id=m.product_id, version=m.version)


def list_measures(session: Session, period: str | ReportPeriod) -> list[Measure]:
    """The stored measures of a period, in the order they were entered."""
    q = (select(CorrectiveMeasure).where(CorrectiveMeasure.period_key == _key(period))
         .order_by(CorrectiveMeasure.id))
    return [_view(m) for m in session.scalars(q)]


def _snapshot(m: Measure | CorrectiveMeasure) -> dict:
    return {"problem": m.problem, "cause": m.cause, "measure": m.measure, "department": m.department,
            "responsible": m.responsible, "due_date": m.due_date.isoformat() if m.due_date else None}


def save_measures(session: Session, period: str | ReportPeriod, measures: Iterable[Measure],
                  who: str | None = None) -> list[Measure]:
    """Replace the period's measures by ``measures`` (audited; a row edited by someone else
    since it was read — its version changed — is a Conflict). Rows without a problem are dropped."""
    key = _key(period)
    who = who or audit.current_user()
    stored = {m.id: m for m in session.scalars(
        select(CorrectiveMeasure).where(CorrectiveMeasure.period_key == key))}
    keep: set[int] = set()
    for item in measures:
        if not item.problem.strip():
            continue
        if item.id is not None and item.id in stored:
            row = stored[item.id]
            if item.version is not None and row.version != item.version:
                raise Conflict(tr("整改措施已被他人修改，请重新打开后再编辑。",
                                  "The measures were changed by someone else; reopen them before editing."))
            before = _snapshot(row)
            keep.add(row.id)
        else:
            row = CorrectiveMeasure(period_key=key)
            session.add(row)
            before = None
        row.problem, row.cause, row.measure = item.problem.strip(), item.cause.strip(), item.measure.strip()
        row.department, row.responsible = item.department.strip(), item.responsible.strip()
        row.due_date, row.product_id = item.due_date, item.product_id
        session.flush()
        if before != _snapshot(row):
            audit.record(session, who, "measure.set", "corrective_measure", row.id, before, _snapshot(row))
    for mid, row in stored.items():
        if mid not in keep:
            audit.record(session, who, "measure.delete", "corrective_measure", mid, _snapshot(row), None)
            session.delete(row)
    session.flush()
    return list_measures(session, key)


def parse_due(text: str) -> date | None:
    """A due date typed in the editor (YYYY-MM-DD; empty = none)."""
    text = (text or "").strip()
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise BadInput(tr("完成时限应为 YYYY-MM-DD：{v}", "A due date must be YYYY-MM-DD: {v}", v=text),
                       column=tr("完成时限", "Due")) from None


def default_due(day: date) -> date:
    """The end of the month after ``day`` (the drafted due date of a measure)."""
    first_next = (day.replace(day=1) + timedelta(days=32)).replace(day=1)
    return (first_next + timedelta(days=32)).replace(day=1) - timedelta(days=1)


def draft_measures(problems: list[tuple[str, str]], identity: Identity, day: date) -> list[Measure]:
    """One proposed measure per (problem, measure) pair, not stored: the hospital's
    department and responsible person, due at the end of the month after ``day``."""
    due = default_due(day)
    return [Measure(id=None, problem=p, cause="", measure=m, department=identity.department,
                    responsible=identity.responsible, due_date=due) for p, m in problems]
