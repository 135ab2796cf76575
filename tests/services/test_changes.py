"""Change notifications (issue 20, Anki's OpChanges): a unit of work says which topics it touched,
found from the SQL it ran — ORM flushes and bulk statements alike."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from hospital_app.services.changes import Changes, track


def test_changes_touches():
    """GIVEN a change of issues THEN a view of issues or of everything refreshes, a view of payments
    does not; an empty change touches nothing; ``all`` touches every view."""
    c = Changes.of("issues")
    assert c.touches(("products", "issues")) and c.touches(("all",))
    assert not c.touches(("payments",))
    assert not Changes().touches(("all",))
    assert Changes.everything().touches(("payments",))
    with pytest.raises(ValueError):
        Changes.of("nonsense")


def test_tables_map_to_topics_and_audit_is_quiet():
    """GIVEN writes to supply_issue_purchase and audit_log THEN the topics are issues and purchases
    (a linked purchase changes the non-selected share, R9/R11) — the audit trail adds none; an unknown
    table is ``all``."""
    assert Changes.from_tables({"supply_issue_purchase", "audit_log"}).topics == {"issues", "purchases"}
    assert Changes.from_tables({"audit_log"}).topics == frozenset()
    assert Changes.from_tables({"brand_new_table"}).topics == {"all"}


def test_track_sees_orm_flushes_and_bulk_inserts(db):
    """GIVEN a unit of work adding a product through the ORM and a purchase through a bulk Core insert
    on the session's connection WHEN tracked THEN both topics are reported; a read-only block reports
    nothing; another thread's collector is not affected."""
    from sqlalchemy import select

    from db import models as m

    with db.session() as s, track(db.engine) as seen:
        p = m.Product(code="C1", generic_name="甲", generic_name_norm="甲", selected=True, category="selected")
        s.add(p)
        s.flush()
        s.connection().execute(m.Purchase.__table__.insert(), [{
            "product_id": p.id, "dedup_key": "k1", "purchase_date": date(2025, 1, 2), "quantity": 10}])
    assert seen.changes.topics == {"products", "purchases"}

    with db.session() as s, track(db.engine) as seen:
        s.execute(select(m.Product.id)).all()
    assert seen.changes.topics == frozenset()


def test_filing_an_issue_touches_issues_only(db):
    """R3: GIVEN a product WHEN an issue is filed through the service THEN the change is ``issues``."""
    from db import models as m
    from hospital_app.services import supply_issues as si

    with db.session() as s:
        p = m.Product(code="C2", generic_name="乙", generic_name_norm="乙", selected=True, category="selected")
        s.add(p)
        s.flush()
        pid = p.id
    with db.session() as s, track(db.engine) as seen:
        si.add_issue(s, pid, "shortage", datetime(2025, 6, 9, 10), as_of=date(2025, 6, 9))
    assert "issues" in seen.changes.topics
    assert not seen.changes.touches(("payments", "volumes", "calendar"))
