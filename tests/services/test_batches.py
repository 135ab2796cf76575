"""R6 v2 batches: list, kind, extension (顺延) with pro-rated or given volumes, audit; the R6 alert compares
each period with the previous one per month."""

from __future__ import annotations

from datetime import date

import openpyxl
import pytest
from sqlalchemy import select

from db.models import AgreementPeriod, AuditLog
from hospital_app.errors import BadInput, NotFound
from hospital_app.services import batches as svc
from hospital_app.services.alerts import collect_alerts
from hospital_app.services.management import set_lag_reason
from tests.services import monitoring_data as md


def _r6(session, as_of=date(2026, 10, 1)):
    return [a for a in collect_alerts(session, as_of) if a.rule == "R6"]


def test_r6_batch_list_and_set_kind(session):
    """GIVEN the worked-example batch (start 2024-09-20, cycle end 2026-09-20, one selected product) WHEN listed
    and set to consumable THEN the view shows it and the change is audited; an unknown kind is bad input (R6)."""
    md.worked_example(session)
    [v] = svc.list_batches(session)
    assert (v.name, v.kind, v.start, v.cycle_end, v.extended_to, v.products) == (
        "十六省联盟", "drug", date(2024, 9, 20), date(2026, 9, 20), None, 1)
    assert svc.set_batch_kind(session, "十六省联盟", "consumable", who="张药师").kind == "consumable"
    row = session.scalar(select(AuditLog).where(AuditLog.action == "batch.set_kind"))
    assert row is not None and row.who == "张药师"
    with pytest.raises(BadInput):
        svc.set_batch_kind(session, "十六省联盟", "device")
    with pytest.raises(NotFound):
        svc.set_batch_kind(session, "无此批次", "drug")


def test_r6_extend_prorated_from_the_last_period(session):
    """GIVEN year 1 (12 000) and year 2 of 11 999 over 2025-09-20..2026-09-19 WHEN the batch is extended to
    2027-03-19 without a file THEN an extension period 2026-09-20..2027-03-19 holds 11 999 × 5.97957 / 12 =
    5 979.07 → 5 979 (year index 3, is_extension), the batch shows extended_to, it is audited, and the only
    R6 alert is year 2 below year 1 (the pro-rated extension is not below per month)."""
    b, p = md.worked_example(session)
    md.period(session, p, date(2025, 9, 20), date(2026, 9, 19), 11999, year_index=2)
    result = svc.extend_batch(session, b.name, date(2027, 3, 19), who="张药师")
    [ext] = result.periods
    assert (ext.start, ext.end, ext.agreed_volume, ext.source) == (date(2026, 9, 20), date(2027, 3, 19), 5979,
                                                                    "prorated")
    stored = session.scalar(select(AgreementPeriod).where(AgreementPeriod.is_extension.is_(True)))
    assert (stored.year_index, stored.agreed_volume) == (3, 5979)
    assert svc.list_batches(session)[0].extended_to == date(2027, 3, 19)
    actions = set(session.scalars(select(AuditLog.action)))
    assert {"period.extend", "batch.extend"} <= actions
    assert [(a.since, a.subject) for a in _r6(session)] == [(date(2025, 9, 20), "period:2025-09-20:below_previous")]


def test_r6_extend_with_volumes_file_and_warning(session, tmp_path):
    """GIVEN the same two years WHEN extended to 2027-03-19 with a file giving 5 900 for the product THEN the
    extension holds 5 900 and R6 warns that it is below the previous period per month (5 979 for its length)."""
    b, p = md.worked_example(session)
    md.period(session, p, date(2025, 9, 20), date(2026, 9, 19), 11999, year_index=2)
    path = tmp_path / "顺延约定量.xlsx"
    wb = openpyxl.Workbook()
    wb.active.append(["产品ID", "通用名", "约定采购量"])
    wb.active.append([p.id, "阿托伐他汀钙片", 5900])
    wb.save(path)
    volumes = svc.read_volumes(session, path)
    assert volumes == {p.id: 5900}
    [ext] = svc.extend_batch(session, b.name, date(2027, 3, 19), volumes).periods
    assert (ext.agreed_volume, ext.source) == (5900, "file")
    ext_alert = [a for a in _r6(session) if a.subject == "period:2026-09-20:below_previous"]
    assert len(ext_alert) == 1 and "5979" in ext_alert[0].message


def test_r6_extend_refusals(session, tmp_path):
    """GIVEN the worked example (cycle end 2026-09-20) WHEN extended to 2026-09-20, or with a file naming a
    product outside the batch, or a file with a bad volume THEN bad input naming file, row and column (R6)."""
    b, p = md.worked_example(session)
    with pytest.raises(BadInput):
        svc.extend_batch(session, b.name, date(2026, 9, 20))
    with pytest.raises(BadInput):
        svc.extend_batch(session, b.name, date(2027, 3, 19), {p.id + 99: 10})
    path = tmp_path / "v.csv"
    path.write_text("product_id,agreed_volume\n%d,abc\n" % p.id, encoding="utf-8")
    with pytest.raises(BadInput) as err:
        svc.read_volumes(session, path)
    assert (err.value.file, err.value.row, err.value.column) == ("v.csv", 2, "约定采购量")
    assert session.scalar(select(AgreementPeriod).where(AgreementPeriod.is_extension.is_(True))) is None


def test_product_lag_reason_is_stored_and_audited(session):
    """GIVEN a product WHEN its lag reason is set and then cleared THEN product.lag_reason follows and both
    changes are audited (R8/R19 未完成原因)."""
    _, p = md.worked_example(session)
    assert set_lag_reason(session, p.id, "  临床需求下降  ") == "临床需求下降"
    assert p.lag_reason == "临床需求下降"
    assert set_lag_reason(session, p.id, "") is None and p.lag_reason is None
    assert len(session.scalars(select(AuditLog).where(AuditLog.action == "product.lag_reason")).all()) == 2
