"""R1 working days and R2 "within N working days" counting (DOMAIN.md worked examples)."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from hospital_app.domain.calendar import WorkCalendar, default_calendar, library_years
from hospital_app.errors import BadInput


@pytest.fixture(scope="module")
def cal() -> WorkCalendar:
    return default_calendar()


@pytest.mark.parametrize(("event", "n", "expected"), [
    (datetime(2025, 6, 9, 10, 0), 2, date(2025, 6, 11)),     # Mon → Wed
    (datetime(2025, 6, 13, 17, 30), 2, date(2025, 6, 17)),   # Fri → Tue (weekend skipped)
    (datetime(2025, 9, 30, 16, 0), 2, date(2025, 10, 10)),   # National Day 10-01..10-08 off
    (datetime(2025, 9, 27, 9, 0), 2, date(2025, 9, 29)),     # Sun 09-28 is a make-up working day
    (datetime(2025, 10, 9, 11, 0), 5, date(2025, 10, 15)),   # Sat 10-11 is a make-up working day
])
def test_r2_worked_examples(cal, event, n, expected):
    """GIVEN an event at t WHEN counting N working days (R2) THEN the DOMAIN.md due date, not provisional."""
    due = cal.due(event, n)
    assert due.date == expected
    assert due.provisional is False and due.missing_years == []
    assert due.deadline == datetime(expected.year, expected.month, expected.day, 23, 59, 59)


@pytest.mark.parametrize(("event", "n", "expected"), [
    (datetime(2026, 2, 13, 9, 0), 2, date(2026, 2, 24)),  # Fri; Sat 02-14 works, 02-15..02-23 off
    (datetime(2026, 2, 12, 9, 0), 5, date(2026, 2, 26)),  # Thu: 13, 14, 24, 25, 26
])
def test_r2_spring_festival_2026(cal, event, n, expected):
    """GIVEN the 2026 Spring Festival (R1: 02-15..02-23 off, Sat 02-14 worked) WHEN counting (R2) THEN it is skipped."""
    assert cal.due(event, n).date == expected


def test_r2_day_of_event_not_counted_even_late_at_night(cal):
    """GIVEN an event one minute before midnight on a working day WHEN +1 (R2) THEN day 1 is the next working day."""
    assert cal.due(datetime(2025, 6, 9, 23, 59), 1).date == date(2025, 6, 10)
    assert cal.due(datetime(2025, 6, 9, 0, 0), 1).date == date(2025, 6, 10)


def test_r1_provisional_when_crossing_into_uncovered_year(cal):
    """GIVEN 2027 has no official schedule (R1) WHEN a deadline crosses into 2027 THEN Mon–Fri, provisional, 2027 named."""
    assert 2026 in library_years() and 2027 not in library_years()
    due = cal.due(datetime(2026, 12, 30, 10, 0), 3)  # Wed: Thu 31, Fri 01-01(Mon–Fri rule), Mon 01-04
    assert due.date == date(2027, 1, 4)
    assert due.provisional is True
    assert due.missing_years == [2027]
    assert cal.is_provisional(date(2027, 1, 1)) and not cal.is_provisional(date(2026, 12, 31))


def test_r1_within_covered_year_is_not_provisional_even_near_year_end(cal):
    """GIVEN a deadline that stays in 2026 WHEN counted THEN it is official (not provisional)."""
    due = cal.due(datetime(2026, 12, 28, 10, 0), 2)
    assert due.date == date(2026, 12, 30) and not due.provisional


def test_r1_user_corrections_win():
    """GIVEN a user marks Fri 2025-10-10 a holiday and Sat 2025-06-14 a working day (R1)
    WHEN asking and counting THEN the corrections win over the library."""
    cal = WorkCalendar.from_library({date(2025, 10, 10): False, date(2025, 6, 14): True})
    assert cal.is_workday(date(2025, 10, 10)) is False
    assert cal.is_workday(date(2025, 6, 14)) is True
    assert cal.due(datetime(2025, 9, 30, 16, 0), 2).date == date(2025, 10, 11)  # Sat 10-11 (official make-up)
    assert cal.due(datetime(2025, 6, 13, 17, 30), 2).date == date(2025, 6, 16)


def test_r1_user_correction_in_uncovered_year_is_not_provisional_for_that_day():
    """GIVEN the user sets 2027-01-01 as a holiday WHEN asking about that day THEN it is user-confirmed (not provisional)."""
    cal = WorkCalendar.from_library({date(2027, 1, 1): False})
    assert cal.is_workday(date(2027, 1, 1)) is False and not cal.is_provisional(date(2027, 1, 1))
    due = cal.due(datetime(2026, 12, 30, 10, 0), 3)  # 12-31, (01-01 off), 01-04, 01-05
    assert due.date == date(2027, 1, 5) and due.provisional and due.missing_years == [2027]


def test_r1_official_days(cal):
    """GIVEN the 2025 and 2026 official schedules (R1) THEN holidays and weekend make-up days are right."""
    assert cal.is_workday(date(2025, 9, 28))        # Sunday make-up
    assert not cal.is_workday(date(2025, 10, 8))    # National Day holiday, Wednesday
    assert cal.is_workday(date(2026, 2, 14))        # Saturday make-up
    assert not cal.is_workday(date(2026, 2, 23))    # Spring Festival, Monday
    assert not cal.is_workday(date(2025, 6, 14))    # ordinary Saturday


def test_r2_working_days_between(cal):
    """GIVEN a due date Tue 2025-09-30 WHEN done Fri 2025-10-10 THEN missed by 2 working days (R2: 10-09, 10-10)."""
    assert cal.working_days_between(date(2025, 9, 30), date(2025, 10, 10)) == 2  # 10-09, 10-10
    assert cal.working_days_between(date(2025, 6, 9), date(2025, 6, 9)) == 0
    assert cal.working_days_between(date(2025, 6, 16), date(2025, 6, 13)) == -1  # (06-13, 06-16] = Mon


def test_r2_rejects_non_positive_n(cal):
    """GIVEN N = 0 WHEN counting (R2) THEN BadInput (exit 3), not a silent same-day answer."""
    with pytest.raises(BadInput):
        cal.due(datetime(2025, 6, 9, 10), 0)


def test_r1_non_standard_days_lists_official_and_user(cal):
    """GIVEN 2026 WHEN listing non-standard days THEN Spring Festival days and make-up Saturdays are official;
    a correction appears as user; an uncovered year lists only corrections."""
    days = {d.date: d for d in cal.non_standard_days(2026)}
    assert days[date(2026, 2, 14)].workday and days[date(2026, 2, 14)].source == "official"
    assert not days[date(2026, 2, 16)].workday
    assert date(2026, 3, 2) not in days
    corrected = WorkCalendar.from_library({date(2026, 3, 2): False, date(2027, 5, 3): False})
    info = {d.date: d for d in corrected.non_standard_days(2026)}[date(2026, 3, 2)]
    assert info.source == "user" and info.official_workday is True and info.workday is False
    assert [d.date for d in corrected.non_standard_days(2027)] == [date(2027, 5, 3)]
