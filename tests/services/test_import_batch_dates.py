"""`import products` sets the batch's execution start and cycle end, which R8 ("not yet in
the hospital" from the 3rd month of execution) and R14 (pre-VBP price) need. A stored date
is never moved by a file: a contradiction is a warning in the result, not an error."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import select

from db.models import AuditLog, Batch
from hospital_app.services.importing import import_file
from tests.services.import_helpers import xlsx
from tests.services.test_import_realities import PRODUCT_HEADER

BATCH = "第九批国家集采"


def row(code: str, start: datetime, end: datetime, batch: str = BATCH) -> list:
    return [1, batch, code, f"药品{code}", "片剂", "20mg", 14, "片", "齐鲁制药有限公司", 3.26, 840, start, end]


def products(session, tmp_path, *rows, name="p.xlsx", dry_run=False):
    return import_file(session, "products", xlsx(tmp_path / name, {"中选": [PRODUCT_HEADER, *rows]}),
                       dry_run=dry_run)


def batch(session, name: str = BATCH) -> Batch:
    return session.scalars(select(Batch).where(Batch.name == name)).one()


def test_new_batch_gets_earliest_start_and_latest_end(session, tmp_path):
    """GIVEN a products list whose periods start 2024-09-20 and 2025-01-01 (DOMAIN.md R8 example batch)
    WHEN imported THEN the batch executes from 2024-09-20 and its cycle ends on the latest end,
    and the result (JSON) names the dates it filled; each batch of the file gets its own."""
    result = products(session, tmp_path,
                      row("A1", datetime(2025, 1, 1), datetime(2025, 12, 31)),
                      row("A2", datetime(2024, 9, 20), datetime(2025, 9, 19)),
                      row("B1", datetime(2025, 3, 1), datetime(2026, 2, 28), batch="另一批次"))
    session.commit()
    assert (batch(session).execution_start, batch(session).cycle_end) == (date(2024, 9, 20), date(2025, 12, 31))
    assert (batch(session, "另一批次").execution_start, batch(session, "另一批次").cycle_end) == (
        date(2025, 3, 1), date(2026, 2, 28))
    assert result.warnings == []
    assert {"batch": BATCH, "execution_start": "2024-09-20", "cycle_end": "2025-12-31"} in result.as_dict()[
        "batch_dates"]
    audit = session.scalars(select(AuditLog).where(AuditLog.action == "import")).one()
    assert audit.after["batch_dates"] == result.batch_dates


def test_empty_dates_of_an_existing_batch_are_filled(session, tmp_path):
    """GIVEN a batch created by hand with no dates WHEN its products list is imported THEN the
    dates are filled; a dry run reports the same but writes nothing."""
    session.add(Batch(name=BATCH, policy_overrides={}))
    session.commit()
    line = row("A1", datetime(2024, 9, 20), datetime(2025, 9, 19))
    dry = products(session, tmp_path, line, dry_run=True)
    assert dry.batch_dates == [{"batch": BATCH, "execution_start": "2024-09-20", "cycle_end": "2025-09-19"}]
    assert batch(session).execution_start is None
    products(session, tmp_path, line)
    session.commit()
    assert (batch(session).execution_start, batch(session).cycle_end) == (date(2024, 9, 20), date(2025, 9, 19))


def test_a_stored_start_is_kept_and_a_contradiction_is_a_warning(session, tmp_path):
    """GIVEN a batch executing since 2024-09-20 until 2025-09-19 WHEN a file has a period from
    2024-06-01 to 2025-12-31 THEN both stored dates stay, the import succeeds, and the result
    warns at the rows and columns of the contradicting dates."""
    products(session, tmp_path, row("A1", datetime(2024, 9, 20), datetime(2025, 9, 19)))
    session.commit()
    result = products(session, tmp_path, row("A1", datetime(2024, 9, 20), datetime(2025, 9, 19)),
                      row("A2", datetime(2024, 6, 1), datetime(2025, 12, 31)), name="q.xlsx")
    session.commit()
    assert (batch(session).execution_start, batch(session).cycle_end) == (date(2024, 9, 20), date(2025, 9, 19))
    assert result.inserted == 1 and result.batch_dates == []
    warnings = result.as_dict()["warnings"]
    assert [(w["row"], w["column"]) for w in warnings] == [(3, "执行开始日期"), (3, "执行结束日期")]
    assert "2024-09-20" in warnings[0]["message"] and "2024-06-01" in warnings[0]["message"]
    assert "已保留" in warnings[0]["message"]


def test_a_later_agreement_year_agrees_with_the_stored_dates(session, tmp_path):
    """GIVEN a batch executing 2024-09-20 … 2026-09-19 WHEN the second agreement year's list
    (periods from 2025-09-20) is imported THEN nothing to warn about and the dates stay; an
    extension (顺延) covers a later end."""
    products(session, tmp_path, row("A1", datetime(2024, 9, 20), datetime(2025, 9, 19)))
    b = batch(session)
    b.cycle_end, b.extended_to = date(2025, 9, 19), date(2026, 9, 19)
    session.commit()
    result = products(session, tmp_path, row("A1", datetime(2025, 9, 20), datetime(2026, 9, 19)), name="y2.xlsx")
    assert result.warnings == [] and result.batch_dates == []
    assert (batch(session).execution_start, batch(session).cycle_end) == (date(2024, 9, 20), date(2025, 9, 19))
