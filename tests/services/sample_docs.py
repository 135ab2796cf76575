"""The three sample workbooks imported through the CLI into one database, with the hospital's
identity set and one supply issue (reported Mon 2025-06-02, resolved 2025-07-10) — shared by
the issue-18 document tests."""

from __future__ import annotations

import shutil
from datetime import datetime
from pathlib import Path

import pytest

from tests.conftest import DATA

FILES = (("products", "selected_products_and_volumes.xlsx"),
         ("purchases", "platform_purchases_2023-09_2025-08.xlsx"),
         ("reported-volumes", "reported_volumes_2026.xlsx"))
IDENTITY = {"hospital.name": "示例市第一人民医院", "hospital.department": "药学部",
            "hospital.responsible": "李主任", "hospital.contact": "王药师 0432-12345678"}


def build(folder: Path, run_cli) -> Path:
    db_file = folder / "sample.db"
    for kind, name in FILES:
        r = run_cli("--db", db_file, "import", kind, DATA / name)
        assert r.code == 0, r
    for key, value in IDENTITY.items():
        assert run_cli("--db", db_file, "settings", "set", key, value).code == 0
    return db_file


def add_june_issue(db_file: Path) -> int:
    """A shortage reported Mon 2025-06-02 09:00, never replied to, resolved 2025-07-10."""
    from db.session import open_database
    from hospital_app.services import supply_issues

    db = open_database(str(db_file))
    try:
        with db.session() as s:
            pid = _product_id(s, "瑞舒伐他汀钙片")
            view = supply_issues.add_issue(s, pid, "shortage", datetime(2025, 6, 2, 9, 0),
                                           description="连续两次订单未配送", who="王药师", as_of=datetime(2025, 6, 2).date())
            supply_issues.resolve(s, view.id, datetime(2025, 7, 10, 15, 0), "已恢复供应", who="王药师",
                                  as_of=datetime(2025, 7, 10).date())
            return view.id
    finally:
        db.dispose()


def _product_id(session, generic_name: str) -> int:
    from sqlalchemy import select

    from db.models import Product

    return session.scalars(select(Product.id).where(Product.generic_name == generic_name,
                                                    Product.selected.is_(True)).order_by(Product.id)).first()


def copy(src: Path, tmp_path: Path) -> Path:
    target = tmp_path / "own.db"
    shutil.copyfile(src, target)
    return target


@pytest.fixture(scope="module")
def sample_db(tmp_path_factory):
    """The sample database (read-only for tests; copy it with ``copy`` to write)."""
    home = tmp_path_factory.mktemp("sample-home")
    with pytest.MonkeyPatch.context() as mp:
        for var in ("XDG_DATA_HOME", "XDG_STATE_HOME", "XDG_CONFIG_HOME", "XDG_CACHE_HOME"):
            mp.setenv(var, str(home / var))
        mp.delenv("HOSPITAL_APP_DB", raising=False)
        db_file = build(tmp_path_factory.mktemp("sample-docs"), _cli_runner())
        add_june_issue(db_file)
        yield db_file


def _cli_runner():
    import io
    from contextlib import redirect_stderr, redirect_stdout

    from hospital_app.cli.main import main
    from tests.conftest import CliResult

    def _run(*args):
        out, err = io.StringIO(), io.StringIO()
        with redirect_stdout(out), redirect_stderr(err):
            code = main([str(a) for a in args])
        return CliResult(code, out.getvalue(), err.getvalue())

    return _run
