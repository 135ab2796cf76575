"""R18 surplus-retention estimate per product and agreement year, with every input shown."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from db.models import VolumeReport, VolumeReportLine
from hospital_app.services.retention import estimate_retention
from tests.services.monitoring_data import batch, buy, period, product

AS_OF = date(2025, 6, 30)


@pytest.fixture
def world(session):
    """Batch from 2025-01-01. P (price 0.2): 2024 purchases 100 units for 50 元 and 300 at 0.30 (avg 0.35);
    bought 800 in 2025; reported 600. Q: bought in 2024 and 2025, not reported. R: no history, reference
    price 1.0, selected 0.5, reported 100, bought 50."""
    b = batch(session, "批次R", start=date(2025, 1, 1))
    p = product(session, b, generic="甲", spec="1片", price="0.2")
    q = product(session, b, generic="乙", spec="1片", price="0.2")
    r = product(session, b, generic="丙", spec="1片", price="0.5", reference_price=Decimal("1.0"))
    for x in (p, q, r):
        period(session, x, date(2025, 1, 1), date(2025, 12, 31), 1000)
    h = buy(session, p, date(2024, 3, 1), 100)
    h.amount = Decimal("50.00")
    buy(session, p, date(2024, 11, 1), 300, "0.30")
    buy(session, p, date(2025, 2, 1), 800, "0.2")
    buy(session, q, date(2024, 6, 1), 40, "0.5")
    buy(session, q, date(2025, 2, 1), 40, "0.2")
    buy(session, r, date(2025, 2, 1), 50, "0.5")
    report = VolumeReport(batch_id=b.id, name="报量", baseline_year=2024)
    session.add(report)
    session.flush()
    session.add_all([
        VolumeReportLine(report_id=report.id, product_id=p.id, generic_name="甲", generic_name_norm="甲",
                         spec="1片", spec_norm="1片", reported_quantity=600),
        VolumeReportLine(report_id=report.id, generic_name="丙", generic_name_norm="丙", spec="1片",
                         spec_norm="1片", reported_quantity=100),
    ])
    session.flush()
    return {"p": p, "q": q, "r": r}


def _row(report, product):
    [row] = [x for x in report.rows if x.product_id == product.id]
    return row


def test_r18_estimate_from_history_price(session, world):
    """GIVEN P: pre-VBP price (50 + 90) / 400 = 0.35, selected 0.20, reported 600, counted 800 WHEN estimating
    THEN saving = 0.15 × 600 = 90.00 and the estimate at 50 % = 45.00, price from the history."""
    row = _row(estimate_retention(session, AS_OF), world["p"])
    assert (row.reported, row.counted) == (600, 800)
    assert row.pre_vbp_unit_price == Decimal("0.3500") and row.price_source == "history"
    assert row.selected_unit_price == Decimal("0.2")
    assert row.saving == Decimal("90.00") and row.rate == Decimal("0.50") and row.estimate == Decimal("45.00")


def test_r18_not_reported_is_zero_with_the_reason(session, world):
    """GIVEN Q missing from the volume report WHEN estimating THEN 0 with the reason "未报量", and the warning
    list names 乙 (bought 40 in the baseline year 2024)."""
    report = estimate_retention(session, AS_OF)
    row = _row(report, world["q"])
    assert row.reported == 0 and row.estimate == Decimal("0.00")
    assert "未报量" in row.note
    assert [(x.generic_name, x.bought) for x in report.left_out] == [("乙", 40)]


def test_r18_reference_price_and_report_by_generic_name(session, world):
    """GIVEN R without history (reference 1.0, selected 0.5), a report line by generic name and spec (100) and 50
    counted WHEN estimating THEN saving = 0.5 × min(100, 50) = 25.00, estimate 12.50, price from the reference."""
    row = _row(estimate_retention(session, AS_OF), world["r"])
    assert row.reported == 100 and row.counted == 50
    assert row.price_source == "reference" and row.pre_vbp_unit_price == Decimal("1.0")
    assert row.saving == Decimal("25.00") and row.estimate == Decimal("12.50")


def test_r18_json_keys_and_year_filter(session, world):
    """GIVEN the three products in agreement year 1 WHEN asking for year 2 THEN no rows; year 1 THEN the CLI.md keys
    first, money as decimal strings and the total 57.50."""
    assert estimate_retention(session, AS_OF, year=2).rows == []
    report = estimate_retention(session, AS_OF, year=1)
    d = report.as_dict()
    assert d["total"] == "57.50"
    assert list(d["rows"][0])[:9] == ["product_id", "reported", "counted", "pre_vbp_unit_price",
                                      "selected_unit_price", "saving", "rate", "estimate", "note"]
