"""Issue 18 item 3: the R4 v2 supplier scorecard in the self-check (R19), as of the report's day."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from db.models import Company, Order
from hospital_app.services import documents
from tests.services import documents_data as data


@pytest.fixture
def ids(session):
    """The documents fixture plus three orders of 100 units of 阿莫西林胶囊 (made by 华东制药) through
    国药控股青山 in 2025Q1 and one in Q2:
    - O1 placed 01-10 09:00, answered after 1 h, delivered in full after 24 h (in time);
    - O2 placed 02-10 09:00, answered after 72 h, 50 of 100 delivered after 96 h (late on both);
    - O3 placed 03-05 09:00, answered after 3 h, delivered in full after 24 h (in time);
    - O4 placed 04-02 09:00 (second quarter)."""
    out = data.build(session)
    dist = session.scalar(select(Company.id).where(Company.name == "国药控股青山有限公司"))
    orders = [("O1", datetime(2025, 1, 10, 9), 1, 24, 100), ("O2", datetime(2025, 2, 10, 9), 72, 96, 50),
              ("O3", datetime(2025, 3, 5, 9), 3, 24, 100), ("O4", datetime(2025, 4, 2, 9), 1, 24, 100)]
    for no, placed, resp_h, deliv_h, delivered in orders:
        session.add(Order(dedup_key=no, order_no=no, company_id=dist, product_id=out["amox"], quantity=100,
                          delivered_quantity=delivered, placed_at=placed,
                          responded_at=placed + timedelta(hours=resp_h),
                          delivered_at=placed + timedelta(hours=deliv_h)))
    session.flush()
    return out


def _lines(session, period: str):
    return {(s.company, s.role): s for s in documents.self_check_data(session, period).suppliers}


def test_quarter_report_rates_each_supplier_for_the_quarter(session, ids):
    """R4 v2/R19: GIVEN O1–O3 in 2025Q1 (2 of 3 answered within 48 h, 2 of 3 delivered within 48 h,
    2 of 3 lines in full) WHEN the 2025Q1 self-check is computed THEN the distributor and the manufacturer
    each show 3 orders, 66.67 % on all three rates and level warning (previous quarter without orders:
    not serious); 江南药业 (no orders, its March issue replied and resolved within its dues) shows
    1 issue, 100 % on time, no rates and no level; O4 (Q2) is not counted."""
    lines = _lines(session, "2025Q1")
    for key in (("国药控股青山有限公司", "distributor"), ("华东制药有限公司", "manufacturer")):
        s = lines[key]
        assert (s.period, s.placed, s.response_rate, s.timeliness, s.delivery_rate, s.level) == \
            ("2025Q1", 3, 0.6667, 0.6667, 0.6667, "warning")
    other = lines[("江南药业股份有限公司", "manufacturer")]
    assert (other.placed, other.issues, other.issues_on_time_rate, other.response_rate, other.level) == \
        (0, 1, 1.0, None, None)
    assert list(lines)[0][1] == "manufacturer" and list(lines)[-1][1] == "distributor"


def test_month_report_shows_its_quarter_up_to_the_month_end(session, ids):
    """R4 v2/R19 as of d: GIVEN the same orders WHEN the 2025-02 self-check is computed THEN the
    scorecard is 2025Q1 as of 2025-02-28: O1 and O2 only — 1 of 2 answered in time (50 %)."""
    s = _lines(session, "2025-02")[("国药控股青山有限公司", "distributor")]
    assert (s.period, s.placed, s.response_rate, s.timeliness) == ("2025Q1", 2, 0.5, 0.5)


def test_year_report_counts_the_whole_year(session, ids):
    """R4 v2/R19: GIVEN O1–O4 WHEN the 2025 self-check is computed THEN the distributor has 4 orders,
    3 answered in time (75 %)."""
    s = _lines(session, "2025")[("国药控股青山有限公司", "distributor")]
    assert (s.period, s.placed, s.response_rate) == ("2025", 4, 0.75)


def test_pdf_prints_the_scorecard_in_chinese(session, ids, tmp_path):
    """R19: GIVEN the Q1 scorecard WHEN the PDF is made THEN its chapter names the quarter in Chinese, the
    roles and the level 预警, and prints no English level or role keyword."""
    out = tmp_path / "q1.pdf"
    documents.make_self_check(session, "2025Q1", out, generated_at=datetime(2025, 10, 20, 9, 30))
    text = "\n".join(p.extract_text() for p in PdfReader(str(out)).pages)
    assert "供应企业履约评价" in text and "按2025年第一季度统计（截至 2025-03-31）" in text
    assert "配送企业" in text and "生产企业" in text and "预警" in text and "66.67%" in text
    for word in ("warning", "serious", "incentive", "manufacturer", "distributor"):
        assert word not in text
