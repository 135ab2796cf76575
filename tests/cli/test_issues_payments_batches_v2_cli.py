"""CLI.md "Added in version 2": `issues report|confirm` and `issues list --as-of` (R3), `payments record`
(R5), `batch list|set-kind|extend` (R6), `product reason`: exit codes and JSON."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import pytest

from db.models import Company, Order, Product


@pytest.fixture
def seeded(db, db_path):
    """A selected product (id 1) and a distributor with order P1 (two lines 100.00 + 50.50, accepted
    2025-01-31, so due 2025-02-28)."""
    with db.session() as s:
        maker, dist = Company(name="华北制药", is_manufacturer=True), Company(name="国药控股", is_distributor=True)
        s.add_all([maker, dist])
        s.flush()
        s.add(Product(generic_name="阿莫西林胶囊", generic_name_norm="阿莫西林胶囊", manufacturer_id=maker.id,
                      selected=True, category="selected"))
        for line, amount in ((1, "100.00"), (2, "50.50")):
            s.add(Order(dedup_key=f"P1#{line}", order_no="P1", line_no=line, company_id=dist.id,
                        placed_at=datetime(2025, 1, 6, 9), responded_at=datetime(2025, 1, 6, 10),
                        delivered_at=datetime(2025, 1, 7, 9), accepted_on=date(2025, 1, 31),
                        amount=Decimal(amount)))
    return str(db_path)


def test_r3_cli_report_confirm_and_as_of_list(run_cli, seeded):
    """GIVEN an issue filed Mon 2025-06-09 10:00 and replied Fri 06-20 WHEN `issues report`/`confirm` are
    recorded THEN exit 0; `issues list --as-of 2025-06-19 --json` shows it open with reply (due 06-11) and
    resolution (due 06-18) overdue; as of 06-20 it is replied with resolution due 06-27 (R3); confirming an
    unknown issue exits 3 and a second report exits 4."""
    db = seeded
    assert run_cli("--db", db, "issues", "add", "--product", "1", "--type", "shortage",
                   "--reported-at", "2025-06-09 10:00").code == 0
    r = run_cli("--db", db, "issues", "report", "1", "--at", "2025-06-10 14:00", "--to", "市医保局", "--json")
    assert r.code == 0, r
    r = run_cli("--db", db, "issues", "confirm", "1", "--at", "2025-06-16 09:00", "--ref", "核字12号")
    assert r.code == 0, r
    assert run_cli("--db", db, "issues", "reply", "1", "--at", "2025-06-20 09:00").code == 0
    before = run_cli("--db", db, "--as-of", "2025-06-19", "issues", "list", "--json").json()[0]
    assert (before["status"], before["replied_at"], before["overdue"]) == ("open", None, ["reply", "resolution"])
    assert (before["reply_due"], before["resolution_due"]) == ("2025-06-11", "2025-06-18")
    after = run_cli("--db", db, "--as-of", "2025-06-20", "issues", "list", "--json").json()[0]
    assert (after["status"], after["resolution_due"], after["overdue"]) == ("replied", "2025-06-27", [])
    assert run_cli("--db", db, "issues", "confirm", "9", "--at", "2025-06-16 09:00").code == 3
    r = run_cli("--db", db, "issues", "report", "1", "--at", "2025-06-11 09:00")
    assert r.code == 4 and "Traceback" not in r.err


def test_r5_cli_payments_record_part_then_rest(run_cli, seeded):
    """GIVEN order P1 of 150.50 accepted 2025-01-31 WHEN `payments record P1 --paid-on 2025-02-10 --amount 100`
    and then `payments record P1 --paid-on 2025-03-03` (the rest, 50.50) THEN `payments --json` as of 02-28 shows
    paid_amount 100.00, not late, and as of 03-03 paid on 03-03, paid_late true; overpaying exits 4 with a
    clear message, an unknown order exits 3 (R5)."""
    db = seeded
    r = run_cli("--db", db, "payments", "record", "P1", "--paid-on", "2025-02-10", "--amount", "100", "--json")
    assert r.code == 0, r
    assert r.json()["outstanding_after"] == "50.50"
    over = run_cli("--db", db, "payments", "record", "P1", "--paid-on", "2025-02-11", "--amount", "50.51")
    assert over.code == 4 and "50.50" in over.err and "Traceback" not in over.err
    unknown = run_cli("--db", db, "payments", "record", "P9", "--paid-on", "2025-02-11")
    assert unknown.code == 3 and "P9" in unknown.err
    rest = run_cli("--db", db, "--lang", "en", "payments", "record", "P1", "--paid-on", "2025-03-03")
    assert rest.code == 0 and "Paid in full" in rest.out
    [feb] = run_cli("--db", db, "--as-of", "2025-02-28", "payments", "--json").json()
    assert (feb["amount"], feb["paid_amount"], feb["paid_on"], feb["paid_late"], feb["overdue"]) == (
        "150.50", "100.00", None, False, False)
    [mar] = run_cli("--db", db, "--as-of", "2025-03-03", "payments", "--json").json()
    assert (mar["paid_amount"], mar["paid_on"], mar["paid_late"], mar["overdue"]) == (
        "150.50", "2025-03-03", True, False)


def test_r6_cli_batch_list_set_kind_extend_and_product_reason(run_cli, db, db_path):
    """GIVEN the worked-example batch (V = 12 000, 2024-09-20..2025-09-19, cycle end 2026-09-20) WHEN
    `batch set-kind 十六省联盟 consumable`, `batch extend 十六省联盟 --to 2026-12-31 --json` and `batch list --json`
    THEN the kind is consumable, the extension 2025-09-20..2026-12-31 is pro-rated 12 000 × (11/30 + 15) / 12
    = 15 366.67 → 15 367, the list shows extended_to; `product reason` exits 0, an unknown batch exits 3 and a
    bad kind exits 2 (R6)."""
    from tests.services import monitoring_data as md

    with db.session() as s:
        _, p = md.worked_example(s)
        pid = p.id
    assert run_cli("--db", db_path, "batch", "set-kind", "十六省联盟", "consumable").code == 0
    r = run_cli("--db", db_path, "batch", "extend", "十六省联盟", "--to", "2026-12-31", "--json")
    assert r.code == 0, r
    [ext] = r.json()["periods"]
    assert (ext["start"], ext["end"], ext["agreed_volume"], ext["source"]) == (
        "2025-09-20", "2026-12-31", 15367, "prorated")
    [b] = run_cli("--db", db_path, "batch", "list", "--json").json()
    assert (b["name"], b["kind"], b["start"], b["cycle_end"], b["extended_to"]) == (
        "十六省联盟", "consumable", "2024-09-20", "2026-09-20", "2026-12-31")
    assert run_cli("--db", db_path, "product", "reason", str(pid), "--text", "临床需求下降").code == 0
    assert run_cli("--db", db_path, "batch", "extend", "无此批次", "--to", "2027-01-01").code == 3
    assert run_cli("--db", db_path, "batch", "set-kind", "十六省联盟", "device").code == 2
