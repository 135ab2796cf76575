"""R4 order response rate and delivery timeliness per distributor and quarter."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from itertools import count

import pytest

from db.models import Company, Order
from hospital_app import settings
from hospital_app.errors import BadInput
from hospital_app.services.orders import JSON_KEYS, order_alerts, order_stats

_seq = count(1)


def _order(session, company, placed, respond_h=1, deliver_h=24, emergency=False, lines=1):
    no = f"O{next(_seq)}"
    for line in range(1, lines + 1):
        session.add(Order(dedup_key=f"{no}#{line}", order_no=no, line_no=line, company_id=company.id,
                          placed_at=placed,
                          responded_at=None if respond_h is None else placed + timedelta(hours=respond_h),
                          delivered_at=None if deliver_h is None else placed + timedelta(hours=deliver_h),
                          emergency=emergency))


@pytest.fixture
def dist(session) -> Company:
    c = Company(name="国药控股", is_distributor=True)
    session.add(c)
    session.flush()
    return c


def test_r4_rates_and_exact_boundaries(session, dist):
    """GIVEN 2025Q1 orders: one answered at exactly 48 h, one at 48 h 1 min, an emergency one delivered in 4 h
    and one in 5 h, an ordinary one delivered at 48 h WHEN computing R4 THEN 48:00 and 4:00 are in time."""
    t = datetime(2025, 2, 3, 9, 0)
    _order(session, dist, t, respond_h=48, deliver_h=48)
    _order(session, dist, t, respond_h=48 + 1 / 60, deliver_h=47)
    _order(session, dist, t, emergency=True, deliver_h=4)
    _order(session, dist, t, emergency=True, deliver_h=5)
    _order(session, dist, t, respond_h=None, deliver_h=None)
    session.flush()
    [row] = order_stats(session, "2025Q1")
    assert list(row) == list(JSON_KEYS)
    assert row["company"] == "国药控股" and row["quarter"] == "2025Q1"
    assert (row["placed"], row["responded_in_time"], row["response_rate"]) == (5, 3, 0.6)
    assert (row["delivered"], row["delivered_in_time"], row["timeliness"]) == (4, 3, 0.75)
    assert row["level"] == "warning"


def test_r4_multi_line_order_counts_once(session, dist):
    """GIVEN one order with 3 lines WHEN counting THEN it is one order placed (R4 counts orders)."""
    _order(session, dist, datetime(2025, 4, 1, 9), lines=3)
    session.flush()
    [row] = order_stats(session, "2025Q2")
    assert row["placed"] == 1 and row["delivered"] == 1 and row["level"] is None


def _quarter(session, dist, start, on_time, late):
    for i in range(on_time):
        _order(session, dist, start + timedelta(days=i % 20), deliver_h=24)
    for i in range(late):
        _order(session, dist, start + timedelta(days=i % 20), deliver_h=72)


def test_r4_serious_after_two_quarters_below_90(session, dist):
    """GIVEN timeliness 35/40 = 87.5 % in 2025Q1 and 2025Q2 WHEN computing R4 THEN Q1 is a warning,
    Q2 serious; GIVEN Q3 back at 95 % THEN no level."""
    _quarter(session, dist, datetime(2025, 1, 6, 9), 35, 5)
    _quarter(session, dist, datetime(2025, 4, 7, 9), 35, 5)
    _quarter(session, dist, datetime(2025, 7, 7, 9), 38, 2)
    session.flush()
    levels = {r["quarter"]: (r["timeliness"], r["level"]) for r in order_stats(session)}
    assert levels == {"2025Q1": (0.875, "warning"), "2025Q2": (0.875, "serious"), "2025Q3": (0.95, None)}
    assert order_stats(session, "2025Q2")[0]["level"] == "serious"  # previous quarter read even when filtered


def test_r4_response_rate_warning_threshold_is_strict(session, dist):
    """GIVEN 19 of 20 orders answered in time (exactly 95 %) THEN no warning; 18 of 20 THEN warning (R4)."""
    t = datetime(2025, 1, 6, 9)
    for i in range(19):
        _order(session, dist, t + timedelta(days=i))
    _order(session, dist, t, respond_h=60)
    session.flush()
    assert order_stats(session, "2025Q1")[0]["level"] is None
    _order(session, dist, t, respond_h=60)
    session.flush()
    assert order_stats(session, "2025Q1")[0]["response_rate"] == pytest.approx(19 / 21, abs=1e-4)
    assert order_stats(session, "2025Q1")[0]["level"] == "warning"


def test_r4_delivery_window_is_a_setting(session, dist):
    """GIVEN an ordinary order delivered after 30 h WHEN the policy window is set to 24 h THEN it is late (R4 policy)."""
    _order(session, dist, datetime(2025, 1, 6, 9), deliver_h=30)
    session.flush()
    assert order_stats(session, "2025Q1")[0]["delivered_in_time"] == 1
    settings.set_value(session, "r4_delivery_hours_ordinary", 24, who="test")
    assert order_stats(session, "2025Q1")[0]["delivered_in_time"] == 0


def test_r4_pending_order_inside_its_window_is_not_counted_yet(session, dist):
    """GIVEN an unanswered order placed on the as-of day WHEN computing as of that day THEN not yet assessed;
    three days later THEN it is a delayed response (R4)."""
    _order(session, dist, datetime(2025, 3, 31, 9), respond_h=None, deliver_h=None)
    session.flush()
    assert order_stats(session, "2025Q1", as_of=date(2025, 3, 31)) == []
    [row] = order_stats(session, "2025Q1", as_of=date(2025, 4, 3))
    assert (row["placed"], row["responded_in_time"], row["level"]) == (1, 0, "warning")


def test_r4_alerts_and_bad_quarter(session, dist):
    """GIVEN a warning in the last completed quarter WHEN collecting alerts THEN one R4 alert;
    GIVEN a malformed quarter THEN BadInput (exit 3)."""
    _quarter(session, dist, datetime(2025, 1, 6, 9), 8, 2)
    session.flush()
    alerts = order_alerts(session, date(2025, 4, 15))
    assert [(a.rule, a.severity, a.subject) for a in alerts] == [("R4", "warning", "orders:国药控股:2025Q1")]
    with pytest.raises(BadInput):
        order_stats(session, "2025-1")
