"""Reads beside a session (issue 21, ``services.beside``): read-only jobs on a second connection
in a second thread only when that connection sees what the caller's session sees, the same
results either way; the dashboard and ``alerts`` read their R3/R4/R5 aggregates that way."""

from __future__ import annotations

import threading
from datetime import date

import pytest
from sqlalchemy import func, select

from db.models import Product
from db.session import open_database
from hospital_app.services.alerts import collect_alerts
from hospital_app.services.beside import Beside, can_read_beside

AS_OF = date(2026, 6, 30)


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    from hospital_app.services.demo import DemoOptions, generate_demo

    database = open_database(str(tmp_path_factory.mktemp("beside") / "demo.db"))
    generate_demo(database, DemoOptions(seed=3, products=30, months=24, purchases=4000, as_of=AS_OF))
    yield database
    database.dispose()


def _count(session) -> tuple[int, str]:
    return session.scalar(select(func.count()).select_from(Product)), threading.current_thread().name


def _product(n: int) -> Product:
    return Product(generic_name=f"测试药{n}", generic_name_norm=f"测试药{n}", spec="1mg", selected=False)


def test_a_session_that_wrote_nothing_reads_beside_and_one_that_wrote_does_not(db):
    """GIVEN a SQLite file WHEN the session has read only, has a pending object, has flushed an
    uncommitted write, then committed THEN a second connection may read beside only when the
    session wrote nothing uncommitted (it would not see the write)."""
    with db.session() as s:
        assert can_read_beside(s)  # nothing done yet
        s.scalar(select(func.count()).select_from(Product))
        assert can_read_beside(s)  # reads only
        s.add(_product(1))
        assert not can_read_beside(s)  # pending
        s.flush()
        assert not can_read_beside(s)  # written, not committed
        s.commit()
        assert can_read_beside(s)


def test_an_in_memory_database_never_reads_beside():
    """GIVEN an in-memory SQLite database WHEN asked THEN no: a second connection would open
    another, empty database."""
    database = open_database("sqlite://")
    try:
        with database.session() as s:
            assert not can_read_beside(s)
            with Beside(s) as beside:
                assert not beside.parallel
    finally:
        database.dispose()


def test_jobs_run_on_a_second_thread_and_give_what_the_session_gives(demo):
    """GIVEN a session that wrote nothing WHEN a job is submitted beside it THEN it runs on the
    ``read-beside`` thread and returns what it returns on the session itself; ``once`` runs a
    job once; leaving the block ends the thread."""
    calls = []

    def counted(session):
        calls.append(1)
        return _count(session)

    with demo.session() as s:
        here = _count(s)
        with Beside(s) as beside:
            assert beside.parallel
            there = beside.submit(_count).result()
            first, again = beside.once(counted), beside.once(counted)
            assert first.result() == again.result()
        assert there[0] == here[0] and there[1].startswith("read-beside")
        assert calls == [1]
    assert not [t for t in threading.enumerate() if t.name.startswith("read-beside")]


def test_after_an_uncommitted_write_jobs_run_on_the_session_itself(db):
    """GIVEN a session that flushed a new product WHEN a job is submitted THEN it runs in this
    thread on this session, when its result is asked for, and sees the uncommitted product."""
    with db.session() as s:
        s.add(_product(2))
        s.flush()
        with Beside(s) as beside:
            assert not beside.parallel
            count, thread = beside.submit(_count).result()
        assert (count, thread) == (1, threading.current_thread().name)


def test_a_database_refusing_a_second_connection_leaves_the_jobs_to_the_session(db, monkeypatch, caplog):
    """GIVEN a database that refuses one more connection (a PostgreSQL server at its
    max_connections) WHEN jobs are submitted THEN they run on the session, in this thread, and
    the refusal is logged: the page loads on one connection instead of failing."""
    from sqlalchemy.exc import OperationalError

    def refuse():
        raise OperationalError("connect", {}, Exception("too many clients already"))

    with db.session() as s:
        s.connection()  # the session's own connection is open
        monkeypatch.setattr(s.get_bind(), "connect", refuse)
        with Beside(s) as beside:
            assert not beside.parallel
            assert beside.submit(_count).result() == (0, threading.current_thread().name)
    assert "refused a second one" in caplog.text and "too many clients" in caplog.text


def test_a_job_error_reaches_the_caller(demo):
    """GIVEN a job that raises WHEN its result is asked for THEN the same error, in the caller's
    thread, and the second session is still closed."""
    def broken(session):
        raise LookupError("no such thing")

    with demo.session() as s, Beside(s) as beside:
        pending = beside.submit(broken)
        with pytest.raises(LookupError, match="no such thing"):
            pending.result()


def test_alerts_read_beside_are_the_alerts_read_in_one_session(demo):
    """GIVEN the demo data WHEN the alerts are collected with their R3/R4/R5 aggregates read beside
    (``aggregate_findings`` on the second connection) THEN the same findings, in the same order,
    as collected in one session."""
    with demo.session() as s:
        alone = [a.as_dict() for a in collect_alerts(s, AS_OF)]
    with demo.session() as s, Beside(s) as beside:
        assert beside.parallel
        beside_ = [a.as_dict() for a in collect_alerts(s, AS_OF, beside=beside)]
    assert len(alone) > 20 and {a["rule"] for a in alone} >= {"R5", "R8"}
    assert beside_ == alone


def test_the_dashboard_job_gives_what_each_service_gives(demo):
    """GIVEN the demo data WHEN the dashboard's job runs (reading beside) THEN its alerts, unpaid
    deliveries, their count and open issues are what the services give in one session."""
    from hospital_app.services.payments import list_payments
    from hospital_app.services.supply_issues import list_issues
    from ui.pages.dashboard import PAYMENTS_SHOWN, load_dashboard

    with demo.session() as s:
        data = load_dashboard(s, AS_OF)
    with demo.session() as s:
        alerts = [a.as_dict() for a in collect_alerts(s, AS_OF)]
        unpaid = list_payments(s, AS_OF, open_only=True)
        issues = list_issues(s, AS_OF, open_only=True)
    assert [a.as_dict() for a in data.alerts] == alerts
    assert data.payments == unpaid[:PAYMENTS_SHOWN] and data.open_payments == len(unpaid) > 0
    assert [i.id for i in data.issues] == [i.id for i in issues]
