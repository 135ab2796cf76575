"""R15 v2 prepayment per batch and agreement year (issue 16 item 12): service and ``prepayment --json``."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from hospital_app.domain import prepayment as r15
from hospital_app.services.prepayment import prepayments
from tests.services import monitoring_data as md

D = date(2025, 3, 31)


def _drug_batch(session):
    """Year 1: A 12 000 × 0.2329 = 2 794.80 and B 1 000 × 1.5000 = 1 500.00 → agreed 4 294.80 元."""
    b, a = md.worked_example(session)
    p = md.product(session, b, generic="氨氯地平片", spec="5mg", price="1.5000")
    md.period(session, p, volume=1000)
    md.period(session, a, start=date(2025, 9, 20), end=date(2026, 9, 19), volume=12000, year_index=2)
    return b, a, p


def test_r15_drug_batch_prepayment_offset_and_outstanding(session):
    """GIVEN a drug batch with agreed amount 4 294.80 and, by 2025-03-31, 5 000 of A (1 164.50) and 200
    of B (300.00) bought — 1 464.50 at the selected prices — WHEN prepayment as of 2025-03-31 THEN rate
    50 %, prepayment 2 147.40, offset 2 147.40 × 1 464.50 / 4 294.80 = 732.25, outstanding 1 415.15; a
    purchase after as-of does not count and year 2 (not begun) is not listed; recover by cycle end
    2026-09-20 + 2 months = 2026-11-20."""
    b, a, p = _drug_batch(session)
    md.buy(session, a, date(2024, 10, 5), 5000)
    md.buy(session, p, date(2025, 1, 5), 200)
    md.buy(session, a, date(2025, 4, 1), 4000)  # after as-of
    (row,) = prepayments(session, D)
    assert (row.batch, row.year, row.kind) == (b.name, 1, "drug")
    assert (row.agreed_amount, row.rate, row.prepayment) == (Decimal("4294.80"), Decimal("0.50"), Decimal("2147.40"))
    assert (row.purchased_amount, row.offset, row.outstanding) == (
        Decimal("1464.50"), Decimal("732.25"), Decimal("1415.15"))
    assert row.recover_by == date(2026, 11, 20)
    assert list(row.as_dict())[:7] == ["batch", "year", "agreed_amount", "rate", "prepayment", "offset",
                                       "outstanding"]


def test_r15_consumable_rate_override_and_offset_capped(session):
    """GIVEN a consumable batch (V = 100 × 10.0000 = 1 000.00) bought 150 units WHEN prepayment THEN
    rate 30 % → 300.00, offset capped at the prepayment (300.00), outstanding 0.00; a per-batch
    override of 0.5 (Liaoning) → 500.00."""
    b = md.batch(session, name="耗材联盟", kind="consumable")
    p = md.product(session, b, generic="冠脉支架", spec="3.0×18mm", price="10.0000")
    md.period(session, p, volume=100)
    md.buy(session, p, date(2024, 10, 5), 150)
    (row,) = prepayments(session, D)
    assert (row.rate, row.prepayment, row.offset, row.outstanding) == (
        Decimal("0.30"), Decimal("300.00"), Decimal("300.00"), Decimal("0.00"))
    b.policy_overrides = {"r15_prepay_rate_consumable": "0.5"}
    session.flush()
    (row,) = prepayments(session, D)
    assert (row.rate, row.prepayment) == (Decimal("0.5"), Decimal("500.00"))


def test_r15_domain_rounding_and_zero_agreed_amount():
    """R15: amounts half up to the fen; an agreed amount of 0 offsets nothing."""
    f = r15.prepayment(Decimal("0.05"), Decimal("0.5"), Decimal("0.01"))
    assert (f.prepayment, f.offset, f.outstanding) == (Decimal("0.03"), Decimal("0.01"), Decimal("0.02"))
    assert r15.prepayment(Decimal(0), Decimal("0.5"), Decimal(10)).offset == Decimal("0.00")


def test_r15_cli_prepayment_json(run_cli, db_path, db):
    """GIVEN the drug batch WHEN ``prepayment --json`` THEN one object per batch and year with the CLI.md
    keys, amounts as decimal strings; the table prints the batch."""
    with db.session() as s:
        _drug_batch(s)
    res = run_cli("--db", str(db_path), "--as-of", "2025-03-31", "prepayment", "--json")
    assert res.code == 0, res
    (row,) = res.json()
    assert {k: row[k] for k in ("year", "agreed_amount", "rate", "prepayment", "offset", "outstanding")} == {
        "year": 1, "agreed_amount": "4294.80", "rate": "0.50", "prepayment": "2147.40", "offset": "0.00",
        "outstanding": "2147.40"}
    text = run_cli("--db", str(db_path), "--as-of", "2025-03-31", "prepayment")
    assert text.code == 0 and "十六省联盟" in text.out and "2,147.40" in text.out
