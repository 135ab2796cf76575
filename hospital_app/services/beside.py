"""Reads beside a session: read-only jobs run on a second connection in a second thread (issue 21).

The dashboard and ``alerts`` spend about a third of their time waiting for aggregates the
database computes in C (the R4 order tallies, the R5 overdue deliveries, the first unpaid
deliveries), and the rest assessing progress rows in Python. The database drivers release
Python's lock while the database works, so on a second connection those reads run while the
progress rows are assessed, on the machine's second core.

A job is run beside only when a second connection sees what the caller's session sees:

- the session has written nothing in its transaction (no pending objects, nothing sent):
  another connection would not see uncommitted writes;
- the database is a SQLite file or a PostgreSQL server, not an in-memory SQLite database
  (a second connection would open another, empty one);
- the database accepts a second connection (a PostgreSQL server at its ``max_connections``
  refuses it: logged, and the page still loads).

Otherwise every job runs on the caller's session, in the caller's thread, when its result is
first asked for: the results are the same either way (``tests/services/test_beside.py``).

The second transaction starts with the first job, milliseconds after the caller's. A change
another workstation commits in that moment shows in one part of a page and not in the other
until the page's next refresh — as on PostgreSQL anyway, where each statement of a READ
COMMITTED transaction sees the newest commits. Documents for the bureau do not read beside.
"""

from __future__ import annotations

import logging
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, Callable

from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

log = logging.getLogger(__name__)

__all__ = ["Beside", "can_read_beside"]


def can_read_beside(session: Session) -> bool:
    """Whether a second connection to the session's database sees what the session sees now."""
    if session.new or session.dirty or session.deleted:
        return False
    bind = session.get_bind()
    if not isinstance(bind, Engine):
        return False  # bound to one connection: there is no second one to take
    dialect = bind.dialect.name
    if dialect == "sqlite":
        database = bind.url.database or ""
        if not database or ":memory:" in database or "mode=memory" in database:
            return False
        if not session.in_transaction():
            return True
        # pysqlite opens a transaction only before a write: an open one holds uncommitted writes.
        return not session.connection().connection.dbapi_connection.in_transaction
    if dialect == "postgresql":
        if not session.in_transaction():
            return True
        # A transaction gets an id only when it writes.
        current = ("pg_current_xact_id_if_assigned" if (bind.dialect.server_version_info or (0,)) >= (13,)
                   else "txid_current_if_assigned")
        return bool(session.scalar(text(f"SELECT {current}() IS NULL")))
    return False


class _Later:
    """A job run on the caller's session when its result is first asked for."""

    def __init__(self, job: Callable[[], Any]) -> None:
        self._job = job
        self._done = False
        self._value: Any = None

    def result(self) -> Any:
        if not self._done:
            self._value = self._job()
            self._done = True
        return self._value


class Beside:
    """Runs read-only jobs ``job(session, *args, **kwargs)`` beside ``session`` (module doc).

    Jobs run one after the other, in the order given, in one transaction of their own.
    ``result()`` returns a job's value or raises its error in the caller's thread. Use it as a
    context manager: leaving it drops the jobs not started, waits for the running one and
    closes the second session."""

    def __init__(self, session: Session) -> None:
        self._session = session
        self._once: dict[tuple, Future | _Later] = {}
        self._started: list[Future] = []
        self._pool: ThreadPoolExecutor | None = None
        self._side: Session | None = None
        self._connection: Connection | None = None
        if can_read_beside(session):
            try:
                # Taken here, so that a server refusing one more connection (PostgreSQL at its
                # max_connections) leaves the jobs to the session instead of failing the page.
                self._connection = session.get_bind().connect()
            except OperationalError as exc:
                log.warning("reading on one connection: the database refused a second one (%s)", exc)
            else:
                self._pool = ThreadPoolExecutor(1, thread_name_prefix="read-beside")

    @property
    def parallel(self) -> bool:
        """Whether the jobs run on a second connection (else on the caller's session, later)."""
        return self._pool is not None

    def submit(self, job: Callable[..., Any], *args: Any, **kwargs: Any) -> Future | _Later:
        if self._pool is None:
            return _Later(lambda: job(self._session, *args, **kwargs))
        future = self._pool.submit(self._run, job, args, kwargs)
        self._started.append(future)
        return future

    def once(self, job: Callable[..., Any], *args: Any) -> Future | _Later:
        """``submit``, unless the same job with the same (hashable) arguments was asked for
        before: then the same result. Lets a caller start a service's read early."""
        key = (job, args)
        if key not in self._once:
            self._once[key] = self.submit(job, *args)
        return self._once[key]

    def _run(self, job, args, kwargs):
        if self._side is None:
            self._side = Session(bind=self._connection)
        return job(self._side, *args, **kwargs)

    def close(self) -> None:
        if self._pool is None:
            return
        pool, self._pool = self._pool, None
        for future in self._started:
            future.cancel()  # only those not started yet: nobody will ask for them now
        pool.submit(self._close_side).result()  # in the thread that used the connection
        pool.shutdown(wait=True)

    def _close_side(self) -> None:
        if self._side is not None:
            self._side.close()
            self._side = None
        self._connection.close()  # back to the pool, from the thread that used it
        self._connection = None

    def __enter__(self) -> Beside:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
