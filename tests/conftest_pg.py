"""A real PostgreSQL server for the test session (pytest plugin, see tests/conftest.py).

Uses ``HOSPITAL_APP_TEST_PG_URL`` (an admin URL of a running server) when set;
otherwise starts the Debian server binaries (``/usr/lib/postgresql/*/bin``) in a
temporary directory, owned by the ``postgres`` user when running as root (initdb
refuses root), listening only on a unix socket in that directory. Each test gets a
fresh database. Without a server, tests marked ``postgres`` skip locally and FAIL
when ``CI=true`` — CI must never silently skip them.

Fixtures: ``pg_url`` (a fresh empty database URL), ``any_db_url`` (parametrised:
an SQLite file and a PostgreSQL database).
"""

from __future__ import annotations

import glob
import itertools
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

_counter = itertools.count(1)


def _in_ci() -> bool:
    return os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def _unavailable(why: str):
    if _in_ci():
        pytest.fail(f"PostgreSQL tests cannot run in CI: {why}", pytrace=False)
    pytest.skip(f"PostgreSQL not available: {why}")


def _pg_bindir() -> Path | None:
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"),
                        key=lambda p: int(Path(p).parent.parent.name) if Path(p).parent.parent.name.isdigit()
                        else 0)
    if candidates:
        return Path(candidates[-1]).parent
    found = shutil.which("initdb")
    return Path(found).parent if found else None


class _Server:
    """A throw-away PostgreSQL cluster in a temporary directory."""

    def __init__(self, bindir: Path) -> None:
        self.bindir = bindir
        self.tmp = Path(tempfile.mkdtemp(prefix="hospital-app-pg-"))
        self.data = self.tmp / "data"
        self.socket_dir = self.tmp
        self.as_root = os.geteuid() == 0
        if self.as_root:
            shutil.chown(self.tmp, "postgres", "postgres")
        os.chmod(self.tmp, 0o700)

    def _run(self, *cmd: str, timeout: float = 120) -> subprocess.CompletedProcess:
        full = list(cmd)
        if self.as_root:
            full = ["runuser", "-u", "postgres", "--", *full]
        return subprocess.run(full, capture_output=True, text=True, timeout=timeout, cwd=str(self.tmp))

    def start(self) -> None:
        r = self._run(str(self.bindir / "initdb"), "-D", str(self.data), "-U", "postgres",
                      "--auth=trust", "--encoding=UTF8", "--locale=C", "--no-sync")
        if r.returncode != 0:
            raise RuntimeError(f"initdb failed: {r.stderr.strip()[-2000:]}")
        options = (f"-c listen_addresses='' -c unix_socket_directories='{self.socket_dir}' "
                   "-c fsync=off -c synchronous_commit=off -c full_page_writes=off "
                   "-c max_connections=50 -c shared_buffers=16MB")
        r = self._run(str(self.bindir / "pg_ctl"), "-D", str(self.data), "-l", str(self.tmp / "server.log"),
                      "-o", options, "-w", "-t", "60", "start")
        if r.returncode != 0:
            log = (self.tmp / "server.log").read_text(errors="replace")[-2000:] \
                if (self.tmp / "server.log").exists() else ""
            raise RuntimeError(f"pg_ctl start failed: {r.stderr.strip()} {log}")

    def stop(self) -> None:
        try:
            self._run(str(self.bindir / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "stop",
                      timeout=60)
        finally:
            shutil.rmtree(self.tmp, ignore_errors=True)

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://postgres@/{database}?host={self.socket_dir}"


@pytest.fixture(scope="session")
def pg_admin_url():
    """An admin URL of a running PostgreSQL server (started here unless given by env)."""
    given = os.environ.get("HOSPITAL_APP_TEST_PG_URL")
    if given:
        yield given
        return
    bindir = _pg_bindir()
    if bindir is None:
        _unavailable("no PostgreSQL server binaries (install the Debian package 'postgresql')")
    if os.geteuid() == 0 and shutil.which("runuser") is None:
        _unavailable("running as root without runuser")
    server = _Server(bindir)
    try:
        server.start()
    except (RuntimeError, OSError, subprocess.TimeoutExpired, KeyError, LookupError) as exc:
        server.stop()
        _unavailable(str(exc))
    try:
        yield server.url()
    finally:
        server.stop()


@pytest.fixture
def pg_url(pg_admin_url):
    """A fresh, empty PostgreSQL database for one test; dropped afterwards."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    name = f"hospital_test_{os.getpid()}_{next(_counter)}"
    admin = create_engine(pg_admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(pg_admin_url).set(database=name).render_as_string(hide_password=False)
    try:
        yield url
    finally:
        deadline = time.monotonic() + 10
        with admin.connect() as conn:
            while True:
                try:
                    conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
                    break
                except Exception:  # noqa: BLE001 - a lingering connection; retry briefly
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.2)
        admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def any_db_url(request, tmp_path):
    """The same test on an SQLite file and on a real PostgreSQL database."""
    if request.param == "sqlite":
        return str(tmp_path / "hospital.db")
    return request.getfixturevalue("pg_url")


@pytest.fixture
def any_db_session(any_db_url):
    """A session on a fresh database of either kind (``any_db_url``), rolled back afterwards."""
    from db.session import open_database

    db = open_database(any_db_url)
    s = db.factory()
    yield s
    s.rollback()
    s.close()
    db.dispose()
