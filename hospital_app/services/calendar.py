"""Working-day calendar with the user's corrections (R1): load, correct, list."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import CalendarDay
from hospital_app.domain.calendar import WorkCalendar
from hospital_app.services import audit


def load_calendar(session: Session) -> WorkCalendar:
    """R1: the official schedule plus every user correction (one query)."""
    rows = session.execute(select(CalendarDay.day, CalendarDay.workday)).all()
    return WorkCalendar.from_library({day: bool(workday) for day, workday in rows})


def set_day(session: Session, day: date, workday: bool, note: str | None = None,
            who: str | None = None) -> dict:
    """R1: record a user correction of one day (it wins over the library). Audited.

    Dues of supply issues are derived from the calendar when read, so every open
    issue's due date follows this correction at once.
    """
    from hospital_app.services.users import require_admin_if_shared

    who = who or audit.current_user()
    require_admin_if_shared(session, who, "只有管理员可以修改工作日历（会改变所有截止日期）。",
                            "Only an administrator can change the working calendar (it moves every due date).")
    row = session.get(CalendarDay, day)
    before = None if row is None else {"workday": row.workday, "note": row.note}
    if row is None:
        row = CalendarDay(day=day, workday=workday, note=note, created_by=who, created_at=datetime.now())
        session.add(row)
    else:
        row.workday, row.note, row.created_by, row.created_at = workday, note, who, datetime.now()
    session.flush()
    audit.record(session, who, "calendar.set", "calendar_day", day.isoformat(), before,
                 {"workday": workday, "note": note})
    return {"date": day, "workday": workday, "note": note, "who": who}


def clear_day(session: Session, day: date, who: str | None = None) -> bool:
    """Remove a user correction (the library's answer applies again). False if none."""
    row = session.get(CalendarDay, day)
    if row is None:
        return False
    audit.record(session, who, "calendar.clear", "calendar_day", day.isoformat(),
                 {"workday": row.workday, "note": row.note}, None)
    session.delete(row)
    session.flush()
    return True


def list_year(session: Session, year: int) -> dict:
    """R1: a year's non-standard days with their source (official / user / provisional).

    For a year the library does not cover there are no official days: the year is
    ``provisional`` (Monday–Friday rule) and only the user's corrections are listed.
    """
    cal = load_calendar(session)
    notes = {r.day: r for r in session.scalars(
        select(CalendarDay).where(CalendarDay.day >= date(year, 1, 1), CalendarDay.day <= date(year, 12, 31)))}
    covered = year in cal.covered_years
    days = []
    for info in cal.non_standard_days(year):
        row = notes.get(info.date)
        days.append({
            "date": info.date,
            "weekday": info.date.isoweekday(),
            "workday": info.workday,
            "source": info.source,
            "name": info.name,
            "official_workday": info.official_workday,
            "note": row.note if row else None,
            "who": row.created_by if row else None,
        })
    return {"year": year, "source": "official" if covered else "provisional",
            "provisional": not covered, "missing_years": [] if covered else [year], "days": days}
