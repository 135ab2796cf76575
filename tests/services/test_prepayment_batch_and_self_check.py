"""Issue 17 item 3 (R15): the prepayment of one batch (the batch editor's view, its rate override
through ``batch set-policy``) and the prepayment chapter of the self-check (R19)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import pytest
from pypdf import PdfReader

from db.models import AgreementPeriod, Batch
from hospital_app import settings
from hospital_app.errors import NotFound
from hospital_app.services import documents
from hospital_app.services.management import set_batch_policy, unset_batch_policy
from hospital_app.services.prepayment import batch_prepayment
from tests.services import monitoring_data as md

NAME = "预付测试批"


@pytest.fixture
def batch(session):
    """A drug batch (cycle 2025-01-01..2026-12-31) with one selected product at 0.5000 元:
    year 1 = 2025-01-01..2025-12-31 with V = 100 000, year 2 = 2026 (V = 100 000); 25 000 bought on
    2025-02-10 and 15 000 on 2025-05-20 (40 000 = 40 % by 2025-06-30), 10 000 more on 2025-07-15.
    An older batch whose only year is 2024 (V = 1 000 × 1.0000) for the overlap test."""
    for key, value in (("hospital_name", "青山市第一人民医院"), ("hospital_code", "H33010001"),
                       ("hospital_contact", "药学部 王药师"), ("insurance_bureau", "青山市医疗保障局")):
        settings.set_value(session, key, value, "tester")
    b = Batch(name=NAME, kind="drug", execution_start=date(2025, 1, 1), cycle_end=date(2026, 12, 31))
    old = Batch(name="旧批次", kind="drug", execution_start=date(2024, 1, 1), cycle_end=date(2024, 12, 31))
    session.add_all([b, old])
    session.flush()
    p = md.product(session, b, generic="预付测试片", spec="10mg", price="0.5000")
    md.period(session, p, start=date(2025, 1, 1), end=date(2025, 12, 31), volume=100000, year_index=1)
    md.period(session, p, start=date(2026, 1, 1), end=date(2026, 12, 31), volume=100000, year_index=2)
    md.buy(session, p, date(2025, 2, 10), 25000)
    md.buy(session, p, date(2025, 5, 20), 15000)
    md.buy(session, p, date(2025, 7, 15), 10000)
    q = md.product(session, old, generic="旧批次片", spec="5mg", price="1.0000")
    md.period(session, q, start=date(2024, 1, 1), end=date(2024, 12, 31), volume=1000)
    return b


def test_r15_batch_view_hand_figures_as_of_june(session, batch):
    """R15: GIVEN agreed 100 000 × 0.5 元 = 50 000.00 and 40 000 bought by 2025-06-30 (20 000.00 元, 40 %)
    WHEN the batch's prepayment as of 2025-06-30 THEN rate 50 % (drug default, not overridden), prepayment
    50 000.00 × 50 % = 25 000.00, offset 25 000.00 × 40 % = 10 000.00, outstanding 15 000.00, recovered by
    2026-12-31 + 2 months = 2027-02-28; year 2 (not begun) is not listed."""
    view = batch_prepayment(session, NAME, date(2025, 6, 30))
    assert (view.kind, view.rate_key, view.rate, view.default_rate, view.overridden) == (
        "drug", "r15_prepay_rate_drug", Decimal("0.50"), Decimal("0.50"), False)
    (row,) = view.rows
    assert (row.year, row.period_start, row.period_end) == (1, date(2025, 1, 1), date(2025, 12, 31))
    assert (row.agreed_amount, row.prepayment, row.purchased_amount, row.offset, row.outstanding) == (
        Decimal("50000.00"), Decimal("25000.00"), Decimal("20000.00"), Decimal("10000.00"), Decimal("15000.00"))
    assert row.recover_by == date(2027, 2, 28)


def test_r15_batch_rate_override_through_batch_policy(session, batch):
    """R15 per-batch rate: GIVEN the batch WHEN ``set_batch_policy`` sets r15_prepay_rate_drug to 0.3 THEN
    the view says overridden (default still 50 %) and prepayment 50 000.00 × 30 % = 15 000.00, offset
    15 000.00 × 40 % = 6 000.00, outstanding 9 000.00; WHEN the override is dropped THEN 25 000.00 again."""
    set_batch_policy(session, NAME, "r15_prepay_rate_drug", "0.3")
    view = batch_prepayment(session, NAME, date(2025, 6, 30))
    assert (view.rate, view.default_rate, view.overridden) == (Decimal("0.3"), Decimal("0.50"), True)
    (row,) = view.rows
    assert (row.prepayment, row.offset, row.outstanding) == (Decimal("15000.00"), Decimal("6000.00"),
                                                             Decimal("9000.00"))
    unset_batch_policy(session, NAME, "r15_prepay_rate_drug")
    assert batch_prepayment(session, NAME, date(2025, 6, 30)).rows[0].prepayment == Decimal("25000.00")


def test_r15_batch_view_of_an_unknown_batch(session, batch):
    """R15: GIVEN no batch 不存在 WHEN its prepayment is asked THEN NotFound naming it."""
    with pytest.raises(NotFound, match="不存在"):
        batch_prepayment(session, "不存在", date(2025, 6, 30))


def test_r15_self_check_lists_the_years_overlapping_the_period(session, batch):
    """R15/R19: GIVEN the batch and the older batch (year 2024) WHEN the 2025Q2 self-check is computed THEN
    the prepayment chapter has one line, year 1 of 预付测试批 as of 2025-06-30 (the 2025-07-15 purchase not
    yet known): 50 000.00 / 50 % / 25 000.00 / 10 000.00 / 15 000.00, recover by 2027-02-28; the 2024 year
    (not overlapping the quarter) and year 2 (not begun) are not listed."""
    (line,) = documents.self_check_data(session, "2025Q2").prepayment
    assert (line.batch, line.year, line.rate) == (NAME, "1", 0.5)
    assert (line.agreed_amount, line.prepayment, line.offset, line.outstanding) == (
        Decimal("50000.00"), Decimal("25000.00"), Decimal("10000.00"), Decimal("15000.00"))
    assert (line.period_start, line.period_end, line.recover_by) == (date(2025, 1, 1), date(2025, 12, 31),
                                                                     date(2027, 2, 28))
    (q3,) = documents.self_check_data(session, "2025Q3").prepayment
    assert q3.offset == Decimal("12500.00")  # 50 000 bought by 09-30: 25 000.00 × 25 000 / 50 000


def test_r15_self_check_pdf_prints_the_prepayment_figures(session, batch, tmp_path):
    """R15/R19: GIVEN the batch WHEN the 2025Q2 self-check PDF is made THEN its chapter 医保基金预付情况 prints
    the batch, 第1年 with its dates, 50,000.00, 50.00%, 25,000.00, 10,000.00, 15,000.00 and 2027-02-28, and
    not the 2024 batch (up to the next chapter)."""
    out = tmp_path / "q2.pdf"
    documents.make_self_check(session, "2025Q2", out, generated_at=datetime(2025, 7, 10, 9, 0))
    pages = [p.extract_text() for p in PdfReader(str(out)).pages]
    (text,) = [t for t in pages if "医保基金预付情况" in t]
    chapter = text[text.index("医保基金预付情况"):]
    chapter = chapter[:chapter.index("报量情况说明")] if "报量情况说明" in chapter else chapter
    for figure in (NAME, "第1年", "2025-01-01", "50,000.00", "50.00%", "25,000.00", "10,000.00", "15,000.00",
                   "2027-02-28"):
        assert figure in chapter, figure
    assert "旧批次" not in chapter
