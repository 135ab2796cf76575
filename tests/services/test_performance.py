"""Issue 12 (performance): the speed measures keep the results — progress computed once for
alerts, planner statistics after bulk writes, the covering purchase index, Core queries
that still see pending ORM changes. The timings themselves are in bench/ (not tests)."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from sqlalchemy import text

from db.models import Purchase
from db.session import optimize
from hospital_app.services import alerts
from hospital_app.services.alerts import collect_alerts
from hospital_app.services.progress import compute_progress
from tests.services import monitoring_data as md

D = date(2025, 3, 31)  # DOMAIN.md R7 worked example: S = 53.06 %, target 6 367


def _example_with_purchases(session):
    _, p = md.worked_example(session)
    md.buy(session, p, date(2024, 10, 5), 3000)
    md.buy(session, p, date(2025, 2, 5), 2000)
    return p


def test_alerts_reuse_the_callers_progress_report(session, monkeypatch):
    """R8/R12 GIVEN the R7 worked example (5 000 bought) and its progress report on 2025-03-31
    WHEN alerts are collected with that report THEN progress is not computed again and the
    findings are exactly those computed from scratch."""
    _example_with_purchases(session)
    from_scratch = collect_alerts(session, D)
    report = compute_progress(session, D)

    def no_second_pass(*_a, **_k):
        raise AssertionError("progress computed a second time")

    monkeypatch.setattr(alerts, "compute_rows", no_second_pass)
    reused = collect_alerts(session, D, report=report)
    assert [a.as_dict() for a in reused] == [a.as_dict() for a in from_scratch]
    assert {a.rule for a in reused} >= {"R8", "R12"}


@pytest.mark.parametrize("other", [{"as_of": date(2025, 3, 30)}, {"batch": "十六省联盟"}])
def test_a_report_of_another_day_or_one_batch_is_not_reused(session, monkeypatch, other):
    """GIVEN a progress report of another day, or of one batch only WHEN alerts are collected
    for 2025-03-31 THEN progress is computed afresh for that day and every batch."""
    _example_with_purchases(session)
    report = compute_progress(session, other.get("as_of", D), batch=other.get("batch"))
    calls = []
    real = alerts.compute_rows
    monkeypatch.setattr(alerts, "compute_rows", lambda s, d, **kw: calls.append(d) or real(s, d, **kw))
    collect_alerts(session, D, report=report)
    assert calls == [D]


def test_progress_counts_a_purchase_not_yet_flushed(session):
    """R7 GIVEN the worked example and a purchase of 6 367 added to the session but not flushed
    WHEN progress is computed (Core queries) THEN it is counted: on schedule, nothing short."""
    p = md.worked_example(session)[1]
    session.add(Purchase(product_id=p.id, dedup_key="pending-1", order_no="P1", line_no=1,
                         order_time=datetime(2025, 1, 6, 9), purchase_date=date(2025, 1, 6), quantity=6367))
    (row,) = compute_progress(session, D).rows
    assert (row.purchased, row.target_to_date, row.shortfall) == (6367, 6367, 0)
    assert row.status == "on_track"


def test_optimize_gives_the_planner_statistics(db):
    """GIVEN a database with purchases and no statistics WHEN optimize() runs (after demo or
    import) THEN SQLite has statistics for the purchase indexes."""
    with db.session() as s:
        p = md.worked_example(s)[1]
        for day in (1, 2, 3):
            md.buy(s, p, date(2024, 10, day), 100)
    with db.engine.connect() as conn:
        assert not conn.execute(text("SELECT name FROM sqlite_master WHERE name = 'sqlite_stat1'")).all()
    optimize(db)
    with db.engine.connect() as conn:
        stats = {r[0] for r in conn.execute(text("SELECT idx FROM sqlite_stat1 WHERE tbl = 'purchase'"))}
    assert "ix_purchase_product_date" in stats


def test_monthly_aggregation_reads_the_covering_index_only(session):
    """GIVEN the schema WHEN SQLite plans the per-product, per-month sum of quantities THEN it
    reads ix_purchase_product_date as a covering index (no lookup of the 500 000 table rows)."""
    plan = " ".join(str(r[-1]) for r in session.execute(text(
        "EXPLAIN QUERY PLAN SELECT product_id, substr(purchase_date, 1, 7), sum(quantity) "
        "FROM purchase INDEXED BY ix_purchase_product_date "
        "WHERE product_id IN (1, 2) AND purchase_date BETWEEN '2025-01-20' AND '2025-06-30' "
        "GROUP BY product_id, substr(purchase_date, 1, 7)")))
    assert "COVERING INDEX ix_purchase_product_date" in plan


@pytest.mark.parametrize("start,end,upto", [
    (date(2024, 9, 20), date(2025, 9, 19), date(2025, 3, 31)),   # DOMAIN.md R7 example
    (date(2024, 9, 20), date(2025, 9, 19), date(2025, 12, 31)),  # past the end: S = 1 on the last day
    (date(2024, 1, 31), date(2024, 3, 1), date(2024, 3, 1)),     # leap February, one-day months
])
def test_daily_schedule_equals_the_r7_schedule_day_by_day(start, end, upto):
    """R7/R10 GIVEN a period WHEN the R10 'since' scan asks S(d) for every day THEN each value
    is exactly targets.schedule(start, end, d), one entry per day up to min(end, as-of)."""
    from datetime import timedelta

    from hospital_app.domain.targets import schedule
    from hospital_app.services.alerts import _daily_schedule

    days = _daily_schedule(start, end, upto)
    expected, d = {}, start
    while d <= min(end, upto):
        expected[d] = schedule(start, end, d)
        d += timedelta(days=1)
    assert days == expected


@pytest.mark.postgres
def test_alerts_are_the_same_on_sqlite_and_postgresql(run_cli, tmp_path, pg_url):
    """R4–R17 GIVEN the same demo data (seed 3, ANALYZE run by demo) in SQLite and PostgreSQL
    WHEN alerts --json (Core queries, R14 last-line ids, R10 daily schedule) on two days
    THEN the documents are identical and not empty."""
    sqlite = str(tmp_path / "hospital.db")
    demo = ("demo", "--seed", "3", "--products", "6", "--months", "6")
    for url in (sqlite, pg_url):
        assert run_cli("--db", url, "--as-of", "2025-09-15", *demo).code == 0
    for day in ("2025-09-15", "2026-03-31"):
        on_sqlite = run_cli("--db", sqlite, "--as-of", day, "alerts", "--json")
        on_pg = run_cli("--db", pg_url, "--as-of", day, "alerts", "--json")
        assert (on_sqlite.code, on_pg.code) == (0, 0)
        assert on_sqlite.json(), "demo data must give alerts"
        assert on_pg.json() == on_sqlite.json()
