"""Reporting periods of the self-check report (CLI.md `report self-check --period`)."""

from __future__ import annotations

from datetime import date

import pytest

from hospital_app.domain.periods import parse_period
from hospital_app.errors import BadInput


@pytest.mark.parametrize("text,kind,start,end,key", [
    ("2025-06", "month", date(2025, 6, 1), date(2025, 6, 30), "2025-06"),
    ("2024-2", "month", date(2024, 2, 1), date(2024, 2, 29), "2024-02"),
    ("2025Q2", "quarter", date(2025, 4, 1), date(2025, 6, 30), "2025Q2"),
    ("2025q4", "quarter", date(2025, 10, 1), date(2025, 12, 31), "2025Q4"),
    (" 2025 ", "year", date(2025, 1, 1), date(2025, 12, 31), "2025"),
])
def test_parse_month_quarter_year(text, kind, start, end, key):
    """GIVEN a period as the CLI accepts it WHEN parsed THEN its kind, inclusive bounds and key."""
    p = parse_period(text)
    assert (p.kind, p.start, p.end, p.key) == (kind, start, end, key)


@pytest.mark.parametrize("text", ["2025-13", "2025-00", "2025Q5", "2025Q0", "25", "", "2025/06", "Q2 2025"])
def test_bad_period_is_bad_input(text):
    """GIVEN a malformed period WHEN parsed THEN BadInput (exit 3) naming the accepted forms."""
    with pytest.raises(BadInput) as exc:
        parse_period(text)
    assert "2025Q2" in exc.value.message


def test_as_of_is_period_end_or_an_earlier_date():
    """GIVEN 2025Q2 WHEN the requested date is later/earlier THEN the report is as of the end/that date."""
    p = parse_period("2025Q2")
    assert p.as_of(None) == date(2025, 6, 30)
    assert p.as_of(date(2025, 11, 3)) == date(2025, 6, 30)
    assert p.as_of(date(2025, 5, 15)) == date(2025, 5, 15)


def test_labels_and_quarters():
    """GIVEN each kind WHEN labelled THEN Chinese labels; quarters() lists the R4 quarters touched."""
    assert parse_period("2025-06").label == "2025年6月"
    assert parse_period("2025Q2").label == "2025年第二季度"
    assert parse_period("2025").label == "2025年度"
    assert parse_period("2025").quarters() == ["2025Q1", "2025Q2", "2025Q3", "2025Q4"]
    assert parse_period("2025-05").quarters() == ["2025Q2"]
