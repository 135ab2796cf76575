"""Optimistic locking (issue 11): two workstations editing the same supply issue (R3).

The second save is refused (StaleDataError → Conflict, CLI exit 4) — never a
silent overwrite — on SQLite and on a real PostgreSQL server.
"""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy.orm.exc import StaleDataError

from db.models import Product, SupplyIssue
from db.session import open_database


def _issue(db) -> int:
    with db.session() as s:
        p = Product(generic_name="阿莫西林胶囊", generic_name_norm="阿莫西林胶囊", selected=True)
        s.add(p)
        s.flush()
        issue = SupplyIssue(product_id=p.id, type="shortage", status="open",
                            reported_at=datetime(2025, 9, 30, 9, 0))
        s.add(issue)
        s.flush()
        return issue.id


def test_second_edit_of_the_same_supply_issue_is_refused(any_db_url):
    """GIVEN two sessions that loaded supply issue #1 (version 1)
    WHEN both record a reply and the first commits
    THEN the second commit raises StaleDataError and the first reply is kept."""
    db = open_database(any_db_url)
    other = open_database(any_db_url)  # a second workstation: its own engine
    try:
        issue_id = _issue(db)
        s1, s2 = db.factory(), other.factory()
        try:
            a, b = s1.get(SupplyIssue, issue_id), s2.get(SupplyIssue, issue_id)
            assert a.version == b.version == 1
            a.reply_text, a.status = "十月八日补货", "replied"
            s1.commit()
            b.reply_text, b.status = "无法供货", "replied"
            with pytest.raises(StaleDataError):
                s2.commit()
            s2.rollback()
        finally:
            s1.close()
            s2.close()
        with db.session() as s:
            kept = s.get(SupplyIssue, issue_id)
            assert (kept.reply_text, kept.version) == ("十月八日补货", 2)
    finally:
        db.dispose()
        other.dispose()


def test_stale_edit_maps_to_conflict_exit_4():
    """GIVEN a StaleDataError from a lost update WHEN the CLI reports it THEN it is a Conflict, exit 4."""
    from hospital_app.errors import map_database_error

    mapped = map_database_error(StaleDataError("UPDATE statement on table 'supply_issue' expected 1 row"))
    assert mapped is not None and mapped.exit_code == 4
    assert "其他人修改" in mapped.message
