"""Shared fixtures. Qt runs offscreen; each test gets its own migrated SQLite file."""

from __future__ import annotations

import io
import os
import sys
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("HOSPITAL_APP_LANG", "zh")

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data"  # copies of the sample and real provincial workbooks
SAMPLES = DATA
REAL = DATA / "real"
pytest_plugins = ["tests.conftest_pg"]  # real PostgreSQL server fixtures (pg_url, any_db_url)


@pytest.fixture(autouse=True)
def _isolated_user_dirs(tmp_path_factory, monkeypatch):
    """Keep tests away from the real user's data and log directories."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("XDG_DATA_HOME", str(home / "data"))
    monkeypatch.setenv("XDG_STATE_HOME", str(home / "state"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / "config"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(home / "cache"))
    monkeypatch.delenv("HOSPITAL_APP_DB", raising=False)
    from hospital_app import i18n

    i18n.set_language("zh")
    yield
    i18n.set_language("zh")


@pytest.fixture
def db_path(tmp_path) -> Path:
    return tmp_path / "hospital.db"


@pytest.fixture
def db(db_path):
    from db.session import open_database

    database = open_database(str(db_path))
    yield database
    database.dispose()


@pytest.fixture
def session(db):
    s = db.factory()
    yield s
    s.rollback()
    s.close()


class CliResult:
    def __init__(self, code: int, out: str, err: str) -> None:
        self.code, self.out, self.err = code, out, err

    def json(self):
        import json

        return json.loads(self.out)

    def __iter__(self):  # allows: code, out, err = run_cli(...)
        return iter((self.code, self.out, self.err))

    def __repr__(self) -> str:
        return f"CliResult(code={self.code}, out={self.out[:500]!r}, err={self.err[:500]!r})"


@pytest.fixture
def run_cli():
    """Run the CLI in-process: run_cli("--db", path, "init") → CliResult."""
    from hospital_app.cli.main import main

    def _run(*args: str) -> CliResult:
        out_bytes, err_bytes = io.BytesIO(), io.BytesIO()
        out = io.TextIOWrapper(out_bytes, encoding="utf-8", write_through=True)
        err = io.TextIOWrapper(err_bytes, encoding="utf-8", write_through=True)
        with redirect_stdout(out), redirect_stderr(err):
            try:
                code = main([str(a) for a in args])
            except SystemExit as exc:  # pragma: no cover - main returns codes itself
                code = int(exc.code or 0)
        out.flush()
        err.flush()
        text = out_bytes.getvalue().decode("utf-8-sig")
        return CliResult(code, text, err_bytes.getvalue().decode("utf-8"))

    return _run


@pytest.fixture
def cli_subprocess():
    """Run ``python -m hospital_app`` in a child process (for exit codes and no-traceback checks)."""
    import subprocess

    def _run(*args: str, env: dict | None = None, timeout: float = 120) -> CliResult:
        full_env = dict(os.environ)
        full_env.update(env or {})
        proc = subprocess.run([sys.executable, "-m", "hospital_app", *map(str, args)],
                              capture_output=True, timeout=timeout, env=full_env, cwd=str(ROOT))
        return CliResult(proc.returncode, proc.stdout.decode("utf-8-sig", "replace"),
                         proc.stderr.decode("utf-8", "replace"))

    return _run
