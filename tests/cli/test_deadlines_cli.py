"""CLI.md contract of `calendar`, `issues`, `orders stats`, `payments` (R1–R5): JSON keys, exit codes."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from db.models import Company, Order, Product, SupplyIssue, SupplyIssueEvent

ISSUE_KEYS = ["id", "product_id", "type", "status", "reported_at", "reply_due", "replied_at", "promised_date",
              "resolution_due", "resolution_due_provisional", "overdue", "promise_exceeds_limit"]


@pytest.fixture
def seeded(db, db_path):
    """A product (id 1), a distributor, an accepted order."""
    with db.session() as s:
        maker, dist = Company(name="华北制药", is_manufacturer=True), Company(name="国药控股", is_distributor=True)
        s.add_all([maker, dist])
        s.flush()
        s.add(Product(generic_name="阿莫西林胶囊", generic_name_norm="阿莫西林胶囊", manufacturer_id=maker.id,
                      selected=True, category="selected"))
        s.add(Order(dedup_key="P1#1", order_no="P1", line_no=1, company_id=dist.id,
                    placed_at=datetime(2025, 1, 6, 9), responded_at=datetime(2025, 1, 6, 10),
                    delivered_at=datetime(2025, 1, 7, 9), accepted_on=date(2025, 1, 31), amount=Decimal("1234.5")))
    return str(db_path)


def test_r2_calendar_due_json(run_cli, db_path):
    """GIVEN Tue 2025-09-30 16:00 +2 working days WHEN `calendar due --json` THEN the CLI.md document (R2)."""
    r = run_cli("--db", db_path, "calendar", "due", "--from", "2025-09-30 16:00", "--working-days", "2", "--json")
    assert r.code == 0, r
    assert r.json() == {"due": "2025-10-10", "provisional": False, "missing_years": []}


def test_r1_calendar_due_provisional_names_year(run_cli, db_path):
    """GIVEN a deadline crossing into 2027 WHEN `calendar due --json` THEN provisional with 2027 named (R1)."""
    r = run_cli("calendar", "due", "--from", "2026-12-30T10:00", "--working-days", "3", "--json", "--db", db_path)
    assert r.json() == {"due": "2027-01-04", "provisional": True, "missing_years": [2027]}


def test_r1_calendar_set_then_is_workday_and_due(run_cli, db_path):
    """GIVEN `calendar set 2025-10-10 holiday` WHEN asking THEN the correction wins (R1) and the due moves (R2)."""
    r = run_cli("--db", db_path, "calendar", "is-workday", "2025-10-10", "--json")
    assert r.json() == {"date": "2025-10-10", "workday": True, "provisional": False}
    assert run_cli("--db", db_path, "calendar", "set", "2025-10-10", "holiday", "--note", "院内").code == 0
    assert run_cli("--db", db_path, "calendar", "is-workday", "2025-10-10", "--json").json()["workday"] is False
    r = run_cli("--db", db_path, "calendar", "due", "--from", "2025-09-30 16:00", "--working-days", "2", "--json")
    assert r.json()["due"] == "2025-10-11"
    listed = run_cli("--db", db_path, "calendar", "list", "--year", "2025", "--json").json()
    user = [d for d in listed["days"] if d["source"] == "user"]
    assert user == [{"date": "2025-10-10", "weekday": 5, "workday": False, "source": "user", "name": None,
                     "official_workday": True, "note": "院内", "who": user[0]["who"]}]
    assert run_cli("--db", db_path, "calendar", "list", "--year", "2027", "--json").json()["provisional"] is True


def test_r3_issue_flow_json_keys(run_cli, seeded):
    """GIVEN product 1 WHEN filing, listing, replying THEN `issues ... --json` has exactly the CLI.md keys (R3)."""
    r = run_cli("--db", seeded, "--as-of", "2025-10-01", "issues", "add", "--product", "1", "--type", "shortage",
                "--reported-at", "2025-09-30 16:00", "--json")
    assert r.code == 0, r
    issue = r.json()
    assert list(issue) == ISSUE_KEYS
    assert (issue["reply_due"], issue["resolution_due"], issue["resolution_due_provisional"]) == \
        ("2025-10-10", "2025-10-16", True)
    assert issue["reported_at"] == "2025-09-30T16:00:00" and issue["overdue"] == []
    listed = run_cli("--db", seeded, "--as-of", "2025-10-13", "issues", "list", "--overdue", "--json").json()
    assert [(i["id"], i["overdue"]) for i in listed] == [(issue["id"], ["reply"])]
    assert all(list(i) == ISSUE_KEYS for i in listed)
    r = run_cli("--db", seeded, "issues", "reply", str(issue["id"]), "--at", "2025-10-13 09:00",
                "--promise", "2025-10-31", "--json", "--as-of", "2025-10-13")
    assert r.code == 0, r
    replied = r.json()
    assert replied["status"] == "replied" and replied["promise_exceeds_limit"] is True
    assert replied["resolution_due"] == "2025-10-31"
    human = run_cli("--db", seeded, "--as-of", "2025-10-13", "issues", "list")
    assert "阿莫西林胶囊" in human.out and "承诺超过 5 个工作日" in human.out


def _written(db_path) -> tuple[int, int]:
    from db.session import open_database

    database = open_database(db_path)
    try:
        with database.session() as s:
            return (s.scalar(select(func.count()).select_from(SupplyIssue)),
                    s.scalar(select(func.count()).select_from(SupplyIssueEvent)))
    finally:
        database.dispose()


def test_r3_cli_bad_input_exit_3_and_conflict_exit_4(run_cli, seeded):
    """GIVEN an issue WHEN given an unknown type/product/id or a reply before the report THEN exit 3;
    WHEN replying to a resolved issue THEN exit 4; nothing is written in any of these cases."""
    run_cli("--db", seeded, "issues", "add", "--product", "1", "--type", "quality", "--reported-at", "2025-06-09 10:00")
    before = _written(seeded)
    bad = [
        ("issues", "add", "--product", "1", "--type", "bogus", "--reported-at", "2025-06-09 10:00"),
        ("issues", "add", "--product", "42", "--type", "shortage", "--reported-at", "2025-06-09 10:00"),
        ("issues", "reply", "99", "--at", "2025-06-10 10:00"),
        ("issues", "reply", "1", "--at", "2025-06-08 10:00"),
    ]
    for args in bad:
        r = run_cli("--db", seeded, *args)
        assert r.code == 3, (args, r)
        assert r.err.startswith("错误：") and "Traceback" not in r.err
    assert _written(seeded) == before
    assert run_cli("--db", seeded, "issues", "resolve", "1", "--at", "2025-06-10 10:00").code == 0
    before = _written(seeded)
    r = run_cli("--db", seeded, "issues", "reply", "1", "--at", "2025-06-11 10:00")
    assert r.code == 4 and "已解决" in r.err
    r = run_cli("--db", seeded, "--lang", "en", "issues", "escalate", "1", "--at", "2025-06-11 10:00")
    assert r.code == 4 and "cannot be escalated" in r.err
    assert _written(seeded) == before
    assert run_cli("--db", seeded, "issues", "close", "1", "--at", "2025-06-12 10:00").code == 0


def test_r4_orders_stats_json(run_cli, seeded):
    """GIVEN one order answered in 1 h and delivered in 24 h WHEN `orders stats --json` THEN the CLI.md keys (R4)."""
    r = run_cli("--db", seeded, "--as-of", "2025-04-01", "orders", "stats", "--quarter", "2025Q1", "--json")
    assert r.json() == [{"company": "国药控股", "quarter": "2025Q1", "placed": 1, "responded_in_time": 1,
                         "response_rate": 1.0, "delivered": 1, "delivered_in_time": 1, "timeliness": 1.0,
                         "level": None}]
    assert run_cli("--db", seeded, "orders", "stats", "--quarter", "Q1-2025").code == 3


def test_r5_payments_json(run_cli, seeded):
    """GIVEN a delivery accepted 2025-01-31 for 1234.50 WHEN `payments --open --json` on 2025-03-01
    THEN due 2025-02-28, unpaid, overdue; amount a decimal string (R5)."""
    r = run_cli("--db", seeded, "--as-of", "2025-03-01", "payments", "--open", "--json")
    assert r.json() == [{"order_no": "P1", "company": "国药控股", "accepted_on": "2025-01-31", "amount": "1234.50",
                         "due": "2025-02-28", "paid_on": None, "overdue": True, "paid_amount": "0.00",
                        "paid_late": False}]
    human = run_cli("--db", seeded, "--as-of", "2025-03-01", "payments")
    assert "逾期未付" in human.out


def test_r11_verified_backup_purchases_count_as_the_selected_products(run_cli, db_path):
    """R11 v2: GIVEN the demo's emergency, whose backup-supplier purchases are linked to a supply issue
    the bureau confirmed (核实) WHEN the confirmation is taken away THEN the selected product's counted
    purchases fall by exactly the linked backup units; `issues link` adds purchases, a bad id is exit 3."""
    import shutil
    import sqlite3

    assert run_cli("--db", db_path, "--as-of", "2026-06-30", "demo").code == 0
    con = sqlite3.connect(db_path)
    primary_id, issue_id, linked_units = con.execute(
        "select p.id, l.issue_id, sum(u.quantity) from supply_issue_purchase l"
        " join purchase u on u.id = l.purchase_id join product b on b.id = u.product_id"
        " join product p on p.generic_name_norm = b.generic_name_norm and p.spec_norm = b.spec_norm"
        " and p.supply_role = 'primary' where b.supply_role = 'backup' group by p.id, l.issue_id").fetchone()
    assert con.execute("select bureau_confirmed_at from supply_issue where id = ?", (issue_id,)).fetchone()[0]
    con.close()
    unconfirmed = db_path.with_name("unconfirmed.db")
    shutil.copyfile(db_path, unconfirmed)
    con = sqlite3.connect(unconfirmed)
    con.execute("update supply_issue set bureau_confirmed_at = null where id = ?", (issue_id,))
    con.commit()
    con.close()

    def purchased(db):
        rows = run_cli("--db", db, "--as-of", "2026-06-30", "progress", "--json").json()["rows"]
        return {r["product_id"]: r["purchased"] for r in rows}[primary_id]

    assert linked_units > 0
    assert purchased(db_path) - purchased(unconfirmed) == linked_units
    again = run_cli("--db", db_path, "issues", "link", issue_id, "--purchases", "1,2")
    assert again.code == 0 and "2" in again.out
    bad = run_cli("--db", db_path, "issues", "link", issue_id, "--purchases", "999999999")
    assert bad.code == 3
