"""Issue 21: a transaction reads the stored settings once, not once per ``settings.get`` of a
setting left at its default (each such read was a query: 80 per dashboard load). What is stored,
added or changed is still what ``get`` returns."""

from __future__ import annotations

import json

from sqlalchemy import event

from db.models import Setting
from hospital_app import settings


def _count_queries(session):
    seen: list[str] = []
    event.listen(session.get_bind(), "before_cursor_execute", lambda *a: seen.append(a[2]))
    return seen


def test_defaults_are_read_without_a_query_each(session):
    """GIVEN r4_response_rate_warning stored as 0.9 and the other R4 settings at their defaults WHEN
    they are read 20 times in one transaction THEN one query read the stored settings, and the values
    are the stored 0.9 and the defaults (48 h response window)."""
    settings.set_value(session, "r4_response_rate_warning", "0.9")
    session.commit()
    queries = _count_queries(session)
    for _ in range(20):
        assert float(settings.get(session, "r4_response_rate_warning")) == 0.9
        assert settings.get(session, "r4_response_hours") == settings.REGISTRY["r4_response_hours"].default == 48
    assert len([q for q in queries if "FROM setting" in q]) == 1


def test_a_setting_added_or_stored_elsewhere_is_read(session, db):
    """GIVEN the settings already read in a transaction WHEN a Setting row for r13_baseline_year is
    added to the session (not yet flushed) THEN get returns it (2023); GIVEN another connection stores
    r4_response_hours = 24 WHEN the first session's next transaction reads it THEN 24."""
    assert settings.get(session, "r13_baseline_year") == 0  # the default
    session.add(Setting(key="r13_baseline_year", value=json.dumps(2023)))
    assert settings.get(session, "r13_baseline_year") == 2023
    session.commit()
    other = db.factory()
    settings.set_value(other, "r4_response_hours", "24")
    other.commit()
    other.close()
    assert settings.get(session, "r4_response_hours") == 24


def test_a_setting_reset_in_the_transaction_reads_its_default(session):
    """GIVEN r4_response_hours stored as 24 and read WHEN it is reset THEN get returns the default 48
    in the same transaction (before and after the flush) and after the commit."""
    settings.set_value(session, "r4_response_hours", "24")
    session.commit()
    assert settings.get(session, "r4_response_hours") == 24
    settings.reset(session, "r4_response_hours")
    assert settings.get(session, "r4_response_hours") == 48
    session.flush()
    assert settings.get(session, "r4_response_hours") == 48
    session.commit()
    assert settings.get(session, "r4_response_hours") == 48
